//! Suppressions: an object (or its pod template) may waive checks with the
//! annotation `golive.dev/skip: "probe.liveness, probe.port"` (IDs or whole
//! families such as `probe`), and must say why in `golive.dev/skip-reason`.
//! A waiver without a reason is ignored and the finding says so. A suppressed
//! finding is still reported, as suppressed.

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

/// The suppression of `check_id` on `object`, looking at the object's
/// annotations, then at its pod template's.
pub fn lookup(object: &Object, check_id: &str) -> Suppression {
    let workload = object.workload();
    let annotation = |key: &str| match &workload {
        Some(workload) => workload.annotation(key),
        None => object.annotation(key),
    };
    let Some(skip) = annotation(SKIP_ANNOTATION) else {
        return Suppression::None;
    };
    let family = check_id.split('.').next().unwrap_or(check_id);
    let names_check = skip.split([',', ' ']).map(str::trim).any(|entry| {
        entry == check_id || entry == family || entry.strip_suffix(".*") == Some(family)
    });
    if !names_check {
        return Suppression::None;
    }
    match annotation(REASON_ANNOTATION).map(str::trim) {
        Some(reason) if !reason.is_empty() => Suppression::Valid(reason.to_string()),
        _ => Suppression::MissingReason,
    }
}
