//! NetworkPolicies proven enforced, as netassert does: probe pods with the
//! labels of each workload's pods try the ports of the others, and each
//! result must be what the policies allow (`checks::network::path_allowed`).

use std::collections::BTreeMap;

use super::super::failover::{could_not, require_permission};
use super::super::runtime::{conclude, observation};
use super::super::{GoliveWorld, StepFailure};
use super::cluster_of;
use crate::checks::Scope;
use crate::checks::network::{Endpoint, PathPort, path_allowed};
use crate::cluster::netprobe;
use crate::cluster::pods::{WorkloadPods, is_ready};
use crate::model::{Resource, Workload};

/// `the NetworkPolicies are enforced: allowed paths connect and denied
/// paths do not`: in every namespace in scope that has NetworkPolicies, a
/// probe pod with the labels of each workload's pods (and one with no
/// workload's labels) tries every TCP port of a Ready pod of every other
/// workload; each result must be what the policies say.
pub async fn policies_enforced(world: &mut GoliveWorld, _: &[String]) -> Result<(), StepFailure> {
    let connection = cluster_of(world)?;
    require_permission(world)?;
    let run = world.run.clone();
    let inventory = &run.inventory;
    let scope = Scope::new(inventory, &world.profile, &world.filter);
    let image = world.profile.network_probe_image.clone();
    let mut namespaces: Vec<&str> = scope
        .workloads()
        .filter_map(|w| w.object.namespace())
        .filter(|ns| {
            inventory
                .of_kind_in("NetworkPolicy", Some(ns))
                .next()
                .is_some()
        })
        .collect();
    namespaces.dedup();
    if namespaces.is_empty() {
        return Err(could_not(
            "no namespace in scope has a NetworkPolicy: nothing to verify",
        ));
    }
    let mut observations = Vec::new();
    for namespace in namespaces {
        // Destinations: a Ready pod of each workload, each TCP port.
        let mut destinations = Vec::new();
        for workload in inventory.workloads_in(Some(namespace)) {
            let pods = WorkloadPods::of(&connection, &workload);
            let live = pods.live().await.map_err(could_not)?;
            let Some(ip) = live
                .iter()
                .filter(|p| is_ready(p))
                .find_map(|p| p.status.as_ref()?.pod_ip.clone())
            else {
                continue;
            };
            for container in &workload.pod_spec.containers {
                for port in container.ports.iter().flatten() {
                    let protocol = port.protocol.clone().unwrap_or_else(|| "TCP".into());
                    if protocol == "TCP" {
                        destinations.push((
                            workload,
                            ip.clone(),
                            port.container_port,
                            port.name.clone().unwrap_or_default(),
                        ));
                    }
                }
            }
        }
        // Sources: every workload's pod labels, and a pod of no workload.
        // A DaemonSet or a bare ReplicaSet would adopt a pod carrying its
        // labels (and scale a real pod away): those are not sources.
        let no_labels = BTreeMap::new();
        let (adopting, others): (Vec<Workload>, Vec<Workload>) = inventory
            .workloads_in(Some(namespace))
            .filter(|w| w.is_long_running())
            .partition(|w| {
                matches!(
                    w.object.resource,
                    Resource::DaemonSet(_) | Resource::ReplicaSet(_)
                )
            });
        let mut sources: Vec<(String, &BTreeMap<String, String>)> = others
            .iter()
            .map(|w| {
                (
                    w.object.metadata.name.clone().unwrap_or_default(),
                    w.pod_labels(),
                )
            })
            .collect();
        for workload in adopting {
            observations.push(observation(
                "network.enforced",
                format!(
                    "from {} {} in {namespace}",
                    workload.object.kind,
                    workload.object.metadata.name.as_deref().unwrap_or_default()
                ),
                true,
                vec![format!(
                    "not probed from: its {} would adopt a probe pod carrying its labels; its pods are still probed as destinations",
                    workload.object.kind
                )],
            ));
        }
        sources.push(("a pod of no workload".into(), &no_labels));
        for (source, labels) in sources {
            let targets: Vec<&(Workload, String, i32, String)> = destinations
                .iter()
                .filter(|(to, ..)| to.pod_labels() != labels)
                .collect();
            if targets.is_empty() {
                continue;
            }
            let addresses: Vec<String> = targets
                .iter()
                .map(|(_, ip, port, _)| format!("{ip}:{port}"))
                .collect();
            let probe_labels = netprobe::probe_labels(labels);
            let subject = format!("from {source} in {namespace}");
            let seen =
                match netprobe::probe(&connection, namespace, &probe_labels, &addresses, &image)
                    .await
                {
                    Ok(seen) => seen,
                    Err(e) => {
                        observations.push(observation("network.enforced", subject, false, vec![e]));
                        continue;
                    }
                };
            let mut passed = true;
            let mut facts = Vec::new();
            for ((to, ip, port, name), address) in targets.iter().zip(&addresses) {
                let expected = path_allowed(
                    inventory,
                    Endpoint {
                        namespace,
                        labels: &probe_labels,
                    },
                    Endpoint {
                        namespace,
                        labels: to.pod_labels(),
                    },
                    PathPort {
                        protocol: "TCP",
                        number: *port,
                        name,
                    },
                );
                let open = seen.get(address).copied().unwrap_or(false);
                let destination = format!(
                    "{}:{port} ({ip})",
                    to.object.metadata.name.as_deref().unwrap_or_default()
                );
                let fact = match (&expected, open) {
                    (Ok(()), true) => format!("{destination}: allowed, connected"),
                    (Err(why), false) => format!("{destination}: refused ({why})"),
                    (Err(why), true) => {
                        passed = false;
                        format!(
                            "{destination}: CONNECTED although {why}: the policy is not enforced"
                        )
                    }
                    (Ok(()), false) => {
                        passed = false;
                        format!(
                            "{destination}: allowed by the policies but the connection FAILED (nothing listens, or something else blocks it)"
                        )
                    }
                };
                facts.push(fact);
            }
            observations.push(observation("network.enforced", subject, passed, facts));
        }
    }
    conclude(world, observations)
}
