//! The World of a scenario: what every step of one scenario shares (the run
//! context, the profile and workload filter chosen by its Given steps, the
//! check outcomes its Then steps produced). Cucumber makes a fresh World per
//! scenario; the run context reaches it through a task-local set by the
//! runner, so no global state outlives a run.

use std::sync::Arc;

use crate::checks::WorkloadFilter;
use crate::config::Profile;
use crate::context::RunContext;
use crate::error::InputError;
use crate::evidence::{CheckOutcome, Observation};

tokio::task_local! {
    /// The run a scenario belongs to; set around the cucumber run.
    pub static RUN_CONTEXT: Arc<RunContext>;
}

/// The state of one scenario.
#[derive(Debug)]
pub struct GoliveWorld {
    pub run: Arc<RunContext>,
    pub profile: Profile,
    pub filter: WorkloadFilter,
    pub outcomes: Vec<CheckOutcome>,
    pub observations: Vec<Observation>,
    /// Containers this scenario disrupted (instance, how) and has not
    /// brought back: healed after the scenario, whatever its outcome.
    pub to_heal: Vec<(String, crate::stack::disrupt::Disruption)>,
    /// Recovery clocks, the disruption and the timelines of a failover.
    pub failover: super::failover::FailoverState,
    /// The rollout of a release drill.
    pub rollout: Option<super::rollout::RolloutRun>,
    /// Services a drill rolled: put back on their first release after the
    /// scenario, whatever its outcome.
    pub to_restore: Vec<String>,
    /// Deployments of the cluster a drill rolled, with the template each
    /// ran before: put back on it after the scenario, whatever happened.
    pub deployments_to_restore: Vec<(
        crate::cluster::rollout::DeploymentRollouts,
        k8s_openapi::api::core::v1::PodTemplateSpec,
    )>,
    /// The restore of a data store from its backup, in this scenario.
    pub restore: Option<super::backup::RestoreRun>,
    /// Data store endpoints whose data was lost and not restored: started
    /// again (empty) after the scenario.
    pub to_recreate: Vec<String>,
    /// The load profile a Given step chose, and what its run measured.
    pub load_profile: Option<crate::load::profile::LoadProfile>,
    pub load_record: Option<crate::load::record::Record>,
}

impl cucumber::World for GoliveWorld {
    type Error = InputError;

    async fn new() -> Result<Self, InputError> {
        let run = RUN_CONTEXT
            .try_with(Arc::clone)
            .map_err(|_| InputError::new("golive", "a scenario ran outside a golive run"))?;
        Ok(GoliveWorld {
            profile: run.profile.clone(),
            run,
            filter: WorkloadFilter::default(),
            outcomes: Vec::new(),
            observations: Vec::new(),
            to_heal: Vec::new(),
            failover: Default::default(),
            rollout: None,
            to_restore: Vec::new(),
            deployments_to_restore: Vec::new(),
            restore: None,
            to_recreate: Vec::new(),
            load_profile: None,
            load_record: None,
        })
    }
}
