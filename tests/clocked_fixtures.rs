//! The fixtures of the checks judged against the time a cluster was read
//! (backup.scheduled: a CronJob's last success is measured from it). A
//! saved `kubectl get -o yaml` carries no such time, so these fixtures say
//! it in their header — `# golive-read-at: 2026-12-08T02:47:30Z` (or
//! `none`: read from files), with the profile's `# golive-backup-cronjobs:`
//! — and are judged through the library, as the runner judges a cluster's
//! inventory: every pass fixture passes (or, `# golive-not-applicable`,
//! judges nothing), every fail fixture reports exactly the findings its
//! `# golive-expect: <check> <Kind>/<ns>/<name> <field> saying "<text>"`
//! lines announce, located in the fixture. On files, through the binary,
//! the item is not run (its feature is `@cluster`); on a live cluster it is
//! in tests/cluster.rs.

mod common;

use std::path::Path;

use common::{READ_AT_PREFIX, root};
use golive::checks::{self, Scope, WorkloadFilter};
use golive::config::Profile;
use golive::evidence::CheckOutcome;
use golive::model::Inventory;
use golive::source::manifests;

const BACKUP_CRONJOBS_PREFIX: &str = "# golive-backup-cronjobs:";
const EXPECT_PREFIX: &str = "# golive-expect:";

/// One finding a fail fixture announces.
#[derive(Debug)]
struct Expected {
    check: String,
    object: String,
    field: String,
    saying: String,
}

fn header<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|line| line.strip_prefix(prefix))
        .map(str::trim)
}

fn expectations(path: &str, text: &str) -> Vec<Expected> {
    text.lines()
        .filter_map(|line| line.strip_prefix(EXPECT_PREFIX))
        .map(|line| {
            let (head, saying) = line
                .split_once(" saying ")
                .unwrap_or_else(|| panic!("{path}: a golive-expect line without `saying`"));
            let parts: Vec<&str> = head.split_whitespace().collect();
            let [check, object, field] = parts[..] else {
                panic!("{path}: expected `<check> <Kind>/<ns>/<name> <field> saying \"...\"`");
            };
            Expected {
                check: check.into(),
                object: object.into(),
                field: field.into(),
                saying: serde_json::from_str(saying.trim())
                    .unwrap_or_else(|e| panic!("{path}: `saying` is not a quoted text: {e}")),
            }
        })
        .collect()
}

/// Runs the fixture's check over it, with its read time and profile.
fn judge(check: &str, path: &str, text: &str) -> CheckOutcome {
    let loaded = manifests::load_path(path);
    assert!(loaded.errors.is_empty(), "{path}: {:?}", loaded.errors);
    let mut inventory = Inventory::new(loaded.objects);
    let read_at = header(text, READ_AT_PREFIX).expect("a read time");
    if read_at != "none" {
        inventory.set_read_at(Some(
            read_at
                .parse()
                .unwrap_or_else(|e| panic!("{path}: read time {read_at:?}: {e}")),
        ));
    }
    let named = header(text, BACKUP_CRONJOBS_PREFIX).unwrap_or_default();
    let profile = Profile::production()
        .with_threshold("backup_cronjobs", &format!("[{named}]"))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let filter = WorkloadFilter::default();
    let scope = Scope::new(&inventory, &profile, &filter);
    checks::find(check)
        .unwrap_or_else(|| panic!("{path}: no check {check}"))
        .run(&scope)
        .expect("a check over the inventory")
}

/// Every clocked fixture, as (check, outcome, path relative to the root, text).
fn clocked_fixtures() -> Vec<(String, String, String, String)> {
    let mut found = Vec::new();
    let dir = root().join("fixtures/checks");
    let mut checks: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/checks")
        .map(|e| e.expect("an entry").path())
        .collect();
    checks.sort();
    for check_dir in checks {
        let check = check_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for outcome in ["pass", "fail"] {
            let mut files: Vec<_> = std::fs::read_dir(check_dir.join(outcome))
                .into_iter()
                .flatten()
                .map(|e| e.expect("an entry").path())
                .collect();
            files.sort();
            for file in files {
                let text = std::fs::read_to_string(&file).unwrap();
                if header(&text, READ_AT_PREFIX).is_none() {
                    continue;
                }
                let relative = file.strip_prefix(root()).unwrap_or(Path::new(""));
                found.push((
                    check.clone(),
                    outcome.to_string(),
                    relative.display().to_string(),
                    text,
                ));
            }
        }
    }
    found
}

#[test]
fn clocked_fixtures_pass_and_fail_as_they_announce_with_their_locations() {
    let fixtures = clocked_fixtures();
    let mut problems = Vec::new();
    for check in ["backup.scheduled"] {
        for outcome in ["pass", "fail"] {
            if !fixtures.iter().any(|f| f.0 == check && f.1 == outcome) {
                problems.push(format!("{check} has no clocked {outcome} fixture"));
            }
        }
    }
    for (check, outcome, path, text) in &fixtures {
        let judged = judge(check, path, text);
        let not_applicable = text
            .lines()
            .any(|l| l.starts_with("# golive-not-applicable"));
        if outcome == "pass" {
            if !judged.findings.is_empty() {
                problems.push(format!("{path}: {:?}", judged.findings));
            }
            if not_applicable != (judged.evaluated == 0) {
                problems.push(format!(
                    "{path}: evaluated {} ({})",
                    judged.evaluated,
                    judged.nothing_to_judge()
                ));
            }
            continue;
        }
        let expected = expectations(path, text);
        if expected.is_empty() {
            problems.push(format!("{path}: a fail fixture without {EXPECT_PREFIX}"));
        }
        if judged.findings.len() != expected.len() {
            problems.push(format!(
                "{path}: {} findings, {} announced: {:#?}",
                judged.findings.len(),
                expected.len(),
                judged.findings
            ));
        }
        for want in &expected {
            let found = judged.findings.iter().find(|f| {
                f.check == want.check.as_str()
                    && f.object.to_string() == want.object
                    && f.field == want.field
            });
            let Some(finding) = found else {
                problems.push(format!(
                    "{path}: no finding {want:?} in {:#?}",
                    judged.findings
                ));
                continue;
            };
            if !finding.found.contains(&want.saying) {
                problems.push(format!(
                    "{path}: {} says {:?}, expected it to say {:?}",
                    want.field, finding.found, want.saying
                ));
            }
            // Located in the fixture (a missing CronJob: where the profile names it).
            let located = if want.field == "metadata.name" {
                finding.location.to_string() == "profile production: backup_cronjobs"
            } else {
                *finding.location.file == **path && finding.location.line > 1
            };
            if !located {
                problems.push(format!(
                    "{path}: {} located at {}",
                    want.field, finding.location
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What the runner reports as bad input (exit 2) before judging: a
/// schedule golive cannot read, named by the object and the line of its
/// schedule.
#[test]
fn an_unreadable_schedule_is_named_by_object_and_line() {
    let path = "fixtures/checks/backup.scheduled/fail/schedule-unreadable.yaml";
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    let loaded = manifests::load_path(path);
    let inventory = Inventory::new(loaded.objects);
    let profile = Profile::production()
        .with_threshold("backup_cronjobs", "[golive/pg-backup]")
        .unwrap();
    let errors: Vec<String> = checks::backup::schedule_errors(&inventory, &profile)
        .iter()
        .map(ToString::to_string)
        .collect();
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("schedule:"))
        .expect("a schedule line")
        + 1;
    assert_eq!(
        errors,
        [format!(
            "{path}:{line}: schedule \"61 * * * *\": minute 61 is out of 0-59"
        )]
    );
    // Not named by the profile: not read.
    assert!(checks::backup::schedule_errors(&inventory, &Profile::production()).is_empty());
}

/// On a manifests target the item is not run: its feature is `@cluster`
/// (a status read from files has no "now" to be judged against), so a run
/// of it alone evaluates nothing (exit 2) and says why.
#[test]
fn on_files_the_backup_item_is_not_run_saying_it_needs_a_cluster() {
    let dir = common::features_dir(&[(
        "golive.yaml",
        "profiles:\n  production:\n    backup_cronjobs: [production/postgres-backup]\n",
    )]);
    let config = dir.path().join("golive.yaml").display().to_string();
    let run = common::run(&[
        "--features",
        "features/cluster-backups.feature",
        "--config",
        &config,
    ]);
    run.assert_exit(2);
    let summary = run.summary();
    let skipped = common::array(&summary["skipped"]);
    assert!(
        skipped.len() == 1
            && skipped[0]["reason"] == "needs a @cluster target; this run's target is @manifests",
        "{}",
        run.context()
    );
}
