//! Data-driven tests over `fixtures/checks/<check-id>/{pass,fail}/*.yaml`:
//! every check ships with fixtures, every pass fixture passes its check, and
//! every fail fixture produces exactly the findings its
//! `# golive-expect: <check> <Kind>/<ns>/<name> container=<c>` lines announce,
//! each pointing at a line of the fixture inside the object and container.
//! Fixtures judged against the time a cluster was read (`# golive-read-at:`,
//! backup.scheduled) need a clock that files do not carry: they are judged
//! by tests/clocked_fixtures.rs instead.

mod common;

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use common::{
    active_findings, array, check_outcomes, findings, golive, is_active, location_of, relative,
    root, run, scenarios,
};
use serde_json::Value;

const CHECKS_DIR: &str = "fixtures/checks";

/// The IDs of the checks over the inventory in `golive checks --json`
/// (live checks have their fixtures in fixtures/live/, tests/live_fixtures.rs).
fn catalogue_ids() -> Vec<String> {
    let printed = golive(&["checks", "--json"]);
    printed.assert_code(0);
    let catalogue: Value = serde_json::from_str(&printed.stdout)
        .unwrap_or_else(|e| panic!("not JSON: {e}\n{}", printed.context()));
    let ids: Vec<String> = array(&catalogue)
        .iter()
        .filter(|c| c["kind"] == "inventory")
        .map(|c| c["id"].as_str().expect("a check without id").to_string())
        .collect();
    assert!(
        !ids.is_empty(),
        "the catalogue is empty\n{}",
        printed.context()
    );
    ids
}

/// One fixture file.
struct Fixture {
    check: String,
    /// Path relative to the crate root, as golive is given it and reports it.
    path: String,
    text: String,
}

impl Fixture {
    fn lines(&self) -> Vec<&str> {
        self.text.lines().collect()
    }

    /// Whether the fixture says its check has nothing to judge in it
    /// (`# golive-not-applicable`): the item is then not applicable, and a
    /// run of that check alone judged nothing (exit 2).
    fn is_not_applicable(&self) -> bool {
        self.text
            .lines()
            .any(|l| l.starts_with("# golive-not-applicable"))
    }
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .map(|e| e.expect("cannot read a directory entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    files
}

/// The checks of the `runtime` family judge the status a cluster reports:
/// their bundled feature runs on cluster targets only, so their fixtures
/// (status snapshots, as `kubectl get -o yaml` prints them) run through
/// this untagged feature instead.
const RUNTIME_SNAPSHOT_FEATURE: &str = "fixtures/features/runtime-snapshot.feature";

/// golive on one fixture, with only `checks` (an ID or a family).
fn run_fixture(fixture: &Fixture, checks: &str) -> common::Run {
    let target = format!("manifests:{}", fixture.path);
    let mut args = vec!["--target", &target, "--checks", checks];
    if fixture.check.starts_with("runtime.") {
        args.extend(["--features", RUNTIME_SNAPSHOT_FEATURE]);
    }
    run(&args)
}

fn check_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join(CHECKS_DIR))
        .expect("cannot list fixtures/checks")
        .map(|e| e.expect("cannot read a directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Every fixture of one outcome (`pass` or `fail`), for every check.
fn fixtures(outcome: &str) -> Vec<Fixture> {
    let mut out = Vec::new();
    for dir in check_dirs() {
        let check = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a check directory name")
            .to_string();
        for file in yaml_files(&dir.join(outcome)) {
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            if text.lines().any(|l| l.starts_with(common::READ_AT_PREFIX)) {
                continue;
            }
            out.push(Fixture {
                check: check.clone(),
                path: relative(&file),
                text,
            });
        }
    }
    assert!(!out.is_empty(), "no {outcome} fixture under {CHECKS_DIR}");
    out
}

/// What identifies a finding: check, object and container.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    check: String,
    kind: String,
    namespace: Option<String>,
    name: String,
    container: Option<String>,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}/", self.check, self.kind)?;
        if let Some(namespace) = &self.namespace {
            write!(f, "{namespace}/")?;
        }
        write!(
            f,
            "{} container={}",
            self.name,
            self.container.as_deref().unwrap_or("-")
        )
    }
}

const EXPECT_PREFIX: &str = "# golive-expect:";

/// The `# golive-expect:` lines of the comment block at the top of a file.
fn expectations(fixture: &Fixture) -> Result<Vec<Key>, String> {
    let mut keys = Vec::new();
    for line in fixture.text.lines().take_while(|l| l.starts_with('#')) {
        let Some(rest) = line.strip_prefix(EXPECT_PREFIX) else {
            continue;
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        let (check, object, container) = match words.as_slice() {
            [check, object] => (*check, *object, None),
            [check, object, container] => {
                let container = container
                    .strip_prefix("container=")
                    .ok_or_else(|| format!("{}: bad expectation {line:?}", fixture.path))?;
                (*check, *object, Some(container.to_string()))
            }
            _ => return Err(format!("{}: bad expectation {line:?}", fixture.path)),
        };
        let parts: Vec<&str> = object.split('/').collect();
        let (kind, namespace, name) = match parts.as_slice() {
            [kind, name] => (*kind, None, *name),
            [kind, namespace, name] => (*kind, Some(namespace.to_string()), *name),
            _ => return Err(format!("{}: bad object in {line:?}", fixture.path)),
        };
        keys.push(Key {
            check: check.into(),
            kind: kind.into(),
            namespace,
            name: name.into(),
            container,
        });
    }
    // An expectation below the top comment block would silently be ignored.
    if fixture
        .text
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .any(|l| l.trim_start().starts_with(EXPECT_PREFIX))
    {
        return Err(format!(
            "{}: a golive-expect line outside the comment block at the top of the file",
            fixture.path
        ));
    }
    Ok(keys)
}

fn key_of(finding: &Value) -> Key {
    let object = &finding["object"];
    Key {
        check: finding["check"].as_str().unwrap_or_default().into(),
        kind: object["kind"].as_str().unwrap_or_default().into(),
        namespace: object["namespace"].as_str().map(str::to_string),
        name: object["name"].as_str().unwrap_or_default().into(),
        container: finding["container"].as_str().map(str::to_string),
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

fn unquote(value: &str) -> &str {
    let value = value.trim();
    value.trim_matches('"').trim_matches('\'')
}

/// Line ranges (0-based, end exclusive) of the YAML documents of a file.
fn documents(lines: &[&str]) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    for (i, line) in lines.iter().enumerate() {
        if *line == "---" || line.starts_with("--- ") {
            ranges.push(start..i);
            start = i + 1;
        }
    }
    ranges.push(start..lines.len());
    ranges
}

/// The `metadata.name` / `metadata.namespace` of a block-style document.
fn metadata_field(lines: &[&str], range: Range<usize>, field: &str) -> Option<String> {
    let mut in_metadata = false;
    for line in &lines[range] {
        if is_blank_or_comment(line) {
            continue;
        }
        if indent(line) == 0 {
            in_metadata = line.trim_end() == "metadata:";
            continue;
        }
        if in_metadata
            && indent(line) == 2
            && let Some(value) = line.trim().strip_prefix(&format!("{field}:"))
        {
            return Some(unquote(value).to_string());
        }
    }
    None
}

/// The line range of the document holding the object of `key`, from its
/// first line that is not blank or a comment.
fn object_range(lines: &[&str], key: &Key) -> Option<Range<usize>> {
    let trimmed = documents(lines).into_iter().map(|range| {
        let start = (range.start..range.end)
            .find(|&i| !is_blank_or_comment(lines[i]))
            .unwrap_or(range.end);
        start..range.end
    });
    trimmed.into_iter().find(|range| {
        let kind_ok = lines[range.clone()]
            .iter()
            .any(|l| l.trim_end() == format!("kind: {}", key.kind));
        let name_ok =
            metadata_field(lines, range.clone(), "name").as_deref() == Some(key.name.as_str());
        let namespace_ok = metadata_field(lines, range.clone(), "namespace") == key.namespace;
        kind_ok && name_ok && namespace_ok
    })
}

/// The line ranges of the items of every `containers:` and
/// `initContainers:` block sequence in `range` (and of their status lists,
/// `containerStatuses:` and `initContainerStatuses:`), with the container
/// names.
fn container_blocks(lines: &[&str], range: Range<usize>) -> Vec<(String, Range<usize>)> {
    let mut blocks = Vec::new();
    for i in range.clone() {
        let trimmed = lines[i].trim();
        if !matches!(
            trimmed,
            "containers:" | "initContainers:" | "containerStatuses:" | "initContainerStatuses:"
        ) {
            continue;
        }
        let key_indent = indent(lines[i]);
        let mut items: Vec<Range<usize>> = Vec::new();
        let mut item_indent = None;
        let mut end = range.end;
        for (j, line) in lines.iter().enumerate().take(range.end).skip(i + 1) {
            if is_blank_or_comment(line) {
                continue;
            }
            let (ind, t) = (indent(line), line.trim());
            if ind < key_indent || (ind == key_indent && !t.starts_with("- ")) {
                end = j;
                break;
            }
            if t.starts_with("- ") && item_indent.is_none_or(|ii| ii == ind) {
                item_indent = Some(ind);
                if let Some(last) = items.last_mut() {
                    last.end = j;
                }
                items.push(j..range.end);
            }
        }
        if let Some(last) = items.last_mut() {
            last.end = end;
        }
        for item in items {
            let item_indent = indent(lines[item.start]);
            let name = lines[item.clone()]
                .iter()
                .enumerate()
                .find_map(|(k, line)| {
                    let t = line.trim();
                    let t = if k == 0 {
                        t.strip_prefix("- ")?.trim_start()
                    } else if indent(line) == item_indent + 2 {
                        t
                    } else {
                        return None;
                    };
                    t.strip_prefix("name:").map(|v| unquote(v).to_string())
                });
            if let Some(name) = name {
                blocks.push((name, item));
            }
        }
    }
    blocks
}

/// What is wrong with where a finding points, if anything.
fn location_problems(fixture: &Fixture, finding: &Value) -> Vec<String> {
    let lines = fixture.lines();
    let key = key_of(finding);
    let location = &finding["location"];
    let mut problems = Vec::new();
    let at = location_of(finding);
    if location["file"] != fixture.path.as_str() {
        problems.push(format!(
            "{key}: location.file is {}, expected {}",
            location["file"], fixture.path
        ));
    }
    if location["column"].as_u64().is_none_or(|c| c == 0) {
        problems.push(format!(
            "{key}: location.column is {} ({at})",
            location["column"]
        ));
    }
    let line = match location["line"].as_u64() {
        Some(line) if line > 0 && line as usize <= lines.len() => line as usize - 1,
        _ => {
            problems.push(format!(
                "{key}: location.line {} is not a line of the file ({} lines)",
                location["line"],
                lines.len()
            ));
            return problems;
        }
    };
    if is_blank_or_comment(lines[line]) {
        problems.push(format!(
            "{key}: {at} points at a blank or comment line: {:?}",
            lines[line]
        ));
    }
    let Some(object) = object_range(&lines, &key) else {
        problems.push(format!("{key}: the object is not in the file"));
        return problems;
    };
    if !object.contains(&line) {
        problems.push(format!(
            "{key}: {at} is outside the object (lines {}..={})",
            object.start + 1,
            object.end
        ));
    }
    if let Some(container) = &key.container {
        let blocks: Vec<Range<usize>> = container_blocks(&lines, object)
            .into_iter()
            .filter(|(name, _)| name == container)
            .map(|(_, block)| block)
            .collect();
        match blocks
            .iter()
            .find(|block| block.contains(&line))
            .or(blocks.first())
        {
            Some(block) if block.contains(&line) => {}
            Some(block) => problems.push(format!(
                "{key}: {at} is outside the container's definition (lines {}..={}): {:?}",
                block.start + 1,
                block.end,
                lines[line]
            )),
            None => problems.push(format!(
                "{key}: no container {container:?} in the object's text"
            )),
        }
    }
    problems
}

/// The value of an annotation written on one line of a fixture.
fn annotation(fixture: &Fixture, key: &str) -> Option<String> {
    fixture.text.lines().find_map(|l| {
        l.trim()
            .strip_prefix(&format!("{key}:"))
            .map(|v| unquote(v).to_string())
    })
}

#[test]
fn every_check_has_pass_and_fail_fixtures_and_every_fixture_directory_is_a_check() {
    let ids = catalogue_ids();
    let mut problems = Vec::new();
    for id in &ids {
        let dir = root().join(CHECKS_DIR).join(id);
        for outcome in ["pass", "fail"] {
            if yaml_files(&dir.join(outcome)).is_empty() {
                problems.push(format!(
                    "check {id} has no {outcome} fixture in {CHECKS_DIR}/{id}/{outcome}/"
                ));
            }
        }
    }
    for dir in check_dirs() {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if !ids.contains(&name) {
            problems.push(format!(
                "{CHECKS_DIR}/{name} names no check of `golive checks` ({ids:?})"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn fail_fixtures_announce_their_findings_and_pass_fixtures_announce_none() {
    let mut problems = Vec::new();
    for fixture in fixtures("fail") {
        match expectations(&fixture) {
            Ok(keys) if keys.is_empty() => {
                problems.push(format!("{}: no `{EXPECT_PREFIX}` line", fixture.path))
            }
            Ok(keys) => {
                problems.extend(keys.iter().filter(|k| k.check != fixture.check).map(|k| {
                    format!(
                        "{}: expects a finding of {} in the fixtures of {}",
                        fixture.path, k.check, fixture.check
                    )
                }))
            }
            Err(e) => problems.push(e),
        }
    }
    for fixture in fixtures("pass") {
        if fixture.text.contains("golive-expect:") {
            problems.push(format!(
                "{}: a pass fixture with a golive-expect line",
                fixture.path
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn pass_fixtures_pass_their_check() {
    let mut problems = Vec::new();
    let mut waived = 0;
    let mut named_suppressed_fixtures = 0;
    let mut not_applicable = 0;
    for fixture in fixtures("pass") {
        let run = run_fixture(&fixture, &fixture.check);
        let (code, status) = if fixture.is_not_applicable() {
            not_applicable += 1;
            (2, "not_applicable")
        } else {
            (0, "passed")
        };
        if let Some(problem) = run.exit_mismatch(&fixture.path, code) {
            problems.push(problem);
            continue;
        }
        run.assert_reports();
        let summary = run.summary();
        let outcomes = check_outcomes(&summary);
        if !outcomes
            .iter()
            .any(|o| o["check"] == fixture.check.as_str())
        {
            problems.push(format!(
                "{}: {} was not evaluated (no check outcome in summary.json)",
                fixture.path, fixture.check
            ));
        }
        if let Some(other) = outcomes
            .iter()
            .find(|o| o["check"] != fixture.check.as_str())
        {
            problems.push(format!(
                "{}: --checks {} also ran {}",
                fixture.path, fixture.check, other["check"]
            ));
        }
        for (_, scenario) in scenarios(&summary) {
            if scenario["status"] != status {
                problems.push(format!(
                    "{}: scenario {} is {}, expected {status}",
                    fixture.path, scenario["name"], scenario["status"]
                ));
            }
            if status == "not_applicable"
                && !scenario["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains(fixture.check.as_str()))
            {
                problems.push(format!(
                    "{}: not applicable without a reason naming {}",
                    fixture.path, fixture.check
                ));
            }
        }
        for finding in active_findings(&summary) {
            problems.push(format!(
                "{}: unexpected active finding {} at {}",
                fixture.path,
                key_of(finding),
                location_of(finding)
            ));
        }
        let suppressed: Vec<&Value> = findings(&summary)
            .into_iter()
            .filter(|f| !is_active(f))
            .collect();
        for finding in &suppressed {
            if finding["suppressed"]
                .as_str()
                .is_none_or(|r| r.trim().is_empty())
            {
                problems.push(format!(
                    "{}: a suppressed finding without its reason: {finding}",
                    fixture.path
                ));
            }
            problems.extend(
                location_problems(&fixture, finding)
                    .into_iter()
                    .map(|p| format!("{}: {p}", fixture.path)),
            );
        }
        // A waiver of the fixture's own check with a reason: the finding is
        // reported as suppressed, never hidden (waivers cannot waive
        // suppression.valid, which judges them). Waivers of another check
        // (a premise of the case that another check would report) are
        // judged by that check's fixtures.
        let family = fixture.check.split('.').next().unwrap_or_default();
        let waives_own_check = annotation(&fixture, "golive.dev/skip").is_some_and(|skip| {
            skip.split(',')
                .map(|id| id.trim().split(':').next().unwrap_or_default())
                .any(|id| id == fixture.check || id == family)
        });
        if let Some(reason) = annotation(&fixture, "golive.dev/skip-reason").filter(|r| {
            waives_own_check && !r.is_empty() && !fixture.check.starts_with("suppression.")
        }) {
            waived += 1;
            if !suppressed
                .iter()
                .any(|f| f["suppressed"] == reason.as_str() && f["check"] == fixture.check.as_str())
            {
                problems.push(format!(
                    "{}: waived with reason {reason:?}, but summary.json holds no suppressed {} finding with that reason",
                    fixture.path, fixture.check
                ));
            }
        }
        if fixture.path.ends_with("/suppressed-with-reason.yaml") {
            named_suppressed_fixtures += 1;
            if suppressed.is_empty() {
                problems.push(format!(
                    "{}: the suppressed finding is missing from summary.json",
                    fixture.path
                ));
            }
        }
    }
    assert!(
        waived > 0,
        "no pass fixture waives a check with golive.dev/skip-reason: suppressions are untested"
    );
    assert!(
        not_applicable > 0,
        "no golive-not-applicable pass fixture: items with nothing to judge are untested"
    );
    assert!(
        named_suppressed_fixtures > 0,
        "no suppressed-with-reason.yaml pass fixture"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn fail_fixtures_report_exactly_the_expected_findings_with_their_location() {
    let mut problems = Vec::new();
    for fixture in fixtures("fail") {
        let expected = match expectations(&fixture) {
            Ok(keys) => keys,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let run = run_fixture(&fixture, &fixture.check);
        if let Some(problem) = run.exit_mismatch(&fixture.path, 1) {
            problems.push(problem);
            continue;
        }
        run.assert_reports();
        let summary = run.summary();
        if !scenarios(&summary)
            .iter()
            .any(|(_, s)| s["status"] == "failed")
        {
            problems.push(format!(
                "{}: no failed scenario in summary.json",
                fixture.path
            ));
        }
        let active = active_findings(&summary);
        let mut found: Vec<Key> = active.iter().map(|f| key_of(f)).collect();
        found.sort();
        let mut wanted = expected.clone();
        wanted.sort();
        for missing in wanted.iter().filter(|k| !found.contains(k)) {
            problems.push(format!(
                "{}: expected finding {missing} is not reported",
                fixture.path
            ));
        }
        for extra in found.iter().filter(|k| !wanted.contains(k)) {
            problems.push(format!(
                "{}: unexpected active finding {extra}",
                fixture.path
            ));
        }
        if found.len() != wanted.len() && problems.is_empty() {
            problems.push(format!(
                "{}: {} active findings for {} expectations: {found:?}",
                fixture.path,
                found.len(),
                wanted.len()
            ));
        }
        for finding in &active {
            problems.extend(
                location_problems(&fixture, finding)
                    .into_iter()
                    .map(|p| format!("{}: {p}", fixture.path)),
            );
        }
        // A waiver without a reason is ignored, and the finding says so
        // (suppression.valid reports the waiver itself).
        if annotation(&fixture, "golive.dev/skip").is_some()
            && annotation(&fixture, "golive.dev/skip-reason").is_none_or(|r| r.is_empty())
        {
            for finding in active.iter().filter(|f| f["check"] != "suppression.valid") {
                if !finding["note"]
                    .as_str()
                    .is_some_and(|n| n.contains("golive.dev/skip-reason"))
                {
                    problems.push(format!(
                        "{}: {} ignores a waiver without reason but has no note saying so",
                        fixture.path,
                        key_of(finding)
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// fixtures/README.md: a fail fixture holds exactly one kind of violation,
/// so on its whole family (e.g. every `network.*` check for a
/// `network.policy` fixture) it reports its expectations and nothing else,
/// and a pass fixture passes its whole family. (The whole catalogue is
/// exercised on the READY example and by the mutation test.)
#[test]
fn fixtures_hold_one_kind_of_violation_within_their_family() {
    let mut problems = Vec::new();
    for (outcome, code) in [("pass", 0), ("fail", 1)] {
        for fixture in fixtures(outcome) {
            let family = fixture.check.split('.').next().unwrap_or_default();
            let run = run_fixture(&fixture, family);
            // A family with nothing to judge in the fixture judged nothing.
            let nothing_judged = run.code == 2
                && fixture.is_not_applicable()
                && scenarios(&run.summary())
                    .iter()
                    .all(|(_, s)| s["status"] == "not_applicable");
            if run.code != code && !nothing_judged {
                problems.push(format!(
                    "{}: exit code {} on the {family} family, expected {code}\n{}",
                    fixture.path, run.code, run.stdout
                ));
                continue;
            }
            let summary = run.summary();
            let found: BTreeSet<Key> = active_findings(&summary)
                .iter()
                .map(|f| key_of(f))
                .collect();
            let wanted: BTreeSet<Key> = expectations(&fixture)
                .unwrap_or_default()
                .into_iter()
                .collect();
            if found != wanted {
                problems.push(format!(
                    "{}: active findings {found:?}, expected {wanted:?}",
                    fixture.path
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The location checker itself: it must reject a line outside the container.
#[test]
fn the_location_checker_rejects_wrong_lines() {
    let fixture = Fixture {
        check: "probe.liveness".into(),
        path: "x.yaml".into(),
        text: "# c\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n  namespace: n\nspec:\n  template:\n    spec:\n      containers:\n        - name: one\n          image: i\n        - name: two\n          image: i\n".into(),
    };
    let finding = |line: u64, container: &str| {
        serde_json::json!({
            "check": "probe.liveness",
            "object": {"kind": "Deployment", "namespace": "n", "name": "a"},
            "container": container,
            "location": {"file": "x.yaml", "line": line, "column": 3},
        })
    };
    assert_eq!(
        location_problems(&fixture, &finding(12, "one")),
        Vec::<String>::new()
    );
    assert_eq!(
        location_problems(&fixture, &finding(13, "two")),
        Vec::<String>::new()
    );
    assert_eq!(
        location_problems(&fixture, &finding(13, "one")).len(),
        1,
        "line 13 is container two"
    );
    assert_eq!(
        location_problems(&fixture, &finding(1, "one")).len(),
        3,
        "a comment, outside the object and the container"
    );
    assert!(!location_problems(&fixture, &finding(99, "one")).is_empty());
    assert!(!location_problems(&fixture, &finding(12, "three")).is_empty());
}

/// `max_restarts` of golive.yaml decides runtime.restarts: the snapshot of
/// a container restarted 3 times passes at the production default (at
/// most 3) and fails once `--config` allows 2, saying so.
#[test]
fn max_restarts_from_golive_yaml_flips_the_restarts_verdict() {
    let fixture = "fixtures/checks/runtime.restarts/pass/few-restarts.yaml";
    let target = format!("manifests:{fixture}");
    let args = [
        "--target",
        target.as_str(),
        "--features",
        RUNTIME_SNAPSHOT_FEATURE,
        "--checks",
        "runtime.restarts",
    ];
    run(&args).assert_exit(0);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("golive.yaml");
    std::fs::write(&config, "profiles:\n  production:\n    max_restarts: 2\n").unwrap();
    let config = config.display().to_string();
    let strict = run(&[&args[..], &["--config", &config]].concat());
    strict.assert_exit(1);
    let summary = strict.summary();
    let found: Vec<(String, String)> = active_findings(&summary)
        .iter()
        .map(|f| {
            (
                f["expected"].as_str().unwrap_or_default().to_string(),
                f["found"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(
        found.len() == 1
            && found[0].0 == "at most 2 restarts (profile max_restarts)"
            && found[0].1.starts_with("restarted 3 times"),
        "{}",
        strict.context()
    );
}
