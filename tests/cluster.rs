//! The cluster target end to end: the real `golive` binary, through a
//! kubeconfig, against the Kubernetes API double (`tests/kube_double/`,
//! the one test double the project allows: no API server runs here).
//!
//! - the example application loaded into the double is READY, and golive
//!   only read it (the verbs the double recorded);
//! - every known violation of the checklist (the mutation table shared with
//!   tests/mutations.rs) is NOT READY with the same check IDs as from files;
//! - runtime-only defects (crash loop, stalled rollout, root process,
//!   restarts, unready pod, replicas stacked on one node) are caught;
//! - an unreachable API server, rejected credentials, a forbidden read, an
//!   unknown context or namespace: exit 2 naming the problem, reports
//!   written, no credential in them.

mod common;
mod kube_double;

use std::collections::BTreeSet;
use std::sync::Mutex;

use common::example::{Example, mutations};
use common::{Run, active_findings, run_with_env};
use k8s_openapi::api::core::v1::Pod;
use kube_double::{Cluster, DEFAULT_TOKEN, EXPIRED_TOKEN, KubeDouble, Rollout, Rule, Termination};
use serde_json::Value;

const NAMESPACE: &str = "production";

/// golive run ARGS against the double's kubeconfig.
fn run_on(double: &KubeDouble, args: &[&str]) -> Run {
    let kubeconfig = double.kubeconfig_path().display().to_string();
    run_with_env(args, &[("KUBECONFIG", kubeconfig.as_str())])
}

/// The example application, as the cluster would run it.
fn example_cluster() -> KubeDouble {
    KubeDouble::start(Cluster::from_documents(Example::load().documents()))
}

/// The check IDs with active findings.
fn failing_checks(run: &Run) -> BTreeSet<String> {
    active_findings(&run.summary())
        .iter()
        .map(|f| f["check"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The active findings of one check, as `Kind/name container`.
fn findings_of(run: &Run, check: &str) -> Vec<String> {
    active_findings(&run.summary())
        .iter()
        .filter(|f| f["check"] == check)
        .map(|f| {
            format!(
                "{}/{} {}",
                f["object"]["kind"].as_str().unwrap_or_default(),
                f["object"]["name"].as_str().unwrap_or_default(),
                f["container"].as_str().unwrap_or_default()
            )
            .trim_end()
            .to_string()
        })
        .collect()
}

/// How many subjects a check evaluated in a run.
fn evaluated(run: &Run, check: &str) -> u64 {
    common::check_outcomes(&run.summary())
        .iter()
        .filter(|o| o["check"] == check)
        .filter_map(|o| o["evaluated"].as_u64())
        .sum()
}

/// The name of the first pod of a workload.
fn first_pod(double: &KubeDouble, workload: &str) -> String {
    double.with_cluster(|c| {
        c.pod_names_of(NAMESPACE, workload)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{workload} has no pod in the double"))
    })
}

#[test]
fn the_example_application_in_a_cluster_is_ready_and_golive_only_reads() {
    let double = example_cluster();
    let run = run_on(&double, &["--target", "cluster"]);
    run.assert_exit(0);
    run.assert_reports();
    let summary = run.summary();
    let target = summary["target"].as_str().unwrap_or_default();
    assert!(
        target.starts_with("cluster (https://127.0.0.1:") && target.contains("Kubernetes v1.33"),
        "the target names the server and its version: {target}\n{}",
        run.context()
    );
    // The same checks as from files, plus what only a cluster knows.
    let pods = double.with_cluster(|c| c.list::<Pod>(NAMESPACE).len()) as u64;
    assert!(pods >= 10, "the double runs the example's pods ({pods})");
    for (check, at_least) in [
        ("probe.liveness", 5),
        ("security.non-root", 5),
        ("network.policy", 5),
        ("runtime.rollout", 5),
        ("runtime.pods-ready", pods),
        ("runtime.non-root", pods),
        ("runtime.spread", 2),
    ] {
        assert!(
            evaluated(&run, check) >= at_least,
            "{check} evaluated {} subjects, expected at least {at_least}\n{}",
            evaluated(&run, check),
            run.context()
        );
    }
    // Read-only: every resource request was a get, a list or a watch.
    let writes: Vec<String> = double.writes().iter().map(|r| r.summary()).collect();
    assert!(writes.is_empty(), "golive wrote to the cluster: {writes:?}");
    let verbs = double.verbs();
    assert!(
        verbs
            .iter()
            .all(|v| ["get", "list", "watch"].contains(&v.as_str())),
        "verbs used: {verbs:?}"
    );
    assert!(verbs.contains("list"), "verbs used: {verbs:?}");
    // The Secret's value never reached golive, nor its reports; neither
    // did the token.
    let secret_value = "cG9zdGdyZXM6Ly9hcHA6Q0hBTkdFLU1FQHBvc3RncmVz";
    for report in ["summary.json", "summary.md", "junit.xml"] {
        let text = run.report(report);
        assert!(
            !text.contains(secret_value),
            "{report} holds a Secret value"
        );
        assert!(!text.contains(DEFAULT_TOKEN), "{report} holds the token");
    }
}

#[test]
fn every_known_violation_is_caught_in_the_cluster_with_the_same_checks_as_from_files() {
    let example = Example::load();
    let table = Mutex::new(Vec::new());
    let wrong = Mutex::new(Vec::new());
    let mutations = mutations();
    // A few at a time: each starts its own double and two golive runs.
    std::thread::scope(|scope| {
        for chunk in mutations.chunks(mutations.len().div_ceil(4)) {
            let (example, table, wrong) = (&example, &table, &wrong);
            scope.spawn(move || {
                for mutation in chunk {
                    let mut mutated = example.clone();
                    (mutation.apply)(&mut mutated);
                    let dir = mutated.write();
                    let files =
                        common::run(&["--target", &format!("manifests:{}", dir.path().display())]);
                    let double = KubeDouble::start(Cluster::from_documents(mutated.documents()));
                    let cluster = run_on(&double, &["--target", "cluster"]);
                    let (from_files, from_cluster) =
                        (failing_checks(&files), failing_checks(&cluster));
                    // The runtime checks may confirm a violation (a pod the
                    // manifest runs as root does run as root): the checks
                    // manifests can prove must be the same.
                    let static_in_cluster: BTreeSet<String> = from_cluster
                        .iter()
                        .filter(|c| !c.starts_with("runtime."))
                        .cloned()
                        .collect();
                    let caught = cluster.code == 1 && from_cluster.contains(mutation.check);
                    table.lock().unwrap().push(format!(
                        "| {} | {} | {} | {} |",
                        mutation.check,
                        mutation.what,
                        cluster.code,
                        from_cluster.iter().cloned().collect::<Vec<_>>().join(", ")
                    ));
                    if !caught || from_files != static_in_cluster || files.code != cluster.code {
                        wrong.lock().unwrap().push(format!(
                            "{} ({}): files exit {} {:?}, cluster exit {} {:?}\n{}",
                            mutation.check,
                            mutation.what,
                            files.code,
                            from_files,
                            cluster.code,
                            from_cluster,
                            if cluster.code == 2 {
                                cluster.stdout.clone()
                            } else {
                                String::new()
                            }
                        ));
                    }
                }
            });
        }
    });
    let mut table = table.into_inner().unwrap();
    table.sort();
    println!(
        "| expected check | mutation | exit in the cluster | checks reporting it |\n|---|---|---|---|\n{}",
        table.join("\n")
    );
    let wrong = wrong.into_inner().unwrap();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A defect made in the running cluster, and the check that must catch it
/// (as `Kind/name container`).
struct RuntimeDefect {
    check: &'static str,
    what: &'static str,
    make: fn(&KubeDouble) -> String,
}

#[test]
fn runtime_only_defects_are_caught() {
    let defects = [
        RuntimeDefect {
            check: "runtime.crash-loop",
            what: "an API container in CrashLoopBackOff",
            make: |double| {
                let pod = first_pod(double, "factory-api");
                double.with_cluster(|c| c.crash_loop(NAMESPACE, &pod, "api"));
                format!("Pod/{pod} api")
            },
        },
        RuntimeDefect {
            check: "runtime.rollout",
            what: "a rollout stalled past its deadline",
            make: |double| {
                double.with_cluster(|c| {
                    c.stall_rollout(
                        NAMESPACE,
                        "factory-api",
                        Rollout {
                            deadline_exceeded: true,
                            ..Rollout::default()
                        },
                    )
                });
                "Deployment/factory-api".into()
            },
        },
        RuntimeDefect {
            check: "runtime.rollout",
            what: "a new generation the controller has not observed",
            make: |double| {
                double.with_cluster(|c| c.rollout_not_observed(NAMESPACE, "worker"));
                "Deployment/worker".into()
            },
        },
        RuntimeDefect {
            check: "runtime.non-root",
            what: "a process running as root despite the manifest",
            make: |double| {
                let pod = first_pod(double, "factory-api");
                double.with_cluster(|c| c.run_as_root(NAMESPACE, &pod, "api"));
                format!("Pod/{pod} api")
            },
        },
        RuntimeDefect {
            check: "runtime.restarts",
            what: "an OOM-killed container restarted 9 times",
            make: |double| {
                let pod = first_pod(double, "worker");
                double.with_cluster(|c| {
                    c.restart_container(NAMESPACE, &pod, "worker", 9, Termination::OomKilled)
                });
                format!("Pod/{pod} worker")
            },
        },
        RuntimeDefect {
            check: "runtime.pods-ready",
            what: "a pod whose readiness probe fails",
            make: |double| {
                let pod = first_pod(double, "factory-api");
                double.with_cluster(|c| c.set_container_ready(NAMESPACE, &pod, "api", false));
                format!("Pod/{pod}")
            },
        },
        RuntimeDefect {
            check: "runtime.spread",
            what: "every API replica scheduled on one node",
            make: |double| {
                double.with_cluster(|c| c.place_on_node(NAMESPACE, "factory-api", "node-a"));
                "Deployment/factory-api".into()
            },
        },
    ];
    let mut wrong = Vec::new();
    for defect in &defects {
        let double = example_cluster();
        let expected = (defect.make)(&double);
        let run = run_on(&double, &["--target", "cluster"]);
        let found = findings_of(&run, defect.check);
        if run.code != 1 || !found.contains(&expected) {
            wrong.push(format!(
                "{} ({}): exit {}, {} findings {found:?}, expected {expected}\n{}",
                defect.check, defect.what, run.code, defect.check, run.stdout
            ));
        }
        // The manifests did not change: no static check moved.
        let static_failures: Vec<String> = failing_checks(&run)
            .into_iter()
            .filter(|c| !c.starts_with("runtime."))
            .collect();
        if !static_failures.is_empty() {
            wrong.push(format!(
                "{}: static checks failed too: {static_failures:?}",
                defect.what
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn namespaces_are_chosen_and_named_ones_must_exist() {
    let double = example_cluster();
    let scoped = run_on(&double, &["--target", "cluster", "--namespace", NAMESPACE]);
    scoped.assert_exit(0);
    let namespaced_lists: Vec<String> = double
        .requests()
        .iter()
        .filter(|r| r.info.verb == "list" && r.info.resource == "deployments")
        .map(|r| r.info.namespace.clone())
        .collect();
    assert_eq!(
        namespaced_lists,
        vec![NAMESPACE.to_string()],
        "--namespace lists in that namespace only (a Role there is enough)"
    );

    let missing = run_on(&double, &["--target", "cluster", "--namespace", "nowhere"]);
    missing.assert_exit(2);
    assert!(
        missing
            .stdout
            .contains("namespace \"nowhere\" (given to --namespace) does not exist"),
        "{}",
        missing.context()
    );

    let excluded = run_on(
        &double,
        &["--target", "cluster", "--exclude-namespace", NAMESPACE],
    );
    excluded.assert_exit(2);
    assert!(
        excluded.stdout.contains(
            "no namespace in scope runs anything (every namespace but kube-system, kube-public, \
             kube-node-lease, excluding production)"
        ),
        "{}",
        excluded.context()
    );
}

#[test]
fn connection_problems_exit_2_naming_the_problem_and_never_the_token() {
    let double = example_cluster();
    double.add_unreachable_context("gone");
    double.add_expired_context("expired");
    let cases: [(&str, &[&str], &str); 4] = [
        (
            "gone",
            &["--target", "cluster:gone"],
            "cannot reach the API server",
        ),
        (
            "expired",
            &["--target", "cluster:expired"],
            "rejected the credentials of user",
        ),
        (
            "unknown context",
            &["--target", "cluster:staging"],
            "no context named \"staging\" (its contexts:",
        ),
        (
            "a context without a name",
            &["--target", "cluster:"],
            "cluster: needs a kubeconfig context",
        ),
    ];
    for (what, args, message) in cases {
        let run = run_on(&double, args);
        run.assert_exit(2);
        run.assert_reports();
        assert!(run.stdout.contains(message), "{what}: {}", run.context());
        for report in ["summary.json", "summary.md", "junit.xml"] {
            let text = run.report(report);
            assert!(
                !text.contains(DEFAULT_TOKEN) && !text.contains(EXPIRED_TOKEN),
                "{what}: {report} holds a token"
            );
        }
        let printed = run.context();
        assert!(!printed.contains(DEFAULT_TOKEN) && !printed.contains(EXPIRED_TOKEN));
    }
}

#[test]
fn a_forbidden_read_names_the_verb_and_resource_and_the_rest_is_still_evaluated() {
    let double = example_cluster();
    double.deny(
        Rule::verbs(&["list"])
            .on(&["networkpolicies"])
            .in_groups(&["networking.k8s.io"]),
    );
    let run = run_on(&double, &["--target", "cluster"]);
    run.assert_exit(2);
    run.assert_reports();
    assert!(
        run.stdout.contains("list networkpolicies.networking.k8s.io: forbidden")
            && run.stdout.contains("golive needs the RBAC verb `list` on `networkpolicies` (API group \"networking.k8s.io\") at the cluster scope")
            && run.stdout.contains("docs/cluster-rbac.yaml"),
        "{}",
        run.context()
    );
    // What could be read was evaluated.
    assert!(evaluated(&run, "probe.liveness") >= 5, "{}", run.context());
    let summary: Value = run.summary();
    assert_eq!(summary["verdict"], "COULD_NOT_EVALUATE");
}
