//! The dossier of several runs (`golive report combine`, `golive run
//! --from`) and `--baseline`: real runs of the binary on the bundled
//! example and on failing fixtures, their summary.json read back, merged
//! into one verdict through the same reporters. (Every run's summary.json
//! is read back and compared with what was written in
//! `common::Run::assert_reports`.)

mod common;

use std::process::Stdio;

use common::{Run, golive_command, run, scenarios};
use serde_json::Value;

const FAILING: &str = "manifests:fixtures/checks/probe.liveness/fail/deployment-no-liveness.yaml";

/// `golive report combine RUNS... --report-dir <fresh> EXTRA...`.
fn combine(runs: &[&Run], extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let report_dir = dir.path().join("dossier");
    let mut args: Vec<String> = vec!["report".into(), "combine".into()];
    args.extend(runs.iter().map(|r| r.report_dir.display().to_string()));
    args.extend(extra.iter().map(|a| a.to_string()));
    args.extend(["--report-dir".into(), report_dir.display().to_string()]);
    let output = golive_command()
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run::new(args, output, dir, report_dir)
}

/// The scenario that ran probe.liveness, from a summary.
fn liveness_item(summary: &Value) -> Value {
    scenarios(summary)
        .into_iter()
        .map(|(_, s)| s.clone())
        .find(|s| {
            s["checks"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["check"] == "probe.liveness"))
        })
        .expect("the liveness item")
}

#[test]
fn combined_runs_give_one_verdict_the_worst_status_and_every_source() {
    let ready = run(&["--tags", "@manifests"]);
    ready.assert_exit(0);
    let failing = run(&["--target", FAILING, "--tags", "@manifests"]);
    failing.assert_exit(1);
    let dossier = combine(&[&ready, &failing], &[]);
    dossier.assert_exit(1);
    let summary = dossier.summary();
    let sources: Vec<&str> = summary["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["READY", "NOT_READY"]);
    let item = liveness_item(&summary);
    assert_eq!(item["status"], "failed", "the worst wins: {item:#}");
    let runs: Vec<(&str, &str)> = item["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["source"].as_str().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!((runs[0].1, runs[1].1), ("passed", "failed"));
    let junit = dossier.junit();
    assert!(
        junit.contains("deployment-no-liveness.yaml"),
        "the failure names the finding's file: {junit}"
    );
    let markdown = dossier.markdown();
    assert!(markdown.contains("### Runs combined"), "{markdown}");
    assert!(
        markdown.contains(": passed, "),
        "each run's status: {markdown}"
    );
}

#[test]
fn run_from_earlier_runs_and_a_missing_run_is_an_input_error_with_reports() {
    let failing = run(&["--target", FAILING, "--tags", "@manifests"]);
    failing.assert_exit(1);
    let from = failing.report_dir.display().to_string();
    let ready = run(&["--tags", "@manifests", "--from", &from]);
    ready.assert_exit(1);
    assert_eq!(ready.summary()["sources"].as_array().unwrap().len(), 2);

    let dossier = combine(&[&failing], &["no-such-run-dir"]);
    dossier.assert_exit(2);
    let errors = dossier.summary()["input_errors"].clone();
    assert!(
        errors[0]["place"]
            .as_str()
            .unwrap()
            .contains("no-such-run-dir"),
        "{errors:#}"
    );
}

#[test]
fn a_baseline_shows_fixed_and_new_findings() {
    let failing = run(&["--target", FAILING, "--tags", "@manifests"]);
    failing.assert_exit(1);
    let baseline = failing.report_path("summary.json").display().to_string();
    let fixed = run(&["--tags", "@manifests", "--baseline", &baseline]);
    fixed.assert_exit(0);
    let changes = fixed.summary()["changes"].clone();
    let fixed_findings = changes["fixed_findings"].as_array().unwrap();
    assert!(
        fixed_findings
            .iter()
            .any(|f| f.as_str().unwrap().contains("probe.liveness")),
        "{changes:#}"
    );
    assert!(fixed.markdown().contains("### Changes since"));
    let broken = run(&["--tags", "@manifests", "--baseline", "Cargo.toml"]);
    broken.assert_exit(2);
}
