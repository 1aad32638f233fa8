//! `junit.xml` shaped for GitLab: one testsuite per feature, one testcase
//! per scenario with `classname` (the feature), `name` (unique: GitLab keeps
//! only the first of duplicate names), `file` and `time`; a failure's *text*
//! lists every finding with its file:line, since that is what GitLab shows.
//! An item that was not applicable is `<skipped>` with its reason. Input
//! errors that stopped parts of the run are a testsuite of their own, so a
//! CI page never looks green when golive could not evaluate. Whatever the
//! input holds, the XML stays well-formed ([`to_xml`]).

use std::collections::HashSet;
use std::time::Duration as StdDuration;

use junit_report::{
    Duration, Report, TestCase, TestCaseBuilder, TestResult, TestSuite, TestSuiteBuilder,
};

use super::safe;
use crate::load::outcome::Campaign;
use crate::record::{RunRecord, ScenarioRecord, Status};

fn duration(ms: f64) -> Duration {
    Duration::try_from(StdDuration::from_secs_f64(ms.max(0.0) / 1000.0)).unwrap_or_default()
}

/// The failure text of a scenario, built from what it recorded: every
/// active finding (check, object, field, expected and found, file:line),
/// every failed observation, then the step that stopped the scenario and,
/// when the scenario could not be evaluated, why. A step's own message is
/// used only for what has no structured form (an undefined step, a target
/// that could not be reached).
fn failure_text(scenario: &ScenarioRecord) -> String {
    let evidence: Vec<String> = scenario
        .checks
        .iter()
        .flat_map(|c| c.active_findings())
        .map(|f| format!("- {f}"))
        .chain(
            scenario
                .observations
                .iter()
                .filter(|o| !o.passed)
                .map(|o| format!("- {o}")),
        )
        .collect();
    let mut parts = Vec::new();
    if !evidence.is_empty() {
        parts.push(evidence.join("\n"));
    }
    for step in scenario
        .steps
        .iter()
        .filter(|s| matches!(s.status, Status::Failed | Status::CouldNotEvaluate))
    {
        let mut text = format!("{} {} (line {})", step.keyword, step.text, step.line);
        let told_by_evidence = step.status == Status::Failed && !evidence.is_empty();
        if let Some(message) = step.message.as_deref().filter(|_| !told_by_evidence) {
            text.push_str(&format!(":\n{message}"));
        }
        parts.push(text);
    }
    parts.join("\n\n")
}

fn suppressed_text(scenario: &ScenarioRecord) -> Option<String> {
    let lines: Vec<String> = scenario
        .checks
        .iter()
        .flat_map(|c| c.findings.iter().filter(|f| !f.is_active()))
        .map(|f| format!("suppressed: {f}"))
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn testcase(feature_name: &str, file: &str, name: &str, scenario: &ScenarioRecord) -> TestCase {
    let time = duration(scenario.duration_ms);
    let mut builder = match scenario.status {
        Status::Passed => TestCaseBuilder::success(name, time),
        Status::Failed => {
            let mut b = TestCaseBuilder::failure(
                name,
                time,
                "not ready",
                "the target does not meet this checklist item",
            );
            b.set_trace(&failure_text(scenario));
            b
        }
        Status::CouldNotEvaluate => {
            let mut b = TestCaseBuilder::error(
                name,
                time,
                "could not evaluate",
                "golive could not evaluate this checklist item",
            );
            b.set_trace(&failure_text(scenario));
            b
        }
        Status::NotEvaluated => TestCaseBuilder::skipped_with_cause(
            name,
            "not evaluated",
            "the run stopped before this scenario finished",
        ),
        Status::NotApplicable => TestCaseBuilder::skipped_with_cause(
            name,
            "not applicable",
            &format!("not applicable: {}", scenario.why_not_applicable()),
        ),
    };
    builder.set_classname(feature_name).set_filepath(file);
    // The failover figures (RTO, failed attempts, writes lost), whatever
    // the outcome, and what was suppressed.
    let system_out: Vec<String> = scenario
        .failover
        .iter()
        .map(|t| t.summary())
        .chain(suppressed_text(scenario))
        .collect();
    if !system_out.is_empty() {
        builder.set_system_out(&system_out.join("\n"));
    }
    builder.build()
}

/// The XML of a JUnit report made of `suites`, whatever their texts hold:
/// every attribute and text goes through [`safe::xml`], every CDATA content
/// through [`safe::cdata`] (junit-report writes both as they are). Shared by
/// every `junit.xml`.
pub fn to_xml(suites: impl IntoIterator<Item = TestSuite>) -> String {
    let mut report = Report::new();
    report.add_testsuites(suites.into_iter().map(safe_suite));
    let mut out = Vec::new();
    match report.write_xml(&mut out) {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(e) => format!(
            "<?xml version=\"1.0\"?><!-- cannot render JUnit: {} --><testsuites/>",
            safe::xml(&e.to_string()).replace("--", "- -")
        ),
    }
}

fn safe_suite(mut suite: TestSuite) -> TestSuite {
    let text = |s: &mut String| *s = safe::xml(s);
    let cdata = |s: &mut Option<String>| {
        if let Some(s) = s {
            *s = safe::cdata(s);
        }
    };
    text(&mut suite.name);
    text(&mut suite.package);
    text(&mut suite.hostname);
    cdata(&mut suite.system_out);
    cdata(&mut suite.system_err);
    for case in &mut suite.testcases {
        text(&mut case.name);
        for attribute in case.classname.iter_mut().chain(case.filepath.iter_mut()) {
            text(attribute);
        }
        cdata(&mut case.system_out);
        cdata(&mut case.system_err);
        match &mut case.result {
            TestResult::Success | TestResult::Skipped => {}
            TestResult::SkippedWithCause {
                type_,
                message,
                cause,
            }
            | TestResult::Error {
                type_,
                message,
                cause,
            }
            | TestResult::Failure {
                type_,
                message,
                cause,
            } => {
                text(type_);
                text(message);
                cdata(cause);
            }
        }
    }
    suite
}

/// A load campaign: one testcase per target, one for the baseline
/// comparison; the steady phase's figures as the suite's output.
fn campaign_suite(campaign: &Campaign) -> TestSuite {
    let suite_name = format!("load {}", campaign.profile);
    let mut suite = TestSuiteBuilder::new(&suite_name);
    let time = duration(campaign.steady_seconds * 1000.0);
    for item in campaign.items() {
        let mut case = match item.status {
            Status::Passed => TestCaseBuilder::success(&item.title, time),
            Status::Failed => {
                let mut case =
                    TestCaseBuilder::failure(&item.title, time, "not ready", &item.detail);
                case.set_trace(&item.detail);
                case
            }
            _ => {
                let mut case =
                    TestCaseBuilder::error(&item.title, time, "could not evaluate", &item.detail);
                case.set_trace(&item.detail);
                case
            }
        };
        suite.add_testcase(case.set_classname(&suite_name).build());
    }
    suite.set_system_out(&format!(
        "{} requests in the steady phase ({:.0} s) to {}",
        campaign.steady.requests, campaign.steady_seconds, campaign.destination
    ));
    suite.build()
}

pub fn render(record: &RunRecord) -> String {
    let mut suites = Vec::new();
    for feature in &record.features {
        let mut suite = TestSuiteBuilder::new(&feature.name);
        let mut names = HashSet::new();
        for scenario in &feature.scenarios {
            let mut name = scenario.name.clone();
            let mut attempt = 0;
            while !names.insert(name.clone()) {
                attempt += 1;
                name = match attempt {
                    1 => format!("{} (line {})", scenario.name, scenario.line),
                    n => format!("{} (line {}, {n})", scenario.name, scenario.line),
                };
            }
            suite.add_testcase(testcase(&feature.name, &feature.file, &name, scenario));
        }
        suites.push(suite.build());
    }
    suites.extend(record.campaigns.iter().map(campaign_suite));
    // A run with no item, or whose every item was not applicable, and no
    // other explanation still gets an error testcase, so its JUnit never
    // reads as an empty or all-skipped, green run.
    let nothing_judged = record
        .statuses()
        .iter()
        .all(|s| *s == Status::NotApplicable)
        && record.input_errors.is_empty()
        && !record.interrupted;
    if !record.input_errors.is_empty() || record.interrupted || nothing_judged {
        let mut suite = TestSuiteBuilder::new("golive input");
        for (index, error) in record.input_errors.iter().enumerate() {
            let mut case = TestCaseBuilder::error(
                &format!("input error {}: {}", index + 1, error.place),
                Duration::ZERO,
                "could not evaluate",
                &error.message,
            );
            case.set_classname("golive input")
                .set_trace(&error.to_string());
            suite.add_testcase(case.build());
        }
        if nothing_judged {
            let (name, message) = if record.statuses().is_empty() {
                (
                    "nothing evaluated",
                    "no scenario ran: check the input errors, --tags and --checks",
                )
            } else {
                (
                    "nothing judged",
                    "every item that ran was not applicable: the target holds nothing they judge",
                )
            };
            let mut case =
                TestCaseBuilder::error(name, Duration::ZERO, "could not evaluate", message);
            case.set_classname("golive input");
            suite.add_testcase(case.build());
        }
        if record.interrupted {
            let mut case = TestCaseBuilder::error(
                "run interrupted",
                Duration::ZERO,
                "could not evaluate",
                "the run was interrupted; scenarios not finished were not evaluated",
            );
            case.set_classname("golive input");
            suite.add_testcase(case.build());
        }
        suites.push(suite.build());
    }
    to_xml(suites)
}
