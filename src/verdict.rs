//! The verdict of a run and its exit code, the contract CI gates rely on:
//! 0 READY, 1 NOT READY, 2 COULD NOT EVALUATE. "Could not evaluate" wins over
//! everything: bad input, an undefined step, an interrupted run or a run
//! that evaluated nothing must never look like READY or like a failed check.
//! Items that had nothing to judge (`not applicable`) neither pass nor fail;
//! a run where every item is not applicable judged nothing.

use serde::Serialize;

use crate::runner::record::{RunRecord, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Ready,
    NotReady,
    CouldNotEvaluate,
}

impl Verdict {
    pub fn of(record: &RunRecord) -> Verdict {
        let statuses: Vec<Status> = record.scenarios().map(|(_, s)| s.status).collect();
        let judged_something = statuses
            .iter()
            .any(|s| matches!(s, Status::Passed | Status::Failed));
        if record.interrupted
            || !record.input_errors.is_empty()
            || !judged_something
            || statuses
                .iter()
                .any(|s| matches!(s, Status::CouldNotEvaluate | Status::NotEvaluated))
        {
            Verdict::CouldNotEvaluate
        } else if statuses.contains(&Status::Failed) {
            Verdict::NotReady
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
