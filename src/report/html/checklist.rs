//! The checklist part of the dossier: the lines grouped as the seed groups
//! them (pre-production infrastructure, security, application; go-live
//! J-7, J-1, D-Day, J+1), each with its status, its source quote, the
//! items that serve it and their evidence (shown once, under the first
//! line an item serves; later lines link to it); the items no line names;
//! and the coverage table, which says which lines no item proves yet.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::{evidence, status_slug};
use crate::checklist::coverage::{Item, LineCoverage, LineStatus, Outcome};
use crate::checklist::{Line, Quote, Section};
use crate::record::{RunRecord, ScenarioRecord};
use crate::report::safe::html;

/// A scenario's identity in the page: its place in the record.
fn key(scenario: &ScenarioRecord) -> *const ScenarioRecord {
    std::ptr::from_ref(scenario)
}

fn quote(quote: &Quote) -> String {
    format!(
        r#"<p class="quote">“{}” — {}, {}</p>"#,
        html(quote.text),
        html(quote.seed),
        html(quote.heading)
    )
}

fn heading(line: &Line, status: LineStatus) -> String {
    format!(
        r#"<h4><span class="status">{}</span> <code>{}</code> {}</h4>"#,
        status.label(),
        line.id,
        html(line.title)
    )
}

/// Renders the sections, keeping which items are already shown.
struct Sections {
    /// Every scenario's anchor, in the record's order.
    anchors: HashMap<*const ScenarioRecord, String>,
    /// Items already shown, and under which line.
    shown: HashMap<*const ScenarioRecord, &'static str>,
    out: String,
}

impl Sections {
    fn item(&mut self, line: &'static Line, item: &Item) {
        match item.outcome {
            Outcome::Ran(scenario) => {
                let anchor = self
                    .anchors
                    .get(&key(scenario))
                    .cloned()
                    .unwrap_or_default();
                if let Some(first) = self.shown.get(&key(scenario)) {
                    let _ = write!(
                        self.out,
                        r##"<p class="item-ref" data-status="{}"><span class="status">{}</span> {} — evidence under <a href="#{anchor}">{first}</a></p>"##,
                        status_slug(scenario.status),
                        scenario.status.label(),
                        html(item.scenario),
                    );
                } else {
                    self.shown.insert(key(scenario), line.id);
                    self.out
                        .push_str(&evidence::item(item.feature, item.file, scenario, &anchor));
                }
            }
            Outcome::Campaign(campaign) => {
                let status = campaign.status();
                let targets: Vec<String> =
                    campaign.items().iter().map(|i| html(&i.detail)).collect();
                let _ = write!(
                    self.out,
                    r##"<div class="item" data-status="{}"><h5><span class="status">{}</span> load campaign {}</h5><p>{} · charts under <a href="#load">Load campaigns</a></p></div>"##,
                    status_slug(status),
                    status.label(),
                    html(item.scenario),
                    targets.join("; ")
                );
            }
            Outcome::NotRun { reason } => {
                let _ = write!(
                    self.out,
                    r#"<div class="item" data-status="not-run"><h5><span class="status">not run in this run</span> {}</h5><p>{} · <code>{}:{}</code> · why: {}</p></div>"#,
                    html(item.scenario),
                    html(item.feature),
                    html(item.file),
                    item.line,
                    html(reason)
                );
            }
        }
    }

    fn line(&mut self, section: Section, coverage: &LineCoverage) {
        let line = coverage.line;
        let slug = coverage.status.slug();
        if let Some((again, asked)) = line.also.filter(|(s, _)| *s == section) {
            let _ = write!(
                self.out,
                r##"<div class="line" data-line="{id}" data-status="{slug}">{}{}<p>Asked again in {}: one requirement, one status; its items are under <a href="#line-{id}">{id}</a>.</p></div>"##,
                heading(line, coverage.status),
                quote(&asked),
                html(&again.title()),
                id = line.id,
            );
            return;
        }
        let _ = write!(
            self.out,
            r#"<div class="line" id="line-{id}" data-line="{id}" data-status="{slug}">{}{}"#,
            heading(line, coverage.status),
            quote(&line.quote),
            id = line.id,
        );
        if let Some(refined) = line.refines {
            let _ = write!(
                self.out,
                r##"<p>Details <a href="#line-{refined}">{refined}</a>.</p>"##
            );
        }
        for item in &coverage.items {
            self.item(line, item);
        }
        self.out.push_str("</div>");
    }
}

/// The checklist by section, then the items no line names.
pub fn sections(record: &RunRecord, coverage: &[LineCoverage]) -> String {
    let anchors = record
        .scenarios()
        .enumerate()
        .map(|(i, (_, s))| (key(s), format!("item-{i}")))
        .collect();
    let mut sections = Sections {
        anchors,
        shown: HashMap::new(),
        out: String::new(),
    };
    sections.out.push_str("<h2>Checklist</h2>");
    for section in Section::ALL {
        let _ = write!(
            sections.out,
            r#"<section class="checklist-section"><h3>{}</h3>"#,
            html(&section.title())
        );
        for line in coverage.iter().filter(|c| c.line.is_in(section)) {
            sections.line(section, line);
        }
        sections.out.push_str("</section>");
    }
    let outside: Vec<_> = record
        .scenarios()
        .filter(|(_, s)| !sections.shown.contains_key(&key(s)))
        .collect();
    if !outside.is_empty() {
        sections
            .out
            .push_str("<section><h3>Items no checklist line names</h3>");
        for (feature, scenario) in outside {
            let anchor = sections.anchors[&key(scenario)].clone();
            let block = evidence::item(&feature.name, &feature.file, scenario, &anchor);
            sections.out.push_str(&block);
        }
        sections.out.push_str("</section>");
    }
    sections.out
}

/// Every line, the items that prove it and the checks they ran; then the
/// lines nothing proves yet.
pub fn coverage_table(coverage: &[LineCoverage]) -> String {
    let mut rows = String::new();
    for line in coverage {
        let items: Vec<String> = line
            .items
            .iter()
            .map(|item| {
                let status = match item.outcome {
                    Outcome::Ran(s) => s.status.label(),
                    Outcome::NotRun { .. } => "not run",
                    Outcome::Campaign(campaign) => campaign.status().label(),
                };
                format!("{} ({status})", html(item.scenario))
            })
            .collect();
        let checks: Vec<String> = line
            .items
            .iter()
            .flat_map(Item::checks)
            .map(|c| format!("<code>{}</code>", html(c)))
            .collect();
        let _ = write!(
            rows,
            r#"<tr><td><code>{}</code> {}</td><td>{}</td><td class="status" data-status="{}">{}</td><td>{}</td><td>{}</td></tr>"#,
            line.line.id,
            html(line.line.title),
            html(&line.line.section.title()),
            line.status.slug(),
            line.status.label(),
            if items.is_empty() {
                "–".into()
            } else {
                items.join("<br>")
            },
            checks.join(" "),
        );
    }
    let unproven: Vec<String> = coverage
        .iter()
        .filter(|c| c.status == LineStatus::NoItem)
        .map(|c| format!("<code>{}</code> {}", c.line.id, html(c.line.title)))
        .collect();
    let unproven = if unproven.is_empty() {
        "<p>Every line has at least one item.</p>".to_string()
    } else {
        format!(
            "<p>No item proves these {} lines yet; this dossier says nothing about them:</p><ul class=\"unproven\"><li>{}</li></ul>",
            unproven.len(),
            unproven.join("</li><li>")
        )
    };
    format!(
        r#"<h2>Checklist coverage</h2><table class="coverage"><tr><th>Line</th><th>Section</th><th>Status</th><th>Items</th><th>Checks they ran</th></tr>{rows}</table>{unproven}"#
    )
}
