//! NetworkPolicies proven enforced by trying the paths, as netassert does:
//! probe pods with the labels of each workload's pods try the ports of the
//! others, and each result must be what the policies allow
//! (`checks::network::path_allowed`).

use std::collections::{BTreeMap, BTreeSet};

use super::super::failover::{could_not, require_permission};
use super::super::runtime::conclude;
use super::super::{GoliveWorld, StepFailure};
use super::cluster_of;
use crate::checks::Scope;
use crate::checks::live::cluster::{NETWORK_ENFORCED, Path, Paths};
use crate::checks::network::{Endpoint, PathPort, path_allowed};
use crate::cluster::connect::Connection;
use crate::cluster::netprobe;
use crate::cluster::pods::{WorkloadPods, is_ready};
use crate::model::{Inventory, Resource, Workload};

/// A destination: a Ready pod of a workload and one of its TCP ports.
struct Destination<'a> {
    workload: Workload<'a>,
    labels: BTreeMap<String, String>,
    ip: String,
    port: i32,
    port_name: String,
}

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
    let run_id = format!("{}-{:x}", std::process::id(), nanos());
    let namespaces: BTreeSet<&str> = scope
        .workloads()
        .filter_map(|w| w.object.namespace())
        .filter(|ns| {
            inventory
                .of_kind_in("NetworkPolicy", Some(ns))
                .next()
                .is_some()
        })
        .collect();
    if namespaces.is_empty() {
        return Err(could_not(
            "no namespace in scope has a NetworkPolicy: nothing to verify",
        ));
    }
    let mut observations = Vec::new();
    let mut probed = 0;
    for namespace in namespaces {
        let destinations = destinations(&connection, inventory, namespace).await?;
        if destinations.is_empty() {
            continue;
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
        sources.push(("a pod of no workload".into(), &no_labels));
        // Said with the probe of no workload's labels, or with the verdict.
        let not_sources: Vec<String> = adopting
            .iter()
            .map(|w| {
                format!(
                    "not probed from {} {}: it would adopt a probe pod carrying its labels (its pods are probed as destinations)",
                    w.object.kind,
                    w.object.metadata.name.as_deref().unwrap_or_default()
                )
            })
            .collect();
        let mut connected_allowed = 0;
        // Why the first probe pod of the namespace that ran no probe failed
        // (an image the cluster cannot pull fails them all).
        let mut first_failure: Option<String> = None;
        for (source, labels) in sources {
            let targets: Vec<&Destination> = destinations
                .iter()
                .filter(|d| d.workload.pod_labels() != labels)
                .collect();
            if targets.is_empty() {
                continue;
            }
            let addresses: Vec<String> = targets
                .iter()
                .map(|d| format!("{}:{}", d.ip, d.port))
                .collect();
            let probe_labels = netprobe::probe_labels(labels, &run_id);
            let subject = format!("from {source} in {namespace}");
            let seen =
                match netprobe::probe(&connection, namespace, &probe_labels, &addresses, &image)
                    .await
                {
                    Ok(seen) => seen,
                    Err(e) => {
                        first_failure.get_or_insert_with(|| e.clone());
                        observations.push(NETWORK_ENFORCED.unmeasured(subject, e));
                        continue;
                    }
                };
            probed += 1;
            let mut paths = Vec::new();
            for (to, address) in targets.iter().zip(&addresses) {
                let expected = path_allowed(
                    inventory,
                    Endpoint {
                        namespace,
                        labels: &probe_labels,
                        ip: seen.ip,
                    },
                    Endpoint {
                        namespace,
                        labels: &to.labels,
                        ip: to.ip.parse().ok(),
                    },
                    PathPort {
                        protocol: "TCP",
                        number: to.port,
                        name: &to.port_name,
                    },
                );
                let open = seen.connections.get(address).copied().unwrap_or(false);
                let destination = format!(
                    "{}:{} ({})",
                    to.workload
                        .object
                        .metadata
                        .name
                        .as_deref()
                        .unwrap_or_default(),
                    to.port,
                    to.ip
                );
                if expected.is_ok() && open {
                    connected_allowed += 1;
                }
                paths.push(Path {
                    destination,
                    denied_because: expected.err(),
                    connected: open,
                });
            }
            let notes = if labels.is_empty() {
                not_sources.clone()
            } else {
                Vec::new()
            };
            observations.push(NETWORK_ENFORCED.observe(subject, &Paths { paths, notes }));
        }
        netprobe::sweep(&connection, namespace, &run_id)
            .await
            .map_err(could_not)?;
        // Refusals prove nothing when nothing connects at all.
        if connected_allowed == 0 {
            return Err(could_not(format!(
                "{namespace}: cannot tell enforced policies from a broken network: no allowed path connected{}{}",
                first_failure
                    .map(|e| format!("; a probe failed: {e}"))
                    .unwrap_or_default(),
                not_sources
                    .iter()
                    .map(|n| format!("; {n}"))
                    .collect::<String>()
            )));
        }
    }
    if probed == 0 {
        return Err(could_not(
            "no probe pod ran: no workload in scope has a Ready pod with a TCP port to probe",
        ));
    }
    conclude(world, observations)
}

/// A Ready pod of each workload of `namespace` (not on the node's network:
/// policies do not apply there), with each TCP port of its containers.
async fn destinations<'a>(
    connection: &Connection,
    inventory: &'a Inventory,
    namespace: &'a str,
) -> Result<Vec<Destination<'a>>, StepFailure> {
    let mut destinations = Vec::new();
    for workload in inventory.workloads_in(Some(namespace)) {
        if workload.pod_spec.host_network == Some(true) {
            continue;
        }
        let live = WorkloadPods::of(connection, &workload)
            .live()
            .await
            .map_err(could_not)?;
        let Some((ip, labels)) = live.iter().filter(|p| is_ready(p)).find_map(|p| {
            Some((
                p.status.as_ref()?.pod_ip.clone()?,
                p.metadata.labels.clone().unwrap_or_default(),
            ))
        }) else {
            continue;
        };
        for container in &workload.pod_spec.containers {
            for port in container.ports.iter().flatten() {
                if port.protocol.as_deref().unwrap_or("TCP") == "TCP" {
                    destinations.push(Destination {
                        workload,
                        labels: labels.clone(),
                        ip: ip.clone(),
                        port: port.container_port,
                        port_name: port.name.clone().unwrap_or_default(),
                    });
                }
            }
        }
    }
    Ok(destinations)
}

/// Nanoseconds since the epoch, to tell runs apart.
fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}
