//! The exit-code contract CI gates rely on (0 READY, 1 NOT READY,
//! 2 COULD NOT EVALUATE), the reports written in every case, and the
//! `validate`, `steps` and `checks` commands.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{
    active_findings, array, features_dir, golive, golive_command, input_errors, location_of,
    path_str, root, run, scenarios, temp_tree,
};
use regex::Regex;
use serde_json::Value;

const FAIL_FIXTURE: &str = "fixtures/checks/probe.port/fail/named-port-missing.yaml";
const MALFORMED_FIXTURE: &str = "fixtures/malformed/broken-indent.yaml";
const PROBE_IDS: [&str; 4] = [
    "probe.liveness",
    "probe.readiness",
    "probe.distinct",
    "probe.port",
];

/// Every step's status in a summary, as (step text, status, message).
fn steps(summary: &Value) -> Vec<(String, String, String)> {
    scenarios(summary)
        .iter()
        .flat_map(|(_, s)| array(&s["steps"]).iter())
        .map(|step| {
            (
                step["text"].as_str().unwrap_or_default().to_string(),
                step["status"].as_str().unwrap_or_default().to_string(),
                step["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The scenarios of the bundled feature files, counted from their text:
/// all of them, or only those of features with a given tag.
fn bundled_scenario_count(feature_tag: Option<&str>) -> usize {
    let mut count = 0;
    for entry in std::fs::read_dir(root().join("features")).expect("features/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "feature") {
            let text = std::fs::read_to_string(&path).expect("a feature file");
            assert!(
                !text.contains("Scenario Outline:"),
                "outlines expand: count their Examples rows"
            );
            let tagged = feature_tag.is_none_or(|tag| {
                text.lines()
                    .find(|l| l.trim_start().starts_with('@'))
                    .is_some_and(|tags| tags.split_whitespace().any(|t| t == tag))
            });
            if tagged {
                count += text
                    .lines()
                    .filter(|l| l.trim_start().starts_with("Scenario:"))
                    .count();
            }
        }
    }
    assert!(count > 0, "no scenario in features/");
    count
}

/// Whether a skip reason says the scenario needs a running system (a
/// stack, possibly for a load campaign, or a cluster), which a run on
/// manifests is not.
fn needs_a_running_system(reason: &Value) -> bool {
    reason.as_str().is_some_and(|r| {
        (r.starts_with("needs a @stack") || r.starts_with("needs a @cluster"))
            && r.ends_with("this run's target is @manifests")
    })
}

/// The one scenario of a summary whose status is `failed`, checked to have
/// run `check`: (feature name, scenario name).
fn the_failed_scenario(summary: &Value, check: &str) -> (String, String) {
    let failed: Vec<(&Value, &Value)> = scenarios(summary)
        .into_iter()
        .filter(|(_, s)| s["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{summary}");
    let (feature, scenario) = failed[0];
    assert!(
        array(&scenario["checks"])
            .iter()
            .any(|c| c["check"] == check),
        "the failed scenario did not run {check}: {scenario}"
    );
    (
        feature["name"].as_str().unwrap_or_default().to_string(),
        scenario["name"].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn run_without_arguments_is_ready() {
    let run = run(&[]);
    run.assert_exit(0);
    let summary = run.summary();
    assert_eq!(summary["target"], "manifests:fixtures/example");
    assert_eq!(summary["interrupted"], false);
    assert!(input_errors(&summary).is_empty());
    let total = scenarios(&summary).len();
    assert_eq!(
        total,
        bundled_scenario_count(Some("@manifests")),
        "{}",
        run.context()
    );
    assert!(
        scenarios(&summary)
            .iter()
            .all(|(_, s)| s["status"] == "passed")
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l == format!("READY: {total} passed")),
        "{}",
        run.context()
    );
    for report in ["junit.xml", "summary.json", "summary.md", "report.html"] {
        assert!(
            run.stdout
                .contains(&run.report_path(report).display().to_string()),
            "the terminal does not name {report}\n{}",
            run.context()
        );
    }
}

#[test]
fn a_fail_fixture_is_not_ready() {
    let run = run(&[
        "--checks",
        "probe",
        "--target",
        &format!("manifests:{FAIL_FIXTURE}"),
    ]);
    run.assert_exit(1);
    let summary = run.summary();
    let findings = active_findings(&summary);
    assert_eq!(findings.len(), 1, "{}", run.context());
    assert_eq!(findings[0]["check"], "probe.port");
    let (_, failed) = the_failed_scenario(&summary, "probe.port");
    // The terminal names the finding with its file:line:column.
    assert!(
        run.stdout.contains(&location_of(findings[0])),
        "{}",
        run.context()
    );
    assert!(
        run.stdout.contains(&format!("FAIL {failed}")),
        "{}",
        run.context()
    );
}

#[test]
fn summary_md_has_the_verdict_and_each_finding_with_its_place() {
    let run = run(&[
        "--checks",
        "probe",
        "--target",
        &format!("manifests:{FAIL_FIXTURE}"),
    ]);
    run.assert_exit(1);
    let summary = run.summary();
    let markdown = run.markdown();
    assert!(
        markdown.starts_with("## golive: ❌ NOT READY\n"),
        "{markdown}"
    );
    assert!(markdown.contains("### Findings"), "{markdown}");
    for finding in active_findings(&summary) {
        let place = location_of(finding);
        assert!(place.starts_with(&format!("{FAIL_FIXTURE}:")), "{place}");
        let row = markdown
            .lines()
            .find(|l| l.contains(&format!("`{place}`")))
            .unwrap_or_else(|| panic!("no row with `{place}`\n{markdown}"));
        assert!(
            row.contains("`probe.port`")
                && row.contains("`Deployment/production/api`")
                && row.contains("| open |"),
            "{row}"
        );
    }
    let (feature, failed) = the_failed_scenario(&summary, "probe.port");
    let row = format!("| {failed} | {feature} | ❌ failed | 1 |");
    assert!(markdown.contains(&row), "no row {row:?}\n{markdown}");
}

#[test]
fn malformed_input_could_not_be_evaluated() {
    let run = run(&["--target", &format!("manifests:{MALFORMED_FIXTURE}")]);
    run.assert_exit(2);
    let summary = run.summary();
    let errors = input_errors(&summary);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].0.starts_with(&format!("{MALFORMED_FIXTURE}:9:")),
        "{errors:?}"
    );
    assert!(
        scenarios(&summary).is_empty(),
        "nothing can be evaluated without objects"
    );
    assert!(
        run.markdown().contains(&format!("| `{}` |", errors[0].0)),
        "summary.md lists the input error\n{}",
        run.markdown()
    );
}

#[test]
fn an_unknown_profile_could_not_be_evaluated() {
    let run = run(&["--profile", "nope"]);
    run.assert_exit(2);
    let summary = run.summary();
    let errors = input_errors(&summary);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].1.contains("no profile named \"nope\""),
        "{errors:?}"
    );
    assert!(
        scenarios(&summary).is_empty(),
        "a run with an unknown profile must not evaluate anything"
    );
    assert!(
        summary.get("profile").is_none_or(Value::is_null),
        "{}",
        summary["profile"]
    );
}

#[test]
fn a_known_profile_is_used() {
    let run = run(&["--profile", "staging"]);
    run.assert_exit(0);
    let summary = run.summary();
    assert_eq!(summary["profile"]["name"], "staging");
    assert_eq!(summary["profile"]["min_replicas"], 2);
    assert!(run.stdout.contains("profile staging"), "{}", run.context());
}

#[test]
fn an_unknown_check_could_not_be_evaluated() {
    let run = run(&["--checks", "probe.liveness,probe.nope"]);
    run.assert_exit(2);
    let summary = run.summary();
    assert_eq!(
        input_errors(&summary),
        vec![(
            "--checks".to_string(),
            "unknown check \"probe.nope\" (see `golive checks`)".to_string()
        )]
    );
    assert!(
        scenarios(&summary).is_empty(),
        "a run with an unknown check must not evaluate anything"
    );
}

#[test]
fn checks_select_scenarios_and_skip_the_others_with_the_reason() {
    let run = run(&["--checks", "probe.port"]);
    run.assert_exit(0);
    let summary = run.summary();
    let ran: Vec<&Value> = scenarios(&summary)
        .iter()
        .flat_map(|(_, s)| array(&s["checks"]).iter().map(|c| &c["check"]))
        .collect();
    assert!(
        !ran.is_empty() && ran.iter().all(|c| *c == "probe.port"),
        "{ran:?}\n{}",
        run.context()
    );
    let skipped = array(&summary["skipped"]);
    assert!(!skipped.is_empty(), "{}", run.context());
    assert_eq!(
        skipped.len() + scenarios(&summary).len(),
        bundled_scenario_count(None),
        "{}",
        summary["skipped"]
    );
    assert!(
        skipped.iter().all(|s| {
            s["reason"] == "runs none of the checks given to --checks"
                || needs_a_running_system(&s["reason"])
        }),
        "{}",
        summary["skipped"]
    );
    assert!(
        run.markdown().contains("### Not run in this run"),
        "{}",
        run.markdown()
    );

    // A family stands for all its checks.
    let family = common::run(&["--checks", "probe"]);
    family.assert_exit(0);
    let checks: BTreeSet<String> = common::check_outcomes(&family.summary())
        .iter()
        .map(|c| c["check"].as_str().unwrap_or_default().to_string())
        .collect();
    let catalogue: Value =
        serde_json::from_str(&golive(&["checks", "--json"]).stdout).expect("checks --json is JSON");
    let family_ids: BTreeSet<String> = array(&catalogue)
        .iter()
        .filter(|c| c["kind"] == "inventory")
        .filter_map(|c| c["id"].as_str())
        .filter(|id| id.starts_with("probe."))
        .map(str::to_string)
        .collect();
    assert!(family_ids.len() >= PROBE_IDS.len(), "{family_ids:?}");
    assert_eq!(checks, family_ids);
}

#[test]
fn an_undefined_step_could_not_be_evaluated() {
    let features = features_dir(&[(
        "undefined.feature",
        "@manifests\nFeature: Undefined steps\n\n  Scenario: The moon\n    Given the workloads of the target\n    Then the moon is made of cheese\n",
    )]);
    let run = run(&["--features", path_str(features.path())]);
    run.assert_exit(2);
    let summary = run.summary();
    let all = scenarios(&summary);
    assert_eq!(all.len(), 1, "{}", run.context());
    assert_eq!(all[0].1["status"], "could_not_evaluate");
    let step = array(&all[0].1["steps"])
        .iter()
        .find(|s| s["text"] == "the moon is made of cheese")
        .expect("the undefined step is reported");
    assert_eq!(step["status"], "could_not_evaluate");
    assert_eq!(step["line"], 6);
    assert!(
        step["message"]
            .as_str()
            .unwrap_or_default()
            .contains("undefined step"),
        "{step}"
    );
    assert!(
        run.markdown().contains("### Could not evaluate"),
        "{}",
        run.markdown()
    );
}

#[test]
fn a_scope_that_matches_no_workload_could_not_be_evaluated() {
    let features = features_dir(&[(
        "scope.feature",
        "@manifests\nFeature: Empty scope\n\n  Scenario: Nothing there\n    Given the workloads in namespace \"nope\"\n    Then the check \"probe.liveness\" passes\n",
    )]);
    let run = run(&["--features", path_str(features.path())]);
    run.assert_exit(2);
    let summary = run.summary();
    let statuses: Vec<(String, String, String)> = steps(&summary);
    let then = statuses
        .iter()
        .find(|(text, _, _)| text.starts_with("the check"))
        .expect("the Then step is reported");
    assert_eq!(then.1, "could_not_evaluate", "{statuses:?}");
    assert!(
        then.2.contains("namespace \"nope\""),
        "the message names the scope: {statuses:?}"
    );
    assert_eq!(scenarios(&summary)[0].1["status"], "could_not_evaluate");
    // Nothing in scope is never a pass: no check outcome claims an evaluation.
    assert!(
        common::check_outcomes(&summary).is_empty(),
        "{}",
        run.context()
    );
}

#[test]
fn tags_that_leave_no_scenario_could_not_be_evaluated() {
    let run = run(&["--tags", "not @manifests"]);
    run.assert_exit(2);
    let summary = run.summary();
    assert!(scenarios(&summary).is_empty(), "{}", run.context());
    let skipped = array(&summary["skipped"]);
    assert_eq!(
        skipped.len(),
        bundled_scenario_count(None),
        "{}",
        summary["skipped"]
    );
    assert!(
        // Scenarios that are not @manifests pass the filter but need a
        // running system this run does not have.
        skipped
            .iter()
            .all(|s| s["reason"] == "excluded by --tags" || needs_a_running_system(&s["reason"])),
        "{}",
        summary["skipped"]
    );
    assert!(
        run.stdout.contains("Nothing was evaluated"),
        "{}",
        run.context()
    );
}

#[test]
fn a_bad_tag_expression_could_not_be_evaluated() {
    let run = run(&["--tags", "@manifests and ("]);
    run.assert_exit(2);
    let errors = input_errors(&run.summary());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "--tags");
}

#[test]
fn format_json_prints_the_summary_with_the_exit_code() {
    for (args, code) in [
        (vec![], 0),
        (
            vec!["--target".to_string(), format!("manifests:{FAIL_FIXTURE}")],
            1,
        ),
        (
            vec![
                "--target".to_string(),
                format!("manifests:{MALFORMED_FIXTURE}"),
            ],
            2,
        ),
    ] {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["--format", "json"]);
        let run = run(&args);
        run.assert_exit(code);
        let printed: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", run.context()));
        assert_eq!(printed["exit_code"], code, "{}", run.context());
        assert_eq!(printed["verdict"], common::verdict_for(code));
        // What is printed is exactly what summary.json holds.
        assert_eq!(printed, run.summary(), "stdout and summary.json differ");
    }
}

#[test]
fn reports_are_written_even_when_the_report_dir_must_be_created_deep() {
    let tree = temp_tree(&[]);
    let deep = tree.path().join("a/b/c");
    let output = golive_command()
        .args(["run", "--report-dir", path_str(&deep)])
        .output()
        .expect("golive");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    for report in ["junit.xml", "summary.json", "summary.md", "report.html"] {
        assert!(deep.join(report).is_file(), "{report} missing");
    }
}

#[test]
fn an_unwritable_report_dir_could_not_be_evaluated() {
    // A READY target whose reports cannot be written is not READY for CI.
    let tree = temp_tree(&[("file", b"not a directory")]);
    let blocked = tree.path().join("file");
    let output = golive_command()
        .args(["run", "--report-dir", path_str(&blocked)])
        .output()
        .expect("golive");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(path_str(&blocked))
            && stderr.contains("cannot create the report directory"),
        "{stderr}"
    );
}

/// A feature file whose line 5 is not Gherkin. (A misspelt keyword such as
/// `Scenaro:` is reported by the gherkin crate on the following line, so it
/// would not pin the line down.)
const SYNTAX_ERROR_FEATURE: &str = "Feature: D\n\n  Scenario: fine\n    Given the workloads of the target\n  This is not gherkin\n    Then the check \"probe\" passes\n";

#[test]
fn a_gherkin_syntax_error_could_not_be_evaluated_and_names_file_and_line() {
    let features = features_dir(&[("syntax.feature", SYNTAX_ERROR_FEATURE)]);
    let file = features.path().join("syntax.feature");
    let run = run(&["--features", path_str(features.path())]);
    run.assert_exit(2);
    let summary = run.summary();
    let errors = input_errors(&summary);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].0.starts_with(&format!("{}:5:", path_str(&file))),
        "{errors:?}"
    );
    assert!(errors[0].1.starts_with("not valid Gherkin"), "{errors:?}");
    assert!(scenarios(&summary).is_empty(), "{}", run.context());
}

/// A temporary golive.yaml with a typo in a key.
fn config_with_typo() -> (tempfile::TempDir, PathBuf) {
    let tree = temp_tree(&[(
        "golive.yaml",
        b"default_profile: production\nprofiles:\n  production:\n    min_replica: 2\n    latency_p95_ms: 200\n",
    )]);
    let path = tree.path().join("golive.yaml");
    (tree, path)
}

#[test]
fn a_config_with_a_typo_could_not_be_evaluated_and_names_file_and_line() {
    let (_tree, config) = config_with_typo();
    let run = run(&["--config", path_str(&config)]);
    run.assert_exit(2);
    let errors = input_errors(&run.summary());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .0
            .starts_with(&format!("{}:4:", path_str(&config))),
        "{errors:?}"
    );
    assert!(errors[0].1.contains("min_replica"), "{errors:?}");
    assert!(scenarios(&run.summary()).is_empty());
    assert!(
        run.stdout
            .contains(&format!("error: {}:4:", path_str(&config))),
        "{}",
        run.context()
    );
}

#[test]
fn validate_accepts_the_bundled_features() {
    let printed = golive(&["validate"]);
    printed.assert_code(0);
    let last = printed.stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("valid: "), "{}", printed.context());
    assert!(last.ends_with("; 0 problem(s)"), "{}", printed.context());
    assert!(
        last.contains("profiles: production, staging"),
        "{}",
        printed.context()
    );
}

#[test]
fn validate_reports_each_problem_with_file_and_line() {
    let features = features_dir(&[
        (
            "a-undefined.feature",
            "Feature: A\n\n  Scenario: undefined\n    Given the workloads of the target\n    Then the moon is made of cheese\n",
        ),
        (
            "b-argument.feature",
            "Feature: B\n\n  Scenario: bad check\n    Given the workloads of the target\n    Then the check \"probe.nope\" passes\n",
        ),
        (
            "c-selector.feature",
            "Feature: C\n\n  Scenario: bad selector\n    Given the workloads labelled \"tier in (api\"\n    Then the check \"probe\" passes\n",
        ),
        ("d-syntax.feature", SYNTAX_ERROR_FEATURE),
        (
            "f-tags.feature",
            "@manifests @GL-SEC-05 @GL-NOPE-01\nFeature: F\n\n  # a comment\n  @GL-SEC-99\n  Scenario: tagged\n    Given the workloads of the target\n    Then the check \"probe.port\" passes\n",
        ),
        (
            "nested/e-fine.feature",
            "Feature: E\n\n  Scenario: fine\n    Given the workloads of the target\n    Then the check \"probe.port\" passes\n",
        ),
    ]);
    let dir = path_str(features.path());
    let printed = golive(&["validate", "--features", dir]);
    printed.assert_code(2);
    let expect = [
        (format!("{dir}/a-undefined.feature:5:"), "undefined step"),
        (
            format!("{dir}/b-argument.feature:5:"),
            "unknown check \"probe.nope\"",
        ),
        (format!("{dir}/c-selector.feature:4:"), "tier in (api"),
        (format!("{dir}/d-syntax.feature:5:"), "not valid Gherkin"),
        (
            format!("{dir}/f-tags.feature:1:"),
            "@GL-NOPE-01 names no line of the go-live checklist",
        ),
        (
            format!("{dir}/f-tags.feature:5:"),
            "@GL-SEC-99 names no line of the go-live checklist",
        ),
    ];
    for (place, what) in &expect {
        assert!(
            printed
                .stdout
                .lines()
                .any(|l| l.starts_with(place.as_str()) && l.contains(what)),
            "no problem {what:?} at {place}\n{}",
            printed.context()
        );
    }
    assert!(
        !printed.stdout.contains("e-fine.feature"),
        "a valid file is reported\n{}",
        printed.context()
    );
    let last = printed.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("INVALID: ") && last.ends_with(&format!("; {} problem(s)", expect.len())),
        "{}",
        printed.context()
    );
}

#[test]
fn validate_reports_a_config_typo_with_file_and_line() {
    let (_tree, config) = config_with_typo();
    let printed = golive(&["validate", "--config", path_str(&config)]);
    printed.assert_code(2);
    assert!(
        printed
            .stdout
            .lines()
            .any(|l| l.starts_with(&format!("{}:4:", path_str(&config)))
                && l.contains("min_replica")),
        "{}",
        printed.context()
    );
    let printed = golive(&["validate", "--profile", "nope"]);
    printed.assert_code(2);
    assert!(
        printed.stdout.contains("no profile named \"nope\""),
        "{}",
        printed.context()
    );
}

/// The step catalogue as `golive steps` prints it: (keyword, pattern, example).
fn printed_steps() -> Vec<(String, Regex, String)> {
    let printed = golive(&["steps"]);
    printed.assert_code(0);
    let lines: Vec<&str> = printed.stdout.lines().collect();
    let mut steps = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some((keyword, rest)) = line.split_once(' ') else {
            continue;
        };
        if !["Given", "When", "Then"].contains(&keyword)
            || !rest.starts_with('/')
            || !rest.ends_with('/')
        {
            continue;
        }
        let pattern = Regex::new(&rest[1..rest.len() - 1])
            .unwrap_or_else(|e| panic!("bad pattern {rest}: {e}"));
        let example = lines
            .get(i + 1)
            .and_then(|l| l.trim().strip_prefix("e.g. "))
            .unwrap_or_else(|| panic!("no example after {line}"));
        steps.push((keyword.to_string(), pattern, example.to_string()));
    }
    assert!(!steps.is_empty(), "{}", printed.context());
    steps
}

/// Every step of the bundled feature files: (file:line, keyword, text).
fn bundled_feature_steps() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("features"))
        .expect("features/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "feature"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a feature file");
        let mut previous = String::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            let Some((word, rest)) = line.split_once(' ') else {
                continue;
            };
            let keyword = match word {
                "Given" | "When" | "Then" => word.to_string(),
                "And" | "But" | "*" if !previous.is_empty() => previous.clone(),
                _ => continue,
            };
            previous = keyword.clone();
            out.push((
                format!("{}:{}", file.display(), number + 1),
                keyword,
                rest.to_string(),
            ));
        }
    }
    out
}

#[test]
fn steps_lists_every_step_the_features_use_with_a_matching_example() {
    let catalogue = printed_steps();
    for (keyword, pattern, example) in &catalogue {
        let text = example
            .strip_prefix(&format!("{keyword} "))
            .unwrap_or_else(|| panic!("example {example:?} does not start with {keyword}"));
        assert!(
            pattern.is_match(text),
            "example {example:?} does not match /{pattern}/"
        );
    }
    let used = bundled_feature_steps();
    assert!(!used.is_empty());
    for (place, keyword, text) in used {
        let matching: Vec<&String> = catalogue
            .iter()
            .filter(|(k, p, _)| *k == keyword && p.is_match(&text))
            .map(|(_, _, e)| e)
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "{place}: {keyword} {text:?} matches {} listed steps: {matching:?}",
            matching.len()
        );
        assert!(
            matching[0].starts_with(&keyword),
            "{place}: the example {:?} is not a {keyword} step",
            matching[0]
        );
    }
}

#[test]
fn checks_lists_the_probe_family() {
    let printed = golive(&["checks"]);
    printed.assert_code(0);
    let listed: Vec<&str> = printed
        .stdout
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for id in PROBE_IDS {
        assert!(
            listed.contains(&id),
            "{id} is not listed\n{}",
            printed.context()
        );
    }
    assert!(
        printed.stdout.contains("why: ") && printed.stdout.contains("fix: "),
        "{}",
        printed.context()
    );

    let json = golive(&["checks", "--json"]);
    json.assert_code(0);
    let catalogue: Value = serde_json::from_str(&json.stdout).expect("checks --json is JSON");
    let ids: Vec<&str> = array(&catalogue)
        .iter()
        .map(|c| c["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ids, listed, "the text and JSON catalogues differ");
    for check in array(&catalogue) {
        assert!(
            ["critical", "high", "medium", "low"]
                .contains(&check["severity"].as_str().unwrap_or_default()),
            "{check}"
        );
        for field in ["title", "rationale", "remediation"] {
            assert!(
                check[field].as_str().is_some_and(|s| !s.is_empty()),
                "{check} has no {field}"
            );
        }
    }
}

/// A target big enough that loading it takes a while (about 2 s in a debug
/// build, a few hundred ms in release).
fn big_target() -> (tempfile::TempDir, PathBuf) {
    let template = std::fs::read_to_string(
        root().join("fixtures/checks/probe.liveness/pass/deployment-with-probes.yaml"),
    )
    .expect("fixture");
    let documents: Vec<String> = (0..3000)
        .map(|i| template.replace("  name: api\n", &format!("  name: api-{i}\n")))
        .collect();
    let text = documents.join("\n---\n");
    let tree = temp_tree(&[("big.yaml", text.as_bytes())]);
    let path = tree.path().join("big.yaml");
    (tree, path)
}

/// Whether `pid` has a handler for SIGINT installed (Linux: SigCgt in
/// /proc/PID/status). `None` when that cannot be told.
fn catches_sigint(pid: u32) -> Option<bool> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))?
        .trim()
        .to_string();
    let mask = u64::from_str_radix(&mask, 16).ok()?;
    Some(mask & (1 << (2 - 1)) != 0)
}

/// An interrupted run is COULD NOT EVALUATE, writes its reports and says it
/// was interrupted, even when the signal arrives while the target loads.
#[test]
fn an_interrupted_run_could_not_be_evaluated_and_still_writes_reports() {
    let (_tree, target) = big_target();
    let reports = tempfile::tempdir().expect("temp dir");
    let report_dir = reports.path().join("reports");
    let mut child = golive_command()
        .args([
            "run",
            "--target",
            &format!("manifests:{}", path_str(&target)),
            "--report-dir",
            path_str(&report_dir),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start golive");
    let pid = child.id();
    // Wait until golive catches SIGINT (where /proc tells), else a moment.
    let started = Instant::now();
    loop {
        if child.try_wait().expect("try_wait").is_some() {
            break;
        }
        match catches_sigint(pid) {
            Some(true) => break,
            Some(false) if started.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Some(false) => panic!("golive never installed a SIGINT handler"),
            None => {
                std::thread::sleep(Duration::from_millis(200));
                break;
            }
        }
    }
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "the run finished before it could be interrupted: make the target bigger"
    );
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("cannot run kill");
    assert!(kill.success());
    let output = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(2),
        "status {:?}\n{stdout}",
        output.status
    );
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(report_dir.join("summary.json")).expect("summary.json written"),
    )
    .expect("JSON");
    assert_eq!(summary["interrupted"], true);
    assert_eq!(summary["verdict"], "COULD_NOT_EVALUATE");
    let junit = std::fs::read_to_string(report_dir.join("junit.xml")).expect("junit.xml written");
    assert!(junit.contains("run interrupted"), "{junit}");
    let markdown =
        std::fs::read_to_string(report_dir.join("summary.md")).expect("summary.md written");
    assert!(markdown.contains("The run was interrupted"), "{markdown}");
    assert!(stdout.contains("The run was interrupted."), "{stdout}");
}
