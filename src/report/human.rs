//! The terminal summary printed at the end of `golive run`: one line per
//! checklist item, the findings under the items that failed, and the
//! verdict. Plain text, so CI logs stay readable.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::markdown::target_line;
use crate::runner::record::{RunRecord, Status};
use crate::verdict::Verdict;

pub fn render(record: &RunRecord, verdict: Verdict, reports: &[PathBuf]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "golive {}: {}",
        record.golive_version,
        target_line(record)
    );
    for error in &record.input_errors {
        let _ = writeln!(out, "  error: {error}");
    }
    for feature in &record.features {
        let _ = writeln!(out, "\n{} ({})", feature.name, feature.file);
        for scenario in &feature.scenarios {
            let mark = match scenario.status {
                Status::Passed => "ok  ",
                Status::Failed => "FAIL",
                Status::CouldNotEvaluate => "ERR ",
                Status::NotEvaluated => "--  ",
                Status::NotApplicable => "n/a ",
            };
            let evaluated: usize = scenario.checks.iter().map(|c| c.evaluated).sum::<usize>()
                + scenario.observations.len();
            let suppressed: usize = scenario
                .checks
                .iter()
                .flat_map(|c| &c.findings)
                .filter(|f| !f.is_active())
                .count();
            let mut detail = format!("{evaluated} evaluated");
            if suppressed > 0 {
                let _ = write!(detail, ", {suppressed} suppressed");
            }
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
    if record.scenarios().next().is_none() {
        let _ = writeln!(
            out,
            "\nNothing was evaluated: no scenario ran (see the errors above, --tags and --checks)."
        );
    }
    let (passed, total) = (
        record
            .scenarios()
            .filter(|(_, s)| s.status == Status::Passed)
            .count(),
        record.scenarios().count(),
    );
    let _ = writeln!(
        out,
        "\n{}: {passed} of {total} checklist items passed.",
        verdict.label()
    );
    if !reports.is_empty() {
        let names: Vec<String> = reports.iter().map(|p| p.display().to_string()).collect();
        let _ = writeln!(out, "Reports: {}", names.join(", "));
    }
    out
}
