//! The catalogue: IDs are stable `family.name` strings, every check says why
//! and how to fix, the bundled features evaluate every check, and
//! docs/checks.md (linked from the README) is exactly what
//! `golive checks --markdown` prints.

mod common;

use std::collections::BTreeSet;

use common::{array, golive, root};
use serde_json::Value;

fn catalogue() -> Vec<Value> {
    let printed = golive(&["checks", "--json"]);
    printed.assert_code(0);
    let catalogue: Value = serde_json::from_str(&printed.stdout).unwrap();
    array(&catalogue).to_vec()
}

#[test]
fn every_check_has_a_stable_id_a_title_a_rationale_and_a_remediation() {
    let mut ids = BTreeSet::new();
    for check in catalogue() {
        let id = check["id"].as_str().unwrap();
        assert!(ids.insert(id.to_string()), "{id} is listed twice");
        let (family, name) = id
            .split_once('.')
            .unwrap_or_else(|| panic!("{id}: not family.name"));
        let lowercase = |s: &str| s.chars().all(|c| c.is_ascii_lowercase() || c == '-');
        assert!(
            lowercase(family) && lowercase(name),
            "{id}: lowercase words and dashes only"
        );
        for field in ["title", "rationale", "remediation"] {
            let text = check[field].as_str().unwrap_or_default();
            assert!(
                text.len() >= 20,
                "{id}: {field} is missing or too short: {text:?}"
            );
        }
        assert!(
            ["critical", "high", "medium", "low"].contains(&check["severity"].as_str().unwrap()),
            "{id}: severity"
        );
    }
}

#[test]
fn the_bundled_features_evaluate_every_check() {
    let mut features = String::new();
    for entry in std::fs::read_dir(root().join("features")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "feature") {
            features.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    let missing: Vec<String> = catalogue()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .filter(|id| !features.contains(&format!("\"{id}\"")))
        .collect();
    assert!(
        missing.is_empty(),
        "checks no bundled feature evaluates: {missing:?}"
    );
}

#[test]
fn docs_checks_md_is_the_generated_catalogue() {
    let printed = golive(&["checks", "--markdown"]);
    printed.assert_code(0);
    let committed = std::fs::read_to_string(root().join("docs/checks.md")).unwrap_or_default();
    assert!(
        committed == printed.stdout,
        "docs/checks.md is out of date: run `cargo run -- checks --markdown > docs/checks.md`"
    );
    for check in catalogue() {
        let id = check["id"].as_str().unwrap();
        assert!(
            committed.contains(&format!("### {id}")),
            "{id} is not in docs/checks.md"
        );
    }
}
