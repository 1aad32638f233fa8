//! `failover.html`: the failover scenarios of a run on one self-contained
//! page, for the release manager who signs the RTO and RPO off. Per
//! scenario: its result, the figures of each recovery clock (disruption,
//! steady state, first failure, RTO, failed attempts, slowest attempt,
//! promotion, writes lost) and a chart of the attempts per second — with
//! the load's requests and failures in the same seconds when a load ran —
//! marked at the disruption and at the recovery. Written only when a
//! scenario has a timeline.

use std::fmt::Write as _;

use super::markdown::status_label;
use super::safe;
use super::svg::{Marker, line_chart, page};
use crate::failover::clock::{INTERVAL, SUSTAIN};
use crate::failover::probe::ATTEMPT_TIMEOUT;
use crate::failover::timeline::{Timeline, optional_seconds};
use crate::record::{RunRecord, ScenarioRecord, Status};
use crate::verdict::Verdict;

/// The figures of one clock, as table rows.
fn figures(timeline: &Timeline) -> String {
    let mut rows = vec![
        ("Probe", timeline.clock.clone()),
        (
            "Disruption",
            format!(
                "{} at {:.1} s",
                timeline.disruption, timeline.disrupted_at_s
            ),
        ),
    ];
    if !timeline.conditions.is_empty() {
        rows.push(("While", timeline.conditions.join(", ")));
    }
    rows.push((
        "Steady state before",
        if timeline.steady_before {
            format!("held ({} attempts)", timeline.steady_attempts)
        } else {
            format!("NOT held: {}", timeline.unsteady())
        },
    ));
    rows.push((
        "First failure",
        optional_seconds(timeline.first_failure_after_s, "none"),
    ));
    rows.push((
        "Recovered (RTO)",
        optional_seconds(
            timeline.recovered_after_s,
            &format!("not within the {:.1} s watched", timeline.watched_s),
        ),
    ));
    rows.push((
        "Failed attempts",
        format!("{} of {}", timeline.failed, timeline.attempts),
    ));
    rows.push((
        "Slowest attempt",
        format!("{:.2} s", timeline.slowest_attempt_s),
    ));
    if let Some(error) = &timeline.first_error {
        rows.push(("First error", error.clone()));
    }
    if let Some(promoted) = &timeline.promoted {
        rows.push(("Promoted", promoted.describe()));
    }
    if let Some(writes) = &timeline.writes {
        rows.push(("Acknowledged writes lost (RPO)", writes.describe()));
    }
    rows.iter()
        .map(|(name, value)| format!("<tr><th>{name}</th><td>{}</td></tr>", safe::html(value)))
        .collect()
}

/// Attempts per second (and the load's, when one ran), marked at the
/// disruption and the recovery.
fn chart(timeline: &Timeline) -> String {
    let mut series = vec![
        (
            "probe ok",
            "#2b7bb9",
            timeline.seconds.iter().map(|s| Some(s.ok as f64)).collect(),
        ),
        (
            "probe failed",
            "#c0392b",
            timeline
                .seconds
                .iter()
                .map(|s| Some(s.failed as f64))
                .collect(),
        ),
    ];
    if let Some(load) = &timeline.load {
        series.push((
            "load requests",
            "#7f8c8d",
            load.iter().map(|s| Some(s.requests as f64)).collect(),
        ));
        series.push((
            "load failed",
            "#e08a00",
            load.iter().map(|s| Some(s.failed as f64)).collect(),
        ));
    }
    let mut markers = vec![Marker {
        at_s: timeline.disrupted_at_s,
        label: "disruption",
        colour: "#c0392b",
    }];
    if let Some(rto) = timeline.recovered_after_s.filter(|r| *r > 0.0) {
        markers.push(Marker {
            at_s: timeline.disrupted_at_s + rto,
            label: "recovered",
            colour: "#1e7e34",
        });
    }
    line_chart(
        &format!("{} — per second", timeline.clock),
        "per s",
        &series,
        &markers,
    )
}

fn section(feature: &str, scenario: &ScenarioRecord) -> String {
    let mut html = format!(
        r#"<section><h2>{}</h2><p class="{}">{} · {}</p>"#,
        safe::html(&scenario.name),
        match scenario.status {
            Status::Passed => "passed",
            Status::NotApplicable => "not-applicable",
            Status::Failed | Status::CouldNotEvaluate | Status::NotEvaluated => "failed",
        },
        status_label(scenario.status),
        safe::html(feature)
    );
    for step in scenario.steps.iter().filter(|s| s.status != Status::Passed) {
        let _ = write!(
            html,
            "<pre>{} {} (line {}):\n{}</pre>",
            safe::html(&step.keyword),
            safe::html(&step.text),
            step.line,
            safe::html(step.message.as_deref().unwrap_or(""))
        );
    }
    for timeline in &scenario.failover {
        let _ = write!(
            html,
            "<table>{}</table>{}",
            figures(timeline),
            chart(timeline)
        );
    }
    html.push_str("</section>");
    html
}

/// The page, or `None` when no scenario of the run has a timeline.
pub fn render(record: &RunRecord, verdict: Verdict) -> Option<String> {
    let sections: String = record
        .scenarios()
        .filter(|(_, s)| !s.failover.is_empty())
        .map(|(feature, scenario)| section(&feature.name, scenario))
        .collect();
    if sections.is_empty() {
        return None;
    }
    let body = format!(
        "<h1>golive failover — {verdict}</h1>\n<p>{target}. Each clock probed every {interval} ms; a request (GET, INSERT, SET + WAIT) unanswered within {timeout} s failed. The RTO runs from the disruption to the first attempt of {sustain} s of successes; acknowledged writes were read back after the recovery.</p>\n{sections}",
        verdict = verdict.label(),
        interval = INTERVAL.as_millis(),
        timeout = ATTEMPT_TIMEOUT.as_secs(),
        sustain = SUSTAIN.as_secs(),
        target = safe::html(&super::markdown::target_line(record)),
    );
    Some(page(
        &format!("golive failover: {}", verdict.label()),
        "p.passed { color: #1e7e34; } p.not-applicable { color: #6c757d; } p.failed { color: #c0392b; font-weight: bold; }",
        &body,
    ))
}
