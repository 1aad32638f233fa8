//! The `stack:` target for real: golive starts the reference stack (nginx,
//! three demo API replicas, PostgreSQL, Redis) in Docker from the local
//! images, runs the `@stack` features against it and removes it. Every
//! failing variant is NOT READY on its own item; a container that cannot
//! start, a missing engine and Ctrl-C give exit 2 with the reports; nothing
//! is left behind in any case.
//!
//! These tests need a Docker engine and the images of scripts/images.sh
//! (scripts/test.sh provides both); without them they fail, saying so —
//! they are never skipped.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::engine::{assert_removed, leftovers, run_id, work_dirs_of};
use common::{Run, golive_command, scenarios};
use serde_json::Value;

const REFERENCE: &str = "stack:fixtures/stacks/reference.yaml";

/// The names of the failed scenarios of a run.
fn failed_scenarios(summary: &Value) -> Vec<String> {
    scenarios(summary)
        .into_iter()
        .filter(|(_, s)| s["status"] == "failed")
        .map(|(_, s)| s["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_reference_stack_is_ready_and_removed_afterwards() {
    let run = common::run(&["--target", REFERENCE]);
    run.assert_exit(0);
    let summary = run.summary();
    let all = scenarios(&summary);
    assert!(
        all.len() >= 14,
        "every @stack scenario ran\n{}",
        run.context()
    );
    assert!(
        all.iter().all(|(_, s)| s["status"] == "passed"),
        "{}",
        run.context()
    );
    // Observations carry the evidence: protocol answers, UIDs, statuses.
    let observed = all
        .iter()
        .flat_map(|(_, s)| s["observations"].as_array().cloned().unwrap_or_default())
        .count();
    assert!(observed >= 14, "{}", run.context());
    let stack = &summary["stack"];
    assert_eq!(
        stack["instances"].as_array().map(Vec::len),
        Some(6),
        "{stack:#}"
    );
    assert!(stack["started_in_s"].as_f64().is_some_and(|s| s > 0.0));
    assert!(
        run.stdout
            .contains("removed 6 container(s) and 1 network(s)"),
        "{}",
        run.context()
    );
    // The manifests checklist is not run against a stack, and says why;
    // nor are the failover scenarios without --allow-disruption.
    for reason in ["@stack", "--allow-disruption"] {
        assert!(
            summary["skipped"].as_array().is_some_and(|s| s
                .iter()
                .any(|x| x["reason"].as_str().unwrap_or("").contains(reason))),
            "{reason}\n{}",
            run.context()
        );
    }
    assert!(
        !run.report("report.html").contains(r#"class="failover""#),
        "no failover ran, no failover in the dossier"
    );
    assert_removed(&run);
}

/// The failover timeline of the scenario whose name contains `name`.
fn timeline<'a>(summary: &'a Value, name: &str) -> &'a Value {
    scenarios(summary)
        .into_iter()
        .find(|(_, s)| s["name"].as_str().unwrap_or("").contains(name))
        .map(|(_, s)| &s["failover"][0])
        .unwrap_or_else(|| panic!("no scenario named like {name:?}"))
}

#[test]
fn the_ha_stack_survives_each_failover_and_the_timelines_say_how() {
    let run = common::run(&[
        "--target",
        "stack:fixtures/stacks/ha.yaml",
        "--features",
        "features/failover.feature",
        "--allow-disruption",
    ]);
    run.assert_exit(0);
    let summary = run.summary();
    assert_eq!(scenarios(&summary).len(), 3, "{}", run.context());
    // Losing one API replica behind nginx: the load's errors within the
    // feature's budget (1 %; none in any run measured).
    let api = timeline(&summary, "API replica");
    assert_eq!(api["disruption"], "api-1 killed (SIGKILL)", "{api:#}");
    assert!(api["steady_before"] == true && api["steady_attempts"].as_u64() >= Some(25));
    let load = api["load"].as_array().expect("the load's seconds");
    let failed: u64 = load.iter().filter_map(|s| s["failed"].as_u64()).sum();
    let requests: u64 = load.iter().filter_map(|s| s["requests"].as_u64()).sum();
    assert!(
        requests >= 300 && failed * 100 < requests,
        "{requests} {failed}"
    );
    // Redis: a replica promoted by Sentinel within seconds, nothing lost.
    let redis = timeline(&summary, "Redis");
    let promoted = &redis["promoted"];
    assert!(
        promoted["instance"]
            .as_str()
            .unwrap_or("")
            .starts_with("redis-replica-")
            && promoted["after_s"]
                .as_f64()
                .is_some_and(|s| s > 0.5 && s < 15.0),
        "{redis:#}"
    );
    assert!(
        redis["failed"].as_u64() > Some(0),
        "the master's loss was seen: {redis:#}"
    );
    assert!(redis["writes"]["acknowledged"].as_u64() > Some(20) && redis["writes"]["lost"] == 0);
    // PostgreSQL: the runbook promoted the standby; every commit is there.
    let postgres = timeline(&summary, "PostgreSQL");
    assert_eq!(
        postgres["promoted"]["instance"], "postgres-standby",
        "{postgres:#}"
    );
    assert!(
        postgres["recovered_after_s"]
            .as_f64()
            .is_some_and(|s| s < 10.0)
    );
    assert!(
        postgres["writes"]["acknowledged"].as_u64() > Some(20) && postgres["writes"]["lost"] == 0
    );
    assert_eq!(
        postgres["conditions"][0], "postgres → postgres-standby limited to 16 kbit/s",
        "{postgres:#}"
    );
    // The evidence in every report: figures in JUnit and Markdown, a
    // chart per clock, marked at the disruption and the recovery.
    let junit = run.junit();
    assert!(
        junit.contains("<system-out>") && junit.contains("postgres killed (SIGKILL)"),
        "{junit}"
    );
    let markdown = run.markdown();
    assert!(
        markdown.contains("### Failover") && markdown.contains("| 0 of "),
        "{markdown}"
    );
    let page = run.report("report.html");
    assert_eq!(
        page.matches(r#"<div class="failover">"#).count(),
        3,
        "a failover block with its chart per clock\n{page}"
    );
    assert!(page.contains("<svg"), "{page}");
    for text in [
        "disruption",
        "recovered",
        "load requests",
        "Acknowledged writes lost (RPO)",
    ] {
        assert!(page.contains(text), "{text}");
    }
    assert!(run.stdout.contains("recovered after"), "{}", run.context());
    assert_healed_and_removed(&run);
}

/// Every disrupted part came back before the next scenario (no error
/// between scenarios), and nothing of the run is left.
fn assert_healed_and_removed(run: &Run) {
    assert!(
        run.summary()["input_errors"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "{}",
        run.context()
    );
    assert_removed(run);
}

/// The observations of a run that failed.
fn failed_observations(summary: &Value) -> Vec<Value> {
    common::observations(summary)
        .into_iter()
        .filter(|o| o["passed"] == false)
        .collect()
}

/// A variant of the HA stack built to fail one failover scenario (the
/// feature's tag), the item that fails and how its timeline shows it.
struct HaVariant {
    name: &'static str,
    tag: &'static str,
    item: &'static str,
    /// What the failed item says it measured, against what target.
    fact: &'static str,
    timeline: fn(&Value) -> bool,
}

const HA_VARIANTS: &[HaVariant] = &[
    // One API replica: killed, every request fails until it is brought back.
    HaVariant {
        name: "ha-single-api",
        tag: "@api",
        item: "failover.error-rate",
        fact: "% of requests failed from the disruption on (target below 1 %)",
        timeline: |t| {
            let load = t["load"].as_array().cloned().unwrap_or_default();
            let failed: u64 = load.iter().filter_map(|s| s["failed"].as_u64()).sum();
            failed > 100 && t["recovered_after_s"].is_null()
        },
    },
    // No Sentinel: the replicas stay read-only, no new master, ever.
    HaVariant {
        name: "ha-no-sentinel",
        tag: "@redis",
        item: "failover.promotion",
        fact: "no other instance answered as primary in the",
        timeline: |t| {
            t["promoted"].is_null()
                && t["recovered_after_s"].is_null()
                && t["failed"].as_u64() > Some(100)
        },
    },
    // Asynchronous standby behind a throttled link: the rows committed
    // since it last caught up are lost.
    HaVariant {
        name: "ha-async",
        tag: "@postgres",
        item: "failover.rpo",
        fact: "s (the oldest lost write was acknowledged that long before the disruption), beyond the target of 0 s",
        timeline: |t| {
            t["writes"]["lost"].as_u64() > Some(0)
                && t["writes"]["rpo_s"].as_f64().is_some_and(|s| s > 0.0)
                && t["promoted"]["instance"] == "postgres-standby"
        },
    },
];

/// `rpo_seconds` of golive.yaml is the loss window "beyond the profile's
/// RPO" allows: the asynchronous standby that loses rows (NOT READY at
/// the default RPO of 0, above) is READY with an RPO of an hour, its
/// figures the same.
#[test]
fn rpo_seconds_from_golive_yaml_allows_the_loss_window_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("golive.yaml");
    std::fs::write(&config, "profiles:\n  production:\n    rpo_seconds: 3600\n").unwrap();
    let config = config.display().to_string();
    let run = common::run(&[
        "--target",
        "stack:fixtures/stacks/ha-async.yaml",
        "--features",
        "features/failover.feature",
        "--allow-disruption",
        "--tags",
        "@postgres",
        "--config",
        &config,
    ]);
    run.assert_exit(0);
    let summary = run.summary();
    let rpo: Vec<Value> = common::observations(&summary)
        .into_iter()
        .filter(|o| o["item"] == "failover.rpo" && o["passed"] == true)
        .collect();
    let facts = rpo
        .first()
        .map(|o| o["facts"].to_string())
        .unwrap_or_default();
    assert!(
        facts.contains("within the target of 3600 s"),
        "{}",
        run.context()
    );
    let (_, scenario) = scenarios(&summary)[0];
    let writes = &scenario["failover"][0]["writes"];
    assert!(
        writes["lost"].as_u64() > Some(0) && writes["rpo_s"].as_f64().is_some_and(|s| s > 0.0),
        "rows were lost, within the hour: {writes:#}"
    );
    assert_removed(&run);
}

/// Each variant built to fail a failover is NOT READY on that scenario,
/// with the measured figures against the target, and leaves nothing.
#[test]
fn each_ha_variant_fails_its_failover_with_the_measured_figures() {
    let runs: Vec<(&HaVariant, Run)> = std::thread::scope(|scope| {
        let handles: Vec<_> = HA_VARIANTS
            .iter()
            .map(|variant| {
                scope.spawn(move || {
                    let target = format!("stack:fixtures/stacks/{}.yaml", variant.name);
                    let run = common::run(&[
                        "--target",
                        &target,
                        "--features",
                        "features/failover.feature",
                        "--allow-disruption",
                        "--tags",
                        variant.tag,
                    ]);
                    (variant, run)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a variant run panicked"))
            .collect()
    });
    let mut problems = Vec::new();
    for (variant, run) in runs {
        if let Some(problem) = run.exit_mismatch(variant.name, 1) {
            problems.push(problem);
            continue;
        }
        let summary = run.summary();
        let failed = failed_observations(&summary);
        let items: Vec<&str> = failed.iter().filter_map(|o| o["item"].as_str()).collect();
        if items != [variant.item] {
            problems.push(format!(
                "{}: failed items {items:?}, expected [{:?}]\n{}",
                variant.name, variant.item, run.stdout
            ));
        }
        // The verdict says what was measured, against what target.
        let facts: Vec<&str> = failed
            .iter()
            .flat_map(|o| o["facts"].as_array().into_iter().flatten())
            .filter_map(Value::as_str)
            .collect();
        if !facts.iter().any(|f| f.contains(variant.fact)) {
            problems.push(format!(
                "{}: no {:?} in {facts:?}",
                variant.name, variant.fact
            ));
        }
        let (_, scenario) = scenarios(&summary)[0];
        let timeline = &scenario["failover"][0];
        if !(variant.timeline)(timeline) {
            problems.push(format!("{}: timeline {timeline:#}", variant.name));
        }
        assert_removed(&run);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Stop, restart, disconnection and pause of an API replica behind nginx
/// are healed and invisible on the HA stack; a clock whose steady state
/// does not hold before the disruption cannot evaluate the scenario.
#[test]
fn every_kind_of_disruption_is_healed_and_an_unsteady_clock_cannot_evaluate() {
    let run = common::run(&[
        "--target",
        "stack:fixtures/stacks/ha.yaml",
        "--features",
        "fixtures/stacks/features/disruptions.feature",
        "--allow-disruption",
    ]);
    run.assert_exit(2);
    let summary = run.summary();
    let all = scenarios(&summary);
    assert_eq!(all.len(), 5, "{}", run.context());
    let mut disruptions = Vec::new();
    for (_, scenario) in &all[..4] {
        assert_eq!(scenario["status"], "passed", "{}", run.context());
        let timeline = &scenario["failover"][0];
        assert!(
            timeline["steady_before"] == true
                && timeline["recovered_after_s"]
                    .as_f64()
                    .is_some_and(|s| s < 5.0),
            "{timeline:#}"
        );
        disruptions.push(
            timeline["disruption"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    assert_eq!(
        disruptions,
        [
            "api-1 stopped",
            "api-2 restarted",
            "api-3 cut off the network",
            "api-1 paused"
        ]
    );
    let (_, unsteady) = all[4];
    assert_eq!(
        unsteady["status"],
        "could_not_evaluate",
        "{}",
        run.context()
    );
    let timeline = &unsteady["failover"][0];
    assert!(
        timeline["steady_before"] == false
            && timeline["steady_error"] == "status 404"
            && timeline["watched_s"].as_f64().is_some_and(|s| s < 5.0),
        "judged at once, without waiting for a recovery: {timeline:#}"
    );
    assert!(
        run.stdout
            .contains("the steady state did not hold before the disruption"),
        "{}",
        run.context()
    );
    assert_healed_and_removed(&run);
}

/// The runtime items (observation `item`s) that failed in a run.
fn failed_items(summary: &Value) -> Vec<String> {
    let mut items: Vec<String> = failed_observations(summary)
        .iter()
        .map(|o| o["item"].as_str().unwrap_or_default().to_string())
        .collect();
    items.sort();
    items.dedup();
    items
}

/// One failing variant: its stack file, the feature that judges it, the
/// scenarios that must fail and the runtime items behind them.
struct Variant {
    name: &'static str,
    feature: &'static str,
    scenarios: &'static [&'static str],
    items: &'static [&'static str],
}

const TLS: &str = "features/live-tls.feature";
const VARIANTS: &[Variant] = &[
    Variant {
        name: "plain-http",
        feature: TLS,
        scenarios: &[
            "The public endpoint refuses TLS 1.0 and TLS 1.1",
            "The public endpoint accepts TLS 1.2 or later",
            "The certificate is trusted and matches the host name",
            "The certificate does not expire within the profile's notice period",
            "The certificate has a strong key",
            "Browsers are told to use HTTPS only (HSTS)",
            "Plain HTTP redirects permanently to HTTPS",
        ],
        items: &[
            "http.hsts",
            "http.redirect",
            "tls.certificate",
            "tls.expiry",
            "tls.key",
            "tls.modern-protocols",
            "tls.old-protocols",
        ],
    },
    Variant {
        name: "expired-certificate",
        feature: TLS,
        scenarios: &[
            "The certificate is trusted and matches the host name",
            "The certificate does not expire within the profile's notice period",
        ],
        items: &["tls.certificate", "tls.expiry"],
    },
    Variant {
        name: "wrong-host",
        feature: TLS,
        scenarios: &["The certificate is trusted and matches the host name"],
        items: &["tls.certificate"],
    },
    Variant {
        name: "tls10",
        feature: TLS,
        scenarios: &["The public endpoint refuses TLS 1.0 and TLS 1.1"],
        items: &["tls.old-protocols"],
    },
    Variant {
        name: "no-hsts",
        feature: TLS,
        scenarios: &["Browsers are told to use HTTPS only (HSTS)"],
        items: &["http.hsts"],
    },
    Variant {
        name: "temporary-redirect",
        feature: TLS,
        scenarios: &["Plain HTTP redirects permanently to HTTPS"],
        items: &["http.redirect"],
    },
    Variant {
        name: "root-user",
        feature: "features/live-security.feature",
        scenarios: &["Every container runs as a non-root user"],
        items: &["container.non-root"],
    },
    Variant {
        name: "writable-api",
        feature: "features/live-security.feature",
        scenarios: &["The stateless services run with a read-only root filesystem"],
        items: &["container.read-only-rootfs"],
    },
    Variant {
        name: "no-rate-limit",
        feature: "features/live-rate-limit.feature",
        scenarios: &["A burst beyond the limit is refused, normal traffic is served"],
        items: &["ratelimit.burst"],
    },
    Variant {
        name: "strict-rate-limit",
        feature: "features/live-rate-limit.feature",
        scenarios: &["A burst beyond the limit is refused, normal traffic is served"],
        items: &["ratelimit.pace"],
    },
    Variant {
        name: "slow-api",
        feature: "features/live-load.feature",
        scenarios: &[
            "Under the smoke load, p95 and errors stay below their targets and throughput holds",
        ],
        items: &["load.p95"],
    },
    Variant {
        name: "slow-api",
        feature: "fixtures/stacks/features/throughput.feature",
        scenarios: &["Under the smoke load, the throughput holds"],
        items: &["load.throughput"],
    },
    Variant {
        name: "lying-readiness",
        feature: "features/live-health.feature",
        scenarios: &[
            "Readiness turns false while PostgreSQL is down and true when it returns",
            "Readiness turns false while Redis is down and true when it returns",
        ],
        items: &["health.readiness"],
    },
];

/// Each variant of the reference breaks one runtime item: it is NOT READY on
/// exactly the scenarios of that item, for the runtime item expected. The
/// variants run in parallel waves (their containers and networks have
/// unique names), each on the feature that judges it.
#[test]
fn each_failing_variant_is_not_ready_on_its_own_item() {
    // Four stacks at a time: enough to overlap the starts, not so many that
    // the latency items of a 2-core machine measure its own overload.
    let runs: Vec<(&Variant, Run)> = VARIANTS
        .chunks(4)
        .flat_map(|wave| {
            std::thread::scope(|scope| {
                let handles: Vec<_> = wave
                    .iter()
                    .map(|variant| {
                        scope.spawn(move || {
                            let target = format!("stack:fixtures/stacks/{}.yaml", variant.name);
                            let run =
                                common::run(&["--target", &target, "--features", variant.feature]);
                            (variant, run)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a variant run panicked"))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut problems = Vec::new();
    for (variant, run) in runs {
        if let Some(problem) = run.exit_mismatch(variant.name, 1) {
            problems.push(problem);
            continue;
        }
        run.assert_reports();
        let summary = run.summary();
        let mut failed = failed_scenarios(&summary);
        failed.sort();
        let mut expected: Vec<String> = variant.scenarios.iter().map(|s| s.to_string()).collect();
        expected.sort();
        if failed != expected {
            problems.push(format!(
                "{}: failed scenarios {failed:?}, expected {expected:?}\n{}",
                variant.name, run.stdout
            ));
        }
        let items = failed_items(&summary);
        if items != variant.items {
            problems.push(format!(
                "{}: failed items {items:?}, expected {:?}\n{}",
                variant.name, variant.items, run.stdout
            ));
        }
        assert_removed(&run);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn a_container_that_cannot_start_is_exit_2_with_its_last_log_lines() {
    let run = common::run(&["--target", "stack:fixtures/stacks/broken-start.yaml"]);
    run.assert_exit(2);
    let errors = common::input_errors(&run.summary());
    let (place, message) = errors
        .iter()
        .find(|(_, m)| m.contains("did not start"))
        .unwrap_or_else(|| panic!("no start error\n{}", run.context()));
    assert!(
        place.contains("broken-start") && place.ends_with("-app"),
        "names the container: {place}"
    );
    assert!(
        message.contains("exited with code 3")
            && message.contains("| fatal: database \"app\" does not exist"),
        "says how it ended and shows its last log lines: {message}"
    );
    assert!(
        message.contains("postgres://app:[redacted]@db") && !run.stdout.contains("hunter2"),
        "the password from its environment is redacted: {message}"
    );
    for report in ["summary.json", "summary.md", "junit.xml"] {
        assert!(
            !run.report(report).contains("hunter2"),
            "{report} shows the password"
        );
    }
    assert_removed(&run);
}

#[test]
fn without_a_docker_engine_the_run_cannot_evaluate_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let report_dir = dir.path().join("reports");
    let output = golive_command()
        .args(["run", "--target", REFERENCE, "--report-dir"])
        .arg(&report_dir)
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    let run = Run::new(
        vec!["run".into(), REFERENCE.into()],
        output,
        dir,
        report_dir,
    );
    run.assert_exit(2);
    assert!(
        run.stdout
            .contains("cannot reach the Docker engine at unix:///nonexistent/docker.sock"),
        "{}",
        run.context()
    );
}

/// Whether the container of `instance` in run `run_id` is running.
fn instance_running(run_id: &str, instance: &str) -> bool {
    let output = Command::new("docker")
        .args(["ps", "-q", "--filter"])
        .arg(format!("label=dev.golive.run={run_id}"))
        .arg("--filter")
        .arg(format!("label=dev.golive.instance={instance}"))
        .output()
        .expect("cannot run the docker client");
    !output.stdout.is_empty()
}

/// Ctrl-C at two moments: half-way through the start (Redis up, the API
/// replicas not yet) and while a scenario runs (a 12 s one, interrupted
/// 4 s after nginx started); and SIGTERM, as a CI timeout sends it. Both give exit 2, the reports marked
/// interrupted, and no container or network left. The run is followed by
/// its own ID (read from its progress on standard error), so other tests
/// starting the reference stack at the same time do not confuse it.
#[test]
fn ctrl_c_or_sigterm_during_the_start_or_the_scenarios_removes_the_stack_and_writes_the_reports() {
    use std::io::{BufRead as _, BufReader, Read as _};
    for (moment, signal, features, instance, after) in [
        (
            "during the start",
            "-INT",
            "features/live-health.feature",
            "redis",
            Duration::ZERO,
        ),
        (
            "during the scenarios",
            "-INT",
            "fixtures/stacks/features/long-scenario.feature",
            "nginx",
            Duration::from_secs(4),
        ),
        (
            "on SIGTERM (a CI timeout) during the scenarios",
            "-TERM",
            "fixtures/stacks/features/long-scenario.feature",
            "nginx",
            Duration::from_secs(4),
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let report_dir = dir.path().join("reports");
        let mut child = golive_command()
            .args([
                "run",
                "--target",
                REFERENCE,
                "--features",
                features,
                "--report-dir",
            ])
            .arg(&report_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // "stack reference: starting 4 service(s) on network golive-reference-RUNID"
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        stderr.read_line(&mut first).unwrap();
        let started_run = first
            .trim()
            .rsplit("golive-reference-")
            .next()
            .filter(|_| first.contains("on network"))
            .unwrap_or_else(|| panic!("no start line on standard error: {first:?}"))
            .to_string();
        let rest = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        while !instance_running(&started_run, instance) {
            assert!(Instant::now() < deadline, "{instance} never ran ({moment})");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(after);
        let pid = child.id().to_string();
        let status = Command::new("kill").args([signal, &pid]).status().unwrap();
        assert!(status.success());
        let mut output = child.wait_with_output().unwrap();
        output.stderr = format!("{first}{}", rest.join().unwrap()).into_bytes();
        let run = Run::new(
            vec!["run".into(), REFERENCE.into(), moment.into()],
            output,
            dir,
            report_dir,
        );
        run.assert_exit(2);
        assert_eq!(
            run.summary()["interrupted"],
            true,
            "{moment}\n{}",
            run.context()
        );
        assert_eq!(run_id(&run.summary()), started_run, "{moment}");
        assert_removed(&run);
    }
}

#[test]
fn a_faulty_stack_file_is_exit_2_naming_file_and_line_before_anything_starts() {
    let run = common::run(&[
        "--target",
        "stack:fixtures/stacks/malformed/unknown-dependency.yaml",
    ]);
    run.assert_exit(2);
    let errors = common::input_errors(&run.summary());
    assert!(
        errors.iter().any(|(place, message)| {
            place == "fixtures/stacks/malformed/unknown-dependency.yaml:9:7"
                && message.contains("no service named \"cache\"")
        }),
        "{errors:?}\n{}",
        run.context()
    );
    assert!(
        run.summary()["stack"]["removed"].is_null(),
        "nothing was created"
    );
}

#[test]
fn keep_leaves_the_stack_running_and_prints_its_endpoints() {
    let run = common::run(&[
        "--target",
        "stack:fixtures/stacks/cache-only.yaml",
        "--features",
        "fixtures/stacks/features/cache.feature",
        "--keep",
    ]);
    let summary = run.summary();
    let id = run_id(&summary);
    let left = leftovers(&id);
    let work_dir = summary["stack"]["work_dir"]
        .as_str()
        .map(std::path::PathBuf::from);
    // Removed when the test ends, so a failure leaves nothing behind.
    let cleanup = KeptRun(id.clone());
    run.assert_exit(0);
    assert_eq!(
        left,
        (1, 1),
        "the container and network stay\n{}",
        run.context()
    );
    assert_eq!(summary["stack"]["kept"], true);
    assert!(
        run.stdout.contains("left running (--keep)"),
        "{}",
        run.context()
    );
    assert!(
        run.stdout.contains("redis: tcp://127.0.0.1:"),
        "{}",
        run.context()
    );
    assert!(run.stdout.contains("docker rm -f"), "{}", run.context());
    // The generated files stay with the stack, private to their owner, and
    // the removal command names them.
    let work_dir = work_dir.unwrap_or_else(|| panic!("no work_dir\n{}", run.context()));
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&work_dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", work_dir.display());
    assert!(
        run.stdout
            .contains(&format!("rm -rf {}", work_dir.display())),
        "{}",
        run.context()
    );
    drop(cleanup);
    assert_eq!(leftovers(&id), (0, 0));
    assert!(!work_dir.exists());
}

/// Removes a run kept with `--keep` when dropped, so a failing assertion
/// leaves nothing behind.
struct KeptRun(String);

impl Drop for KeptRun {
    fn drop(&mut self) {
        let filter = format!("label=dev.golive.run={}", self.0);
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "docker rm -f $(docker ps -aq --filter {filter}) >/dev/null 2>&1; \
                 docker network prune -f --filter {filter} >/dev/null"
            ))
            .status();
        for dir in work_dirs_of(&self.0) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// `curl` against a kept stack: (status, headers and body).
fn curl(method: &str, url: &str, body: Option<&str>) -> (u16, String) {
    let mut command = Command::new("curl");
    command.args([
        "-s",
        "-i",
        "-X",
        method,
        url,
        "-H",
        "content-type: application/json",
    ]);
    if let Some(body) = body {
        command.args(["-d", body]);
    }
    let output = command.output().expect("cannot run curl");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer from {method} {url}: {text}"));
    (status, text)
}

/// The demo service for real: items stored in PostgreSQL, read through the
/// Redis cache shared by the replicas (a miss, then a hit on another
/// replica), invalidated on update, gone after delete; metrics count it.
#[test]
fn the_demo_service_stores_items_in_postgres_and_caches_them_in_redis() {
    let run = common::run(&[
        "--target",
        REFERENCE,
        "--features",
        "fixtures/stacks/features/smoke.feature",
        "--keep",
    ]);
    let summary = run.summary();
    let _cleanup = KeptRun(run_id(&summary));
    run.assert_exit(0);
    let replica = |name: &str| {
        let instance = summary["stack"]["instances"]
            .as_array()
            .and_then(|all| all.iter().find(|i| i["name"] == name))
            .unwrap_or_else(|| panic!("no instance {name}:\n{summary:#}"));
        format!("http://127.0.0.1:{}", instance["host_ports"]["8080"])
    };
    let (api1, api2) = (replica("api-1"), replica("api-2"));
    let (status, created) = curl(
        "POST",
        &format!("{api1}/api/v1/items"),
        Some(r#"{"name":"widget","value":"7"}"#),
    );
    assert_eq!(status, 201, "{created}");
    let body = created.rsplit("\r\n\r\n").next().unwrap_or_default();
    let item: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {created}"));
    let id = &item["id"];
    let (status, listed) = curl("GET", &format!("{api2}/api/v1/items?limit=1"), None);
    assert_eq!(status, 200, "{listed}");
    let listed: Value =
        serde_json::from_str(listed.rsplit("\r\n\r\n").next().unwrap_or_default()).unwrap();
    assert_eq!(listed, serde_json::json!([item]), "the newest item, alone");
    let on = |base: &str| format!("{base}/api/v1/items/{id}");
    let (status, first) = curl("GET", &on(&api1), None);
    assert_eq!(status, 200, "{first}");
    assert!(first.to_lowercase().contains("x-cache: miss"), "{first}");
    let (_, second) = curl("GET", &on(&api2), None);
    assert!(
        second.to_lowercase().contains("x-cache: hit"),
        "another replica reads the shared cache: {second}"
    );
    assert!(second.contains("widget"), "{second}");
    let (status, updated) = curl("PUT", &on(&api2), Some(r#"{"name":"gadget","value":"8"}"#));
    assert_eq!(status, 200, "{updated}");
    let (_, after_update) = curl("GET", &on(&api1), None);
    assert!(
        after_update.contains("gadget") && !after_update.contains("widget"),
        "stale cache: {after_update}"
    );
    let (status, _) = curl("DELETE", &on(&api1), None);
    assert_eq!(status, 204);
    let (status, _) = curl("GET", &on(&api2), None);
    assert_eq!(
        status, 404,
        "deleted items are gone from the database and the cache"
    );
    let (status, metrics) = curl("GET", &format!("{api1}/metrics"), None);
    assert_eq!(status, 200);
    assert!(metrics.contains("http_requests_total{"), "{metrics}");
    assert!(
        metrics.contains("http_request_duration_seconds_bucket{"),
        "{metrics}"
    );
}

/// The load steps of `golive run` take their target by the precedence of
/// `golive load`, on the reference stack: golive.yaml's latency_p95_ms
/// (0.001 ms here, through `--config`) for "below the target", a load
/// profile's own p95_ms over it, and a figure written in the step over
/// both.
#[test]
fn load_steps_take_their_target_by_the_precedence_rule() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let campaign = |name: &str, targets: &str| {
        format!(
            "name: {name}\nhost: endpoint:web\ntls: {{ insecure: true }}\nload:\n  stages:\n    - {{ users: 2, ramp: 1s, hold: 3s }}\nthink_time: 200ms\nscenarios:\n  - name: health\n    requests:\n      - {{ path: /api/v1/health, expect: {{ status: 200 }} }}\n{targets}"
        )
    };
    let quick = write("quick.yaml", campaign("quick", ""));
    let own = write("own.yaml", campaign("own", "targets:\n  p95_ms: 60000\n"));
    let scenario = |title: &str, profile: &str, then: &str| {
        format!(
            "  @serial\n  Scenario: {title}\n    Given the load profile \"{profile}\"\n    When it runs against \"web\"\n    Then the p95 latency is below {then}\n\n"
        )
    };
    let features = dir.path().join("features");
    std::fs::create_dir(&features).unwrap();
    std::fs::write(
        features.join("precedence.feature"),
        format!(
            "@stack @load\nFeature: precedence\n\n{}{}{}",
            scenario("golive.yaml's target", &quick, "the target"),
            scenario("the load profile's own target", &own, "the target"),
            scenario("the step's figure", &quick, "60000 ms"),
        ),
    )
    .unwrap();
    let config = write(
        "golive.yaml",
        "profiles:\n  production:\n    latency_p95_ms: 0.001\n".into(),
    );
    let features = features.display().to_string();
    let run = common::run(&[
        "--target",
        REFERENCE,
        "--features",
        &features,
        "--config",
        &config,
    ]);
    run.assert_exit(1);
    let judged: Vec<(bool, String)> = common::observations(&run.summary())
        .iter()
        .filter(|o| o["item"] == "load.p95")
        .map(|o| {
            (
                o["passed"] == true,
                o["facts"][0].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let by = |level: &str| {
        judged
            .iter()
            .find(|(_, fact)| fact.ends_with(&format!("(target from {level})")))
    };
    let context = format!("{judged:?}\n{}", run.context());
    assert_eq!(judged.len(), 3, "{context}");
    assert!(
        by("profile production")
            .is_some_and(|(passed, fact)| !passed && fact.starts_with("p95 latency < 0.001 ms")),
        "{context}"
    );
    assert!(
        by("load profile own").is_some_and(|(passed, _)| *passed),
        "{context}"
    );
    assert!(
        by("the step").is_some_and(|(passed, _)| *passed),
        "{context}"
    );
}

/// `golive load` on a stack it starts: the demo API replicas with a known
/// fault (one item request in ten 400 ms slower, two in a hundred answered
/// 500, exact shares per replica). The campaign measures what was
/// injected, misses its p95 and error-rate targets (exit 1) naming them,
/// spreads its users over the three replicas, and removes the stack.
#[test]
fn golive_load_on_a_stack_measures_the_injected_latency_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let stack = dir.path().join("faulty.yaml");
    std::fs::write(
        &stack,
        format!(
            "extends: {}\nname: faulty-api\nservices:\n  api:\n    env:\n      LATENCY_SLOW_MS: \"400\"\n      LATENCY_SLOW_PERCENT: \"10\"\n      ERROR_PERCENT: \"2\"\n",
            root.join("fixtures/stacks/reference.yaml").display()
        ),
    )
    .unwrap();
    let profile = dir.path().join("measure.yaml");
    std::fs::write(
        &profile,
        "name: measure
host: endpoint:api
load:
  rate: { per_second: 40, ramp: 1s, duration: 15s, max_users: 40 }
scenarios:
  - name: list
    requests:
      - { name: list items, path: /api/v1/items, query: { limit: \"5\" }, expect: { status: 200 } }
targets:
  p95_ms: 200
  error_rate_percent: 0.1
",
    )
    .unwrap();
    let reports = dir.path().join("reports");
    let output = golive_command()
        .arg("load")
        .arg(&profile)
        .arg("--target")
        .arg(format!("stack:{}", stack.display()))
        .arg("--report-dir")
        .arg(&reports)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let context = format!("{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{context}");
    assert!(
        stdout.contains("FAIL p95 latency < 200 ms") && stdout.contains("FAIL error rate < 0.1 %"),
        "{context}"
    );
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("summary.json")).unwrap())
            .unwrap();
    let campaign = &summary["campaigns"][0];
    let steady = &campaign["steady"];
    let (p50, p95) = (
        steady["p50_ms"].as_f64().unwrap(),
        steady["p95_ms"].as_f64().unwrap(),
    );
    assert!(p50 < 50.0, "nine in ten are fast: p50 {p50} ms");
    assert!(
        (400.0..450.0).contains(&p95),
        "one in ten takes 400 ms more: p95 {p95} ms"
    );
    let error_rate = steady["error_rate_percent"].as_f64().unwrap();
    assert!(
        (1.5..=2.5).contains(&error_rate),
        "two in a hundred answered 500: {error_rate} %"
    );
    assert!(steady["statuses"]["500"].as_u64().unwrap() > 0);
    let destinations = campaign["destination"].as_str().unwrap();
    assert_eq!(
        destinations.matches("http://127.0.0.1:").count(),
        3,
        "the three replicas: {destinations}"
    );
    let run_id = summary["stack"]["run_id"].as_str().unwrap();
    assert_eq!(summary["stack"]["removed"]["containers"], 6, "{summary:#}");
    assert_eq!(leftovers(run_id), (0, 0));
    assert!(work_dirs_of(run_id).is_empty());
}
