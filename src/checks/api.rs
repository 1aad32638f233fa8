//! The api family: every object must be at an API version the target
//! Kubernetes release (the profile's `kubernetes_version`) serves. An object
//! at a removed version (`extensions/v1beta1` Deployments, `batch/v1beta1`
//! CronJobs, `policy/v1beta1` budgets...) is refused by the API server, so
//! the release fails on deploy day whatever else it gets right. Its pod
//! template is still judged by the other checks (the loader reads it with
//! the type of its replacement, see `model::api_versions`). A key the
//! object's type does not have (`readinessprobe:`) is a setting that does
//! not exist once applied (`model::unknown_fields`). A workload whose
//! selector does not match its own pod template is refused as well.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::Value;

use super::{Check, CheckMeta, INVENTORY, Rule, Severity, Violation};
use crate::model::api_versions::{not_served, removal};
use crate::model::selector::Selector;
use crate::model::unknown_fields::unknown_fields_of_each;
use crate::model::{Object, Resource};

/// The api family, in catalogue order.
pub static CHECKS: &[&Check] = &[&REMOVED_VERSION, &UNKNOWN_FIELDS, &SELECTOR_MATCH];

pub static REMOVED_VERSION: Check = Check {
    meta: CheckMeta {
        id: "api.removed-version",
        title: "Every object uses an API version the target Kubernetes serves",
        judges: "object",
        severity: Severity::Critical,
        checklist: &["GL-APP-01"],
        needs: INVENTORY,
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
    rule: Rule::Inventory(|scope, evaluation| {
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
    }),
};

pub static UNKNOWN_FIELDS: Check = Check {
    meta: CheckMeta {
        id: "api.unknown-fields",
        title: "Every field of an object is one Kubernetes knows",
        judges: "object of a kind golive types",
        severity: Severity::High,
        checklist: &["GL-APP-01"],
        needs: INVENTORY,
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
    rule: Rule::Inventory(|scope, evaluation| {
        let objects: Vec<&Object> = scope.every_object().collect();
        for (object, unknown) in objects
            .iter()
            .copied()
            .zip(unknown_fields_of_each(&objects))
        {
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
    }),
};

pub static SELECTOR_MATCH: Check = Check {
    meta: CheckMeta {
        id: "api.selector-match",
        title: "Every workload's selector matches its own pod template",
        judges: "workload with a selector",
        severity: Severity::Critical,
        checklist: &["GL-APP-01"],
        needs: INVENTORY,
        rationale: "The API server refuses a Deployment, StatefulSet, DaemonSet or ReplicaSet (apps/v1), a Job \
                    with manualSelector: true or a ReplicationController whose spec.selector does not match the \
                    labels of its pod template (`selector does not match template labels`), and an apps/v1 \
                    workload without a selector or with an empty one: the release fails on deploy day. The \
                    controllers of Argo Rollouts and OpenShift DeploymentConfigs refuse theirs the same way, \
                    and the workload never runs. matchLabels and matchExpressions are evaluated as the API \
                    server does; a selector it cannot read (an unknown operator, In without values) is refused \
                    too. Kinds whose selector is generated (Jobs without manualSelector, CronJobs) or \
                    defaulted from the template when unset (ReplicationController, DeploymentConfig, beta \
                    workloads) are judged only on a selector they write.",
        remediation: "Make spec.selector a subset of spec.template.metadata.labels (usually the app label \
                      alone: the selector of an apps/v1 workload cannot change after creation, so keep \
                      version labels out of it), or add the missing labels to the pod template.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for workload in scope.workloads() {
            let object = workload.object;
            let Some(declared) = declared_selector(object) else {
                continue;
            };
            evaluation.evaluated();
            let labels = workload.pod_labels();
            let (field, found) = match declared {
                Declared::Missing { field, why } => (field, why.to_string()),
                Declared::Labels {
                    selector,
                    may_be_empty,
                } => match read_label_selector(&selector, may_be_empty) {
                    Ok(selector) if selector.matches(labels) => continue,
                    Ok(selector) => ("spec.selector", mismatch(&selector, labels)),
                    Err(why) => ("spec.selector", why),
                },
                Declared::Map(selector) => {
                    match serde_json::from_value::<BTreeMap<String, String>>(selector) {
                        Ok(map) if Selector::from_map(&map).matches(labels) => continue,
                        Ok(map) => ("spec.selector", mismatch(&Selector::from_map(&map), labels)),
                        Err(e) => (
                            "spec.selector",
                            format!("a selector that cannot be read: {e}"),
                        ),
                    }
                }
            };
            evaluation.report(Violation {
                object,
                container: None,
                field: field.to_string(),
                expected: "a selector that matches the pod template's labels \
                           (spec.template.metadata.labels)"
                    .into(),
                found,
            });
        }
    }),
};

/// The selector a workload writes, as its kind reads it.
enum Declared {
    /// A selector the kind requires and that is not there.
    Missing {
        field: &'static str,
        why: &'static str,
    },
    /// A `metav1.LabelSelector` (matchLabels, matchExpressions); an empty
    /// one is refused unless `may_be_empty` (a manual Job's).
    Labels { selector: Value, may_be_empty: bool },
    /// A plain map of labels (ReplicationController, DeploymentConfig).
    Map(Value),
}

/// The selector of `object` to judge, `None` when its kind has none or
/// generates (or defaults) it.
fn declared_selector(object: &Object) -> Option<Declared> {
    let json = object.json();
    let spec = &json["spec"];
    let selector = spec.get("selector").filter(|s| !s.is_null()).cloned();
    let required = |why| match &selector {
        Some(selector) => Declared::Labels {
            selector: selector.clone(),
            may_be_empty: false,
        },
        None => Declared::Missing { field: "spec", why },
    };
    match (&object.resource, object.api_group(), object.kind.as_str()) {
        (
            Resource::Deployment(_)
            | Resource::StatefulSet(_)
            | Resource::DaemonSet(_)
            | Resource::ReplicaSet(_),
            group,
            _,
        ) => {
            // An older version (extensions/v1beta1...) defaulted the selector
            // from the template's labels; api.removed-version judges it.
            (group == "apps" || selector.is_some())
                .then(|| required("no spec.selector, which apps/v1 requires"))
        }
        (Resource::Job(_), _, _) if spec["manualSelector"] == true => Some(match selector {
            Some(selector) => Declared::Labels {
                selector,
                may_be_empty: true,
            },
            None => Declared::Missing {
                field: "spec.manualSelector",
                why: "manualSelector: true without a spec.selector",
            },
        }),
        (Resource::Templated(_), "argoproj.io", "Rollout") => {
            Some(required("no spec.selector, which a Rollout requires"))
        }
        (
            Resource::Templated(_),
            "" | "apps.openshift.io",
            "ReplicationController" | "DeploymentConfig",
        ) => selector.map(Declared::Map),
        _ => None,
    }
}

/// A `metav1.LabelSelector` read as the API server reads it.
fn read_label_selector(selector: &Value, may_be_empty: bool) -> Result<Selector, String> {
    let typed: LabelSelector = serde_json::from_value(selector.clone())
        .map_err(|e| format!("a selector that cannot be read: {e}"))?;
    let selector = Selector::from_label_selector(&typed)
        .map_err(|e| format!("a selector the API server refuses: {e}"))?;
    if selector.requirements.is_empty() && !may_be_empty {
        return Err(
            "an empty selector, which would select every pod of the namespace: the API \
                    server refuses it"
                .into(),
        );
    }
    Ok(selector)
}

/// `app=api,tier=web does not match the template's labels app=api`.
fn mismatch(selector: &Selector, labels: &BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        format!("{selector}, but the pod template has no labels")
    } else {
        format!(
            "{selector}, which does not match the pod template's labels {}",
            Selector::from_map(labels)
        )
    }
}
