//! The example pipeline (.gitlab-ci.yml) does the dossier flow the README
//! describes: every golive command in it is one golive accepts, the
//! evidence jobs write the report directories the dossier job combines,
//! the dossier job needs each of them with its artifacts, and production
//! is deployed only after the dossier job.

use std::collections::BTreeMap;

use clap::Parser as _;
use golive::cli::Cli;
use serde_json::Value;

fn pipeline() -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.gitlab-ci.yml"))
        .expect(".gitlab-ci.yml");
    serde_saphyr::from_str(&text).expect(".gitlab-ci.yml is YAML")
}

/// The golive command lines of a job's script, variables given example
/// values, split as the shell would.
fn golive_commands(job: &Value) -> Vec<Vec<String>> {
    job["script"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|line| line.trim_start().starts_with("golive "))
        .map(|line| {
            let line = line.trim_end_matches("|| true").replace('\n', " ");
            let line = [
                "STAGING_CONTEXT",
                "STAGING_NAMESPACE",
                "STAGING_URL",
                "GOLIVE_PROFILE",
            ]
            .iter()
            .fold(line, |line, var| {
                line.replace(
                    &format!("${var}"),
                    &format!("example-{}", var.to_lowercase()),
                )
            });
            shlex::split(&line).expect("a shell command line")
        })
        .collect()
}

fn report_dir(command: &[String]) -> Option<&str> {
    let at = command.iter().position(|a| a == "--report-dir")?;
    command.get(at + 1).map(String::as_str)
}

fn needs(job: &Value) -> Vec<(String, bool)> {
    job["needs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|need| {
            (
                need["job"].as_str().unwrap_or_default().to_string(),
                need["artifacts"].as_bool().unwrap_or(true),
            )
        })
        .collect()
}

#[test]
fn the_pipeline_combines_every_evidence_run_into_the_gating_dossier() {
    let jobs = pipeline();
    let mut written = BTreeMap::new();
    for (name, job) in &jobs {
        for command in golive_commands(job) {
            if let Err(error) = Cli::try_parse_from(&command) {
                panic!("{name}: golive refuses {command:?}: {error}");
            }
            if let Some(dir) = report_dir(&command) {
                written.insert(dir.to_string(), name.clone());
            }
        }
    }
    let dossier = &jobs["go-live-dossier"];
    let combine = golive_commands(dossier)
        .into_iter()
        .find(|c| c.get(1..3) == Some(&["report".into(), "combine".into()]))
        .expect("the dossier job runs golive report combine");
    let combined: Vec<&String> = combine[3..]
        .iter()
        .take_while(|a| !a.starts_with("--"))
        .collect();
    let dossier_needs = needs(dossier);
    assert_eq!(combined.len(), 3, "{combine:?}");
    for dir in combined {
        let job = written
            .get(dir.as_str())
            .unwrap_or_else(|| panic!("no job writes {dir}"));
        assert!(
            dossier_needs.contains(&(job.clone(), true)),
            "the dossier job needs {job} with its artifacts"
        );
        assert!(
            jobs[job.as_str()]["allow_failure"].is_null(),
            "{job} is evidence, not allowed to fail quietly"
        );
    }
    assert!(
        dossier["allow_failure"].is_null(),
        "the gate is never allowed to fail"
    );
    let artifacts = dossier["artifacts"]["paths"].to_string();
    assert!(artifacts.contains("report.html"), "{artifacts}");
    assert_eq!(
        needs(&jobs["deploy"]),
        [("go-live-dossier".to_string(), false)],
        "production waits for the dossier"
    );
}
