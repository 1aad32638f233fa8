//! The dossier's charts: inline SVG line charts on a time axis in
//! seconds (their text escaped by [`safe::html`]), with dashed markers —
//! no script, no font, no network.

use std::fmt::Write as _;

use crate::report::safe;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 180.0;
const MARGIN: f64 = 40.0;

/// A vertical line at a second of the time axis, labelled.
pub struct Marker<'a> {
    pub at_s: f64,
    pub label: &'a str,
    pub colour: &'a str,
}

/// One chart: series of (label, colour, value per second) on a shared
/// time axis (`None` values are gaps), and dashed markers.
pub fn line_chart(
    title: &str,
    unit: &str,
    series: &[(&str, &str, Vec<Option<f64>>)],
    markers: &[Marker],
) -> String {
    let seconds = series
        .iter()
        .map(|(_, _, v)| v.len())
        .max()
        .unwrap_or(0)
        .max(1);
    let top = series
        .iter()
        .flat_map(|(_, _, values)| values.iter().flatten())
        .fold(0.0_f64, |a, b| a.max(*b))
        .max(1e-9);
    // Second `at` on the time axis.
    let x = |at: f64| MARGIN + (WIDTH - 2.0 * MARGIN) * at / (seconds.max(2) - 1) as f64;
    let y = |v: f64| HEIGHT - MARGIN + (2.0 * MARGIN - HEIGHT) * v / top;
    let mut svg = format!(
        r#"<figure><figcaption>{}</figcaption><svg role="img" aria-label="{}" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">"#,
        safe::html(title),
        safe::html(title)
    );
    let _ = write!(
        svg,
        r##"<line x1="{MARGIN}" y1="{b}" x2="{r}" y2="{b}" stroke="#888"/><line x1="{MARGIN}" y1="{MARGIN}" x2="{MARGIN}" y2="{b}" stroke="#888"/><text x="4" y="{t}" font-size="11">{top:.1} {unit}</text><text x="4" y="{b}" font-size="11">0</text><text x="{r}" y="{l}" font-size="11" text-anchor="end">{seconds} s</text>"##,
        b = HEIGHT - MARGIN,
        r = WIDTH - MARGIN,
        t = MARGIN,
        l = HEIGHT - MARGIN + 16.0,
        unit = safe::html(unit),
    );
    for (index, (label, colour, values)) in series.iter().enumerate() {
        let mut path = String::new();
        let mut pen_down = false;
        for (i, value) in values.iter().enumerate() {
            match value {
                Some(v) => {
                    let _ = write!(
                        path,
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        x(i as f64),
                        y(*v)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let _ = write!(
            svg,
            r#"<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/><text x="{}" y="14" font-size="11" fill="{colour}">{}</text>"#,
            MARGIN + 90.0 * index as f64,
            safe::html(label)
        );
    }
    for marker in markers {
        let at = x(marker.at_s);
        let _ = write!(
            svg,
            r#"<line x1="{at:.1}" y1="{MARGIN}" x2="{at:.1}" y2="{b}" stroke="{colour}" stroke-dasharray="4 3"/><text x="{x:.1}" y="{y}" font-size="11" fill="{colour}">{label}</text>"#,
            b = HEIGHT - MARGIN,
            colour = marker.colour,
            x = at + 3.0,
            y = MARGIN + 10.0,
            label = safe::html(marker.label),
        );
    }
    svg.push_str("</svg></figure>");
    svg
}
