//! `junit.xml` read back with roxmltree: the shape GitLab needs (one
//! testsuite per feature, one testcase per scenario with classname, a unique
//! name, file and time), failure texts naming every finding's file:line,
//! errors for input that could not be read, suppressed findings in
//! system-out.

mod common;

use std::collections::HashSet;

use common::{
    Run, active_findings, features_dir, findings, is_active, location_of, path_str, run, scenarios,
};
use roxmltree::{Document, Node};
use serde_json::Value;

const INPUT_SUITE: &str = "golive input";

fn elements<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Vec<Node<'a, 'i>> {
    node.children()
        .filter(|n| n.is_element() && n.tag_name().name() == name)
        .collect()
}

fn attribute<'a>(node: Node<'a, '_>, name: &str) -> &'a str {
    node.attribute(name)
        .unwrap_or_else(|| panic!("<{}> has no {name} attribute", node.tag_name().name()))
}

/// The text of a child element (`failure`, `error`, `system-out`), CDATA
/// included, or `None` when the element is absent.
fn child_text(testcase: Node<'_, '_>, name: &str) -> Option<String> {
    elements(testcase, name)
        .first()
        .map(|n| n.children().filter_map(|c| c.text()).collect())
}

fn parse(run: &Run) -> (String, Value) {
    (run.junit(), run.summary())
}

/// The testsuite called `name`.
fn suite<'a, 'i>(document: &'a Document<'i>, name: &str) -> Node<'a, 'i> {
    elements(document.root_element(), "testsuite")
        .into_iter()
        .find(|s| s.attribute("name") == Some(name))
        .unwrap_or_else(|| panic!("no testsuite {name:?}"))
}

/// Checks the shape of a junit.xml against the summary.json of the same run:
/// one suite per feature, one complete testcase per scenario, unique names,
/// counts and statuses that agree.
fn assert_shape(junit: &str, summary: &Value) {
    let document =
        Document::parse(junit).unwrap_or_else(|e| panic!("junit.xml is not XML: {e}\n{junit}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites", "{junit}");
    let suites: Vec<Node> = elements(root, "testsuite")
        .into_iter()
        .filter(|s| s.attribute("name") != Some(INPUT_SUITE))
        .collect();
    let features = common::array(&summary["features"]);
    assert_eq!(
        suites.len(),
        features.len(),
        "one testsuite per feature\n{junit}"
    );
    for (suite, feature) in suites.iter().zip(features) {
        let name = attribute(*suite, "name");
        assert_eq!(
            name,
            feature["name"].as_str().unwrap_or_default(),
            "testsuite name"
        );
        let testcases = elements(*suite, "testcase");
        let scenarios = common::array(&feature["scenarios"]);
        assert_eq!(
            testcases.len(),
            scenarios.len(),
            "one testcase per scenario in {name}\n{junit}"
        );
        assert_eq!(
            attribute(*suite, "tests"),
            testcases.len().to_string(),
            "tests= of {name}"
        );
        let count = |child: &str| {
            testcases
                .iter()
                .filter(|t| !elements(**t, child).is_empty())
                .count()
                .to_string()
        };
        assert_eq!(
            attribute(*suite, "failures"),
            count("failure"),
            "failures= of {name}"
        );
        assert_eq!(
            attribute(*suite, "errors"),
            count("error"),
            "errors= of {name}"
        );
        let mut names = HashSet::new();
        for (testcase, scenario) in testcases.iter().zip(scenarios) {
            let case = attribute(*testcase, "name");
            assert!(!case.is_empty(), "a testcase without a name in {name}");
            assert!(
                names.insert(case),
                "duplicate testcase name {case:?} in {name}\n{junit}"
            );
            assert!(
                case.starts_with(scenario["name"].as_str().unwrap_or_default()),
                "testcase {case:?} for scenario {}",
                scenario["name"]
            );
            assert_eq!(
                attribute(*testcase, "classname"),
                name,
                "classname of {case:?}"
            );
            let file = attribute(*testcase, "file");
            assert!(file.ends_with(".feature"), "file of {case:?}: {file}");
            assert_eq!(
                file,
                feature["file"].as_str().unwrap_or_default(),
                "file of {case:?}"
            );
            let time: f64 = attribute(*testcase, "time")
                .parse()
                .unwrap_or_else(|e| panic!("time of {case:?}: {e}"));
            assert!(time >= 0.0 && time.is_finite(), "time of {case:?}: {time}");
            let children: Vec<&str> = ["failure", "error", "skipped"]
                .into_iter()
                .filter(|c| !elements(*testcase, c).is_empty())
                .collect();
            let expected: Vec<&str> = match scenario["status"].as_str().unwrap_or_default() {
                "passed" => vec![],
                "failed" => vec!["failure"],
                "could_not_evaluate" => vec!["error"],
                "not_evaluated" | "not_applicable" => vec!["skipped"],
                other => panic!("unknown scenario status {other}"),
            };
            assert_eq!(
                children, expected,
                "testcase {case:?} for a {} scenario",
                scenario["status"]
            );
            if scenario["status"] == "not_applicable" {
                let reason = scenario["reason"].as_str().unwrap_or_default();
                assert_eq!(
                    attribute(elements(*testcase, "skipped")[0], "message"),
                    format!("not applicable: {reason}"),
                    "the reason of {case:?}"
                );
            }
        }
    }
}

#[test]
fn the_bundled_run_has_one_suite_per_feature_and_complete_testcases() {
    let run = run(&[]);
    run.assert_exit(0);
    let (junit, summary) = parse(&run);
    assert_shape(&junit, &summary);
    let document = Document::parse(&junit).expect("XML");
    assert!(
        elements(document.root_element(), "testsuite")
            .iter()
            .all(|s| s.attribute("name") != Some(INPUT_SUITE)),
        "no input suite on a clean run\n{junit}"
    );
    assert_eq!(
        elements(document.root_element(), "testsuite").len(),
        common::array(&summary["features"]).len()
    );
}

#[test]
fn several_features_make_several_suites_and_duplicate_names_are_made_unique() {
    let features = features_dir(&[
        (
            "a.feature",
            "@manifests\nFeature: Duplicated names\n\n  Scenario: Same name\n    Then the check \"probe.liveness\" passes\n\n  Scenario: Same name\n    Then the check \"probe.port\" passes\n\n  Scenario: Other name\n    Then the check \"probe.distinct\" passes\n",
        ),
        (
            "b.feature",
            "@manifests\nFeature: Second feature\n\n  Scenario: Same name\n    Then the check \"probe.readiness\" passes\n",
        ),
    ]);
    let run = run(&["--features", path_str(features.path())]);
    run.assert_exit(0);
    let (junit, summary) = parse(&run);
    assert_shape(&junit, &summary);
    let document = Document::parse(&junit).expect("XML");
    let names = |suite_name: &str| -> Vec<String> {
        elements(suite(&document, suite_name), "testcase")
            .iter()
            .map(|t| attribute(*t, "name").to_string())
            .collect()
    };
    // The second "Same name" (line 7) is told apart by its line.
    assert_eq!(
        names("Duplicated names"),
        vec!["Same name", "Same name (line 7)", "Other name"]
    );
    // Names only need to be unique within a suite.
    assert_eq!(names("Second feature"), vec!["Same name"]);
    let file = attribute(
        elements(suite(&document, "Second feature"), "testcase")[0],
        "file",
    );
    assert_eq!(file, path_str(&features.path().join("b.feature")));
}

/// Renaming a duplicate to "NAME (line N)" must not collide with a scenario
/// that is literally called so.
#[test]
fn made_unique_names_do_not_collide_with_existing_names() {
    let features = features_dir(&[(
        "collide.feature",
        "@manifests\nFeature: Collide\n  Scenario: Same name\n    Then the check \"probe.liveness\" passes\n\n  Scenario: Same name (line 9)\n    Then the check \"probe.port\" passes\n\n  Scenario: Same name\n    Then the check \"probe.distinct\" passes\n",
    )]);
    let run = run(&["--features", path_str(features.path())]);
    run.assert_exit(0);
    let (junit, summary) = parse(&run);
    assert_shape(&junit, &summary);
}

#[test]
fn a_failure_text_names_every_finding_with_its_file_and_line() {
    // Two findings of different checks in two scenarios, and two of the same
    // check in one scenario.
    let features = features_dir(&[(
        "all.feature",
        "@manifests\nFeature: Everything at once\n\n  Scenario: All probes\n    Given the workloads of the target\n    Then the checks \"probe\" pass\n\n  Scenario: Liveness only\n    Given the workloads of the target\n    Then the check \"probe.liveness\" passes\n",
    )]);
    let tree = common::temp_tree(&[
        (
            "a.yaml",
            &std::fs::read(
                common::root()
                    .join("fixtures/checks/probe.liveness/fail/deployment-no-liveness.yaml"),
            )
            .expect("fixture"),
        ),
        (
            "b.yaml",
            &std::fs::read(
                common::root().join("fixtures/checks/probe.port/fail/named-port-missing.yaml"),
            )
            .expect("fixture"),
        ),
        (
            "c.yaml",
            &std::fs::read(
                common::root()
                    .join("fixtures/checks/probe.liveness/fail/daemonset-no-liveness.yaml"),
            )
            .expect("fixture"),
        ),
    ]);
    let run = run(&[
        "--features",
        path_str(features.path()),
        "--target",
        &format!("manifests:{}", path_str(tree.path())),
    ]);
    run.assert_exit(1);
    let (junit, summary) = parse(&run);
    assert_shape(&junit, &summary);
    let document = Document::parse(&junit).expect("XML");
    let testcases = elements(suite(&document, "Everything at once"), "testcase");
    let mut checked = 0;
    for ((_, scenario), testcase) in scenarios(&summary).into_iter().zip(testcases) {
        let text = child_text(testcase, "failure")
            .unwrap_or_else(|| panic!("no <failure> for {}\n{junit}", scenario["name"]));
        let failure = elements(testcase, "failure")[0];
        assert!(
            failure.attribute("message").is_some_and(|m| !m.is_empty()),
            "a failure without message"
        );
        let active: Vec<&Value> = common::array(&scenario["checks"])
            .iter()
            .flat_map(|c| common::array(&c["findings"]).iter())
            .filter(|f| is_active(f))
            .collect();
        assert!(!active.is_empty());
        for finding in active {
            let place = location_of(finding);
            let line = text
                .lines()
                .find(|l| l.contains(&place))
                .unwrap_or_else(|| panic!("the failure text lacks {place}\n{text}"));
            assert!(
                line.contains(finding["check"].as_str().unwrap_or_default()),
                "{line}"
            );
            assert!(
                line.contains(finding["object"]["name"].as_str().unwrap_or_default()),
                "{line}"
            );
            checked += 1;
        }
    }
    // probe.liveness twice (a, c) and probe.port once in "All probes"; probe.liveness twice in "Liveness only".
    assert_eq!(checked, 5, "{junit}");
    assert_eq!(active_findings(&summary).len(), 5);
}

#[test]
fn malformed_input_is_an_error_testcase_naming_the_file() {
    let path = "fixtures/malformed/wrong-types.yaml";
    let run = run(&["--target", &format!("manifests:{path}")]);
    run.assert_exit(2);
    let (junit, summary) = parse(&run);
    assert_shape(&junit, &summary);
    let document = Document::parse(&junit).expect("XML");
    let input = suite(&document, INPUT_SUITE);
    let testcases = elements(input, "testcase");
    assert_eq!(testcases.len(), 1, "{junit}");
    let place = common::input_errors(&summary)[0].0.clone();
    assert!(place.starts_with(&format!("{path}:8:")), "{place}");
    let name = attribute(testcases[0], "name");
    assert!(
        name.contains(&place),
        "the testcase name {name:?} does not name {place}"
    );
    assert_eq!(attribute(testcases[0], "classname"), INPUT_SUITE);
    let text = child_text(testcases[0], "error").unwrap_or_else(|| panic!("no <error>\n{junit}"));
    assert!(
        text.contains(&place) && text.contains("spec.replicas"),
        "{text}"
    );
    assert_eq!(attribute(input, "errors"), "1");
}

#[test]
fn each_unreadable_file_of_a_directory_is_its_own_error_testcase() {
    let run = run(&["--target", "manifests:fixtures/malformed"]);
    run.assert_exit(2);
    let (junit, summary) = parse(&run);
    assert_shape(&junit, &summary);
    let document = Document::parse(&junit).expect("XML");
    let testcases = elements(suite(&document, INPUT_SUITE), "testcase");
    let errors = common::input_errors(&summary);
    assert!(errors.len() >= 5, "{errors:?}");
    assert_eq!(testcases.len(), errors.len(), "{junit}");
    let mut names = HashSet::new();
    for ((place, _), testcase) in errors.iter().zip(&testcases) {
        assert!(elements(*testcase, "error").len() == 1, "{junit}");
        let name = attribute(*testcase, "name");
        assert!(name.contains(place.as_str()), "{name} vs {place}");
        assert!(names.insert(name), "duplicate {name}");
    }
}

#[test]
fn an_undefined_step_is_an_error_testcase_naming_the_step() {
    let features = features_dir(&[(
        "undefined.feature",
        "@manifests\nFeature: Undefined\n\n  Scenario: Fine\n    Then the check \"probe.port\" passes\n\n  Scenario: The moon\n    Given the workloads of the target\n    Then the moon is made of cheese\n",
    )]);
    let run = run(&["--features", path_str(features.path())]);
    run.assert_exit(2);
    let (junit, summary) = parse(&run);
    assert_shape(&junit, &summary);
    let document = Document::parse(&junit).expect("XML");
    let testcases = elements(suite(&document, "Undefined"), "testcase");
    assert!(
        elements(testcases[0], "error").is_empty(),
        "the fine scenario has no error\n{junit}"
    );
    let text = child_text(testcases[1], "error").unwrap_or_else(|| panic!("no <error>\n{junit}"));
    assert!(
        text.contains("the moon is made of cheese (line 9)") && text.contains("undefined step"),
        "{text}"
    );
}

#[test]
fn suppressed_findings_are_in_system_out() {
    let path = "fixtures/checks/probe.liveness/pass/suppressed-with-reason.yaml";
    let run = run(&[
        "--checks",
        "probe",
        "--target",
        &format!("manifests:{path}"),
    ]);
    run.assert_exit(0);
    let (junit, summary) = parse(&run);
    assert_shape(&junit, &summary);
    let suppressed: Vec<&Value> = findings(&summary)
        .into_iter()
        .filter(|f| !is_active(f))
        .collect();
    assert_eq!(suppressed.len(), 1, "{}", run.context());
    let document = Document::parse(&junit).expect("XML");
    let outs: Vec<String> = document
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter_map(|t| child_text(t, "system-out"))
        .collect();
    assert_eq!(outs.len(), 1, "{junit}");
    let place = location_of(suppressed[0]);
    let reason = suppressed[0]["suppressed"].as_str().expect("the reason");
    let line = outs[0]
        .lines()
        .find(|l| l.contains(&place))
        .unwrap_or_else(|| panic!("system-out lacks {place}\n{}", outs[0]));
    assert!(
        line.starts_with("suppressed: probe.liveness") && line.contains(reason),
        "{line}"
    );
    assert!(
        !junit.contains("<failure"),
        "a suppressed finding is not a failure\n{junit}"
    );
}

/// A run that evaluated nothing is COULD NOT EVALUATE; its JUnit report must
/// not look like an empty, green test run.
#[test]
fn a_run_that_evaluated_nothing_has_an_error_testcase() {
    let run = run(&["--tags", "not @manifests"]);
    run.assert_exit(2);
    let junit = run.junit();
    let document = Document::parse(&junit).expect("XML");
    assert!(
        document.descendants().any(|n| n.has_tag_name("error")),
        "no <error> in\n{junit}"
    );
}
