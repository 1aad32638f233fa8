//! The go-live dossier (`report.html`) of a failing combined run, built
//! through the library as a combined dossier would be (two source runs, an
//! item they disagree on, every status, a load campaign, a failover) and
//! written by `report::write_all`, then opened in headless Chromium: every
//! status is in the DOM, a chart has its line drawn, a screenshot is not
//! blank, and the page prints to a PDF.

mod common;

use std::path::Path;
use std::time::Duration;

use golive::checks::Severity;
use golive::config::Config;
use golive::evidence::{CheckOutcome, Finding, Observation};
use golive::failover::timeline::{LoadSecond, Second, Timeline, Writes};
use golive::load::judge::{TargetResult, Verdict as TargetVerdict};
use golive::load::outcome::Campaign;
use golive::load::record::{Phase, Record, Sample};
use golive::model::{ObjectRef, SourceLocation};
use golive::record::{
    Changes, FeatureRecord, FigureChange, RunOutcome, RunRecord, ScenarioRecord, SkippedScenario,
    SourceRun, Status, StepRecord,
};
use golive::verdict::Verdict;

fn scenario(name: &str, line: usize, status: Status, tags: &[&str]) -> ScenarioRecord {
    ScenarioRecord {
        status,
        duration_ms: 12.0,
        ..ScenarioRecord::new(
            name.into(),
            line,
            tags.iter().map(|t| t.to_string()).collect(),
        )
    }
}

fn liveness_finding() -> Finding {
    Finding {
        check: "probe.liveness",
        severity: Severity::High,
        object: ObjectRef {
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            name: "api".into(),
        },
        container: Some("api".into()),
        field: "spec.template.spec.containers[0].livenessProbe".into(),
        location: SourceLocation {
            file: "deploy/api.yaml".into(),
            line: 12,
            column: 9,
        },
        expected: "a liveness probe".into(),
        found: "none".into(),
        suppressed: None,
        note: None,
    }
}

fn campaign() -> Campaign {
    let mut record = Record::new(Duration::from_secs(6));
    for second in 0..6u64 {
        for i in 0..(20 + 5 * second) {
            record.add(&Sample {
                request: "GET /api/v1/items",
                at: Duration::from_millis(second * 1000 + i * 10),
                latency: Duration::from_millis(40 + 30 * second + i % 7),
                status: Ok(if i % 17 == 0 { 503 } else { 200 }),
                ok: i % 17 != 0,
                phase: Phase::Steady,
            });
        }
    }
    let p95 = TargetResult {
        scope: "overall".into(),
        metric: "p95_ms",
        target: 100.0,
        measured: Some(190.0),
        verdict: TargetVerdict::Missed,
        missed_by: Some("by 90.0 ms (90.0 %)".into()),
    };
    Campaign::new(
        "smoke",
        "the smoke load",
        "http://127.0.0.1:8080",
        &record,
        vec![p95],
    )
}

fn timeline() -> Timeline {
    let seconds: Vec<Second> = (0..20)
        .map(|s| Second {
            ok: if (8..11).contains(&s) { 2 } else { 10 },
            failed: if (8..11).contains(&s) { 8 } else { 0 },
        })
        .collect();
    Timeline {
        clock: "GET /api/v1/items on web".into(),
        disruption: "api-2 killed (SIGKILL)".into(),
        cadence: Default::default(),
        conditions: Vec::new(),
        steps: Vec::new(),
        disrupted_at_s: 8.0,
        steady_before: true,
        steady_attempts: 80,
        steady_failed: 0,
        steady_error: None,
        first_failure_after_s: Some(0.1),
        recovered_after_s: Some(3.2),
        watched_s: 12.0,
        slowest_attempt_s: 1.0,
        attempts: 32,
        failed: 24,
        first_error: Some("connection refused".into()),
        last_error: Some("connection refused".into()),
        promoted: None,
        writes: Some(Writes {
            acknowledged: 120,
            lost: 0,
            lost_after_disruption: 0,
            lost_examples: Vec::new(),
            rpo_s: 0.0,
            unverified: None,
            backup: None,
        }),
        load: Some(
            seconds
                .iter()
                .map(|s| LoadSecond {
                    requests: (s.ok + s.failed) as u64 * 3,
                    failed: s.failed as u64,
                })
                .collect(),
        ),
        seconds,
    }
}

/// A combined dossier of two runs in which every status occurs.
fn failing_dossier() -> RunRecord {
    let config = Config::load(Some(&common::root().join("golive.yaml"))).expect("golive.yaml");
    let profile = config
        .profile(Some("production"))
        .expect("production")
        .clone();
    let passed = ScenarioRecord {
        checks: vec![CheckOutcome {
            check: "probe.readiness",
            title: "Every container has a readiness probe",
            severity: Severity::High,
            judges: "container",
            evaluated: 3,
            findings: Vec::new(),
        }],
        runs: vec![
            RunOutcome {
                source: "reports/manifests".into(),
                status: Status::Passed,
            },
            RunOutcome {
                source: "reports/cluster".into(),
                status: Status::Passed,
            },
        ],
        ..scenario(
            "Every container has a readiness probe",
            8,
            Status::Passed,
            &[],
        )
    };
    let failed = ScenarioRecord {
        checks: vec![CheckOutcome {
            check: "probe.liveness",
            title: "Every container has a liveness probe",
            severity: Severity::High,
            judges: "container",
            evaluated: 3,
            findings: vec![liveness_finding()],
        }],
        // The runs disagree: the manifests pass, the live cluster fails.
        runs: vec![
            RunOutcome {
                source: "reports/manifests".into(),
                status: Status::Passed,
            },
            RunOutcome {
                source: "reports/cluster".into(),
                status: Status::Failed,
            },
        ],
        ..scenario(
            "Every container has a liveness probe",
            12,
            Status::Failed,
            &[],
        )
    };
    let could_not = ScenarioRecord {
        steps: vec![StepRecord {
            keyword: "Then".into(),
            text: "the check \"network.default-deny\" passes".into(),
            line: 9,
            status: Status::CouldNotEvaluate,
            message: Some("the cluster did not answer: connection refused".into()),
        }],
        ..scenario(
            "Every namespace denies traffic by default",
            8,
            Status::CouldNotEvaluate,
            &["GL-SEC-01"],
        )
    };
    let not_applicable = ScenarioRecord {
        reason: Some("availability.hpa-required: no workload in scope".into()),
        ..scenario(
            "Workloads that serve users are scaled by a HorizontalPodAutoscaler",
            33,
            Status::NotApplicable,
            &["GL-APP-04"],
        )
    };
    let not_evaluated = scenario(
        "No Secret is written in clear",
        6,
        Status::NotEvaluated,
        &["GL-SEC-03"],
    );
    let observed = ScenarioRecord {
        observations: vec![Observation {
            item: "tls.old-protocols",
            subject: "endpoint web on nginx (127.0.0.1:49153)".into(),
            passed: true,
            facts: vec!["TLS 1.0: refused (alert protocol_version)".into()],
        }],
        ..scenario(
            "Only TLS 1.2 and 1.3 are offered",
            10,
            Status::Passed,
            &["GL-SEC-05"],
        )
    };
    let failover = ScenarioRecord {
        failover: vec![timeline()],
        ..scenario(
            "Losing an API replica under load is invisible to users",
            13,
            Status::Passed,
            &["GL-APP-07", "GL-HA-02"],
        )
    };
    let feature = |name: &str, file: &str, tags: &[&str], scenarios| FeatureRecord {
        name: name.into(),
        file: file.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        scenarios,
    };
    RunRecord {
        golive_version: "0.1.0",
        target: "combined: manifests:deploy/ + cluster:prod".into(),
        profile: Some(profile),
        features: vec![
            feature(
                "Health checks are configured",
                "features/probes.feature",
                &["manifests", "GL-APP-02"],
                vec![passed, failed],
            ),
            feature(
                "Network policies are strict",
                "features/network.feature",
                &[],
                vec![could_not],
            ),
            feature(
                "The service survives node failures",
                "features/availability.feature",
                &[],
                vec![not_applicable],
            ),
            feature(
                "Secrets are managed",
                "features/secrets.feature",
                &[],
                vec![not_evaluated],
            ),
            feature(
                "TLS protects the public endpoint",
                "features/live-tls.feature",
                &["stack"],
                vec![observed],
            ),
            feature(
                "The service survives the loss of any one part",
                "features/failover.feature",
                &[],
                vec![failover],
            ),
        ],
        skipped: vec![SkippedScenario {
            feature: "The API meets its latency and error targets under load".into(),
            file: "features/live-load.feature".into(),
            name: "Under the smoke load, p95 and errors stay below their targets".into(),
            line: 12,
            reason: "needs a @stack target; this run's target is @cluster".into(),
            tags: vec!["stack".into(), "load".into(), "GL-APP-06".into()],
        }],
        campaigns: vec![campaign()],
        sources: vec![
            SourceRun {
                name: "reports/manifests".into(),
                target: "manifests:deploy/".into(),
                verdict: Verdict::Ready,
                duration_ms: 1_200.0,
            },
            SourceRun {
                name: "reports/cluster".into(),
                target: "cluster:prod".into(),
                verdict: Verdict::NotReady,
                duration_ms: 8_400.0,
            },
        ],
        changes: Some(Changes {
            baseline: "reports/last-week/summary.json".into(),
            new_findings: vec![liveness_finding().to_string()],
            fixed_findings: Vec::new(),
            newly_not_evaluated: vec!["No Secret is written in clear".into()],
            figures: vec![FigureChange {
                figure: "p95_ms of overall (load profile smoke)".into(),
                baseline: 120.0,
                now: 190.0,
                unit: "ms".into(),
            }],
        }),
        duration_ms: 9_600.0,
        ..RunRecord::default()
    }
}

/// Writes the dossier into `dir` the way every run does; returns its path.
fn written_dossier(dir: &Path) -> std::path::PathBuf {
    let record = failing_dossier();
    let verdict = record.verdict();
    assert_ne!(verdict, Verdict::Ready);
    let written = golive::report::write_all(&record, verdict, &dir.join("reports")).unwrap();
    let page = written
        .into_iter()
        .find(|p| p.ends_with("report.html"))
        .expect("report.html is written on every run");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<script"), "no script");
    for external in ["http://", "https://", "src=", "@import", "url("] {
        let outside_text = html
            .match_indices(external)
            .all(|(at, _)| html[..at].rfind('<') < html[..at].rfind('>'));
        assert!(outside_text, "nothing fetched: {external} in markup");
    }
    page
}

#[test]
fn the_dossier_of_a_failing_combined_run_renders_every_status_and_its_charts() {
    let dir = tempfile::tempdir().unwrap();
    let page = written_dossier(dir.path());
    let dom = common::chromium::dom(&page, dir.path());
    for status in [
        "passed",
        "failed",
        "could-not-evaluate",
        "not-applicable",
        "not-evaluated",
        "not-run",
        "no-item",
    ] {
        assert!(
            dom.contains(&format!("data-status=\"{status}\"")),
            "{status} in the DOM"
        );
    }
    for verdict_or_section in [
        "NOT READY",
        "Checklist Pre-Production › Infrastructure",
        "Go-Live Checklist › J+1",
        "Runs combined in this dossier",
        "data-conflict=\"true\"",
        "deploy/api.yaml:12",
        "Changes since reports/last-week/summary.json",
        "Checklist coverage",
        "Acknowledged writes lost (RPO)",
        "Load profile smoke",
        "needs a @stack target",
    ] {
        assert!(dom.contains(verdict_or_section), "{verdict_or_section}");
    }
    let charts = dom.matches("<svg").count();
    assert!(charts >= 4, "the load and failover charts: {charts}");
    assert!(dom.contains("<path d=\"M"), "a line drawn");
    assert!(
        dom.contains(r#"data-line="GL-APP-02" data-status="failed""#),
        "the worst item wins"
    );
    common::chromium::assert_screenshot_not_blank(&page, dir.path());
}

#[test]
fn the_dossier_prints_to_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let page = written_dossier(dir.path());
    let pdf = common::chromium::print_to_pdf(&page, dir.path());
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    assert!(pdf.len() > 20_000, "not a blank PDF: {} bytes", pdf.len());
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!(pages >= 2, "the dossier spans pages: {pages}");
    // The text itself: only with poppler's pdftotext (Chromium compresses
    // its text streams and subsets its fonts, so the bytes do not hold it).
    let Ok(output) = std::process::Command::new("pdftotext")
        .arg(dir.path().join("page.pdf"))
        .arg("-")
        .output()
    else {
        eprintln!("pdftotext is not installed: the PDF's text is not checked");
        return;
    };
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("NOT READY"), "{text}");
}
