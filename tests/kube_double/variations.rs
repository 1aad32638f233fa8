//! Runtime defects the manifests cannot show, made the way they show on a
//! real cluster: a container in CrashLoopBackOff, restarts after an OOM
//! kill, a readiness probe failing, a process running as root although the
//! manifest does not say so, all replicas scheduled on one node, a rollout
//! that is stuck or not yet observed. Each changes pods (the kubelet's
//! view) and lets the controllers recompute the workload statuses, or
//! tells the Deployment controller what to report.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, ContainerUser, HostIP, LinuxContainerUser, Pod, PodIP,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::{Value, json};

use super::cluster::{Cluster, ControllerOverride, Kind};
use super::controllers;
use super::kubelet::waiting_state;
use super::names::{format_time, now, seconds};
use super::pods::{container_id, refresh_readiness};
use super::resources::GroupResource;
use super::statuses;

/// How a stuck rollout looks (see [`Cluster::stall_rollout`]).
#[derive(Debug, Clone)]
pub struct Rollout {
    /// Pods of the new ReplicaSet (none of them ready).
    pub updated: i64,
    /// `Progressing` False with `ProgressDeadlineExceeded`, rather than
    /// True with `ReplicaSetUpdated`.
    pub deadline_exceeded: bool,
    /// The new image of the first container (default: the same image,
    /// restarted as `kubectl rollout restart` does).
    pub image: Option<String>,
}

impl Default for Rollout {
    fn default() -> Rollout {
        Rollout {
            updated: 1,
            deadline_exceeded: false,
            image: None,
        }
    }
}

/// Why a container last terminated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    /// Killed by the kernel's OOM killer (exit code 137).
    OomKilled,
    /// Exited with code 1.
    Error,
}

fn status_of<'a>(pod: &'a mut Pod, container: &str) -> &'a mut ContainerStatus {
    let name = pod.metadata.name.clone().unwrap_or_default();
    pod.status
        .as_mut()
        .and_then(|s| s.container_statuses.as_mut())
        .and_then(|cs| cs.iter_mut().find(|c| c.name == container))
        .unwrap_or_else(|| panic!("pod {name} has no container {container:?}"))
}

fn key(plural: &str, namespace: &str, name: &str) -> (String, String, String) {
    (plural.into(), namespace.into(), name.into())
}

impl Cluster {
    /// A container crash-looping: waiting in `CrashLoopBackOff` after 7
    /// restarts, its last run terminated with exit code 1 (`Error`), not
    /// ready; the pod is not Ready and its workload counts one ready and
    /// available replica less.
    pub fn crash_loop(&mut self, namespace: &str, pod: &str, container: &str) -> Pod {
        let at = now();
        self.pod_mut(namespace, pod, |p| {
            let uid = p.metadata.uid.clone().unwrap_or_default();
            let pod_name = p.metadata.name.clone().unwrap_or_default();
            let pod_namespace = p.metadata.namespace.clone().unwrap_or_default();
            let status = status_of(p, container);
            status.restart_count = 7;
            status.ready = false;
            status.started = Some(false);
            let id = container_id(&uid, container, 7);
            status.container_id = Some(id.clone());
            status.last_state = Some(ContainerState {
                terminated: Some(ContainerStateTerminated {
                    exit_code: 1,
                    reason: Some("Error".into()),
                    started_at: Some(Time(at - seconds(25))),
                    finished_at: Some(Time(at - seconds(20))),
                    container_id: Some(id),
                    ..Default::default()
                }),
                ..Default::default()
            });
            status.state = Some(waiting_state("CrashLoopBackOff", Some(format!(
                        "back-off 5m0s restarting failed container={container} pod={pod_name}_{pod_namespace}({uid})"
                    ))));
            refresh_readiness(p, at);
        })
    }

    /// A container that restarted `restarts` times, the last time killed
    /// (`OOMKilled`, exit 137) or failed (`Error`, exit 1); it runs again
    /// and is ready.
    pub fn restart_container(
        &mut self,
        namespace: &str,
        pod: &str,
        container: &str,
        restarts: i32,
        why: Termination,
    ) -> Pod {
        let at = now();
        self.pod_mut(namespace, pod, |p| {
            let uid = p.metadata.uid.clone().unwrap_or_default();
            let status = status_of(p, container);
            let (code, reason) = match why {
                Termination::OomKilled => (137, "OOMKilled"),
                Termination::Error => (1, "Error"),
            };
            status.restart_count = restarts;
            status.last_state = Some(ContainerState {
                terminated: Some(ContainerStateTerminated {
                    exit_code: code,
                    reason: Some(reason.into()),
                    started_at: Some(Time(at - seconds(900))),
                    finished_at: Some(Time(at - seconds(300))),
                    container_id: Some(container_id(&uid, container, restarts - 1)),
                    ..Default::default()
                }),
                ..Default::default()
            });
            status.container_id = Some(container_id(&uid, container, restarts));
            status.state = Some(ContainerState {
                running: Some(ContainerStateRunning {
                    started_at: Some(Time(at - seconds(299))),
                }),
                ..Default::default()
            });
        })
    }

    /// A container whose readiness probe fails (running, not ready), or
    /// passes again.
    pub fn set_container_ready(
        &mut self,
        namespace: &str,
        pod: &str,
        container: &str,
        ready: bool,
    ) -> Pod {
        let at = now();
        self.pod_mut(namespace, pod, |p| {
            status_of(p, container).ready = ready;
            refresh_readiness(p, at);
        })
    }

    /// The process of `container` runs as `uid:gid` whatever the manifest
    /// says (what the kubelet reports in `containerStatuses[].user`).
    pub fn run_as(
        &mut self,
        namespace: &str,
        pod: &str,
        container: &str,
        uid: i64,
        gid: i64,
    ) -> Pod {
        self.pod_mut(namespace, pod, |p| {
            let status = status_of(p, container);
            let groups = status
                .user
                .as_ref()
                .and_then(|u| u.linux.as_ref())
                .and_then(|l| l.supplemental_groups.clone())
                .unwrap_or_default();
            let mut groups: Vec<i64> = groups.into_iter().filter(|g| *g != gid).collect();
            groups.insert(0, gid);
            status.user = Some(ContainerUser {
                linux: Some(LinuxContainerUser {
                    uid,
                    gid,
                    supplemental_groups: Some(groups),
                }),
            });
        })
    }

    /// [`Cluster::run_as`] root (uid 0, gid 0).
    pub fn run_as_root(&mut self, namespace: &str, pod: &str, container: &str) -> Pod {
        self.run_as(namespace, pod, container, 0, 0)
    }

    /// Every pod of `workload` scheduled on the nodes given (round-robin;
    /// one node puts all replicas on it, and in its zone).
    pub fn place_on_nodes(&mut self, namespace: &str, workload: &str, nodes: &[&str]) {
        let pods = self.pod_names_of(namespace, workload);
        for (i, pod) in pods.iter().enumerate() {
            let node = nodes[i % nodes.len()];
            let index = self
                .options
                .nodes
                .iter()
                .position(|n| n.name == node)
                .unwrap_or_else(|| panic!("no node {node}"));
            let host_ip = format!("172.18.0.{}", index + 2);
            let pod_ip = format!("10.244.{index}.{}", 200 + i);
            self.pod_mut(namespace, pod, |p| {
                p.spec.get_or_insert_with(Default::default).node_name = Some(node.into());
                let status = p.status.get_or_insert_with(Default::default);
                status.host_ip = Some(host_ip.clone());
                status.host_ips = Some(vec![HostIP {
                    ip: host_ip.clone(),
                }]);
                status.pod_ip = Some(pod_ip.clone());
                status.pod_ips = Some(vec![PodIP { ip: pod_ip.clone() }]);
            });
        }
    }

    /// [`Cluster::place_on_nodes`] with a single node.
    pub fn place_on_node(&mut self, namespace: &str, workload: &str, node: &str) {
        self.place_on_nodes(namespace, workload, &[node]);
    }

    /// A rollout in progress that does not finish: the Deployment's
    /// template changed (generation +1, observed), a new ReplicaSet has
    /// `rollout.updated` pods that are not ready, the old one was scaled
    /// down by `maxUnavailable` (none with maxUnavailable 0, where the
    /// surge pod is extra), and `Progressing` says `ReplicaSetUpdated` or
    /// `ProgressDeadlineExceeded`.
    pub fn stall_rollout(
        &mut self,
        namespace: &str,
        deployment: &str,
        rollout: Rollout,
    ) -> Deployment {
        let resource = self.resource_of::<Deployment>();
        let deployments = resource.group_resource();
        let mut d = self
            .store
            .get(&deployments, namespace, deployment)
            .cloned()
            .unwrap_or_else(|| panic!("no deployment {namespace}/{deployment}"));
        let old_sets: Vec<Value> = self
            .store
            .list(&GroupResource::new("apps", "replicasets"), namespace)
            .filter(|rs| {
                rs["metadata"]["ownerReferences"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|r| r["uid"] == d["metadata"]["uid"]))
            })
            .cloned()
            .collect();
        match &rollout.image {
            Some(image) => d["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image),
            None => {
                d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] =
                    json!(format_time(now()))
            }
        }
        let progressing = if rollout.deadline_exceeded {
            "ProgressDeadlineExceeded"
        } else {
            "ReplicaSetUpdated"
        };
        self.overrides.insert(
            key("deployments", namespace, deployment),
            ControllerOverride {
                progressing: Some(progressing.into()),
                ..Default::default()
            },
        );
        let d = self.replace_json(&resource, d);
        let replicas = d["spec"]["replicas"].as_i64().unwrap_or(1);
        let (_, max_unavailable) = controllers::surge_and_unavailable(&d);
        // The old ReplicaSet keeps what maxUnavailable allows.
        let keep = (replicas - max_unavailable).max(0);
        let rs_resource = self
            .catalog
            .by_plural("apps", "v1", "replicasets")
            .expect("built in")
            .clone();
        for old in old_sets {
            let old_name = old["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let mut old = old;
            old["spec"]["replicas"] = json!(keep);
            self.replace_json(&rs_resource, old);
            let pods = self.pod_names_of(namespace, &old_name);
            for extra in pods.iter().skip(keep as usize) {
                self.store
                    .remove(&GroupResource::new("", "pods"), namespace, extra);
            }
        }
        let new_set = controllers::ensure_replica_set(self, namespace, &d, rollout.updated);
        let at = now();
        for pod in self.pod_names_of(namespace, &new_set) {
            self.pod_mut(namespace, &pod, |p| {
                for status in p
                    .status
                    .iter_mut()
                    .flat_map(|s| s.container_statuses.iter_mut().flatten())
                {
                    status.ready = false;
                }
                refresh_readiness(p, at);
            });
        }
        statuses::reconcile_namespace(self, namespace);
        self.get(namespace, deployment).expect("the deployment")
    }

    /// A Deployment whose latest spec change the controller has not seen
    /// yet: `generation` one more than `status.observedGeneration`, the
    /// rest of the status as before.
    pub fn rollout_not_observed(&mut self, namespace: &str, deployment: &str) -> Deployment {
        let resource = self.resource_of::<Deployment>();
        let mut d = self
            .store
            .get(&resource.group_resource(), namespace, deployment)
            .cloned()
            .unwrap_or_else(|| panic!("no deployment {namespace}/{deployment}"));
        let observed = d["metadata"]["generation"].as_i64().unwrap_or(1);
        self.overrides.insert(
            key("deployments", namespace, deployment),
            ControllerOverride {
                observed_generation: Some(observed),
                ..Default::default()
            },
        );
        d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] =
            json!(format_time(now()));
        self.replace_json(&resource, d);
        statuses::reconcile_namespace(self, namespace);
        self.get(namespace, deployment).expect("the deployment")
    }

    /// The controller of this workload stops touching its status: whatever
    /// a test writes into it stays.
    pub fn freeze_status<K: Kind>(&mut self, namespace: &str, name: &str) {
        self.overrides
            .entry(key(K::URL_PATH_SEGMENT, namespace, name))
            .or_default()
            .frozen = true;
    }

    /// Back to the truth: the controller computes the status again.
    pub fn release_status<K: Kind>(&mut self, namespace: &str, name: &str) {
        self.overrides
            .remove(&key(K::URL_PATH_SEGMENT, namespace, name));
        statuses::reconcile_namespace(self, namespace);
    }
}
