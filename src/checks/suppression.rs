//! Suppressions: an object (or its pod template) may waive checks with the
//! annotation `golive.dev/skip: "probe.liveness, resources:exporter"`: check
//! IDs or whole families, each optionally limited to one container with
//! `:container`. It must say why in `golive.dev/skip-reason`. A suppressed
//! finding is still reported, as suppressed. A waiver without a reason is
//! ignored (the finding says so) and is itself a finding of
//! `suppression.valid`, as is a waiver naming an unknown check or container:
//! a suppression that silently does nothing is worse than none.

use super::{Check, CheckMeta, INVENTORY, Rule, Severity, Violation};
use crate::model::Object;

pub const SKIP_ANNOTATION: &str = "golive.dev/skip";
pub const REASON_ANNOTATION: &str = "golive.dev/skip-reason";
pub const MISSING_REASON_NOTE: &str = "golive.dev/skip names this check but golive.dev/skip-reason is missing or empty, so the finding stands";

/// Whether a check is waived for an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suppression {
    None,
    Valid(String),
    MissingReason,
}

/// One entry of a `golive.dev/skip` list: a check ID or family, and the
/// container it is limited to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry<'a> {
    check: &'a str,
    container: Option<&'a str>,
}

impl<'a> Entry<'a> {
    fn parse_list(skip: &'a str) -> impl Iterator<Item = Entry<'a>> {
        skip.split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| match entry.split_once(':') {
                Some((check, container)) => Entry {
                    check: check.trim(),
                    container: Some(container.trim()),
                },
                None => Entry {
                    check: entry,
                    container: None,
                },
            })
    }

    fn names(&self, check_id: &str, container: Option<&str>) -> bool {
        let family = check_id.split('.').next().unwrap_or(check_id);
        let check_named = self.check == check_id
            || self.check == family
            || self.check.strip_suffix(".*") == Some(family);
        check_named && self.container.is_none_or(|c| container == Some(c))
    }
}

/// The annotations of the object, or of its pod template for a workload.
fn annotation<'o>(object: &'o Object, key: &str) -> Option<&'o str> {
    match object.workload() {
        Some(workload) => workload.annotation(key),
        None => object.annotation(key),
    }
}

/// The suppression of `check_id` on `object` (and `container`, for a
/// container-level finding). Checks of the `suppression` family cannot be
/// waived.
pub fn lookup(object: &Object, check_id: &str, container: Option<&str>) -> Suppression {
    if check_id.starts_with("suppression.") {
        return Suppression::None;
    }
    let Some(skip) = annotation(object, SKIP_ANNOTATION) else {
        return Suppression::None;
    };
    if !Entry::parse_list(skip).any(|entry| entry.names(check_id, container)) {
        return Suppression::None;
    }
    match annotation(object, REASON_ANNOTATION).map(str::trim) {
        Some(reason) if !reason.is_empty() => Suppression::Valid(reason.to_string()),
        _ => Suppression::MissingReason,
    }
}

/// The suppression family, in catalogue order.
pub static CHECKS: &[&Check] = &[&VALID];

pub static VALID: Check = Check {
    meta: CheckMeta {
        id: "suppression.valid",
        title: "Every waiver names real checks and containers and says why",
        judges: "golive.dev/skip waiver",
        severity: Severity::High,
        checklist: &["GL-OPS-02"],
        needs: INVENTORY,
        rationale: "A golive.dev/skip annotation without a reason hides a risk nobody can review; one that names \
                    an unknown check or container (a typo, a renamed check) silently waives nothing, so the team \
                    believes an exception is recorded when it is not.",
        remediation: "Give every golive.dev/skip a golive.dev/skip-reason saying why the exception is acceptable, \
                      and name checks by their ID or family (`golive checks`) and containers by their name \
                      (`check-id:container`).",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        let inventory = scope.inventory;
        let workloads = scope.workloads().map(|w| w.object);
        let others = inventory
            .objects()
            .filter(|o| o.workload().is_none() && scope.admits_object(o));
        for object in workloads.chain(others) {
            let Some(skip) = annotation(object, SKIP_ANNOTATION) else {
                continue;
            };
            evaluation.evaluated();
            let field = annotation_field(object, SKIP_ANNOTATION);
            let mut report = |expected: &str, found: String| {
                evaluation.report(Violation {
                    object,
                    container: None,
                    field: field.clone(),
                    expected: expected.to_string(),
                    found,
                });
            };
            let reason = annotation(object, REASON_ANNOTATION).map(str::trim);
            if reason.is_none_or(str::is_empty) {
                report(
                    "a golive.dev/skip-reason annotation saying why",
                    format!("golive.dev/skip: {skip:?} without a reason (the waiver is ignored)"),
                );
            }
            let entries: Vec<Entry> = Entry::parse_list(skip).collect();
            if entries.is_empty() {
                report(
                    "check IDs or families",
                    "an empty golive.dev/skip".to_string(),
                );
            }
            for entry in entries {
                let family = entry.check.strip_suffix(".*").unwrap_or(entry.check);
                if super::resolve(family).is_empty() {
                    report(
                        "a check ID or family listed by `golive checks`",
                        format!("{:?}, which is not a check golive knows", entry.check),
                    );
                } else if family.starts_with("suppression") {
                    report(
                        "a check other than suppression.valid",
                        format!("{:?}: waivers themselves cannot be waived", entry.check),
                    );
                }
                if let Some(container) = entry.container {
                    let exists = object
                        .workload()
                        .is_some_and(|w| w.containers().any(|c| c.container.name == container));
                    if !exists {
                        report(
                            "the name of one of the object's containers",
                            format!(
                                "{:?}, which is not a container of {}",
                                container,
                                object.reference()
                            ),
                        );
                    }
                }
            }
        }
    }),
};

/// The field path of an annotation of the object or, for a workload whose
/// own metadata lacks it, of its pod template.
fn annotation_field(object: &Object, key: &str) -> String {
    if object.annotation(key).is_some() {
        return "metadata.annotations".to_string();
    }
    match object.workload() {
        Some(workload) => workload.pod_metadata_field("annotations"),
        None => "metadata.annotations".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_name_checks_families_and_containers() {
        let entries: Vec<Entry> =
            Entry::parse_list("probe.liveness, resources:exporter security.*").collect();
        assert_eq!(entries.len(), 3);
        assert!(entries[0].names("probe.liveness", Some("api")));
        assert!(!entries[0].names("probe.readiness", None));
        assert!(entries[1].names("resources.cpu-limits", Some("exporter")));
        assert!(!entries[1].names("resources.cpu-limits", Some("api")));
        assert!(!entries[1].names("resources.cpu-limits", None));
        assert!(entries[2].names("security.privileged", Some("api")));
        assert!(!entries[2].names("securityx.privileged", None));
    }
}
