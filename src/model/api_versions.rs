//! Which `apiVersion` a Kubernetes release serves for each built-in kind:
//! the versions removed by the releases of the deprecation guide
//! (kubernetes.io/docs/reference/using-api/deprecation-guide), the release
//! that removed each and its replacement, and the Kubernetes version golive
//! judges against (`kubernetes_version` in golive.yaml).
//!
//! The loader reads an object at a removed version with the type of its
//! replacement when the shape is the same or converts mechanically
//! ([`legacy_shape`]), so its pod template is still judged; the
//! `api.removed-version` check says that the API server would refuse it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A Kubernetes release `1.MINOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KubernetesVersion {
    pub minor: u32,
}

impl KubernetesVersion {
    /// The newest release whose API golive's types (k8s-openapi's pinned
    /// feature) describe: the default target.
    pub const NEWEST_KNOWN: KubernetesVersion = KubernetesVersion { minor: 33 };

    /// `1.33`, `v1.33` or `1.33.2` (the patch is ignored).
    pub fn parse(text: &str) -> Result<KubernetesVersion, String> {
        let bad = || format!("{text:?} is not a Kubernetes version (e.g. \"1.33\")");
        let trimmed = text.trim().trim_start_matches('v');
        let mut parts = trimmed.split('.');
        let (Some("1"), Some(minor)) = (parts.next(), parts.next()) else {
            return Err(bad());
        };
        if parts
            .next()
            .is_some_and(|patch| patch.parse::<u32>().is_err())
            || parts.next().is_some()
        {
            return Err(bad());
        }
        let minor: u32 = minor.parse().map_err(|_| bad())?;
        if minor > Self::NEWEST_KNOWN.minor {
            return Err(format!(
                "Kubernetes {text} is newer than the newest release golive knows ({}): \
                 its removed APIs would not be judged",
                Self::NEWEST_KNOWN
            ));
        }
        Ok(KubernetesVersion { minor })
    }
}

impl Default for KubernetesVersion {
    fn default() -> KubernetesVersion {
        KubernetesVersion::NEWEST_KNOWN
    }
}

impl fmt::Display for KubernetesVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1.{}", self.minor)
    }
}

impl Serialize for KubernetesVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for KubernetesVersion {
    /// A string, or a YAML number whose text is not ambiguous: `1.30` reads
    /// as the number 1.3, so such versions must be quoted.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Text(String),
            Number(f64),
        }
        let parsed = match Written::deserialize(deserializer)? {
            Written::Text(text) => KubernetesVersion::parse(&text),
            Written::Number(number) => {
                let text = number.to_string();
                KubernetesVersion::parse(&text).and_then(|version| {
                    if version.minor < 10 {
                        Err(format!(
                            "{text} reads as a number: write the version quoted (\"{text}0\" for \
                             Kubernetes 1.{}0)",
                            version.minor
                        ))
                    } else {
                        Ok(version)
                    }
                })
            }
        };
        parsed.map_err(serde::de::Error::custom)
    }
}

/// An API version a release stopped serving for a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemovedApi {
    pub api_version: &'static str,
    pub kind: &'static str,
    /// The release that no longer serves it.
    pub removed_in: KubernetesVersion,
    /// What to write instead (`apps/v1`), or what replaced the kind.
    pub replacement: &'static str,
}

const fn removed(
    api_version: &'static str,
    kind: &'static str,
    minor: u32,
    replacement: &'static str,
) -> RemovedApi {
    RemovedApi {
        api_version,
        kind,
        removed_in: KubernetesVersion { minor },
        replacement,
    }
}

/// The removals of the deprecation guide for the kinds applications ship
/// (alpha versions left out: no release promises to serve them).
pub static REMOVED_APIS: &[RemovedApi] = &[
    removed("extensions/v1beta1", "Deployment", 16, "apps/v1"),
    removed("extensions/v1beta1", "DaemonSet", 16, "apps/v1"),
    removed("extensions/v1beta1", "ReplicaSet", 16, "apps/v1"),
    removed(
        "extensions/v1beta1",
        "NetworkPolicy",
        16,
        "networking.k8s.io/v1",
    ),
    removed(
        "extensions/v1beta1",
        "PodSecurityPolicy",
        16,
        "Pod Security Admission (namespace labels)",
    ),
    removed("apps/v1beta1", "Deployment", 16, "apps/v1"),
    removed("apps/v1beta1", "StatefulSet", 16, "apps/v1"),
    removed("apps/v1beta1", "ReplicaSet", 16, "apps/v1"),
    removed("apps/v1beta2", "Deployment", 16, "apps/v1"),
    removed("apps/v1beta2", "StatefulSet", 16, "apps/v1"),
    removed("apps/v1beta2", "DaemonSet", 16, "apps/v1"),
    removed("apps/v1beta2", "ReplicaSet", 16, "apps/v1"),
    removed("extensions/v1beta1", "Ingress", 22, "networking.k8s.io/v1"),
    removed(
        "networking.k8s.io/v1beta1",
        "Ingress",
        22,
        "networking.k8s.io/v1",
    ),
    removed(
        "networking.k8s.io/v1beta1",
        "IngressClass",
        22,
        "networking.k8s.io/v1",
    ),
    removed(
        "rbac.authorization.k8s.io/v1beta1",
        "Role",
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    removed(
        "rbac.authorization.k8s.io/v1beta1",
        "RoleBinding",
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    removed(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRole",
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    removed(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRoleBinding",
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    removed(
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
        22,
        "admissionregistration.k8s.io/v1",
    ),
    removed(
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
        22,
        "admissionregistration.k8s.io/v1",
    ),
    removed(
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        22,
        "apiextensions.k8s.io/v1",
    ),
    removed(
        "apiregistration.k8s.io/v1beta1",
        "APIService",
        22,
        "apiregistration.k8s.io/v1",
    ),
    removed(
        "certificates.k8s.io/v1beta1",
        "CertificateSigningRequest",
        22,
        "certificates.k8s.io/v1",
    ),
    removed(
        "coordination.k8s.io/v1beta1",
        "Lease",
        22,
        "coordination.k8s.io/v1",
    ),
    removed(
        "scheduling.k8s.io/v1beta1",
        "PriorityClass",
        22,
        "scheduling.k8s.io/v1",
    ),
    removed(
        "storage.k8s.io/v1beta1",
        "CSIDriver",
        22,
        "storage.k8s.io/v1",
    ),
    removed("storage.k8s.io/v1beta1", "CSINode", 22, "storage.k8s.io/v1"),
    removed(
        "storage.k8s.io/v1beta1",
        "StorageClass",
        22,
        "storage.k8s.io/v1",
    ),
    removed(
        "storage.k8s.io/v1beta1",
        "VolumeAttachment",
        22,
        "storage.k8s.io/v1",
    ),
    removed("batch/v1beta1", "CronJob", 25, "batch/v1"),
    removed(
        "discovery.k8s.io/v1beta1",
        "EndpointSlice",
        25,
        "discovery.k8s.io/v1",
    ),
    removed("events.k8s.io/v1beta1", "Event", 25, "events.k8s.io/v1"),
    removed(
        "autoscaling/v2beta1",
        "HorizontalPodAutoscaler",
        25,
        "autoscaling/v2",
    ),
    removed("policy/v1beta1", "PodDisruptionBudget", 25, "policy/v1"),
    removed(
        "policy/v1beta1",
        "PodSecurityPolicy",
        25,
        "Pod Security Admission (namespace labels)",
    ),
    removed("node.k8s.io/v1beta1", "RuntimeClass", 25, "node.k8s.io/v1"),
    removed(
        "autoscaling/v2beta2",
        "HorizontalPodAutoscaler",
        26,
        "autoscaling/v2",
    ),
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "FlowSchema",
        26,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
        26,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    removed(
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        27,
        "storage.k8s.io/v1",
    ),
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "FlowSchema",
        29,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "PriorityLevelConfiguration",
        29,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "FlowSchema",
        32,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    removed(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "PriorityLevelConfiguration",
        32,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
];

/// The removal of `kind` at `api_version`, whatever the target release.
pub fn removal(api_version: &str, kind: &str) -> Option<&'static RemovedApi> {
    REMOVED_APIS
        .iter()
        .find(|r| r.api_version == api_version && r.kind == kind)
}

/// The only `apiVersion` at which Kubernetes serves each kind golive types:
/// any other version of these kinds in a built-in group is not served
/// (a typo such as `apps/v2`, or a version removed long ago).
pub static SERVED_VERSIONS: &[(&str, &str)] = &[
    ("Deployment", "apps/v1"),
    ("StatefulSet", "apps/v1"),
    ("DaemonSet", "apps/v1"),
    ("ReplicaSet", "apps/v1"),
    ("Job", "batch/v1"),
    ("CronJob", "batch/v1"),
    ("Pod", "v1"),
    ("Service", "v1"),
    ("Namespace", "v1"),
    ("Secret", "v1"),
    ("ConfigMap", "v1"),
    ("PersistentVolumeClaim", "v1"),
    ("ServiceAccount", "v1"),
    ("Ingress", "networking.k8s.io/v1"),
    ("NetworkPolicy", "networking.k8s.io/v1"),
    ("PodDisruptionBudget", "policy/v1"),
    ("HorizontalPodAutoscaler", "autoscaling/v2"),
];

/// The API groups Kubernetes itself serves (custom resources use others).
const BUILT_IN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "extensions",
    "policy",
    "autoscaling",
    "networking.k8s.io",
];

/// Why the API server of `target` would refuse `kind` at `api_version`:
/// removed by a release up to `target`, or a version never served for a
/// kind golive types. `None` when it is served (or not a built-in kind).
pub fn not_served(api_version: &str, kind: &str, target: KubernetesVersion) -> Option<String> {
    if let Some(removal) = removal(api_version, kind) {
        return (removal.removed_in <= target).then(|| {
            format!(
                "apiVersion {api_version}: {kind} was removed from it in Kubernetes {}, so the API \
                 server of {target} refuses it",
                removal.removed_in
            )
        });
    }
    let served = SERVED_VERSIONS.iter().find(|(k, _)| *k == kind)?.1;
    let built_in = BUILT_IN_GROUPS.contains(&super::api_group(api_version));
    // autoscaling/v1 HorizontalPodAutoscalers are still served.
    let also_served = (kind, api_version) == ("HorizontalPodAutoscaler", "autoscaling/v1");
    (built_in && api_version != served && !also_served).then(|| {
        format!("apiVersion {api_version}: Kubernetes {target} serves no {kind} at it (it serves {served})")
    })
}

/// How an object written at an older version is read with the type of its
/// current version: the version whose type reads it, and whether its JSON
/// must be converted first. `None` for a version that is current or
/// unknown.
pub fn legacy_shape(api_version: &str, kind: &str) -> Option<(&'static str, Conversion)> {
    let workload = matches!(
        kind,
        "Deployment" | "DaemonSet" | "ReplicaSet" | "StatefulSet"
    );
    Some(match (api_version, kind) {
        ("extensions/v1beta1" | "apps/v1beta1" | "apps/v1beta2", _) if workload => {
            ("apps/v1", Conversion::DefaultSelector)
        }
        ("extensions/v1beta1", "NetworkPolicy") => ("networking.k8s.io/v1", Conversion::None),
        ("extensions/v1beta1" | "networking.k8s.io/v1beta1", "Ingress") => {
            ("networking.k8s.io/v1", Conversion::IngressBackends)
        }
        ("batch/v1beta1" | "batch/v2alpha1", "CronJob") => ("batch/v1", Conversion::None),
        ("policy/v1beta1", "PodDisruptionBudget") => ("policy/v1", Conversion::None),
        (
            "rbac.authorization.k8s.io/v1beta1",
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding",
        ) => ("rbac.authorization.k8s.io/v1", Conversion::None),
        ("autoscaling/v1", "HorizontalPodAutoscaler") => {
            ("autoscaling/v2", Conversion::CpuUtilization)
        }
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler") => ("autoscaling/v2", Conversion::None),
        ("autoscaling/v2beta1", "HorizontalPodAutoscaler") => {
            ("autoscaling/v2", Conversion::MetricTargets)
        }
        _ => return None,
    })
}

/// The mechanical rewrite that turns an older version's JSON into the
/// current one's, as the API server's conversion does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conversion {
    /// Same shape: read as it is.
    None,
    /// `spec.selector` defaulted from the template's labels (beta workloads).
    DefaultSelector,
    /// `serviceName`/`servicePort` backends and `spec.backend` (beta Ingress).
    IngressBackends,
    /// `spec.targetCPUUtilizationPercentage` (autoscaling/v1).
    CpuUtilization,
    /// `targetAverageUtilization`-style metric targets (autoscaling/v2beta1).
    MetricTargets,
}

impl Conversion {
    /// Rewrites `object` in place.
    pub fn apply(self, object: &mut serde_json::Value) {
        let Some(spec) = object.get_mut("spec").and_then(|s| s.as_object_mut()) else {
            return;
        };
        match self {
            Conversion::None => {}
            Conversion::DefaultSelector => {
                let labels = spec
                    .get("template")
                    .and_then(|t| t.get("metadata"))
                    .and_then(|m| m.get("labels"))
                    .cloned();
                if let (None, Some(labels)) = (spec.get("selector"), labels) {
                    spec.insert(
                        "selector".into(),
                        serde_json::json!({ "matchLabels": labels }),
                    );
                }
            }
            Conversion::IngressBackends => convert_ingress(spec),
            Conversion::CpuUtilization => {
                if let Some(percent) = spec.remove("targetCPUUtilizationPercentage") {
                    spec.insert(
                        "metrics".into(),
                        serde_json::json!([{ "type": "Resource", "resource": {
                            "name": "cpu",
                            "target": { "type": "Utilization", "averageUtilization": percent }
                        }}]),
                    );
                }
            }
            Conversion::MetricTargets => {
                if let Some(metrics) = spec.get_mut("metrics").and_then(|m| m.as_array_mut()) {
                    metrics.iter_mut().for_each(convert_v2beta1_metric);
                }
            }
        }
    }
}

type JsonMap = serde_json::Map<String, serde_json::Value>;

/// `spec.backend` → `spec.defaultBackend`; every backend's
/// `serviceName`/`servicePort` → `service: {name, port: {number|name}}`;
/// a path without `pathType` → `ImplementationSpecific` (the beta default).
fn convert_ingress(spec: &mut JsonMap) {
    if let Some(backend) = spec.remove("backend") {
        spec.insert("defaultBackend".into(), backend);
    }
    if let Some(backend) = spec.get_mut("defaultBackend") {
        convert_backend(backend);
    }
    let paths = spec
        .get_mut("rules")
        .and_then(|r| r.as_array_mut())
        .into_iter()
        .flatten()
        .filter_map(|rule| rule.get_mut("http")?.get_mut("paths")?.as_array_mut())
        .flatten();
    for path in paths {
        if let Some(path) = path.as_object_mut() {
            path.entry("pathType")
                .or_insert_with(|| "ImplementationSpecific".into());
            if let Some(backend) = path.get_mut("backend") {
                convert_backend(backend);
            }
        }
    }
}

fn convert_backend(backend: &mut serde_json::Value) {
    let Some(backend) = backend.as_object_mut() else {
        return;
    };
    let name = backend.remove("serviceName");
    let port = backend.remove("servicePort");
    if name.is_none() && port.is_none() {
        return;
    }
    let mut service = JsonMap::new();
    if let Some(name) = name {
        service.insert("name".into(), name);
    }
    match port {
        Some(serde_json::Value::Number(number)) => {
            service.insert("port".into(), serde_json::json!({ "number": number }));
        }
        Some(serde_json::Value::String(name)) => {
            service.insert("port".into(), serde_json::json!({ "name": name }));
        }
        _ => {}
    }
    backend.insert("service".into(), service.into());
}

/// One autoscaling/v2beta1 metric in the v2 shape: `targetAverageUtilization`,
/// `targetAverageValue`, `targetValue` and `metricName` become `target` and
/// `metric`.
fn convert_v2beta1_metric(metric: &mut serde_json::Value) {
    let Some(kind) = metric.get("type").and_then(|t| t.as_str()) else {
        return;
    };
    let key = match kind {
        "Resource" => "resource",
        "Pods" => "pods",
        "Object" => "object",
        "External" => "external",
        "ContainerResource" => "containerResource",
        _ => return,
    };
    let Some(source) = metric.get_mut(key).and_then(|s| s.as_object_mut()) else {
        return;
    };
    let target = if let Some(v) = source.remove("targetAverageUtilization") {
        serde_json::json!({ "type": "Utilization", "averageUtilization": v })
    } else if let Some(v) = source.remove("targetAverageValue") {
        serde_json::json!({ "type": "AverageValue", "averageValue": v })
    } else if let Some(v) = source.remove("targetValue") {
        serde_json::json!({ "type": "Value", "value": v })
    } else {
        serde_json::Value::Null
    };
    if !target.is_null() {
        source.insert("target".into(), target);
    }
    if let Some(name) = source.remove("metricName") {
        let mut identifier = JsonMap::new();
        identifier.insert("name".into(), name);
        if let Some(selector) = source
            .remove("metricSelector")
            .or(source.remove("selector"))
        {
            identifier.insert("selector".into(), selector);
        }
        source.insert("metric".into(), identifier.into());
    }
    if key == "object"
        && let Some(reference) = source.remove("target").filter(|t| t.get("kind").is_some())
    {
        source.insert("describedObject".into(), reference);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_refuse_ambiguous_numbers() {
        assert_eq!(KubernetesVersion::parse("1.25").unwrap().minor, 25);
        assert_eq!(KubernetesVersion::parse("v1.22.4").unwrap().minor, 22);
        assert!(KubernetesVersion::parse("2.0").is_err());
        assert!(KubernetesVersion::parse("1.99").is_err());
        let number: Result<KubernetesVersion, _> = serde_json::from_str("1.3");
        assert!(number.unwrap_err().to_string().contains("quoted"));
        let number: KubernetesVersion = serde_json::from_str("1.29").unwrap();
        assert_eq!(number.minor, 29);
    }

    #[test]
    fn removals_depend_on_the_target_release() {
        let v = |minor| KubernetesVersion { minor };
        assert!(not_served("batch/v1beta1", "CronJob", v(24)).is_none());
        let refused = not_served("batch/v1beta1", "CronJob", v(25)).unwrap();
        assert!(
            refused.contains("removed from it in Kubernetes 1.25"),
            "{refused}"
        );
        assert!(not_served("apps/v1", "Deployment", v(33)).is_none());
        assert!(not_served("autoscaling/v1", "HorizontalPodAutoscaler", v(33)).is_none());
        assert!(not_served("apps/v2", "Deployment", v(33)).is_some());
        assert!(not_served("argoproj.io/v1alpha1", "Rollout", v(33)).is_none());
        assert!(not_served("example.com/v1", "Deployment", v(33)).is_none());
    }

    #[test]
    fn beta_ingresses_are_converted_to_the_v1_shape() {
        let mut ingress = serde_json::json!({"spec": {
            "backend": {"serviceName": "web", "servicePort": 80},
            "rules": [{"http": {"paths": [{"path": "/", "backend": {"serviceName": "api", "servicePort": "http"}}]}}]
        }});
        Conversion::IngressBackends.apply(&mut ingress);
        assert_eq!(
            ingress["spec"]["defaultBackend"]["service"],
            serde_json::json!({"name": "web", "port": {"number": 80}})
        );
        let path = &ingress["spec"]["rules"][0]["http"]["paths"][0];
        assert_eq!(path["backend"]["service"]["port"]["name"], "http");
        assert_eq!(path["pathType"], "ImplementationSpecific");
    }

    #[test]
    fn hpa_targets_are_converted_to_the_v2_shape() {
        let mut v1 = serde_json::json!({"spec": {"targetCPUUtilizationPercentage": 70}});
        Conversion::CpuUtilization.apply(&mut v1);
        assert_eq!(
            v1["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
            70
        );
        let mut beta = serde_json::json!({"spec": {"metrics": [
            {"type": "Resource", "resource": {"name": "memory", "targetAverageUtilization": 80}},
            {"type": "Pods", "pods": {"metricName": "rps", "targetAverageValue": "100"}}
        ]}});
        Conversion::MetricTargets.apply(&mut beta);
        assert_eq!(
            beta["spec"]["metrics"][0]["resource"]["target"]["type"],
            "Utilization"
        );
        assert_eq!(beta["spec"]["metrics"][1]["pods"]["metric"]["name"], "rps");
    }
}
