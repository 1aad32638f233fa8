//! `report.html`, the go-live dossier a release manager signs: one
//! self-contained page (inline CSS, inline SVG charts, no script, nothing
//! fetched) that renders in a browser and prints to PDF. It holds the
//! verdict, the run's facts and input errors, the runs a combined dossier
//! was made from and what changed since a baseline, the checklist grouped
//! as the seed groups it with each line's status, items and evidence
//! (findings, observations, failover figures and charts), what the run
//! left out and why, the coverage table, and the load campaigns with their
//! charts. Every text from the input goes through [`safe::html`].
//!
//! Statuses are in `data-status` attributes (`passed`, `failed`,
//! `could-not-evaluate`, `not-evaluated`, `not-applicable`, `not-run`,
//! `no-item`) and in words, so the page reads in black and white.

mod chart;
mod checklist;
mod evidence;
mod failover;
mod load;
mod page;
mod runs;

use crate::checklist::coverage::coverage;
use crate::record::{RunRecord, Status};
use crate::report::safe;
use crate::verdict::Verdict;

/// A status as an HTML attribute value.
fn status_slug(status: Status) -> &'static str {
    match status {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::CouldNotEvaluate => "could-not-evaluate",
        Status::NotEvaluated => "not-evaluated",
        Status::NotApplicable => "not-applicable",
    }
}

/// The page.
pub fn render(record: &RunRecord, verdict: Verdict) -> String {
    let verdict_slug = match verdict {
        Verdict::Ready => "ready",
        Verdict::NotReady => "not-ready",
        Verdict::CouldNotEvaluate => "could-not-evaluate",
    };
    let lines = coverage(record);
    let campaigns: String = record.campaigns.iter().map(load::campaign).collect();
    let campaigns = if campaigns.is_empty() {
        campaigns
    } else {
        format!(r#"<h2 id="load">Load campaigns</h2>{campaigns}"#)
    };
    let body = format!(
        r#"<div class="banner" data-verdict="{verdict_slug}"><h1>golive: {label}</h1><p>{line}</p></div>
{facts}{errors}{sources}{changes}
{checklist}
{skipped}
{coverage}
{campaigns}"#,
        label = verdict.label(),
        line = safe::html(&super::verdict_line(record, verdict)),
        facts = runs::facts(record),
        errors = runs::input_errors(record),
        sources = runs::sources(&record.sources),
        changes = runs::changes(record.changes.as_ref()),
        checklist = checklist::sections(record, &lines),
        skipped = runs::skipped(record),
        coverage = checklist::coverage_table(&lines),
    );
    page::page(
        &format!(
            "golive dossier: {} — {}",
            verdict.label(),
            safe::html(&record.target)
        ),
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::InputError;
    use crate::evidence::{CheckOutcome, Finding, Observation};
    use crate::model::{ObjectRef, SourceLocation};
    use crate::record::{
        Changes, FeatureRecord, RunOutcome, ScenarioRecord, SkippedScenario, SourceRun, StepRecord,
    };
    use crate::severity::Severity;

    /// Text a manifest, a feature or a baseline may hold.
    const HOSTILE: &str = "x\u{1b}[31m</td></tr><script>alert(1)</script>\"' onload=\"y\u{0}";

    fn hostile_record() -> RunRecord {
        let h = || HOSTILE.to_string();
        let finding = Finding {
            check: "probe.liveness",
            severity: Severity::High,
            object: ObjectRef {
                kind: h(),
                namespace: Some(h()),
                name: h(),
            },
            container: Some(h()),
            field: h(),
            location: SourceLocation {
                file: HOSTILE.into(),
                line: 3,
                column: 1,
            },
            expected: h(),
            found: h(),
            suppressed: Some(h()),
            note: Some(h()),
        };
        let scenario = ScenarioRecord {
            status: Status::Failed,
            reason: Some(h()),
            steps: vec![StepRecord {
                keyword: h(),
                text: h(),
                line: 4,
                status: Status::Failed,
                message: Some(h()),
            }],
            checks: vec![CheckOutcome {
                check: "probe.liveness",
                title: "t",
                severity: Severity::High,
                judges: "container",
                evaluated: 1,
                findings: vec![finding],
            }],
            observations: vec![Observation {
                item: "tls.old-protocols",
                subject: h(),
                passed: false,
                facts: vec![h()],
            }],
            runs: vec![RunOutcome {
                source: h(),
                status: Status::Passed,
            }],
            ..ScenarioRecord::new(h(), 3, vec!["GL-APP-02".into(), h()])
        };
        RunRecord {
            target: h(),
            input_errors: vec![InputError::new(HOSTILE, HOSTILE)],
            features: vec![FeatureRecord {
                name: h(),
                file: h(),
                tags: vec![h()],
                scenarios: vec![scenario.clone(), ScenarioRecord::new(h(), 9, Vec::new())],
            }],
            skipped: vec![SkippedScenario {
                feature: h(),
                file: h(),
                name: h(),
                line: 1,
                reason: h(),
                tags: vec!["GL-SEC-05".into()],
            }],
            sources: vec![SourceRun {
                name: h(),
                target: h(),
                verdict: Verdict::Ready,
                duration_ms: 1.0,
            }],
            changes: Some(Changes {
                baseline: h(),
                new_findings: vec![h()],
                fixed_findings: vec![h()],
                newly_not_evaluated: vec![h()],
                figures: Vec::new(),
            }),
            ..RunRecord::default()
        }
    }

    #[test]
    fn the_dossier_carries_no_markup_from_its_input() {
        let page = render(&hostile_record(), Verdict::CouldNotEvaluate);
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains(" onload=\""), "{page}");
        assert!(!page.contains('\u{1b}') && !page.contains('\u{0}'));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("\\x1b[31m"), "controls shown visibly");
        // Every table row the page opens, it closes: no cell was ended by
        // the input.
        assert_eq!(page.matches("<tr").count(), page.matches("</tr>").count());
    }

    #[test]
    fn each_line_shows_its_status_and_the_lines_nothing_proves() {
        let page = render(&hostile_record(), Verdict::CouldNotEvaluate);
        assert!(page.contains(r#"data-line="GL-APP-02" data-status="failed""#));
        assert!(page.contains(r#"data-line="GL-SEC-05" data-status="not-run""#));
        assert!(page.contains(r#"data-line="GL-INF-04" data-status="no-item""#));
        assert!(page.contains("Items no checklist line names"));
        assert!(
            !page.contains(r#"data-conflict="true""#),
            "one run, no conflict"
        );
        assert!(page.contains("@media print") && page.contains("break-inside: avoid"));
    }
}
