//! The steady-phase figures of a load campaign against their target: p95
//! latency, error rate, throughput. The comparison is `golive load`'s
//! ([`crate::load::judge::against`]); the step picks the target (the
//! figure it states, else the load profile's, else golive.yaml's).

use serde::{Deserialize, Serialize};

use super::{Live, live_check};
use crate::checks::{CheckMeta, Needs, Severity};
use crate::evidence::Judged;
use crate::load::judge::{self, Verdict};

/// What a load item needs: a stack to run a campaign against.
const LOAD_NEEDS: &[Needs] = &[Needs::Stack, Needs::Load];

/// One steady-phase figure and its target.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    pub target: f64,
    /// Where the target comes from (`the step`, `load profile api-nominal`).
    pub level: String,
    /// `None` when nothing was measured (no successful request).
    #[serde(default)]
    pub measured: Option<f64>,
    /// Requests in the steady phase, and its length.
    pub requests: u64,
    pub steady_s: f64,
}

impl Figure {
    /// Judges the figure as `metric` (`p95_ms`, `error_rate_percent`,
    /// `min_rps`).
    fn judge(&self, metric: &'static str) -> Judged {
        let result = judge::against("overall", metric, self.target, self.measured);
        let facts = vec![
            format!("{} (target from {})", result.describe(), self.level),
            format!(
                "{} requests in the steady phase ({:.0} s)",
                self.requests, self.steady_s
            ),
        ];
        (result.verdict == Verdict::Met, facts)
    }
}

fn judge_p95(figure: &Figure) -> Judged {
    figure.judge("p95_ms")
}

fn judge_error_rate(figure: &Figure) -> Judged {
    figure.judge("error_rate_percent")
}

fn judge_throughput(figure: &Figure) -> Judged {
    figure.judge("min_rps")
}

pub static P95: Live<Figure> = live_check!(
    judge_p95,
    CheckMeta {
        id: "load.p95",
        title: "The p95 latency under load is below the target",
        judges: "load campaign",
        severity: Severity::High,
        checklist: &["GL-APP-06"],
        needs: LOAD_NEEDS,
        rationale: "Averages hide the slow requests users notice; the 95th percentile of the steady phase \
                    (ramp-up excluded), measured at response headers, is what the SLA states.",
        remediation: "Profile the slow requests of the campaign's report (per request name), add capacity or \
                      fix the hot path, then run the campaign again.",
        differences: &[],
    }
);

pub static ERROR_RATE: Live<Figure> = live_check!(
    judge_error_rate,
    CheckMeta {
        id: "load.error-rate",
        title: "The error rate under load is below the target",
        judges: "load campaign",
        severity: Severity::High,
        checklist: &["GL-APP-06"],
        needs: LOAD_NEEDS,
        rationale: "A service that is fast only because it fails fast is not ready: errors and transport \
                    failures of the steady phase count against the target.",
        remediation: "Read the campaign's errors by request name and status, fix their cause (timeouts, pool \
                      sizes, limits), then run the campaign again.",
        differences: &[],
    }
);

pub static THROUGHPUT: Live<Figure> = live_check!(
    judge_throughput,
    CheckMeta {
        id: "load.throughput",
        title: "The throughput under load reaches the target",
        judges: "load campaign",
        severity: Severity::Medium,
        checklist: &["GL-APP-06"],
        needs: LOAD_NEEDS,
        rationale: "The expected peak must be served: the steady phase's requests per second must reach the \
                    target, or latency and errors were judged on less traffic than production brings.",
        remediation: "Check the campaign was not throttled by the load generator, then scale the service \
                      (replicas, workers, connection pools) until it sustains the rate.",
        differences: &[],
    }
);

pub static CHECKS: &[&crate::checks::Check] = &[&P95.check, &ERROR_RATE.check, &THROUGHPUT.check];
