//! `golive validate`: a dry run. Parses the feature files, the config and
//! the profile, and matches every step (outlines expanded with their
//! Examples) against golive's vocabulary exactly as a run would, reporting
//! undefined steps, ambiguous steps and bad arguments (unknown check IDs,
//! unreadable selectors) and `@GL-*` tags the checklist registry
//! ([`crate::checklist`]) does not define, with file:line. Nothing is
//! evaluated.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::InputError;
use crate::runner::collector::feature_parse_error;
use crate::steps::{self, Keyword};

/// What validation found.
#[derive(Debug, Default)]
pub struct ValidationReport {
    pub features: usize,
    pub scenarios: usize,
    pub steps: usize,
    pub profiles: Vec<String>,
    pub problems: Vec<InputError>,
}

impl ValidationReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.problems {
            writeln!(f, "{problem}")?;
        }
        writeln!(
            f,
            "{}: {} feature(s), {} scenario(s), {} step(s) checked; profiles: {}; {} problem(s)",
            if self.is_clean() { "valid" } else { "INVALID" },
            self.features,
            self.scenarios,
            self.steps,
            self.profiles.join(", "),
            self.problems.len()
        )
    }
}

/// Every `.feature` file under `path` (or `path` itself), sorted.
pub fn feature_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let entry = entry.path();
            if entry.is_dir() {
                pending.push(entry);
            } else if entry.extension().is_some_and(|e| e == "feature") {
                files.push(entry);
            }
        }
    }
    files.sort();
    files
}

pub fn validate(features: &Path, config: Option<&Path>, profile: Option<&str>) -> ValidationReport {
    let mut report = ValidationReport::default();
    match Config::load(config) {
        Ok(config) => {
            report.profiles = config.profiles.keys().cloned().collect();
            if let Err(e) = config.profile(profile) {
                report.problems.push(e);
            }
        }
        Err(e) => report.problems.push(e),
    }
    let files = feature_files(features);
    if files.is_empty() {
        report.problems.push(InputError::new(
            features.display().to_string(),
            "no .feature file found",
        ));
    }
    for file in files {
        match gherkin::Feature::parse_path(&file, gherkin::GherkinEnv::default()) {
            Ok(feature) => check_feature(&feature, &file, &mut report),
            Err(e) => report.problems.push(feature_parse_error(&e)),
        }
    }
    report
}

fn check_feature(feature: &gherkin::Feature, file: &Path, report: &mut ValidationReport) {
    report.features += 1;
    check_line_tags(feature, file, report);
    let rules = feature
        .rules
        .iter()
        .map(|r| (r.background.as_ref(), &r.scenarios));
    for (rule_background, scenarios) in std::iter::once((None, &feature.scenarios)).chain(rules) {
        for scenario in scenarios {
            report.scenarios += 1;
            let background = feature
                .background
                .iter()
                .chain(rule_background)
                .flat_map(|b| b.steps.iter());
            let rows = example_rows(scenario);
            for step in background.chain(scenario.steps.iter()) {
                for row in &rows {
                    report.steps += 1;
                    check_step(step, &substitute(&step.value, row), file, report);
                }
            }
        }
    }
}

/// Every `@GL-*` tag of the feature (on the feature, its rules, scenarios
/// and examples) that names no line of the checklist, at the line it is
/// written on.
fn check_line_tags(feature: &gherkin::Feature, file: &Path, report: &mut ValidationReport) {
    let scenarios = feature
        .scenarios
        .iter()
        .chain(feature.rules.iter().flat_map(|r| r.scenarios.iter()));
    let tagged = std::iter::once((&feature.tags, feature.position.line))
        .chain(feature.rules.iter().map(|r| (&r.tags, r.position.line)))
        .chain(scenarios.flat_map(|s| {
            std::iter::once((&s.tags, s.position.line))
                .chain(s.examples.iter().map(|e| (&e.tags, e.position.line)))
        }));
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    for (tags, keyword_line) in tagged {
        for tag in tags.iter().filter(|t| crate::checklist::is_line_tag(t)) {
            if crate::checklist::find(tag).is_some() {
                continue;
            }
            // Tags are written on the lines above their keyword.
            let line = (1..keyword_line)
                .rev()
                .find(|&n| {
                    lines.get(n - 1).is_some_and(|l| {
                        l.split_whitespace()
                            .any(|word| word.strip_prefix('@') == Some(tag.as_str()))
                    })
                })
                .unwrap_or(keyword_line);
            report.problems.push(InputError::new(
                format!("{}:{line}", file.display()),
                format!(
                    "@{tag} names no line of the go-live checklist (see src/checklist/lines.rs)"
                ),
            ));
        }
    }
}

/// The Examples rows of an outline as (placeholder, value) pairs; one empty
/// row for a plain scenario.
fn example_rows(scenario: &gherkin::Scenario) -> Vec<Vec<(String, String)>> {
    let mut rows = Vec::new();
    for examples in &scenario.examples {
        let Some(table) = &examples.table else {
            continue;
        };
        let Some((header, body)) = table.rows.split_first() else {
            continue;
        };
        for row in body {
            rows.push(header.iter().cloned().zip(row.iter().cloned()).collect());
        }
    }
    if rows.is_empty() {
        rows.push(Vec::new());
    }
    rows
}

fn substitute(text: &str, row: &[(String, String)]) -> String {
    row.iter().fold(text.to_string(), |text, (name, value)| {
        text.replace(&format!("<{name}>"), value)
    })
}

fn check_step(step: &gherkin::Step, text: &str, file: &Path, report: &mut ValidationReport) {
    let keyword = Keyword::from(step.ty);
    let place = format!(
        "{}:{}:{}",
        file.display(),
        step.position.line,
        step.position.col
    );
    match steps::definition_for(keyword, text) {
        Ok(None) => report.problems.push(InputError::new(
            place,
            format!(
                "undefined step: {:?} {text:?} (see `golive steps`)",
                keyword
            ),
        )),
        Err(count) => report.problems.push(InputError::new(
            place,
            format!("ambiguous step: {text:?} matches {count} definitions"),
        )),
        Ok(Some((def, arguments))) => {
            if let Some(Err(why)) = def.validate_arguments.map(|validate| validate(&arguments)) {
                report
                    .problems
                    .push(InputError::new(place, format!("{text:?}: {why}")));
            }
        }
    }
}
