//! `summary.md`: the verdict and its counts, a table of checklist items,
//! why each not applicable item had nothing to judge, a table of findings
//! with their file:line and, for a running system, what each runtime step
//! observed — ready to paste into a merge request. Every text from the
//! input goes through [`super::safe`]'s Markdown helpers, so no name can
//! break a table or start markup.

use std::fmt::Write as _;

use super::safe::{markdown as cell, markdown_code as code};
use crate::failover::timeline::optional_seconds;
use crate::load::outcome::Campaign;
use crate::record::Changes;
use crate::record::{RunRecord, Status};
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
    if record.stack.is_some() || record.features.is_empty() && !record.campaigns.is_empty() {
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
    if !record.sources.is_empty() {
        let _ = writeln!(
            out,
            "### Runs combined\n\n| Run | Target | Its verdict | Duration |\n|---|---|---|---|"
        );
        for source in &record.sources {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1} s |",
                code(&source.name),
                cell(&source.target),
                source.verdict.label(),
                source.duration_ms / 1000.0
            );
        }
        out.push('\n');
    }
    if let Some(changes) = &record.changes {
        out.push_str(&changes_section(changes));
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
        let mut result = status_label(scenario.status).to_string();
        if !scenario.runs.is_empty() {
            let runs: Vec<String> = scenario
                .runs
                .iter()
                .map(|run| format!("{}: {}", cell(&run.source), run.status.label()))
                .collect();
            let _ = write!(result, " ({})", runs.join(", "));
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&scenario.name),
            cell(&feature.name),
            result,
            findings
        );
    }
    for campaign in &record.campaigns {
        out.push_str(&campaign_section(campaign));
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
                .chain(t.steps.iter().cloned())
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

/// A figure in milliseconds as the reports show it (`–` when none).
pub(crate) fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{v:.1}"))
}

/// A load campaign: its items (targets, baseline), the comparison with
/// the baseline, and the steady phase's figures per request.
fn campaign_section(campaign: &Campaign) -> String {
    let mut out = format!("\n### Load campaign {}\n\n", cell(&campaign.profile));
    if !campaign.description.is_empty() {
        let _ = writeln!(out, "{}\n", cell(&campaign.description));
    }
    let _ = write!(
        out,
        "Destination {} · steady phase {:.0} s · {} requests",
        cell(&campaign.destination),
        campaign.steady_seconds,
        campaign.steady.requests,
    );
    if let Some(rps) = campaign.steady_rps {
        let _ = write!(out, " · {rps:.1} requests/s");
    }
    let _ = writeln!(out, "\n\nWhat is measured: {}.\n", cell(&campaign.measured));
    let _ = writeln!(out, "| Target | Result | Measured |\n|---|---|---|");
    for item in campaign.items() {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            cell(&item.title),
            status_label(item.status),
            cell(&item.detail)
        );
    }
    if let Some(comparison) = &campaign.comparison {
        let _ = writeln!(
            out,
            "\n#### Compared with {} (tolerance {} %)\n\n| Scope | Metric | Baseline | Now | Change | |\n|---|---|---|---|---|---|",
            cell(&comparison.baseline_file),
            comparison.tolerance_percent
        );
        for row in &comparison.rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&row.scope),
                row.metric,
                ms(row.baseline),
                ms(row.current),
                row.change_text(),
                if row.regression { "❌ regression" } else { "" }
            );
        }
    }
    let _ = writeln!(
        out,
        "\n#### Requests (steady phase)\n\n| Request | Requests | Errors | p50 ms | p95 ms | p99 ms | max ms | Statuses |\n|---|---|---|---|---|---|---|---|"
    );
    let all = std::iter::once(("all", &campaign.steady))
        .chain(campaign.requests.iter().map(|(name, f)| (name.as_str(), f)));
    for (name, figures) in all {
        let statuses: Vec<String> = figures
            .statuses
            .iter()
            .map(|(status, n)| format!("{n}×{}", cell(status)))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(name),
            figures.requests,
            figures.failures,
            ms(figures.p50_ms),
            ms(figures.p95_ms),
            ms(figures.p99_ms),
            ms(figures.max_ms),
            statuses.join(", ")
        );
    }
    out
}

/// What changed since the baseline dossier.
fn changes_section(changes: &Changes) -> String {
    let mut out = format!("### Changes since {}\n\n", code(&changes.baseline));
    let lists = [
        ("New findings", &changes.new_findings),
        ("Fixed findings", &changes.fixed_findings),
        (
            "Judged in the baseline, not now",
            &changes.newly_not_evaluated,
        ),
    ];
    for (title, lines) in lists {
        let _ = writeln!(out, "**{title}**: {}\n", lines.len());
        for line in lines.iter() {
            let _ = writeln!(out, "- {}", cell(line));
        }
        if !lines.is_empty() {
            out.push('\n');
        }
    }
    if !changes.figures.is_empty() {
        let _ = writeln!(out, "| Figure | Baseline | Now |\n|---|---|---|");
        for figure in &changes.figures {
            let _ = writeln!(
                out,
                "| {} | {:.2} {} | {:.2} {} |",
                cell(&figure.figure),
                figure.baseline,
                cell(&figure.unit),
                figure.now,
                cell(&figure.unit)
            );
        }
        out.push('\n');
    }
    out
}
