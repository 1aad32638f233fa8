//! The check registry. A check is metadata (stable ID `family.name`, title,
//! severity, rationale, remediation) plus a rule: a pure function over the
//! inventory, so the same check runs on manifests and on a live cluster.
//! Rules report findings through an [`Evaluation`], which fills in the
//! evidence and applies `golive.dev/skip` suppressions. Steps are the only
//! callers; the catalogue (`golive checks`) is generated from [`catalogue`].
//! Live checks (what only a running stack or cluster can show) are in the
//! same catalogue, their judges pure functions over recorded measurements
//! ([`live`]).

pub mod api;
pub mod availability;
pub mod backup;
pub mod catalogue;
pub mod cert_manager;
pub mod config;
pub mod image;
pub mod ingress;
pub mod live;
pub mod namespace;
pub mod network;
pub mod observability;
pub mod probe;
pub mod rbac;
mod references;
pub mod resources;
pub mod runtime;
pub mod secrets;
pub mod security;
pub mod service;
pub mod suppression;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::config::Profile;
use crate::evidence::{CheckOutcome, Finding};
use crate::model::selector::Selector;
use crate::model::{ContainerRef, Inventory, Object, Workload};

pub use crate::severity::Severity;

/// What a check needs to be judged: the target it reads, and what a run
/// must be allowed to do to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Needs {
    /// Rendered manifests (`--target manifests:DIR`).
    Manifests,
    /// A live cluster (`--target cluster`).
    Cluster,
    /// A stack golive starts (`--target stack:FILE`).
    Stack,
    /// A load campaign (a load profile run against an endpoint).
    Load,
    /// Breaking part of the target on purpose (`--allow-disruption`).
    Disruption,
}

impl std::fmt::Display for Needs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Needs::Manifests => "manifests",
            Needs::Cluster => "cluster",
            Needs::Stack => "stack",
            Needs::Load => "load",
            Needs::Disruption => "disruption",
        })
    }
}

/// What a rule over the inventory needs: manifests, or a cluster's objects.
pub const INVENTORY: &[Needs] = &[Needs::Manifests, Needs::Cluster];

/// What a rule over the live state of a cluster's objects (pod and
/// rollout statuses) needs.
pub const LIVE_CLUSTER: &[Needs] = &[Needs::Cluster];

/// What a check is and why it matters.
#[derive(Debug, Serialize)]
pub struct CheckMeta {
    pub id: &'static str,
    pub title: &'static str,
    /// What the rule judges, singular (`container`, `Ingress host`): when
    /// it finds none in scope, the item is not applicable, "no {judges} in
    /// scope".
    pub judges: &'static str,
    pub severity: Severity,
    /// The go-live checklist lines it serves (`GL-SEC-05`), as the
    /// features tag them (`@GL-SEC-05`).
    pub checklist: &'static [&'static str],
    /// What it needs to be judged.
    pub needs: &'static [Needs],
    pub rationale: &'static str,
    pub remediation: &'static str,
    /// Where golive deliberately judges otherwise than a peer tool on that
    /// tool's own fixtures (measured by tests/peers.rs on fixtures/peers/).
    pub differences: &'static [Difference],
}

/// A deliberate difference from a peer tool: "golive differs from {peer}
/// because {because}".
#[derive(Debug, Serialize)]
pub struct Difference {
    /// The peer tool as fixtures/peers/cases.yaml names it (`kube-score`).
    pub peer: &'static str,
    /// Why, as the end of a sentence starting "golive differs from {peer}
    /// because".
    pub because: &'static str,
}

impl CheckMeta {
    /// The family: the part of the ID before the dot (`probe`).
    pub fn family(&self) -> &'static str {
        self.id.split('.').next().unwrap_or(self.id)
    }
}

/// A check: its metadata and its rule.
pub struct Check {
    pub meta: CheckMeta,
    pub rule: Rule,
}

/// How a check judges.
pub enum Rule {
    /// A pure function over the inventory (manifests or cluster objects),
    /// run by `the checks "..." pass`.
    Inventory(fn(&Scope<'_>, &mut Evaluation<'_>)),
    /// A pure function over one recorded measurement of a live system (a
    /// TLS handshake, a recovery timeline, load figures), run by the
    /// runtime steps after they measured (see [`live`]).
    Live(live::Judge),
}

/// Every check golive knows, family by family (each family module lists
/// its own checks in `CHECKS`).
static FAMILIES: &[&[&Check]] = &[
    api::CHECKS,
    probe::CHECKS,
    resources::CHECKS,
    security::CHECKS,
    rbac::CHECKS,
    image::CHECKS,
    availability::CHECKS,
    network::CHECKS,
    ingress::CHECKS,
    cert_manager::CHECKS,
    namespace::CHECKS,
    service::CHECKS,
    secrets::CHECKS,
    config::CHECKS,
    observability::CHECKS,
    runtime::CHECKS,
    backup::CHECKS,
    suppression::CHECKS,
    live::health::CHECKS,
    live::container::CHECKS,
    live::tls::CHECKS,
    live::http::CHECKS,
    live::ratelimit::CHECKS,
    live::load::CHECKS,
    live::failover::CHECKS,
    live::rollout::CHECKS,
    live::backup::CHECKS,
    live::cluster::CHECKS,
];

/// Every check, in catalogue order.
pub fn catalogue() -> impl Iterator<Item = &'static Check> {
    FAMILIES.iter().flat_map(|family| family.iter().copied())
}

/// The check with this ID.
pub fn find(id: &str) -> Option<&'static Check> {
    catalogue().find(|check| check.meta.id == id)
}

/// The checks an ID or a family name (`probe`, `probe.*`) stands for.
pub fn resolve(id_or_family: &str) -> Vec<&'static Check> {
    let family = id_or_family.strip_suffix(".*").unwrap_or(id_or_family);
    match find(id_or_family) {
        Some(check) => vec![check],
        None => catalogue()
            .filter(|check| check.meta.family() == family)
            .collect(),
    }
}

/// Which workloads a scenario looks at.
#[derive(Debug, Clone, Default)]
pub struct WorkloadFilter {
    pub namespace: Option<String>,
    pub selector: Option<Selector>,
    /// `Kind/name` or `name`.
    pub names: Vec<String>,
}

impl WorkloadFilter {
    pub fn admits(&self, workload: &Workload<'_>) -> bool {
        let object = workload.object;
        let namespace_ok = self
            .namespace
            .as_deref()
            .is_none_or(|ns| object.namespace() == Some(ns));
        let labels_ok = self
            .selector
            .as_ref()
            .is_none_or(|s| s.matches(workload.pod_labels()));
        let name = object.metadata.name.as_deref().unwrap_or_default();
        let names_ok = self.names.is_empty()
            || self
                .names
                .iter()
                .any(|n| n == name || *n == format!("{}/{}", object.kind, name));
        namespace_ok && labels_ok && names_ok
    }
}

impl std::fmt::Display for WorkloadFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(namespace) = &self.namespace {
            parts.push(format!("namespace {namespace:?}"));
        }
        if let Some(selector) = &self.selector {
            parts.push(format!("labels {selector}"));
        }
        if !self.names.is_empty() {
            parts.push(format!("named {}", self.names.join(" or ")));
        }
        if parts.is_empty() {
            f.write_str("every workload")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

/// What a rule sees: the inventory, the profile's thresholds and the filter
/// of the scenario.
pub struct Scope<'a> {
    pub inventory: &'a Inventory,
    pub profile: &'a Profile,
    pub filter: &'a WorkloadFilter,
    /// When the filter picks workloads by labels or names: the namespaces of
    /// the workloads it admits (objects elsewhere are out of scope).
    workload_namespaces: Option<BTreeSet<Option<&'a str>>>,
}

impl<'a> Scope<'a> {
    pub fn new(
        inventory: &'a Inventory,
        profile: &'a Profile,
        filter: &'a WorkloadFilter,
    ) -> Scope<'a> {
        let narrowed = filter.selector.is_some() || !filter.names.is_empty();
        let workload_namespaces = narrowed.then(|| {
            inventory
                .workloads()
                .filter(|w| filter.admits(w))
                .map(|w| w.object.namespace())
                .collect()
        });
        Scope {
            inventory,
            profile,
            filter,
            workload_namespaces,
        }
    }

    /// The workloads the scenario is about.
    pub fn workloads(&self) -> impl Iterator<Item = Workload<'a>> + '_ {
        self.inventory.workloads().filter(|w| self.filter.admits(w))
    }

    /// Whether the filter picks workloads by labels or names, in which case
    /// rules about other objects (Services, Ingresses, policies) should look
    /// only at those related to the admitted workloads.
    pub fn is_narrowed(&self) -> bool {
        self.workload_namespaces.is_some()
    }

    /// Whether an object that is not a workload (Service, Ingress, Namespace,
    /// policy...) is in scope: in the filter's namespace, and, when the filter
    /// picks workloads, in the namespace of one of them.
    pub fn admits_object(&self, object: &Object) -> bool {
        let namespace = if object.kind == "Namespace" {
            object.metadata.name.as_deref()
        } else {
            object.namespace()
        };
        self.filter
            .namespace
            .as_deref()
            .is_none_or(|ns| namespace == Some(ns))
            && self
                .workload_namespaces
                .as_ref()
                .is_none_or(|namespaces| namespaces.contains(&namespace))
    }

    /// Every object in scope: the workloads the filter admits and the
    /// other objects [`Scope::admits_object`] admits.
    pub fn every_object(&self) -> impl Iterator<Item = &'a Object> + '_ {
        self.inventory
            .objects()
            .filter(|object| match object.workload() {
                Some(workload) => {
                    !self.inventory.is_managed(object) && self.filter.admits(&workload)
                }
                None => self.admits_object(object),
            })
    }

    /// Whether any object of the inventory is in scope (workload or not).
    pub fn admits_anything(&self) -> bool {
        !self.is_narrowed() && self.inventory.objects().any(|o| self.admits_object(o))
    }

    /// The workloads the scenario is about in one namespace.
    pub fn workloads_in(
        &self,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = Workload<'a>> + '_ {
        self.inventory
            .workloads_in(namespace)
            .filter(|w| self.filter.admits(w))
    }

    /// Every container (init, sidecar and regular) of every workload in
    /// scope, with its workload.
    pub fn containers(&self) -> impl Iterator<Item = (Workload<'a>, ContainerRef<'a>)> + '_ {
        self.workloads()
            .flat_map(|w| w.containers().map(move |c| (w, c)))
    }

    /// Objects of one kind that are in scope.
    pub fn objects(&self, kind: &str) -> impl Iterator<Item = &'a Object> + '_ {
        self.inventory
            .of_kind(kind)
            .filter(|object| self.admits_object(object))
    }
}

/// Collects what one rule finds: how many subjects it looked at and the
/// findings, with evidence and suppressions filled in.
pub struct Evaluation<'c> {
    meta: &'c CheckMeta,
    evaluated: usize,
    findings: Vec<Finding>,
}

/// One violation as a rule reports it.
pub struct Violation<'a> {
    pub object: &'a Object,
    pub container: Option<&'a str>,
    pub field: String,
    pub expected: String,
    pub found: String,
}

impl<'a> Violation<'a> {
    /// A violation by one container, at `field` inside its definition.
    pub fn on_container(
        workload: &Workload<'a>,
        container: &ContainerRef<'a>,
        field: &str,
        expected: &str,
        found: String,
    ) -> Violation<'a> {
        Violation {
            object: workload.object,
            container: Some(container.container.name.as_str()),
            field: format!("{}.{field}", container.path),
            expected: expected.to_string(),
            found,
        }
    }

    /// A violation by the pod spec of a workload (no container), at `field`
    /// inside it.
    pub fn on_pod_spec(
        workload: &Workload<'a>,
        field: &str,
        expected: &str,
        found: String,
    ) -> Violation<'a> {
        Violation {
            object: workload.object,
            container: None,
            field: format!("{}.{field}", workload.pod_spec_path),
            expected: expected.to_string(),
            found,
        }
    }
}

impl<'c> Evaluation<'c> {
    /// Reports an object the profile names that the target does not hold
    /// (`place` says where it is named; line 0: not a position in a file).
    /// Never suppressed: there is no object to carry a waiver.
    pub fn report_absent(
        &mut self,
        object: crate::model::ObjectRef,
        place: crate::model::SourceLocation,
        expected: String,
        found: String,
    ) {
        self.findings.push(Finding {
            check: self.meta.id,
            severity: self.meta.severity,
            object,
            container: None,
            field: "metadata.name".into(),
            location: place,
            expected,
            found,
            suppressed: None,
            note: None,
        });
    }

    /// Counts one subject (container, workload, object) as evaluated.
    pub fn evaluated(&mut self) {
        self.evaluated += 1;
    }

    pub fn report(&mut self, violation: Violation<'_>) {
        let Violation {
            object,
            container,
            field,
            expected,
            found,
        } = violation;
        let (suppressed, note) = match suppression::lookup(object, self.meta.id, container) {
            suppression::Suppression::None => (None, None),
            suppression::Suppression::Valid(reason) => (Some(reason), None),
            suppression::Suppression::MissingReason => {
                (None, Some(suppression::MISSING_REASON_NOTE.to_string()))
            }
        };
        self.findings.push(Finding {
            check: self.meta.id,
            severity: self.meta.severity,
            object: object.reference(),
            container: container.map(str::to_string),
            location: object.locate(&field),
            field,
            expected,
            found,
            suppressed,
            note,
        });
    }
}

impl Check {
    /// Whether its rule judges the inventory (not a live system).
    pub fn is_inventory(&self) -> bool {
        matches!(self.rule, Rule::Inventory(_))
    }

    /// Runs the rule over `scope`; `None` for a live check (its steps
    /// measure, then judge).
    pub fn run(&self, scope: &Scope<'_>) -> Option<CheckOutcome> {
        let Rule::Inventory(rule) = self.rule else {
            return None;
        };
        let mut evaluation = Evaluation {
            meta: &self.meta,
            evaluated: 0,
            findings: Vec::new(),
        };
        rule(scope, &mut evaluation);
        Some(CheckOutcome {
            check: self.meta.id,
            title: self.meta.title,
            severity: self.meta.severity,
            judges: self.meta.judges,
            evaluated: evaluation.evaluated,
            findings: evaluation.findings,
        })
    }
}
