//! What a pod looks like once the scheduler and the kubelet have dealt
//! with it: the pod made from a template (owner, node, labels), and the
//! statuses a kubelet reports — running and ready, completed (Job pods), or
//! pending (created, not scheduled yet; the steps in between are
//! `kubelet.rs`'s). The runtime details are
//! the containerd ones: normalized image names, `imageID` digests,
//! `containerd://` IDs, and the user the process really runs as
//! (`status.containerStatuses[].user.linux`, filled in by 1.33 kubelets).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStatus,
    ContainerUser, HostIP, LinuxContainerUser, Pod, PodCondition, PodIP, PodSpec, PodStatus,
    VolumeMountStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use super::names::{hex64, seconds};

/// Where a pod runs: the node's name and address and the pod's IP.
#[derive(Debug, Clone)]
pub struct Placement {
    pub node: String,
    pub host_ip: String,
    pub pod_ip: String,
}

/// The image name as containerd reports it in `status.containerStatuses[].image`:
/// `redis:7.2` is `docker.io/library/redis:7.2`, no tag means `:latest`.
pub fn normalize_image(image: &str) -> String {
    let (path, reference) = match image.split_once('@') {
        Some((path, digest)) => (path.to_string(), format!("@{digest}")),
        None => {
            let last = image.rsplit('/').next().unwrap_or(image);
            match last.rsplit_once(':') {
                Some((_, tag)) => (
                    image[..image.len() - tag.len() - 1].to_string(),
                    format!(":{tag}"),
                ),
                None => (image.to_string(), ":latest".to_string()),
            }
        }
    };
    let first = path.split('/').next().unwrap_or_default();
    let has_registry =
        path.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let path = if has_registry {
        path
    } else if path.contains('/') {
        format!("docker.io/{path}")
    } else {
        format!("docker.io/library/{path}")
    };
    format!("{path}{reference}")
}

/// The repository of a normalized image (no tag, no digest).
fn repository(normalized: &str) -> &str {
    if let Some((path, _)) = normalized.split_once('@') {
        return path;
    }
    let last = normalized.rsplit('/').next().unwrap_or(normalized);
    match last.rsplit_once(':') {
        Some((_, tag)) => &normalized[..normalized.len() - tag.len() - 1],
        None => normalized,
    }
}

/// `status.containerStatuses[].imageID`: the repository and its digest.
pub fn image_id(image: &str) -> String {
    let normalized = normalize_image(image);
    if normalized.contains("@sha256:") {
        return normalized;
    }
    format!("{}@sha256:{}", repository(&normalized), hex64(&normalized))
}

pub fn container_id(pod_uid: &str, container: &str, restart: i32) -> String {
    format!(
        "containerd://{}",
        hex64(&format!("{pod_uid}/{container}/{restart}"))
    )
}

/// The QoS class of a pod: Guaranteed when every container has equal CPU
/// and memory requests and limits, BestEffort when none has any, else
/// Burstable.
pub fn qos_class(spec: &PodSpec) -> &'static str {
    let containers: Vec<&Container> = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .collect();
    let mut any = false;
    let mut guaranteed = true;
    for c in &containers {
        let resources = c.resources.clone().unwrap_or_default();
        let requests = resources.requests.unwrap_or_default();
        let limits = resources.limits.unwrap_or_default();
        if !requests.is_empty() || !limits.is_empty() {
            any = true;
        }
        for name in ["cpu", "memory"] {
            let limit = limits.get(name);
            let request = requests.get(name).or(limit);
            if limit.is_none() || request != limit {
                guaranteed = false;
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// The user a container's process runs as: `runAsUser`/`runAsGroup` of the
/// container, else of the pod, else the image's own user (`image_user`),
/// and the supplementary groups (primary group, `fsGroup`,
/// `supplementalGroups`).
pub fn effective_user(
    spec: &PodSpec,
    container: &Container,
    image_user: (i64, i64),
) -> LinuxContainerUser {
    let pod = spec.security_context.clone().unwrap_or_default();
    let own = container.security_context.clone().unwrap_or_default();
    let uid = own.run_as_user.or(pod.run_as_user).unwrap_or(image_user.0);
    let gid = own
        .run_as_group
        .or(pod.run_as_group)
        .unwrap_or(image_user.1);
    let mut groups = vec![gid];
    for g in pod
        .fs_group
        .into_iter()
        .chain(pod.supplemental_groups.into_iter().flatten())
    {
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    LinuxContainerUser {
        uid,
        gid,
        supplemental_groups: Some(groups),
    }
}

pub(super) fn time(at: Timestamp) -> Option<Time> {
    Some(Time(at))
}

pub(super) fn condition(
    type_: &str,
    ok: bool,
    at: Timestamp,
    reason: Option<&str>,
) -> PodCondition {
    PodCondition {
        type_: type_.into(),
        status: if ok { "True" } else { "False" }.into(),
        last_transition_time: time(at),
        reason: reason.map(String::from),
        ..Default::default()
    }
}

pub(super) fn mounts_status(container: &Container) -> Option<Vec<VolumeMountStatus>> {
    let mounts = container.volume_mounts.as_ref()?;
    Some(
        mounts
            .iter()
            .map(|m| VolumeMountStatus {
                name: m.name.clone(),
                mount_path: m.mount_path.clone(),
                read_only: m.read_only.filter(|r| *r),
                recursive_read_only: m.read_only.filter(|r| *r).map(|_| "Disabled".into()),
            })
            .collect(),
    )
}

/// The images' own users (the `USER` of their Dockerfile), by image
/// repository or full reference; unknown images run as root, as most do.
#[derive(Debug, Clone, Default)]
pub struct ImageUsers(pub BTreeMap<String, (i64, i64)>);

impl ImageUsers {
    pub fn of(&self, image: &str) -> (i64, i64) {
        let normalized = normalize_image(image);
        [image, normalized.as_str(), repository(&normalized)]
            .iter()
            .chain(image.rsplit_once(':').map(|(r, _)| r).iter())
            .find_map(|key| self.0.get(*key).copied())
            .unwrap_or((0, 0))
    }
}

pub(super) fn container_status(
    pod_uid: &str,
    spec: &PodSpec,
    container: &Container,
    started: Timestamp,
    users: &ImageUsers,
) -> ContainerStatus {
    let image = container.image.clone().unwrap_or_default();
    ContainerStatus {
        name: container.name.clone(),
        image: normalize_image(&image),
        image_id: image_id(&image),
        container_id: Some(container_id(pod_uid, &container.name, 0)),
        ready: true,
        started: Some(true),
        restart_count: 0,
        state: Some(ContainerState {
            running: Some(ContainerStateRunning {
                started_at: time(started),
            }),
            ..Default::default()
        }),
        last_state: Some(ContainerState::default()),
        user: Some(ContainerUser {
            linux: Some(effective_user(spec, container, users.of(&image))),
        }),
        volume_mounts: mounts_status(container),
        resources: container
            .resources
            .clone()
            .filter(|r| r.limits.is_some() || r.requests.is_some()),
        ..Default::default()
    }
}

fn completed_container_status(
    pod_uid: &str,
    spec: &PodSpec,
    container: &Container,
    started: Timestamp,
    finished: Timestamp,
    users: &ImageUsers,
) -> ContainerStatus {
    let id = container_id(pod_uid, &container.name, 0);
    ContainerStatus {
        ready: false,
        started: Some(false),
        state: Some(ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: 0,
                reason: Some("Completed".into()),
                started_at: time(started),
                finished_at: time(finished),
                container_id: Some(id),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..container_status(pod_uid, spec, container, started, users)
    }
}

/// Init containers of a started pod: sidecars (restartPolicy Always) run,
/// the others completed.
pub(super) fn init_statuses(
    pod_uid: &str,
    spec: &PodSpec,
    scheduled: Timestamp,
    users: &ImageUsers,
) -> Option<Vec<ContainerStatus>> {
    let init = spec.init_containers.as_ref()?;
    Some(
        init.iter()
            .map(|c| {
                if c.restart_policy.as_deref() == Some("Always") {
                    container_status(pod_uid, spec, c, scheduled + seconds(1), users)
                } else {
                    let mut status = completed_container_status(
                        pod_uid,
                        spec,
                        c,
                        scheduled + seconds(1),
                        scheduled + seconds(2),
                        users,
                    );
                    // A completed init container counts as ready.
                    status.ready = true;
                    status
                }
            })
            .collect(),
    )
}

/// The status of a pod running and ready since `scheduled` + a few seconds.
pub fn running_status(
    pod: &Pod,
    placement: &Placement,
    scheduled: Timestamp,
    users: &ImageUsers,
) -> PodStatus {
    let spec = pod.spec.clone().unwrap_or_default();
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let initialized = scheduled + seconds(2);
    let started = scheduled + seconds(3);
    let ready = scheduled + seconds(6);
    PodStatus {
        phase: Some("Running".into()),
        conditions: Some(vec![
            condition(
                "PodReadyToStartContainers",
                true,
                scheduled + seconds(1),
                None,
            ),
            condition("Initialized", true, initialized, None),
            condition("Ready", true, ready, None),
            condition("ContainersReady", true, ready, None),
            condition("PodScheduled", true, scheduled, None),
        ]),
        host_ip: Some(placement.host_ip.clone()),
        host_ips: Some(vec![HostIP {
            ip: placement.host_ip.clone(),
        }]),
        pod_ip: Some(placement.pod_ip.clone()),
        pod_ips: Some(vec![PodIP {
            ip: placement.pod_ip.clone(),
        }]),
        start_time: time(scheduled),
        qos_class: Some(qos_class(&spec).into()),
        container_statuses: Some(
            spec.containers
                .iter()
                .map(|c| container_status(&uid, &spec, c, started, users))
                .collect(),
        ),
        init_container_statuses: init_statuses(&uid, &spec, scheduled, users),
        ..Default::default()
    }
}

/// The status of a pod that ran to completion (a Job's).
pub fn succeeded_status(
    pod: &Pod,
    placement: &Placement,
    scheduled: Timestamp,
    users: &ImageUsers,
) -> PodStatus {
    let spec = pod.spec.clone().unwrap_or_default();
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let started = scheduled + seconds(3);
    let finished = scheduled + seconds(40);
    let completed = Some("PodCompleted");
    PodStatus {
        phase: Some("Succeeded".into()),
        conditions: Some(vec![
            condition("PodReadyToStartContainers", false, finished, None),
            condition("Initialized", true, scheduled + seconds(2), completed),
            condition("Ready", false, finished, completed),
            condition("ContainersReady", false, finished, completed),
            condition("PodScheduled", true, scheduled, None),
        ]),
        host_ip: Some(placement.host_ip.clone()),
        host_ips: Some(vec![HostIP {
            ip: placement.host_ip.clone(),
        }]),
        pod_ip: Some(placement.pod_ip.clone()),
        pod_ips: Some(vec![PodIP {
            ip: placement.pod_ip.clone(),
        }]),
        start_time: time(scheduled),
        qos_class: Some(qos_class(&spec).into()),
        container_statuses: Some(
            spec.containers
                .iter()
                .map(|c| completed_container_status(&uid, &spec, c, started, finished, users))
                .collect(),
        ),
        init_container_statuses: init_statuses(&uid, &spec, scheduled, users),
        ..Default::default()
    }
}

/// The status of a pod nobody has scheduled yet (created through the API
/// or by a controller after the build; `kubelet.rs` takes it from there).
pub fn pending_status(pod: &Pod) -> PodStatus {
    let spec = pod.spec.clone().unwrap_or_default();
    PodStatus {
        phase: Some("Pending".into()),
        qos_class: Some(qos_class(&spec).into()),
        ..Default::default()
    }
}

/// Whether a pod counts as ready (its Ready condition is True).
pub fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Whether a pod is on its way out (`metadata.deletionTimestamp` set).
pub fn is_terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

pub fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

/// Recomputes the pod's Ready/ContainersReady conditions from its
/// container statuses (what the kubelet's status manager does).
pub fn refresh_readiness(pod: &mut Pod, at: Timestamp) {
    let Some(status) = pod.status.as_mut() else {
        return;
    };
    let statuses = status.container_statuses.clone().unwrap_or_default();
    let unready: Vec<String> = statuses
        .iter()
        .filter(|s| !s.ready)
        .map(|s| s.name.clone())
        .collect();
    let ready = unready.is_empty() && status.phase.as_deref() == Some("Running");
    for c in status.conditions.iter_mut().flatten() {
        if c.type_ != "Ready" && c.type_ != "ContainersReady" {
            continue;
        }
        let was = c.status == "True";
        if was != ready {
            c.last_transition_time = time(at);
        }
        c.status = if ready { "True" } else { "False" }.into();
        if ready {
            c.reason = None;
            c.message = None;
        } else if status.phase.as_deref() == Some("Running") {
            c.reason = Some("ContainersNotReady".into());
            c.message = Some(format!(
                "containers with unready status: [{}]",
                unready.join(" ")
            ));
        }
    }
}
