//! The release drills for real (features/release-drills.feature): golive
//! starts the HA stack in Docker, rolls its three API replicas to release
//! 2 and back while a load runs through nginx, and judges what users saw;
//! then loses the database and restores it from its backup. The reference
//! passes; a release that never becomes ready stops the upgrade with the
//! old replicas serving and no request failed; a release that answers 500
//! is NOT READY with the failed requests counted; a backup of the wrong
//! database restores nothing; a backup older than the restore RPO loses
//! too much; a restore that drops the tables' owners leaves the
//! application refused its own data; the cache comes back from its RDB,
//! and a restore that never loads the RDB brings no key back. Each drill
//! puts the stack back as it found it, and nothing is left on the engine
//! afterwards.
//!
//! These tests need a Docker engine and the images of scripts/images.sh
//! (scripts/test.sh provides both); without them they fail, saying so.

mod common;

use common::engine::assert_removed;
use common::{Run, features_dir, observations, scenarios};
use serde_json::Value;

const DRILLS: &str = "features/release-drills.feature";

fn drills(stack: &str, extra: &[&str]) -> Run {
    let target = format!("stack:fixtures/stacks/{stack}");
    let mut args = vec![
        "--target",
        target.as_str(),
        "--features",
        DRILLS,
        "--allow-disruption",
    ];
    args.extend_from_slice(extra);
    common::run(&args)
}

/// The observations of `item` in the scenario named like `scenario`.
fn observed(summary: &Value, scenario: &str, item: &str) -> Vec<Value> {
    scenarios(summary)
        .into_iter()
        .filter(|(_, s)| s["name"].as_str().unwrap_or("").contains(scenario))
        .flat_map(|(_, s)| s["observations"].as_array().cloned().unwrap_or_default())
        .filter(|o| o["item"] == item)
        .collect()
}

/// The timeline of the clock described like `clock` (`INSERT`, `SET`,
/// `GET`) in the scenario named like `scenario`.
fn timeline(summary: &Value, scenario: &str, clock: &str) -> Value {
    scenarios(summary)
        .into_iter()
        .filter(|(_, s)| s["name"].as_str().unwrap_or("").contains(scenario))
        .flat_map(|(_, s)| s["failover"].as_array().cloned().unwrap_or_default())
        .find(|t| t["clock"].as_str().unwrap_or("").starts_with(clock))
        .unwrap_or_else(|| panic!("no {clock} clock in the scenario {scenario:?}"))
}

/// A secret of the stack file appears in none of the run's reports.
fn assert_in_no_report(run: &Run, secret: &str) {
    for report in ["summary.json", "junit.xml", "summary.md", "report.html"] {
        assert!(
            !run.report(report).contains(secret),
            "{report} leaks {secret:?}"
        );
    }
}

fn facts(observation: &Value) -> String {
    observation["facts"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

#[test]
fn the_ha_stack_upgrades_and_rolls_back_under_load_with_no_request_failed() {
    let run = drills("ha.yaml", &[]);
    run.assert_exit(0);
    let summary = run.summary();
    for (scenario, version) in [("upgrade", "2"), ("Rolling back", "1")] {
        let complete = &observed(&summary, scenario, "rollout.complete")[0];
        assert!(
            complete["passed"] == true && facts(complete).contains("3 of 3 replica(s) replaced"),
            "{complete:#}"
        );
        let no_error = &observed(&summary, scenario, "rollout.no-error")[0];
        let text = facts(no_error);
        let requests: u64 = text
            .split(" of ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        assert!(
            text.starts_with("0 of ") && requests >= 80,
            "at 8 requests/s, at least 10 s of requests judged: {text}"
        );
        let versions = &observed(&summary, scenario, "rollout.version")[0];
        assert!(
            facts(versions)
                .matches(&format!("version \"{version}\""))
                .count()
                >= 3,
            "{versions:#}"
        );
    }
    // The timeline of the clock carries the rollout's steps, in every report.
    let upgrade = timeline(&summary, "upgrade", "GET");
    assert!(
        upgrade["disruption"]
            .as_str()
            .unwrap_or("")
            .starts_with("upgrade of api from revision 1")
            && upgrade["steps"].as_array().map_or(0, Vec::len) == 6,
        "{upgrade:#}"
    );
    // The restores: every write acknowledged before the backup is back,
    // the few since then lost (within the restore RPO), the application
    // serving again, figures kept. The replicas are removed first.
    for (scenario, clock, lost) in [
        (
            "database comes back",
            "INSERT",
            "the data of db lost (postgres-standby, postgres removed",
        ),
        (
            "cache comes back",
            "SET",
            "the data of cache lost (redis-replica-2, redis-replica-1, redis removed",
        ),
    ] {
        let restored = &observed(&summary, scenario, "backup.restored")[0];
        assert!(
            restored["passed"] == true && facts(restored).contains(" are back"),
            "{restored:#}"
        );
        let store = timeline(&summary, scenario, clock);
        let writes = &store["writes"];
        assert!(
            writes["backup"]["acknowledged_before"].as_u64() > Some(10)
                && writes["backup"]["lost"] == 0
                && writes["rpo_s"]
                    .as_f64()
                    // 2 s pass between the backup and the loss; the first write
                    // after the backup lands up to one probe interval (0.1 s) later.
                    .is_some_and(|s| (1.8..60.0).contains(&s)),
            "{store:#}"
        );
        assert!(
            store["disruption"].as_str().unwrap_or("").starts_with(lost),
            "{store:#}"
        );
        let restore_time = &observed(&summary, scenario, "backup.restore-time")[0];
        assert!(restore_time["passed"] == true, "{restore_time:#}");
        let application = &observed(&summary, scenario, "failover.rto")[0];
        assert!(application["passed"] == true, "{application:#}");
    }
    assert!(run.junit().contains("api-1 stopped and removed"));
    assert!(run.markdown().contains("api-1 stopped and removed"));
    let page = run.report("report.html");
    assert!(page.contains("api-1 stopped and removed") && page.contains("<svg"));
    assert_removed(&run);
}

#[test]
fn a_release_that_never_becomes_ready_stops_the_upgrade_with_the_old_replicas_serving() {
    let run = drills("ha-upgrade-never-ready.yaml", &["--tags", "@GL-HA-01"]);
    run.assert_exit(1);
    let summary = run.summary();
    let no_error = &observed(&summary, "upgrade", "rollout.no-error")[0];
    assert!(
        no_error["passed"] == true,
        "users saw nothing of the halted upgrade: {no_error:#}"
    );
    let complete = &observed(&summary, "upgrade", "rollout.complete")[0];
    let text = facts(complete);
    assert!(
        complete["passed"] == false
            && text.contains("0 of 3 replica(s) replaced")
            && text.contains("not healthy within the 15 s progress deadline")
            && text.contains("password authentication failed")
            && text.contains("nothing to undo"),
        "{complete:#}"
    );
    // The wrong password of release 2 is not in any report.
    assert_in_no_report(&run, "wrong-password");
    assert_removed(&run);
}

#[test]
fn a_release_that_answers_500_is_not_ready_with_the_failed_requests_counted() {
    let run = drills("ha-upgrade-500.yaml", &["--tags", "@GL-HA-01"]);
    run.assert_exit(1);
    let summary = run.summary();
    let no_error = &observed(&summary, "upgrade", "rollout.no-error")[0];
    let text = facts(no_error);
    assert!(
        no_error["passed"] == false && text.contains("× 500") && !text.starts_with("0 of "),
        "{no_error:#}"
    );
    assert_removed(&run);
}

/// A drill that rolled the API leaves it on its first release for the
/// scenarios after it, whatever the drill's outcome.
#[test]
fn every_drill_puts_the_service_back_on_its_first_release() {
    let features = features_dir(&[(
        "restore.feature",
        r#"@stack @disruptive @serial
Feature: Restored
  Scenario: Upgraded, then a step fails
    Given "api" has been upgraded
    Then every replica of "api" serves version "1"

  Scenario: The next scenario finds release 1
    Then every replica of "api" serves version "1"
"#,
    )]);
    let run = common::run(&[
        "--target",
        "stack:fixtures/stacks/ha.yaml",
        "--features",
        common::path_str(features.path()),
        "--allow-disruption",
    ]);
    run.assert_exit(1);
    let summary = run.summary();
    let verdicts: Vec<bool> = observations(&summary)
        .iter()
        .filter(|o| o["item"] == "rollout.version")
        .map(|o| o["passed"] == true)
        .collect();
    assert_eq!(verdicts, [false, true], "{}", run.context());
    assert_removed(&run);
}

/// Both runbooks of a restore drill succeeded, and none of the writes
/// acknowledged before the backup came back: only reading them back shows
/// the loss.
fn assert_runbooks_passed_and_nothing_came_back(summary: &Value) {
    let runbooks = observed(summary, "backup", "failover.runbook");
    assert!(
        runbooks.len() == 2 && runbooks.iter().all(|r| r["passed"] == true),
        "{runbooks:#?}"
    );
    let restored = &observed(summary, "backup", "backup.restored")[0];
    let text = facts(restored);
    assert!(
        restored["passed"] == false
            && text.starts_with("0 of the ")
            && text.contains("missing: 1, 2"),
        "{restored:#}"
    );
}

#[test]
fn a_backup_of_the_wrong_database_restores_nothing_written_before_it() {
    let run = drills("ha-backup-wrong-database.yaml", &["--tags", "@postgres"]);
    run.assert_exit(1);
    let summary = run.summary();
    assert_runbooks_passed_and_nothing_came_back(&summary);
    assert_removed(&run);
}

#[test]
fn a_backup_older_than_the_restore_rpo_loses_too_much() {
    // The drill writes for 2 s after the backup: more than an RPO of 1 s.
    let config = common::temp_tree(&[(
        "golive.yaml",
        b"profiles:\n  production:\n    restore_rpo_seconds: 1\n",
    )]);
    let config = config.path().join("golive.yaml");
    let run = drills(
        "ha.yaml",
        &["--tags", "@postgres", "--config", common::path_str(&config)],
    );
    run.assert_exit(1);
    let summary = run.summary();
    let restored = &observed(&summary, "backup", "backup.restored")[0];
    assert!(restored["passed"] == true, "{restored:#}");
    let rpo = &observed(&summary, "backup", "failover.rpo")[0];
    assert!(
        rpo["passed"] == false && facts(rpo).contains("acknowledged writes lost"),
        "the writes since the backup are lost: {rpo:#}"
    );
    assert_removed(&run);
}

#[test]
fn a_restore_that_drops_the_owners_leaves_the_application_refused_its_own_table() {
    let run = drills("ha-restore-wrong-owner.yaml", &["--tags", "@postgres"]);
    run.assert_exit(1);
    let summary = run.summary();
    // The probe, a superuser, finds its rows back: only the application's
    // own requests show the restore is unusable.
    let restored = &observed(&summary, "backup", "backup.restored")[0];
    assert!(restored["passed"] == true, "{restored:#}");
    let application = observed(&summary, "backup", "failover.rto")
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("the application was not judged:\n{summary:#}"));
    let text = facts(&application);
    assert!(
        application["passed"] == false
            && text.contains("not recovered")
            && text.contains("permission denied for table items"),
        "{application:#}"
    );
    // The application's password, in the error's neighbourhood, is not.
    assert_in_no_report(&run, "app-test-only");
    assert_removed(&run);
}

#[test]
fn a_cache_restore_that_never_loads_the_rdb_brings_no_key_back() {
    let run = drills("ha-restore-cache-not-loaded.yaml", &["--tags", "@redis"]);
    run.assert_exit(1);
    let summary = run.summary();
    assert_runbooks_passed_and_nothing_came_back(&summary);
    let backup = &timeline(&summary, "backup", "SET")["writes"]["backup"];
    assert!(
        backup["acknowledged_before"].as_u64() > Some(10)
            && backup["lost"] == backup["acknowledged_before"],
        "{backup:#}"
    );
    assert_removed(&run);
}
