//! The manifest loader's edge cases, through the binary: directories,
//! `kind: List` JSON, helm-style streams on standard input, unknown kinds,
//! and every malformed input of `fixtures/malformed/`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{
    active_findings, check_outcomes, input_errors, location_of, manifest_files, path_str, relative,
    root, run, run_with_stdin, scenarios, temp_tree,
};
use serde_json::Value;

const EXAMPLE_DIR: &str = "fixtures/example";
const WORKLOAD_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
];

/// Kinds of the objects of a YAML text, counted independently of golive:
/// every `kind:` line at column 0 starts one object (the example files are
/// plain block YAML without `kind: List`).
fn kinds_of_yaml(text: &str) -> BTreeMap<String, u64> {
    let mut kinds = BTreeMap::new();
    for line in text.lines() {
        if let Some(kind) = line.strip_prefix("kind:") {
            let kind = kind.trim().trim_matches('"').to_string();
            assert_ne!(
                kind, "List",
                "a List in a YAML fixture: count its items instead"
            );
            *kinds.entry(kind).or_insert(0) += 1;
        }
    }
    kinds
}

/// The kinds of the example application, from its files.
fn example_kinds() -> BTreeMap<String, u64> {
    let mut kinds = BTreeMap::new();
    let files = manifest_files(&root().join(EXAMPLE_DIR));
    assert!(files.len() > 1, "{EXAMPLE_DIR} should hold several files");
    for file in files {
        let text = std::fs::read_to_string(&file).expect("cannot read an example file");
        for (kind, n) in kinds_of_yaml(&text) {
            *kinds.entry(kind).or_insert(0) += n;
        }
    }
    kinds
}

fn by_kind(summary: &Value) -> BTreeMap<String, u64> {
    serde_json::from_value(summary["inventory"]["by_kind"].clone())
        .expect("inventory.by_kind is a map of counts")
}

/// The inventory must be exactly these kinds, with the object and workload
/// totals that follow from them.
fn assert_inventory(summary: &Value, kinds: &BTreeMap<String, u64>, context: &str) {
    assert_eq!(&by_kind(summary), kinds, "inventory.by_kind\n{context}");
    let objects: u64 = kinds.values().sum();
    let workloads: u64 = kinds
        .iter()
        .filter(|(k, _)| WORKLOAD_KINDS.contains(&k.as_str()))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        summary["inventory"]["objects"], objects,
        "inventory.objects\n{context}"
    );
    assert_eq!(
        summary["inventory"]["workloads"], workloads,
        "inventory.workloads\n{context}"
    );
}

/// READY with every scenario passed or not applicable (an item with
/// nothing to judge in these objects) and something evaluated.
fn assert_ready_and_evaluated(summary: &Value, context: &str) {
    assert_eq!(summary["verdict"], "READY", "{context}");
    assert!(
        input_errors(summary).is_empty(),
        "input errors: {:?}\n{context}",
        input_errors(summary)
    );
    let scenarios = scenarios(summary);
    assert!(!scenarios.is_empty(), "no scenario ran\n{context}");
    assert!(
        scenarios
            .iter()
            .all(|(_, s)| s["status"] == "passed" || s["status"] == "not_applicable"),
        "{context}"
    );
    assert!(
        scenarios.iter().any(|(_, s)| s["status"] == "passed"),
        "{context}"
    );
    let evaluated: u64 = check_outcomes(summary)
        .iter()
        .map(|o| o["evaluated"].as_u64().unwrap_or(0))
        .sum();
    assert!(evaluated > 0, "no container was evaluated\n{context}");
}

#[test]
fn the_example_directory_loads_every_document_with_a_kind() {
    let kinds = example_kinds();
    assert_eq!(
        kinds.values().sum::<u64>(),
        38,
        "the example application changed: update this count and the README"
    );
    let run = run(&["--target", &format!("manifests:{EXAMPLE_DIR}")]);
    run.assert_exit(0);
    let summary = run.summary();
    assert_ready_and_evaluated(&summary, &run.context());
    assert_inventory(&summary, &kinds, &run.context());
    assert_eq!(summary["target"], format!("manifests:{EXAMPLE_DIR}"));
    // Kinds golive does not model are kept and counted, not dropped.
    let dynamic: BTreeMap<String, u64> =
        serde_json::from_value(summary["inventory"]["dynamic"].clone()).expect("inventory.dynamic");
    for (api_kind, n) in &dynamic {
        let kind = api_kind.rsplit(' ').next().unwrap_or_default();
        assert_eq!(
            kinds.get(kind),
            Some(n),
            "dynamic {api_kind} ×{n} does not match the files"
        );
    }
    assert!(
        dynamic.contains_key("monitoring.coreos.com/v1 ServiceMonitor"),
        "{dynamic:?}"
    );
}

#[test]
fn directories_are_read_recursively_skipping_hidden_entries_and_other_extensions() {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (index, file) in manifest_files(&root().join(EXAMPLE_DIR)).iter().enumerate() {
        let content = std::fs::read(file).expect("cannot read an example file");
        let name = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("x")
            .to_string();
        // Spread the files over nested directories and both YAML extensions.
        let extension = if index % 2 == 0 { "yaml" } else { "yml" };
        files.push((
            format!("level{}/deeper{}/{name}.{extension}", index % 3, index % 2),
            content,
        ));
    }
    let broken = std::fs::read(root().join("fixtures/malformed/broken-indent.yaml"))
        .expect("broken-indent.yaml");
    files.push((".hidden/broken.yaml".into(), broken.clone()));
    files.push(("level0/.broken.yaml".into(), broken.clone()));
    files.push(("level1/notes.txt".into(), broken.clone()));
    files.push(("level1/values.yaml.orig".into(), broken));
    let borrowed: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_slice()))
        .collect();
    let tree = temp_tree(&borrowed);

    let run = run(&["--target", &format!("manifests:{}", path_str(tree.path()))]);
    run.assert_exit(0);
    let summary = run.summary();
    assert_ready_and_evaluated(&summary, &run.context());
    assert_inventory(&summary, &example_kinds(), &run.context());
}

#[test]
fn a_json_list_is_flattened_into_its_items() {
    let path = "fixtures/example-list.json";
    let list: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join(path)).expect("example-list.json"),
    )
    .expect("valid JSON");
    assert_eq!(list["kind"], "List");
    let mut kinds = BTreeMap::new();
    for item in list["items"].as_array().expect("items") {
        *kinds
            .entry(
                item["kind"]
                    .as_str()
                    .expect("an item without kind")
                    .to_string(),
            )
            .or_insert(0) += 1;
    }
    assert!(kinds.values().sum::<u64>() >= 2, "{kinds:?}");

    let run = run(&["--target", &format!("manifests:{path}")]);
    run.assert_exit(0);
    let summary = run.summary();
    assert_ready_and_evaluated(&summary, &run.context());
    assert_inventory(&summary, &kinds, &run.context());
    assert!(
        !by_kind(&summary).contains_key("List"),
        "the List itself is not an object"
    );
}

/// Findings on a `List` item point into the item, not at the List.
#[test]
fn findings_in_a_list_item_point_into_the_item() {
    let list = r#"{
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {
      "apiVersion": "v1",
      "kind": "ConfigMap",
      "metadata": {"name": "settings", "namespace": "production"}
    },
    {
      "apiVersion": "apps/v1",
      "kind": "Deployment",
      "metadata": {"name": "api", "namespace": "production"},
      "spec": {
        "selector": {"matchLabels": {"app": "api"}},
        "template": {
          "metadata": {"labels": {"app": "api"}},
          "spec": {
            "containers": [
              {"name": "api", "image": "registry.company.com/factory-api:1.4.2"}
            ]
          }
        }
      }
    }
  ]
}
"#;
    let tree = temp_tree(&[("list.json", list.as_bytes())]);
    let file = tree.path().join("list.json");
    let run = run(&[
        "--target",
        &format!("manifests:{}", path_str(&file)),
        "--checks",
        "probe.liveness",
    ]);
    run.assert_exit(1);
    let summary = run.summary();
    let findings = active_findings(&summary);
    assert_eq!(findings.len(), 1, "{}", run.context());
    // Line 20 holds the container, which lacks the livenessProbe.
    assert_eq!(
        location_of(findings[0])
            .rsplit_once(':')
            .map(|(l, _)| l.to_string()),
        Some(format!("{}:20", path_str(&file)))
    );
    assert_eq!(findings[0]["object"]["name"], "api");
}

fn assert_stdin_run_matches_the_directory(target: &str) {
    let stream =
        std::fs::read(root().join("fixtures/example-helm.yaml")).expect("example-helm.yaml");
    let run = run_with_stdin(&["--target", target], Some(&stream));
    run.assert_exit(0);
    let summary = run.summary();
    assert_ready_and_evaluated(&summary, &run.context());
    // The same application as the directory, object for object.
    assert_inventory(&summary, &example_kinds(), &run.context());
    let stream_kinds = kinds_of_yaml(&String::from_utf8_lossy(&stream));
    assert_eq!(
        by_kind(&summary),
        stream_kinds,
        "the stream's own kind: lines\n{}",
        run.context()
    );
    assert_eq!(summary["target"], "manifests:-");
}

#[test]
fn a_helm_stream_on_stdin_with_manifests_dash() {
    assert_stdin_run_matches_the_directory("manifests:-");
}

#[test]
fn a_helm_stream_on_stdin_with_a_bare_dash() {
    assert_stdin_run_matches_the_directory("-");
}

#[test]
fn findings_read_from_stdin_are_located_in_stdin() {
    let fixture = "fixtures/checks/probe.liveness/fail/deployment-no-liveness.yaml";
    let text = std::fs::read(root().join(fixture)).expect("fixture");
    let from_file = run(&[
        "--checks",
        "probe",
        "--target",
        &format!("manifests:{fixture}"),
    ]);
    let from_stdin = run_with_stdin(&["--checks", "probe", "--target", "-"], Some(&text));
    from_file.assert_exit(1);
    from_stdin.assert_exit(1);
    let (file_summary, stdin_summary) = (from_file.summary(), from_stdin.summary());
    let (in_file, in_stdin) = (
        active_findings(&file_summary),
        active_findings(&stdin_summary),
    );
    assert_eq!(in_stdin.len(), 1, "{}", from_stdin.context());
    assert_eq!(in_file.len(), 1, "{}", from_file.context());
    assert_eq!(in_stdin[0]["location"]["file"], "<stdin>");
    assert_eq!(in_file[0]["location"]["file"], fixture);
    assert_eq!(
        in_stdin[0]["location"]["line"],
        in_file[0]["location"]["line"]
    );
    assert_eq!(
        in_stdin[0]["location"]["column"],
        in_file[0]["location"]["column"]
    );
}

#[test]
fn unknown_kinds_are_kept_and_counted_as_dynamic() {
    let path = "fixtures/malformed/unknown-kind.yaml";
    let run = run(&[
        "--checks",
        "probe",
        "--target",
        &format!("manifests:{path}"),
    ]);
    run.assert_exit(0);
    let summary = run.summary();
    assert_ready_and_evaluated(&summary, &run.context());
    assert_eq!(
        summary["inventory"]["dynamic"]["example.com/v1 Widget"],
        1,
        "{}",
        run.context()
    );
    assert_eq!(summary["inventory"]["by_kind"]["Widget"], 1);
    let text = std::fs::read_to_string(root().join(path)).expect("unknown-kind.yaml");
    assert_inventory(&summary, &kinds_of_yaml(&text), &run.context());
    assert!(
        run.stdout.contains("example.com/v1 Widget ×1"),
        "the terminal names the unmodelled kind\n{}",
        run.context()
    );
}

/// A malformed fixture and the line its error must name, if it declares one.
struct Malformed {
    path: String,
    line: Option<u32>,
}

const MALFORMED_DIR: &str = "fixtures/malformed";
/// The malformed inputs golive must reject, as the fixtures README lists them.
const MALFORMED: &[&str] = &[
    "broken-indent.yaml",
    "wrong-types.yaml",
    "wrong-object.json",
    "binary.yaml",
    "wrong-container-type.yaml",
    "duplicate-keys.yaml",
    "no-kind.yaml",
    "not-a-mapping.yaml",
    "empty.yaml",
    "only-comments.yaml",
];
/// Files of fixtures/malformed/ that golive accepts.
const ACCEPTED: &[&str] = &["unknown-kind.yaml"];

fn declared_line(path: &Path) -> Option<u32> {
    let sibling = path.with_file_name(format!("{}.expect", path.file_name()?.to_str()?));
    if let Ok(text) = std::fs::read_to_string(&sibling) {
        return Some(
            text.trim()
                .parse()
                .unwrap_or_else(|e| panic!("{}: not a line number: {e}", sibling.display())),
        );
    }
    let bytes = std::fs::read(path).ok()?;
    let first = bytes.split(|b| *b == b'\n').next()?;
    let first = std::str::from_utf8(first).ok()?;
    let line = first.strip_prefix("# golive-error-at:")?;
    Some(
        line.trim()
            .parse()
            .unwrap_or_else(|e| panic!("{}: bad golive-error-at: {e}", path.display())),
    )
}

fn malformed_fixtures() -> Vec<Malformed> {
    let dir = root().join(MALFORMED_DIR);
    let mut out = Vec::new();
    for name in MALFORMED {
        let path = dir.join(name);
        assert!(path.exists(), "{} is missing", path.display());
        out.push(Malformed {
            path: relative(&path),
            line: declared_line(&path),
        });
    }
    // Every other input of the directory is listed, so none goes untested.
    for file in manifest_files(&dir) {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        assert!(
            MALFORMED.contains(&name) || ACCEPTED.contains(&name),
            "{} is not covered by tests/loader.rs",
            file.display()
        );
    }
    out
}

#[test]
fn malformed_fixtures_declare_where_their_error_is() {
    let declared: Vec<String> = malformed_fixtures()
        .into_iter()
        .filter(|m| m.line.is_some())
        .map(|m| m.path)
        .collect();
    for name in [
        "broken-indent.yaml",
        "wrong-types.yaml",
        "wrong-object.json",
        "wrong-container-type.yaml",
        "duplicate-keys.yaml",
    ] {
        assert!(
            declared.contains(&format!("{MALFORMED_DIR}/{name}")),
            "{name} declares no error line: {declared:?}"
        );
    }
}

#[test]
fn every_malformed_input_could_not_be_evaluated_and_names_its_place() {
    let mut problems = Vec::new();
    for fixture in malformed_fixtures() {
        let run = run(&["--target", &format!("manifests:{}", fixture.path)]);
        if let Some(problem) = run.exit_mismatch(&fixture.path, 2) {
            problems.push(problem);
            continue;
        }
        // Reports are written in every case.
        run.assert_reports();
        let summary = run.summary();
        let errors = input_errors(&summary);
        if scenarios(&summary)
            .iter()
            .any(|(_, s)| s["status"] == "passed")
        {
            problems.push(format!(
                "{}: a scenario passed on a target with no readable object",
                fixture.path
            ));
        }
        match fixture.line {
            Some(line) => {
                let prefix = format!("{}:{line}:", fixture.path);
                let place = errors
                    .iter()
                    .map(|(place, _)| place)
                    .find(|p| p.starts_with(&prefix));
                match place {
                    None => problems.push(format!(
                        "{}: no input error at {prefix}<column>: {errors:?}",
                        fixture.path
                    )),
                    Some(place) => {
                        if place[prefix.len()..].parse::<u32>().is_err() {
                            problems.push(format!(
                                "{}: {place} does not end with a column number",
                                fixture.path
                            ));
                        }
                        if !run.stdout.contains(&format!("error: {place}: ")) {
                            problems.push(format!(
                                "{}: the terminal does not print the error at {place}\n{}",
                                fixture.path, run.stdout
                            ));
                        }
                    }
                }
            }
            None => {
                if !errors
                    .iter()
                    .any(|(place, _)| place.contains(&fixture.path))
                {
                    problems.push(format!(
                        "{}: no input error names the file: {errors:?}",
                        fixture.path
                    ));
                }
                if !run
                    .stdout
                    .lines()
                    .any(|l| l.trim_start().starts_with("error:") && l.contains(&fixture.path))
                {
                    problems.push(format!(
                        "{}: the terminal does not name the file\n{}",
                        fixture.path, run.stdout
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The whole malformed directory: every broken file is reported at the same
/// place as on its own, and the readable files are still evaluated.
#[test]
fn a_directory_of_malformed_files_reports_each_and_evaluates_the_rest() {
    let run = run(&[
        "--checks",
        "probe",
        "--target",
        &format!("manifests:{MALFORMED_DIR}"),
    ]);
    run.assert_exit(2);
    let summary = run.summary();
    let errors = input_errors(&summary);
    for fixture in malformed_fixtures() {
        if let Some(line) = fixture.line {
            let prefix = format!("{}:{line}:", fixture.path);
            assert!(
                errors.iter().any(|(p, _)| p.starts_with(&prefix)),
                "no error at {prefix}: {errors:?}"
            );
        }
    }
    for accepted in ACCEPTED {
        assert!(
            !errors.iter().any(|(p, _)| p.contains(accepted)),
            "{accepted} is accepted on its own: {errors:?}"
        );
    }
    assert_eq!(
        summary["inventory"]["dynamic"]["example.com/v1 Widget"],
        1,
        "{}",
        run.context()
    );
    let statuses: Vec<&Value> = scenarios(&summary)
        .iter()
        .map(|(_, s)| &s["status"])
        .collect();
    assert!(
        !statuses.is_empty() && statuses.iter().all(|s| *s == "passed"),
        "{statuses:?}\n{}",
        run.context()
    );
}

#[test]
fn a_broken_file_next_to_a_valid_one_still_evaluates_the_valid_one() {
    let valid = std::fs::read(
        root().join("fixtures/checks/probe.liveness/pass/deployment-with-probes.yaml"),
    )
    .expect("fixture");
    let broken =
        std::fs::read(root().join("fixtures/malformed/broken-indent.yaml")).expect("fixture");
    let broken_line = declared_line(&root().join("fixtures/malformed/broken-indent.yaml"))
        .expect("broken-indent.yaml declares its line");
    let tree = temp_tree(&[("app/api.yaml", &valid), ("app/zz-broken.yaml", &broken)]);
    let dir = tree.path().join("app");

    let run = run(&[
        "--checks",
        "probe",
        "--target",
        &format!("manifests:{}", path_str(&dir)),
    ]);
    run.assert_exit(2);
    let summary = run.summary();
    let errors = input_errors(&summary);
    let broken_place = format!("{}:{broken_line}:", path_str(&dir.join("zz-broken.yaml")));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].0.starts_with(&broken_place), "{errors:?}");
    assert_eq!(summary["inventory"]["objects"], 1);
    let scenarios = scenarios(&summary);
    assert!(
        !scenarios.is_empty(),
        "the valid file was not evaluated\n{}",
        run.context()
    );
    for (_, scenario) in &scenarios {
        assert_eq!(scenario["status"], "passed", "{}", run.context());
    }
    let evaluated: u64 = check_outcomes(&summary)
        .iter()
        .map(|o| o["evaluated"].as_u64().unwrap_or(0))
        .sum();
    assert!(
        evaluated >= 4,
        "the valid Deployment's container was not evaluated by every check: {evaluated}"
    );
}

/// Could-not-evaluate wins over not-ready, but the findings of the readable
/// files are still reported.
#[test]
fn findings_of_valid_files_are_reported_even_when_another_file_is_broken() {
    let failing = std::fs::read(
        root().join("fixtures/checks/probe.liveness/fail/deployment-no-liveness.yaml"),
    )
    .expect("fixture");
    let broken =
        std::fs::read(root().join("fixtures/malformed/wrong-types.yaml")).expect("fixture");
    let tree = temp_tree(&[("api.yaml", &failing), ("broken.yaml", &broken)]);
    let run = run(&[
        "--checks",
        "probe",
        "--target",
        &format!("manifests:{}", path_str(tree.path())),
    ]);
    run.assert_exit(2);
    let summary = run.summary();
    let findings = active_findings(&summary);
    assert_eq!(findings.len(), 1, "{}", run.context());
    assert_eq!(findings[0]["check"], "probe.liveness");
    assert_eq!(
        findings[0]["location"]["file"],
        path_str(&tree.path().join("api.yaml"))
    );
    assert!(
        scenarios(&summary)
            .iter()
            .any(|(_, s)| s["status"] == "failed")
    );
}

#[test]
fn a_nonexistent_path_could_not_be_evaluated() {
    let tree = temp_tree(&[]);
    let missing = tree.path().join("no-such-dir");
    let run = run(&["--target", &format!("manifests:{}", path_str(&missing))]);
    run.assert_exit(2);
    let summary = run.summary();
    assert_eq!(
        input_errors(&summary),
        vec![(
            path_str(&missing).to_string(),
            "no such file or directory".to_string()
        )]
    );
    assert_eq!(summary["inventory"]["objects"], 0);
    assert!(scenarios(&summary).is_empty(), "{}", run.context());

    // Without the manifests: prefix the target must exist too.
    let bare = common::run(&["--target", path_str(&missing)]);
    bare.assert_exit(2);
    let errors = input_errors(&bare.summary());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "--target");
    assert!(errors[0].1.contains(path_str(&missing)), "{errors:?}");
}

#[test]
fn a_directory_without_manifests_could_not_be_evaluated() {
    let tree = temp_tree(&[
        ("README.md", b"# not a manifest\n"),
        (
            ".hidden/api.yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
        ),
    ]);
    let run = run(&["--target", &format!("manifests:{}", path_str(tree.path()))]);
    run.assert_exit(2);
    let errors = input_errors(&run.summary());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, path_str(tree.path()));
    assert!(
        errors[0].1.contains("no .yaml, .yml or .json"),
        "{errors:?}"
    );
}
