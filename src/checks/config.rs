//! The config family: every ConfigMap a pod reads exists, with the keys it
//! reads, or the pod never starts (the ConfigMap half of
//! `secrets.references`). As for Secrets, references are judged only in
//! namespaces the manifests deliver ConfigMaps to: elsewhere they are
//! created another way and golive cannot tell whether they exist. The
//! `kube-root-ca.crt` ConfigMap, which Kubernetes publishes in every
//! namespace, always exists.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::ConfigMap;

use super::{Check, CheckMeta, Severity, Violation};
use crate::model::references::{Reference, Source, references};
use crate::model::{Inventory, Resource};

/// The config family, in catalogue order.
pub static CHECKS: &[&Check] = &[&REFERENCES];

/// The ConfigMap the root CA publisher writes into every namespace.
const PUBLISHED_IN_EVERY_NAMESPACE: &str = "kube-root-ca.crt";

pub static REFERENCES: Check = Check {
    meta: CheckMeta {
        id: "config.references",
        title: "Every ConfigMap a workload uses exists, with the keys it reads",
        judges: "ConfigMap reference",
        severity: Severity::Critical,
        rationale: "A pod that reads a ConfigMap (or a key of it) that does not exist never starts: it stays \
                    in CreateContainerConfigError (env) or ContainerCreating (volume), and a rollout that \
                    needs it stalls with the old replicas still serving, or none. A renamed key in a \
                    ConfigMap breaks every workload that reads the old name.",
        remediation: "Ship the ConfigMap with the release in the workload's namespace, fix the name or the \
                      key, or mark a truly optional reference `optional: true`.",
        differences: &[],
    },
    rule: |scope, evaluation| {
        let mut by_namespace = BTreeMap::new();
        for workload in scope.workloads() {
            let namespace = workload.object.namespace();
            let delivered = by_namespace
                .entry(namespace)
                .or_insert_with(|| delivered(scope.inventory, namespace));
            if delivered.is_empty() {
                continue;
            }
            for reference in references(&workload, Source::ConfigMap) {
                if reference.optional || reference.name == PUBLISHED_IN_EVERY_NAMESPACE {
                    continue;
                }
                evaluation.evaluated();
                if let Err((field, found)) = resolve(delivered, &reference) {
                    evaluation.report(Violation {
                        object: workload.object,
                        container: reference.container,
                        field,
                        expected: format!(
                            "a ConfigMap {:?} with the keys read from it",
                            reference.name
                        ),
                        found,
                    });
                }
            }
        }
    },
};

/// The ConfigMaps the manifests deliver to a namespace, by name.
fn delivered<'a>(
    inventory: &'a Inventory,
    namespace: Option<&'a str>,
) -> BTreeMap<&'a str, &'a ConfigMap> {
    inventory
        .of_kind_in("ConfigMap", namespace)
        .filter_map(|object| match &object.resource {
            Resource::ConfigMap(config_map) => {
                Some((object.metadata.name.as_deref()?, config_map.as_ref()))
            }
            _ => None,
        })
        .collect()
}

/// Whether a reference resolves, or the field to blame and what is wrong.
fn resolve(
    delivered: &BTreeMap<&str, &ConfigMap>,
    reference: &Reference<'_>,
) -> Result<(), (String, String)> {
    let Some(config_map) = delivered.get(reference.name) else {
        return Err((
            reference.field.clone(),
            format!(
                "no ConfigMap {:?} in the namespace (it holds: {})",
                reference.name,
                delivered.keys().copied().collect::<Vec<_>>().join(", ")
            ),
        ));
    };
    let keys: BTreeSet<&str> = config_map
        .data
        .iter()
        .flatten()
        .map(|(k, _)| k.as_str())
        .chain(
            config_map
                .binary_data
                .iter()
                .flatten()
                .map(|(k, _)| k.as_str()),
        )
        .collect();
    match reference.keys.iter().find(|(key, _)| !keys.contains(key)) {
        None => Ok(()),
        Some((key, field)) => Err((
            field.clone(),
            format!(
                "ConfigMap {:?} has no key {key:?} (its keys: {})",
                reference.name,
                keys.iter().copied().collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}
