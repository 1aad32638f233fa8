//! The observability family: an API users reach from outside (a workload an
//! Ingress routes to) must be scraped by Prometheus; every PrometheusRule
//! expression must be valid PromQL; and every API and data store (a
//! StatefulSet keeping its state on claimed volumes) must have the alerts
//! the profile's `required_alerts` lists, each selecting the workload's own
//! series (the job, namespace, service and pod labels its ServiceMonitor,
//! PodMonitor or scrape annotation gives it, or the namespace, pod and
//! claim labels of kube-state-metrics and the kubelet), waiting (`for:`),
//! with a severity and a runbook or description. golive reads the
//! Prometheus Operator resources (ServiceMonitor, PodMonitor,
//! PrometheusRule) and the `prometheus.io/scrape` annotations of the
//! classic scrape configurations; which Prometheus picks the resources up
//! (its selectors) is cluster configuration and is not checked. An alert
//! whose selectors carry no identity label (`up == 0`) watches every target
//! and counts for every workload; whether its aggregation keeps workloads
//! apart is not judged.
use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{Service, ServicePort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use promql_parser::label::Matcher;
use promql_parser::parser::{Expr, VectorSelector};
use serde_json::Value;

use super::{Check, CheckMeta, INVENTORY, Rule as CheckRule, Scope, Severity, Violation};
use crate::config::AlertKind;
use crate::model::alert_rules::{self, Rule};
use crate::model::selector::Selector;
use crate::model::{Inventory, Object, Resource, Workload};

/// The observability family, in catalogue order.
pub static CHECKS: &[&Check] = &[&SCRAPE, &ALERT_EXPRESSIONS, &ALERTS];

pub static SCRAPE: Check = Check {
    meta: CheckMeta {
        id: "observability.scrape",
        title: "Every API workload is scraped by Prometheus",
        judges: "workload exposed by a Service",
        severity: Severity::High,
        checklist: &["GL-OPS-06"],
        needs: INVENTORY,
        rationale: "Without metrics nobody sees error rates, latency or saturation: incidents are reported by \
                    users, alerts cannot fire and capacity cannot be planned.",
        remediation: "Add a ServiceMonitor (monitoring.coreos.com/v1) whose spec.selector matches the labels of the \
                      workload's Service and whose endpoints name a port of that Service (e.g. port: metrics), in \
                      the Service's namespace or with spec.namespaceSelector; or a PodMonitor selecting the pods; \
                      or the prometheus.io/scrape: \"true\" annotation on the pod template.",
        differences: &[],
    },
    rule: CheckRule::Inventory(|scope, evaluation| {
        let monitors = Monitors::of(scope.inventory);
        for workload in api_workloads(scope) {
            evaluation.evaluated();
            if let Err(found) = scrape_targets(scope.inventory, &monitors, &workload) {
                evaluation.report(Violation {
                    object: workload.object,
                    container: None,
                    field: workload.pod_metadata_field("annotations"),
                    expected: "a ServiceMonitor, PodMonitor or prometheus.io/scrape annotation covering the \
                               workload"
                        .into(),
                    found,
                });
            }
        }
    }),
};

pub static ALERT_EXPRESSIONS: Check = Check {
    meta: CheckMeta {
        id: "observability.alert-expressions",
        title: "Every PrometheusRule expression is valid PromQL",
        judges: "PrometheusRule rule",
        severity: Severity::High,
        checklist: &["GL-OPS-05", "GL-OPS-06"],
        needs: INVENTORY,
        rationale: "Prometheus refuses to load a rule file whose expression does not parse, and the Prometheus \
                    Operator rejects (admission webhook) or skips such a PrometheusRule: every alert in it is \
                    lost, often without anyone noticing.",
        remediation: "Fix the expression (`promtool check rules` or the Prometheus query page shows the error) \
                      and write `for:` as a Prometheus duration (30s, 5m, 1h30m).",
        differences: &[],
    },
    rule: CheckRule::Inventory(|scope, evaluation| {
        for rule in alert_rules::rules(scope.objects("PrometheusRule")) {
            evaluation.evaluated();
            if let Err(error) = &rule.expr {
                evaluation.report(Violation {
                    object: rule.object,
                    container: None,
                    field: format!("{}.expr", rule.path),
                    expected: "a PromQL expression".into(),
                    found: format!("{:?} does not parse: {error}", rule.source.trim()),
                });
            }
            if let Some((written, Err(error))) = &rule.for_duration {
                evaluation.report(Violation {
                    object: rule.object,
                    container: None,
                    field: format!("{}.for", rule.path),
                    expected: "a Prometheus duration (e.g. 5m)".into(),
                    found: format!("for: {written:?} is not a duration: {error}"),
                });
            }
        }
    }),
};

pub static ALERTS: Check = Check {
    meta: CheckMeta {
        id: "observability.alerts",
        title: "Every API and data store has the profile's alerts, selecting its own metrics",
        judges: "API or data store workload",
        severity: Severity::High,
        checklist: &["GL-OPS-05", "GL-OPS-06"],
        needs: INVENTORY,
        rationale: "Metrics nobody watches do not shorten an outage: without an alert that selects a service's \
                    own series, waits out blips (for:), says how bad it is (severity) and what to do (runbook), \
                    the team learns about the service being down, failing, slow, crash-looping, its replicas \
                    lagging or its disk filling up from users.",
        remediation: "Add PrometheusRule (monitoring.coreos.com/v1) alerts of each kind the profile's \
                      required_alerts lists: service_down (`up{job=\"<service>\"} == 0` or `absent(...)`), \
                      error_rate (5xx ratio: `sum(rate(..{status=~\"5..\"}[5m])) / sum(rate(..[5m]))`), latency \
                      (`histogram_quantile(0.95, ... _bucket ...)`), crash_looping \
                      (`kube_pod_container_status_restarts_total`), and for data stores replication_lag (the \
                      exporter's lag metric) and disk (`kubelet_volume_stats_available_bytes`); select the \
                      workload by the job, namespace, service or pod labels its ServiceMonitor, PodMonitor or \
                      scrape annotation gives it, and give each alert a non-zero `for:`, a `severity` label and \
                      a `runbook_url` or `description` annotation.",
        differences: &[],
    },
    rule: CheckRule::Inventory(|scope, evaluation| {
        let rules = alert_rules::rules(scope.inventory.of_kind("PrometheusRule"));
        let alerts: Vec<&Rule<'_>> = rules.iter().filter(|r| !r.kinds.is_empty()).collect();
        let monitors = Monitors::of(scope.inventory);
        let mut by_namespace: HashMap<Option<&str>, Vec<&Rule<'_>>> = HashMap::new();
        for workload in scope.workloads() {
            let required = required_alerts(scope, &workload);
            if required.is_empty() {
                continue;
            }
            evaluation.evaluated();
            let identity = Identity::of(scope.inventory, &monitors, &workload);
            let candidates = by_namespace
                .entry(workload.object.namespace())
                .or_insert_with(|| {
                    let namespace = workload.object.namespace().unwrap_or_default();
                    alerts
                        .iter()
                        .copied()
                        .filter(|r| {
                            r.expr
                                .as_ref()
                                .is_ok_and(|e| selects_namespace(e, namespace))
                        })
                        .collect()
                });
            let missing: Vec<String> = required
                .into_iter()
                .filter_map(|kind| coverage(kind, &alerts, candidates, &identity).err())
                .collect();
            if !missing.is_empty() {
                evaluation.report(Violation {
                    object: workload.object,
                    container: None,
                    field: "metadata.name".into(),
                    expected: format!(
                        "alerts of the kinds {} selecting its series, each with for:, severity and a runbook",
                        required_alerts(scope, &workload)
                            .iter()
                            .map(|k| k.key())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    found: missing.join("; "),
                });
            }
        }
    }),
};

/// The kinds of alert the profile requires of a workload: the API kinds
/// when an Ingress routes to it; crash_looping, disk and (with more than
/// one replica, something to lag behind) replication_lag when it is a data
/// store, a StatefulSet keeping its state on claimed volumes.
fn required_alerts(scope: &Scope<'_>, workload: &Workload<'_>) -> Vec<AlertKind> {
    let api = scope
        .inventory
        .ingresses_routing_to(workload)
        .next()
        .is_some();
    let (data_store, replicated) = match &workload.object.resource {
        Resource::StatefulSet(set) => {
            let spec = set.spec.as_ref();
            let claims = spec
                .and_then(|s| s.volume_claim_templates.as_ref())
                .is_some_and(|t| !t.is_empty());
            (claims, spec.and_then(|s| s.replicas).unwrap_or(1) > 1)
        }
        _ => (false, false),
    };
    scope
        .profile
        .required_alerts
        .iter()
        .copied()
        .filter(|kind| match kind {
            AlertKind::ServiceDown | AlertKind::ErrorRate | AlertKind::Latency => api,
            AlertKind::CrashLooping => api || data_store,
            AlertKind::ReplicationLag => data_store && replicated,
            AlertKind::Disk => data_store,
        })
        .collect()
}

/// Whether an alert of `kind` covers the workload, or what is wrong: the
/// alert that selects it lacks something, the alerts of that kind select
/// other series, or there is none.
fn coverage(
    kind: AlertKind,
    alerts: &[&Rule<'_>],
    candidates: &[&Rule<'_>],
    identity: &Identity<'_>,
) -> Result<(), String> {
    let selecting: Vec<&Rule<'_>> = candidates
        .iter()
        .copied()
        .filter(|r| r.kinds.contains(&kind))
        .filter(|r| {
            r.expr
                .as_ref()
                .is_ok_and(|e| alert_rules::selects(e, &|s| identity.admits(s)))
        })
        .collect();
    if selecting.iter().any(|r| r.lacks().is_empty()) {
        return Ok(());
    }
    if let Some(rule) = selecting.first() {
        return Err(format!(
            "{kind}: {} selects it but lacks {}",
            rule.describe(),
            rule.lacks().join(", ")
        ));
    }
    match alerts.iter().find(|r| r.kinds.contains(&kind)) {
        Some(rule) => Err(format!(
            "{kind}: {} does not select its series ({identity})",
            rule.describe()
        )),
        None => Err(format!("{kind}: no alert")),
    }
}
/// Workloads in scope that an Ingress routes to: the APIs users reach.
fn api_workloads<'a>(scope: &Scope<'a>) -> Vec<Workload<'a>> {
    scope
        .workloads()
        .filter(|w| scope.inventory.ingresses_routing_to(w).next().is_some())
        .collect()
}

const SCRAPE_ANNOTATION: &str = "prometheus.io/scrape";

/// How Prometheus labels the series of one scrape of a workload: the
/// `job` (a ServiceMonitor's Service name or the value of its `jobLabel`, a
/// PodMonitor's `<namespace>/<name>` or `jobLabel`, the classic
/// `kubernetes-pods` / `kubernetes-service-endpoints` jobs of the
/// annotations) and the `service` label, if any.
#[derive(Debug, Clone)]
struct ScrapeTarget {
    job: String,
    service: Option<String>,
}

/// How Prometheus scrapes a workload, or why golive finds that it does not
/// (a monitor that selects it but misses it is the likeliest mistake).
fn scrape_targets(
    inventory: &Inventory,
    monitors: &Monitors<'_>,
    workload: &Workload<'_>,
) -> Result<Vec<ScrapeTarget>, String> {
    let services: Vec<(&Object, &Service)> = inventory
        .services_selecting(workload)
        .filter_map(|o| match &o.resource {
            Resource::Service(service) => Some((o, service.as_ref())),
            _ => None,
        })
        .collect();
    let mut targets = annotation_targets(workload, &services);
    let mut near_miss = None;
    let verdicts = service_monitor_verdicts(&monitors.service, workload, &services)
        .into_iter()
        .chain(pod_monitor_verdicts(&monitors.pod, workload));
    for verdict in verdicts {
        match verdict {
            Ok(target) => targets.push(target),
            Err(reason) => near_miss = near_miss.or(Some(reason)),
        }
    }
    if !targets.is_empty() {
        return Ok(targets);
    }
    Err(near_miss.unwrap_or_else(|| {
        let names: Vec<&str> = services
            .iter()
            .filter_map(|(o, _)| o.metadata.name.as_deref())
            .collect();
        let services = match names.as_slice() {
            [] => "no Service selects its pods".to_string(),
            names => format!(
                "no ServiceMonitor selects its Service ({})",
                names.join(", ")
            ),
        };
        format!("{services}, no PodMonitor selects its pods and no {SCRAPE_ANNOTATION} annotation")
    }))
}

/// The scrapes of `prometheus.io/scrape: "true"` on the pod template (the
/// classic `kubernetes-pods` job) and on Services selecting the pods (the
/// `kubernetes-service-endpoints` job), as Prometheus's example
/// configuration and its community Helm chart name them.
fn annotation_targets(
    workload: &Workload<'_>,
    services: &[(&Object, &Service)],
) -> Vec<ScrapeTarget> {
    let pod = workload
        .pod_metadata
        .and_then(|m| m.annotations.as_ref()?.get(SCRAPE_ANNOTATION))
        .is_some_and(|v| v == "true");
    let pods = pod.then(|| ScrapeTarget {
        job: "kubernetes-pods".into(),
        service: None,
    });
    let services = services
        .iter()
        .filter(|(o, _)| o.annotation(SCRAPE_ANNOTATION) == Some("true"))
        .map(|(o, _)| ScrapeTarget {
            job: "kubernetes-service-endpoints".into(),
            service: o.metadata.name.clone(),
        });
    pods.into_iter().chain(services).collect()
}

/// The verdict of every ServiceMonitor that selects one of `services`.
fn service_monitor_verdicts(
    monitors: &[Monitor<'_>],
    workload: &Workload<'_>,
    services: &[(&Object, &Service)],
) -> Vec<Result<ScrapeTarget, String>> {
    let mut verdicts = Vec::new();
    for (object, service) in services {
        let ports = service
            .spec
            .as_ref()
            .and_then(|s| s.ports.as_deref())
            .unwrap_or_default();
        let name = object.metadata.name.as_deref().unwrap_or_default();
        let target = Target {
            what: format!("Service {name}"),
            namespace: object.namespace(),
            labels: object.labels(),
        };
        verdicts.extend(monitors.iter().filter_map(|monitor| {
            let verdict = monitor.verdict(&target, "endpoints", |e| {
                service_endpoint_matches(e, ports, workload)
            })?;
            Some(verdict.map(|()| ScrapeTarget {
                job: monitor.job(target.labels, name),
                service: Some(name.to_string()),
            }))
        }));
    }
    verdicts
}

/// The verdict of every PodMonitor that selects the workload's pods.
fn pod_monitor_verdicts(
    monitors: &[Monitor<'_>],
    workload: &Workload<'_>,
) -> Vec<Result<ScrapeTarget, String>> {
    let pods = Target {
        what: "the pods".to_string(),
        namespace: workload.object.namespace(),
        labels: workload.pod_labels(),
    };
    monitors
        .iter()
        .filter_map(|monitor| {
            let verdict = monitor.verdict(&pods, "podMetricsEndpoints", |e| {
                pod_endpoint_matches(e, workload)
            })?;
            let default_job = format!(
                "{}/{}",
                monitor.object.namespace().unwrap_or_default(),
                monitor.object.metadata.name.as_deref().unwrap_or_default()
            );
            Some(verdict.map(|()| ScrapeTarget {
                job: monitor.job(pods.labels, &default_job),
                service: None,
            }))
        })
        .collect()
}

/// A ServiceMonitor or PodMonitor of the inventory.
struct Monitor<'a> {
    object: &'a Object,
    json: Value,
    /// spec.selector (absent: everything; invalid: `None`, nothing).
    selector: Option<Selector>,
}

/// The ServiceMonitors and PodMonitors of the inventory, read once per run
/// of the check.
struct Monitors<'a> {
    service: Vec<Monitor<'a>>,
    pod: Vec<Monitor<'a>>,
}

impl<'a> Monitors<'a> {
    fn of(inventory: &'a Inventory) -> Monitors<'a> {
        Monitors {
            service: monitors(inventory, "ServiceMonitor"),
            pod: monitors(inventory, "PodMonitor"),
        }
    }
}

/// The Prometheus Operator monitors of one kind.
fn monitors<'a>(inventory: &'a Inventory, kind: &str) -> Vec<Monitor<'a>> {
    inventory
        .of_kind(kind)
        .filter(|o| o.api_group() == "monitoring.coreos.com")
        .map(|object| {
            let json = object.json();
            let selector = match json.pointer("/spec/selector") {
                Some(value) => serde_json::from_value::<LabelSelector>(value.clone())
                    .ok()
                    .and_then(|s| Selector::from_label_selector(&s).ok()),
                None => Some(Selector::default()),
            };
            Monitor {
                object,
                json,
                selector,
            }
        })
        .collect()
}

/// What a monitor may scrape: a Service or the pods of a workload.
struct Target<'a> {
    what: String,
    namespace: Option<&'a str>,
    labels: &'a BTreeMap<String, String>,
}

impl Monitor<'_> {
    /// Whether the monitor scrapes `target`: `None` when its selector does
    /// not match the target's labels, else `Ok`, or the reason it misses
    /// the target (namespace not watched, no endpoint on a port of it).
    fn verdict(
        &self,
        target: &Target<'_>,
        endpoints_key: &str,
        endpoint_fits: impl Fn(&Value) -> bool,
    ) -> Option<Result<(), String>> {
        if !self.matches(target.labels) {
            return None;
        }
        let monitor = self.object.reference();
        if !self.watches(target.namespace) {
            return Some(Err(format!(
                "{monitor} selects the labels of {} but does not watch namespace {} (spec.namespaceSelector)",
                target.what,
                target.namespace.unwrap_or("(none)")
            )));
        }
        let endpoints = self.json.pointer(&format!("/spec/{endpoints_key}"));
        let fits = endpoints
            .and_then(Value::as_array)
            .is_some_and(|list| list.iter().any(endpoint_fits));
        Some(if fits {
            Ok(())
        } else {
            Err(format!(
                "{monitor} selects {} but none of its {endpoints_key} names a port of it",
                target.what
            ))
        })
    }

    /// Whether the monitor watches `namespace`: its own, unless
    /// spec.namespaceSelector says `any: true` or lists others.
    fn watches(&self, namespace: Option<&str>) -> bool {
        let selector = self.json.pointer("/spec/namespaceSelector");
        if selector.and_then(|n| n.get("any")).and_then(Value::as_bool) == Some(true) {
            return true;
        }
        let names: Vec<&str> = selector
            .and_then(|n| n.get("matchNames"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        match namespace {
            Some(namespace) if !names.is_empty() => names.contains(&namespace),
            _ => self.object.namespace() == namespace,
        }
    }

    /// The `job` label of what the monitor scrapes: the value of the
    /// target's label named by spec.jobLabel, else `default`.
    fn job(&self, labels: &BTreeMap<String, String>, default: &str) -> String {
        self.json
            .pointer("/spec/jobLabel")
            .and_then(Value::as_str)
            .and_then(|key| labels.get(key))
            .map_or_else(|| default.to_string(), String::clone)
    }

    /// Whether spec.selector matches `labels` (an absent selector matches
    /// everything; an invalid one nothing).
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.selector.as_ref().is_some_and(|s| s.matches(labels))
    }
}

/// Whether a ServiceMonitor endpoint scrapes a port of the Service: `port`
/// names a Service port, `targetPort` is a Service port's targetPort or a
/// container port; an endpoint naming neither scrapes every port.
fn service_endpoint_matches(
    endpoint: &Value,
    ports: &[ServicePort],
    workload: &Workload<'_>,
) -> bool {
    let port = endpoint.get("port").and_then(Value::as_str);
    let target = endpoint.get("targetPort").and_then(int_or_string);
    match (port, target) {
        (Some(name), _) => ports.iter().any(|p| p.name.as_deref() == Some(name)),
        (None, Some(target)) => {
            ports
                .iter()
                .any(|p| p.target_port.as_ref() == Some(&target))
                || container_declares(workload, &target)
        }
        (None, None) => true,
    }
}

/// Whether a PodMonitor endpoint scrapes a declared container port (`port`
/// by name, `portNumber`, or the deprecated `targetPort`); an endpoint
/// naming none scrapes every port.
fn pod_endpoint_matches(endpoint: &Value, workload: &Workload<'_>) -> bool {
    let port = ["port", "portNumber", "targetPort"]
        .iter()
        .find_map(|key| endpoint.get(*key).and_then(int_or_string));
    port.is_none_or(|port| container_declares(workload, &port))
}

fn int_or_string(value: &Value) -> Option<IntOrString> {
    match value {
        Value::String(s) => Some(IntOrString::String(s.clone())),
        Value::Number(n) => n.as_i64()?.try_into().ok().map(IntOrString::Int),
        _ => None,
    }
}

/// Whether a container of the workload declares the port (name or number).
fn container_declares(workload: &Workload<'_>, port: &IntOrString) -> bool {
    workload
        .containers()
        .flat_map(|c| c.container.ports.iter().flatten())
        .any(|p| match port {
            IntOrString::Int(n) => p.container_port == *n,
            IntOrString::String(name) => p.name.as_deref() == Some(name.as_str()),
        })
}

/// The label values of a workload's series as Prometheus stores them: its
/// own metrics carry the `job` and `service` of a scrape (none when nobody
/// scrapes it) with `namespace`, `pod` and `container`; the metrics
/// kube-state-metrics and the kubelet publish about it (`kube_*`,
/// `kubelet_*`, `container_*`) carry `namespace`, `pod`, `container`,
/// `persistentvolumeclaim` and the controller's name (`deployment`,
/// `statefulset`...), whatever their own job; node-exporter's (`node_*`)
/// describe nodes, not workloads, and go with every workload. Pod and claim
/// names are the ones the controller generates (`api-5d8f7c9b6d-x7k2p`,
/// `db-0`, `data-db-0`). When nothing scrapes the workload its job is
/// unknown and job and service matchers are not judged: the missing
/// scrape is observability.scrape's finding, not a second one here.
struct Identity<'a> {
    namespace: &'a str,
    kind_label: String,
    name: &'a str,
    pods: Vec<String>,
    containers: Vec<&'a str>,
    claims: Vec<String>,
    /// `None` when nothing scrapes it.
    targets: Option<Vec<ScrapeTarget>>,
}

impl<'a> Identity<'a> {
    fn of(inventory: &Inventory, monitors: &Monitors<'_>, workload: &Workload<'a>) -> Identity<'a> {
        let object = workload.object;
        let name = object.metadata.name.as_deref().unwrap_or_default();
        let (pod, claims) = match &object.resource {
            Resource::Pod(_) => (name.to_string(), Vec::new()),
            Resource::StatefulSet(set) => {
                let templates = set
                    .spec
                    .as_ref()
                    .and_then(|s| s.volume_claim_templates.as_ref());
                let claims = templates
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.metadata.name.as_deref())
                    .map(|claim| format!("{claim}-{name}-0"))
                    .collect();
                (format!("{name}-0"), claims)
            }
            Resource::Deployment(_) => (format!("{name}-5d8f7c9b6d-x7k2p"), Vec::new()),
            _ => (format!("{name}-x7k2p"), Vec::new()),
        };
        Identity {
            namespace: object.namespace().unwrap_or_default(),
            kind_label: object.kind.to_ascii_lowercase(),
            name,
            pods: vec![pod],
            containers: workload
                .containers()
                .map(|c| c.container.name.as_str())
                .collect(),
            claims,
            targets: scrape_targets(inventory, monitors, workload).ok(),
        }
    }

    /// Whether a vector selector can select series of the workload.
    fn admits(&self, selector: &VectorSelector) -> bool {
        let name = alert_rules::metric_name(selector).unwrap_or_default();
        let about_cluster = ["kube_", "kubelet_", "container_"]
            .iter()
            .any(|p| name.starts_with(p));
        matcher_groups(selector).any(|matchers| {
            let fits = |label: &str, values: &[&str]| fits(matchers, label, values);
            let pods: Vec<&str> = self.pods.iter().map(String::as_str).collect();
            let common = fits("namespace", &[self.namespace])
                && fits("pod", &pods)
                && fits("container", &self.containers);
            if name.starts_with("node_") {
                true
            } else if about_cluster {
                let claims: Vec<&str> = self.claims.iter().map(String::as_str).collect();
                common
                    && fits("persistentvolumeclaim", &claims)
                    && fits(&self.kind_label, &[self.name])
            } else {
                common
                    && self.targets.as_ref().is_none_or(|targets| {
                        targets.iter().any(|t| {
                            let service: Vec<&str> = t.service.iter().map(String::as_str).collect();
                            fits("job", &[t.job.as_str()]) && fits("service", &service)
                        })
                    })
            }
        })
    }
}

/// The alternatives of a selector's matchers (`{a="1" or b="2"}`).
fn matcher_groups(selector: &VectorSelector) -> impl Iterator<Item = &[Matcher]> {
    let or = &selector.matchers.or_matchers;
    let plain = or
        .is_empty()
        .then_some(selector.matchers.matchers.as_slice());
    plain.into_iter().chain(or.iter().map(Vec::as_slice))
}

/// Whether every matcher on `label` accepts one of `values` (no value: the
/// label is absent, which PromQL matches as the empty string).
fn fits(matchers: &[Matcher], label: &str, values: &[&str]) -> bool {
    matchers.iter().filter(|m| m.name == label).all(|m| {
        if values.is_empty() {
            m.is_match("")
        } else {
            values.iter().any(|v| m.is_match(v))
        }
    })
}

/// Whether an expression can select series of `namespace` at all (the
/// cheap first cut of [`Identity::admits`], shared by the workloads of a
/// namespace).
fn selects_namespace(expr: &Expr, namespace: &str) -> bool {
    alert_rules::selects(expr, &|s| {
        alert_rules::metric_name(s).is_some_and(|n| n.starts_with("node_"))
            || matcher_groups(s).any(|m| fits(m, "namespace", &[namespace]))
    })
}

impl std::fmt::Display for Identity<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scrape = match &self.targets {
            Some(targets) => targets
                .iter()
                .map(|t| format!("job={:?}", t.job))
                .collect::<Vec<_>>()
                .join(" or "),
            None => "not scraped".to_string(),
        };
        write!(
            f,
            "{scrape}, namespace={:?}, pod={:?}",
            self.namespace,
            self.pods.join("")
        )
    }
}
