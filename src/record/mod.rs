//! The record of a run: what was evaluated and how each scenario, step and
//! check came out, the load campaigns with their figures, the failover
//! timelines. The runner (or `golive load`) fills it as events arrive, so
//! an interrupted run still has everything that finished; `golive report
//! combine` merges several. The verdict and the reporters only read it.
//! Its JSON form is `summary.json`, documented in the README, and read
//! back by [`RunRecord::read`].

pub mod changes;
pub mod combine;

use serde::{Deserialize, Serialize};

use crate::config::Profile;
use crate::error::InputError;
use crate::evidence::{CheckOutcome, Observation};
use crate::model::InventoryCounts;
use crate::stack::StackRecord;
pub use crate::verdict::Status;
use crate::verdict::Verdict;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    pub keyword: String,
    pub text: String,
    pub line: usize,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioRecord {
    pub name: String,
    pub line: usize,
    pub tags: Vec<String>,
    pub status: Status,
    /// Why a `not_applicable` scenario had nothing to judge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: f64,
    pub steps: Vec<StepRecord>,
    pub checks: Vec<CheckOutcome>,
    /// What runtime steps saw on a live target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observations: Vec<Observation>,
    /// The failover timelines of a disruptive scenario.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failover: Vec<crate::failover::timeline::Timeline>,
    /// In a combined dossier: how the item ended in each run that ran it
    /// (empty for a single run). `status` is the worst of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<RunOutcome>,
}

/// How one run of a combined dossier judged an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// The run, as [`SourceRun::name`] names it.
    pub source: String,
    pub status: Status,
}

impl ScenarioRecord {
    /// Why the scenario is not applicable, as every report says it.
    pub fn why_not_applicable(&self) -> &str {
        self.reason.as_deref().unwrap_or("nothing to judge")
    }

    /// How many things the scenario judged: the subjects its checks
    /// evaluated, what it observed on a live system, its failover clocks.
    pub fn evaluated(&self) -> usize {
        self.checks.iter().map(|c| c.evaluated).sum::<usize>()
            + self.observations.len()
            + self.failover.len()
    }

    /// A scenario that has not run yet: no steps, no evidence.
    pub fn new(name: String, line: usize, tags: Vec<String>) -> ScenarioRecord {
        ScenarioRecord {
            name,
            line,
            tags,
            status: Status::NotEvaluated,
            reason: None,
            duration_ms: 0.0,
            steps: Vec::new(),
            checks: Vec::new(),
            observations: Vec::new(),
            failover: Vec::new(),
            runs: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeatureRecord {
    pub name: String,
    pub file: String,
    pub tags: Vec<String>,
    pub scenarios: Vec<ScenarioRecord>,
}

/// A scenario the run left out, and why (tags, target, `--checks`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SkippedScenario {
    pub feature: String,
    pub file: String,
    pub name: String,
    pub line: usize,
    pub reason: String,
    /// Its tags and its feature's, so the dossier knows which checklist
    /// lines it would have served.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// Everything a run produced.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RunRecord {
    #[serde(deserialize_with = "crate::interned::string")]
    pub golive_version: crate::interned::Text,
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    pub inventory: InventoryCounts,
    pub input_errors: Vec<InputError>,
    pub features: Vec<FeatureRecord>,
    pub skipped: Vec<SkippedScenario>,
    /// The stack a `stack:` target started, and what became of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<StackRecord>,
    /// The load campaigns of the run (`golive load` records one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub campaigns: Vec<crate::load::outcome::Campaign>,
    /// A combined dossier: the runs it was made from (empty for one run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceRun>,
    /// With `--baseline`: what changed since an earlier dossier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
    pub interrupted: bool,
    pub duration_ms: f64,
}

/// Version of the `summary.json` layout; bumped on breaking changes.
pub const SCHEMA_VERSION: u32 = 2;

/// The largest `summary.json` read back (a run of 10,000 objects with
/// findings on each writes about 30 MiB).
const MAX_SUMMARY_BYTES: u64 = 256 * 1024 * 1024;

impl RunRecord {
    /// Reads a `summary.json` back (`--baseline`, `golive report
    /// combine`): a file of this layout's version, of bounded size.
    pub fn read(path: &std::path::Path) -> Result<RunRecord, String> {
        use std::io::Read as _;
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
        let mut text = String::new();
        file.take(MAX_SUMMARY_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read: {e}"))?;
        if text.len() as u64 > MAX_SUMMARY_BYTES {
            return Err(format!(
                "larger than {} MiB: not a summary.json golive wrote",
                MAX_SUMMARY_BYTES / 1024 / 1024
            ));
        }
        let version: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
        match version
            .get("schema_version")
            .and_then(serde_json::Value::as_u64)
        {
            Some(v) if v == u64::from(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "a summary.json of schema version {v}; this golive reads version {SCHEMA_VERSION}"
                ));
            }
            None => return Err("not a summary.json written by golive (no schema_version)".into()),
        }
        // From the parsed value, not through a flattened wrapper: serde's
        // flatten buffers the input and loses numeric map keys
        // (`host_ports: {"5432": 49153}`). The verdict and exit code beside
        // the record are derived, not read.
        serde_json::from_value(version)
            .map_err(|e| format!("not a summary.json golive can read: {e}"))
    }

    /// The run's verdict: [`Verdict::judge`] over its items, the run
    /// trusted only when no input error and no interruption spoiled it.
    pub fn verdict(&self) -> Verdict {
        Verdict::judge(
            &self.statuses(),
            self.input_errors.is_empty() && !self.interrupted,
        )
    }

    /// How every judged item ended, as the verdict and the counts see
    /// them: each scenario, then the items of each load campaign.
    pub fn statuses(&self) -> Vec<Status> {
        self.scenarios()
            .map(|(_, s)| s.status)
            .chain(
                self.campaigns
                    .iter()
                    .flat_map(|c| c.items().into_iter().map(|item| item.status)),
            )
            .collect()
    }

    pub fn scenarios(&self) -> impl Iterator<Item = (&FeatureRecord, &ScenarioRecord)> {
        self.features
            .iter()
            .flat_map(|f| f.scenarios.iter().map(move |s| (f, s)))
    }
}

/// One run a combined dossier was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRun {
    /// How the dossier names the run: its report directory.
    pub name: String,
    pub target: String,
    /// Its own verdict, before combining.
    pub verdict: Verdict,
    pub duration_ms: f64,
}

/// What changed since an earlier dossier (`--baseline summary.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    /// The baseline's file.
    pub baseline: String,
    /// Findings and failed observations the baseline did not have, one
    /// line each (`probe.liveness Deployment/shop/api: ... at api.yaml:12`).
    pub new_findings: Vec<String>,
    /// Findings of the baseline that are gone.
    pub fixed_findings: Vec<String>,
    /// Items the baseline judged (passed or failed) that this dossier did
    /// not: not evaluated, could not evaluate, not run.
    pub newly_not_evaluated: Vec<String>,
    /// Figures of both (load targets, failover clocks) that moved.
    pub figures: Vec<FigureChange>,
}

/// One figure in the baseline and now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureChange {
    /// `p95_ms of overall (load profile smoke)`.
    pub figure: String,
    pub baseline: f64,
    pub now: f64,
    pub unit: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_map_keys_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        let stack = r#"{"file": "s.yaml", "run_id": "r", "kept": false, "endpoints": {},
            "instances": [{"name": "db-1", "service": "db", "container": "c", "image": "i",
            "address": "10.0.0.2", "host_ports": {"5432": 49153}, "healthy_after_s": 1.5}]}"#;
        std::fs::write(
            &path,
            format!(
                r#"{{"schema_version": {SCHEMA_VERSION}, "verdict": "READY", "stack": {stack}}}"#
            ),
        )
        .unwrap();
        let record = RunRecord::read(&path).unwrap();
        let ports = &record.stack.unwrap().instances[0].host_ports;
        assert_eq!(ports.get(&5432), Some(&49153));
    }
}
