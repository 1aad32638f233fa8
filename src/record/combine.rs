//! `golive report combine` (and `golive run --from`): the records of
//! several runs — the manifests run of a merge request, the stack run, the
//! load campaign, the cluster run after the staging deploy — merged into
//! one dossier with one verdict. An item that several runs judged is one
//! item: its status is the worst of theirs (failed, then could not
//! evaluate, then passed, then not applicable, then not evaluated), its
//! evidence the worst run's, and every run's status is kept beside it
//! ([`ScenarioRecord::runs`]), so a conflict is shown, never hidden. An
//! item left out of a run is "not run" only if no run ran it.

use std::collections::BTreeMap;

use super::{FeatureRecord, RunOutcome, RunRecord, ScenarioRecord, SkippedScenario, SourceRun};
use crate::error::InputError;
use crate::verdict::Status;

/// How bad a status is when runs disagree: the worst wins. Not
/// evaluated (never ran) says nothing, so any other status wins over it.
fn badness(status: Status) -> u8 {
    match status {
        Status::Failed => 4,
        Status::CouldNotEvaluate => 3,
        Status::Passed => 2,
        Status::NotApplicable => 1,
        Status::NotEvaluated => 0,
    }
}

/// An item's identity across runs: its feature file, line and name.
type ItemKey = (String, usize, String);

/// The dossier of `runs` (each named, e.g. by its report directory).
pub fn combine(runs: Vec<(String, RunRecord)>) -> RunRecord {
    let mut dossier = RunRecord {
        golive_version: env!("CARGO_PKG_VERSION"),
        ..RunRecord::default()
    };
    let mut targets = Vec::new();
    // Features in the order runs first name them, items likewise.
    let mut features: Vec<FeatureRecord> = Vec::new();
    let mut items: BTreeMap<ItemKey, (usize, Vec<(String, ScenarioRecord)>)> = BTreeMap::new();
    let mut skipped: BTreeMap<ItemKey, (SkippedScenario, Vec<String>)> = BTreeMap::new();
    for (name, run) in runs {
        dossier.sources.push(SourceRun {
            name: name.clone(),
            target: run.target.clone(),
            verdict: run.verdict(),
            duration_ms: run.duration_ms,
        });
        targets.push(run.target.clone());
        if dossier.profile.is_none() {
            dossier.profile = run.profile.clone();
        } else if let (Some(first), Some(this)) = (&dossier.profile, &run.profile)
            && first.name != this.name
        {
            dossier.input_errors.push(InputError::new(
                &name,
                format!(
                    "ran with profile {}, the dossier's first run with {}: their thresholds differ, so their verdicts do not add up",
                    this.name, first.name
                ),
            ));
        }
        if dossier.inventory.objects == 0 {
            dossier.inventory = run.inventory.clone();
        }
        dossier.input_errors.extend(
            run.input_errors
                .into_iter()
                .map(|error| InputError::new(format!("{name}: {}", error.place), error.message)),
        );
        dossier.interrupted |= run.interrupted;
        dossier.duration_ms += run.duration_ms;
        if dossier.stack.is_none() {
            dossier.stack = run.stack;
        }
        dossier.campaigns.extend(run.campaigns);
        for feature in run.features {
            let index = match features.iter().position(|f| f.file == feature.file) {
                Some(index) => index,
                None => {
                    features.push(FeatureRecord {
                        scenarios: Vec::new(),
                        ..feature.clone()
                    });
                    features.len() - 1
                }
            };
            for scenario in feature.scenarios {
                let key = (feature.file.clone(), scenario.line, scenario.name.clone());
                items
                    .entry(key)
                    .or_insert_with(|| (index, Vec::new()))
                    .1
                    .push((name.clone(), scenario));
            }
        }
        for left_out in run.skipped {
            let key = (left_out.file.clone(), left_out.line, left_out.name.clone());
            let reason = format!("{name}: {}", left_out.reason);
            skipped
                .entry(key)
                .or_insert_with(|| (left_out, Vec::new()))
                .1
                .push(reason);
        }
    }
    for ((file, line, item), (feature, judged)) in items {
        skipped.remove(&(file, line, item));
        features[feature].scenarios.push(merge_item(judged));
    }
    for feature in &mut features {
        feature.scenarios.sort_by_key(|s| s.line);
    }
    dossier.features = features;
    dossier.skipped = skipped
        .into_values()
        .map(|(mut left_out, reasons)| {
            left_out.reason = reasons.join("; ");
            left_out
        })
        .collect();
    targets.dedup();
    dossier.target = targets.join(" + ");
    dossier
}

/// One item judged by one or more runs: the worst run's record, with
/// every run's status.
fn merge_item(judged: Vec<(String, ScenarioRecord)>) -> ScenarioRecord {
    let runs: Vec<RunOutcome> = judged
        .iter()
        .map(|(source, scenario)| RunOutcome {
            source: source.clone(),
            status: scenario.status,
        })
        .collect();
    let (_, mut worst) = judged
        .into_iter()
        .rev()
        .max_by_key(|(_, scenario)| badness(scenario.status))
        .expect("an item is recorded by at least one run");
    worst.runs = runs;
    worst
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Verdict;

    fn run(statuses: &[(&str, usize, Status)], skipped: &[(&str, usize)]) -> RunRecord {
        RunRecord {
            target: "t".into(),
            features: vec![FeatureRecord {
                name: "f".into(),
                file: "f.feature".into(),
                tags: Vec::new(),
                scenarios: statuses
                    .iter()
                    .map(|&(name, line, status)| ScenarioRecord {
                        status,
                        ..ScenarioRecord::new(name.into(), line, Vec::new())
                    })
                    .collect(),
            }],
            skipped: skipped
                .iter()
                .map(|&(name, line)| SkippedScenario {
                    feature: "f".into(),
                    file: "f.feature".into(),
                    name: name.into(),
                    line,
                    tags: vec!["stack".into()],
                    reason: "needs a @stack target".into(),
                })
                .collect(),
            ..RunRecord::default()
        }
    }

    fn status_of<'a>(dossier: &'a RunRecord, name: &str) -> &'a ScenarioRecord {
        dossier
            .scenarios()
            .map(|(_, s)| s)
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{name} in the dossier"))
    }

    #[test]
    fn the_worst_status_wins_and_every_run_is_shown() {
        use Status::*;
        let manifests = run(
            &[
                ("probes", 3, Passed),
                ("tls", 9, NotApplicable),
                ("hpa", 12, Passed),
            ],
            &[("live", 20)],
        );
        let cluster = run(
            &[
                ("probes", 3, Failed),
                ("tls", 9, Passed),
                ("live", 20, NotEvaluated),
            ],
            &[],
        );
        let dossier = combine(vec![
            ("manifests".into(), manifests),
            ("cluster".into(), cluster),
        ]);
        let probes = status_of(&dossier, "probes");
        assert_eq!(probes.status, Failed, "a conflict: the worst wins");
        assert_eq!(
            probes.runs,
            vec![
                RunOutcome {
                    source: "manifests".into(),
                    status: Passed
                },
                RunOutcome {
                    source: "cluster".into(),
                    status: Failed
                },
            ]
        );
        assert_eq!(status_of(&dossier, "tls").status, Passed, "proven once");
        assert_eq!(status_of(&dossier, "hpa").runs.len(), 1, "with its source");
        assert_eq!(status_of(&dossier, "live").status, NotEvaluated);
        assert!(dossier.skipped.is_empty(), "a run ran it: not 'not run'");
        assert_eq!(dossier.sources.len(), 2);
        assert_eq!(dossier.verdict(), Verdict::NotReady);
        let lines: Vec<usize> = dossier.features[0]
            .scenarios
            .iter()
            .map(|s| s.line)
            .collect();
        assert_eq!(lines, [3, 9, 12, 20]);
    }

    #[test]
    fn an_item_no_run_ran_stays_not_run_with_every_reason() {
        let a = run(&[("probes", 3, Status::Passed)], &[("live", 20)]);
        let b = run(&[("probes", 3, Status::Passed)], &[("live", 20)]);
        let dossier = combine(vec![("a".into(), a), ("b".into(), b)]);
        assert_eq!(dossier.skipped.len(), 1);
        assert_eq!(
            dossier.skipped[0].reason,
            "a: needs a @stack target; b: needs a @stack target"
        );
        assert_eq!(dossier.verdict(), Verdict::Ready);
    }

    #[test]
    fn input_errors_keep_their_run_and_profiles_must_agree() {
        let mut a = run(&[("probes", 3, Status::Passed)], &[]);
        a.profile = Some(crate::config::Profile::production());
        let mut b = a.clone();
        b.profile = Some(crate::config::Profile {
            name: "staging".into(),
            ..crate::config::Profile::production()
        });
        b.input_errors.push(InputError::new("x.yaml:3", "broken"));
        let dossier = combine(vec![("a".into(), a), ("b".into(), b)]);
        let places: Vec<&str> = dossier
            .input_errors
            .iter()
            .map(|e| e.place.as_str())
            .collect();
        assert_eq!(places, ["b", "b: x.yaml:3"]);
        assert_eq!(dossier.verdict(), Verdict::CouldNotEvaluate);
    }
}
