//! The config family: every ConfigMap a pod reads exists, with the keys it
//! reads, or the pod never starts (the ConfigMap half of
//! `secrets.references`, judged by the same rule). The
//! `kube-root-ca.crt` ConfigMap, which Kubernetes publishes in every
//! namespace, always exists.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::ConfigMap;

use super::references::{Delivered, has_keys_read, judge_references};
use super::{Check, CheckMeta, INVENTORY, Rule, Severity};
use crate::model::references::{Reference, Source};
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
        checklist: &["GL-APP-05"],
        needs: INVENTORY,
        rationale: "A pod that reads a ConfigMap (or a key of it) that does not exist never starts: it stays \
                    in CreateContainerConfigError (env) or ContainerCreating (volume), and a rollout that \
                    needs it stalls with the old replicas still serving, or none. A renamed key in a \
                    ConfigMap breaks every workload that reads the old name.",
        remediation: "Ship the ConfigMap with the release in the workload's namespace, fix the name or the \
                      key, or mark a truly optional reference `optional: true`.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        judge_references(scope, evaluation, Source::ConfigMap, ConfigMaps::of)
    }),
};

/// The ConfigMaps the manifests deliver to a namespace, by name.
struct ConfigMaps<'a>(BTreeMap<&'a str, &'a ConfigMap>);

impl<'a> ConfigMaps<'a> {
    fn of(inventory: &'a Inventory, namespace: Option<&'a str>) -> ConfigMaps<'a> {
        ConfigMaps(
            inventory
                .of_kind_in("ConfigMap", namespace)
                .filter_map(|object| match &object.resource {
                    Resource::ConfigMap(config_map) => {
                        Some((object.metadata.name.as_deref()?, config_map.as_ref()))
                    }
                    _ => None,
                })
                .collect(),
        )
    }
}

impl Delivered for ConfigMaps<'_> {
    fn judges_namespace(&self) -> bool {
        !self.0.is_empty()
    }

    fn resolve(&self, reference: &Reference<'_>) -> Result<(), (String, String)> {
        if reference.name == PUBLISHED_IN_EVERY_NAMESPACE {
            return Ok(());
        }
        let Some(config_map) = self.0.get(reference.name) else {
            return Err((
                reference.field.clone(),
                format!(
                    "no ConfigMap {:?} in the namespace (it holds: {})",
                    reference.name,
                    self.0.keys().copied().collect::<Vec<_>>().join(", ")
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
        has_keys_read(Source::ConfigMap, reference, &keys)
    }
}
