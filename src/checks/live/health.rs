//! Health and readiness answers of a stack's endpoints: the health path
//! answers the expected status in time, and the readiness path turns
//! ready (or not ready, with a dependency stopped) within a time.

use serde::{Deserialize, Serialize};

use super::{Live, live_check};
use crate::checks::{CheckMeta, Needs, Severity};
use crate::evidence::Judged;

/// A few GETs of a health path on one instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    pub path: String,
    /// The status the step expects.
    pub expected: u16,
    pub limit_ms: f64,
    /// The status of each answered request, in order.
    pub statuses: Vec<u16>,
    /// The slowest answer (time to response headers).
    pub slowest_ms: f64,
    /// Why a request got no answer (the requests stop at the first).
    #[serde(default)]
    pub error: Option<String>,
}

/// `12.3 ms`.
fn ms(milliseconds: f64) -> String {
    format!("{milliseconds:.1} ms")
}

fn judge_answers(answers: &Answers) -> Judged {
    let Answers {
        path,
        expected,
        limit_ms,
        statuses,
        slowest_ms,
        error,
    } = answers;
    let passed = error.is_none()
        && !statuses.is_empty()
        && statuses.iter().all(|s| s == expected)
        && slowest_ms <= limit_ms;
    let listed: Vec<String> = statuses.iter().map(u16::to_string).collect();
    let mut facts = vec![format!("GET {path}: {}", listed.join(", "))];
    facts.extend(error.as_ref().map(|e| format!("no answer: {e}")));
    facts.push(format!(
        "slowest {} (limit {}, status {expected} expected)",
        ms(*slowest_ms),
        ms(*limit_ms)
    ));
    (passed, facts)
}

pub static ANSWERS: Live<Answers> = live_check!(
    judge_answers,
    CheckMeta {
        id: "health.answers",
        title: "The health endpoint answers the expected status in time",
        judges: "endpoint instance",
        severity: Severity::High,
        checklist: &["GL-APP-02"],
        needs: &[Needs::Stack],
        rationale: "A health path that answers slowly or with the wrong status makes load balancers and \
                    orchestrators take a healthy instance out, or keep a broken one in. Every instance is \
                    asked a few times, and the slowest answer counts.",
        remediation: "Make the health handler cheap (no downstream calls it does not need), return the status \
                      the checklist expects, and look at the instance that answered slowly or wrongly.",
        differences: &[],
    }
);

/// Polls of a readiness path until it turned ready (2xx) or not ready
/// (5xx), or the time ran out.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Readiness {
    pub path: String,
    /// `true`: it must turn ready; `false`: not ready.
    pub want_ready: bool,
    pub within_s: u64,
    /// When the first matching answer came, if one did.
    #[serde(default)]
    pub turned_after_s: Option<f64>,
    pub attempts: usize,
    #[serde(default)]
    pub last_status: Option<u16>,
    #[serde(default)]
    pub last_error: Option<String>,
}

fn judge_readiness(readiness: &Readiness) -> Judged {
    let wanted = if readiness.want_ready {
        "ready (2xx)"
    } else {
        "not ready (5xx)"
    };
    let path = &readiness.path;
    let last = readiness
        .last_status
        .map_or_else(|| "no answer".to_string(), |s| format!("status {s}"));
    match readiness.turned_after_s {
        Some(after) if after <= readiness.within_s as f64 => (
            true,
            vec![format!(
                "GET {path} reported {wanted} after {after:.1} s ({last})"
            )],
        ),
        _ => (
            false,
            vec![format!(
                "GET {path} did not turn {wanted} within {} s ({} attempts, last {last}{})",
                readiness.within_s,
                readiness.attempts,
                readiness
                    .last_error
                    .as_ref()
                    .map(|e| format!(", last error: {e}"))
                    .unwrap_or_default()
            )],
        ),
    }
}

pub static READINESS: Live<Readiness> = live_check!(
    judge_readiness,
    CheckMeta {
        id: "health.readiness",
        title: "Readiness follows the service's dependencies",
        judges: "endpoint instance",
        severity: Severity::High,
        checklist: &["GL-APP-02"],
        needs: &[Needs::Stack],
        rationale: "Readiness is what keeps traffic away from an instance that cannot serve it: it must turn \
                    not ready (5xx) when a dependency it needs stops, and ready (2xx) again when it returns. \
                    A 404 is neither: a wrong path must not pass as not ready.",
        remediation: "Have the readiness handler check the dependencies the service cannot serve without \
                      (database, cache) and answer 503 while one is missing; keep liveness independent of them.",
        differences: &[],
    }
);

pub static CHECKS: &[&crate::checks::Check] = &[&ANSWERS.check, &READINESS.check];
