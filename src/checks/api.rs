//! The api family: every object must be at an API version the target
//! Kubernetes release (the profile's `kubernetes_version`) serves. An object
//! at a removed version (`extensions/v1beta1` Deployments, `batch/v1beta1`
//! CronJobs, `policy/v1beta1` budgets...) is refused by the API server, so
//! the release fails on deploy day whatever else it gets right. Its pod
//! template is still judged by the other checks (the loader reads it with
//! the type of its replacement, see `model::api_versions`). A key the
//! object's type does not have (`readinessprobe:`) is a setting that does
//! not exist once applied (`model::unknown_fields`).

use super::{Check, CheckMeta, Severity, Violation};
use crate::model::Resource;
use crate::model::api_versions::{not_served, removal};
use crate::model::unknown_fields::unknown_fields;

/// The api family, in catalogue order.
pub static CHECKS: &[&Check] = &[&REMOVED_VERSION, &UNKNOWN_FIELDS];

pub static REMOVED_VERSION: Check = Check {
    meta: CheckMeta {
        id: "api.removed-version",
        title: "Every object uses an API version the target Kubernetes serves",
        judges: "object",
        severity: Severity::Critical,
        rationale: "The API server refuses an object at an API version its release no longer serves: `helm \
                    upgrade` or `kubectl apply` fails on deploy day, or a GitOps controller stays out of sync, \
                    and the workload is not deployed at all. Charts written years ago still render \
                    extensions/v1beta1 Deployments and Ingresses, batch/v1beta1 CronJobs and policy/v1beta1 \
                    PodDisruptionBudgets.",
        remediation: "Write the object at the version the finding names (for beta workloads, add the \
                      spec.selector that apps/v1 requires; for beta Ingresses, write backends as \
                      service.name and service.port). Set kubernetes_version in golive.yaml to the release you \
                      deploy to.",
        differences: &[],
    },
    rule: |scope, evaluation| {
        let target = scope.profile.kubernetes_version;
        for object in scope.every_object() {
            evaluation.evaluated();
            let Some(refusal) = not_served(&object.api_version, &object.kind, target) else {
                continue;
            };
            let expected = match removal(&object.api_version, &object.kind) {
                Some(removed) => format!("apiVersion {}", removed.replacement),
                None => "an apiVersion Kubernetes serves".to_string(),
            };
            evaluation.report(Violation {
                object,
                container: None,
                field: "apiVersion".to_string(),
                expected,
                found: refusal,
            });
        }
    },
};

pub static UNKNOWN_FIELDS: Check = Check {
    meta: CheckMeta {
        id: "api.unknown-fields",
        title: "Every field of an object is one Kubernetes knows",
        judges: "object of a kind golive types",
        severity: Severity::High,
        rationale: "A misspelt or misplaced key (`readinessprobe:`, `resource:` instead of `resources:`, \
                    `securityContext` indented under the wrong parent) is dropped by the API server, or, \
                    under strict field validation (`kubectl apply` since 1.27), refuses the whole object: \
                    either the release fails on deploy day, or the probe, limit or security setting the \
                    author believes in silently does not exist. Kinds golive does not type (custom \
                    resources) are not judged; of a custom workload, its pod template is.",
        remediation: "Spell the field as the API reference does (fields are camelCase: readinessProbe, \
                      imagePullPolicy) at the level it belongs to; `kubectl explain <kind>.<path>` shows \
                      the schema, and `kubectl apply --dry-run=server --validate=strict` rejects unknown \
                      fields before a release.",
        differences: &[],
    },
    rule: |scope, evaluation| {
        for object in scope.every_object() {
            let unknown = unknown_fields(object);
            if !matches!(object.resource, Resource::Dynamic | Resource::Node(_)) {
                evaluation.evaluated();
            }
            let workload = object.workload();
            for field in unknown {
                let key = field.rsplit('.').next().unwrap_or(&field).to_string();
                // A key inside a container's definition names the container.
                let container = workload.into_iter().flat_map(|w| w.containers()).find(|c| {
                    field
                        .strip_prefix(c.path.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
                });
                evaluation.report(Violation {
                    object,
                    container: container.map(|c| c.container.name.as_str()),
                    expected: match object.resource {
                        Resource::Templated(_) => "a field a pod template has".to_string(),
                        _ => format!("a field {} {} has", object.api_version, object.kind),
                    },
                    found: format!("unknown field `{key}`: Kubernetes drops it"),
                    field,
                });
            }
        }
    },
};
