//! The mutation test: starting from the READY example application
//! (`fixtures/example`), apply each known violation of the checklist, one at
//! a time, and show that every one flips the verdict to NOT READY with the
//! check that should catch it. Every check of the catalogue has at least one
//! mutation. The table is printed (run with `--nocapture` to see it).

mod common;

use std::collections::BTreeSet;

use common::example::{Example, mutations, set, unset};
use common::{active_findings, array, golive, run};
use serde_json::{Value, json};

/// What one run of the example gave.
struct Outcome {
    code: i32,
    checks: BTreeSet<String>,
}

fn evaluate(example: &Example) -> Outcome {
    let dir = example.write();
    let target = format!("manifests:{}", dir.path().display());
    let run = run(&["--target", &target]);
    let checks = if run.code == 2 {
        BTreeSet::from([format!("could not evaluate:\n{}", run.stdout)])
    } else {
        active_findings(&run.summary())
            .iter()
            .map(|f| f["check"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    Outcome {
        code: run.code,
        checks,
    }
}

/// The checks that can be judged on manifests.
fn catalogue_ids() -> Vec<String> {
    let printed = golive(&["checks", "--json"]);
    printed.assert_code(0);
    let catalogue: Value = serde_json::from_str(&printed.stdout).unwrap();
    array(&catalogue)
        .iter()
        .filter(|c| array(&c["needs"]).iter().any(|n| n == "manifests"))
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_known_violation_of_the_ready_example_makes_it_not_ready_with_the_right_check() {
    let example = Example::load();
    let baseline = evaluate(&example);
    assert_eq!(
        (baseline.code, &baseline.checks),
        (0, &BTreeSet::new()),
        "the example, rewritten as JSON documents, must be READY before any mutation"
    );

    let mutations = mutations();
    let catalogue = catalogue_ids();
    // The runtime family judges what a cluster reports (status), which
    // manifests do not carry: tests/cluster.rs mutates the cluster instead.
    let untested: Vec<&String> = catalogue
        .iter()
        .filter(|id| !id.starts_with("runtime."))
        .filter(|id| !mutations.iter().any(|m| m.check == id.as_str()))
        .collect();
    let unknown: Vec<&str> = mutations
        .iter()
        .map(|m| m.check)
        .filter(|id| !catalogue.iter().any(|c| c == id))
        .collect();

    let mut table = vec![
        "| expected check | mutation | exit | verdict | checks reporting it |".to_string(),
        "|---|---|---|---|---|".to_string(),
    ];
    let mut wrong = Vec::new();
    for mutation in &mutations {
        let mut mutated = example.clone();
        (mutation.apply)(&mut mutated);
        let outcome = evaluate(&mutated);
        let caught = outcome.code == 1 && outcome.checks.contains(mutation.check);
        table.push(format!(
            "| {} | {} | {} | {} | {} |",
            mutation.check,
            mutation.what,
            outcome.code,
            if caught {
                "NOT READY (caught)"
            } else {
                "MISSED"
            },
            outcome
                .checks
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if !caught {
            wrong.push(mutation.check);
        }
    }
    println!("{}", table.join("\n"));
    assert!(
        untested.is_empty(),
        "checks without a mutation: {untested:?}"
    );
    assert!(
        unknown.is_empty(),
        "mutations naming unknown checks: {unknown:?}"
    );
    assert!(
        wrong.is_empty(),
        "mutations not caught by their check: {wrong:?}\n{}",
        table.join("\n")
    );
}

#[test]
fn the_json_pointer_helpers_create_and_remove_fields() {
    let mut value = json!({"a": {"b": [1, {"c": 2}]}});
    set(&mut value, "/a/b/1/d/e", json!(3));
    assert_eq!(value["a"]["b"][1]["d"]["e"], 3);
    unset(&mut value, "/a/b/1/c");
    assert_eq!(value["a"]["b"][1].get("c"), None);
    set(&mut value, "/x~1y", json!(1));
    assert_eq!(value["x/y"], 1);
}
