//! Reporters: siblings that read a finished (or interrupted) [`RunRecord`]
//! and write one file each under the report directory: `junit.xml` for CI,
//! `summary.json` for machines, `summary.md` for a merge request, and
//! `report.html`, the go-live dossier (`html`). The terminal summary
//! (`human`) is one more sibling. None of them runs checks. Text from the
//! input reaches every one of them through [`safe`], whatever it holds.

pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod safe;

use std::path::{Path, PathBuf};

use crate::error::InputError;
use crate::record::{RunRecord, Status};
use crate::stack::StackRecord;
use crate::verdict::Verdict;

/// The verdict with how many items ended each way, the closing line of the
/// terminal and the opening line of `summary.md`:
/// `NOT READY: 3 failed, 40 passed, 6 not applicable`. Items that were not
/// applicable are counted apart: they neither passed nor failed.
pub fn verdict_line(record: &RunRecord, verdict: Verdict) -> String {
    let statuses = record.statuses();
    let counts: Vec<String> = [
        (Status::Failed, "failed"),
        (Status::CouldNotEvaluate, "could not evaluate"),
        (Status::NotEvaluated, "not evaluated"),
        (Status::Passed, "passed"),
        (Status::NotApplicable, "not applicable"),
    ]
    .into_iter()
    .filter_map(|(status, label)| {
        let n = statuses.iter().filter(|s| **s == status).count();
        (n > 0).then(|| format!("{n} {label}"))
    })
    .collect();
    if counts.is_empty() {
        format!("{}: no checklist item ran", verdict.label())
    } else {
        format!("{}: {}", verdict.label(), counts.join(", "))
    }
}

/// What became of a run's stack, one line each: started, then kept (with
/// its endpoints and how to remove it) or removed.
pub fn stack_lines(stack: &StackRecord) -> Vec<String> {
    let mut lines = Vec::new();
    let name = stack.name.as_deref().unwrap_or("(not started)");
    match stack.started_in_s {
        Some(seconds) => lines.push(format!(
            "stack {name} (run {}): {} container(s) healthy in {seconds:.1} s",
            stack.run_id,
            stack.instances.len()
        )),
        None => lines.push(format!(
            "stack from {} (run {}): not started",
            stack.file, stack.run_id
        )),
    }
    if stack.kept {
        lines.push("left running (--keep); endpoints:".into());
        for (endpoint, urls) in &stack.endpoints {
            lines.push(format!("  {endpoint}: {}", urls.join(", ")));
        }
        let filter = stack.engine_filter();
        let files = stack
            .work_dir
            .as_deref()
            .map(|dir| format!(" && rm -rf {dir}"))
            .unwrap_or_default();
        lines.push(format!(
            "remove it with: docker rm -f $(docker ps -aq --filter {filter}) && docker network prune -f --filter {filter}{files}"
        ));
    }
    if let Some(removed) = &stack.removed {
        lines.push(match &removed.error {
            None => format!(
                "removed {} container(s) and {} network(s)",
                removed.containers, removed.networks
            ),
            Some(error) => format!("could not remove everything: {error}"),
        });
    }
    lines
}

/// Writes every report file into `dir` (created if needed) and returns
/// their paths.
pub fn write_all(
    record: &RunRecord,
    verdict: Verdict,
    dir: &Path,
) -> Result<Vec<PathBuf>, InputError> {
    let files = vec![
        ("junit.xml", junit::render(record)),
        ("summary.json", json::render(record, verdict)),
        ("summary.md", markdown::render(record, verdict)),
        ("report.html", html::render(record, verdict)),
    ];
    write_files(dir, files)
}

/// Writes `(file name, content)` pairs into `dir` (created if needed) and
/// returns their paths; the first failure names the directory or file.
pub fn write_files<'a>(
    dir: &Path,
    files: impl IntoIterator<Item = (&'a str, String)>,
) -> Result<Vec<PathBuf>, InputError> {
    let place = dir.display().to_string();
    std::fs::create_dir_all(dir)
        .map_err(|e| InputError::new(&place, format!("cannot create the report directory: {e}")))?;
    let mut written = Vec::new();
    for (name, content) in files {
        let path = dir.join(name);
        std::fs::write(&path, content).map_err(|e| {
            InputError::new(path.display().to_string(), format!("cannot write: {e}"))
        })?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{FeatureRecord, ScenarioRecord};

    fn record_of(statuses: &[Status]) -> RunRecord {
        let scenarios = statuses
            .iter()
            .enumerate()
            .map(|(line, &status)| ScenarioRecord {
                status,
                ..ScenarioRecord::new(format!("item {line}"), line, Vec::new())
            })
            .collect();
        RunRecord {
            features: vec![FeatureRecord {
                name: "f".into(),
                file: "f.feature".into(),
                tags: Vec::new(),
                scenarios,
            }],
            ..RunRecord::default()
        }
    }

    #[test]
    fn the_verdict_line_counts_each_outcome_apart_in_a_fixed_order() {
        use Status::*;
        let line = |statuses: &[Status]| {
            let record = record_of(statuses);
            verdict_line(&record, record.verdict())
        };
        assert_eq!(
            line(&[NotApplicable, Passed, Passed]),
            "READY: 2 passed, 1 not applicable"
        );
        assert_eq!(line(&[Passed]), "READY: 1 passed");
        assert_eq!(
            line(&[NotApplicable, Failed, Passed]),
            "NOT READY: 1 failed, 1 passed, 1 not applicable"
        );
        assert_eq!(
            line(&[Passed, NotEvaluated, CouldNotEvaluate, Failed]),
            "NOT READY: 1 failed, 1 could not evaluate, 1 not evaluated, 1 passed"
        );
        assert_eq!(
            line(&[Passed, CouldNotEvaluate]),
            "COULD NOT EVALUATE: 1 could not evaluate, 1 passed"
        );
        assert_eq!(
            line(&[NotApplicable, NotApplicable]),
            "COULD NOT EVALUATE: 2 not applicable"
        );
        assert_eq!(line(&[]), "COULD NOT EVALUATE: no checklist item ran");
    }

    /// Text a profile, a request name or an error may hold.
    const HOSTILE: &str = "x\u{1b}[31m|`]]><script>&\n# y\u{0}";

    /// A load run whose every text holds [`HOSTILE`].
    fn hostile_campaign() -> RunRecord {
        use crate::load::judge::{TargetResult, Verdict as Target};
        use crate::load::outcome::Campaign;
        use crate::load::record::{Phase, Record, Sample};
        let mut figures = Record::new(std::time::Duration::from_secs(1));
        let request = format!("GET {HOSTILE}");
        figures.add(&Sample {
            request: &request,
            at: std::time::Duration::ZERO,
            latency: std::time::Duration::from_millis(5),
            status: Ok(200),
            ok: true,
            phase: Phase::Steady,
        });
        let target = TargetResult {
            scope: HOSTILE.into(),
            metric: "p95_ms",
            target: 1.0,
            measured: Some(5.0),
            verdict: Target::Missed,
            missed_by: Some(HOSTILE.into()),
        };
        RunRecord {
            target: HOSTILE.into(),
            input_errors: vec![InputError::new(HOSTILE, HOSTILE)],
            campaigns: vec![Campaign::new(
                HOSTILE,
                HOSTILE,
                HOSTILE,
                &figures,
                vec![target],
            )],
            ..RunRecord::default()
        }
    }

    #[test]
    fn campaign_reports_stay_valid_whatever_their_texts_hold() {
        let record = hostile_campaign();
        let verdict = record.verdict();
        assert_eq!(verdict, Verdict::CouldNotEvaluate, "an input error");
        let xml = junit::render(&record);
        let document = roxmltree::Document::parse(&xml).expect("junit.xml is XML");
        let failure = document
            .descendants()
            .find(|n| n.has_tag_name("failure"))
            .expect("the missed target fails");
        let text: String = failure.children().filter_map(|n| n.text()).collect();
        assert!(text.contains("\\x1b[31m|`]]><script>&"), "{text}");
        let markdown = markdown::render(&record, verdict);
        assert_eq!(
            safe::tests::broken_table_rows(&markdown),
            Vec::<String>::new(),
            "{markdown}"
        );
        assert!(
            !markdown.contains("\n# y"),
            "a heading from the input\n{markdown}"
        );
        let terminal = human::render(&record, verdict, &[]);
        for text in [&xml, &markdown, &terminal] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{0}'),
                "{text}"
            );
        }
    }

    #[test]
    fn a_load_run_is_judged_by_the_same_rule_as_a_checklist() {
        let mut record = hostile_campaign();
        record.input_errors.clear();
        assert_eq!(record.verdict(), Verdict::NotReady, "a missed target");
        record.campaigns[0].targets[0].verdict = crate::load::judge::Verdict::Met;
        assert_eq!(record.verdict(), Verdict::Ready);
        record.campaigns[0].targets[0].verdict = crate::load::judge::Verdict::NotMeasured;
        assert_eq!(record.verdict(), Verdict::CouldNotEvaluate);
        record.campaigns[0].targets.clear();
        assert_eq!(
            record.verdict(),
            Verdict::CouldNotEvaluate,
            "a campaign without a target judged nothing"
        );
        assert_eq!(
            verdict_line(&record, record.verdict()),
            "COULD NOT EVALUATE: 1 could not evaluate"
        );
    }
}
