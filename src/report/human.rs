//! The terminal summary printed at the end of `golive run` and `golive
//! load`: one line per checklist item (what it evaluated, or why it was not
//! applicable), the findings under the items that failed, each load
//! target with its figure, and the verdict with the count of each outcome. Plain text, so CI logs stay readable.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::markdown::target_line;
use super::safe;
use crate::record::{RunRecord, ScenarioRecord, Status};
use crate::verdict::Verdict;

/// `N evaluated[, M suppressed]`: what a scenario judged.
fn evaluated(scenario: &ScenarioRecord) -> String {
    let suppressed = scenario
        .checks
        .iter()
        .flat_map(|c| &c.findings)
        .filter(|f| !f.is_active())
        .count();
    let mut detail = format!("{} evaluated", scenario.evaluated());
    if suppressed > 0 {
        let _ = write!(detail, ", {suppressed} suppressed");
    }
    detail
}

/// How the terminal marks an item's status.
fn mark(status: Status) -> &'static str {
    match status {
        Status::Passed => "ok  ",
        Status::Failed => "FAIL",
        Status::CouldNotEvaluate => "ERR ",
        Status::NotEvaluated => "--  ",
        Status::NotApplicable => "n/a ",
    }
}

/// The summary, with the text taken from the input made safe for a
/// terminal ([`safe::terminal`]).
pub fn render(record: &RunRecord, verdict: Verdict, reports: &[PathBuf]) -> String {
    safe::terminal(&summary(record, verdict, reports))
}

fn summary(record: &RunRecord, verdict: Verdict, reports: &[PathBuf]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "golive {}: {}",
        record.golive_version,
        target_line(record)
    );
    for source in &record.sources {
        let _ = writeln!(
            out,
            "  run {}: {} ({})",
            source.name,
            source.verdict.label(),
            source.target
        );
    }
    if let Some(changes) = &record.changes {
        let _ = writeln!(
            out,
            "  since {}: {} new finding(s), {} fixed, {} item(s) no longer judged, {} figure(s) moved",
            changes.baseline,
            changes.new_findings.len(),
            changes.fixed_findings.len(),
            changes.newly_not_evaluated.len(),
            changes.figures.len()
        );
    }
    for error in &record.input_errors {
        let _ = writeln!(out, "  error: {error}");
    }
    for feature in &record.features {
        let _ = writeln!(out, "\n{} ({})", feature.name, feature.file);
        for scenario in &feature.scenarios {
            let mark = mark(scenario.status);
            let detail = match scenario.status {
                Status::NotApplicable => scenario.why_not_applicable().to_string(),
                _ => evaluated(scenario),
            };
            let _ = writeln!(out, "  {mark} {}  [{detail}]", scenario.name);
            // The figures a release manager signs, unless a step's
            // message below already gives them.
            for summary in scenario.failover.iter().map(|t| t.summary()) {
                let told = scenario
                    .steps
                    .iter()
                    .any(|s| s.message.as_deref().is_some_and(|m| m.contains(&summary)));
                if !told {
                    let _ = writeln!(out, "       {summary}");
                }
            }
            for step in scenario.steps.iter().filter(|s| s.status != Status::Passed) {
                let _ = writeln!(
                    out,
                    "       {} {} (line {})",
                    step.keyword, step.text, step.line
                );
                for line in step.message.as_deref().unwrap_or("").lines() {
                    let _ = writeln!(out, "         {line}");
                }
            }
        }
    }
    for campaign in &record.campaigns {
        let _ = writeln!(
            out,
            "\nload campaign {} to {}: {} requests in the steady phase ({:.0} s)",
            campaign.profile,
            campaign.destination,
            campaign.steady.requests,
            campaign.steady_seconds
        );
        for item in campaign.items() {
            let _ = writeln!(out, "  {} {}", mark(item.status), item.detail);
        }
    }
    if let Some(stack) = &record.stack {
        let _ = writeln!(out);
        for line in super::stack_lines(stack) {
            let _ = writeln!(out, "{line}");
        }
    }
    if !record.skipped.is_empty() {
        let _ = writeln!(
            out,
            "\n{} scenario(s) not run in this run (see summary.md)",
            record.skipped.len()
        );
    }
    if record.interrupted {
        let _ = writeln!(out, "\nThe run was interrupted.");
    }
    let statuses = record.statuses();
    if statuses.is_empty() {
        let _ = writeln!(
            out,
            "\nNothing was evaluated: no item ran (see the errors above, --tags and --checks)."
        );
    }
    let judged_nothing = statuses.iter().all(|s| *s == Status::NotApplicable);
    if judged_nothing && !statuses.is_empty() {
        let _ = writeln!(
            out,
            "\nNothing was judged: no item found anything to evaluate in the target."
        );
    }
    let _ = writeln!(out, "\n{}", super::verdict_line(record, verdict));
    if !reports.is_empty() {
        let names: Vec<String> = reports.iter().map(|p| p.display().to_string()).collect();
        let _ = writeln!(out, "Reports: {}", names.join(", "));
    }
    out
}
