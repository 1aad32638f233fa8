//! The api family: every object must be at an API version the target
//! Kubernetes release (the profile's `kubernetes_version`) serves. An object
//! at a removed version (`extensions/v1beta1` Deployments, `batch/v1beta1`
//! CronJobs, `policy/v1beta1` budgets...) is refused by the API server, so
//! the release fails on deploy day whatever else it gets right. Its pod
//! template is still judged by the other checks (the loader reads it with
//! the type of its replacement, see `model::api_versions`).

use super::{Check, CheckMeta, Severity, Violation};
use crate::model::api_versions::{not_served, removal};

/// The api family, in catalogue order.
pub static CHECKS: &[&Check] = &[&REMOVED_VERSION];

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
