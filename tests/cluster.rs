//! The cluster target end to end: the real `golive` binary, through a
//! kubeconfig, against the Kubernetes API double (`tests/kube_double/`,
//! the one test double the project allows: no API server runs here). The
//! pods' containers are local HTTP servers (reached through the double's
//! port-forwards) and the Ingress controller's load balancer is a local TLS
//! server: real HTTP and real TLS handshakes.
//!
//! - the example application loaded into the double is READY, and golive
//!   only read it (the verbs the double recorded);
//! - every known violation of the checklist (the mutation table shared with
//!   tests/mutations.rs) is NOT READY with the same check IDs as from files;
//! - runtime-only defects (crash loop, stalled rollout, root process,
//!   restarts, unready pod, replicas stacked on one node, a failing health
//!   endpoint, a weak or unreachable TLS endpoint) are caught;
//! - the disruptive items (a pod deleted, NetworkPolicies probed) refuse to
//!   run without --allow-disruption, pass on the example with it, and fail
//!   on a cluster whose replacements never become Ready or whose network
//!   plugin ignores the policies;
//! - an unreachable API server, rejected credentials, a forbidden read, an
//!   unknown context or namespace: exit 2 naming the problem, reports
//!   written, no credential in them.

mod common;
mod kube_double;

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener};
use std::sync::Mutex;

use common::example::{Example, mutations, produced_secret};
use common::{Run, active_findings, features_dir, observations, run_with_env};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::networking::v1::Ingress;
use kube_double::{
    Cluster, ClusterOptions, DEFAULT_TOKEN, EXPIRED_TOKEN, EventType, KubeDouble, PROBE_KIND,
    PROBE_LABEL, Rollout, Rule, Termination,
};
use serde_json::{Value, json};

const NAMESPACE: &str = "production";
/// The hosts of the example's Ingresses.
const HOSTS: [&str; 2] = ["api.factory.company.com", "admin.factory.company.com"];
/// The HTTP ports of the example's containers, by workload.
const HTTP_PORTS: [(&str, u16); 4] = [
    ("factory-api", 3000),
    ("admin-web", 8080),
    ("admin-web", 9113),
    ("postgres", 9187),
];

/// The example application running in the double: every HTTP port of its
/// pods served by a local server answering `status(path)`, its Ingresses
/// behind a local TLS load balancer.
struct Live {
    double: KubeDouble,
    balancer: LoadBalancer,
}

impl Live {
    fn start(documents: Vec<Value>, options: ClusterOptions, status: fn(&str) -> u16) -> Live {
        let double = KubeDouble::start(Cluster::from_documents_with(documents, options));
        let backend = http_backend(status);
        double.with_cluster(|c| {
            for (workload, port) in HTTP_PORTS {
                c.serve_port(NAMESPACE, workload, port, backend);
            }
        });
        let balancer = LoadBalancer::start(&HOSTS, 90);
        balancer.serve(&double);
        Live { double, balancer }
    }

    /// The READY example, with the Secret its ExternalSecret makes the
    /// External Secrets controller write.
    fn example() -> Live {
        let mut documents = Example::load().documents();
        documents.push(produced_secret());
        Live::start(documents, ClusterOptions::default(), |_| 200)
    }

    /// `golive run --target cluster --ca-file CA ARGS`.
    fn run(&self, args: &[&str]) -> Run {
        let ca = self.balancer.ca_file();
        let mut all = vec!["--target", "cluster", "--ca-file", ca.as_str()];
        all.extend_from_slice(args);
        run_on(&self.double, &all)
    }
}

/// golive run ARGS against the double's kubeconfig.
fn run_on(double: &KubeDouble, args: &[&str]) -> Run {
    let kubeconfig = double.kubeconfig_path().display().to_string();
    run_with_env(args, &[("KUBECONFIG", kubeconfig.as_str())])
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

/// The failed observations of an item, as `subject: facts`.
fn failed(run: &Run, item: &str) -> Vec<String> {
    observations(&run.summary())
        .iter()
        .filter(|o| o["item"] == item && o["passed"] == false)
        .map(|o| {
            format!(
                "{}: {}",
                o["subject"].as_str().unwrap_or_default(),
                o["facts"]
            )
        })
        .collect()
}

/// How many observations of an item passed.
fn passed(run: &Run, item: &str) -> usize {
    observations(&run.summary())
        .iter()
        .filter(|o| o["item"] == item && o["passed"] == true)
        .count()
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

/// The requests that were not reads, as `verb resource[/sub]`.
fn writes(double: &KubeDouble) -> BTreeSet<String> {
    double
        .writes()
        .iter()
        .map(|r| {
            let mut resource = r.info.resource.clone();
            if !r.info.subresource.is_empty() {
                resource = format!("{resource}/{}", r.info.subresource);
            }
            format!("{} {resource}", r.info.verb)
        })
        .collect()
}

#[test]
fn the_example_application_in_a_cluster_is_ready_and_golive_only_reads() {
    let live = Live::example();
    let run = live.run(&[]);
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
    let pods = live.double.with_cluster(|c| c.list::<Pod>(NAMESPACE).len()) as u64;
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
    // Health endpoints answered through port-forwards; TLS at the balancer.
    assert!(passed(&run, "probe.answers") >= 5, "{}", run.context());
    for item in ["tls.old-protocols", "tls.modern-protocols"] {
        assert_eq!(passed(&run, item), HOSTS.len(), "{item}\n{}", run.context());
    }
    assert_eq!(
        passed(&run, "tls.certificate"),
        HOSTS.len(),
        "{}",
        run.context()
    );
    // Read-only: gets and lists, and the port-forwards of the probes (a
    // connection; nothing changes).
    assert_eq!(
        writes(&live.double),
        BTreeSet::from(["create pods/portforward".to_string()]),
        "golive changed the cluster"
    );
    let verbs = live.double.verbs();
    assert!(
        verbs
            .iter()
            .all(|v| ["get", "list", "watch", "create"].contains(&v.as_str()))
            && verbs.contains("list"),
        "verbs used: {verbs:?}"
    );
    // The disruptive items were not run, saying why.
    let skipped = summary["skipped"].to_string();
    assert!(
        skipped.contains("A deleted API pod is replaced")
            && skipped.contains("Allowed paths connect and denied paths do not")
            && skipped.contains("--allow-disruption"),
        "{skipped}"
    );
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
    // A cluster holds no object at a version it does not serve (its API
    // server refuses them), so the api family is judged on manifests only;
    // golive reads no Secret's data from a cluster, so whether Secrets were
    // committed with theirs is too; so is availability.hpa-owned-replicas,
    // since a live Deployment always carries spec.replicas (defaulted, then
    // written by its autoscaler).
    let mutations: Vec<_> = mutations()
        .into_iter()
        .filter(|m| {
            !m.check.starts_with("api.")
                && !["secrets.managed", "availability.hpa-owned-replicas"].contains(&m.check)
        })
        .collect();
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
                    let live = Live::start(mutated.documents(), ClusterOptions::default(), |_| 200);
                    let cluster = live.run(&[]);
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
        let live = Live::example();
        let expected = (defect.make)(&live.double);
        let run = live.run(&[]);
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
    let live = Live::example();
    let double = &live.double;
    let scoped = live.run(&["--namespace", NAMESPACE]);
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
        "--namespace lists the namespaced kinds in that namespace only"
    );

    let missing = live.run(&["--namespace", "nowhere"]);
    missing.assert_exit(2);
    assert!(
        missing
            .stdout
            .contains("namespace \"nowhere\" (given to --namespace) does not exist"),
        "{}",
        missing.context()
    );

    let excluded = live.run(&["--exclude-namespace", NAMESPACE]);
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
    let double = KubeDouble::start(Cluster::from_documents(Example::load().documents()));
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
fn a_failing_credential_plugin_exits_2_without_showing_its_output() {
    let double = KubeDouble::start(Cluster::from_documents(Example::load().documents()));
    // A kubeconfig user whose exec plugin prints a token, then fails.
    let mut kubeconfig = double.kubeconfig().to_value();
    let cluster = kubeconfig["clusters"][0]["name"].clone();
    kubeconfig["users"].as_array_mut().expect("users").push(
        json!({"name": "plugin", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "sh",
            "args": ["-c", "echo leaky-token-123; echo leaky-token-123 >&2; exit 1"],
            "interactiveMode": "Never"
        }}}),
    );
    kubeconfig["contexts"]
        .as_array_mut()
        .expect("contexts")
        .push(json!({"name": "plugin", "context": {"cluster": cluster, "user": "plugin"}}));
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(file.path(), serde_json::to_string(&kubeconfig).unwrap()).unwrap();
    let path = file.path().display().to_string();
    let run = run_with_env(
        &["--target", "cluster:plugin"],
        &[("KUBECONFIG", path.as_str())],
    );
    run.assert_exit(2);
    assert!(
        run.stdout
            .contains("its credential plugin or token file failed"),
        "{}",
        run.context()
    );
    assert!(
        !run.context().contains("leaky-token-123"),
        "{}",
        run.context()
    );
    for report in ["summary.json", "summary.md", "junit.xml"] {
        assert!(!run.report(report).contains("leaky-token-123"), "{report}");
    }
}

#[test]
fn a_forbidden_read_names_the_verb_and_resource_and_the_rest_is_still_evaluated() {
    let double = KubeDouble::start(Cluster::from_documents(Example::load().documents()));
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

#[test]
fn a_health_endpoint_failing_on_the_pods_is_not_ready() {
    let live = Live::start(
        Example::load().documents(),
        ClusterOptions::default(),
        |path| {
            if path == "/api/v1/ready" { 503 } else { 200 }
        },
    );
    let run = live.run(&[]);
    run.assert_exit(1);
    let failures = failed(&run, "probe.answers");
    assert_eq!(failures.len(), 1, "{failures:?}\n{}", run.context());
    assert!(
        failures[0].starts_with("production/factory-api container api readinessProbe")
            && failures[0].contains("GET /api/v1/ready on port 3000")
            && failures[0].contains(": 503 (with the port-forward"),
        "{failures:?}"
    );
}

#[test]
fn the_ingress_hosts_tls_is_checked_at_the_load_balancer() {
    // A certificate that expires in 5 days (the profile asks for 30).
    let live = Live::example();
    let short = LoadBalancer::start(&HOSTS, 5);
    short.serve(&live.double);
    let ca = short.ca_file();
    let run = run_on(&live.double, &["--target", "cluster", "--ca-file", &ca]);
    run.assert_exit(1);
    let failures = failed(&run, "tls.expiry");
    assert_eq!(failures.len(), HOSTS.len(), "{}", run.context());
    assert!(
        failures[0].contains("the profile requires at least 30"),
        "{failures:?}"
    );
    assert_eq!(
        passed(&run, "tls.certificate"),
        HOSTS.len(),
        "{}",
        run.context()
    );
    for item in ["tls.old-protocols", "tls.modern-protocols"] {
        assert_eq!(passed(&run, item), HOSTS.len(), "{item}\n{}", run.context());
    }

    // Without --ca-file, a certificate of an internal CA is not trusted.
    let untrusted = run_on(&live.double, &["--target", "cluster"]);
    untrusted.assert_exit(1);
    let failures = failed(&untrusted, "tls.certificate");
    assert_eq!(failures.len(), HOSTS.len(), "{}", untrusted.context());
    assert!(
        failures
            .iter()
            .all(|f| f.contains("issued by an unknown CA")),
        "{failures:?}"
    );

    // A load balancer golive cannot reach: could not evaluate, saying so.
    let closed = TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("an address")
        .port();
    point_ingresses(&live.double, closed);
    let unreachable = live.run(&[]);
    unreachable.assert_exit(2);
    assert!(
        unreachable
            .stdout
            .contains("cannot be reached from where golive runs"),
        "{}",
        unreachable.context()
    );

    // A missing --ca-file is bad input naming the file.
    let missing = run_on(
        &live.double,
        &["--target", "cluster", "--ca-file", "/nonexistent/ca.pem"],
    );
    missing.assert_exit(2);
    assert!(
        missing.stdout.contains("/nonexistent/ca.pem: cannot read"),
        "{}",
        missing.context()
    );
}

/// A feature of one scenario, for the disruptive steps outside the bundled
/// features (a shorter target than the profile's RTO, no @disruptive tag).
fn failover_feature(tags: &str, target_s: u32) -> tempfile::TempDir {
    let text = format!(
        "{tags}\nFeature: failover\n\n  Scenario: a pod is lost\n    Given a probe watches GET /api/v1/health on the pods of \"factory-api\"\n    When a pod of \"factory-api\" is deleted\n    Then \"factory-api\" recovers within {target_s} s\n    And a replacement pod of \"factory-api\" is Ready within {target_s} s\n"
    );
    features_dir(&[("failover.feature", text.as_str())])
}

#[test]
fn disruptive_steps_refuse_to_run_without_allow_disruption() {
    let live = Live::example();
    let features = failover_feature("@cluster", 10);
    let features = features.path().display().to_string();
    let run = live.run(&["--features", &features]);
    run.assert_exit(2);
    assert!(
        run.stdout.contains(
            "this step breaks a part of the target on purpose: run with --allow-disruption"
        ),
        "{}",
        run.context()
    );
    let changes: BTreeSet<String> = writes(&live.double)
        .into_iter()
        .filter(|w| w != "create pods/portforward")
        .collect();
    assert!(
        changes.is_empty(),
        "golive changed the cluster: {changes:?}"
    );
}

#[test]
fn with_allow_disruption_a_pod_is_deleted_and_replaced_the_api_rolled_and_the_policies_are_probed()
{
    let live = Live::example();
    let run = live.run(&["--allow-disruption", "--image", NEXT_RELEASE]);
    run.assert_exit(0);
    let summary = run.summary();
    let replacement: Vec<Value> = observations(&summary)
        .into_iter()
        .filter(|o| o["item"] == "failover.replacement")
        .collect();
    assert_eq!(replacement.len(), 1, "{}", run.context());
    // (The release drills may have run first and replaced every pod.)
    let facts = replacement[0]["facts"].to_string();
    assert!(
        facts.contains("deleted factory-api-") && facts.contains("3 of 3 pods Ready again after"),
        "{facts}"
    );
    assert!(passed(&run, "failover.rto") == 1, "{}", run.context());
    // Every workload's pods, and a pod of none, probed the others.
    assert!(passed(&run, "network.enforced") >= 5, "{}", run.context());
    // The API rolled to the next release and back.
    assert_eq!(passed(&run, "rollout.complete"), 2, "{}", run.context());
    // What changed in the cluster: the pod deleted, the probe pods created
    // and deleted, the API's template set and put back; nothing else.
    assert_eq!(
        writes(&live.double),
        BTreeSet::from([
            "create pods".to_string(),
            "create pods/portforward".to_string(),
            "delete pods".to_string(),
            "update deployments".to_string(),
        ]),
    );
    let probes_left = live.double.with_cluster(|c| {
        c.list::<Pod>(NAMESPACE)
            .into_iter()
            .filter(|p| {
                p.metadata
                    .labels
                    .as_ref()
                    .is_some_and(|l| l.contains_key("golive.dev/probe"))
            })
            .count()
    });
    assert_eq!(probes_left, 0, "probe pods were left behind");
}

/// The release the upgrade drills roll the API to, and the API's image.
const NEXT_RELEASE: &str = "factory-api=registry.company.com/factory-api:1.5.0";
const API_IMAGE: &str = "registry.company.com/factory-api:1.4.2";

/// The images of the API's pods now, and its Deployment's.
fn api_images(double: &KubeDouble) -> (BTreeSet<String>, String) {
    double.with_cluster(|c| {
        let pods = c
            .pods_of(NAMESPACE, "factory-api")
            .into_iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .filter_map(|p| p.spec?.containers.first()?.image.clone())
            .collect();
        let deployment: k8s_openapi::api::apps::v1::Deployment = c
            .get(NAMESPACE, "factory-api")
            .expect("the API's Deployment");
        let image = deployment.spec.unwrap().template.spec.unwrap().containers[0]
            .image
            .clone()
            .unwrap_or_default();
        (pods, image)
    })
}

/// The observations of an item, as `passed subject: facts`.
fn judged(run: &Run, item: &str) -> Vec<String> {
    observations(&run.summary())
        .iter()
        .filter(|o| o["item"] == item)
        .map(|o| {
            format!(
                "{} {}: {}",
                o["passed"],
                o["subject"].as_str().unwrap_or_default(),
                o["facts"]
            )
        })
        .collect()
}

/// The cluster release drills alone (features/cluster-release.feature),
/// the upgrade to `image` with `--allow-disruption`.
fn release_drills(live: &Live, image: &str) -> Run {
    let features = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("features/cluster-release.feature")
        .display()
        .to_string();
    live.run(&[
        "--features",
        &features,
        "--allow-disruption",
        "--image",
        image,
    ])
}

#[test]
fn the_api_deployment_rolls_to_the_next_release_and_back_with_no_request_failed() {
    let live = Live::example();
    let run = release_drills(&live, NEXT_RELEASE);
    run.assert_exit(0);
    for item in ["rollout.complete", "rollout.no-error", "rollout.version"] {
        assert_eq!(passed(&run, item), 2, "{item}: {:?}", judged(&run, item));
    }
    let complete = judged(&run, "rollout.complete").join("\n");
    assert!(
        complete.contains("upgrade of production/factory-api from api=registry.company.com/factory-api:1.4.2 to api=registry.company.com/factory-api:1.5.0: 3 of 3 replica(s) replaced")
            && complete.contains("rollback of production/factory-api")
            && complete.contains("new replicas updated")
            && complete.contains("old replicas pending termination"),
        "{complete}"
    );
    let no_error = judged(&run, "rollout.no-error").join("\n");
    assert!(
        no_error.contains("0 of ")
            && no_error.contains(
                "requests of the probe GET /api/v1/health on port 3000 of the Ready pods of factory-api"
            ),
        "{no_error}"
    );
    assert!(
        judged(&run, "rollout.version")
            .join("\n")
            .contains("pod factory-api-")
    );
    // Only the template was written (and the probe's port-forwards), and
    // the API runs its first release again.
    assert_eq!(
        writes(&live.double),
        BTreeSet::from([
            "create pods/portforward".to_string(),
            "update deployments".to_string(),
        ]),
    );
    let (pods, template) = api_images(&live.double);
    assert_eq!(template, API_IMAGE);
    assert!(
        live.double
            .wait_until(std::time::Duration::from_secs(10), |c| {
                c.pods_of(NAMESPACE, "factory-api")
                    .iter()
                    .filter(|p| p.metadata.deletion_timestamp.is_none())
                    .count()
                    == 3
            }),
        "{pods:?}"
    );
}

#[test]
fn an_upgrade_without_a_release_to_roll_to_cannot_be_evaluated_and_changes_nothing() {
    let live = Live::example();
    let features = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("features/cluster-release.feature")
        .display()
        .to_string();
    let run = live.run(&["--features", &features, "--allow-disruption"]);
    run.assert_exit(2);
    assert!(
        run.stdout
            .contains("say which release to upgrade deployment production/factory-api to: --image factory-api=IMAGE"),
        "{}",
        run.context()
    );
    assert!(!writes(&live.double).contains("update deployments"));
}

#[test]
fn a_release_that_never_becomes_ready_is_undone_at_its_progress_deadline() {
    let broken = "registry.company.com/factory-api:1.5.0-missing";
    let mut documents = Example::load().documents();
    for document in &mut documents {
        if document["kind"] == "Deployment" && document["metadata"]["name"] == "factory-api" {
            document["spec"]["progressDeadlineSeconds"] = json!(6);
        }
    }
    let options = ClusterOptions::default().unpullable_image(broken);
    let live = Live::start(documents, options, |_| 200);
    let run = release_drills(&live, &format!("factory-api={broken}"));
    run.assert_exit(1);
    let complete = judged(&run, "rollout.complete").join("\n");
    assert!(
        complete.contains("false deployment production/factory-api")
            && complete.contains("0 of 3 replica(s) replaced")
            && complete.contains("1 of 3 new replicas updated, 3 available")
            && complete.contains("exceeded its progress deadline")
            && complete.contains("undone: template put back to api=registry.company.com/factory-api:1.4.2: rollout complete"),
        "{complete}"
    );
    // The old replicas kept serving: users saw nothing.
    assert!(
        judged(&run, "rollout.no-error")[0].starts_with("true"),
        "{:?}",
        judged(&run, "rollout.no-error")
    );
    let (pods, template) = api_images(&live.double);
    assert_eq!(
        (pods, template),
        (
            BTreeSet::from([API_IMAGE.to_string()]),
            API_IMAGE.to_string()
        )
    );
}

#[test]
fn a_release_that_answers_500_is_not_ready_with_the_failed_requests_counted() {
    let broken = "registry.company.com/factory-api:1.5.0-500";
    let live = Live::example();
    let failing = http_backend(|_| 500);
    live.double
        .with_cluster(|c| c.serve_image_port(NAMESPACE, broken, 3000, failing));
    let run = release_drills(&live, &format!("factory-api={broken}"));
    run.assert_exit(1);
    let no_error = judged(&run, "rollout.no-error");
    assert!(!no_error.is_empty(), "{}", run.context());
    assert!(
        no_error[0].starts_with("false")
            && no_error[0].contains("first error")
            && no_error[0].contains("500"),
        "{no_error:?}"
    );
    // The release was Ready, and wrong; the API runs its first one again.
    assert_eq!(api_images(&live.double).1, API_IMAGE);
}

#[test]
fn replacements_that_never_become_ready_fail_the_failover() {
    let options = ClusterOptions::default().new_pods_crash_loop(true);
    let live = Live::start(Example::load().documents(), options, |_| 200);
    let features = failover_feature("@cluster @disruptive", 5);
    let features = features.path().display().to_string();
    let run = live.run(&["--features", &features, "--allow-disruption"]);
    run.assert_exit(1);
    let failures = failed(&run, "failover.replacement");
    assert_eq!(failures.len(), 1, "{}", run.context());
    assert!(
        failures[0].contains("2 of 3 pods Ready after 5 s"),
        "{failures:?}"
    );
    // The two other replicas kept serving: users saw nothing.
    assert_eq!(passed(&run, "failover.rto"), 1, "{}", run.context());
}

/// A golive.yaml whose production profile sets `key: value`.
fn golive_yaml(key: &str, value: &str) -> tempfile::TempDir {
    let text = format!("profiles:\n  production:\n    {key}: {value}\n");
    features_dir(&[("golive.yaml", text.as_str())])
}

/// `rto_seconds` of golive.yaml is the target of "within the profile's
/// RTO": a replacement Ready after about 4.5 s (termination, scheduling,
/// start, a 3 s readiness probe) fails an RTO of 1 s and passes one of 30 s.
#[test]
fn rto_seconds_from_golive_yaml_flips_the_replacement_verdict() {
    let options = ClusterOptions::default().readiness_delay(std::time::Duration::from_secs(3));
    let live = Live::start(Example::load().documents(), options, |_| 200);
    let features = features_dir(&[(
        "failover.feature",
        "@cluster @disruptive\nFeature: failover\n\n  Scenario: a pod is lost\n    When a pod of \"factory-api\" is deleted\n    Then a replacement pod of \"factory-api\" is Ready within the profile's RTO\n",
    )]);
    let features = features.path().display().to_string();
    let judged = |rto: &str| {
        let config = golive_yaml("rto_seconds", rto);
        let config = config.path().join("golive.yaml").display().to_string();
        live.run(&[
            "--features",
            &features,
            "--allow-disruption",
            "--config",
            &config,
        ])
    };
    let strict = judged("1");
    strict.assert_exit(1);
    let failures = failed(&strict, "failover.replacement");
    assert!(
        failures.len() == 1 && failures[0].contains("Ready after 1 s (target 1 s)"),
        "{}",
        strict.context()
    );
    let lenient = judged("30");
    lenient.assert_exit(0);
    assert_eq!(
        passed(&lenient, "failover.replacement"),
        1,
        "{}",
        lenient.context()
    );
}

/// The network step's probe pods run the profile's `network_probe_image`
/// (a mirror, where registries are closed). On a cluster whose registries
/// do not serve the default image, the item cannot be evaluated, saying
/// which image and what to set, at once rather than after the pods'
/// deadline; with the mirror in golive.yaml it is READY, and every probe
/// pod created during the run (the double's event history) names it.
#[test]
fn network_probe_pods_run_the_image_of_the_profile() {
    let options = ClusterOptions::default().unpullable_image("busybox:1.36");
    let live = Live::start(Example::load().documents(), options, |_| 200);
    let without_mirror = live.run(&["--allow-disruption", "--tags", "@GL-NET-01"]);
    without_mirror.assert_exit(2);
    assert!(
        without_mirror
            .stdout
            .contains("image busybox:1.36 cannot be pulled (ErrImagePull")
            && without_mirror.stdout.contains("set network_probe_image"),
        "{}",
        without_mirror.context()
    );
    let image = "mirror.example.com/tools/busybox:1.36-probe";
    let config = golive_yaml("network_probe_image", image);
    let config = config.path().join("golive.yaml").display().to_string();
    let before = live.double.with_cluster(|c| c.resource_version());
    let run = live.run(&[
        "--allow-disruption",
        "--tags",
        "@GL-NET-01",
        "--config",
        &config,
    ]);
    run.assert_exit(0);
    assert!(passed(&run, "network.enforced") >= 5, "{}", run.context());
    let images: Vec<String> = live.double.with_cluster(|c| {
        c.store()
            .events_after(before)
            .expect("the run's events are still in the history")
            .into_iter()
            .filter(|e| e.event_type == EventType::Added)
            .filter(|e| e.object["metadata"]["labels"][PROBE_LABEL] == PROBE_KIND)
            .map(|e| e.object["spec"]["containers"][0]["image"].to_string())
            .collect()
    });
    assert!(images.len() >= 5, "{images:?}");
    assert!(
        images.iter().all(|i| *i == format!("{image:?}")),
        "{images:?}"
    );
}

#[test]
fn a_network_plugin_that_ignores_the_policies_is_caught() {
    let options = ClusterOptions::default().network_policies_enforced(false);
    let live = Live::start(Example::load().documents(), options, |_| 200);
    let run = live.run(&["--allow-disruption", "--tags", "@GL-NET-01"]);
    run.assert_exit(1);
    let failures = failed(&run, "network.enforced");
    assert!(!failures.is_empty(), "{}", run.context());
    assert!(
        failures
            .iter()
            .any(|f| f.contains("CONNECTED although") && f.contains("the policy is not enforced")),
        "{failures:?}"
    );
}

#[test]
fn where_the_kubelet_does_not_report_the_user_golive_asks_the_container_if_allowed() {
    // No user in the container statuses (no SupplementalGroupsPolicy), and
    // live pods whose spec (edited, or changed by a webhook) no longer
    // keeps them from root: the first one's process is root.
    let unguarded = |live: &Live| -> Vec<String> {
        live.double.with_cluster(|c| {
            let pods = c.pod_names_of(NAMESPACE, "factory-api");
            for pod in &pods {
                c.pod_mut(NAMESPACE, pod, |p| {
                    if let Some(spec) = p.spec.as_mut() {
                        spec.security_context = None;
                        for container in &mut spec.containers {
                            container.security_context = None;
                        }
                    }
                    let statuses = p
                        .status
                        .as_mut()
                        .and_then(|s| s.container_statuses.as_mut());
                    for status in statuses.into_iter().flatten() {
                        status.user = None;
                    }
                });
            }
            let root = pods[0].clone();
            c.on_exec(move |pod, _, argv| {
                (argv == ["id", "-u"]).then(|| {
                    let uid = if pod.metadata.name.as_deref() == Some(root.as_str()) {
                        "0"
                    } else {
                        "10001"
                    };
                    (format!("{uid}\n"), "", 0).into()
                })
            });
            pods
        })
    };
    let execs = |live: &Live| {
        live.double
            .requests()
            .iter()
            .filter(|r| r.info.subresource == "exec")
            .count()
    };

    // --allow-exec: the containers are asked, and only the root one fails.
    let live = Live::example();
    let pods = unguarded(&live);
    let run = live.run(&["--allow-exec", "--tags", "@cluster and not @manifests"]);
    run.assert_exit(1);
    assert_eq!(
        findings_of(&run, "runtime.non-root"),
        vec![format!("Pod/{} api", pods[0])],
        "{}",
        run.context()
    );
    assert!(
        run.stdout
            .contains("uid 0 (root), as `id -u` in the container printed")
    );
    assert_eq!(
        execs(&live),
        pods.len(),
        "one `id -u` per unguarded container"
    );

    // Without it, nothing runs in the containers: none of them is proven
    // non-root, and each says why.
    let live = Live::example();
    let pods = unguarded(&live);
    let run = live.run(&["--tags", "@cluster and not @manifests"]);
    run.assert_exit(1);
    assert_eq!(
        findings_of(&run, "runtime.non-root").len(),
        pods.len(),
        "{}",
        run.context()
    );
    assert!(run.stdout.contains(
        "the kubelet does not report the user, and the pod's spec does not prevent root"
    ));
    assert_eq!(execs(&live), 0, "no exec without --allow-exec");
}

/// A local HTTP server standing for the containers of the pods: answers
/// every GET with `status(path)`. Its thread ends with the test binary.
fn http_backend(status: fn(&str) -> u16) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
    let address = listener.local_addr().expect("a local address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                // The rest of the request head.
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let code = status(&path);
                let answer = format!(
                    "HTTP/1.1 {code} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                );
                let _ = (&stream).write_all(answer.as_bytes());
            });
        }
    });
    address
}

/// A TLS server standing for the Ingress controller's load balancer: a
/// certificate for `hosts` signed by a test CA (written to `ca_file`),
/// TLS 1.2 and 1.3 only, as rustls offers them.
struct LoadBalancer {
    port: u16,
    ca_file: tempfile::NamedTempFile,
}

impl LoadBalancer {
    fn start(hosts: &[&str], valid_days: i64) -> LoadBalancer {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        kube_double::install_crypto_provider();
        let now = time::OffsetDateTime::now_utc();
        let mut ca_params = CertificateParams::default();
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "golive test ingress CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("a key"))
            .expect("a CA");
        let mut params =
            CertificateParams::new(hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>())
                .expect("names");
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, hosts[0]);
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(valid_days);
        let key = KeyPair::generate().expect("a key");
        let leaf = params.signed_by(&key, &ca).expect("a certificate");
        let mut ca_file = tempfile::NamedTempFile::new().expect("a temporary file");
        ca_file.write_all(ca.pem().as_bytes()).expect("the CA file");
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone(), ca.der().clone()],
                rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).expect("a key"),
            )
            .expect("a TLS configuration");
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
        let port = listener.local_addr().expect("a local address").port();
        listener.set_nonblocking(true).expect("non-blocking");
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("a listener");
                while let Ok((stream, _)) = listener.accept().await {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let _ = acceptor.accept(stream).await;
                    });
                }
            });
        });
        LoadBalancer { port, ca_file }
    }

    /// Points every Ingress of the double's cluster at this server.
    fn serve(&self, double: &KubeDouble) {
        point_ingresses(double, self.port);
    }

    fn ca_file(&self) -> String {
        self.ca_file.path().display().to_string()
    }
}

/// Sets the load balancer every Ingress reports in its status: 127.0.0.1,
/// this port.
fn point_ingresses(double: &KubeDouble, port: u16) {
    let port = i32::from(port);
    double.with_cluster(|c| {
        for ingress in c.list::<Ingress>(NAMESPACE) {
            let name = ingress.metadata.name.clone().unwrap_or_default();
            c.modify::<Ingress>(NAMESPACE, &name, |i| {
                i.status = Some(
                    serde_json::from_value(json!({"loadBalancer": {"ingress": [
                        {"ip": "127.0.0.1", "ports": [{"port": port, "protocol": "TCP"}]}
                    ]}}))
                    .expect("an Ingress status"),
                );
            });
        }
    });
}

/// A golive.yaml naming the backup CronJobs, and the backups feature run
/// with it against the double.
fn judge_backups(live: &Live, backup_cronjobs: &str) -> Run {
    let config = golive_yaml("backup_cronjobs", backup_cronjobs);
    let config = config.path().join("golive.yaml").display().to_string();
    live.run(&[
        "--features",
        "features/cluster-backups.feature",
        "--config",
        &config,
    ])
}

/// The active findings of backup.scheduled, as `field: found`.
fn backup_findings(run: &Run) -> Vec<String> {
    active_findings(&run.summary())
        .iter()
        .filter(|f| f["check"] == "backup.scheduled")
        .map(|f| {
            format!(
                "{}: {}",
                f["field"].as_str().unwrap_or_default(),
                f["found"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

const HOUR: std::time::Duration = std::time::Duration::from_secs(3600);
const BACKUP: &str = "postgres-backup";

/// The example's nightly `postgres-backup` CronJob (`0 2 * * *`, writing to
/// the claim `postgres-backups`) with a history the test chooses, judged
/// by backup.scheduled: READY when it last succeeded within two days, NOT
/// READY with the figures when its last success is older, its last Job
/// failed, its claim is missing or Pending, or it is suspended; a name the
/// cluster does not hold fails naming it; no name at all is not
/// applicable; a schedule golive cannot read is exit 2 naming the object.
/// Read-only throughout.
#[test]
fn backup_cronjobs_are_judged_on_their_last_success_their_jobs_and_their_volume() {
    use kube_double::CronRun;
    let named = format!("[{NAMESPACE}/{BACKUP}]");
    let with_history = |runs: &[CronRun]| {
        let live = Live::example();
        live.double
            .with_cluster(|c| c.cron_job_ran(NAMESPACE, BACKUP, runs));
        live
    };

    // Healthy: it succeeded last night and the night before.
    let live = with_history(&[CronRun::succeeded(26 * HOUR), CronRun::succeeded(2 * HOUR)]);
    let run = judge_backups(&live, &named);
    run.assert_exit(0);
    assert_eq!(evaluated(&run, "backup.scheduled"), 1, "{}", run.context());
    assert!(
        live.double.writes().is_empty(),
        "golive changed the cluster"
    );

    // Nothing named: not applicable, never a green tick.
    let run = judge_backups(&live, "[]");
    run.assert_exit(2);
    let summary = run.summary();
    let (_, scenario) = common::scenarios(&summary)[0];
    assert_eq!(scenario["status"], "not_applicable", "{}", run.context());
    assert!(
        scenario["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("no backup CronJob named by the profile (backup_cronjobs) in scope"),
        "{}",
        run.context()
    );

    // A name the cluster does not hold.
    let run = judge_backups(&live, &format!("[{NAMESPACE}/pg-backup, {BACKUP}]"));
    run.assert_exit(1);
    assert_eq!(
        backup_findings(&run),
        ["metadata.name: no CronJob production/pg-backup in the target"],
        "{}",
        run.context()
    );
    assert!(
        run.stdout
            .contains("at profile production: backup_cronjobs"),
        "{}",
        run.context()
    );

    // Stale: the last success is 50 h old, twice a day's period is 48 h.
    let live = with_history(&[CronRun::succeeded(50 * HOUR)]);
    let run = judge_backups(&live, &named);
    run.assert_exit(1);
    let found = backup_findings(&run);
    assert!(
        found.len() == 1
            && found[0].starts_with("status.lastSuccessfulTime: last success 2 d 1 h ago")
            && found[0].ends_with("schedule \"0 2 * * *\" every 1 d, allowed 2 d"),
        "{found:?}\n{}",
        run.context()
    );

    // Never succeeded: the CronJob as the double builds it, no run yet.
    let live = Live::example();
    let run = judge_backups(&live, &named);
    run.assert_exit(1);
    assert_eq!(
        backup_findings(&run),
        ["status.lastSuccessfulTime: no successful run (never scheduled)"],
        "{}",
        run.context()
    );

    // Failing Jobs: the last run failed, the success before it is recent.
    let live = with_history(&[CronRun::succeeded(26 * HOUR), CronRun::failed(2 * HOUR)]);
    let jobs = live
        .double
        .with_cluster(|c| c.list::<k8s_openapi::api::batch::v1::Job>(NAMESPACE));
    assert_eq!(jobs.len(), 2, "the double made the CronJob's Jobs");
    let run = judge_backups(&live, &named);
    run.assert_exit(1);
    let found = backup_findings(&run);
    assert!(
        found.len() == 1
            && found[0].starts_with(&format!("status: the last Job {BACKUP}-"))
            && found[0].ends_with(
                "failed (BackoffLimitExceeded: Job has reached the specified backoff limit)"
            ),
        "{found:?}\n{}",
        run.context()
    );
    // Three failures in a row, the last success three days ago.
    let live = with_history(&[
        CronRun::succeeded(74 * HOUR),
        CronRun::failed(50 * HOUR),
        CronRun::failed(26 * HOUR),
        CronRun::failed(2 * HOUR),
    ]);
    let run = judge_backups(&live, &named);
    run.assert_exit(1);
    let found = backup_findings(&run).join("\n");
    assert!(
        found.contains("status.lastSuccessfulTime: last success 3 d 1 h ago"),
        "{found}\n{}",
        run.context()
    );
    assert!(
        found.contains("the last 3 finished Jobs all failed"),
        "{found}"
    );

    // The claim it writes to: missing, then Pending.
    let live = with_history(&[CronRun::succeeded(2 * HOUR)]);
    live.double.with_cluster(|c| {
        c.remove::<k8s_openapi::api::core::v1::PersistentVolumeClaim>(NAMESPACE, "postgres-backups")
    });
    let run = judge_backups(&live, &named);
    run.assert_exit(1);
    assert_eq!(
        backup_findings(&run),
        [
            "spec.jobTemplate.spec.template.spec.volumes[0].persistentVolumeClaim.claimName: no PersistentVolumeClaim \"postgres-backups\" in the namespace: the backup has nowhere to go"
        ],
        "{}",
        run.context()
    );
    let live = with_history(&[CronRun::succeeded(2 * HOUR)]);
    live.double.with_cluster(|c| {
        c.modify_json(
            "",
            "persistentvolumeclaims",
            NAMESPACE,
            "postgres-backups",
            |pvc| {
                pvc["status"] = json!({"phase": "Pending"});
            },
        )
    });
    let run = judge_backups(&live, &named);
    run.assert_exit(1);
    let found = backup_findings(&run);
    assert!(
        found.len() == 1
            && found[0].ends_with("PersistentVolumeClaim \"postgres-backups\" is Pending"),
        "{found:?}"
    );

    // Suspended.
    let live = with_history(&[CronRun::succeeded(2 * HOUR)]);
    live.double.with_cluster(|c| {
        c.modify_json("batch", "cronjobs", NAMESPACE, BACKUP, |cron_job| {
            cron_job["spec"]["suspend"] = json!(true);
        })
    });
    let run = judge_backups(&live, &named);
    run.assert_exit(1);
    assert_eq!(
        backup_findings(&run),
        ["spec.suspend: suspended: no backup runs"],
        "{}",
        run.context()
    );

    // A schedule golive cannot read (the API server validates schedules
    // since 1.27; one stored before, or read otherwise by its parser):
    // exit 2 naming the object and the line.
    let live = with_history(&[CronRun::succeeded(2 * HOUR)]);
    live.double.with_cluster(|c| {
        c.modify_json("batch", "cronjobs", NAMESPACE, BACKUP, |cron_job| {
            cron_job["spec"]["schedule"] = json!("61 * * * *");
        })
    });
    let run = judge_backups(&live, &named);
    run.assert_exit(2);
    let said = regex::Regex::new(
        r#"cluster:production/CronJob/postgres-backup:[0-9]+: schedule "61 \* \* \* \*": minute 61 is out of 0-59"#,
    )
    .unwrap();
    assert!(
        said.is_match(&format!("{}{}", run.stdout, run.printed.stderr)),
        "{}",
        run.context()
    );
}
