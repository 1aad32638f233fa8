//! Nothing passes unseen: an item whose checks found nothing to judge in the
//! target is *not applicable*, never passed, in every report — the terminal
//! (`n/a` with the reason, counted apart in the verdict line), junit.xml
//! (`<skipped message="not applicable: REASON">`), summary.json (status
//! `not_applicable` with its `reason`) and summary.md (its label, a table of
//! reasons, the verdict line) — and no report shows a passed item that
//! evaluated nothing. A run where nothing at all was judged is COULD NOT
//! EVALUATE.

mod common;

use common::{Run, array, broken_table_rows, run, scenarios};
use roxmltree::{Document, Node};
use serde_json::Value;

const INGRESS_ONLY: &str = "manifests:fixtures/ingress-only";

/// What a scenario of summary.json judged: the subjects its checks
/// evaluated, its observations and its failover clocks.
fn evaluated(scenario: &Value) -> u64 {
    array(&scenario["checks"])
        .iter()
        .map(|c| c["evaluated"].as_u64().unwrap_or(0))
        .sum::<u64>()
        + array(&scenario["observations"]).len() as u64
        + array(&scenario["failover"]).len() as u64
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

fn elements<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Vec<Node<'a, 'i>> {
    node.children()
        .filter(|n| n.is_element() && n.tag_name().name() == name)
        .collect()
}

/// Checks every report of `run` item by item: a passed item evaluated
/// something and says how much; a not applicable one says why, is skipped
/// in JUnit and counted apart. Returns (passed, not applicable).
fn assert_nothing_passes_unseen(run: &Run) -> (usize, usize) {
    let summary = run.summary();
    let junit = run.junit();
    let document = Document::parse(&junit).expect("junit.xml is XML");
    let suites: Vec<Node> = elements(document.root_element(), "testsuite")
        .into_iter()
        .filter(|s| s.attribute("name") != Some("golive input"))
        .collect();
    let markdown = run.markdown();
    assert_eq!(
        broken_table_rows(&markdown),
        Vec::<String>::new(),
        "{markdown}"
    );
    let (mut passed, mut not_applicable) = (0, 0);
    for (suite, feature) in suites.iter().zip(array(&summary["features"])) {
        let testcases = elements(*suite, "testcase");
        let feature_scenarios = array(&feature["scenarios"]);
        assert_eq!(testcases.len(), feature_scenarios.len(), "{junit}");
        for (testcase, scenario) in testcases.iter().zip(feature_scenarios) {
            let name = str_of(scenario, "name");
            let outcomes: Vec<Node> = testcase.children().filter(Node::is_element).collect();
            let row = format!("| {name} | {} | ", str_of(feature, "name"));
            match str_of(scenario, "status") {
                "passed" => {
                    passed += 1;
                    let n = evaluated(scenario);
                    assert!(
                        n > 0,
                        "{name:?} passed having evaluated nothing\n{scenario}"
                    );
                    assert!(
                        outcomes.iter().all(|o| o.has_tag_name("system-out")),
                        "passed {name:?} in JUnit: {outcomes:?}"
                    );
                    assert!(
                        run.stdout
                            .lines()
                            .any(|l| l.starts_with(&format!("  ok   {name}  [{n} evaluated"))),
                        "no ok line for {name:?} with {n} evaluated\n{}",
                        run.context()
                    );
                    assert!(
                        markdown.contains(&format!("{row}✅ passed |")),
                        "{markdown}"
                    );
                }
                "not_applicable" => {
                    not_applicable += 1;
                    let reason = str_of(scenario, "reason");
                    assert!(!reason.is_empty(), "{name:?} has no reason\n{scenario}");
                    assert_eq!(evaluated(scenario), 0, "{scenario}");
                    let skipped = elements(*testcase, "skipped");
                    assert_eq!(skipped.len(), 1, "{name:?} is not skipped in JUnit");
                    assert_eq!(
                        skipped[0].attribute("message"),
                        Some(format!("not applicable: {reason}").as_str()),
                        "{name:?} in JUnit"
                    );
                    assert!(
                        run.stdout
                            .lines()
                            .any(|l| l == format!("  n/a  {name}  [{reason}]")),
                        "no n/a line for {name:?}\n{}",
                        run.context()
                    );
                    assert!(
                        markdown.contains(&format!("{row}➖ not applicable |")),
                        "{markdown}"
                    );
                    assert!(markdown.contains(&format!("{row}{reason} |")), "{markdown}");
                }
                other => panic!("{name:?} is {other}: this test wants runs that judge\n{scenario}"),
            }
        }
    }
    assert_eq!(passed + not_applicable, scenarios(&summary).len());
    assert!(
        !run.stdout
            .lines()
            .any(|l| l.starts_with("  ok ") && l.contains("[0 evaluated")),
        "{}",
        run.context()
    );
    (passed, not_applicable)
}

/// The verdict line the terminal ends with and summary.md opens with.
fn assert_verdict_line(run: &Run, line: &str) {
    assert!(
        run.stdout.lines().any(|l| l == line),
        "no {line:?}\n{}",
        run.context()
    );
    assert!(
        run.markdown().contains(&format!("\n**{line}**\n")),
        "no {line:?} in\n{}",
        run.markdown()
    );
}

#[test]
fn the_bundled_example_is_ready_and_every_item_judged_something() {
    let run = run(&[]);
    run.assert_exit(0);
    let (passed, not_applicable) = assert_nothing_passes_unseen(&run);
    assert_eq!(
        not_applicable, 0,
        "the example exercises every check of the manifests checklist"
    );
    assert_verdict_line(&run, &format!("READY: {passed} passed"));
}

#[test]
fn a_target_with_only_an_ingress_is_judged_on_it_and_ready() {
    let run = run(&["--target", INGRESS_ONLY]);
    run.assert_exit(0);
    let (passed, not_applicable) = assert_nothing_passes_unseen(&run);
    assert!(passed >= 4 && not_applicable > 0, "{}", run.context());
    assert_verdict_line(
        &run,
        &format!("READY: {passed} passed, {not_applicable} not applicable"),
    );
    assert!(
        run.stdout.contains(
            "  n/a  Every container has a liveness probe  [probe.liveness: no long-running container in scope]"
        ),
        "{}",
        run.context()
    );
    assert!(
        run.markdown().contains("### Not applicable"),
        "{}",
        run.markdown()
    );
}

#[test]
fn a_run_where_every_item_is_not_applicable_could_not_evaluate() {
    let run = run(&["--target", INGRESS_ONLY, "--checks", "probe"]);
    run.assert_exit(2);
    let (passed, not_applicable) = assert_nothing_passes_unseen(&run);
    assert_eq!((passed, not_applicable), (0, 8), "{}", run.context());
    assert_verdict_line(&run, "COULD NOT EVALUATE: 8 not applicable");
    assert!(
        run.stdout.contains("Nothing was judged"),
        "{}",
        run.context()
    );
    // JUnit does not read as an all-skipped, green run.
    let junit = run.junit();
    let document = Document::parse(&junit).expect("junit.xml is XML");
    let error = document
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("nothing judged"))
        .unwrap_or_else(|| panic!("no 'nothing judged' testcase\n{junit}"));
    assert_eq!(elements(error, "error").len(), 1, "{junit}");
}
