//! The rule the reference checks share (`secrets.references`,
//! `config.references`): every Secret or ConfigMap a workload reads is
//! delivered to its namespace with the keys it reads. References are judged
//! only in namespaces the manifests deliver that kind of object to:
//! elsewhere such objects are created another way and golive cannot tell.

use std::collections::{BTreeMap, BTreeSet};

use super::{Evaluation, Scope, Violation};
use crate::model::Inventory;
use crate::model::references::{Reference, Source, references};

/// What the target delivers of one kind of object to one namespace.
pub(super) trait Delivered {
    /// Whether the manifests deliver objects of this kind to the namespace
    /// at all.
    fn judges_namespace(&self) -> bool;

    /// Whether a reference resolves, or the field to blame and what is wrong.
    fn resolve(&self, reference: &Reference<'_>) -> Result<(), (String, String)>;
}

/// Judges every non-optional reference to `source` objects of the
/// workloads in scope against what `delivered` finds in their namespace.
pub(super) fn judge_references<'a, D: Delivered>(
    scope: &Scope<'a>,
    evaluation: &mut Evaluation<'_>,
    source: Source,
    delivered: fn(&'a Inventory, Option<&'a str>) -> D,
) {
    let mut by_namespace = BTreeMap::new();
    for workload in scope.workloads() {
        let namespace = workload.object.namespace();
        let targets = by_namespace
            .entry(namespace)
            .or_insert_with(|| delivered(scope.inventory, namespace));
        if !targets.judges_namespace() {
            continue;
        }
        for reference in references(&workload, source) {
            if reference.optional {
                continue;
            }
            evaluation.evaluated();
            if let Err((field, found)) = targets.resolve(&reference) {
                evaluation.report(Violation {
                    object: workload.object,
                    container: reference.container,
                    field,
                    expected: format!(
                        "a {} {:?} with the keys read from it",
                        source.kind(),
                        reference.name
                    ),
                    found,
                });
            }
        }
    }
}

/// Whether `keys`, what the delivered object holds, has every key the
/// reference reads, or the field of the first missing one and why.
pub(super) fn has_keys_read(
    source: Source,
    reference: &Reference<'_>,
    keys: &BTreeSet<&str>,
) -> Result<(), (String, String)> {
    match reference.keys.iter().find(|(key, _)| !keys.contains(key)) {
        None => Ok(()),
        Some((key, field)) => Err((
            field.clone(),
            format!(
                "{} {:?} has no key {key:?} (its keys: {})",
                source.kind(),
                reference.name,
                keys.iter().copied().collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}
