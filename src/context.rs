//! What every scenario of a run shares: the target's inventory, the
//! configuration and profile, the checks selected, the started stack or
//! the cluster connection, and where each scenario's evidence waits for the
//! runner's collector. The runner builds it; steps read it through their
//! World. Neither imports the other for it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::cluster::LiveCluster;
use crate::config::{Config, Profile};
use crate::error::InputError;
use crate::evidence::{CheckOutcome, Observation};
use crate::model::Inventory;
use crate::stack::RunningStack;

/// What every scenario of a run shares.
#[derive(Debug)]
pub struct RunContext {
    pub target: String,
    pub inventory: Inventory,
    pub config: Config,
    pub profile: Profile,
    /// `None`: every check; otherwise only these IDs.
    pub selected_checks: Option<HashSet<&'static str>>,
    /// The started stack of a `stack:` target.
    pub stack: Option<Arc<RunningStack>>,
    /// The API server of a `cluster` target.
    pub cluster: Option<LiveCluster>,
    /// `--allow-disruption` was given.
    pub allow_disruption: bool,
    /// Check outcomes and observations per scenario (feature file, line),
    /// filled after each scenario from its World.
    pub outcomes: Mutex<HashMap<(String, usize), ScenarioEvidence>>,
    /// Problems met between scenarios (a stopped service that would not
    /// start again): the later scenarios ran on a damaged stack.
    pub between_scenarios: Mutex<Vec<InputError>>,
}

impl RunContext {
    pub fn is_selected(&self, check_id: &str) -> bool {
        self.selected_checks
            .as_ref()
            .is_none_or(|s| s.contains(check_id))
    }

    /// The check outcomes and observations a finished scenario left (its
    /// `after` hook moves them here from the World before cucumber reports
    /// it finished).
    pub fn take_outcomes(&self, scenario: &(String, usize)) -> ScenarioEvidence {
        self.outcomes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(scenario)
            .unwrap_or_default()
    }
}

/// What the Then steps of a scenario produced.
#[derive(Debug, Default)]
pub struct ScenarioEvidence {
    pub checks: Vec<CheckOutcome>,
    pub observations: Vec<Observation>,
    pub failover: Vec<crate::failover::timeline::Timeline>,
}
