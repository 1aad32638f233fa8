//! The runtime family: what only a live cluster knows, read from the status
//! the controllers and the kubelet report. Rollouts complete, pods Ready, no
//! container crash-looping or restarting past the profile's limit, the
//! processes' real user, and where the replicas actually landed.
//!
//! These rules read `status` fields, which rendered manifests do not carry:
//! the features that run them are tagged `@cluster` only. Pod-level
//! findings name the pod (the workload's template annotations reach its
//! pods, so `golive.dev/skip` waivers work as on the workload).
//!
//! One cause, one finding: a container stuck in CrashLoopBackOff (or an
//! image pull) is left to `runtime.crash-loop` by `runtime.pods-ready` and
//! `runtime.restarts`, and replicas that exist but are not Ready are left
//! to those pod checks by `runtime.rollout`, which reports unavailable
//! replicas only when fewer pods exist than the workload asks for.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{ContainerState, ContainerStatus, PodStatus};

use super::availability::spread_topology_keys;
use super::security::runs_as_root;
use super::{Check, CheckMeta, LIVE_CLUSTER, Rule, Severity, Violation};
use crate::model::{Inventory, Object, Resource, Workload};

/// The runtime family, in catalogue order.
pub static CHECKS: &[&Check] = &[
    &ROLLOUT,
    &PODS_READY,
    &CRASH_LOOP,
    &RESTARTS,
    &NON_ROOT,
    &SPREAD,
];

/// Waiting reasons of a container that will not start without a fix.
const STUCK_REASONS: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "ErrImageNeverPull",
    "InvalidImageName",
    "ImageInspectError",
    "RegistryUnavailable",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "PreStartHookError",
];

pub static ROLLOUT: Check = Check {
    meta: CheckMeta {
        id: "runtime.rollout",
        title: "Every rollout is complete",
        judges: "workload with a rollout status",
        severity: Severity::High,
        checklist: &["GL-OPS-01"],
        needs: LIVE_CLUSTER,
        rationale: "A rollout still in progress, stalled past its deadline or not yet seen by its controller \
                    means the version checked is not the version serving: some replicas run the old template, \
                    or fewer replicas than declared are available.",
        remediation: "Wait for `kubectl rollout status` to succeed; if it is stuck, read the new pods' events \
                      (image pull, probes, quota) and fix or roll back (`kubectl rollout undo`).",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for workload in scope.workloads() {
            let pods = live_pods(scope.inventory, &workload).count();
            let Some(problem) = rollout_problem(workload.object, pods) else {
                if matches!(
                    workload.object.resource,
                    Resource::Deployment(_) | Resource::StatefulSet(_) | Resource::DaemonSet(_)
                ) {
                    evaluation.evaluated();
                }
                continue;
            };
            evaluation.evaluated();
            evaluation.report(Violation {
                object: workload.object,
                container: None,
                field: problem.0.into(),
                expected: "observedGeneration = generation, every replica updated and available"
                    .into(),
                found: problem.1,
            });
        }
    }),
};

pub static PODS_READY: Check = Check {
    meta: CheckMeta {
        id: "runtime.pods-ready",
        title: "Every pod of every workload is Ready",
        judges: "pod",
        severity: Severity::High,
        checklist: &["GL-OPS-01"],
        needs: LIVE_CLUSTER,
        rationale: "A pod that is not Ready receives no traffic: the service runs with less capacity than \
                    planned, and the reason (failing readiness probe, unschedulable pod) is usually a defect \
                    that goes live with it.",
        remediation: "Run `kubectl describe pod` on the pod: fix what its conditions and events show \
                      (readiness probe failures, Pending for resources or affinity, image pulls).",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for workload in scope.workloads().filter(Workload::is_long_running) {
            for (pod, status) in live_pods(scope.inventory, &workload) {
                evaluation.evaluated();
                if container_statuses(status).any(|(_, c)| stuck_reason(c).is_some()) {
                    continue;
                }
                let phase = status.phase.as_deref().unwrap_or("Unknown");
                let ready = status
                    .conditions
                    .iter()
                    .flatten()
                    .find(|c| c.type_ == "Ready");
                if phase == "Running" && ready.is_some_and(|c| c.status == "True") {
                    continue;
                }
                let why = ready.map_or_else(
                    || "no Ready condition".to_string(),
                    |c| {
                        let reason = [c.reason.as_deref(), c.message.as_deref()]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(": ");
                        if reason.is_empty() {
                            format!("Ready {}", c.status)
                        } else {
                            format!("Ready {} ({reason})", c.status)
                        }
                    },
                );
                evaluation.report(Violation {
                    object: pod,
                    container: None,
                    field: "status.conditions".into(),
                    expected: "phase Running and condition Ready True".into(),
                    found: format!("phase {phase}, {why}"),
                });
            }
        }
    }),
};

pub static CRASH_LOOP: Check = Check {
    meta: CheckMeta {
        id: "runtime.crash-loop",
        title: "No container is crash-looping or failing to start",
        judges: "container status",
        severity: Severity::Critical,
        checklist: &["GL-OPS-01"],
        needs: LIVE_CLUSTER,
        rationale: "A container in CrashLoopBackOff, or one that cannot pull its image or read its \
                    configuration, never serves: the rollout cannot finish and the pod's share of the traffic \
                    is lost.",
        remediation: "Read `kubectl logs --previous` and `kubectl describe pod` for the container; fix the \
                      image reference, the missing Secret or ConfigMap, or the crash, then roll out again.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for workload in scope.workloads().filter(Workload::is_long_running) {
            for (pod, status) in live_pods(scope.inventory, &workload) {
                for (path, container) in container_statuses(status) {
                    evaluation.evaluated();
                    let Some(reason) = stuck_reason(container) else {
                        continue;
                    };
                    let mut found = reason.to_string();
                    let waiting = container.state.as_ref().and_then(|s| s.waiting.as_ref());
                    if let Some(message) = waiting.and_then(|w| w.message.as_ref()) {
                        found.push_str(&format!(" ({message})"));
                    }
                    if container.restart_count > 0 {
                        found.push_str(&format!(", restarted {} times", container.restart_count));
                    }
                    if let Some(last) = termination(container.last_state.as_ref()) {
                        found.push_str(&format!(", last exit {last}"));
                    }
                    evaluation.report(Violation {
                        object: pod,
                        container: Some(&container.name),
                        field: format!("{path}.state.waiting"),
                        expected: "running".into(),
                        found,
                    });
                }
            }
        }
    }),
};

pub static RESTARTS: Check = Check {
    meta: CheckMeta {
        id: "runtime.restarts",
        title: "No container restarts more often than the profile allows",
        judges: "container status",
        severity: Severity::Medium,
        checklist: &["GL-OPS-01"],
        needs: LIVE_CLUSTER,
        rationale: "Restarts are crashes, OOM kills or failed liveness probes that recovered: each one dropped \
                    requests, and a count that keeps growing under staging load will grow in production.",
        remediation: "Read the last termination (`kubectl describe pod`: Last State) and `kubectl logs \
                      --previous`: raise the memory limit after an OOMKilled, fix the crash or the liveness \
                      probe; or raise max_restarts in the profile with a reason.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        let limit = scope.profile.max_restarts;
        for workload in scope.workloads().filter(Workload::is_long_running) {
            for (pod, status) in live_pods(scope.inventory, &workload) {
                for (path, container) in container_statuses(status) {
                    evaluation.evaluated();
                    let restarts = u32::try_from(container.restart_count).unwrap_or(0);
                    if restarts <= limit || stuck_reason(container).is_some() {
                        continue;
                    }
                    let mut found = format!("restarted {restarts} times");
                    if let Some(last) = termination(container.last_state.as_ref()) {
                        found.push_str(&format!(", last exit {last}"));
                    }
                    evaluation.report(Violation {
                        object: pod,
                        container: Some(&container.name),
                        field: format!("{path}.restartCount"),
                        expected: format!("at most {limit} restarts (profile max_restarts)"),
                        found,
                    });
                }
            }
        }
    }),
};

pub static NON_ROOT: Check = Check {
    meta: CheckMeta {
        id: "runtime.non-root",
        title: "Every process really runs as a non-root user",
        judges: "running container",
        severity: Severity::High,
        checklist: &["GL-OPS-01", "GL-SEC-02"],
        needs: LIVE_CLUSTER,
        rationale: "What runs can differ from what was rendered: an edited Deployment, a mutating webhook, an \
                    image whose USER changed. The kubelet reports the user each container's process runs as \
                    (with the SupplementalGroupsPolicy feature, on by default from Kubernetes 1.33); elsewhere \
                    the pod's own spec must keep it from root, or golive asks the container (`id -u`, with \
                    --allow-exec). Root inside a container is one kernel bug away from root on the node.",
        remediation: "Set runAsNonRoot: true and runAsUser to a non-zero uid on the pod or the container, and \
                      find what changed the running pod (kubectl get pod -o yaml, the admission webhooks).",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for workload in scope.workloads().filter(Workload::is_long_running) {
            for (pod, status) in live_pods(scope.inventory, &workload) {
                for (path, container) in container_statuses(status) {
                    let running = container
                        .state
                        .as_ref()
                        .is_some_and(|s| s.running.is_some());
                    if !running {
                        continue;
                    }
                    evaluation.evaluated();
                    let reported = container
                        .user
                        .as_ref()
                        .and_then(|u| u.linux.as_ref())
                        .map(|linux| linux.uid);
                    let namespace = pod.namespace().unwrap_or_default();
                    let name = pod.metadata.name.as_deref().unwrap_or_default();
                    let asked = scope
                        .inventory
                        .observed_uid(namespace, name, &container.name);
                    let status_field = format!("{path}.user.linux.uid");
                    let (field, found) = match (reported, asked.map(str::parse::<i64>)) {
                        (Some(0), _) => (
                            status_field,
                            format!(
                                "uid 0 (root), as the kubelet reports (gid {})",
                                container
                                    .user
                                    .as_ref()
                                    .and_then(|u| u.linux.as_ref())
                                    .map_or(0, |l| l.gid)
                            ),
                        ),
                        (Some(_), _) | (None, Some(Ok(1..))) => continue,
                        (None, Some(Ok(uid))) if uid <= 0 => (
                            path.clone(),
                            "uid 0 (root), as `id -u` in the container printed".to_string(),
                        ),
                        (None, _) => match spec_allows_root(pod, &container.name) {
                            None => continue,
                            Some(why) => (
                                spec_field(pod, &container.name),
                                format!(
                                    "the kubelet does not report the user{}, and the pod's spec does not \
                                     prevent root: {why}",
                                    asked
                                        .map(|a| format!(" and `id -u` gave no answer ({a})"))
                                        .unwrap_or_default()
                                ),
                            ),
                        },
                    };
                    evaluation.report(Violation {
                        object: pod,
                        container: Some(&container.name),
                        field,
                        expected: "a non-zero uid".into(),
                        found,
                    });
                }
            }
        }
    }),
};

pub static SPREAD: Check = Check {
    meta: CheckMeta {
        id: "runtime.spread",
        title: "Replicas really run on distinct nodes and zones",
        judges: "scheduled replicated workload",
        severity: Severity::Medium,
        checklist: &["GL-HA-01", "GL-OPS-01"],
        needs: LIVE_CLUSTER,
        rationale: "Anti-affinity and topology spread constraints that are only preferred (or ScheduleAnyway) \
                    let the scheduler stack replicas on one node or zone when it is short of room: one node \
                    failure then takes the whole service down, whatever the manifests say.",
        remediation: "Make the term required (requiredDuringSchedulingIgnoredDuringExecution, or \
                      whenUnsatisfiable: DoNotSchedule), add nodes in other zones, or reschedule the pods \
                      (kubectl rollout restart) once there is room.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        let nodes = node_labels(scope.inventory);
        for workload in scope.workloads() {
            let keys = spread_topology_keys(scope.inventory, &workload);
            if keys.is_empty() {
                continue;
            }
            let placed: Vec<(&Object, &str)> = live_pods(scope.inventory, &workload)
                .filter_map(|(pod, _)| Some((pod, node_of(pod)?)))
                .collect();
            if placed.len() < 2 {
                continue;
            }
            evaluation.evaluated();
            for key in keys {
                let domains: BTreeSet<&str> = placed
                    .iter()
                    .filter_map(|(_, node)| nodes.get(*node)?.get(key).map(String::as_str))
                    .collect();
                let available: BTreeSet<&str> = scope
                    .inventory
                    .of_kind("Node")
                    .filter(|node| schedulable(node, workload.pod_spec))
                    .filter_map(|node| node.labels().get(key).map(String::as_str))
                    .collect();
                let expected = placed.len().min(available.len());
                if domains.len() >= expected {
                    continue;
                }
                let mut by_domain: BTreeMap<&str, usize> = BTreeMap::new();
                for (_, node) in &placed {
                    let domain = nodes
                        .get(*node)
                        .and_then(|l| l.get(key))
                        .map_or("(unlabelled)", String::as_str);
                    *by_domain.entry(domain).or_default() += 1;
                }
                let layout: Vec<String> = by_domain
                    .iter()
                    .map(|(domain, pods)| format!("{pods} on {domain}"))
                    .collect();
                evaluation.report(Violation {
                    object: workload.object,
                    container: None,
                    // The pod spec: the keys come from its anti-affinity
                    // terms and topology spread constraints alike.
                    field: workload.pod_spec_path.to_string(),
                    expected: format!(
                        "{expected} distinct {key} values for {} running pods ({} on the nodes they may run on)",
                        placed.len(),
                        available.len()
                    ),
                    found: format!("{} ({})", domains.len(), layout.join(", ")),
                });
            }
        }
    }),
};

/// The waiting reason of a container that will not start without a fix.
fn stuck_reason(container: &ContainerStatus) -> Option<&str> {
    let waiting = container.state.as_ref()?.waiting.as_ref()?;
    let reason = waiting.reason.as_deref()?;
    STUCK_REASONS.contains(&reason).then_some(reason)
}

/// Why a rollout is not complete: the status field to point at and what
/// it shows, or `None` when it is (or the kind has no rollout). `pods` is
/// how many live pods the workload has: unavailable replicas count only
/// when pods are missing (see the module's note).
fn rollout_problem(object: &Object, pods: usize) -> Option<(&'static str, String)> {
    let pods = i32::try_from(pods).unwrap_or(i32::MAX);
    let generation = object.metadata.generation.unwrap_or(0);
    let unobserved = |observed: Option<i64>| {
        (observed.unwrap_or(0) < generation).then(|| {
            (
                "status.observedGeneration",
                format!(
                    "observedGeneration {} < generation {generation}: the controller has not acted on the latest spec",
                    observed.unwrap_or(0)
                ),
            )
        })
    };
    let count = |what: &str, have: i32, want: i32| {
        (have < want).then(|| format!("{have} of {want} replicas {what}"))
    };
    let missing = |available: i32, want: i32| {
        (pods < want)
            .then(|| count("available", available, want))
            .flatten()
            .map(|c| format!("{c} ({pods} pods exist)"))
    };
    let joined = |parts: Vec<Option<String>>| {
        let parts: Vec<String> = parts.into_iter().flatten().collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    };
    match &object.resource {
        Resource::Deployment(deployment) => {
            let Some(status) = &deployment.status else {
                return Some(("status", "no status: no controller reported on it".into()));
            };
            if let Some(problem) = unobserved(status.observed_generation) {
                return Some(problem);
            }
            let want = deployment
                .spec
                .as_ref()
                .and_then(|s| s.replicas)
                .unwrap_or(1);
            let stalled = status
                .conditions
                .iter()
                .flatten()
                .find(|c| {
                    c.type_ == "Progressing"
                        && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
                })
                .map(|c| {
                    format!(
                        "progress deadline exceeded ({})",
                        c.message.as_deref().unwrap_or_default()
                    )
                });
            let old = status.replicas.unwrap_or(0) - status.updated_replicas.unwrap_or(0);
            joined(vec![
                count("updated", status.updated_replicas.unwrap_or(0), want),
                missing(status.available_replicas.unwrap_or(0), want),
                (old > 0).then(|| format!("{old} old replicas still running")),
                stalled,
            ])
            .map(|found| ("status", found))
        }
        Resource::StatefulSet(set) => {
            let Some(status) = &set.status else {
                return Some(("status", "no status: no controller reported on it".into()));
            };
            if let Some(problem) = unobserved(status.observed_generation) {
                return Some(problem);
            }
            let want = set.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
            let strategy = set.spec.as_ref().and_then(|s| s.update_strategy.as_ref());
            let on_delete = strategy.and_then(|u| u.type_.as_deref()) == Some("OnDelete");
            // A partition stages the rollout: only the pods at or above
            // it are to be updated (what `kubectl rollout status` waits for).
            let partition = strategy
                .and_then(|u| u.rolling_update.as_ref())
                .and_then(|r| r.partition)
                .unwrap_or(0)
                .clamp(0, want);
            let revision =
                (!on_delete && partition == 0 && status.current_revision != status.update_revision)
                    .then(|| {
                        format!(
                            "pods still on revision {} (latest {})",
                            status.current_revision.as_deref().unwrap_or("?"),
                            status.update_revision.as_deref().unwrap_or("?")
                        )
                    });
            joined(vec![
                (!on_delete)
                    .then(|| {
                        count(
                            "updated",
                            status.updated_replicas.unwrap_or(0),
                            want - partition,
                        )
                    })
                    .flatten(),
                missing(status.available_replicas.unwrap_or(0), want),
                revision,
            ])
            .map(|found| ("status", found))
        }
        Resource::DaemonSet(set) => {
            let Some(status) = &set.status else {
                return Some(("status", "no status: no controller reported on it".into()));
            };
            if let Some(problem) = unobserved(status.observed_generation) {
                return Some(problem);
            }
            let want = status.desired_number_scheduled;
            let on_delete = set
                .spec
                .as_ref()
                .and_then(|s| s.update_strategy.as_ref())
                .and_then(|u| u.type_.as_deref())
                == Some("OnDelete");
            joined(vec![
                (!on_delete)
                    .then(|| {
                        count(
                            "updated",
                            status.updated_number_scheduled.unwrap_or(0),
                            want,
                        )
                    })
                    .flatten(),
                missing(status.number_available.unwrap_or(0), want),
                (status.number_misscheduled > 0).then(|| {
                    format!(
                        "{} pods on nodes they should not run on",
                        status.number_misscheduled
                    )
                }),
            ])
            .map(|found| ("status", found))
        }
        _ => None,
    }
}

/// The workload's pods that are not being deleted, with their status.
fn live_pods<'a>(
    inventory: &'a Inventory,
    workload: &Workload<'a>,
) -> impl Iterator<Item = (&'a Object, &'a PodStatus)> + 'a {
    inventory
        .pods_of(workload)
        .into_iter()
        .filter(|pod| pod.metadata.deletion_timestamp.is_none())
        .filter_map(|pod| match &pod.resource {
            Resource::Pod(p) => Some((pod, p.status.as_ref()?)),
            _ => None,
        })
}

/// Every container status of a pod (init containers first), with its path.
fn container_statuses(status: &PodStatus) -> impl Iterator<Item = (String, &ContainerStatus)> {
    let init = status
        .init_container_statuses
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| (format!("status.initContainerStatuses[{i}]"), c));
    let regular = status
        .container_statuses
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| (format!("status.containerStatuses[{i}]"), c));
    init.chain(regular)
}

/// `OOMKilled (code 137) at 2026-11-21T10:00:00Z`: how a container last ended.
fn termination(state: Option<&ContainerState>) -> Option<String> {
    let terminated = state?.terminated.as_ref()?;
    let mut text = format!(
        "{} (code {})",
        terminated.reason.as_deref().unwrap_or("terminated"),
        terminated.exit_code
    );
    if let Some(finished) = &terminated.finished_at {
        text.push_str(&format!(" at {}", finished.0));
    }
    Some(text)
}

/// The securityContext of a container of a pod (where a spec-based finding
/// points).
fn spec_field(pod: &Object, container: &str) -> String {
    pod.workload()
        .and_then(|w| w.containers().find(|c| c.container.name == container))
        .map_or_else(|| "spec".into(), |c| format!("{}.securityContext", c.path))
}

/// Why the pod's spec lets `container` run as root, or `None` when the
/// kubelet would refuse to (runAsNonRoot) or a non-zero runAsUser applies.
pub fn spec_allows_root(pod: &Object, container: &str) -> Option<String> {
    let workload = pod.workload()?;
    let container = workload
        .containers()
        .find(|c| c.container.name == container)?;
    runs_as_root(&workload, &container).map(|(_, why)| why)
}

/// The node a pod was scheduled on.
fn node_of(pod: &Object) -> Option<&str> {
    match &pod.resource {
        Resource::Pod(p) => p.spec.as_ref()?.node_name.as_deref(),
        _ => None,
    }
}

/// Whether pods of `spec` may be scheduled on `node`: it is schedulable,
/// its labels match the pod's nodeSelector, and the pod tolerates its
/// NoSchedule and NoExecute taints (required node affinity is not read).
fn schedulable(node: &Object, spec: &k8s_openapi::api::core::v1::PodSpec) -> bool {
    let Resource::Node(typed) = &node.resource else {
        return false;
    };
    let node_spec = typed.spec.as_ref();
    if node_spec.and_then(|s| s.unschedulable) == Some(true) {
        return false;
    }
    let labels = node.labels();
    let selected = spec
        .node_selector
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let tolerations = spec.tolerations.as_deref().unwrap_or_default();
    let tolerated = node_spec
        .and_then(|s| s.taints.as_ref())
        .into_iter()
        .flatten()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .all(|taint| {
            tolerations.iter().any(|t| {
                let exists = t.operator.as_deref() == Some("Exists");
                let key =
                    t.key.as_deref().is_none_or(|k| k == taint.key) && (t.key.is_some() || exists);
                let value = exists
                    || t.value.as_deref().unwrap_or_default()
                        == taint.value.as_deref().unwrap_or_default();
                let effect = t.effect.as_deref().is_none_or(|e| e == taint.effect);
                key && value && effect
            })
        });
    selected && tolerated
}

/// Each node's labels, by name.
fn node_labels(inventory: &Inventory) -> BTreeMap<&str, &BTreeMap<String, String>> {
    inventory
        .of_kind("Node")
        .filter_map(|node| Some((node.metadata.name.as_deref()?, node.labels())))
        .collect()
}
