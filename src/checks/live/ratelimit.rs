//! Rate limiting seen from a client: a burst is partly refused, and a
//! gentle pace is all served.

use serde::{Deserialize, Serialize};

use super::{Live, live_check};
use crate::checks::{CheckMeta, Needs, Severity};
use crate::evidence::Judged;
use crate::probe::http::StatusCounts;

/// The answers to a series of requests to one path.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requests {
    pub path: String,
    pub sent: usize,
    /// Requests per second, for a paced series; `None` for a burst.
    #[serde(default)]
    pub per_second: Option<f64>,
    pub counts: StatusCounts,
}

/// Whether a status means the request was served (success or redirect).
fn is_served(status: u16) -> bool {
    (200..400).contains(&status)
}

impl Requests {
    fn facts(&self) -> Vec<String> {
        let how = match self.per_second {
            Some(rate) => format!("at {rate} per second"),
            None => "at once".to_string(),
        };
        vec![
            format!("{} requests {how} to {}", self.sent, self.path),
            format!("answers: {}", self.counts),
        ]
    }
}

/// Partly refused: some answers say slow down (429, 503), and some are
/// served (a limit, not an outage).
fn judge_burst(requests: &Requests) -> Judged {
    let served = requests
        .counts
        .statuses()
        .any(|(status, _)| is_served(status));
    (requests.counts.limited() > 0 && served, requests.facts())
}

/// All served: no transport error, every status 2xx or 3xx.
fn judge_pace(requests: &Requests) -> Judged {
    let counts = &requests.counts;
    let served = counts.total() > 0
        && counts.errors() == 0
        && counts.statuses().all(|(status, _)| is_served(status));
    (served, requests.facts())
}

pub static BURST: Live<Requests> = live_check!(
    judge_burst,
    CheckMeta {
        id: "ratelimit.burst",
        title: "A burst of requests is partly refused with 429 or 503",
        judges: "endpoint instance",
        severity: Severity::Medium,
        checklist: &["GL-SEC-06"],
        needs: &[Needs::Stack],
        rationale: "A client that floods the service must be slowed down before it exhausts the backends; \
                    the limit must answer 429 (or 503) for the excess and still serve the rest.",
        remediation: "Configure a rate limit at the entry point (nginx limit_req, the ingress controller's \
                      limit-rps annotations) with a burst that matches the expected traffic.",
        differences: &[],
    }
);

pub static PACE: Live<Requests> = live_check!(
    judge_pace,
    CheckMeta {
        id: "ratelimit.pace",
        title: "A gentle pace of requests is all served",
        judges: "endpoint instance",
        severity: Severity::Medium,
        checklist: &["GL-SEC-06"],
        needs: &[Needs::Stack],
        rationale: "A limit so tight that ordinary traffic is refused is an outage of its own: a steady, \
                    modest pace must all be served once the limiter has recovered.",
        remediation: "Raise the rate or the burst of the limit until the expected pace passes, keyed on the \
                      client (not on the proxy in front of it).",
        differences: &[],
    }
);

pub static CHECKS: &[&crate::checks::Check] = &[&BURST.check, &PACE.check];
