//! The reports of a load campaign, siblings reading one [`Campaign`]:
//! `load.json` (everything, for machines and `--baseline`), `load.md` (the
//! verdict per target and the per-request table, for a merge request),
//! `report.html` (the dossier, with charts) and `load-junit.xml` (one
//! testcase per target, for CI). Values taken from
//! the environment are redacted from all of them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use junit_report::{Duration, TestCaseBuilder, TestSuiteBuilder};
use serde::Serialize;

use super::baseline::Comparison;
use super::judge::{TargetResult, Verdict};
use super::profile::redact;
use super::record::{Record, Second, Tally};
use crate::error::InputError;
use crate::report::safe::{markdown as cell, markdown_code as code};
use crate::stack::StackRecord;

/// Figures of one tally, as reported.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub requests: u64,
    pub failures: u64,
    pub error_rate_percent: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub statuses: BTreeMap<String, u64>,
}

impl Figures {
    fn of(tally: &Tally) -> Figures {
        Figures {
            requests: tally.requests,
            failures: tally.failures,
            error_rate_percent: tally.error_rate_percent(),
            p50_ms: tally.percentile_ms(0.50),
            p95_ms: tally.percentile_ms(0.95),
            p99_ms: tally.percentile_ms(0.99),
            max_ms: tally.max_ms(),
            statuses: tally.statuses.clone(),
        }
    }
}

/// A finished (or interrupted, or impossible) campaign.
#[derive(Debug, Clone, Serialize)]
pub struct Campaign {
    pub schema_version: u32,
    pub profile: String,
    pub description: String,
    pub destination: String,
    /// "READY" (every target met), "NOT_READY" or "COULD_NOT_EVALUATE".
    pub verdict: &'static str,
    pub exit_code: i32,
    pub input_errors: Vec<InputError>,
    pub interrupted: bool,
    /// What is timed: to response headers, or to the end of the body.
    pub measured: &'static str,
    pub targets: Vec<TargetResult>,
    pub steady_seconds: f64,
    pub steady_rps: Option<f64>,
    pub steady: Figures,
    pub ramp: Figures,
    pub requests: BTreeMap<String, Figures>,
    pub timeline: Vec<Second>,
    /// With `--baseline`: the comparison with an earlier campaign.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    /// With `--target stack:FILE`: the stack the load went to, and its
    /// removal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack: Option<StackRecord>,
}

impl Campaign {
    /// The campaign's reports and exit code from what was judged.
    pub fn new(
        profile: &str,
        description: &str,
        destination: &str,
        record: &Record,
        targets: Vec<TargetResult>,
        input_errors: Vec<InputError>,
        interrupted: bool,
    ) -> Campaign {
        // A missed target is NOT READY even when another could not be
        // measured (every request failed: no latency, a missed error rate).
        let exit_code = if !input_errors.is_empty() || interrupted || targets.is_empty() {
            2
        } else if targets.iter().any(|t| t.verdict == Verdict::Missed) {
            1
        } else if targets.iter().any(|t| t.verdict == Verdict::NotMeasured) {
            2
        } else {
            0
        };
        Campaign {
            schema_version: 1,
            profile: profile.to_string(),
            description: description.to_string(),
            destination: destination.to_string(),
            verdict: match exit_code {
                0 => "READY",
                1 => "NOT_READY",
                _ => "COULD_NOT_EVALUATE",
            },
            exit_code,
            input_errors,
            interrupted,
            measured: "latency of the successful requests, from when each was due to its response headers, or to the end of its body when the profile checks the body; failed requests count in the error rate",
            targets,
            steady_seconds: record.steady_time.as_secs_f64(),
            steady_rps: record.steady_rps(),
            steady: Figures::of(&record.steady),
            ramp: Figures::of(&record.ramp),
            requests: record
                .steady_by_request
                .iter()
                .map(|(name, tally)| (name.clone(), Figures::of(tally)))
                .collect(),
            timeline: record.timeline(),
            comparison: None,
            stack: None,
        }
    }

    /// The campaign with every secret value replaced in every text it holds
    /// (request names, descriptions, errors, statuses...), before any
    /// report escapes them for its format.
    pub fn redacted(mut self, secrets: &[String]) -> Campaign {
        if secrets.is_empty() {
            return self;
        }
        let hide = |text: &mut String| *text = redact(text, secrets);
        let hide_keys = |map: &mut BTreeMap<String, Figures>| {
            *map = std::mem::take(map)
                .into_iter()
                .map(|(name, figures)| (redact(&name, secrets), figures))
                .collect();
        };
        let hide_statuses = |figures: &mut Figures| {
            figures.statuses = std::mem::take(&mut figures.statuses)
                .into_iter()
                .map(|(status, count)| (redact(&status, secrets), count))
                .collect();
        };
        hide(&mut self.description);
        hide(&mut self.destination);
        for error in &mut self.input_errors {
            hide(&mut error.place);
            hide(&mut error.message);
        }
        for target in &mut self.targets {
            hide(&mut target.scope);
        }
        hide_keys(&mut self.requests);
        hide_statuses(&mut self.steady);
        hide_statuses(&mut self.ramp);
        self.requests.values_mut().for_each(hide_statuses);
        if let Some(comparison) = &mut self.comparison {
            for row in &mut comparison.rows {
                hide(&mut row.scope);
            }
        }
        self
    }

    /// Records an error found after the campaign ran (a baseline that
    /// cannot be read, a stack not removed, reports not written): the
    /// verdict becomes COULD NOT EVALUATE.
    pub fn could_not_evaluate(&mut self, error: InputError) {
        self.input_errors.push(error);
        self.exit_code = 2;
        self.verdict = "COULD_NOT_EVALUATE";
    }

    /// Adds the comparison with a baseline; a regression makes a READY
    /// campaign NOT READY.
    pub fn with_comparison(mut self, comparison: Comparison) -> Campaign {
        if comparison.regressed() && self.exit_code == 0 {
            self.exit_code = 1;
            self.verdict = "NOT_READY";
        }
        self.comparison = Some(comparison);
        self
    }
}

/// A figure in milliseconds as the reports show it (`–` when none).
pub fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_string(), |v| format!("{v:.1}"))
}

/// `load.md`.
pub fn markdown(campaign: &Campaign) -> String {
    let description = if campaign.description.is_empty() {
        String::new()
    } else {
        format!("{}\n\n", cell(&campaign.description))
    };
    let mut out = format!(
        "## golive load: {} — {}\n\n{description}Destination {} · steady phase {:.0} s · {} requests",
        cell(&campaign.profile),
        campaign.verdict.replace('_', " "),
        cell(&campaign.destination),
        campaign.steady_seconds,
        campaign.steady.requests,
    );
    if let Some(rps) = campaign.steady_rps {
        out.push_str(&format!(" · {rps:.1} requests/s"));
    }
    out.push_str(&format!("\n\nWhat is measured: {}.\n", campaign.measured));
    if let Some(stack) = &campaign.stack {
        out.push('\n');
        for line in crate::report::stack_lines(stack) {
            // golive's own words about names it validated: a command to copy.
            out.push_str(&format!("- {line}\n"));
        }
    }
    if campaign.interrupted {
        out.push_str("\n**The campaign was interrupted.**\n");
    }
    for error in &campaign.input_errors {
        out.push_str(&format!(
            "\n- error: {}: {}\n",
            code(&error.place),
            cell(&error.message)
        ));
    }
    out.push_str("\n### Targets\n\n| Target | Result |\n|---|---|\n");
    for target in &campaign.targets {
        let mark = match target.verdict {
            Verdict::Met => "✅",
            Verdict::Missed => "❌",
            Verdict::NotMeasured => "⚠️",
        };
        out.push_str(&format!("| {mark} | {} |\n", cell(&target.describe())));
    }
    if let Some(comparison) = &campaign.comparison {
        out.push_str(&format!(
            "\n### Compared with {} (tolerance {} %)\n\n| Scope | Metric | Baseline | Now | Change | |\n|---|---|---|---|---|---|\n",
            cell(&comparison.baseline_file),
            comparison.tolerance_percent
        ));
        for row in &comparison.rows {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                cell(&row.scope),
                row.metric,
                ms(row.baseline),
                ms(row.current),
                row.change_text(),
                if row.regression { "❌ regression" } else { "" }
            ));
        }
    }
    out.push_str(
        "\n### Requests (steady phase)\n\n| Request | Requests | Errors | p50 ms | p95 ms | p99 ms | max ms | Statuses |\n|---|---|---|---|---|---|---|---|\n",
    );
    let all = std::iter::once(("all", &campaign.steady))
        .chain(campaign.requests.iter().map(|(name, f)| (name.as_str(), f)));
    for (name, figures) in all {
        let statuses: Vec<String> = figures
            .statuses
            .iter()
            .map(|(status, n)| format!("{n}×{}", cell(status)))
            .collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
            cell(name),
            figures.requests,
            figures.failures,
            ms(figures.p50_ms),
            ms(figures.p95_ms),
            ms(figures.p99_ms),
            ms(figures.max_ms),
            statuses.join(", ")
        ));
    }
    out
}

/// `load-junit.xml`: one testcase per target.
pub fn junit(campaign: &Campaign) -> String {
    let suite_name = format!("load {}", campaign.profile);
    let mut suite = TestSuiteBuilder::new(&suite_name);
    let time =
        Duration::try_from(StdDuration::from_secs_f64(campaign.steady_seconds)).unwrap_or_default();
    for target in &campaign.targets {
        let name = target.title();
        let mut case = match target.verdict {
            Verdict::Met => TestCaseBuilder::success(&name, time),
            Verdict::Missed => {
                let mut case =
                    TestCaseBuilder::failure(&name, time, "target missed", &target.describe());
                case.set_trace(&target.describe());
                case
            }
            Verdict::NotMeasured => {
                let mut case =
                    TestCaseBuilder::error(&name, time, "not measured", &target.describe());
                case.set_trace(&target.describe());
                case
            }
        };
        suite.add_testcase(case.set_classname(&suite_name).build());
    }
    for error in &campaign.input_errors {
        let mut case = TestCaseBuilder::error(
            &error.place,
            Duration::default(),
            "input error",
            &error.message,
        );
        case.set_trace(&error.message);
        suite.add_testcase(case.set_classname(&suite_name).build());
    }
    crate::report::junit::to_xml([suite.build()])
}

/// Writes `load.json`, `load.md`, `report.html` and `load-junit.xml` into
/// `dir` (from a campaign already [`Campaign::redacted`]); returns their
/// paths.
pub fn write_all(campaign: &Campaign, dir: &Path) -> Result<Vec<PathBuf>, InputError> {
    let json = serde_json::to_string_pretty(campaign).unwrap_or_default();
    crate::report::write_files(
        dir,
        [
            ("load.json", json),
            ("load.md", markdown(campaign)),
            ("report.html", dossier(campaign)),
            ("load-junit.xml", junit(campaign)),
        ],
    )
}

/// The dossier of a campaign alone.
fn dossier(campaign: &Campaign) -> String {
    let record = crate::runner::record::RunRecord {
        campaigns: vec![campaign.clone()],
        target: campaign.destination.clone(),
        golive_version: env!("CARGO_PKG_VERSION"),
        ..Default::default()
    };
    let verdict = match campaign.exit_code {
        0 => crate::verdict::Verdict::Ready,
        1 => crate::verdict::Verdict::NotReady,
        _ => crate::verdict::Verdict::CouldNotEvaluate,
    };
    crate::report::html::render(&record, verdict)
}

#[cfg(test)]
mod tests {
    use std::time::Duration as StdDuration;

    use super::*;
    use crate::load::record::{Phase, Sample};
    use crate::report::safe::tests::broken_table_rows;

    /// Text a profile, a request name or an error may hold.
    const HOSTILE: &str = "x\u{1b}[31m|`]]><script>&\n# y\u{0}";

    /// A campaign whose every text holds [`HOSTILE`].
    fn hostile_campaign() -> Campaign {
        let mut record = Record::new(StdDuration::from_secs(1));
        let request = format!("GET {HOSTILE}");
        record.add(&Sample {
            request: &request,
            at: StdDuration::ZERO,
            latency: StdDuration::from_millis(5),
            status: Ok(200),
            ok: true,
            phase: Phase::Steady,
        });
        let target = TargetResult {
            scope: HOSTILE.into(),
            metric: "p95_ms",
            target: 1.0,
            measured: Some(5.0),
            verdict: Verdict::Missed,
            missed_by: Some(HOSTILE.into()),
        };
        Campaign::new(
            HOSTILE,
            HOSTILE,
            HOSTILE,
            &record,
            vec![target],
            vec![InputError::new(HOSTILE, HOSTILE)],
            false,
        )
    }

    #[test]
    fn load_reports_stay_valid_whatever_their_texts_hold() {
        let campaign = hostile_campaign();
        let xml = junit(&campaign);
        let document = roxmltree::Document::parse(&xml).expect("load-junit.xml is XML");
        let failure = document
            .descendants()
            .find(|n| n.has_tag_name("failure"))
            .expect("the missed target fails");
        let text: String = failure.children().filter_map(|n| n.text()).collect();
        assert!(text.contains("\\x1b[31m|`]]><script>&"), "{text}");
        let markdown = markdown(&campaign);
        assert_eq!(
            broken_table_rows(&markdown),
            Vec::<String>::new(),
            "{markdown}"
        );
        assert!(
            !markdown.contains("\n# y"),
            "a heading from the input\n{markdown}"
        );
        let html = dossier(&campaign);
        for text in [&xml, &markdown, &html] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{0}'),
                "{text}"
            );
        }
        assert!(!html.contains("<script>"), "{html}");
    }
}
