//! Items only a live cluster shows beyond its objects: the workloads'
//! HTTP probes answering as the kubelet sends them, and NetworkPolicies
//! really enforced between pods. The measurements come from port-forwards
//! and probe pods (`cluster`, the cluster steps).

use serde::{Deserialize, Serialize};

use super::{Live, live_check};
use crate::checks::{CheckMeta, Needs, Severity};
use crate::evidence::Judged;

/// One HTTP probe of a container sent to a Ready pod.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeAnswer {
    /// `HTTP GET /healthz on port 8080 of api-7d9f-x2`.
    pub asked: String,
    #[serde(default)]
    pub status: Option<u16>,
    /// Why it got no answer, when it did not.
    #[serde(default)]
    pub error: Option<String>,
    /// Time to the answer, with the port-forward.
    pub took_ms: u64,
    /// The probe's timeoutSeconds.
    pub timeout_s: i32,
}

/// The kubelet counts 200 to 399 as success.
fn judge_probe(answer: &ProbeAnswer) -> Judged {
    let asked = &answer.asked;
    match (answer.status, &answer.error) {
        (Some(code), _) => (
            (200..400).contains(&code),
            vec![format!(
                "{asked}: {code} (with the port-forward, {} ms)",
                answer.took_ms
            )],
        ),
        (None, error) => (
            false,
            vec![format!(
                "{asked}: {} (timeoutSeconds {})",
                error.as_deref().unwrap_or("no answer"),
                answer.timeout_s
            )],
        ),
    }
}

pub static PROBE_ANSWERS: Live<ProbeAnswer> = live_check!(
    judge_probe,
    CheckMeta {
        id: "probe.answers",
        title: "The HTTP probes answer 200 to 399 on a Ready pod",
        judges: "HTTP probe",
        severity: Severity::High,
        checklist: &["GL-APP-02", "GL-OPS-01"],
        needs: &[Needs::Cluster],
        rationale: "A probe that is well declared can still point at a path the service does not serve, or \
                    answer too slowly: sent through a port-forward as the kubelet sends it (path, port, scheme, \
                    timeoutSeconds), it must answer 200 to 399.",
        remediation: "Fix the probe's path, port or scheme to what the container serves, or make the handler \
                      answer within timeoutSeconds.",
        differences: &[],
    }
);

/// One connection a probe pod tried, what the policies say of it, and
/// whether it connected.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Path {
    /// `api:8080 (10.1.0.12)`.
    pub destination: String,
    /// Why the policies deny it; `None` when they allow it.
    #[serde(default)]
    pub denied_because: Option<String>,
    pub connected: bool,
}

/// The paths probed from one source, with what could not be a source.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    pub paths: Vec<Path>,
    /// Workloads not probed from, and why.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// Enforced: no path the policies deny connected. (An allowed path that
/// did not connect says nothing of the policies.)
fn judge_paths(paths: &Paths) -> Judged {
    let mut passed = !paths.paths.is_empty();
    let mut facts: Vec<String> = paths
        .paths
        .iter()
        .map(|path| {
            let to = &path.destination;
            match (&path.denied_because, path.connected) {
                (None, true) => format!("{to}: allowed, connected"),
                (Some(why), false) => format!("{to}: refused ({why})"),
                (Some(why), true) => {
                    passed = false;
                    format!("{to}: CONNECTED although {why}: the policy is not enforced")
                }
                (None, false) => format!(
                    "{to}: allowed, but nothing answered (not counted: the port may listen on localhost only)"
                ),
            }
        })
        .collect();
    facts.extend(paths.notes.iter().cloned());
    (passed, facts)
}

pub static NETWORK_ENFORCED: Live<Paths> = live_check!(
    judge_paths,
    CheckMeta {
        id: "network.enforced",
        title: "NetworkPolicies are enforced: denied paths do not connect",
        judges: "probe pod",
        severity: Severity::Critical,
        checklist: &["GL-NET-01"],
        needs: &[Needs::Cluster, Needs::Disruption],
        rationale: "NetworkPolicies are only data unless the cluster's network plugin enforces them: a probe \
                    pod with a workload's labels tries every port of the other workloads, and a path the \
                    policies deny must not connect.",
        remediation: "Install or enable a network plugin that enforces NetworkPolicy (Calico, Cilium...), or fix \
                      the policy that lets the connection through.",
        differences: &[],
    }
);

pub static CHECKS: &[&crate::checks::Check] = &[&PROBE_ANSWERS.check, &NETWORK_ENFORCED.check];
