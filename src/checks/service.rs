//! The service family: traffic reaches the pods only if every Service
//! selects pods that exist, sends each port to a port those pods declare, and
//! every workload that listens is reachable through a Service. A mistake here
//! passes every other check and surfaces at go-live as connection refused or
//! a Service without endpoints.
//!
//! Services of type ExternalName and Services without a selector are exempt:
//! their endpoints are managed by hand.
//!
//! Two checks judge what a Service means beyond routing: a StatefulSet's
//! pods get stable DNS names (`postgres-0.postgres`) only from a headless
//! Service of its `serviceName` that selects them, and a Service of type
//! LoadBalancer or NodePort makes its pods reachable from outside the
//! cluster, which the profile must have decided (`public_services`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ContainerPort, Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{Check, CheckMeta, INVENTORY, Rule, Scope, Severity, Violation};
use crate::model::selector::Selector;
use crate::model::{ContainerRef, Inventory, Object, Resource, Workload};

/// The service family, in catalogue order.
pub static CHECKS: &[&Check] = &[&SELECTS, &TARGET_PORT, &REACHABLE, &HEADLESS, &EXPOSURE];

pub static SELECTS: Check = Check {
    meta: CheckMeta {
        id: "service.selects",
        title: "Every Service selects the pods of a workload",
        judges: "Service with a selector",
        severity: Severity::Critical,
        checklist: &["GL-NET-01"],
        needs: INVENTORY,
        rationale: "A Service whose selector matches no pod (a typo, a label that is on the Deployment but not \
                    on its pod template, a workload in another namespace) has no endpoints: every request to \
                    it fails with connection refused.",
        remediation: "Make spec.selector equal to labels of the pod template (spec.template.metadata.labels) of \
                      a workload in the Service's namespace.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        if scope.is_narrowed() {
            return; // only Services selecting admitted workloads are in scope
        }
        let inventory = scope.inventory;
        for (object, selector, _) in routed_services(scope) {
            let namespace = object.namespace();
            let mut workloads = inventory.workloads_in(namespace).peekable();
            if workloads.peek().is_none() && !selects_pods_elsewhere(inventory, namespace, selector)
            {
                continue; // the pods may be rendered elsewhere
            }
            evaluation.evaluated();
            if workloads.any(|w| selects(selector, w.pod_labels()))
                || custom_template_selected(inventory, namespace, selector)
            {
                continue;
            }
            evaluation.report(Violation {
                object,
                container: None,
                field: "spec.selector".into(),
                expected: "labels of the pods of a workload in its namespace".into(),
                found: unmatched_selector(inventory, object, selector),
            });
        }
    }),
};

pub static TARGET_PORT: Check = Check {
    meta: CheckMeta {
        id: "service.target-port",
        title: "Every Service port targets a port of the pods it selects",
        judges: "Service port",
        severity: Severity::Critical,
        checklist: &["GL-NET-01"],
        needs: INVENTORY,
        rationale: "A targetPort naming a port the pods do not define leaves the Service without endpoints for \
                    that port; a number the pods do not listen on sends every request to a closed port.",
        remediation: "Set targetPort to the name of a containerPort of the selected pods (e.g. targetPort: http), \
                      or to its number; declare the port on the container.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for (object, selector, spec) in routed_services(scope) {
            let selected: Vec<Workload> = scope
                .workloads_in(object.namespace())
                .filter(|w| selects(selector, w.pod_labels()))
                .collect();
            for (i, port) in spec.ports.iter().flatten().enumerate() {
                let field = match port.target_port {
                    Some(_) => format!("spec.ports[{i}].targetPort"),
                    None => format!("spec.ports[{i}]"),
                };
                for workload in &selected {
                    evaluation.evaluated();
                    if let Err(found) = find_target_port(workload, port) {
                        evaluation.report(Violation {
                            object,
                            container: None,
                            field: field.clone(),
                            expected: "a port declared by a container of every selected workload"
                                .into(),
                            found,
                        });
                    }
                }
            }
        }
    }),
};

pub static REACHABLE: Check = Check {
    meta: CheckMeta {
        id: "service.reachable",
        title: "Every workload that listens on a port is reachable through a Service",
        judges: "serving workload",
        severity: Severity::Medium,
        checklist: &["GL-NET-01"],
        needs: INVENTORY,
        rationale: "Pods are replaced on every rollout and reschedule, with new IP addresses: a workload that \
                    declares ports but that no Service selects can only be reached by pod IP, so its clients \
                    break on the next restart (or it was meant to be exposed and never was).",
        remediation: "Add a Service whose selector matches the workload's pod labels, or remove ports nobody \
                      connects to; a port only scraped by Prometheus may instead be covered by a PodMonitor.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        let inventory = scope.inventory;
        let monitors = PodMonitor::all(inventory);
        for workload in scope.workloads().filter(Workload::is_long_running) {
            let listening: Vec<(ContainerRef, Vec<&ContainerPort>)> = serving_containers(&workload)
                .map(|c| {
                    let ports = unexposed_ports(&workload, &c, &monitors);
                    (c, ports)
                })
                .collect();
            if listening.iter().all(|(c, _)| declared_ports(c).is_empty()) {
                continue;
            }
            evaluation.evaluated();
            if inventory.services_selecting(&workload).next().is_some() {
                continue;
            }
            let labels = Selector::from_map(workload.pod_labels());
            for (container, ports) in listening.iter().filter(|(_, p)| !p.is_empty()) {
                evaluation.report(Violation {
                    object: workload.object,
                    container: Some(&container.container.name),
                    field: format!("{}.ports", container.path),
                    expected: "a Service selecting the pods (or a PodMonitor scraping the port)"
                        .into(),
                    found: format!(
                        "{} declared, and no Service selects its pods ({labels})",
                        describe_ports(ports)
                    ),
                });
            }
        }
    }),
};

pub static HEADLESS: Check = Check {
    meta: CheckMeta {
        id: "service.headless",
        title: "Every StatefulSet's serviceName is a headless Service that selects its pods",
        judges: "StatefulSet with a serviceName",
        severity: Severity::High,
        checklist: &["GL-NET-01"],
        needs: INVENTORY,
        rationale: "A StatefulSet's pods get stable DNS names (postgres-0.postgres.production.svc) from the \
                    Service its spec.serviceName names, and only if that Service exists in its namespace, is \
                    headless (clusterIP: None) and selects the pods: a missing Service (the chart does not ship \
                    it), one with a cluster IP, or one selecting other pods leaves the names unresolvable, and \
                    the replication, clustering or peer-discovery configuration that uses them breaks while \
                    the pods look healthy. A StatefulSet without serviceName (optional since Kubernetes 1.32) \
                    asks for no such names and is not judged.",
        remediation: "Ship a Service named as spec.serviceName in the StatefulSet's namespace with clusterIP: \
                      None and a selector matching the pod template's labels (a second, ClusterIP Service may \
                      serve clients that need one address).",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for workload in scope.workloads() {
            let Resource::StatefulSet(set) = &workload.object.resource else {
                continue;
            };
            let Some(name) = set
                .spec
                .as_ref()
                .and_then(|spec| spec.service_name.as_deref())
                .filter(|name| !name.is_empty())
            else {
                continue;
            };
            evaluation.evaluated();
            let namespace = workload.object.namespace();
            let found = match scope.inventory.get("Service", namespace, name) {
                None => Some(format!(
                    "no Service {name} in namespace {}: the release must ship it",
                    namespace.unwrap_or("(none)")
                )),
                Some(service) => not_governing(service, &workload),
            };
            if let Some(found) = found {
                evaluation.report(Violation {
                    object: workload.object,
                    container: None,
                    field: "spec.serviceName".into(),
                    expected: format!(
                        "a headless Service {name} (clusterIP: None) in its namespace that selects its pods"
                    ),
                    found,
                });
            }
        }
    }),
};

pub static EXPOSURE: Check = Check {
    meta: CheckMeta {
        id: "service.exposure",
        title: "Only the Services the profile lists as public are reachable from outside the cluster",
        judges: "Service",
        severity: Severity::High,
        checklist: &["GL-NET-01"],
        needs: INVENTORY,
        rationale: "A Service of type LoadBalancer gets an address outside the cluster (often on the internet), \
                    and one of type NodePort opens its port on every node: a database, an admin console or an \
                    internal API exposed this way (a chart's default, a debugging shortcut left in) is open to \
                    whoever reaches that address, past every NetworkPolicy written for in-cluster callers. \
                    What may be public is a decision, so the profile lists it (public_services: \
                    `namespace/name`, or `name` in any namespace); an Ingress controller's own LoadBalancer \
                    Service is the usual entry and is listed like any other. This check judges whether a \
                    Service should be public at all; ingress.tls judges whether a public one is encrypted \
                    (where the profile sets exposed_services_need_ingress). An internal load balancer (a \
                    cloud annotation) is still outside the cluster and is judged too.",
        remediation: "Make the Service type ClusterIP and reach it through an Ingress (or kubectl port-forward \
                      for operators), or, if it is meant to be public, add it to public_services in the \
                      profile of golive.yaml.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        let public = &scope.profile.public_services;
        for object in scope.objects("Service") {
            let Resource::Service(service) = &object.resource else {
                continue;
            };
            let selected: Vec<Workload> = service
                .spec
                .as_ref()
                .and_then(|spec| spec.selector.as_ref())
                .filter(|selector| !selector.is_empty())
                .map(|selector| {
                    scope
                        .workloads_in(object.namespace())
                        .filter(|w| selects(selector, w.pod_labels()))
                        .collect()
                })
                .unwrap_or_default();
            if scope.is_narrowed() && selected.is_empty() {
                continue; // it exposes none of the workloads the scenario is about
            }
            evaluation.evaluated();
            let Some(kind) = external_type(service) else {
                continue; // ClusterIP, headless or ExternalName: inside the cluster
            };
            let name = object.metadata.name.as_deref().unwrap_or_default();
            if public.iter().any(|p| p.names(object.namespace(), name)) {
                continue;
            }
            let exposed: Vec<String> = selected
                .iter()
                .map(|w| w.object.reference().to_string())
                .collect();
            let listed: Vec<String> = public.iter().map(ToString::to_string).collect();
            evaluation.report(Violation {
                object,
                container: None,
                field: "spec.type".into(),
                expected: "type ClusterIP, or the Service listed in the profile's public_services"
                    .into(),
                found: format!(
                    "type {kind} exposes {} outside the cluster, and profile {} {}",
                    if exposed.is_empty() {
                        "its endpoints".to_string()
                    } else {
                        exposed.join(", ")
                    },
                    scope.profile.name,
                    if listed.is_empty() {
                        "lists no public Service".to_string()
                    } else {
                        format!("lists as public only {}", listed.join(", "))
                    }
                ),
            });
        }
    }),
};

/// The type of a Service reachable from outside the cluster
/// (`LoadBalancer`, `NodePort`), `None` for the others.
pub(super) fn external_type(service: &Service) -> Option<&str> {
    service
        .spec
        .as_ref()?
        .type_
        .as_deref()
        .filter(|t| matches!(*t, "LoadBalancer" | "NodePort"))
}

/// Why `service` does not give the pods of a StatefulSet their DNS names:
/// it has a cluster IP (or is an ExternalName), or it does not select them.
fn not_governing(service: &Object, workload: &Workload<'_>) -> Option<String> {
    let name = service.metadata.name.as_deref().unwrap_or_default();
    let Resource::Service(service) = &service.resource else {
        return None;
    };
    let spec = service.spec.as_ref();
    if let Some(kind) = spec
        .and_then(|s| s.type_.as_deref())
        .filter(|t| *t != "ClusterIP")
    {
        return Some(format!(
            "Service {name} is of type {kind}, not a headless ClusterIP Service"
        ));
    }
    match spec.and_then(|s| s.cluster_ip.as_deref()) {
        Some("None") => {}
        Some(ip) => {
            return Some(format!(
                "Service {name} has clusterIP {ip}: not headless, so the pods get no DNS names of their own"
            ));
        }
        None => {
            return Some(format!(
                "Service {name} sets no clusterIP: it gets a virtual IP, not headless, so the pods get \
                 no DNS names of their own"
            ));
        }
    }
    let labels = workload.pod_labels();
    match spec
        .and_then(|s| s.selector.as_ref())
        .filter(|s| !s.is_empty())
    {
        Some(selector) if selects(selector, labels) => None,
        Some(selector) => Some(format!(
            "headless Service {name} selects {}, not the pods of {} ({})",
            Selector::from_map(selector),
            workload.object.reference(),
            describe_labels(labels)
        )),
        None => Some(format!(
            "headless Service {name} has no selector: no DNS records for the pods of {}",
            workload.object.reference()
        )),
    }
}

/// `app=api,tier=web`, or `no labels`.
fn describe_labels(labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        "no labels".into()
    } else {
        format!("labels {}", Selector::from_map(labels))
    }
}

/// The Services in scope that route to pods: not ExternalName, with a
/// non-empty selector; when the scenario picks workloads, only those
/// selecting one of them. Each comes with its selector and spec.
fn routed_services<'a>(
    scope: &'a Scope<'a>,
) -> impl Iterator<Item = (&'a Object, &'a BTreeMap<String, String>, &'a ServiceSpec)> + 'a {
    scope
        .objects("Service")
        .filter_map(|object| match &object.resource {
            Resource::Service(service) => routing(service).map(|(sel, spec)| (object, sel, spec)),
            _ => None,
        })
        .filter(|(object, selector, _)| {
            !scope.is_narrowed()
                || scope
                    .workloads_in(object.namespace())
                    .any(|w| selects(selector, w.pod_labels()))
        })
}

/// The selector and spec of a Service whose endpoints Kubernetes manages.
fn routing(service: &Service) -> Option<(&BTreeMap<String, String>, &ServiceSpec)> {
    let spec = service.spec.as_ref()?;
    if spec.type_.as_deref() == Some("ExternalName") {
        return None;
    }
    let selector = spec.selector.as_ref().filter(|s| !s.is_empty())?;
    Some((selector, spec))
}

/// Service selection: equality on every pair of the selector.
fn selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// Whether a custom resource of `namespace` with a pod template
/// (`spec.template.metadata.labels`, e.g. an Argo Rollout) creates pods the
/// selector matches: golive does not type those kinds, but their pods exist.
fn custom_template_selected(
    inventory: &Inventory,
    namespace: Option<&str>,
    selector: &BTreeMap<String, String>,
) -> bool {
    inventory
        .objects()
        .filter(|o| matches!(o.resource, Resource::Dynamic) && o.namespace() == namespace)
        .any(|o| {
            let labels = &o.json()["spec"]["template"]["metadata"]["labels"];
            !labels.is_null()
                && selector
                    .iter()
                    .all(|(k, v)| labels[k.as_str()].as_str() == Some(v.as_str()))
        })
}

/// Whether the selector matches the pods of a workload the manifests place
/// in another named namespace than the Service's (also named): the pods it
/// was written for are there, where a Service cannot select them. An object
/// without a namespace goes wherever it is applied, so it proves nothing.
fn selects_pods_elsewhere(
    inventory: &Inventory,
    namespace: Option<&str>,
    selector: &BTreeMap<String, String>,
) -> bool {
    namespace.is_some()
        && inventory.workloads().any(|w| {
            let theirs = w.object.namespace();
            theirs.is_some() && theirs != namespace && selects(selector, w.pod_labels())
        })
}

/// What a selector matching no pod of its namespace matches instead, when
/// that explains the mistake: a workload's own labels (not its pod
/// template's), or pods in another namespace.
fn unmatched_selector(
    inventory: &Inventory,
    service: &Object,
    selector: &BTreeMap<String, String>,
) -> String {
    let namespace = service.namespace();
    let shown = Selector::from_map(selector);
    let mut workloads = inventory.workloads();
    let hint = workloads.find_map(|w| {
        let object = w.object;
        if object.namespace() == namespace && selects(selector, object.labels()) {
            Some(format!(
                ": {} carries these labels on its own metadata, not on its pod template",
                object.reference()
            ))
        } else if object.namespace() != namespace && selects(selector, w.pod_labels()) {
            Some(format!(
                ": it matches the pods of {}, in another namespace",
                object.reference()
            ))
        } else {
            None
        }
    });
    format!(
        "{shown}, which matches no pod of namespace {}{}",
        namespace.unwrap_or("(none)"),
        hint.unwrap_or_default()
    )
}

/// The regular containers and native sidecars: the containers that run for
/// the pod's whole life and may serve traffic.
fn serving_containers<'a>(workload: &Workload<'a>) -> impl Iterator<Item = ContainerRef<'a>> + 'a {
    workload.containers().filter(|c| c.kind.serves())
}

fn declared_ports<'a>(container: &ContainerRef<'a>) -> &'a [ContainerPort] {
    container.container.ports.as_deref().unwrap_or_default()
}

fn protocol(protocol: Option<&String>) -> &str {
    protocol.map_or("TCP", String::as_str)
}

/// Whether a Service port reaches the pods of `workload`, as the endpoints
/// controller resolves it: a name must be a port of a serving container with
/// the same protocol; a number (the unset targetPort is the port number)
/// must be declared, unless a serving container declares no ports at all
/// (declaring ports is optional, so it may listen on any).
fn find_target_port(workload: &Workload<'_>, port: &ServicePort) -> Result<(), String> {
    let target = port
        .target_port
        .clone()
        .unwrap_or(IntOrString::Int(port.port));
    let proto = protocol(port.protocol.as_ref());
    let containers: Vec<ContainerRef> = serving_containers(workload).collect();
    let ports = containers.iter().flat_map(|c| declared_ports(c));
    let (found, what) = match &target {
        IntOrString::String(name) => (
            ports
                .clone()
                .any(|p| p.name.as_ref() == Some(name) && protocol(p.protocol.as_ref()) == proto),
            format!("targetPort {name} ({proto})"),
        ),
        IntOrString::Int(number) => (
            containers.iter().any(|c| declared_ports(c).is_empty())
                || ports.clone().any(|p| p.container_port == *number),
            match port.target_port {
                Some(_) => format!("targetPort {number}"),
                None => format!("port {number} (targetPort is not set)"),
            },
        ),
    };
    if found {
        return Ok(());
    }
    let declared: Vec<&ContainerPort> = ports.collect();
    Err(format!(
        "{what}, but {} declares only {}",
        workload.object.reference(),
        describe_ports(&declared)
    ))
}

/// `http 8080/TCP, 9090/TCP`.
fn describe_ports(ports: &[&ContainerPort]) -> String {
    let described: Vec<String> = ports
        .iter()
        .map(|p| {
            let number = format!("{}/{}", p.container_port, protocol(p.protocol.as_ref()));
            match &p.name {
                Some(name) => format!("{name} {number}"),
                None => number,
            }
        })
        .collect();
    if described.is_empty() {
        "no ports".into()
    } else {
        described.join(", ")
    }
}

/// The ports of a container that need a Service to be reached: not opened
/// on the node (hostPort, hostNetwork) and not scraped by a PodMonitor that
/// selects the pods.
fn unexposed_ports<'a>(
    workload: &Workload<'a>,
    container: &ContainerRef<'a>,
    monitors: &[PodMonitor],
) -> Vec<&'a ContainerPort> {
    if workload.pod_spec.host_network == Some(true) {
        return Vec::new();
    }
    let scraping: Vec<&PodMonitor> = monitors
        .iter()
        .filter(|m| m.selects(workload.object.namespace(), workload.pod_labels()))
        .collect();
    declared_ports(container)
        .iter()
        .filter(|p| p.host_port.is_none())
        .filter(|p| !scraping.iter().any(|m| m.scrapes(p)))
        .collect()
}

/// A Prometheus Operator PodMonitor (monitoring.coreos.com), read from its
/// untyped object: the pods it selects and the ports it scrapes.
#[derive(Debug)]
struct PodMonitor {
    selector: Option<Selector>,
    namespaces: MonitoredNamespaces,
    /// The ports of `podMetricsEndpoints`; `None` for an endpoint without a
    /// port, which scrapes every declared port.
    ports: Vec<Option<PortRef>>,
}

/// Where a PodMonitor looks for pods (`spec.namespaceSelector`).
#[derive(Debug, PartialEq)]
enum MonitoredNamespaces {
    /// Its own namespace (no namespaceSelector, or an empty one).
    Own(Option<String>),
    /// `any: true`.
    Any,
    /// `matchNames`.
    Names(Vec<String>),
}

/// A port of a podMetricsEndpoint: `port` (a name), `portNumber`, or the
/// deprecated `targetPort` (either).
#[derive(Debug, PartialEq)]
enum PortRef {
    Name(String),
    Number(i64),
}

impl PodMonitor {
    fn all(inventory: &Inventory) -> Vec<PodMonitor> {
        inventory
            .of_kind("PodMonitor")
            .map(|o| PodMonitor::from_json(o.namespace(), &o.json()))
            .collect()
    }

    fn from_json(namespace: Option<&str>, object: &serde_json::Value) -> PodMonitor {
        let spec = &object["spec"];
        let selector = spec
            .get("selector")
            .filter(|s| s.is_object())
            .and_then(|s| serde_json::from_value::<LabelSelector>(s.clone()).ok())
            .and_then(|s| Selector::from_label_selector(&s).ok());
        let names: Vec<String> = spec["namespaceSelector"]["matchNames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect();
        let namespaces = if spec["namespaceSelector"]["any"] == true {
            MonitoredNamespaces::Any
        } else if names.is_empty() {
            MonitoredNamespaces::Own(namespace.map(str::to_string))
        } else {
            MonitoredNamespaces::Names(names)
        };
        let ports = spec["podMetricsEndpoints"]
            .as_array()
            .into_iter()
            .flatten()
            .map(endpoint_port)
            .collect();
        PodMonitor {
            selector,
            namespaces,
            ports,
        }
    }

    fn selects(&self, namespace: Option<&str>, labels: &BTreeMap<String, String>) -> bool {
        let namespace_ok = match &self.namespaces {
            MonitoredNamespaces::Any => true,
            MonitoredNamespaces::Own(own) => own.as_deref() == namespace,
            MonitoredNamespaces::Names(names) => {
                namespace.is_some_and(|ns| names.iter().any(|n| n == ns))
            }
        };
        namespace_ok && self.selector.as_ref().is_some_and(|s| s.matches(labels))
    }

    fn scrapes(&self, port: &ContainerPort) -> bool {
        self.ports.iter().any(|endpoint| match endpoint {
            None => true,
            Some(PortRef::Name(name)) => port.name.as_ref() == Some(name),
            Some(PortRef::Number(number)) => i64::from(port.container_port) == *number,
        })
    }
}

/// The port a podMetricsEndpoint scrapes, `None` when it names none.
fn endpoint_port(endpoint: &serde_json::Value) -> Option<PortRef> {
    let by_name = |v: &serde_json::Value| v.as_str().map(|s| PortRef::Name(s.to_string()));
    let by_number = |v: &serde_json::Value| v.as_i64().map(PortRef::Number);
    by_name(&endpoint["port"])
        .or_else(|| by_number(&endpoint["portNumber"]))
        .or_else(|| by_name(&endpoint["targetPort"]).or_else(|| by_number(&endpoint["targetPort"])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::selector::labels;
    use serde_json::json;

    fn port(name: Option<&str>, number: i32) -> ContainerPort {
        ContainerPort {
            name: name.map(str::to_string),
            container_port: number,
            ..ContainerPort::default()
        }
    }

    #[test]
    fn pod_monitors_watch_their_own_namespace_unless_told_otherwise() {
        let spec = |namespace_selector: serde_json::Value| {
            json!({"spec": {
                "selector": {"matchLabels": {"app": "api"}},
                "namespaceSelector": namespace_selector,
                "podMetricsEndpoints": [{"port": "metrics"}],
            }})
        };
        let api = labels(&[("app", "api")]);
        let own = PodMonitor::from_json(Some("monitoring"), &spec(json!(null)));
        assert!(own.selects(Some("monitoring"), &api));
        assert!(!own.selects(Some("production"), &api));
        let any = PodMonitor::from_json(Some("monitoring"), &spec(json!({"any": true})));
        assert!(any.selects(Some("production"), &api));
        let named = PodMonitor::from_json(
            Some("monitoring"),
            &spec(json!({"matchNames": ["production"]})),
        );
        assert_eq!(
            named.namespaces,
            MonitoredNamespaces::Names(vec!["production".into()])
        );
        assert!(named.selects(Some("production"), &api));
        assert!(!named.selects(Some("staging"), &api));
        assert!(!named.selects(Some("production"), &labels(&[("app", "web")])));
    }

    #[test]
    fn pod_monitors_without_selector_select_nothing() {
        let monitor = PodMonitor::from_json(
            Some("production"),
            &json!({"spec": {"podMetricsEndpoints": [{"port": "metrics"}]}}),
        );
        assert!(!monitor.selects(Some("production"), &BTreeMap::new()));
    }

    #[test]
    fn endpoints_name_ports_by_name_number_or_not_at_all() {
        assert_eq!(
            endpoint_port(&json!({"port": "metrics"})),
            Some(PortRef::Name("metrics".into()))
        );
        assert_eq!(
            endpoint_port(&json!({"portNumber": 9090})),
            Some(PortRef::Number(9090))
        );
        assert_eq!(
            endpoint_port(&json!({"targetPort": 9090})),
            Some(PortRef::Number(9090))
        );
        assert_eq!(
            endpoint_port(&json!({"targetPort": "metrics"})),
            Some(PortRef::Name("metrics".into()))
        );
        assert_eq!(endpoint_port(&json!({"path": "/metrics"})), None);

        let monitor = |endpoints: serde_json::Value| {
            PodMonitor::from_json(
                None,
                &json!({"spec": {"selector": {}, "podMetricsEndpoints": endpoints}}),
            )
        };
        let by_name = monitor(json!([{"port": "metrics"}]));
        assert!(by_name.scrapes(&port(Some("metrics"), 9090)));
        assert!(!by_name.scrapes(&port(Some("http"), 8080)));
        assert!(!by_name.scrapes(&port(None, 9090)));
        let by_number = monitor(json!([{"portNumber": 9090}]));
        assert!(by_number.scrapes(&port(None, 9090)));
        let every_port = monitor(json!([{"path": "/metrics"}]));
        assert!(every_port.scrapes(&port(Some("http"), 8080)));
        assert!(!monitor(json!([])).scrapes(&port(Some("http"), 8080)));
    }

    #[test]
    fn ports_are_described_with_names_and_protocols() {
        let udp = ContainerPort {
            protocol: Some("UDP".into()),
            ..port(Some("dns"), 53)
        };
        let http = port(Some("http"), 8080);
        let bare = port(None, 9090);
        assert_eq!(
            describe_ports(&[&udp, &http, &bare]),
            "dns 53/UDP, http 8080/TCP, 9090/TCP"
        );
        assert_eq!(describe_ports(&[]), "no ports");
    }
}
