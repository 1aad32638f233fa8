//! `--baseline summary.json` on `golive run`, `golive load` and `golive
//! report combine`: what changed since an earlier dossier. A finding is the
//! same finding when its check, object, container and field are (its line
//! may move with an edit above it); a failed observation when its item and
//! subject are. Items the baseline judged (passed or failed) and this
//! dossier did not are listed, so a check that stopped running is not
//! mistaken for a fixed one. Figures are the load targets' measurements
//! and the failover clocks' recovery times; a move of less than 1 % is not
//! shown.

use std::collections::BTreeMap;

use super::{Changes, FigureChange, RunRecord};
use crate::verdict::Status;

/// A move smaller than this share of the baseline's figure is noise.
const FIGURE_NOISE: f64 = 0.01;

/// What changed from `baseline` (read from `file`) to `now`.
pub fn changes(file: &str, baseline: &RunRecord, now: &RunRecord) -> Changes {
    let (before, after) = (problems(baseline), problems(now));
    let new_findings = after
        .iter()
        .filter(|(key, _)| !before.contains_key(*key))
        .map(|(_, shown)| shown.clone())
        .collect();
    let fixed_findings = before
        .iter()
        .filter(|(key, _)| !after.contains_key(*key))
        .map(|(_, shown)| shown.clone())
        .collect();
    let judged_now = judged(now);
    let newly_not_evaluated = judged(baseline)
        .into_iter()
        .filter(|(item, _)| !judged_now.contains_key(item))
        .map(|(item, _)| {
            let now_status = status_of(now, &item).map_or("not run", Status::label);
            format!("{} ({now_status})", item.1)
        })
        .collect();
    let (then, current) = (figures(baseline), figures(now));
    let figures = current
        .iter()
        .filter_map(|(figure, &(now, unit))| {
            let &(baseline, _) = then.get(figure)?;
            let moved = (now - baseline).abs() > baseline.abs() * FIGURE_NOISE;
            moved.then(|| FigureChange {
                figure: figure.clone(),
                baseline,
                now,
                unit: unit.to_string(),
            })
        })
        .collect();
    Changes {
        baseline: file.to_string(),
        new_findings,
        fixed_findings,
        newly_not_evaluated,
        figures,
    }
}

/// Every active finding and failed observation: identity → as shown.
fn problems(record: &RunRecord) -> BTreeMap<String, String> {
    let mut problems = BTreeMap::new();
    for (_, scenario) in record.scenarios() {
        for finding in scenario.checks.iter().flat_map(|c| c.active_findings()) {
            let identity = format!(
                "{} {} {} {}",
                finding.check,
                finding.object,
                finding.container.as_deref().unwrap_or("-"),
                finding.field
            );
            problems.insert(identity, finding.to_string());
        }
        for observation in scenario.observations.iter().filter(|o| !o.passed) {
            let identity = format!("{} {}", observation.item, observation.subject);
            problems.insert(identity, observation.to_string());
        }
    }
    problems
}

/// An item's identity: (feature file, name).
type Item = (String, String);

/// The items that passed or failed.
fn judged(record: &RunRecord) -> BTreeMap<Item, Status> {
    record
        .scenarios()
        .filter(|(_, s)| matches!(s.status, Status::Passed | Status::Failed))
        .map(|(f, s)| ((f.file.clone(), s.name.clone()), s.status))
        .collect()
}

fn status_of(record: &RunRecord, (file, name): &Item) -> Option<Status> {
    record
        .scenarios()
        .find(|(f, s)| &f.file == file && &s.name == name)
        .map(|(_, s)| s.status)
}

/// The figures of a record: `p95_ms of overall (load campaign smoke)` →
/// (value, unit), `RTO (item)` → seconds.
fn figures(record: &RunRecord) -> BTreeMap<String, (f64, &'static str)> {
    let mut figures = BTreeMap::new();
    for campaign in &record.campaigns {
        for target in &campaign.targets {
            if let Some(measured) = target.measured {
                let unit = if target.metric.ends_with("_ms") {
                    "ms"
                } else if target.metric == "min_rps" {
                    "requests/s"
                } else {
                    "%"
                };
                figures.insert(
                    format!(
                        "{} of {} (load campaign {})",
                        target.metric, target.scope, campaign.profile
                    ),
                    (measured, unit),
                );
            }
        }
    }
    for (_, scenario) in record.scenarios() {
        for (index, timeline) in scenario.failover.iter().enumerate() {
            if let Some(rto) = timeline.recovered_after_s {
                figures.insert(
                    format!("RTO of {} #{}", scenario.name, index + 1),
                    (rto, "s"),
                );
            }
        }
    }
    figures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{CheckOutcome, Finding, Observation};
    use crate::model::{ObjectRef, SourceLocation};
    use crate::record::{FeatureRecord, ScenarioRecord};
    use crate::severity::Severity;

    fn finding(name: &str, line: u32) -> Finding {
        Finding {
            check: "probe.liveness",
            severity: Severity::High,
            object: ObjectRef {
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                name: name.into(),
            },
            container: Some("app".into()),
            field: "spec.template.spec.containers[0].livenessProbe".into(),
            location: SourceLocation {
                file: "api.yaml".into(),
                line,
                column: 1,
            },
            expected: "a liveness probe".into(),
            found: "none".into(),
            suppressed: None,
            note: None,
        }
    }

    fn record(items: Vec<(&str, Status, Vec<Finding>)>) -> RunRecord {
        RunRecord {
            features: vec![FeatureRecord {
                name: "probes".into(),
                file: "probes.feature".into(),
                tags: Vec::new(),
                scenarios: items
                    .into_iter()
                    .enumerate()
                    .map(|(line, (name, status, findings))| ScenarioRecord {
                        status,
                        checks: vec![CheckOutcome {
                            check: "probe.liveness",
                            title: "liveness",
                            severity: Severity::High,
                            judges: "container",
                            evaluated: 2,
                            findings,
                        }],
                        ..ScenarioRecord::new(name.into(), line, Vec::new())
                    })
                    .collect(),
            }],
            ..RunRecord::default()
        }
    }

    #[test]
    fn new_and_fixed_findings_and_items_no_longer_judged() {
        use Status::*;
        let before = record(vec![
            (
                "liveness",
                Failed,
                vec![finding("api", 10), finding("worker", 30)],
            ),
            ("readiness", Passed, Vec::new()),
        ]);
        let mut after = record(vec![
            // api's finding moved two lines down: the same finding.
            (
                "liveness",
                Failed,
                vec![finding("api", 12), finding("front", 40)],
            ),
            ("readiness", CouldNotEvaluate, Vec::new()),
        ]);
        after.features[0].scenarios[1]
            .observations
            .push(Observation {
                item: "health.answers",
                subject: "endpoint web".into(),
                passed: false,
                facts: vec!["GET /health: 503".into()],
            });
        let changes = changes("before.json", &before, &after);
        assert_eq!(changes.new_findings.len(), 2, "{changes:#?}");
        assert!(changes.new_findings.iter().any(|f| f.contains("front")));
        assert!(
            changes
                .new_findings
                .iter()
                .any(|f| f.contains("GET /health: 503"))
        );
        assert_eq!(changes.fixed_findings.len(), 1);
        assert!(changes.fixed_findings[0].contains("worker"), "{changes:#?}");
        assert_eq!(
            changes.newly_not_evaluated,
            ["readiness (could not evaluate)"]
        );
        let unchanged = super::changes("b", &before, &before);
        assert!(unchanged.new_findings.is_empty() && unchanged.fixed_findings.is_empty());
        assert!(unchanged.newly_not_evaluated.is_empty() && unchanged.figures.is_empty());
    }
}
