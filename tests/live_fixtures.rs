//! Every live check of the catalogue against recorded measurements: each
//! JSON file of `fixtures/live/<id>/pass/` must pass the check's judge and
//! each of `fail/` must fail it, with facts that say why. A live check
//! without a fixture either way, or a fixture directory that names no live
//! check, fails the test: it cannot pass by finding nothing.

mod common;

use std::path::{Path, PathBuf};

use common::root;
use golive::checks::{self, Rule};

const LIVE_DIR: &str = "fixtures/live";

/// The JSON files of a directory, sorted (none when it does not exist).
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_live_check_passes_its_pass_fixtures_and_fails_its_fail_fixtures() {
    let mut problems = Vec::new();
    let mut judged = 0;
    let live: Vec<_> = checks::catalogue()
        .filter_map(|check| match check.rule {
            Rule::Live(judge) => Some((check.meta.id, judge)),
            Rule::Inventory(_) => None,
        })
        .collect();
    for (id, judge) in &live {
        for (outcome, expected) in [("pass", true), ("fail", false)] {
            let dir = root().join(LIVE_DIR).join(id).join(outcome);
            let files = json_files(&dir);
            if files.is_empty() {
                problems.push(format!(
                    "live check {id} has no {outcome} fixture in {LIVE_DIR}/{id}/{outcome}/"
                ));
            }
            for file in files {
                let name = file.strip_prefix(root()).unwrap_or(&file).display();
                let text = std::fs::read_to_string(&file).unwrap();
                let value: serde_json::Value = match serde_json::from_str(&text) {
                    Ok(value) => value,
                    Err(e) => {
                        problems.push(format!("{name}: not JSON: {e}"));
                        continue;
                    }
                };
                match judge(&value) {
                    Err(e) => problems.push(format!("{name}: {e}")),
                    Ok((passed, facts)) => {
                        judged += 1;
                        if passed != expected {
                            problems.push(format!(
                                "{name}: {id} {} it, expected to {outcome}: {facts:?}",
                                if passed { "passes" } else { "fails" }
                            ));
                        }
                        if facts.is_empty() || facts.iter().any(|f| f.trim().is_empty()) {
                            problems.push(format!("{name}: the verdict says no why: {facts:?}"));
                        }
                    }
                }
            }
        }
    }
    for entry in std::fs::read_dir(root().join(LIVE_DIR)).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !live.iter().any(|(id, _)| *id == name) {
            problems.push(format!(
                "{LIVE_DIR}/{name} names no live check of the catalogue"
            ));
        }
    }
    assert!(live.len() >= 24, "live checks: {}", live.len());
    assert!(judged >= 2 * live.len(), "{judged} fixtures judged");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_measurement_of_another_check_is_refused_not_judged() {
    let judge = |id: &str| match checks::find(id).map(|c| &c.rule) {
        Some(Rule::Live(judge)) => *judge,
        _ => panic!("{id} is not a live check"),
    };
    let tls_expiry = root()
        .join(LIVE_DIR)
        .join("tls.expiry/pass/89-days-left.json");
    let lifetime: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tls_expiry).unwrap()).unwrap();
    let refused = judge("failover.rto")(&lifetime);
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("not a measurement")),
        "{refused:?}"
    );
}
