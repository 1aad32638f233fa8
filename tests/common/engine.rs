//! The Docker engine as the stack tests see it: what a run left on it
//! (containers and networks by the run's label, generated files), asserted
//! gone after every run.

use std::process::Command;

use serde_json::Value;

use super::Run;

/// How many containers and networks still carry the run's label.
pub fn leftovers(run_id: &str) -> (usize, usize) {
    let filter = format!("label=dev.golive.run={run_id}");
    let count = |args: &[&str]| {
        let output = Command::new("docker")
            .args(args)
            .args(["--filter", &filter, "-q"])
            .output()
            .expect("cannot run the docker client");
        assert!(
            output.status.success(),
            "docker {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).lines().count()
    };
    (count(&["ps", "-a"]), count(&["network", "ls"]))
}

/// The directories of generated files (certificates, keys, configs) of run
/// `run_id` still in the temporary directory.
pub fn work_dirs_of(run_id: &str) -> Vec<std::path::PathBuf> {
    let prefix = format!("golive-stack-{run_id}-");
    std::fs::read_dir(std::env::temp_dir())
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

/// The run ID the reports give for the stack.
pub fn run_id(summary: &Value) -> String {
    summary["stack"]["run_id"]
        .as_str()
        .unwrap_or_else(|| panic!("summary.json has no stack.run_id:\n{summary:#}"))
        .to_string()
}

/// Asserts the stack of a finished run is gone: reported removed, and no
/// container or network of its run left on the engine.
pub fn assert_removed(run: &Run) {
    let summary = run.summary();
    let id = run_id(&summary);
    assert_eq!(
        leftovers(&id),
        (0, 0),
        "leftovers of run {id}\n{}",
        run.context()
    );
    let work_dirs = work_dirs_of(&id);
    assert!(
        work_dirs.is_empty(),
        "files of run {id} left: {work_dirs:?}"
    );
    assert!(
        summary["stack"]["removed"]["error"].is_null(),
        "{}",
        run.context()
    );
}
