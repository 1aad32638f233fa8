//! `summary.md`: the verdict and its counts, a table of checklist items,
//! why each not applicable item had nothing to judge, a table of findings
//! with their file:line and, for a running system, what each runtime step
//! observed — ready to paste into a merge request. Every text from the
//! input goes through [`super::safe`]'s Markdown helpers, so no name can
//! break a table or start markup.

use std::fmt::Write as _;

use super::safe::{markdown as cell, markdown_code as code};
use crate::failover::timeline::optional_seconds;
use crate::runner::record::{RunRecord, Status};
use crate::verdict::Verdict;

pub(super) fn status_label(status: Status) -> &'static str {
    match status {
        Status::Passed => "✅ passed",
        Status::Failed => "❌ failed",
        Status::CouldNotEvaluate => "⚠️ could not evaluate",
        Status::NotEvaluated => "⏸ not evaluated",
        Status::NotApplicable => "➖ not applicable",
    }
}

/// One line describing the target and inventory, shared with the terminal.
pub fn target_line(record: &RunRecord) -> String {
    let profile = record.profile.as_ref().map_or("-", |p| p.name.as_str());
    if record.stack.is_some() {
        return format!("target {} · profile {profile}", record.target);
    }
    let mut line = format!(
        "target {} · profile {} · {} objects, {} workloads",
        record.target, profile, record.inventory.objects, record.inventory.workloads
    );
    if !record.inventory.dynamic.is_empty() {
        let kinds: Vec<String> = record
            .inventory
            .dynamic
            .iter()
            .map(|(kind, n)| format!("{kind} ×{n}"))
            .collect();
        let _ = write!(
            line,
            " · kinds read as untyped data (only checks that know them look inside): {}",
            kinds.join(", ")
        );
    }
    line
}

pub fn render(record: &RunRecord, verdict: Verdict) -> String {
    let icon = match verdict {
        Verdict::Ready => "✅",
        Verdict::NotReady => "❌",
        Verdict::CouldNotEvaluate => "⚠️",
    };
    let mut out = String::new();
    let _ = writeln!(out, "## golive: {icon} {}\n", verdict.label());
    let _ = writeln!(out, "**{}**\n", super::verdict_line(record, verdict));
    let _ = writeln!(out, "{}\n", cell(&target_line(record)));
    if let Some(stack) = &record.stack {
        // golive's own words about names it validated: a command to copy.
        for line in super::stack_lines(stack) {
            let _ = writeln!(out, "{line}  ");
        }
        out.push('\n');
    }
    if record.interrupted {
        let _ = writeln!(
            out,
            "**The run was interrupted**: scenarios that had not finished are marked not evaluated.\n"
        );
    }
    if !record.input_errors.is_empty() {
        let _ = writeln!(out, "### Input errors\n\n| Where | Problem |\n|---|---|");
        for error in &record.input_errors {
            let _ = writeln!(out, "| {} | {} |", code(&error.place), cell(&error.message));
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "### Checklist\n\n| Item | Feature | Result | Findings |\n|---|---|---|---|"
    );
    for (feature, scenario) in record.scenarios() {
        let active_findings: usize = scenario
            .checks
            .iter()
            .map(|c| c.active_findings().count())
            .sum();
        let suppressed = scenario
            .checks
            .iter()
            .map(|c| c.findings.len())
            .sum::<usize>()
            - active_findings;
        // A failed runtime observation counts as a finding.
        let active = active_findings + scenario.observations.iter().filter(|o| !o.passed).count();
        let findings = if scenario.status == Status::NotApplicable {
            "–".to_string()
        } else if suppressed > 0 {
            format!("{active} ({suppressed} suppressed)")
        } else {
            active.to_string()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&scenario.name),
            cell(&feature.name),
            status_label(scenario.status),
            findings
        );
    }
    let problems: Vec<String> = record
        .scenarios()
        .flat_map(|(_, s)| {
            s.steps
                .iter()
                .filter(|step| step.status == Status::CouldNotEvaluate)
                .map(move |step| (s, step))
        })
        .map(|(s, step)| {
            format!(
                "| {} | {} {} | {} |",
                cell(&s.name),
                cell(&step.keyword),
                cell(&step.text),
                cell(step.message.as_deref().unwrap_or(""))
            )
        })
        .collect();
    let not_applicable: Vec<String> = record
        .scenarios()
        .filter(|(_, s)| s.status == Status::NotApplicable)
        .map(|(feature, s)| {
            format!(
                "| {} | {} | {} |",
                cell(&s.name),
                cell(&feature.name),
                cell(s.why_not_applicable())
            )
        })
        .collect();
    if !not_applicable.is_empty() {
        let _ = writeln!(
            out,
            "\n### Not applicable: nothing to judge in the target\n\n| Item | Feature | Why |\n|---|---|---|\n{}",
            not_applicable.join("\n")
        );
    }
    if !problems.is_empty() {
        let _ = writeln!(
            out,
            "\n### Could not evaluate\n\n| Item | Step | Why |\n|---|---|---|\n{}",
            problems.join("\n")
        );
    }
    let failovers: Vec<_> = record
        .scenarios()
        .flat_map(|(_, s)| s.failover.iter().map(move |t| (s, t)))
        .collect();
    if !failovers.is_empty() {
        let _ = writeln!(
            out,
            "\n### Failover (charts in report.html)\n\n| Item | Disruption | Steady before | First failure | RTO | Failed attempts | Slowest | Promoted | Writes lost |\n|---|---|---|---|---|---|---|---|---|"
        );
        for (scenario, t) in failovers {
            let disruption: Vec<String> = std::iter::once(t.disruption.clone())
                .chain(t.conditions.iter().map(|c| format!("while {c}")))
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} of {} | {:.2} s | {} | {} |",
                cell(&scenario.name),
                cell(&disruption.join(", ")),
                if t.steady_before {
                    "held"
                } else {
                    "**not held**"
                },
                optional_seconds(t.first_failure_after_s, "-"),
                optional_seconds(
                    t.recovered_after_s,
                    &format!("**not recovered** in {:.1} s", t.watched_s)
                ),
                t.failed,
                t.attempts,
                t.slowest_attempt_s,
                t.promoted
                    .as_ref()
                    .map_or("-".into(), |p| cell(&p.describe())),
                t.writes
                    .as_ref()
                    .map_or("-".into(), |w| cell(&w.describe())),
            );
        }
    }
    let observations: Vec<_> = record
        .scenarios()
        .flat_map(|(_, s)| s.observations.iter())
        .collect();
    if !observations.is_empty() {
        let _ = writeln!(
            out,
            "\n### Observed on the running system\n\n| Item | Subject | Result | What was seen |\n|---|---|---|---|"
        );
        for o in observations {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                code(o.item),
                cell(&o.subject),
                if o.passed { "✅" } else { "❌" },
                cell(&o.facts.join("\n"))
            );
        }
    }
    let findings: Vec<_> = record
        .scenarios()
        .flat_map(|(_, s)| s.checks.iter().flat_map(|c| c.findings.iter()))
        .collect();
    if !findings.is_empty() {
        let _ = writeln!(
            out,
            "\n### Findings\n\n| Check | Severity | Object | Container | Field | Location | Expected | Found | Status |\n|---|---|---|---|---|---|---|---|---|"
        );
        for f in findings {
            let status = match (&f.suppressed, &f.note) {
                (Some(reason), _) => format!("suppressed: {}", cell(reason)),
                (None, Some(note)) => format!("open ({})", cell(note)),
                (None, None) => "open".into(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                code(f.check),
                f.severity,
                code(&f.object.to_string()),
                f.container.as_deref().map_or("-".into(), code),
                code(&f.field),
                code(&f.location.to_string()),
                cell(&f.expected),
                cell(&f.found),
                status
            );
        }
    }
    if !record.skipped.is_empty() {
        let _ = writeln!(
            out,
            "\n### Not run in this run\n\n| Item | Feature | Why |\n|---|---|---|"
        );
        for s in &record.skipped {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                cell(&s.name),
                cell(&s.feature),
                cell(&s.reason)
            );
        }
    }
    out
}
