//! The scoping Given steps (namespace, labels, workload name, profile), run
//! through real features: a scenario scoped away from a failing workload
//! passes while the same check over every workload fails, and each scope
//! names only the workloads it selects.

mod common;

use common::{active_findings, features_dir, path_str, run, temp_tree};

/// `good` (namespace a, tier=api) has probes; `bad` (namespace b, tier=batch)
/// has none.
const TARGET: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: good, namespace: a}
spec:
  selector: {matchLabels: {app: good}}
  template:
    metadata: {labels: {app: good, tier: api}}
    spec:
      containers:
        - name: web
          image: web:1.0
          livenessProbe: {httpGet: {path: /health, port: 8080}}
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bad, namespace: b}
spec:
  selector: {matchLabels: {app: bad}}
  template:
    metadata: {labels: {app: bad, tier: batch}}
    spec:
      containers:
        - name: worker
          image: worker:1.0
"#;

fn run_scenario(given: &str) -> common::Run {
    let target = temp_tree(&[("target.yaml", TARGET.as_bytes())]);
    let feature = format!(
        "@manifests\nFeature: Scope\n\n  Scenario: Liveness in scope\n    {given}\n    Then the check \"probe.liveness\" passes\n"
    );
    let features = features_dir(&[("scope.feature", &feature)]);
    let target_arg = format!("manifests:{}", path_str(&target.path().join("target.yaml")));
    run(&[
        "--features",
        path_str(features.path()),
        "--target",
        &target_arg,
    ])
}

fn flagged_objects(run: &common::Run) -> Vec<String> {
    let summary = run.summary();
    active_findings(&summary)
        .iter()
        .map(|f| f["object"]["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn every_workload_includes_the_failing_one() {
    let run = run_scenario("Given the workloads of the target");
    run.assert_exit(1);
    assert_eq!(flagged_objects(&run), ["bad"]);
}

#[test]
fn namespace_labels_and_names_scope_the_check() {
    for (given, code, flagged) in [
        ("Given the workloads in namespace \"a\"", 0, vec![]),
        ("Given the workloads in namespace \"b\"", 1, vec!["bad"]),
        (
            "Given the workloads labelled \"tier in (api,web)\"",
            0,
            vec![],
        ),
        ("Given the workloads labelled \"tier!=api\"", 1, vec!["bad"]),
        ("Given the workload \"Deployment/good\"", 0, vec![]),
        ("Given the workload \"bad\"", 1, vec!["bad"]),
    ] {
        let run = run_scenario(given);
        run.assert_exit(code);
        assert_eq!(flagged_objects(&run), flagged, "{given}");
        let evaluated: u64 = common::check_outcomes(&run.summary())
            .iter()
            .map(|c| c["evaluated"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(evaluated, 1, "{given}: one container in scope");
    }
}

#[test]
fn a_profile_step_picks_known_profiles_and_rejects_unknown_ones() {
    let run = run_scenario("Given the staging profile\n    And the workloads in namespace \"a\"");
    run.assert_exit(0);
    let run = run_scenario("Given the qa profile\n    And the workloads in namespace \"a\"");
    run.assert_exit(2);
    let summary = run.summary();
    let messages: Vec<String> = common::scenarios(&summary)
        .iter()
        .flat_map(|(_, s)| s["steps"].as_array().cloned().unwrap_or_default())
        .filter_map(|step| step["message"].as_str().map(str::to_string))
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("no profile named \"qa\"")),
        "{messages:?}"
    );
}

/// A scenario may state its own threshold: the example's 3-replica
/// Deployments pass the production minimum (3) and fail a stated 4.
#[test]
fn a_threshold_step_overrides_the_profile_for_its_scenario() {
    let scenario = |given: &str| {
        let feature = format!(
            "@manifests\nFeature: Replicas\n\n  Scenario: Replicas\n    Given the workload \"Deployment/worker\"\n    {given}\n    Then the check \"availability.replicas\" passes\n"
        );
        let features = features_dir(&[("replicas.feature", &feature)]);
        run(&["--features", path_str(features.path())])
    };
    scenario("And the threshold min_replicas is 3").assert_exit(0);
    let run = scenario("And the threshold min_replicas is 4");
    run.assert_exit(1);
    assert_eq!(flagged_objects(&run), ["worker"]);
    scenario("And the threshold min_replicas is zero").assert_exit(2);
    scenario("And the threshold min_replica is 4").assert_exit(2);
}
