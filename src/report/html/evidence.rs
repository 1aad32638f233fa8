//! The evidence of one item (a scenario) as the dossier shows it under a
//! checklist line: its status, where it is written, how each run of a
//! combined dossier judged it (conflicts shown), the steps that did not
//! pass and why, its findings (check, object, container, field, expected
//! and found, file:line; suppressed ones marked), what it observed on a
//! running system, and its failover figures and charts.

use std::fmt::Write as _;

use super::{failover, status_slug};
use crate::evidence::{CheckOutcome, Finding, Observation};
use crate::record::{RunOutcome, ScenarioRecord, Status};
use crate::report::safe::html;

/// The item's block; `anchor` is its id in the page.
pub fn item(feature: &str, file: &str, scenario: &ScenarioRecord, anchor: &str) -> String {
    let status = scenario.status;
    let mut out = format!(
        r#"<div class="item" id="{anchor}" data-status="{slug}"><h5><span class="status">{label}</span> {name}</h5><p>{feature} · <code>{file}:{line}</code> · {duration:.0} ms</p>"#,
        slug = status_slug(status),
        label = status.label(),
        name = html(&scenario.name),
        feature = html(feature),
        file = html(file),
        line = scenario.line,
        duration = scenario.duration_ms,
    );
    if status == Status::NotApplicable && scenario.checks.is_empty() {
        let _ = write!(
            out,
            "<p>Nothing to judge: {}</p>",
            html(scenario.why_not_applicable())
        );
    }
    out.push_str(&runs(&scenario.runs));
    // A failed step's message lists the findings and observations shown
    // below; it is the evidence only when there are none.
    let evidence_below = !scenario.checks.is_empty() || !scenario.observations.is_empty();
    for step in scenario.steps.iter().filter(|s| s.status != Status::Passed) {
        let _ = write!(
            out,
            r#"<p data-step-status="{}">{} {} (line {}): {}</p>"#,
            status_slug(step.status),
            html(&step.keyword),
            html(&step.text),
            step.line,
            step.status.label(),
        );
        if let Some(message) = step
            .message
            .as_ref()
            .filter(|_| step.status != Status::Failed || !evidence_below)
        {
            let _ = write!(out, "<pre>{}</pre>", html(message));
        }
    }
    out.push_str(&checks(&scenario.checks));
    out.push_str(&observations(&scenario.observations));
    for timeline in &scenario.failover {
        out.push_str(&failover::timeline(timeline));
    }
    out.push_str("</div>");
    out
}

/// How each run of a combined dossier judged the item; runs that
/// disagree are called out.
fn runs(runs: &[RunOutcome]) -> String {
    if runs.is_empty() {
        return String::new();
    }
    let conflict = runs.iter().any(|r| r.status != runs[0].status);
    let cells: String = runs
        .iter()
        .map(|r| {
            format!(
                r#"<tr><td>{}</td><td class="status" data-status="{}">{}</td></tr>"#,
                html(&r.source),
                status_slug(r.status),
                r.status.label()
            )
        })
        .collect();
    let note = if conflict {
        r#"<p class="conflict" data-conflict="true">The runs disagree on this item: the dossier keeps the worst.</p>"#
    } else {
        ""
    };
    format!(r#"{note}<table class="runs"><tr><th>Run</th><th>Result</th></tr>{cells}</table>"#)
}

fn finding_row(finding: &Finding) -> String {
    let (class, mark) = match &finding.suppressed {
        Some(reason) => ("suppressed", format!("suppressed: {}", html(reason))),
        None => ("active", "finding".to_string()),
    };
    let note = finding
        .note
        .as_deref()
        .map_or_else(String::new, |n| format!(" ({})", html(n)));
    format!(
        r#"<tr class="{class}"><td>{mark}{note}</td><td><code>{check}</code></td><td>{object}</td><td>{container}</td><td><code>{field}</code></td><td>{expected}</td><td>{found}</td><td><code>{location}</code></td></tr>"#,
        check = html(finding.check),
        object = html(&finding.object.to_string()),
        container = html(finding.container.as_deref().unwrap_or("–")),
        field = html(&finding.field),
        expected = html(&finding.expected),
        found = html(&finding.found),
        location = html(&finding.location.to_string()),
    )
}

/// What each check judged, and its findings.
fn checks(checks: &[CheckOutcome]) -> String {
    if checks.is_empty() {
        return String::new();
    }
    let mut out = String::from("<ul class=\"checks\">");
    let mut findings = String::new();
    for check in checks {
        let verdict = if check.evaluated == 0 {
            format!("nothing to judge ({})", check.nothing_to_judge())
        } else if check.passed() {
            format!("{} subject(s) judged, passed", check.evaluated)
        } else {
            format!(
                "{} subject(s) judged, {} finding(s)",
                check.evaluated,
                check.active_findings().count()
            )
        };
        let _ = write!(
            out,
            "<li><code>{}</code> {}: {}</li>",
            html(check.check),
            html(check.title),
            html(&verdict)
        );
        findings.extend(check.findings.iter().map(finding_row));
    }
    out.push_str("</ul>");
    if !findings.is_empty() {
        let _ = write!(
            out,
            "<table class=\"findings\"><tr><th></th><th>Check</th><th>Object</th><th>Container</th><th>Field</th><th>Expected</th><th>Found</th><th>Where</th></tr>{findings}</table>"
        );
    }
    out
}

/// What the item saw on a running system.
fn observations(observations: &[Observation]) -> String {
    if observations.is_empty() {
        return String::new();
    }
    let rows: String = observations
        .iter()
        .map(|o| {
            let facts: Vec<String> = o.facts.iter().map(|f| html(f)).collect();
            format!(
                r#"<tr class="{}"><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>"#,
                if o.passed { "met" } else { "missed" },
                if o.passed { "ok" } else { "not met" },
                html(o.item),
                html(&o.subject),
                facts.join("<br>")
            )
        })
        .collect();
    format!(
        "<table class=\"observations\"><tr><th></th><th>Item</th><th>Subject</th><th>Facts</th></tr>{rows}</table>"
    )
}
