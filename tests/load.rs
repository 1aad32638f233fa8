//! `golive load` from the outside: the real binary against an HTTP server
//! of this test process whose answers are known in advance (a fixed share
//! of slow answers, a fixed share of 500s). Exit codes 0 (every target
//! met), 1 (a target missed, saying which and by how much) and 2 (a profile
//! that cannot be read, an interrupted campaign), the four reports (the
//! HTML one rendered in headless Chromium), and values from the environment
//! redacted from all of them.

mod common;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::golive_command;
use serde_json::Value;

/// A keep-alive HTTP server on 127.0.0.1: request n (over all
/// connections) waits `slow_ms` when n % 10 == 9 and answers 500 when
/// n % 100 == 50 and `errors` is set.
fn known_server(slow_ms: u64, errors: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let counter = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let counter = counter.clone();
            std::thread::spawn(move || {
                let mut buffer = [0u8; 8192];
                while let Ok(read) = stream.read(&mut buffer) {
                    if read == 0 {
                        return;
                    }
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    if n % 10 == 9 {
                        std::thread::sleep(Duration::from_millis(slow_ms));
                    }
                    let status = if errors && n % 100 == 50 {
                        "500 Internal Server Error"
                    } else {
                        "200 OK"
                    };
                    let answer = format!("HTTP/1.1 {status}\r\ncontent-length: 2\r\n\r\nok");
                    if stream.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{address}")
}

/// The secret every campaign here takes from the environment: characters
/// JSON, HTML and XML escape, so a report that redacted its text after
/// escaping it would still show `s3cr3t`.
const TOKEN: &str = "tok\"<s3cr3t>&value";

fn profile(dir: &Path, targets: &str) -> PathBuf {
    let path = dir.join("campaign.yaml");
    std::fs::write(
        &path,
        format!(
            "name: campaign
description: \"token ${{GOLIVE_TEST_TOKEN}} must not leak\"
host: http://127.0.0.1:1
load:
  stages:
    - {{ users: 4, ramp: 1s, hold: 3s }}
think_time: 20ms
scenarios:
  - name: read
    requests:
      - {{ name: read, path: /x, headers: {{ Authorization: \"Bearer ${{GOLIVE_TEST_TOKEN}}\" }}, expect: {{ status: 200 }} }}
targets:
{targets}
"
        ),
    )
    .unwrap();
    path
}

fn load(profile: &Path, host: &str, reports: &Path) -> Output {
    load_with(profile, host, reports, &[])
}

fn load_with(profile: &Path, host: &str, reports: &Path, extra: &[&str]) -> Output {
    golive_command()
        .arg("load")
        .arg(profile)
        .args(["--host", host, "--report-dir"])
        .arg(reports)
        .args(extra)
        .env("GOLIVE_TEST_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The run's summary.json: `golive load` is a run whose record holds one
/// campaign.
fn summary(reports: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(reports.join("summary.json")).unwrap()).unwrap()
}

/// The campaign the run's summary.json records.
fn recorded_campaign(reports: &Path) -> Value {
    let summary = summary(reports);
    assert_eq!(
        summary["campaigns"].as_array().map(Vec::len),
        Some(1),
        "{summary:#}"
    );
    summary["campaigns"][0].clone()
}

fn assert_reports_without_secret(reports: &Path) {
    for name in ["summary.json", "summary.md", "report.html", "junit.xml"] {
        let text =
            std::fs::read_to_string(reports.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!text.contains("s3cr3t"), "{name} shows the token");
    }
}

#[test]
fn targets_met_exit_0_and_the_four_reports_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let host = known_server(50, false);
    let reports = dir.path().join("reports");
    let output = load(
        &profile(dir.path(), "  p95_ms: 500\n  error_rate_percent: 0.1"),
        &host,
        &reports,
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(summary(&reports)["verdict"], "READY");
    let summary = recorded_campaign(&reports);
    assert!(
        summary["steady"]["requests"].as_u64().unwrap() > 20,
        "{summary:#}"
    );
    assert_reports_without_secret(&reports);
    let html = std::fs::read_to_string(reports.join("report.html")).unwrap();
    assert!(
        html.contains("<svg") && !html.contains("<script"),
        "self-contained charts"
    );
    assert_renders_in_chromium(&reports.join("report.html"), dir.path());
}

/// The dossier renders in headless Chromium with every host name
/// unresolvable (so nothing could be fetched): the three charts are in the
/// DOM with their lines drawn, and a screenshot of the page is not blank.
fn assert_renders_in_chromium(page: &Path, scratch: &Path) {
    let dom = common::chromium::dom(page, scratch);
    assert!(
        dom.matches("<figure>").count() >= 3,
        "the three charts: {dom}"
    );
    assert!(dom.contains("<path d=\"M"), "lines drawn: {dom}");
    common::chromium::assert_screenshot_not_blank(page, scratch);
}

#[test]
fn a_missed_target_exits_1_naming_it_and_the_gap() {
    let dir = tempfile::tempdir().unwrap();
    let host = known_server(200, true);
    let reports = dir.path().join("reports");
    let output = load(&profile(dir.path(), "  p95_ms: 100"), &host, &reports);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(!stdout.contains("s3cr3t"), "the terminal shows the token");
    assert!(
        stdout.contains("p95 latency < 100 ms: 20") && stdout.contains("missed by 10"),
        "the p95 is about 200 ms, missed by about 100 ms: {stdout}"
    );
    let summary = recorded_campaign(&reports);
    let p95 = summary["steady"]["p95_ms"].as_f64().unwrap();
    assert!(
        (p95 - 200.0).abs() / 200.0 < 0.02,
        "p95 {p95}, truth 200 ms"
    );
    let junit = std::fs::read_to_string(reports.join("junit.xml")).unwrap();
    assert!(junit.contains("<failure"), "{junit}");
    assert_reports_without_secret(&reports);
}

/// A golive.yaml whose production profile sets these two targets.
fn golive_yaml(dir: &Path, p95_ms: f64, error_rate_percent: f64) -> PathBuf {
    let path = dir.join(format!("golive-{p95_ms}-{error_rate_percent}.yaml"));
    std::fs::write(
        &path,
        format!(
            "profiles:\n  production:\n    latency_p95_ms: {p95_ms}\n    error_rate_percent: {error_rate_percent}\n"
        ),
    )
    .unwrap();
    path
}

/// The (target, verdict) of each overall target of the campaign, by metric.
fn overall_targets(reports: &Path) -> Vec<(String, f64, String)> {
    recorded_campaign(reports)["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["scope"] == "overall")
        .map(|t| {
            (
                t["metric"].as_str().unwrap().to_string(),
                t["target"].as_f64().unwrap(),
                t["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A load profile without targets is judged on golive.yaml's
/// latency_p95_ms and error_rate_percent (`--config`): changing them flips
/// the verdict; a load profile's own figures win over them.
#[test]
fn golive_yaml_targets_apply_where_the_load_profile_sets_none_and_its_own_win() {
    let dir = tempfile::tempdir().unwrap();
    // p95 about 60 ms (one request in ten is slow), 1 % of 500s.
    let host = known_server(60, true);
    let silent = profile(dir.path(), "  {}");
    let lenient = golive_yaml(dir.path(), 150.0, 5.0);
    let strict = golive_yaml(dir.path(), 30.0, 0.5);
    let run = |profile: &Path, config: &Path, name: &str| {
        let reports = dir.path().join(name);
        let config = config.display().to_string();
        let output = load_with(profile, &host, &reports, &["--config", &config]);
        (output, reports)
    };

    let (output, reports) = run(&silent, &lenient, "lenient");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(
        overall_targets(&reports),
        [
            ("p95_ms".to_string(), 150.0, "met".to_string()),
            ("error_rate_percent".to_string(), 5.0, "met".to_string())
        ]
    );

    let (output, reports) = run(&silent, &strict, "strict");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("p95 latency < 30 ms: 6") && stdout.contains("error rate < 0.5 %: "),
        "both golive.yaml targets missed, with the figures: {stdout}"
    );
    assert_eq!(
        overall_targets(&reports)
            .iter()
            .map(|(_, _, verdict)| verdict.as_str())
            .collect::<Vec<_>>(),
        ["missed", "missed"]
    );

    let own = dir.path().join("own");
    std::fs::create_dir(&own).unwrap();
    let own = profile(&own, "  p95_ms: 150\n  error_rate_percent: 5");
    let (output, reports) = run(&own, &strict, "own");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "the load profile's figures win: {stdout}"
    );
    assert_eq!(overall_targets(&reports)[0].1, 150.0);
}

#[test]
fn a_slower_run_than_its_baseline_is_a_regression_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let campaign = profile(dir.path(), "  p95_ms: 1000");
    let before = dir.path().join("before");
    let output = load(&campaign, &known_server(20, false), &before);
    assert_eq!(output.status.code(), Some(0), "the baseline campaign");
    let baseline = before.join("summary.json");
    let after = dir.path().join("after");
    let output = load_with(
        &campaign,
        &known_server(200, false),
        &after,
        &[
            "--baseline",
            baseline.to_str().unwrap(),
            "--tolerance",
            "20",
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let summary = recorded_campaign(&after);
    let rows = summary["comparison"]["rows"].as_array().unwrap();
    let p95 = rows
        .iter()
        .find(|r| r["scope"] == "overall" && r["metric"] == "p95_ms")
        .unwrap();
    assert_eq!(p95["regression"], true, "{p95:#}");
    assert!(p95["change_percent"].as_f64().unwrap() > 300.0, "{p95:#}");
    let throughput_same = rows
        .iter()
        .filter(|r| r["metric"] == "p50_ms")
        .all(|r| r["regression"] == false);
    assert!(throughput_same, "the median did not move: {rows:#?}");
    let html = std::fs::read_to_string(after.join("report.html")).unwrap();
    assert!(
        html.contains(r#"<table class="comparison">"#) && html.contains("regression"),
        "the comparison is on the page"
    );
    let junit = std::fs::read_to_string(after.join("junit.xml")).unwrap();
    assert!(
        junit.contains("no regression against") && junit.contains("<failure"),
        "the regression is a failed testcase: {junit}"
    );
    let markdown = std::fs::read_to_string(after.join("summary.md")).unwrap();
    assert!(markdown.contains("❌ regression"), "{markdown}");
}

#[test]
fn a_profile_that_cannot_be_read_exits_2_with_its_line_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "name: bad\nhost: nowhere\nload: { stages: [] }\nscenarios: []\n",
    )
    .unwrap();
    let reports = dir.path().join("reports");
    let output = load(&path, "http://127.0.0.1:1", &reports);
    assert_eq!(output.status.code(), Some(2));
    let summary = summary(&reports);
    assert_eq!(summary["verdict"], "COULD_NOT_EVALUATE");
    let place = summary["input_errors"][0]["place"]
        .as_str()
        .unwrap_or_default();
    assert!(place.ends_with("bad.yaml:2:7"), "{summary:#}");
}

#[test]
fn wrong_arguments_exit_2_before_any_load_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let campaign = profile(dir.path(), "  p95_ms: 500");
    let not_json = dir.path().join("not-a-report.json");
    std::fs::write(&not_json, "{}").unwrap();
    let not_json = not_json.to_str().unwrap();
    let manifests_run = dir.path().join("manifests-run.json");
    std::fs::write(&manifests_run, r#"{"schema_version": 2}"#).unwrap();
    let manifests_run = manifests_run.to_str().unwrap();
    // The summary of a campaign of another profile.
    let earlier = dir.path().join("earlier");
    let output = load(&campaign, &known_server(1, false), &earlier);
    assert_eq!(output.status.code(), Some(0));
    let mut other: Value =
        serde_json::from_str(&std::fs::read_to_string(earlier.join("summary.json")).unwrap())
            .unwrap();
    other["campaigns"][0]["profile"] = "other".into();
    let other_profile = dir.path().join("other-profile.json");
    std::fs::write(&other_profile, other.to_string()).unwrap();
    let other_profile = other_profile.to_str().unwrap();
    let host = known_server(1, false);
    let cases: [(&str, &[&str], &str); 6] = [
        ("nowhere", &[], "--host"),
        ("ftp://127.0.0.1:21", &[], "--host"),
        (&host, &["--tolerance=-5"], "--tolerance"),
        (&host, &["--baseline", not_json], not_json),
        (&host, &["--baseline", manifests_run], manifests_run),
        (&host, &["--baseline", other_profile], other_profile),
    ];
    for (host, extra, place) in cases {
        let reports = dir.path().join("reports");
        let output = load_with(&campaign, host, &reports, extra);
        assert_eq!(output.status.code(), Some(2), "{host} {extra:?}");
        let summary = summary(&reports);
        assert_eq!(summary["input_errors"][0]["place"], place, "{summary:#}");
        assert!(
            summary["campaigns"].is_null(),
            "nothing sent: {host} {extra:?}"
        );
    }
    let reports = dir.path().join("reports");
    let output = golive_command()
        .arg("load")
        .arg(&campaign)
        .args([
            "--target",
            "stack:fixtures/stacks/reference.yaml",
            "--report-dir",
        ])
        .arg(&reports)
        .env("GOLIVE_TEST_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "a URL host with a stack");
    assert_eq!(summary(&reports)["input_errors"][0]["place"], "--target");
    let stack = &summary(&reports)["stack"];
    assert!(
        stack["started_in_s"].is_null() && stack["removed"].is_null(),
        "no stack started: {stack:#}"
    );
    let output = load(Path::new("no-such-profile"), &host, &reports);
    assert_eq!(output.status.code(), Some(2));
    let message = summary(&reports)["input_errors"][0]["message"].to_string();
    assert!(
        message.contains("baseline, failover, peak, rollout, smoke, soak, spike"),
        "{message}"
    );
}

#[test]
fn ctrl_c_stops_the_campaign_with_exit_2_and_the_reports() {
    let dir = tempfile::tempdir().unwrap();
    let host = known_server(10, false);
    let reports = dir.path().join("reports");
    let path = profile(dir.path(), "  p95_ms: 500");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("hold: 3s", "hold: 60s");
    std::fs::write(&path, text).unwrap();
    let child = golive_command()
        .arg("load")
        .arg(&path)
        .args(["--host", &host, "--report-dir"])
        .arg(&reports)
        .env("GOLIVE_TEST_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = std::time::Instant::now();
    let output = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "stopped promptly"
    );
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(summary(&reports)["interrupted"], true);
    let summary = recorded_campaign(&reports);
    assert!(
        summary["ramp"]["requests"].as_u64().unwrap_or(0)
            + summary["steady"]["requests"].as_u64().unwrap_or(0)
            > 0
    );
}
