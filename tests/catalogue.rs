//! The catalogue: IDs are stable `family.name` strings, every check says why
//! and how to fix, which checklist lines it serves and what it needs, the
//! bundled features evaluate every check (static ones by ID, live ones
//! through the steps that record them), every item a step can record is a
//! live check of the catalogue, and docs/checks.md (linked from the
//! README) is exactly what `golive checks --markdown` prints.

mod common;

use std::collections::BTreeSet;

use common::{array, golive, root};
use golive::checks;
use golive::steps::Keyword;
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
        let lowercase = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        assert!(
            lowercase(family) && lowercase(name),
            "{id}: lowercase words, digits and dashes only"
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
        let checklist = array(&check["checklist"]);
        assert!(!checklist.is_empty(), "{id}: serves no checklist line");
        for line in checklist {
            let line = line.as_str().unwrap_or_default();
            assert!(
                golive::checklist::find(line).is_some(),
                "{id}: {line:?} is not a line of the checklist registry"
            );
        }
        let needs = array(&check["needs"]);
        assert!(!needs.is_empty(), "{id}: needs nothing");
        let kind = check["kind"].as_str().unwrap_or_default();
        let on_inventory = needs.iter().any(|n| n == "manifests" || n == "cluster");
        assert!(
            kind == "live" || on_inventory,
            "{id}: a rule over the inventory needs manifests or a cluster: {needs:?}"
        );
    }
}

/// Every step of the bundled features with its keyword (And and But take
/// the one before).
fn feature_steps() -> Vec<(Keyword, String)> {
    let mut steps = Vec::new();
    for entry in std::fs::read_dir(root().join("features")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "feature") {
            continue;
        }
        let mut keyword = Keyword::Given;
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let line = line.trim();
            let Some((word, text)) = line.split_once(' ') else {
                continue;
            };
            keyword = match word {
                "Given" => Keyword::Given,
                "When" => Keyword::When,
                "Then" => Keyword::Then,
                "And" | "But" => keyword,
                _ => continue,
            };
            steps.push((keyword, text.to_string()));
        }
    }
    steps
}

#[test]
fn every_item_a_step_records_is_a_live_check_and_the_features_record_every_one() {
    let live: BTreeSet<&str> = checks::catalogue()
        .filter(|c| !c.is_inventory())
        .map(|c| c.meta.id)
        .collect();
    assert!(live.len() >= 24, "{live:?}");
    // What each step says it records, from the step table itself.
    let placeholder = vec![String::new(); 8];
    let mut recorded = BTreeSet::new();
    for def in golive::steps::STEPS {
        if def.pattern.contains("checks?") {
            continue; // `the checks "..." pass`: inventory checks by name
        }
        for id in def
            .checks_named
            .map(|named| named(&placeholder))
            .unwrap_or_default()
        {
            let check = checks::find(&id)
                .unwrap_or_else(|| panic!("{}: {id} is not in the catalogue", def.example));
            assert!(
                !check.is_inventory(),
                "{}: {id} is not a live check",
                def.example
            );
            recorded.insert(check.meta.id);
        }
    }
    assert_eq!(
        recorded, live,
        "live checks no step records, or the reverse"
    );
    // The bundled features run a step recording each of them.
    let mut in_features = BTreeSet::new();
    for (keyword, text) in feature_steps() {
        if let Ok(Some((def, arguments))) = golive::steps::definition_for(keyword, &text)
            && !def.pattern.contains("checks?")
        {
            in_features.extend(
                def.checks_named
                    .map(|named| named(&arguments))
                    .unwrap_or_default(),
            );
        }
    }
    let missing: Vec<&&str> = live
        .iter()
        .filter(|id| !in_features.contains(**id))
        .collect();
    assert!(
        missing.is_empty(),
        "live checks no bundled feature records: {missing:?}"
    );
}

#[test]
fn observations_are_made_only_from_catalogued_live_checks() {
    // `Observation { item, .. }` is built in one place, from a `Live`
    // check: no step can record an item under a made-up ID. (Records read
    // back from summary.json, and unit tests' records, are data.)
    let mut literal = Vec::new();
    let mut stack = vec![root().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("src/checks/live/mod.rs")
                && std::fs::read_to_string(&path)
                    .unwrap()
                    .lines()
                    // Unit tests build records as summary.json reads back.
                    .take_while(|l| l.trim() != "#[cfg(test)]")
                    .any(|l| {
                        l.trim_end().ends_with("Observation {")
                            && !l.contains("struct")
                            && !l.contains(" for ")
                    })
            {
                literal.push(path.display().to_string());
            }
        }
    }
    assert!(
        literal.is_empty(),
        "Observation built outside checks::live: {literal:?}"
    );
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
        .filter(|c| c["kind"] == "inventory")
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
