//! The namespace family: what a namespace imposes on every pod created in
//! it. Pod Security Admission enforces a Pod Security Standard on the pods of
//! a namespace through its `pod-security.kubernetes.io/enforce` label, so the
//! rules hold even for a pod nobody reviewed. Only Namespace objects present
//! in the manifests can be judged: the labels of a namespace created
//! elsewhere (by the platform team, by `kubectl create namespace`) are not
//! visible. Where the profile sets `require_namespace_objects`
//! (production), a namespace that runs workloads without its Namespace
//! object in the target is itself a finding: its level cannot be verified.
//! Elsewhere nothing is evaluated for it (the item is not applicable).

use std::collections::{BTreeMap, BTreeSet};

use super::{Check, CheckMeta, INVENTORY, Rule, Scope, Severity, Violation};
use crate::config::PodSecurityLevel;
use crate::model::Workload;

/// The namespace family, in catalogue order.
pub static CHECKS: &[&Check] = &[&POD_SECURITY];

const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";
const ENFORCE_VERSION_LABEL: &str = "pod-security.kubernetes.io/enforce-version";

pub static POD_SECURITY: Check = Check {
    meta: CheckMeta {
        id: "namespace.pod-security",
        title: "Every namespace enforces the profile's Pod Security Standard",
        judges: "Namespace object",
        severity: Severity::High,
        checklist: &["GL-SEC-02"],
        needs: INVENTORY,
        rationale: "Without an enforced Pod Security Standard the API server admits any pod into the namespace: \
                    privileged containers, host namespaces and host paths, root users. One careless manifest or \
                    compromised deploy pipeline then owns the node.",
        remediation: "Label the Namespace with pod-security.kubernetes.io/enforce set to the profile's level (or a \
                      stricter one: privileged < baseline < restricted), and pod-security.kubernetes.io/enforce-version \
                      set to latest or a v1.N version if you pin it. Only Namespace objects in the manifests are \
                      judged: ship the Namespace object with the release (production requires it: \
                      require_namespace_objects), or label it where it is created and set \
                      require_namespace_objects: false.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        let required = scope.profile.pod_security_level;
        for namespace in scope.objects("Namespace") {
            evaluation.evaluated();
            let problems = enforcement_problems(namespace.labels(), required);
            if problems.is_empty() {
                continue;
            }
            evaluation.report(Violation {
                object: namespace,
                container: None,
                field: "metadata.labels".to_string(),
                expected: format!(
                    "{ENFORCE_LABEL}: {required} or stricter, and {ENFORCE_VERSION_LABEL} latest or v1.N if set"
                ),
                found: problems.join("; "),
            });
        }
        if scope.profile.require_namespace_objects {
            for workload in workloads_without_namespace_object(scope) {
                evaluation.evaluated();
                let namespace = workload.object.namespace().unwrap_or("default");
                evaluation.report(Violation {
                    object: workload.object,
                    container: None,
                    field: "metadata.namespace".to_string(),
                    expected: format!(
                        "a Namespace object {namespace:?} in the target with {ENFORCE_LABEL}: {required} \
                         or stricter (the profile requires namespace objects)"
                    ),
                    found: format!(
                        "no Namespace object {namespace:?} in the target: the Pod Security level its pods \
                         run under cannot be verified"
                    ),
                });
            }
        }
    }),
};

/// The first workload in scope of every namespace whose Namespace object is
/// not in the inventory (a workload without a namespace runs in `default`).
fn workloads_without_namespace_object<'a>(scope: &Scope<'a>) -> Vec<Workload<'a>> {
    let mut seen = BTreeSet::new();
    scope
        .workloads()
        .filter(|w| {
            let namespace = w.object.namespace().unwrap_or("default");
            seen.insert(namespace) && scope.inventory.get("Namespace", None, namespace).is_none()
        })
        .collect()
}

/// What keeps a namespace's labels from enforcing `required`: none when
/// they do. A missing enforce label leaves the API server's default,
/// privileged (unless its admission configuration says otherwise, which
/// manifests cannot show).
fn enforcement_problems(
    labels: &BTreeMap<String, String>,
    required: PodSecurityLevel,
) -> Vec<String> {
    let mut problems = Vec::new();
    match labels.get(ENFORCE_LABEL) {
        None if required > PodSecurityLevel::Privileged => problems.push(format!(
            "no {ENFORCE_LABEL} label: the cluster default applies (privileged unless configured otherwise)"
        )),
        None => {}
        Some(value) => match PodSecurityLevel::from_label(value) {
            None => problems.push(format!(
                "{ENFORCE_LABEL}: {value:?}, which is not a Pod Security level (privileged, baseline, restricted)"
            )),
            Some(level) if level < required => {
                problems.push(format!("{ENFORCE_LABEL}: {level}, less strict than {required}"))
            }
            Some(_) => {}
        },
    }
    if let Some(version) = labels.get(ENFORCE_VERSION_LABEL)
        && !is_valid_version(version)
    {
        problems.push(format!(
            "{ENFORCE_VERSION_LABEL}: {version:?}, which the API server rejects (\"latest\" or \"v1.N\")"
        ));
    }
    problems
}

/// Whether a `pod-security.kubernetes.io/enforce-version` value is one Pod
/// Security Admission accepts: `latest` or `v1.N` (N without leading zero).
fn is_valid_version(version: &str) -> bool {
    if version == "latest" {
        return true;
    }
    version.strip_prefix("v1.").is_some_and(|minor| {
        !minor.is_empty()
            && minor.chars().all(|c| c.is_ascii_digit())
            && (minor == "0" || !minor.starts_with('0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::selector::labels;

    #[test]
    fn versions_follow_pod_security_admission() {
        for valid in ["latest", "v1.0", "v1.33", "v1.9"] {
            assert!(is_valid_version(valid), "{valid}");
        }
        for invalid in [
            "", "Latest", "1.33", "v1.33.0", "v2.0", "v1.", "v1.033", "v1.x",
        ] {
            assert!(!is_valid_version(invalid), "{invalid}");
        }
    }

    #[test]
    fn levels_compare_by_strictness() {
        let restricted = labels(&[(ENFORCE_LABEL, "restricted")]);
        assert!(enforcement_problems(&restricted, PodSecurityLevel::Baseline).is_empty());
        let baseline = labels(&[(ENFORCE_LABEL, "baseline")]);
        assert_eq!(
            enforcement_problems(&baseline, PodSecurityLevel::Restricted).len(),
            1
        );
        let unknown = labels(&[(ENFORCE_LABEL, "strict")]);
        assert_eq!(
            enforcement_problems(&unknown, PodSecurityLevel::Privileged).len(),
            1
        );
    }

    #[test]
    fn a_missing_label_means_privileged() {
        assert!(enforcement_problems(&labels(&[]), PodSecurityLevel::Privileged).is_empty());
        assert_eq!(
            enforcement_problems(&labels(&[]), PodSecurityLevel::Baseline).len(),
            1
        );
        let bad_version = labels(&[
            (ENFORCE_LABEL, "restricted"),
            (ENFORCE_VERSION_LABEL, "1.33"),
        ]);
        assert_eq!(
            enforcement_problems(&bad_version, PodSecurityLevel::Restricted).len(),
            1
        );
    }
}
