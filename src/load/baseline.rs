//! `--baseline FILE`: the campaign compared with a previous one (its
//! `load.json`), overall and per request, with a regression verdict: a
//! latency percentile or the error rate worse by more than the tolerance,
//! or the throughput lower by more than it.

use serde::Serialize;
use serde_json::Value;

use super::report::{Campaign, Figures};

/// One metric of one scope, then and now.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `overall` or a request name.
    pub scope: String,
    pub metric: &'static str,
    pub baseline: Option<f64>,
    pub current: Option<f64>,
    /// (current − baseline) / baseline, in percent.
    pub change_percent: Option<f64>,
    pub regression: bool,
}

/// The comparison with a baseline.
#[derive(Debug, Clone, Serialize)]
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

fn figure(figures: &Value, metric: &str) -> Option<f64> {
    figures.get(metric).and_then(Value::as_f64)
}

fn current_figure(figures: &Figures, metric: &str) -> Option<f64> {
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

/// An earlier campaign's `load.json`, read before the campaign runs (a
/// wrong file should not cost a whole campaign).
#[derive(Debug, Clone)]
pub struct Baseline {
    file: String,
    report: Value,
}

impl Baseline {
    /// Checks the text of `file` is a `load.json` of schema version 1.
    pub fn parse(file: &str, text: &str) -> Result<Baseline, String> {
        let report: Value =
            serde_json::from_str(text).map_err(|e| format!("not a load.json: {e}"))?;
        if report.get("schema_version").and_then(Value::as_u64) != Some(1) {
            return Err("not a load.json of schema version 1".into());
        }
        Ok(Baseline {
            file: file.to_string(),
            report,
        })
    }

    /// The name of the profile the baseline campaign ran.
    pub fn profile(&self) -> &str {
        self.report
            .get("profile")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }
}

/// Compares `current` with an earlier campaign.
pub fn compare(baseline: &Baseline, current: &Campaign, tolerance_percent: f64) -> Comparison {
    let (baseline_file, baseline) = (&baseline.file, &baseline.report);
    let mut rows = Vec::new();
    let scopes = std::iter::once((
        "overall".to_string(),
        baseline.get("steady"),
        Some(&current.steady),
    ))
    .chain(current.requests.iter().map(|(name, figures)| {
        (
            name.clone(),
            baseline.get("requests").and_then(|r| r.get(name)),
            Some(figures),
        )
    }));
    for (scope, then, now) in scopes {
        let (Some(then), Some(now)) = (then, now) else {
            continue;
        };
        for &(metric, direction, noise) in METRICS {
            rows.push(row(
                &scope,
                (metric, direction, noise),
                figure(then, metric),
                current_figure(now, metric),
                tolerance_percent,
            ));
        }
    }
    rows.push(row(
        "overall",
        ("rps", Direction::HigherIsBetter, 0.0),
        baseline.get("steady_rps").and_then(Value::as_f64),
        current.steady_rps,
        tolerance_percent,
    ));
    Comparison {
        baseline_file: baseline_file.to_string(),
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
        Campaign::new("p", "", "http://x", &record, Vec::new(), Vec::new(), false)
    }

    /// `now` compared with the load.json text `then`, 10 % tolerance.
    fn compared(then: &str, now: &Campaign) -> Comparison {
        compare(&Baseline::parse("b.json", then).unwrap(), now, 10.0)
    }

    #[test]
    fn slower_or_failing_runs_regress_beyond_the_tolerance_only() {
        let baseline = serde_json::to_string(&campaign(100, 0)).unwrap();
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
        let twice = serde_json::to_string(&campaign(1, 0)).unwrap();
        let doubled = compared(&twice, &campaign(2, 0));
        assert!(
            !doubled.regressed(),
            "1 ms to 2 ms is +100 % but within the 1 ms floor"
        );
        let worse = compared(&twice, &campaign(3, 0));
        assert!(worse.regressed(), "1 ms to 3 ms is beyond it");
    }

    #[test]
    fn a_file_that_is_not_a_load_report_is_refused() {
        assert!(Baseline::parse("b.json", "{}").is_err());
        assert!(Baseline::parse("b.json", "not json").is_err());
    }
}
