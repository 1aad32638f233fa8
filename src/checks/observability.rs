//! The observability family: an API users reach from outside (a workload an
//! Ingress routes to) must be scraped by Prometheus, and alerts must fire
//! when it is down, fails, slows down or crash-loops. golive reads the
//! Prometheus Operator resources (ServiceMonitor, PodMonitor,
//! PrometheusRule) and the `prometheus.io/scrape` annotations of the
//! classic scrape configurations; which Prometheus picks the resources up
//! (its selectors) is cluster configuration and is not checked.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use k8s_openapi::api::core::v1::{Service, ServicePort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use regex::Regex;
use serde_json::Value;

use super::{Check, CheckMeta, Scope, Severity, Violation};
use crate::model::selector::Selector;
use crate::model::{Inventory, Object, Resource, Workload};

/// The observability family, in catalogue order.
pub static CHECKS: &[&Check] = &[&SCRAPE, &ALERTS];

pub static SCRAPE: Check = Check {
    meta: CheckMeta {
        id: "observability.scrape",
        title: "Every API workload is scraped by Prometheus",
        judges: "workload exposed by a Service",
        severity: Severity::High,
        rationale: "Without metrics nobody sees error rates, latency or saturation: incidents are reported by \
                    users, alerts cannot fire and capacity cannot be planned.",
        remediation: "Add a ServiceMonitor (monitoring.coreos.com/v1) whose spec.selector matches the labels of the \
                      workload's Service and whose endpoints name a port of that Service (e.g. port: metrics), in \
                      the Service's namespace or with spec.namespaceSelector; or a PodMonitor selecting the pods; \
                      or the prometheus.io/scrape: \"true\" annotation on the pod template.",
        differences: &[],
    },
    rule: |scope, evaluation| {
        let monitors = Monitors::of(scope.inventory);
        for workload in api_workloads(scope) {
            evaluation.evaluated();
            if let Err(found) = scraped(scope.inventory, &monitors, &workload) {
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
    },
};

pub static ALERTS: Check = Check {
    meta: CheckMeta {
        id: "observability.alerts",
        title: "Critical alerts are configured for every API",
        judges: "workload exposed by a Service",
        severity: Severity::High,
        rationale: "Metrics nobody watches do not shorten an outage: without alerts on a service that is down, \
                    failing, slow or crash-looping, the team learns about incidents from users.",
        remediation: "Add a PrometheusRule (monitoring.coreos.com/v1) with alerts on: service down (`up == 0` or \
                      `absent(...)`), high error rate (ratio of 5xx responses above the profile's error budget), \
                      high latency (histogram_quantile of the request duration above the profile's p95) and \
                      pod crash looping (kube_pod_container_status_restarts_total increasing).",
        differences: &[],
    },
    rule: |scope, evaluation| {
        let covered = alert_categories(scope.inventory);
        let missing: Vec<&str> = Category::ALL
            .iter()
            .filter(|c| !covered.contains(c))
            .map(|c| c.name())
            .collect();
        for workload in api_workloads(scope) {
            evaluation.evaluated();
            if !missing.is_empty() {
                evaluation.report(Violation {
                    object: workload.object,
                    container: None,
                    field: "metadata.name".into(),
                    expected: "PrometheusRule alerts for service down, high error rate, high latency and pod \
                               crash looping"
                        .into(),
                    found: format!("no alert for: {}", missing.join(", ")),
                });
            }
        }
    },
};

/// Workloads in scope that an Ingress routes to: the APIs users reach.
fn api_workloads<'a>(scope: &Scope<'a>) -> Vec<Workload<'a>> {
    scope
        .workloads()
        .filter(|w| scope.inventory.ingresses_routing_to(w).next().is_some())
        .collect()
}

const SCRAPE_ANNOTATION: &str = "prometheus.io/scrape";

/// Whether Prometheus scrapes a workload, or why golive finds that it does
/// not (a monitor that selects it but misses it is the likeliest mistake).
fn scraped(
    inventory: &Inventory,
    monitors: &Monitors<'_>,
    workload: &Workload<'_>,
) -> Result<(), String> {
    let services: Vec<(&Object, &Service)> = inventory
        .services_selecting(workload)
        .filter_map(|o| match &o.resource {
            Resource::Service(service) => Some((o, service.as_ref())),
            _ => None,
        })
        .collect();
    if scrape_annotated(workload, &services) {
        return Ok(());
    }
    let mut verdicts = service_monitor_verdicts(&monitors.service, workload, &services);
    verdicts.extend(pod_monitor_verdicts(&monitors.pod, workload));
    if verdicts.iter().any(Result::is_ok) {
        return Ok(());
    }
    let near_miss = verdicts.into_iter().find_map(Result::err);
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

/// Whether the pod template, or a Service selecting the pods, carries
/// `prometheus.io/scrape: "true"` (the classic kubernetes-pods and
/// kubernetes-service-endpoints scrape jobs).
fn scrape_annotated(workload: &Workload<'_>, services: &[(&Object, &Service)]) -> bool {
    let pod = workload
        .pod_metadata
        .and_then(|m| m.annotations.as_ref()?.get(SCRAPE_ANNOTATION))
        .is_some_and(|v| v == "true");
    pod || services
        .iter()
        .any(|(o, _)| o.annotation(SCRAPE_ANNOTATION) == Some("true"))
}

/// The verdict of every ServiceMonitor that selects one of `services`.
fn service_monitor_verdicts(
    monitors: &[Monitor<'_>],
    workload: &Workload<'_>,
    services: &[(&Object, &Service)],
) -> Vec<Result<(), String>> {
    let mut verdicts = Vec::new();
    for (object, service) in services {
        let ports = service
            .spec
            .as_ref()
            .and_then(|s| s.ports.as_deref())
            .unwrap_or_default();
        let target = Target {
            what: format!(
                "Service {}",
                object.metadata.name.as_deref().unwrap_or_default()
            ),
            namespace: object.namespace(),
            labels: object.labels(),
        };
        verdicts.extend(monitors.iter().filter_map(|monitor| {
            monitor.verdict(&target, "endpoints", |e| {
                service_endpoint_matches(e, ports, workload)
            })
        }));
    }
    verdicts
}

/// The verdict of every PodMonitor that selects the workload's pods.
fn pod_monitor_verdicts(
    monitors: &[Monitor<'_>],
    workload: &Workload<'_>,
) -> Vec<Result<(), String>> {
    let pods = Target {
        what: "the pods".to_string(),
        namespace: workload.object.namespace(),
        labels: workload.pod_labels(),
    };
    monitors
        .iter()
        .filter_map(|monitor| {
            monitor.verdict(&pods, "podMetricsEndpoints", |e| {
                pod_endpoint_matches(e, workload)
            })
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

/// The kinds of alert every API needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    ServiceDown,
    HighErrorRate,
    HighLatency,
    PodCrashLooping,
}

impl Category {
    const ALL: [Category; 4] = [
        Category::ServiceDown,
        Category::HighErrorRate,
        Category::HighLatency,
        Category::PodCrashLooping,
    ];

    fn name(self) -> &'static str {
        match self {
            Category::ServiceDown => "service down",
            Category::HighErrorRate => "high error rate",
            Category::HighLatency => "high latency",
            Category::PodCrashLooping => "pod crash looping",
        }
    }

    /// What an alert expression of this category looks like.
    fn pattern(self) -> &'static Regex {
        static PATTERNS: LazyLock<[Regex; 4]> = LazyLock::new(|| {
            [
                r"\bup\b(\{[^}]*\})?[^=<>!]*(==\s*0\b|<\s*1\b)|\babsent(_over_time)?\s*\(",
                r#"(?i)5\.\.|5xx|(status|code)[a-z_]*\s*=~\s*"\^?5"#,
                r"(?i)histogram_quantile|_duration_|latency",
                r"kube_pod_container_status_restarts_total|CrashLoopBackOff",
            ]
            .map(|p| Regex::new(p).expect("a valid pattern"))
        });
        &PATTERNS[self as usize]
    }
}

/// The categories covered by the alerting rules (`alert` and `expr`; a
/// recording rule alerts nobody) of every PrometheusRule of the inventory.
fn alert_categories(inventory: &Inventory) -> Vec<Category> {
    let expressions: Vec<String> = inventory
        .of_kind("PrometheusRule")
        .filter(|o| o.api_group() == "monitoring.coreos.com")
        .flat_map(|o| alert_expressions(&o.json()))
        .collect();
    Category::ALL
        .into_iter()
        .filter(|c| expressions.iter().any(|e| c.pattern().is_match(e)))
        .collect()
}

/// The expressions of the alerting rules of a PrometheusRule.
fn alert_expressions(rule: &Value) -> Vec<String> {
    let groups = rule.pointer("/spec/groups").and_then(Value::as_array);
    groups
        .into_iter()
        .flatten()
        .filter_map(|g| g.get("rules").and_then(Value::as_array))
        .flatten()
        .filter(|r| r.get("alert").and_then(Value::as_str).is_some())
        .filter_map(|r| match r.get("expr")? {
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn categories(expr: &str) -> Vec<Category> {
        Category::ALL
            .into_iter()
            .filter(|c| c.pattern().is_match(expr))
            .collect()
    }

    #[test]
    fn seed_alert_expressions_fall_in_their_category() {
        assert_eq!(
            categories(r#"up{job="factory-api"} == 0"#),
            [Category::ServiceDown]
        );
        assert_eq!(
            categories(r#"absent(up{job="api"})"#),
            [Category::ServiceDown]
        );
        assert_eq!(
            categories(
                r#"sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.01"#
            ),
            [Category::HighErrorRate]
        );
        assert_eq!(
            categories(r#"rate(nginx_http_requests_total{code=~"5"}[5m]) > 1"#),
            [Category::HighErrorRate]
        );
        assert_eq!(
            categories(
                "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le)) > 0.2"
            ),
            [Category::HighLatency]
        );
        assert_eq!(
            categories("increase(kube_pod_container_status_restarts_total[15m]) > 3"),
            [Category::PodCrashLooping]
        );
        assert_eq!(
            categories(
                r#"kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"} == 1"#
            ),
            [Category::PodCrashLooping]
        );
    }

    #[test]
    fn other_expressions_cover_nothing() {
        assert!(categories("up == 1").is_empty());
        assert!(categories(r#"rate(http_requests_total{status=~"4.."}[5m]) > 1"#).is_empty());
        assert!(categories(r#"startup_time_seconds == 0"#).is_empty());
        assert!(categories("node_memory_MemAvailable_bytes < 1e9").is_empty());
    }

    #[test]
    fn recording_rules_are_not_alerts() {
        let rule = serde_json::json!({
            "spec": {"groups": [{"rules": [
                {"record": "job:up:sum", "expr": "sum(up) by (job)"},
                {"alert": "Down", "expr": "up == 0"},
                {"alert": "Constant", "expr": 1}
            ]}]}
        });
        assert_eq!(alert_expressions(&rule), ["up == 0", "1"]);
    }
}
