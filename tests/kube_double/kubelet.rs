//! The scheduler and the kubelets over time, for the pods created once the
//! cluster is built: a controller's replacement for a deleted pod
//! (`replacements.rs`) and the pods created through the API. The
//! scheduler binds the pod to a node (`nodeName`, `PodScheduled`); the
//! kubelet reports it `ContainerCreating`, then `Running` with its
//! containers started, then Ready once their readiness probes pass — or
//! lets its first container crash-loop (a failing variant), or runs a
//! network probe pod to completion with the log the data plane gives it
//! (`probes.rs`). Each step is one status update (a MODIFIED event), after
//! which the controllers recompute the workload statuses; a step whose pod
//! is gone or terminating does nothing.
//!
//! Also the kubelet's side of a graceful deletion: the containers stop
//! passing their readiness probes at once, and when they have stopped the
//! pod is terminal (`Succeeded`, or `Failed` if a container had failed)
//! before it goes. The pods of a cluster built from manifests are made
//! running at once instead (`controllers::run_pod`); what the pod statuses
//! look like is shared with `pods.rs`.

use std::time::Duration;

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodStatus,
};
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use super::bootstrap;
use super::cluster::Cluster;
use super::controllers::{self, controller_of, gr, is_active, name_of, str_of, uid_of};
use super::names::seconds;
use super::pods::{self, container_id, mounts_status, qos_class, time};
use super::probes;
use super::replacements;
use super::statuses::reconcile_namespace;

/// What a pod's containers do once started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    /// They serve: started, then ready once their probes pass.
    Serve,
    /// The first container exits with an error before it is ready, again
    /// and again (CrashLoopBackOff); the others serve.
    CrashLoop,
    /// A network probe: tries its targets, prints a line each, exits 0.
    Probe,
}

impl Cluster {
    /// Every pod the controllers of `workload` (a Deployment, StatefulSet,
    /// DaemonSet or ReplicaSet, by name) create from now on crash-loops:
    /// its replacements never become Ready.
    pub fn crash_loop_new_pods(&mut self, namespace: &str, workload: &str) {
        self.crash_looping
            .insert((namespace.to_string(), workload.to_string()));
    }
}

/// The name of the workload a pod belongs to: its controller's, or the
/// Deployment's of its ReplicaSet; a bare pod's own name.
pub fn workload_of(cluster: &Cluster, pod: &Value) -> String {
    let Some(owner) = controller_of(pod) else {
        return name_of(pod);
    };
    let owner_name = str_of(&owner["name"]);
    if owner["kind"] == "ReplicaSet" {
        let namespace = str_of(&pod["metadata"]["namespace"]);
        if let Some(deployment) = cluster
            .store
            .get(&gr("apps", "replicasets"), &namespace, &owner_name)
            .and_then(controller_of)
        {
            return str_of(&deployment["name"]);
        }
    }
    owner_name
}

fn script_of(cluster: &Cluster, pod: &Value) -> Script {
    if probes::is_probe(pod) {
        return Script::Probe;
    }
    if controller_of(pod).is_some() {
        let key = (
            str_of(&pod["metadata"]["namespace"]),
            workload_of(cluster, pod),
        );
        if cluster.options.new_pods_crash_loop || cluster.crash_looping.contains(&key) {
            return Script::CrashLoop;
        }
    }
    Script::Serve
}

/// A new pod, Pending and not scheduled: the scheduler binds it after the
/// scheduling delay, and the kubelet of its node takes it from there.
pub fn admit(cluster: &mut Cluster, namespace: &str, name: &str) {
    let Some(pod) = cluster.store.get(&gr("", "pods"), namespace, name).cloned() else {
        return;
    };
    let uid = uid_of(&pod);
    let script = script_of(cluster, &pod);
    let delay = cluster.options.scheduling_delay;
    let (namespace, name) = (namespace.to_string(), name.to_string());
    cluster.schedule(delay, move |c| bind(c, &namespace, &name, &uid, script));
}

/// The pod if it is still the same one and not terminating.
fn live(cluster: &Cluster, namespace: &str, name: &str, uid: &str) -> Option<Pod> {
    let pod: Pod = cluster.get(namespace, name)?;
    (pod.metadata.uid.as_deref() == Some(uid) && pod.metadata.deletion_timestamp.is_none())
        .then_some(pod)
}

fn save(cluster: &mut Cluster, pod: &Pod) -> Value {
    cluster.store.replace(
        &gr("", "pods"),
        serde_json::to_value(pod).expect("a pod serializes"),
    )
}

fn later(
    cluster: &mut Cluster,
    delay: Duration,
    namespace: &str,
    name: &str,
    uid: &str,
    step: impl FnOnce(&mut Cluster, &str, &str, &str) + Send + 'static,
) {
    let (namespace, name, uid) = (namespace.to_string(), name.to_string(), uid.to_string());
    cluster.schedule(delay, move |c| step(c, &namespace, &name, &uid));
}

// ---- the scheduler ------------------------------------------------------

fn node_labels(cluster: &Cluster, node: &str) -> Value {
    cluster
        .store
        .get(&gr("", "nodes"), "", node)
        .map(|n| n["metadata"]["labels"].clone())
        .unwrap_or(Value::Null)
}

/// One `matchExpressions` requirement of a node selector term.
fn expression_matches(expression: &Value, value: Option<&str>) -> bool {
    let values: Vec<&str> = expression["values"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let number = |s: &str| s.parse::<i64>().ok();
    match expression["operator"].as_str().unwrap_or_default() {
        "In" => value.is_some_and(|v| values.contains(&v)),
        "NotIn" => value.is_none_or(|v| !values.contains(&v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" => {
            matches!((value.and_then(number), values.first().and_then(|v| number(v))), (Some(a), Some(b)) if a > b)
        }
        "Lt" => {
            matches!((value.and_then(number), values.first().and_then(|v| number(v))), (Some(a), Some(b)) if a < b)
        }
        _ => false,
    }
}

/// Whether the pod's `nodeSelector` and required node affinity admit the node.
fn node_fits(cluster: &Cluster, pod: &Value, node: &str) -> bool {
    let labels = node_labels(cluster, node);
    let selected = pod["spec"]["nodeSelector"]
        .as_object()
        .is_none_or(|s| s.iter().all(|(k, v)| labels[k] == *v));
    let terms = &pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        ["nodeSelectorTerms"];
    let affine = terms.as_array().is_none_or(|terms| {
        terms.iter().any(|term| {
            let fields = term["matchFields"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|e| e["key"] == "metadata.name" && expression_matches(e, Some(node)));
            let expressions = term["matchExpressions"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|e| {
                    expression_matches(e, labels[e["key"].as_str().unwrap_or_default()].as_str())
                });
            fields && expressions
        })
    });
    selected && affine
}

/// The node the scheduler picks: the pod's own `nodeName` if set, else,
/// among the nodes its selector and affinity admit, the one with the
/// fewest pods of the same controller, then the fewest pods.
fn choose_node(cluster: &Cluster, pod: &Value) -> Option<usize> {
    let nodes = &cluster.options.nodes;
    if let Some(name) = pod["spec"]["nodeName"].as_str() {
        return nodes.iter().position(|n| n.name == name);
    }
    let owner = controller_of(pod).map(|o| str_of(&o["uid"]));
    let active: Vec<&Value> = cluster
        .store
        .list(&gr("", "pods"), "")
        .filter(|p| is_active(p))
        .collect();
    (0..nodes.len())
        .filter(|&i| node_fits(cluster, pod, &nodes[i].name))
        .min_by_key(|&i| {
            let on_node: Vec<&&Value> = active
                .iter()
                .filter(|p| p["spec"]["nodeName"] == nodes[i].name.as_str())
                .collect();
            let siblings = owner.as_ref().map_or(0, |owner| {
                on_node
                    .iter()
                    .filter(|p| controller_of(p).is_some_and(|r| r["uid"] == owner.as_str()))
                    .count()
            });
            (siblings, on_node.len(), i)
        })
}

/// `PodScheduled` and the others, each keeping its transition time while
/// its status stays.
fn conditions(
    previous: Option<&PodStatus>,
    at: Timestamp,
    wanted: &[(&str, bool, Option<&str>, Option<String>)],
) -> Vec<PodCondition> {
    let old: Vec<PodCondition> = previous
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    wanted
        .iter()
        .map(|(type_, ok, reason, message)| {
            let status = if *ok { "True" } else { "False" };
            let kept = old
                .iter()
                .find(|c| c.type_ == *type_ && c.status == status)
                .and_then(|c| c.last_transition_time.clone());
            PodCondition {
                type_: type_.to_string(),
                status: status.into(),
                last_transition_time: kept.or_else(|| time(at)),
                reason: reason.map(String::from),
                message: message.clone(),
                ..Default::default()
            }
        })
        .collect()
}

fn unready_message(names: &[String]) -> Option<String> {
    Some(format!(
        "containers with unready status: [{}]",
        names.join(" ")
    ))
}

/// The scheduler binds the pod (or finds no node), then the kubelet
/// reports its first status.
fn bind(cluster: &mut Cluster, namespace: &str, name: &str, uid: &str, script: Script) {
    let Some(mut pod) = live(cluster, namespace, name, uid) else {
        return;
    };
    let value = serde_json::to_value(&pod).expect("a pod serializes");
    let at = cluster.timestamp();
    let Some(node) = choose_node(cluster, &value) else {
        let n = cluster.options.nodes.len();
        let message = format!(
            "0/{n} nodes are available: {n} node(s) didn't match Pod's node affinity/selector. preemption: 0/{n} nodes are available: {n} Preemption is not helpful for scheduling."
        );
        let status = pod.status.get_or_insert_with(Default::default);
        status.conditions = Some(conditions(
            None,
            at,
            &[("PodScheduled", false, Some("Unschedulable"), Some(message))],
        ));
        save(cluster, &pod);
        return;
    };
    let spec = pod.spec.get_or_insert_with(Default::default);
    if spec.node_name.is_none() {
        spec.node_name = Some(cluster.options.nodes[node].name.clone());
        let status = pod.status.get_or_insert_with(Default::default);
        status.conditions = Some(conditions(None, at, &[("PodScheduled", true, None, None)]));
        save(cluster, &pod);
    }
    pod.status = Some(creating_status(&pod, &bootstrap::node_ip(node), at));
    if fail_image_pulls(cluster, &mut pod) {
        save(cluster, &pod);
        reconcile_namespace(cluster, namespace);
        return;
    }
    save(cluster, &pod);
    reconcile_namespace(cluster, namespace);
    let delay = cluster.options.start_delay;
    later(cluster, delay, namespace, name, uid, move |c, ns, n, u| {
        start(c, ns, n, u, node, script)
    });
}

fn is_sidecar(container: &Container) -> bool {
    container.restart_policy.as_deref() == Some("Always")
}

/// The kubelet's first status: the sandbox and the containers being made.
/// Marks the containers whose image no registry serves as waiting in
/// `ErrImagePull`, as the kubelet reports a failed pull; `true` when any
/// is (the pod then never starts).
fn fail_image_pulls(cluster: &Cluster, pod: &mut Pod) -> bool {
    let unpullable = &cluster.options.unpullable_images;
    let statuses = pod
        .status
        .as_mut()
        .and_then(|s| s.container_statuses.as_mut())
        .into_iter()
        .flatten()
        .filter(|s| unpullable.contains(&s.image));
    let mut failed = false;
    for status in statuses {
        failed = true;
        status.state = Some(waiting_state(
            "ErrImagePull",
            Some(format!(
                "failed to pull and unpack image \"{}\": not found",
                status.image
            )),
        ));
    }
    failed
}

fn creating_status(pod: &Pod, host_ip: &str, at: Timestamp) -> PodStatus {
    let spec = pod.spec.clone().unwrap_or_default();
    let init: Vec<&Container> = spec.init_containers.iter().flatten().collect();
    let initializing = init.iter().any(|c| !is_sidecar(c));
    let waiting = |container: &Container, reason: &str| ContainerStatus {
        name: container.name.clone(),
        image: container.image.clone().unwrap_or_default(),
        image_id: String::new(),
        ready: false,
        restart_count: 0,
        started: Some(false),
        state: Some(waiting_state(reason, None)),
        volume_mounts: mounts_status(container),
        resources: container
            .resources
            .clone()
            .filter(|r| r.limits.is_some() || r.requests.is_some()),
        ..Default::default()
    };
    let main_reason = if initializing {
        "PodInitializing"
    } else {
        "ContainerCreating"
    };
    let names: Vec<String> = spec.containers.iter().map(|c| c.name.clone()).collect();
    let pending_init: Vec<String> = init
        .iter()
        .filter(|c| !is_sidecar(c))
        .map(|c| c.name.clone())
        .collect();
    PodStatus {
        phase: Some("Pending".into()),
        conditions: Some(conditions(
            pod.status.as_ref(),
            at,
            &[
                ("PodReadyToStartContainers", false, None, None),
                if initializing {
                    (
                        "Initialized",
                        false,
                        Some("ContainersNotInitialized"),
                        Some(format!(
                            "containers with incomplete status: [{}]",
                            pending_init.join(" ")
                        )),
                    )
                } else {
                    ("Initialized", true, None, None)
                },
                (
                    "Ready",
                    false,
                    Some("ContainersNotReady"),
                    unready_message(&names),
                ),
                (
                    "ContainersReady",
                    false,
                    Some("ContainersNotReady"),
                    unready_message(&names),
                ),
                ("PodScheduled", true, None, None),
            ],
        )),
        host_ip: Some(host_ip.to_string()),
        host_ips: Some(vec![HostIP {
            ip: host_ip.to_string(),
        }]),
        start_time: time(at),
        qos_class: Some(qos_class(&spec).into()),
        container_statuses: Some(
            spec.containers
                .iter()
                .map(|c| waiting(c, main_reason))
                .collect(),
        ),
        init_container_statuses: (!init.is_empty())
            .then(|| init.iter().map(|c| waiting(c, "PodInitializing")).collect()),
        ..Default::default()
    }
}

/// The Ready and ContainersReady conditions (and the rest) of a running pod.
fn running_conditions(previous: &PodStatus, at: Timestamp) -> Vec<PodCondition> {
    let unready: Vec<String> = previous
        .container_statuses
        .iter()
        .flatten()
        .filter(|s| !s.ready)
        .map(|s| s.name.clone())
        .collect();
    let ready = unready.is_empty();
    let (reason, message) = if ready {
        (None, None)
    } else {
        (Some("ContainersNotReady"), unready_message(&unready))
    };
    conditions(
        Some(previous),
        at,
        &[
            ("PodReadyToStartContainers", true, None, None),
            ("Initialized", true, None, None),
            ("Ready", ready, reason, message.clone()),
            ("ContainersReady", ready, reason, message),
            ("PodScheduled", true, None, None),
        ],
    )
}

/// The sandbox is up (the pod has its IP) and the containers started.
fn start(
    cluster: &mut Cluster,
    namespace: &str,
    name: &str,
    uid: &str,
    node: usize,
    script: Script,
) {
    let Some(mut pod) = live(cluster, namespace, name, uid) else {
        return;
    };
    let placement = controllers::place(cluster, node);
    let at = cluster.timestamp();
    let spec = pod.spec.clone().unwrap_or_default();
    let previous = pod.status.clone().unwrap_or_default();
    let statuses: Vec<ContainerStatus> = spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut status = pods::container_status(uid, &spec, c, at, &cluster.image_users);
            let crashing = script == Script::CrashLoop && i == 0;
            status.started = Some(script == Script::Probe || c.startup_probe.is_none());
            status.ready = !crashing
                && status.started == Some(true)
                && (script == Script::Probe || c.readiness_probe.is_none());
            status
        })
        .collect();
    let all_ready = statuses.iter().all(|s| s.ready);
    let mut status = PodStatus {
        phase: Some("Running".into()),
        host_ip: Some(placement.host_ip.clone()),
        host_ips: Some(vec![HostIP {
            ip: placement.host_ip.clone(),
        }]),
        pod_ip: Some(placement.pod_ip.clone()),
        pod_ips: Some(vec![PodIP {
            ip: placement.pod_ip.clone(),
        }]),
        start_time: previous.start_time.clone().or_else(|| time(at)),
        qos_class: Some(qos_class(&spec).into()),
        conditions: previous.conditions.clone(),
        container_statuses: Some(statuses),
        init_container_statuses: pods::init_statuses(
            uid,
            &spec,
            at - seconds(2),
            &cluster.image_users,
        ),
        ..Default::default()
    };
    status.conditions = Some(running_conditions(&status, at));
    pod.status = Some(status);
    let stored = save(cluster, &pod);
    reconcile_namespace(cluster, namespace);
    match script {
        Script::Serve if all_ready => replacements::pod_ready(cluster, &stored),
        Script::Serve => {
            let delay = cluster.options.readiness_delay;
            later(cluster, delay, namespace, name, uid, become_ready);
        }
        Script::CrashLoop => {
            let delay = cluster.options.readiness_delay;
            later(cluster, delay, namespace, name, uid, |c, ns, n, u| {
                crash(c, ns, n, u, 0)
            });
        }
        Script::Probe => {
            let container = spec
                .containers
                .first()
                .map(|c| c.name.clone())
                .unwrap_or_default();
            let log = probes::run(cluster, &stored);
            cluster
                .pod_logs
                .insert((namespace.to_string(), name.to_string(), container), log);
            let delay = cluster.options.start_delay;
            later(cluster, delay, namespace, name, uid, complete);
        }
    }
}

/// The readiness (and startup) probes pass.
fn become_ready(cluster: &mut Cluster, namespace: &str, name: &str, uid: &str) {
    let Some(mut pod) = live(cluster, namespace, name, uid) else {
        return;
    };
    let at = cluster.timestamp();
    let status = pod.status.get_or_insert_with(Default::default);
    for container in status.container_statuses.iter_mut().flatten() {
        if container
            .state
            .as_ref()
            .is_some_and(|s| s.running.is_some())
        {
            container.started = Some(true);
            container.ready = true;
        }
    }
    status.conditions = Some(running_conditions(status, at));
    let stored = save(cluster, &pod);
    reconcile_namespace(cluster, namespace);
    replacements::pod_ready(cluster, &stored);
}

/// The kubelet's back-off before restarting a failed container the
/// `restarts`-th time: 10 s doubling, at most 5 min.
fn back_off(restarts: u32) -> Duration {
    Duration::from_secs((10u64 << restarts.min(5)).min(300))
}

/// A duration as Go prints it (`10s`, `1m20s`, `5m0s`).
fn go_duration(duration: Duration) -> String {
    let total = duration.as_secs();
    if total < 60 {
        format!("{total}s")
    } else {
        format!("{}m{}s", total / 60, total % 60)
    }
}

/// The first container exits with code 1 before it is ready; the kubelet
/// reports it terminated, then waiting to be restarted.
fn crash(cluster: &mut Cluster, namespace: &str, name: &str, uid: &str, restarts: u32) {
    let Some(mut pod) = live(cluster, namespace, name, uid) else {
        return;
    };
    let at = cluster.timestamp();
    let status = pod.status.get_or_insert_with(Default::default);
    let Some(container) = status
        .container_statuses
        .as_mut()
        .and_then(|cs| cs.first_mut())
    else {
        return;
    };
    let container_name = container.name.clone();
    let terminated = ContainerState {
        terminated: Some(ContainerStateTerminated {
            exit_code: 1,
            reason: Some("Error".into()),
            started_at: container
                .state
                .as_ref()
                .and_then(|s| s.running.as_ref())
                .and_then(|r| r.started_at.clone()),
            finished_at: time(at),
            container_id: container.container_id.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    container.state = Some(terminated.clone());
    container.ready = false;
    container.started = Some(false);
    status.conditions = Some(running_conditions(status, at));
    save(cluster, &pod);
    let delay = back_off(restarts);
    let status = pod.status.get_or_insert_with(Default::default);
    let container = status
        .container_statuses
        .as_mut()
        .and_then(|cs| cs.first_mut())
        .expect("the container");
    container.last_state = Some(terminated);
    container.restart_count = restarts as i32 + 1;
    container.state = Some(waiting_state(
        "CrashLoopBackOff",
        Some(format!(
            "back-off {} restarting failed container={container_name} pod={name}_{namespace}({uid})",
            go_duration(delay)
        )),
    ));
    save(cluster, &pod);
    reconcile_namespace(cluster, namespace);
    later(cluster, delay, namespace, name, uid, move |c, ns, n, u| {
        restart(c, ns, n, u, restarts + 1)
    });
}

/// The back-off is over: the container runs again (and will crash again).
fn restart(cluster: &mut Cluster, namespace: &str, name: &str, uid: &str, restarts: u32) {
    let Some(mut pod) = live(cluster, namespace, name, uid) else {
        return;
    };
    let at = cluster.timestamp();
    let status = pod.status.get_or_insert_with(Default::default);
    if let Some(container) = status
        .container_statuses
        .as_mut()
        .and_then(|cs| cs.first_mut())
    {
        container.container_id = Some(container_id(uid, &container.name, restarts as i32));
        container.state = Some(ContainerState {
            running: Some(ContainerStateRunning {
                started_at: time(at),
            }),
            ..Default::default()
        });
        container.started = Some(true);
    }
    save(cluster, &pod);
    let delay = cluster.options.readiness_delay;
    later(cluster, delay, namespace, name, uid, move |c, ns, n, u| {
        crash(c, ns, n, u, restarts)
    });
}

fn terminated_state(container: &ContainerStatus, exit_code: i32, at: Timestamp) -> ContainerState {
    let running = container.state.as_ref().and_then(|s| s.running.as_ref());
    ContainerState {
        terminated: Some(ContainerStateTerminated {
            exit_code,
            reason: Some(if exit_code == 0 { "Completed" } else { "Error" }.into()),
            started_at: running.and_then(|r| r.started_at.clone()),
            finished_at: time(at),
            container_id: container.container_id.clone(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The status of a pod whose containers have all stopped for good.
fn terminal_conditions(previous: &PodStatus, at: Timestamp, failed: bool) -> Vec<PodCondition> {
    let reason = Some(if failed { "PodFailed" } else { "PodCompleted" });
    conditions(
        Some(previous),
        at,
        &[
            ("PodReadyToStartContainers", false, None, None),
            (
                "Initialized",
                true,
                if failed { None } else { Some("PodCompleted") },
                None,
            ),
            ("Ready", false, reason, None),
            ("ContainersReady", false, reason, None),
            ("PodScheduled", true, None, None),
        ],
    )
}

/// A network probe's script is done (exit 0): the pod has Succeeded, or,
/// with `restartPolicy: Always`, the kubelet backs off restarting it.
fn complete(cluster: &mut Cluster, namespace: &str, name: &str, uid: &str) {
    let Some(mut pod) = live(cluster, namespace, name, uid) else {
        return;
    };
    let at = cluster.timestamp();
    let always = pod
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("Always")
        == "Always";
    let status = pod.status.get_or_insert_with(Default::default);
    for container in status.container_statuses.iter_mut().flatten() {
        let terminated = terminated_state(container, 0, at);
        container.ready = false;
        container.started = Some(false);
        if always {
            container.last_state = Some(terminated);
            container.restart_count += 1;
            container.state = Some(waiting_state(
                "CrashLoopBackOff",
                Some(format!(
                    "back-off 10s restarting failed container={} pod={name}_{namespace}({uid})",
                    container.name
                )),
            ));
        } else {
            container.state = Some(terminated);
        }
    }
    if always {
        status.conditions = Some(running_conditions(status, at));
    } else {
        status.phase = Some("Succeeded".into());
        status.conditions = Some(terminal_conditions(status, at, false));
    }
    save(cluster, &pod);
    reconcile_namespace(cluster, namespace);
}

// ---- graceful deletion ----------------------------------------------------

/// The kubelet sees a running pod marked for deletion: its containers get
/// SIGTERM and stop passing their readiness probes (at once, on the
/// clock, so that it is an update of its own).
pub fn terminating(cluster: &mut Cluster, namespace: &str, name: &str, uid: &str) {
    later(
        cluster,
        Duration::ZERO,
        namespace,
        name,
        uid,
        |c, ns, n, u| {
            let Some(mut pod) = c.get::<Pod>(ns, n) else {
                return;
            };
            if pod.metadata.uid.as_deref() != Some(u) || pods::phase(&pod) != "Running" {
                return;
            }
            let at = c.timestamp();
            let status = pod.status.get_or_insert_with(Default::default);
            for container in status.container_statuses.iter_mut().flatten() {
                container.ready = false;
            }
            status.conditions = Some(running_conditions(status, at));
            save(c, &pod);
            reconcile_namespace(c, ns);
        },
    );
}

/// A terminating pod's containers have stopped (exit 0 on SIGTERM; a
/// crash-looping one keeps its failure): the kubelet reports the pod
/// terminal before it is removed. A pod that never started is left as is.
pub fn terminated(cluster: &mut Cluster, namespace: &str, name: &str) {
    let Some(mut pod) = cluster.get::<Pod>(namespace, name) else {
        return;
    };
    if pods::phase(&pod) != "Running" {
        return;
    }
    let at = cluster.timestamp();
    let status = pod.status.get_or_insert_with(Default::default);
    let mut failed = false;
    for container in status.container_statuses.iter_mut().flatten() {
        let state = container.state.clone().unwrap_or_default();
        if state.running.is_some() {
            container.state = Some(terminated_state(container, 0, at));
        } else if state.waiting.is_some()
            && let Some(last) = container
                .last_state
                .as_ref()
                .and_then(|s| s.terminated.clone())
        {
            failed |= last.exit_code != 0;
            container.state = Some(ContainerState {
                terminated: Some(last),
                ..Default::default()
            });
        }
        container.ready = false;
        container.started = Some(false);
    }
    status.phase = Some(if failed { "Failed" } else { "Succeeded" }.into());
    status.conditions = Some(terminal_conditions(status, at, failed));
    save(cluster, &pod);
}

/// A container state waiting for `reason` (ErrImagePull, CrashLoopBackOff,
/// ContainerCreating...), with the kubelet's message when it writes one.
pub(super) fn waiting_state(reason: &str, message: Option<String>) -> ContainerState {
    ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: Some(reason.into()),
            message,
        }),
        ..Default::default()
    }
}
