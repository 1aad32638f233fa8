//! Shared helpers of the integration tests: run the real `golive` binary from
//! the crate root (so the bundled `features/`, `fixtures/` and `golive.yaml`
//! are found as in a checkout), always with `--report-dir` in a fresh
//! temporary directory so tests can run in parallel, and read its reports.
//!
//! Every integration test file compiles this module on its own and uses only
//! part of it, hence the `dead_code` allowance.
#![allow(dead_code)]

pub mod chromium;
pub mod engine;
pub mod example;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// The header line of a fixture judged against the time a cluster was read
/// (`# golive-read-at: 2026-12-08T02:47:00Z`): tests/clocked_fixtures.rs.
pub const READ_AT_PREFIX: &str = "# golive-read-at:";

/// The crate root: the working directory of every golive the tests start.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A `golive` command with the crate root as working directory.
pub fn golive_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_golive"));
    command.current_dir(root());
    command
}

/// What a golive command that writes no reports (`checks`, `steps`,
/// `validate`) printed, and its exit code.
#[derive(Debug)]
pub struct Printed {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Printed {
    fn from_output(args: Vec<String>, output: Output) -> Printed {
        let code = output.status.code().unwrap_or_else(|| {
            panic!(
                "golive {args:?} was killed by a signal: {:?}",
                output.status
            )
        });
        Printed {
            args,
            code,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Everything needed to understand a failed assertion.
    pub fn context(&self) -> String {
        format!(
            "golive {}\nexit code: {}\n--- stdout\n{}\n--- stderr\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }

    pub fn assert_code(&self, expected: i32) {
        assert_eq!(
            self.code,
            expected,
            "unexpected exit code\n{}",
            self.context()
        );
    }
}

/// Runs `golive ARGS` (any subcommand) and returns what it printed.
pub fn golive(args: &[&str]) -> Printed {
    let output = golive_command()
        .args(args)
        .output()
        .expect("cannot start golive");
    Printed::from_output(args.iter().map(|a| a.to_string()).collect(), output)
}

/// A finished `golive run` and the reports it wrote.
#[derive(Debug)]
pub struct Run {
    pub printed: Printed,
    pub code: i32,
    pub stdout: String,
    /// The temporary directory the reports were written to (kept alive as
    /// long as the run).
    _dir: TempDir,
    pub report_dir: PathBuf,
}

/// The verdict golive must report for an exit code, as in summary.json.
pub fn verdict_for(code: i32) -> &'static str {
    match code {
        0 => "READY",
        1 => "NOT_READY",
        2 => "COULD_NOT_EVALUATE",
        other => panic!("exit code {other} is outside golive's contract (0, 1, 2)"),
    }
}

/// The heading summary.md must start with for an exit code.
pub fn markdown_heading_for(code: i32) -> &'static str {
    match code {
        0 => "## golive: ✅ READY",
        1 => "## golive: ❌ NOT READY",
        2 => "## golive: ⚠️ COULD NOT EVALUATE",
        other => panic!("exit code {other} is outside golive's contract (0, 1, 2)"),
    }
}

/// The last line before "Reports:" of the terminal output for an exit code.
pub fn human_label_for(code: i32) -> &'static str {
    match code {
        0 => "READY: ",
        1 => "NOT READY: ",
        2 => "COULD NOT EVALUATE: ",
        other => panic!("exit code {other} is outside golive's contract (0, 1, 2)"),
    }
}

/// Runs `golive run ARGS --report-dir <fresh temp dir>`.
pub fn run(args: &[&str]) -> Run {
    run_with_stdin(args, None)
}

/// Runs `golive run ARGS --report-dir <fresh temp dir>` with `input` on
/// standard input (or no standard input at all when `None`).
pub fn run_with_stdin(args: &[&str], input: Option<&[u8]>) -> Run {
    run_with(args, input, &[])
}

/// Runs `golive run ARGS --report-dir <fresh temp dir>` with these
/// environment variables (e.g. `KUBECONFIG`).
pub fn run_with_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    run_with(args, None, env)
}

fn run_with(args: &[&str], input: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().expect("cannot create a temporary directory");
    // A directory that does not exist yet: golive must create it.
    let report_dir = dir.path().join("reports");
    let mut all_args: Vec<String> = vec!["run".into()];
    all_args.extend(args.iter().map(|a| a.to_string()));
    all_args.push("--report-dir".into());
    all_args.push(report_dir.display().to_string());
    let mut command = golive_command();
    command
        .args(&all_args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = command.spawn().expect("cannot start golive");
    if let Some(input) = input {
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let input = input.to_vec();
        // A thread, so a child that prints before reading cannot deadlock us.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let output = child.wait_with_output().expect("cannot wait for golive");
        writer.join().expect("the stdin writer panicked");
        return Run::new(all_args, output, dir, report_dir);
    }
    let output = child.wait_with_output().expect("cannot wait for golive");
    Run::new(all_args, output, dir, report_dir)
}

impl Run {
    pub fn new(args: Vec<String>, output: Output, dir: TempDir, report_dir: PathBuf) -> Run {
        let printed = Printed::from_output(args, output);
        Run {
            code: printed.code,
            stdout: printed.stdout.clone(),
            printed,
            _dir: dir,
            report_dir,
        }
    }

    pub fn context(&self) -> String {
        self.printed.context()
    }

    /// Asserts the exit code, then that the three reports were written and
    /// agree with it.
    pub fn assert_exit(&self, code: i32) -> &Run {
        self.printed.assert_code(code);
        self.assert_reports();
        self
    }

    /// For loops over fixtures that collect every problem before failing:
    /// the mismatch, naming `what`, when the exit code is not `expected`.
    pub fn exit_mismatch(&self, what: &str, expected: i32) -> Option<String> {
        (self.code != expected).then(|| {
            format!(
                "{what}: exit code {}, expected {expected}\n{}",
                self.code, self.stdout
            )
        })
    }

    pub fn report_path(&self, name: &str) -> PathBuf {
        self.report_dir.join(name)
    }

    pub fn report(&self, name: &str) -> String {
        let path = self.report_path(name);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}\n{}", path.display(), self.context()))
    }

    pub fn summary(&self) -> Value {
        let text = self.report("summary.json");
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("summary.json is not JSON: {e}\n{text}"))
    }

    pub fn junit(&self) -> String {
        self.report("junit.xml")
    }

    pub fn markdown(&self) -> String {
        self.report("summary.md")
    }

    /// junit.xml, summary.json and summary.md exist, are well-formed and
    /// carry the verdict of the exit code; the terminal says the same.
    pub fn assert_reports(&self) {
        let summary = self.summary();
        assert_eq!(
            summary["schema_version"],
            2,
            "summary.json schema_version\n{}",
            self.context()
        );
        assert_eq!(
            summary["exit_code"],
            self.code,
            "summary.json exit_code\n{}",
            self.context()
        );
        assert_eq!(
            summary["verdict"],
            verdict_for(self.code),
            "summary.json verdict\n{}",
            self.context()
        );
        // What `golive report combine` and `--baseline` read back is the
        // record that was written, field for field, with the same verdict.
        let record = golive::record::RunRecord::read(&self.report_path("summary.json"))
            .unwrap_or_else(|e| panic!("summary.json does not read back: {e}\n{}", self.context()));
        let again: Value =
            serde_json::from_str(&golive::report::json::render(&record, record.verdict())).unwrap();
        assert_eq!(again, summary, "summary.json read back\n{}", self.context());
        let junit = self.junit();
        let document = roxmltree::Document::parse(&junit)
            .unwrap_or_else(|e| panic!("junit.xml is not XML: {e}\n{junit}"));
        assert_eq!(
            document.root_element().tag_name().name(),
            "testsuites",
            "junit.xml root\n{junit}"
        );
        let markdown = self.markdown();
        assert_eq!(
            markdown.lines().next(),
            Some(markdown_heading_for(self.code)),
            "summary.md heading\n{markdown}\n{}",
            self.context()
        );
        if !self.printed.args.iter().any(|a| a == "json") {
            assert!(
                self.stdout
                    .lines()
                    .any(|l| l.starts_with(human_label_for(self.code))),
                "the terminal summary does not end with the verdict\n{}",
                self.context()
            );
        }
    }
}

/// Every scenario of a summary.json, with the feature it belongs to.
pub fn scenarios(summary: &Value) -> Vec<(&Value, &Value)> {
    array(&summary["features"])
        .iter()
        .flat_map(|feature| {
            array(&feature["scenarios"])
                .iter()
                .map(move |scenario| (feature, scenario))
        })
        .collect()
}

/// Every observation of every scenario (what runtime steps saw).
pub fn observations(summary: &Value) -> Vec<Value> {
    scenarios(summary)
        .into_iter()
        .flat_map(|(_, s)| s["observations"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// Every check outcome of every scenario.
pub fn check_outcomes(summary: &Value) -> Vec<&Value> {
    scenarios(summary)
        .into_iter()
        .flat_map(|(_, scenario)| array(&scenario["checks"]).iter())
        .collect()
}

/// Every finding, suppressed or not.
pub fn findings(summary: &Value) -> Vec<&Value> {
    check_outcomes(summary)
        .into_iter()
        .flat_map(|outcome| array(&outcome["findings"]).iter())
        .collect()
}

/// Whether a finding is active (not waived by a golive.dev/skip annotation).
pub fn is_active(finding: &Value) -> bool {
    finding.get("suppressed").is_none_or(Value::is_null)
}

pub fn active_findings(summary: &Value) -> Vec<&Value> {
    findings(summary)
        .into_iter()
        .filter(|f| is_active(f))
        .collect()
}

/// A JSON array, or an empty slice when the value is not one.
pub fn array(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// `file:line:column` of a finding's location.
pub fn location_of(finding: &Value) -> String {
    let location = &finding["location"];
    format!(
        "{}:{}:{}",
        location["file"].as_str().unwrap_or("?"),
        location["line"].as_u64().unwrap_or(0),
        location["column"].as_u64().unwrap_or(0)
    )
}

/// The input errors of a summary as (place, message).
pub fn input_errors(summary: &Value) -> Vec<(String, String)> {
    array(&summary["input_errors"])
        .iter()
        .map(|e| {
            (
                e["place"].as_str().unwrap_or_default().to_string(),
                e["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A temporary directory holding the given files (relative path, content);
/// parent directories are created.
pub fn temp_tree(files: &[(&str, &[u8])]) -> TempDir {
    let dir = tempfile::tempdir().expect("cannot create a temporary directory");
    for (relative, content) in files {
        let path = dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("cannot create a directory");
        }
        std::fs::write(&path, content)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
    dir
}

/// A temporary features directory holding `name -> content` feature files.
pub fn features_dir(files: &[(&str, &str)]) -> TempDir {
    let files: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(name, text)| (*name, text.as_bytes()))
        .collect();
    temp_tree(&files)
}

/// A path as a `&str` (temporary paths are UTF-8 on the machines we run on).
pub fn path_str(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("{} is not UTF-8", path.display()))
}

/// The manifest files (`.yaml`, `.yml`, `.json`) under `dir`, recursively,
/// skipping hidden entries, sorted.
pub fn manifest_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("cannot read a directory entry").path();
            if path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
            {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The fixtures path of a file, relative to the crate root, with `/`.
pub fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The rows of a Markdown text's tables whose cell count differs from their
/// header's, split as GitHub (cmark-gfm) and GitLab (comrak) split them: on
/// every `|` that does not follow a backslash.
pub fn broken_table_rows(markdown: &str) -> Vec<String> {
    let cells = |line: &str| {
        line.char_indices()
            .filter(|&(i, c)| c == '|' && !line[..i].ends_with('\\'))
            .count()
    };
    let mut broken = Vec::new();
    let mut header = None;
    for line in markdown.lines() {
        if !line.starts_with('|') {
            header = None;
        } else if let Some(expected) = header {
            if cells(line) != expected {
                broken.push(line.to_string());
            }
        } else {
            header = Some(cells(line));
        }
    }
    broken
}
