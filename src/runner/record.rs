//! The record of a run: what was evaluated and how each scenario, step and
//! check came out. The runner fills it as events arrive (so an interrupted
//! run still has everything that finished); reporters only read it. Its JSON
//! form is `summary.json`, documented in the README.

use serde::Serialize;

use crate::config::Profile;
use crate::error::InputError;
use crate::evidence::{CheckOutcome, Observation};
use crate::model::InventoryCounts;
use crate::stack::StackRecord;

/// How a scenario or step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    /// The target does not meet the item.
    Failed,
    /// The item could not be evaluated: undefined or ambiguous step, bad
    /// argument, nothing in scope, internal error.
    CouldNotEvaluate,
    /// Never ran: after a failed step, or the run was interrupted.
    NotEvaluated,
    /// Ran, but its checks had nothing to judge in the target (no Ingress
    /// for the TLS item, no HPA for the autoscaler items): neither passed
    /// nor failed. [`ScenarioRecord::reason`] says what was missing.
    NotApplicable,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    pub keyword: String,
    pub text: String,
    pub line: usize,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioRecord {
    pub name: String,
    pub line: usize,
    pub tags: Vec<String>,
    pub status: Status,
    /// Why a `not_applicable` scenario had nothing to judge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: f64,
    pub steps: Vec<StepRecord>,
    pub checks: Vec<CheckOutcome>,
    /// What runtime steps saw on a live target.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub observations: Vec<Observation>,
    /// The failover timelines of a disruptive scenario.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failover: Vec<crate::failover::timeline::Timeline>,
    /// In a combined dossier: how the item ended in each run that ran it
    /// (empty for a single run). `status` is the worst of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<RunOutcome>,
}

/// How one run of a combined dossier judged an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
pub struct FeatureRecord {
    pub name: String,
    pub file: String,
    pub tags: Vec<String>,
    pub scenarios: Vec<ScenarioRecord>,
}

/// A scenario the run left out, and why (tags, target, `--checks`).
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunRecord {
    pub golive_version: &'static str,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    pub inventory: InventoryCounts,
    pub input_errors: Vec<InputError>,
    pub features: Vec<FeatureRecord>,
    pub skipped: Vec<SkippedScenario>,
    /// The stack a `stack:` target started, and what became of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack: Option<StackRecord>,
    /// The load campaigns of the run (`golive load` records one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub campaigns: Vec<crate::load::report::Campaign>,
    /// A combined dossier: the runs it was made from (empty for one run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceRun>,
    /// With `--baseline`: what changed since an earlier dossier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
    pub interrupted: bool,
    pub duration_ms: f64,
}

impl RunRecord {
    pub fn scenarios(&self) -> impl Iterator<Item = (&FeatureRecord, &ScenarioRecord)> {
        self.features
            .iter()
            .flat_map(|f| f.scenarios.iter().map(move |s| (f, s)))
    }
}

/// One run a combined dossier was made from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceRun {
    /// How the dossier names the run: its report directory.
    pub name: String,
    pub target: String,
    /// Its own verdict, before combining.
    pub verdict: crate::verdict::Verdict,
    pub duration_ms: f64,
}

/// What changed since an earlier dossier (`--baseline summary.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureChange {
    /// `p95_ms of overall (load profile smoke)`.
    pub figure: String,
    pub baseline: f64,
    pub now: f64,
    pub unit: String,
}
