//! The inventory: every object of the target, typed where golive knows the
//! kind (k8s-openapi, one pinned API version), kept as a dynamic object where
//! it does not (CRDs, unknown kinds), each with the place it came from.
//! Indexed by kind and namespace; workloads are reachable through
//! [`Object::workload`] whatever their kind.

pub mod alert_rules;
pub mod api_versions;
pub mod cron;
pub mod rbac;
pub mod references;
pub mod selector;
pub mod unknown_fields;
pub mod workload;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use k8s_openapi::api::{
    apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet},
    autoscaling::v2::HorizontalPodAutoscaler,
    batch::v1::{CronJob, Job},
    core::v1::{
        ConfigMap, Namespace, Node as ClusterNode, PersistentVolumeClaim, Pod, Secret, Service,
        ServiceAccount,
    },
    networking::v1::{Ingress, NetworkPolicy},
    policy::v1::PodDisruptionBudget,
    rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::source::yaml::{Node, Position};
pub use workload::{ContainerKind, ContainerRef, TemplatedWorkload, Workload};

/// The kinds [`Object::workload`] knows, that run pods.
pub const WORKLOAD_KINDS: [&str; 7] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
];

/// The API group of an `apiVersion` (`apps/v1` → `apps`, `v1` → the core
/// group, empty).
pub fn api_group(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

/// The names of the Services an Ingress sends traffic to (rule paths and
/// the default backend).
pub fn ingress_backend_services(ingress: &Ingress) -> impl Iterator<Item = &str> {
    let spec = ingress.spec.as_ref();
    let default = spec
        .and_then(|s| s.default_backend.as_ref())
        .and_then(|b| b.service.as_ref())
        .map(|s| s.name.as_str());
    let rules = spec
        .and_then(|s| s.rules.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|rule| rule.http.as_ref())
        .flat_map(|http| http.paths.iter())
        .filter_map(|path| path.backend.service.as_ref())
        .map(|service| service.name.as_str());
    default.into_iter().chain(rules)
}

/// Where an object, or one of its fields, was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLocation {
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Line 0: a place that is not a position in a file (a profile key).
        if self.line == 0 {
            return f.write_str(&self.file);
        }
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The identity of an object: `Kind/namespace/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectRef {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{}/{}/{}", self.kind, namespace, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// The typed content of an object. Kinds golive does not model are
/// [`Resource::Dynamic`]: kept, counted, never silently dropped.
#[derive(Debug, Clone)]
pub enum Resource {
    Deployment(Box<Deployment>),
    StatefulSet(Box<StatefulSet>),
    DaemonSet(Box<DaemonSet>),
    ReplicaSet(Box<ReplicaSet>),
    Job(Box<Job>),
    CronJob(Box<CronJob>),
    Pod(Box<Pod>),
    Service(Box<Service>),
    Ingress(Box<Ingress>),
    NetworkPolicy(Box<NetworkPolicy>),
    PodDisruptionBudget(Box<PodDisruptionBudget>),
    HorizontalPodAutoscaler(Box<HorizontalPodAutoscaler>),
    Namespace(Box<Namespace>),
    Secret(Box<Secret>),
    ConfigMap(Box<ConfigMap>),
    PersistentVolumeClaim(Box<PersistentVolumeClaim>),
    ServiceAccount(Box<ServiceAccount>),
    Role(Box<Role>),
    ClusterRole(Box<ClusterRole>),
    RoleBinding(Box<RoleBinding>),
    ClusterRoleBinding(Box<ClusterRoleBinding>),
    /// Only in a cluster's inventory: where pods run (zones, hostnames).
    Node(Box<ClusterNode>),
    /// A custom resource with a pod template (see [`TemplatedWorkload`]).
    Templated(Box<TemplatedWorkload>),
    Dynamic,
}

/// One object of the inventory.
#[derive(Debug, Clone)]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub resource: Resource,
    /// The file the object was read from and the position of its first line.
    pub origin: SourceLocation,
    /// The parsed document, for the positions of its fields.
    pub tree: Arc<Node>,
    /// Where the object sits inside `tree` (non-empty for `kind: List` items).
    pub tree_path: String,
    /// The pod's `spec.ephemeralContainers`, read as containers (the fields
    /// they share), so the checks judge them like the others.
    pub ephemeral_containers: Vec<k8s_openapi::api::core::v1::Container>,
}

impl Object {
    pub fn reference(&self) -> ObjectRef {
        ObjectRef {
            kind: self.kind.clone(),
            namespace: self.metadata.namespace.clone(),
            name: self.metadata.name.clone().unwrap_or_default(),
        }
    }

    pub fn namespace(&self) -> Option<&str> {
        self.metadata.namespace.as_deref()
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata
            .annotations
            .as_ref()?
            .get(key)
            .map(String::as_str)
    }

    /// The object as JSON, for kinds golive does not type (custom resources
    /// such as ServiceMonitor, PrometheusRule, ExternalSecret, Certificate).
    pub fn json(&self) -> serde_json::Value {
        let node = if self.tree_path.is_empty() {
            Some(self.tree.as_ref())
        } else {
            self.tree.at_path(&self.tree_path)
        };
        node.map_or(serde_json::Value::Null, Node::to_json)
    }

    /// Whether `owner` is this object's controller (same kind and name, and
    /// the same uid where both have one).
    pub fn is_controlled_by(&self, owner: &Object) -> bool {
        self.metadata.owner_references.iter().flatten().any(|r| {
            r.controller == Some(true)
                && r.kind == owner.kind
                && Some(&r.name) == owner.metadata.name.as_ref()
                && owner.metadata.uid.as_ref().is_none_or(|uid| *uid == r.uid)
        })
    }

    /// The API group of the object (`cert-manager.io` for `cert-manager.io/v1`).
    pub fn api_group(&self) -> &str {
        api_group(&self.api_version)
    }

    /// The labels of the object itself.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        self.metadata
            .labels
            .as_ref()
            .unwrap_or(&workload::NO_LABELS)
    }

    /// The source location of a field of this object, given by its path
    /// (e.g. `spec.template.spec.containers[0].livenessProbe`); a missing
    /// field points at its closest present parent.
    pub fn locate(&self, field_path: &str) -> SourceLocation {
        let full_path = if self.tree_path.is_empty() {
            field_path.to_string()
        } else {
            format!("{}.{}", self.tree_path, field_path)
        };
        let Position { line, column } = self.tree.position_of(&full_path);
        SourceLocation {
            file: self.origin.file.clone(),
            line,
            column,
        }
    }
}

/// What `id -u` printed in containers whose user the kubelet does not
/// report, by (namespace, pod, container): a uid, or `unknown: WHY`.
pub type ObservedUids = BTreeMap<(String, String, String), String>;

/// All objects of a target, with indexes.
#[derive(Debug, Default)]
pub struct Inventory {
    objects: Vec<Object>,
    by_kind: HashMap<String, Vec<usize>>,
    /// (kind, namespace) to its objects, in input order.
    by_kind_namespace: HashMap<(String, Option<String>), Vec<usize>>,
    /// (kind, namespace, name) to the first object with that identity.
    by_identity: HashMap<(String, Option<String>, String), usize>,
    /// In a cluster, with `--allow-exec`: see [`ObservedUids`].
    observed_uids: ObservedUids,
    /// When a cluster was read (see [`Inventory::read_at`]).
    read_at: Option<Timestamp>,
    /// The kinds of custom resources that run pods (see
    /// [`TemplatedWorkload`]), after [`WORKLOAD_KINDS`] in
    /// [`Inventory::workloads_in`].
    templated_kinds: Vec<String>,
}

/// How many objects of each kind an inventory holds, and how many of them
/// golive could not type (unknown kinds and custom resources).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InventoryCounts {
    pub objects: usize,
    pub workloads: usize,
    pub by_kind: BTreeMap<String, usize>,
    /// `apiVersion kind` of every untyped object, with its count.
    pub dynamic: BTreeMap<String, usize>,
}

impl Inventory {
    pub fn new(objects: Vec<Object>) -> Inventory {
        let mut by_kind: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_kind_namespace: HashMap<_, Vec<usize>> = HashMap::new();
        let mut by_identity = HashMap::new();
        let mut templated_kinds: Vec<String> = Vec::new();
        for (index, object) in objects.iter().enumerate() {
            if matches!(object.resource, Resource::Templated(_))
                && !templated_kinds.contains(&object.kind)
            {
                templated_kinds.push(object.kind.clone());
            }
            by_kind.entry(object.kind.clone()).or_default().push(index);
            by_kind_namespace
                .entry((object.kind.clone(), object.metadata.namespace.clone()))
                .or_default()
                .push(index);
            by_identity
                .entry((
                    object.kind.clone(),
                    object.metadata.namespace.clone(),
                    object.metadata.name.clone().unwrap_or_default(),
                ))
                .or_insert(index);
        }
        Inventory {
            objects,
            by_kind,
            by_kind_namespace,
            by_identity,
            observed_uids: ObservedUids::new(),
            read_at: None,
            templated_kinds,
        }
    }

    /// Records what containers answered to `id -u`.
    pub fn set_observed_uids(&mut self, observed: ObservedUids) {
        self.observed_uids = observed;
    }

    /// Records when the objects were read from a cluster.
    pub fn set_read_at(&mut self, read_at: Option<Timestamp>) {
        self.read_at = read_at;
    }

    /// When the objects were read from a cluster (the local clock as the
    /// read began): the "now" that the ages of their statuses are measured
    /// from. `None` for files, whose statuses have no "now".
    pub fn read_at(&self) -> Option<Timestamp> {
        self.read_at
    }

    /// What `id -u` printed in a container, if golive asked it.
    pub fn observed_uid(&self, namespace: &str, pod: &str, container: &str) -> Option<&str> {
        self.observed_uids
            .get(&(
                namespace.to_string(),
                pod.to_string(),
                container.to_string(),
            ))
            .map(String::as_str)
    }

    /// Every object, in input order.
    pub fn objects(&self) -> impl Iterator<Item = &Object> {
        self.objects.iter()
    }

    /// The object of this kind, namespace and name.
    pub fn get(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&Object> {
        self.by_identity
            .get(&(
                kind.to_string(),
                namespace.map(str::to_string),
                name.to_string(),
            ))
            .map(|&i| &self.objects[i])
    }

    /// Objects of one kind, in input order.
    pub fn of_kind<'a>(&'a self, kind: &str) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_kind
            .get(kind)
            .into_iter()
            .flatten()
            .map(|&i| &self.objects[i])
    }

    /// Objects of one kind in one namespace (`None`: objects without one).
    pub fn of_kind_in<'a>(
        &'a self,
        kind: &str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_kind_namespace
            .get(&(kind.to_string(), namespace.map(str::to_string)))
            .into_iter()
            .flatten()
            .map(|&i| &self.objects[i])
    }

    /// Whether a controller of the inventory manages `object` (a cluster's
    /// ReplicaSets and Pods, judged through their Deployment). An object
    /// whose controller was not read (an Argo Rollout, an operator's
    /// custom resource) is judged on its own.
    pub fn is_managed(&self, object: &Object) -> bool {
        object
            .metadata
            .owner_references
            .iter()
            .flatten()
            .filter(|owner| owner.controller == Some(true))
            .any(|owner| {
                self.get(&owner.kind, object.namespace(), &owner.name)
                    .is_some_and(|o| o.metadata.uid.as_ref().is_none_or(|uid| *uid == owner.uid))
            })
    }

    /// Every workload (anything with a pod template that no controller of
    /// the inventory manages, see [`Inventory::is_managed`]), in input order.
    pub fn workloads(&self) -> impl Iterator<Item = Workload<'_>> {
        self.objects
            .iter()
            .filter(|o| !self.is_managed(o))
            .filter_map(Object::workload)
    }

    /// The workloads of one namespace (kind by kind, each in input order).
    pub fn workloads_in<'a>(
        &'a self,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = Workload<'a>> + 'a {
        WORKLOAD_KINDS
            .iter()
            .copied()
            .chain(self.templated_kinds.iter().map(String::as_str))
            .flat_map(move |kind| self.of_kind_in(kind, namespace))
            .filter(|o| !self.is_managed(o))
            .filter_map(Object::workload)
    }

    /// The pods a workload runs (in a cluster's inventory): those it
    /// controls directly (StatefulSet, DaemonSet, Job) or through the
    /// objects it controls (a Deployment's ReplicaSets, a CronJob's Jobs).
    /// A bare Pod is its own pod.
    pub fn pods_of<'a>(&'a self, workload: &Workload<'a>) -> Vec<&'a Object> {
        let owner = workload.object;
        if matches!(owner.resource, Resource::Pod(_)) {
            return vec![owner];
        }
        let namespace = owner.namespace();
        let intermediates: Vec<&Object> = ["ReplicaSet", "Job"]
            .iter()
            .flat_map(|kind| self.of_kind_in(kind, namespace))
            .filter(|object| object.is_controlled_by(owner))
            .collect();
        self.of_kind_in("Pod", namespace)
            .filter(|pod| {
                pod.is_controlled_by(owner) || intermediates.iter().any(|i| pod.is_controlled_by(i))
            })
            .collect()
    }

    /// The Services whose selector selects the pods of `workload` (a
    /// Service selector is plain equality on every pair; an empty one
    /// selects nothing, as for the endpoints controller).
    pub fn services_selecting<'a>(
        &'a self,
        workload: &Workload<'a>,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        let labels = workload.pod_labels();
        let namespace = workload.object.namespace();
        self.of_kind_in("Service", namespace)
            .filter(move |object| match &object.resource {
                Resource::Service(service) => service
                    .spec
                    .as_ref()
                    .and_then(|spec| spec.selector.as_ref())
                    .is_some_and(|selector| {
                        !selector.is_empty()
                            && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
                    }),
                _ => false,
            })
    }

    /// The Ingresses that route to `workload` through a Service of its
    /// namespace (a rule's backend or the default backend naming a Service
    /// that selects the workload's pods): the workloads users reach from
    /// outside the cluster.
    pub fn ingresses_routing_to<'a>(
        &'a self,
        workload: &Workload<'a>,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        let services: Vec<&str> = self
            .services_selecting(workload)
            .filter_map(|s| s.metadata.name.as_deref())
            .collect();
        self.of_kind_in("Ingress", workload.object.namespace())
            .filter(move |object| match &object.resource {
                Resource::Ingress(ingress) => {
                    ingress_backend_services(ingress).any(|name| services.contains(&name))
                }
                _ => false,
            })
    }

    pub fn counts(&self) -> InventoryCounts {
        let mut counts = InventoryCounts {
            objects: self.objects.len(),
            ..Default::default()
        };
        for object in &self.objects {
            *counts.by_kind.entry(object.kind.clone()).or_default() += 1;
            if matches!(object.resource, Resource::Dynamic) {
                *counts
                    .dynamic
                    .entry(format!("{} {}", object.api_version, object.kind))
                    .or_default() += 1;
            }
            if !self.is_managed(object) && object.workload().is_some() {
                counts.workloads += 1;
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_groups_are_read_from_api_versions() {
        assert_eq!(api_group("apps/v1"), "apps");
        assert_eq!(api_group("argoproj.io/v1alpha1"), "argoproj.io");
        assert_eq!(api_group("v1"), "");
    }
}
