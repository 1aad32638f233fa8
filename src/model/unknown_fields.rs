//! The fields of a typed object that its type does not have: a misspelt key
//! (`readinessprobe:`, `resource:`) is dropped by the API server (or, under
//! strict field validation, refuses the whole object), so the setting it was
//! meant to make silently does not exist. golive reads objects with
//! k8s-openapi's types, which skip unknown keys; writing the typed object
//! back and comparing keys with what the file says finds them.

use serde_json::Value;

use super::api_versions;
use super::{Object, Resource};

/// The paths (`spec.template.spec.containers[0].readinessprobe`) of the
/// keys of `object` that its type does not know, in document order. Kinds
/// golive does not type are not judged (their schema is unknown); of a
/// custom workload, only the pod template is.
pub fn unknown_fields(object: &Object) -> Vec<String> {
    let Some((prefix, typed)) = typed_view(&object.resource) else {
        return Vec::new();
    };
    let mut written = object.json();
    // An older version is compared in the shape golive read it with.
    if let Some((_, conversion)) = api_versions::legacy_shape(&object.api_version, &object.kind) {
        conversion.apply(&mut written);
    }
    let written = match prefix {
        "" => Some(&written),
        path => written.pointer(&format!("/{}", path.replace('.', "/"))),
    };
    let mut found = Vec::new();
    if let Some(written) = written {
        compare(written, &typed, prefix.to_string(), &mut found);
    }
    found
}

/// [`unknown_fields`] of each object, in order, computed on every core
/// (writing 10,000 typed objects back is the costly part of the check).
pub fn unknown_fields_of_each(objects: &[&Object]) -> Vec<Vec<String>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = objects.len().div_ceil(cores).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = objects
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || part.iter().map(|o| unknown_fields(o)).collect::<Vec<_>>())
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// What golive read of an object, written back as JSON, and where it sits
/// in the object (empty: the whole object).
fn typed_view(resource: &Resource) -> Option<(&'static str, Value)> {
    macro_rules! whole {
        ($value:expr) => {
            ("", serde_json::to_value($value.as_ref()).ok()?)
        };
    }
    Some(match resource {
        Resource::Deployment(o) => whole!(o),
        Resource::StatefulSet(o) => whole!(o),
        Resource::DaemonSet(o) => whole!(o),
        Resource::ReplicaSet(o) => whole!(o),
        Resource::Job(o) => whole!(o),
        Resource::CronJob(o) => whole!(o),
        Resource::Pod(o) => whole!(o),
        Resource::Service(o) => whole!(o),
        Resource::Ingress(o) => whole!(o),
        Resource::NetworkPolicy(o) => whole!(o),
        Resource::PodDisruptionBudget(o) => whole!(o),
        Resource::HorizontalPodAutoscaler(o) => whole!(o),
        Resource::Namespace(o) => whole!(o),
        Resource::Secret(o) => whole!(o),
        Resource::ConfigMap(o) => whole!(o),
        Resource::PersistentVolumeClaim(o) => whole!(o),
        Resource::ServiceAccount(o) => whole!(o),
        Resource::Role(o) => whole!(o),
        Resource::ClusterRole(o) => whole!(o),
        Resource::RoleBinding(o) => whole!(o),
        Resource::ClusterRoleBinding(o) => whole!(o),
        Resource::Templated(o) => ("spec.template", serde_json::to_value(&o.template).ok()?),
        Resource::Node(_) | Resource::Dynamic => return None,
    })
}

/// Adds to `found` the keys of `written` (at `path`) that `typed` lacks.
/// A key written as `null` is the same as no key and is not reported.
fn compare(written: &Value, typed: &Value, path: String, found: &mut Vec<String>) {
    match (written, typed) {
        (Value::Object(written), Value::Object(typed)) => {
            for (key, value) in written {
                let field = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match typed.get(key) {
                    Some(known) => compare(value, known, field, found),
                    None if value.is_null() => {}
                    None => found.push(field),
                }
            }
        }
        (Value::Array(written), Value::Array(typed)) => {
            for (index, (value, known)) in written.iter().zip(typed).enumerate() {
                compare(value, known, format!("{path}[{index}]"), found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::manifests::{Loaded, load_bytes};

    fn unknown(text: &str) -> Vec<String> {
        let mut loaded = Loaded::default();
        load_bytes("test.yaml", text.as_bytes(), &mut loaded);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        loaded.objects.iter().flat_map(unknown_fields).collect()
    }

    #[test]
    fn a_misspelt_key_is_found_where_it_is_written() {
        let found = unknown(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, creationTimestamp: null}\n\
             spec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n\
             \x20   spec:\n      containers:\n      - name: api\n        image: api:1\n\
             \x20       readinessprobe: {httpGet: {path: /ready, port: 8080}}\n\
             \x20       resources: {limits: {cpu: 1}}\n",
        );
        assert_eq!(
            found,
            ["spec.template.spec.containers[0].readinessprobe"],
            "null values, free-form maps and quantities written as numbers are not unknown"
        );
    }

    #[test]
    fn every_known_field_of_a_typed_kind_reads_back() {
        let found = unknown(
            "apiVersion: v1\nkind: Service\nmetadata: {name: api, labels: {Any-Label: x}}\n\
             spec:\n  selector: {app: api}\n  ports: [{port: 80, targetPort: http, protocol: TCP}]\n\
             ---\napiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: api}\n\
             spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: api}\n\
             \x20 minReplicas: 3\n  maxReplicas: 6\n  targetCPUUtilizationPercentage: 70\n",
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn custom_kinds_are_judged_on_their_pod_template_only() {
        let found = unknown(
            "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: api}\n\
             spec:\n  strategy: {canary: {steps: [{setWeight: 20}]}}\n  template:\n    spec:\n\
             \x20     containers: [{name: api, image: api:1, securityContex: {runAsNonRoot: true}}]\n\
             ---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: api}\n\
             spec: {anything: goes}\n",
        );
        assert_eq!(found, ["spec.template.spec.containers[0].securityContex"]);
    }
}
