//! One view over every kind that runs pods (Deployment, StatefulSet,
//! DaemonSet, ReplicaSet, Job, CronJob, bare Pod, and custom resources with
//! a pod template such as Argo Rollouts and OpenShift DeploymentConfigs):
//! its pod template, its containers (regular, init, sidecar and ephemeral,
//! with their field paths) and whether it is meant to run forever or to
//! completion.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{Object, Resource};

/// A workload: an object and its pod template.
#[derive(Debug, Clone, Copy)]
pub struct Workload<'a> {
    pub object: &'a Object,
    /// Metadata of the pod template (the object's own for a bare Pod).
    pub pod_metadata: Option<&'a ObjectMeta>,
    pub pod_spec: &'a PodSpec,
    /// Field path of the pod spec inside the object, e.g. `spec.template.spec`.
    pub pod_spec_path: &'static str,
}

/// Which list of the pod spec a container belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerKind {
    Regular,
    Init,
    /// An init container with `restartPolicy: Always`: a native sidecar that
    /// runs for the pod's whole life.
    Sidecar,
    /// Added to a running pod for debugging (`kubectl debug`): it runs with
    /// the pod's privileges but has no probes, resources or ports.
    Ephemeral,
}

impl ContainerKind {
    /// Whether the container runs for the pod's whole life and may serve
    /// its ports (regular containers and native sidecars).
    pub fn serves(self) -> bool {
        matches!(self, ContainerKind::Regular | ContainerKind::Sidecar)
    }
}

/// A kind golive does not type that runs pods from a pod template at
/// `spec.template`: an Argo Rollout, an OpenShift DeploymentConfig, a
/// Knative Service, a ReplicationController, or any other kind of that
/// shape.
#[derive(Debug, Clone)]
pub struct TemplatedWorkload {
    pub template: PodTemplateSpec,
    /// The replica count, for the kinds whose `spec.replicas` means what a
    /// Deployment's does (Rollout, DeploymentConfig, ReplicationController;
    /// 1 when unset); `None` for kinds that scale otherwise.
    pub replicas: Option<i32>,
}

/// The kinds (API group, kind) read through their pod template whose
/// `spec.replicas` counts pods as a Deployment's does: custom resources,
/// and the core ReplicationController (defaulted to 1 replica, like a
/// Deployment), which golive does not type.
pub const REPLICATED_TEMPLATED_KINDS: &[(&str, &str)] = &[
    ("argoproj.io", "Rollout"),
    ("apps.openshift.io", "DeploymentConfig"),
    ("", "ReplicationController"),
];

/// A container of a workload, with the path of its definition.
#[derive(Debug, Clone)]
pub struct ContainerRef<'a> {
    pub container: &'a Container,
    pub kind: ContainerKind,
    /// e.g. `spec.template.spec.containers[1]`.
    pub path: String,
}

pub(super) static NO_LABELS: LazyLock<BTreeMap<String, String>> = LazyLock::new(BTreeMap::new);

impl Object {
    /// The workload view of this object, if it runs pods.
    pub fn workload(&self) -> Option<Workload<'_>> {
        let (template, pod_spec_path) = match &self.resource {
            Resource::Deployment(d) => (d.spec.as_ref().map(|s| &s.template), "spec.template.spec"),
            Resource::StatefulSet(s) => {
                (s.spec.as_ref().map(|s| &s.template), "spec.template.spec")
            }
            Resource::DaemonSet(d) => (d.spec.as_ref().map(|s| &s.template), "spec.template.spec"),
            Resource::ReplicaSet(r) => (
                r.spec.as_ref().and_then(|s| s.template.as_ref()),
                "spec.template.spec",
            ),
            Resource::Job(j) => (j.spec.as_ref().map(|s| &s.template), "spec.template.spec"),
            Resource::CronJob(c) => (
                c.spec
                    .as_ref()
                    .and_then(|s| s.job_template.spec.as_ref())
                    .map(|s| &s.template),
                "spec.jobTemplate.spec.template.spec",
            ),
            Resource::Templated(t) => (Some(&t.template), "spec.template.spec"),
            Resource::Pod(p) => {
                return p.spec.as_ref().map(|pod_spec| Workload {
                    object: self,
                    pod_metadata: Some(&p.metadata),
                    pod_spec,
                    pod_spec_path: "spec",
                });
            }
            _ => return None,
        };
        let template = template?;
        Some(Workload {
            object: self,
            pod_metadata: template.metadata.as_ref(),
            pod_spec: template.spec.as_ref()?,
            pod_spec_path,
        })
    }
}

impl<'a> Workload<'a> {
    /// The path of a field of the pod template's metadata (`labels` →
    /// `spec.template.metadata.labels`; a bare Pod's own `metadata.labels`).
    pub fn pod_metadata_field(&self, field: &str) -> String {
        match self.pod_spec_path.strip_suffix(".spec") {
            Some(template) => format!("{template}.metadata.{field}"),
            None => format!("metadata.{field}"),
        }
    }

    /// Labels of the pods this workload creates.
    pub fn pod_labels(&self) -> &'a BTreeMap<String, String> {
        self.pod_metadata
            .and_then(|m| m.labels.as_ref())
            .unwrap_or(&NO_LABELS)
    }

    /// An annotation of the workload or of its pod template.
    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.object
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(key))
            .or_else(|| self.pod_metadata?.annotations.as_ref()?.get(key))
            .map(String::as_str)
    }

    /// Whether the pods are meant to run until stopped (services, daemons),
    /// as opposed to running to completion (Jobs, CronJobs, batch Pods).
    pub fn is_long_running(&self) -> bool {
        match &self.object.resource {
            Resource::Job(_) | Resource::CronJob(_) => false,
            Resource::Pod(_) => {
                let owned_by_job = self
                    .object
                    .metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|owner| owner.kind == "Job");
                let restart = self.pod_spec.restart_policy.as_deref().unwrap_or("Always");
                !owned_by_job && restart == "Always"
            }
            _ => true,
        }
    }

    /// Every container, init containers first as the kubelet starts them,
    /// ephemeral containers last.
    pub fn containers(self) -> impl Iterator<Item = ContainerRef<'a>> + 'a {
        let base = self.pod_spec_path;
        let init = listed(
            self.pod_spec.init_containers.as_deref().unwrap_or_default(),
            base,
            "initContainers",
            |c| {
                if c.restart_policy.as_deref() == Some("Always") {
                    ContainerKind::Sidecar
                } else {
                    ContainerKind::Init
                }
            },
        );
        let regular = listed(&self.pod_spec.containers, base, "containers", |_| {
            ContainerKind::Regular
        });
        let ephemeral = listed(
            &self.object.ephemeral_containers,
            base,
            "ephemeralContainers",
            |_| ContainerKind::Ephemeral,
        );
        init.chain(regular).chain(ephemeral)
    }
}

/// The containers of one list of a pod spec (`containers` at `base`), each
/// with its kind and field path.
fn listed<'a>(
    containers: &'a [Container],
    base: &'static str,
    list: &'static str,
    kind: fn(&Container) -> ContainerKind,
) -> impl Iterator<Item = ContainerRef<'a>> + 'a {
    containers
        .iter()
        .enumerate()
        .map(move |(i, c)| ContainerRef {
            container: c,
            kind: kind(c),
            path: format!("{base}.{list}[{i}]"),
        })
}
