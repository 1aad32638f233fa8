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

const METRICS: &[(&str, Direction)] = &[
    ("p50_ms", Direction::LowerIsBetter),
    ("p95_ms", Direction::LowerIsBetter),
    ("p99_ms", Direction::LowerIsBetter),
    ("error_rate_percent", Direction::LowerIsBetter),
];

/// Error rates closer than this (percentage points) are the same: a
/// 0.01 % → 0.02 % move is not a regression of 100 %.
const ERROR_RATE_NOISE: f64 = 0.05;

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
    metric: &'static str,
    direction: Direction,
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
            let noise = if metric == "error_rate_percent" {
                ERROR_RATE_NOISE
            } else {
                0.0
            };
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

/// Compares `current` with the `load.json` text of an earlier campaign.
pub fn compare(
    baseline_file: &str,
    baseline_text: &str,
    current: &Campaign,
    tolerance_percent: f64,
) -> Result<Comparison, String> {
    let baseline: Value =
        serde_json::from_str(baseline_text).map_err(|e| format!("not a load.json: {e}"))?;
    if baseline.get("schema_version").and_then(Value::as_u64) != Some(1) {
        return Err("not a load.json of schema version 1".into());
    }
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
        for (metric, direction) in METRICS {
            rows.push(row(
                &scope,
                metric,
                *direction,
                figure(then, metric),
                current_figure(now, metric),
                tolerance_percent,
            ));
        }
    }
    rows.push(row(
        "overall",
        "rps",
        Direction::HigherIsBetter,
        baseline.get("steady_rps").and_then(Value::as_f64),
        current.steady_rps,
        tolerance_percent,
    ));
    Ok(Comparison {
        baseline_file: baseline_file.to_string(),
        tolerance_percent,
        rows,
    })
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
                status: Some(200),
                ok: i as usize >= failures,
                phase: Phase::Steady,
            });
        }
        Campaign::new("p", "", "http://x", &record, Vec::new(), Vec::new(), false)
    }

    #[test]
    fn slower_or_failing_runs_regress_beyond_the_tolerance_only() {
        let baseline = serde_json::to_string(&campaign(100, 0)).unwrap();
        let same = compare("b.json", &baseline, &campaign(105, 0), 10.0).unwrap();
        assert!(!same.regressed(), "{:?}", same.rows);
        let slower = compare("b.json", &baseline, &campaign(120, 0), 10.0).unwrap();
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
        let failing = compare("b.json", &baseline, &campaign(100, 10), 10.0).unwrap();
        assert!(
            failing
                .rows
                .iter()
                .any(|r| r.regression && r.metric == "error_rate_percent"),
            "1 % of errors where there were none"
        );
    }

    #[test]
    fn a_file_that_is_not_a_load_report_is_refused() {
        assert!(compare("b.json", "{}", &campaign(1, 0), 10.0).is_err());
        assert!(compare("b.json", "not json", &campaign(1, 0), 10.0).is_err());
    }
}
