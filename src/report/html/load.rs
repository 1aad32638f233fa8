//! A load campaign in the dossier: the verdict per target, the baseline
//! comparison, charts drawn as inline SVG — latency percentiles over time,
//! throughput, errors, status codes — and the per-request table.

use std::fmt::Write as _;

use super::chart::line_chart;
use super::status_slug;
use crate::load::baseline::Comparison;
use crate::load::outcome::{Campaign, Figures};
use crate::load::record::Second;
use crate::report::markdown::ms;
use crate::report::safe;
use crate::verdict::Status;

fn figure_row(name: &str, figures: &Figures) -> String {
    format!(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        safe::html(name),
        figures.requests,
        figures.failures,
        ms(figures.p50_ms),
        ms(figures.p95_ms),
        ms(figures.p99_ms),
        ms(figures.max_ms)
    )
}

/// The `--baseline` comparison: one row per scope and metric.
fn comparison_table(comparison: &Comparison) -> String {
    let figure = |v: Option<f64>| v.map_or_else(|| "–".into(), |v| format!("{v:.2}"));
    let mut rows = String::new();
    for row in &comparison.rows {
        let (class, mark) = if row.regression {
            ("missed", "regression")
        } else {
            ("met", "ok")
        };
        let _ = write!(
            rows,
            r#"<tr class="{class}"><td>{mark}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            safe::html(&row.scope),
            row.metric,
            figure(row.baseline),
            figure(row.current),
            row.change_text()
        );
    }
    format!(
        r#"<h4>Compared with {} (tolerance {} %)</h4><table class="comparison"><tr><th></th><th>Scope</th><th>Metric</th><th>Baseline</th><th>Now</th><th>Change</th></tr>{rows}</table>"#,
        safe::html(&comparison.baseline_file),
        comparison.tolerance_percent
    )
}

/// The campaign's section.
pub fn campaign(campaign: &Campaign) -> String {
    let timeline: &[Second] = &campaign.timeline;
    let latency = line_chart(
        "Latency percentiles per second",
        "ms",
        &[
            (
                "p50",
                "#2b7bb9",
                timeline.iter().map(|s| s.p50_ms).collect(),
            ),
            (
                "p95",
                "#e08a00",
                timeline.iter().map(|s| s.p95_ms).collect(),
            ),
            (
                "p99",
                "#c0392b",
                timeline.iter().map(|s| s.p99_ms).collect(),
            ),
        ],
        &[],
    );
    let throughput = line_chart(
        "Throughput",
        "req/s",
        &[(
            "requests",
            "#2b7bb9",
            timeline.iter().map(|s| Some(s.requests as f64)).collect(),
        )],
        &[],
    );
    let errors = line_chart(
        "Errors",
        "per s",
        &[(
            "failed",
            "#c0392b",
            timeline.iter().map(|s| Some(s.failures as f64)).collect(),
        )],
        &[],
    );
    let items = campaign.items();
    let mut targets = String::new();
    for item in &items {
        let class = match item.status {
            Status::Passed => "met",
            _ => "missed",
        };
        let _ = write!(
            targets,
            r#"<tr class="{class}" data-status="{}"><td>{}</td><td>{}</td></tr>"#,
            status_slug(item.status),
            item.status.label(),
            safe::html(&item.detail)
        );
    }
    let verdict = campaign.status().label();
    let total: u64 = campaign.steady.statuses.values().sum();
    let mut answers = String::new();
    for (status, count) in &campaign.steady.statuses {
        let width = if total > 0 {
            400.0 * *count as f64 / total as f64
        } else {
            0.0
        };
        let _ = write!(
            answers,
            r##"<tr><td>{}</td><td>{count}</td><td><svg width="400" height="12" role="img" aria-label="{count} answers {}"><rect width="{width:.1}" height="12" fill="#2b7bb9"/></svg></td></tr>"##,
            safe::html(status),
            safe::html(status)
        );
    }
    let comparison = campaign
        .comparison
        .as_ref()
        .map_or_else(String::new, comparison_table);
    let mut requests = figure_row("all", &campaign.steady);
    for (name, figures) in &campaign.requests {
        requests.push_str(&figure_row(name, figures));
    }
    format!(
        r#"<section class="campaign"><h3>Load profile {name} — {verdict}</h3>
<p>{description}</p>
<p>Destination {destination} · steady phase {steady:.0} s · {requests_count} requests. What is measured: {measured}.</p>
<h4>Targets</h4><table class="targets">{targets}</table>
{comparison}
<h4>Over time</h4>{latency}{throughput}{errors}
<h4>Status codes (steady phase)</h4><table class="statuses">{answers}</table>
<h4>Requests (steady phase)</h4>
<table class="requests"><tr><th>Request</th><th>Requests</th><th>Errors</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th></tr>{requests}</table></section>"#,
        name = safe::html(&campaign.profile),
        description = safe::html(&campaign.description),
        destination = safe::html(&campaign.destination),
        steady = campaign.steady_seconds,
        requests_count = campaign.steady.requests,
        measured = safe::html(&campaign.measured),
    )
}
