//! The data plane: whether a TCP connection from a pod to `IP:PORT` gets
//! through, as a CNI that conforms to the NetworkPolicy API decides it.
//!
//! - Something must answer: a Running pod with that IP whose container
//!   declares the port (TCP) and is running; otherwise the connection
//!   fails whatever the policies say.
//! - A pod is isolated for ingress (egress) when a policy of its namespace
//!   selects it (`podSelector`) with `Ingress` (`Egress`) among its
//!   `policyTypes` — by default `Ingress`, and `Egress` when the policy has
//!   egress rules (the API server fills them in on create). Traffic to (from) an isolated pod must be
//!   allowed by a rule of one of those policies (the union of their
//!   rules); a pod no policy isolates accepts (sends) everything.
//! - A rule's peers: `podSelector` (pods of the policy's namespace),
//!   `namespaceSelector` (every pod of the selected namespaces, by their
//!   labels, `kubernetes.io/metadata.name` among them), both in one peer
//!   (those pods of those namespaces), `ipBlock` (`cidr` minus `except`,
//!   matched against the peer's IP, pod IPs included as most CNIs do); no
//!   `from`/`to` means every peer. Its ports: `protocol` (TCP by default),
//!   `port` as a number, a range up to `endPort`, or a name resolved on the
//!   destination pod's containers; no `ports` means every port.
//! - A connection gets through when the source's egress and the
//!   destination's ingress both allow it.
//!
//! With `ClusterOptions::network_policies_enforced(false)` the CNI ignores
//! the policies: whatever answers is reachable.

use std::net::Ipv4Addr;

use serde_json::Value;

use super::cluster::Cluster;
use super::controllers::{gr, str_of};
use super::selectors::LabelSelector;

/// Whether `source` (a pod) can open a TCP connection to `ip:port`.
pub fn connects(cluster: &Cluster, source: &Value, ip: Ipv4Addr, port: u16) -> bool {
    let Some(destination) = pod_at(cluster, ip) else {
        return false;
    };
    if !listens(&destination, port) {
        return false;
    }
    !cluster.options.network_policies_enforced || allows(cluster, source, &destination, port)
}

/// The Running pod with this IP.
fn pod_at(cluster: &Cluster, ip: Ipv4Addr) -> Option<Value> {
    let ip = ip.to_string();
    cluster
        .store
        .list(&gr("", "pods"), "")
        .find(|p| p["status"]["podIP"] == ip.as_str() && p["status"]["phase"] == "Running")
        .cloned()
}

fn is_tcp(port: &Value) -> bool {
    port["protocol"].as_str().unwrap_or("TCP") == "TCP"
}

/// Whether a running container of the pod declares the TCP port.
fn listens(pod: &Value, port: u16) -> bool {
    pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            pod["status"]["containerStatuses"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|s| s["name"] == c["name"] && s["state"]["running"].is_object())
        })
        .flat_map(|c| c["ports"].as_array().into_iter().flatten())
        .any(|p| is_tcp(p) && p["containerPort"].as_u64() == Some(u64::from(port)))
}

/// Whether the policies let `source` reach `destination` on the TCP port.
pub fn allows(cluster: &Cluster, source: &Value, destination: &Value, port: u16) -> bool {
    direction_allows(cluster, source, destination, port, Direction::Egress)
        && direction_allows(cluster, destination, source, port, Direction::Ingress)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Ingress,
    Egress,
}

/// Whether the policy has this direction among its (defaulted) types.
fn has_type(policy: &Value, direction: Direction) -> bool {
    let spec = &policy["spec"];
    match spec["policyTypes"].as_array().filter(|t| !t.is_empty()) {
        Some(types) => {
            let wanted = match direction {
                Direction::Ingress => "Ingress",
                Direction::Egress => "Egress",
            };
            types.iter().any(|t| t == wanted)
        }
        None => match direction {
            Direction::Ingress => true,
            Direction::Egress => spec["egress"].as_array().is_some_and(|e| !e.is_empty()),
        },
    }
}

fn labels_match(selector: &Value, object: &Value) -> bool {
    LabelSelector::from_structured(selector).matches(object)
}

/// Whether traffic in `direction` is allowed for `subject` (the pod whose
/// policies decide: the source for egress, the destination for ingress),
/// `peer` being the pod at the other end and `port` the destination port.
fn direction_allows(
    cluster: &Cluster,
    subject: &Value,
    peer: &Value,
    port: u16,
    direction: Direction,
) -> bool {
    let namespace = str_of(&subject["metadata"]["namespace"]);
    let isolating: Vec<&Value> = cluster
        .store
        .list(&gr("networking.k8s.io", "networkpolicies"), &namespace)
        .filter(|p| has_type(p, direction) && labels_match(&p["spec"]["podSelector"], subject))
        .collect();
    if isolating.is_empty() {
        return true;
    }
    let (section, peers_key) = match direction {
        Direction::Ingress => ("ingress", "from"),
        Direction::Egress => ("egress", "to"),
    };
    let destination = match direction {
        Direction::Ingress => subject,
        Direction::Egress => peer,
    };
    isolating.iter().any(|policy| {
        policy["spec"][section]
            .as_array()
            .into_iter()
            .flatten()
            .any(|rule| {
                peers_match(cluster, &rule[peers_key], &namespace, peer)
                    && ports_match(&rule["ports"], destination, port)
            })
    })
}

/// Whether one of the rule's peers is `pod` (no peers: everyone).
fn peers_match(cluster: &Cluster, peers: &Value, policy_namespace: &str, pod: &Value) -> bool {
    let Some(peers) = peers.as_array().filter(|p| !p.is_empty()) else {
        return true;
    };
    peers
        .iter()
        .any(|peer| peer_matches(cluster, peer, policy_namespace, pod))
}

fn peer_matches(cluster: &Cluster, peer: &Value, policy_namespace: &str, pod: &Value) -> bool {
    if peer["ipBlock"].is_object() {
        let Some(ip) = pod["status"]["podIP"]
            .as_str()
            .and_then(|ip| ip.parse::<Ipv4Addr>().ok())
        else {
            return false;
        };
        let block = &peer["ipBlock"];
        let excepted = block["except"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|cidr| cidr_contains(cidr, ip));
        return block["cidr"]
            .as_str()
            .is_some_and(|cidr| cidr_contains(cidr, ip))
            && !excepted;
    }
    let pod_namespace = str_of(&pod["metadata"]["namespace"]);
    let namespace_ok = if peer["namespaceSelector"].is_null() {
        pod_namespace == policy_namespace
    } else {
        cluster
            .store
            .get(&gr("", "namespaces"), "", &pod_namespace)
            .is_some_and(|ns| labels_match(&peer["namespaceSelector"], ns))
    };
    let pod_ok = peer["podSelector"].is_null() || labels_match(&peer["podSelector"], pod);
    namespace_ok && pod_ok
}

/// Whether one of the rule's ports is the destination's TCP `port` (no
/// ports: every port). A named port is looked up on the destination pod.
fn ports_match(ports: &Value, destination: &Value, port: u16) -> bool {
    let Some(ports) = ports.as_array().filter(|p| !p.is_empty()) else {
        return true;
    };
    let port = u64::from(port);
    ports
        .iter()
        .filter(|p| is_tcp(p))
        .any(|p| match &p["port"] {
            Value::Null => true,
            Value::Number(n) => {
                let first = n.as_u64().unwrap_or(0);
                let last = p["endPort"].as_u64().unwrap_or(first);
                (first..=last).contains(&port)
            }
            Value::String(name) => destination["spec"]["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|c| c["ports"].as_array().into_iter().flatten())
                .any(|cp| {
                    cp["name"] == name.as_str()
                        && is_tcp(cp)
                        && cp["containerPort"].as_u64() == Some(port)
                }),
            _ => false,
        })
}

/// Whether the IPv4 `cidr` (`a.b.c.d/n`) contains `ip`.
fn cidr_contains(cidr: &str, ip: Ipv4Addr) -> bool {
    let (network, bits) = cidr.split_once('/').unwrap_or((cidr, "32"));
    let (Ok(network), Ok(bits)) = (network.parse::<Ipv4Addr>(), bits.parse::<u32>()) else {
        return false;
    };
    if bits > 32 {
        return false;
    }
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    u32::from(network) & mask == u32::from(ip) & mask
}
