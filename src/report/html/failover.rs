//! The failover evidence of an item, for the release manager who signs
//! the RTO and RPO off: the figures of each recovery clock (disruption,
//! steady state, first failure, RTO, failed attempts, slowest attempt,
//! promotion, writes lost) and a chart of the attempts per second — with
//! the load's requests and failures in the same seconds when a load ran —
//! marked at the disruption and at the recovery.

use super::chart::{Marker, line_chart};
use crate::failover::timeline::{Timeline, optional_seconds};
use crate::report::safe;

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
    if !timeline.steps.is_empty() {
        rows.push(("Steps", timeline.steps.join("; ")));
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

/// One failover of an item: how it was measured, its figures and its
/// chart.
pub fn timeline(timeline: &Timeline) -> String {
    format!(
        "<div class=\"failover\"><p>Probed every {interval} ms; a request (GET, INSERT, SET + WAIT) unanswered within {timeout} s failed. The RTO runs from the disruption to the first attempt of {sustain} s of successes; acknowledged writes were read back after the recovery.</p><table>{figures}</table>{chart}</div>",
        interval = timeline.cadence.interval_ms,
        timeout = timeline.cadence.attempt_timeout_ms as f64 / 1000.0,
        sustain = timeline.cadence.sustain_ms as f64 / 1000.0,
        figures = figures(timeline),
        chart = chart(timeline),
    )
}
