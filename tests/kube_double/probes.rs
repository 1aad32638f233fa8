//! The network probe pods golive creates to see whether the cluster's
//! NetworkPolicies are enforced, as netassert does. The contract both
//! sides follow:
//!
//! - a pod created through the API (POST) in the source workload's
//!   namespace, labelled `golive.dev/probe: network` on top of the labels
//!   of the source workload's pods (so that the policies selecting the
//!   source select the probe);
//! - one container whose env `GOLIVE_TARGETS` is a space-separated list of
//!   `IP:PORT` (pod IPs of the cluster);
//! - its command a shell loop (`sh -c '...'`) that tries a TCP connection
//!   to each target (2 s timeout) and prints `open IP:PORT` or
//!   `closed IP:PORT`, one line per target in the list's order, then exits
//!   0; golive reads the log once the pod has Succeeded, then deletes it.
//!
//! The double does not interpret the command: the kubelet runs the pod
//! (`kubelet.rs`) and, when its container starts, this module writes the
//! log the script would print, each line decided by the data plane
//! (`network.rs`). An entry that is not `IPv4:PORT` cannot connect:
//! `closed ENTRY`.

use std::net::Ipv4Addr;

use serde_json::Value;

use super::cluster::Cluster;
use super::network;

/// The label that makes a pod a network probe, and its value.
pub const PROBE_LABEL: &str = "golive.dev/probe";
pub const PROBE_KIND: &str = "network";
/// The env variable of the probe's container that lists its targets.
pub const TARGETS_ENV: &str = "GOLIVE_TARGETS";

pub fn is_probe(pod: &Value) -> bool {
    pod["metadata"]["labels"][PROBE_LABEL] == PROBE_KIND
}

/// The entries of `GOLIVE_TARGETS` (first container), in order.
pub fn targets(pod: &Value) -> Vec<String> {
    pod["spec"]["containers"][0]["env"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["name"] == TARGETS_ENV)
        .and_then(|e| e["value"].as_str())
        .unwrap_or_default()
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// What the probe's script prints, given the data plane of now.
pub fn run(cluster: &Cluster, pod: &Value) -> String {
    targets(pod)
        .iter()
        .map(|entry| {
            let target = entry.rsplit_once(':').and_then(|(ip, port)| {
                Some((ip.parse::<Ipv4Addr>().ok()?, port.parse::<u16>().ok()?))
            });
            let open = target.is_some_and(|(ip, port)| network::connects(cluster, pod, ip, port));
            format!("{} {entry}\n", if open { "open" } else { "closed" })
        })
        .collect()
}
