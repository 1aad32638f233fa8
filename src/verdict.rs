//! How an item ends ([`Status`]), the verdict of a run and its exit code,
//! the contract CI gates rely on: 0 READY, 1 NOT READY, 2 COULD NOT
//! EVALUATE. One function ([`Verdict::judge`]), one rule, for every command
//! (`golive run`, `golive load`, `golive report combine`; see
//! `RunRecord::verdict`):
//!
//! 1. The run itself could not be trusted: bad input, an interrupted run,
//!    or nothing judged (every item not applicable, or none ran): COULD
//!    NOT EVALUATE. Bad input must never look like READY or like a failed
//!    check.
//! 2. Else an item failed (a checklist scenario, a missed SLO target, a
//!    regression against the baseline): NOT READY. A proven failure is
//!    what the release manager must hear, even when another item could
//!    not be judged (every request failed: the error rate is missed and
//!    no latency was measured).
//! 3. Else an item could not be evaluated or never ran: COULD NOT
//!    EVALUATE.
//! 4. Else READY. Items with nothing to judge (`not applicable`) neither
//!    pass nor fail.

use serde::{Deserialize, Serialize};

/// How a scenario or step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    /// The target does not meet the item.
    Failed,
    /// The item could not be evaluated: undefined or ambiguous step, bad
    /// argument, nothing in scope, internal error.
    CouldNotEvaluate,
    /// Never ran: after a failed step, or the run was interrupted.
    NotEvaluated,
    /// Ran, but its checks had nothing to judge in the target (no Ingress
    /// for the TLS item, no HPA for the autoscaler items): neither passed
    /// nor failed. [`ScenarioRecord::reason`] says what was missing.
    NotApplicable,
}

impl Status {
    /// `could not evaluate`, as the reports write it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::CouldNotEvaluate => "could not evaluate",
            Status::NotEvaluated => "not evaluated",
            Status::NotApplicable => "not applicable",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Ready,
    NotReady,
    CouldNotEvaluate,
}

impl Verdict {
    /// The verdict on items that ended with `statuses`, in a run that
    /// is `trusted` (no input error, not interrupted).
    pub fn judge(statuses: &[Status], trusted: bool) -> Verdict {
        let judged_something = statuses
            .iter()
            .any(|s| matches!(s, Status::Passed | Status::Failed));
        if !trusted || !judged_something {
            Verdict::CouldNotEvaluate
        } else if statuses.contains(&Status::Failed) {
            Verdict::NotReady
        } else if statuses
            .iter()
            .any(|s| matches!(s, Status::CouldNotEvaluate | Status::NotEvaluated))
        {
            Verdict::CouldNotEvaluate
        } else {
            Verdict::Ready
        }
    }

    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Ready => 0,
            Verdict::NotReady => 1,
            Verdict::CouldNotEvaluate => 2,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Ready => "READY",
            Verdict::NotReady => "NOT READY",
            Verdict::CouldNotEvaluate => "COULD NOT EVALUATE",
        }
    }
}
