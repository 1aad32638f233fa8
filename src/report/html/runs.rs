//! The head of the dossier and what surrounds the checklist: the run's
//! facts (target, inventory, profile, golive version, duration, stack), its input
//! errors, the runs a combined dossier was made from, what changed since a
//! baseline, and every item the run left out, with why.

use std::fmt::Write as _;

use crate::record::{Changes, RunRecord, SourceRun};
use crate::report::safe::html;

/// Target, profile, version, duration; the stack and an interruption.
pub fn facts(record: &RunRecord) -> String {
    let profile = record.profile.as_ref().map_or("–", |p| p.name.as_str());
    let inventory = &record.inventory;
    let mut out = format!(
        r#"<table class="facts"><tr><th>Target</th><td>{}</td></tr><tr><th>Inventory</th><td>{} objects, {} workloads</td></tr><tr><th>Profile</th><td>{}</td></tr><tr><th>golive</th><td>{}</td></tr><tr><th>Duration</th><td>{:.1} s</td></tr></table>"#,
        html(&record.target),
        inventory.objects,
        inventory.workloads,
        html(profile),
        html(record.golive_version),
        record.duration_ms / 1000.0,
    );
    if let Some(stack) = &record.stack {
        let lines: Vec<String> = crate::report::stack_lines(stack)
            .iter()
            .map(|l| html(l))
            .collect();
        let _ = write!(out, "<pre class=\"stack\">{}</pre>", lines.join("\n"));
    }
    if record.interrupted {
        out.push_str("<p class=\"conflict\">The run was interrupted: items that had not finished are marked not evaluated.</p>");
    }
    out
}

/// The input errors (place: message), when any.
pub fn input_errors(record: &RunRecord) -> String {
    if record.input_errors.is_empty() {
        return String::new();
    }
    let items: String = record
        .input_errors
        .iter()
        .map(|e| {
            format!(
                "<li><code>{}</code>: {}</li>",
                html(&e.place),
                html(&e.message)
            )
        })
        .collect();
    format!("<h2>Input errors</h2><ul class=\"input-errors\">{items}</ul>")
}

/// The runs a combined dossier was made from.
pub fn sources(sources: &[SourceRun]) -> String {
    if sources.is_empty() {
        return String::new();
    }
    let rows: String = sources
        .iter()
        .map(|s| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1} s</td></tr>",
                html(&s.name),
                html(&s.target),
                s.verdict.label(),
                s.duration_ms / 1000.0
            )
        })
        .collect();
    format!(
        "<h2>Runs combined in this dossier</h2><table class=\"sources\"><tr><th>Run</th><th>Target</th><th>Its verdict</th><th>Duration</th></tr>{rows}</table>"
    )
}

fn list(title: &str, class: &str, lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let items: Vec<String> = lines.iter().map(|l| html(l)).collect();
    format!(
        "<h3>{title}</h3><ul class=\"{class}\"><li>{}</li></ul>",
        items.join("</li><li>")
    )
}

/// What changed since the baseline dossier.
pub fn changes(changes: Option<&Changes>) -> String {
    let Some(changes) = changes else {
        return String::new();
    };
    let figures: String = changes
        .figures
        .iter()
        .map(|f| {
            format!(
                "<tr><td>{}</td><td>{} {unit}</td><td>{} {unit}</td></tr>",
                html(&f.figure),
                f.baseline,
                f.now,
                unit = html(&f.unit)
            )
        })
        .collect();
    let figures = if figures.is_empty() {
        String::new()
    } else {
        format!(
            "<h3>Figures that moved</h3><table class=\"figures\"><tr><th>Figure</th><th>Baseline</th><th>Now</th></tr>{figures}</table>"
        )
    };
    format!(
        "<h2>Changes since {}</h2>{}{}{}{figures}",
        html(&changes.baseline),
        list("New findings", "new-findings", &changes.new_findings),
        list("Fixed findings", "fixed-findings", &changes.fixed_findings),
        list(
            "Newly not evaluated",
            "newly-not-evaluated",
            &changes.newly_not_evaluated
        ),
    )
}

/// Every item the run left out, and why.
pub fn skipped(record: &RunRecord) -> String {
    if record.skipped.is_empty() {
        return String::new();
    }
    let rows: String = record
        .skipped
        .iter()
        .map(|s| {
            format!(
                r#"<tr data-status="not-run"><td>{}</td><td>{}</td><td><code>{}:{}</code></td><td>{}</td></tr>"#,
                html(&s.name),
                html(&s.feature),
                html(&s.file),
                s.line,
                html(&s.reason)
            )
        })
        .collect();
    format!(
        "<h2>Not run in this run</h2><table class=\"skipped\"><tr><th>Item</th><th>Feature</th><th>Where</th><th>Why</th></tr>{rows}</table>"
    )
}
