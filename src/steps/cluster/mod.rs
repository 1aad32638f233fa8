//! Steps on the running cluster of a `cluster` target, one module per
//! item: the workloads' HTTP probes sent to their pods through
//! port-forwards (`probes`), the TLS of the Ingress hosts at their load
//! balancer (`ingress`), NetworkPolicies proven enforced by probe pods
//! (`network`, `--allow-disruption`), and a pod deleted under a recovery
//! clock, its replacement timed (`failover`, `--allow-disruption`).

mod failover;
mod ingress;
mod network;
mod probes;

pub use failover::{DeletedPod, delete_pod, replacement_ready_within, watch_pods};
pub use ingress::{ingress_certificates, ingress_protocols};
pub use network::policies_enforced;
pub use probes::probes_answer;

use super::failover::could_not;
use super::{GoliveWorld, StepFailure};
use crate::cluster::LiveCluster;
use crate::cluster::connect::Connection;
use crate::cluster::pods::WorkloadPods;

fn cluster_of(world: &GoliveWorld) -> Result<Connection, StepFailure> {
    live_cluster(world).map(|live| live.connection.clone())
}

pub(super) fn live_cluster(world: &GoliveWorld) -> Result<&LiveCluster, StepFailure> {
    world.run.cluster.as_ref().ok_or_else(|| {
        could_not("this step needs a live cluster: run with --target cluster[:CONTEXT]")
    })
}

pub(super) fn workload(world: &GoliveWorld, name: &str) -> Result<WorkloadPods, StepFailure> {
    let connection = cluster_of(world)?;
    WorkloadPods::find(&connection, &world.run.inventory, name).map_err(could_not)
}
