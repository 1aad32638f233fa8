//! `--baseline FILE`: the campaign compared with the one of the same
//! profile in an earlier run's `summary.json`, overall and per request, with a regression verdict: a
//! latency percentile or the error rate worse by more than the tolerance,
//! or the throughput lower by more than it.

use serde::{Deserialize, Serialize};

use super::outcome::{Campaign, Figures};

/// One metric of one scope, then and now.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// `overall` or a request name.
    pub scope: String,
    #[serde(deserialize_with = "crate::interned::string")]
    pub metric: crate::interned::Text,
    pub baseline: Option<f64>,
    pub current: Option<f64>,
    /// (current − baseline) / baseline, in percent.
    pub change_percent: Option<f64>,
    pub regression: bool,
}

/// The comparison with a baseline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    pub baseline_file: String,
    pub tolerance_percent: f64,
    pub rows: Vec<Row>,
}

impl Row {
    /// The change as text: `+12.5 %`, or `–` when either side is missing.
    pub fn change_text(&self) -> String {
        self.change_percent
            .map_or_else(|| "–".to_string(), |c| format!("{c:+.1} %"))
    }
}

impl Comparison {
    pub fn regressed(&self) -> bool {
        self.rows.iter().any(|r| r.regression)
    }
}

/// Whether larger values are worse (latency, errors) or better (throughput).
#[derive(Clone, Copy)]
enum Direction {
    LowerIsBetter,
    HigherIsBetter,
}

/// The metrics compared, and the change below which a move is noise
/// whatever its percentage: 1 ms of latency (a 0.1 ms → 0.14 ms median
/// on loopback is not a 40 % regression), 0.05 percentage points of
/// error rate (0.01 % → 0.02 % is not one of 100 %).
const METRICS: &[(&str, Direction, f64)] = &[
    ("p50_ms", Direction::LowerIsBetter, 1.0),
    ("p95_ms", Direction::LowerIsBetter, 1.0),
    ("p99_ms", Direction::LowerIsBetter, 1.0),
    ("error_rate_percent", Direction::LowerIsBetter, 0.05),
];

fn figure(figures: &Figures, metric: &str) -> Option<f64> {
    match metric {
        "p50_ms" => figures.p50_ms,
        "p95_ms" => figures.p95_ms,
        "p99_ms" => figures.p99_ms,
        _ => figures.error_rate_percent,
    }
}

fn row(
    scope: &str,
    (metric, direction, noise): (&'static str, Direction, f64),
    baseline: Option<f64>,
    current: Option<f64>,
    tolerance: f64,
) -> Row {
    let change_percent = match (baseline, current) {
        (Some(b), Some(c)) if b > 0.0 => Some((c - b) * 100.0 / b),
        _ => None,
    };
    let regression = match (baseline, current, direction) {
        (Some(b), Some(c), Direction::LowerIsBetter) => {
            c > b * (1.0 + tolerance / 100.0) && c - b > noise
        }
        (Some(b), Some(c), Direction::HigherIsBetter) => c < b * (1.0 - tolerance / 100.0),
        _ => false,
    };
    Row {
        scope: scope.to_string(),
        metric,
        baseline,
        current,
        change_percent,
        regression,
    }
}

/// The campaigns of an earlier run's `summary.json`, read before the
/// campaign runs (a wrong file should not cost a whole campaign).
#[derive(Debug, Clone)]
pub struct Baseline {
    file: String,
    campaigns: Vec<Campaign>,
}

impl Baseline {
    pub fn new(file: &str, campaigns: Vec<Campaign>) -> Baseline {
        Baseline {
            file: file.to_string(),
            campaigns,
        }
    }

    /// The baseline's campaign of `profile`: the one to compare with.
    pub fn campaign_of(&self, profile: &str) -> Result<(&str, &Campaign), String> {
        let mut campaigns = self.campaigns.iter();
        match campaigns.clone().find(|c| c.profile == profile) {
            Some(campaign) => Ok((&self.file, campaign)),
            None if campaigns.next().is_none() => {
                Err("holds no load campaign: give the summary.json of a golive load run".into())
            }
            None => Err(format!(
                "holds campaigns of {}, not of {profile:?}: compare runs of the same profile",
                self.campaigns
                    .iter()
                    .map(|c| format!("{:?}", c.profile))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// Compares `current` with the campaign of an earlier run (`file`).
pub fn compare(
    (file, baseline): &(&str, &Campaign),
    current: &Campaign,
    tolerance_percent: f64,
) -> Comparison {
    let mut rows = Vec::new();
    let scopes = std::iter::once(("overall", Some(&baseline.steady), &current.steady)).chain(
        current
            .requests
            .iter()
            .map(|(name, figures)| (name.as_str(), baseline.requests.get(name), figures)),
    );
    for (scope, then, now) in scopes {
        let Some(then) = then else {
            continue;
        };
        for &(metric, direction, noise) in METRICS {
            rows.push(row(
                scope,
                (metric, direction, noise),
                figure(then, metric),
                figure(now, metric),
                tolerance_percent,
            ));
        }
    }
    rows.push(row(
        "overall",
        ("rps", Direction::HigherIsBetter, 0.0),
        baseline.steady_rps,
        current.steady_rps,
        tolerance_percent,
    ));
    Comparison {
        baseline_file: file.to_string(),
        tolerance_percent,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::load::record::{Phase, Record, Sample};

    fn campaign(latency_ms: u64, failures: usize) -> Campaign {
        let mut record = Record::new(Duration::from_secs(10));
        for i in 0..1000 {
            record.add(&Sample {
                request: "list items",
                at: Duration::from_millis(i),
                latency: Duration::from_millis(latency_ms),
                status: Ok(200),
                ok: i as usize >= failures,
                phase: Phase::Steady,
            });
        }
        Campaign::new("p", "", "http://x", &record, Vec::new())
    }

    /// `now` compared with the campaign `then`, 10 % tolerance.
    fn compared(then: &Campaign, now: &Campaign) -> Comparison {
        compare(&("b.json", then), now, 10.0)
    }

    #[test]
    fn slower_or_failing_runs_regress_beyond_the_tolerance_only() {
        let baseline = campaign(100, 0);
        let same = compared(&baseline, &campaign(105, 0));
        assert!(!same.regressed(), "{:?}", same.rows);
        let slower = compared(&baseline, &campaign(120, 0));
        let regressions: Vec<(&str, &str)> = slower
            .rows
            .iter()
            .filter(|r| r.regression)
            .map(|r| (r.scope.as_str(), r.metric))
            .collect();
        assert!(
            regressions.contains(&("overall", "p95_ms")),
            "{regressions:?}"
        );
        assert!(
            regressions.contains(&("list items", "p99_ms")),
            "{regressions:?}"
        );
        let failing = compared(&baseline, &campaign(100, 10));
        assert!(
            failing
                .rows
                .iter()
                .any(|r| r.regression && r.metric == "error_rate_percent"),
            "1 % of errors where there were none"
        );
    }

    #[test]
    fn sub_millisecond_moves_are_noise_whatever_their_percentage() {
        let doubled = compared(&campaign(1, 0), &campaign(2, 0));
        assert!(
            !doubled.regressed(),
            "1 ms to 2 ms is +100 % but within the 1 ms floor"
        );
        let worse = compared(&campaign(1, 0), &campaign(3, 0));
        assert!(worse.regressed(), "1 ms to 3 ms is beyond it");
    }

    #[test]
    fn a_baseline_without_a_campaign_of_the_profile_is_refused() {
        let baseline = Baseline::new("summary.json", vec![campaign(100, 0)]);
        assert!(baseline.campaign_of("p").is_ok());
        let other = baseline.campaign_of("peak").unwrap_err();
        assert!(other.contains("\"p\""), "{other}");
        let none = Baseline::new("manifests.json", Vec::new());
        assert!(
            none.campaign_of("p")
                .unwrap_err()
                .contains("no load campaign")
        );
    }
}
