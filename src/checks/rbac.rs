//! The rbac family: what the application may do through the Kubernetes API
//! is least privilege. Every ServiceAccount a workload runs as exists, and
//! the roles bound to those accounts (the application service accounts)
//! grant neither administrator roles, nor wildcards, nor the permissions
//! that open the rest of the cluster: reading Secrets everywhere, exec into
//! pods, and the verbs that grant more (escalate, bind, impersonate).
//!
//! A binding reaches an application service account when one of its
//! subjects names it as the RBAC authorizer matches subjects (see
//! [`ServiceAccountRef::is_named_by`]). Bindings that reach no workload of
//! the scope (the platform's, the system's) are not judged. The built-in
//! ClusterRoles (`cluster-admin`, `admin`, `edit`, `view`, `system:*`) are
//! judged by name, whether or not the target holds them, so manifests and
//! a cluster (which always holds them) are judged alike: binding an
//! application to `cluster-admin`, `admin` or `edit` is a finding of
//! `rbac.admin-roles`; the rules of roles the target defines are judged by
//! `rbac.wildcards` and `rbac.sensitive-permissions`, one finding per rule.
//! A role the target does not hold (and that is not built in) cannot be
//! judged and is left out.

use k8s_openapi::api::rbac::v1::PolicyRule;

use super::{Check, CheckMeta, Evaluation, INVENTORY, Rule, Scope, Severity, Violation};
use crate::model::Object;
use crate::model::rbac::{Binding, ServiceAccountRef};

/// The rbac family, in catalogue order.
pub static CHECKS: &[&Check] = &[
    &SERVICE_ACCOUNT,
    &ADMIN_ROLES,
    &WILDCARDS,
    &SENSITIVE_PERMISSIONS,
];

pub static SERVICE_ACCOUNT: Check = Check {
    meta: CheckMeta {
        id: "rbac.service-account",
        title: "Every ServiceAccount a workload runs as is defined",
        judges: "workload naming a ServiceAccount",
        severity: Severity::Critical,
        checklist: &["GL-SEC-08"],
        needs: INVENTORY,
        rationale: "A pod naming a ServiceAccount that does not exist is refused by the API server: the \
                    ReplicaSet (or Job, StatefulSet...) reports \"serviceaccount not found\" and no pod of the \
                    release ever starts, although every manifest applied cleanly.",
        remediation: "Ship the ServiceAccount with the release (in the workload's namespace), or correct \
                      spec.serviceAccountName. A ServiceAccount the platform creates (for a cloud IAM role) is \
                      waived on the workload with golive.dev/skip and a reason naming who creates it.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for workload in scope.workloads() {
            let account = ServiceAccountRef::of(&workload);
            // `default` is created with every namespace.
            let Some(field) = account.field else {
                continue;
            };
            evaluation.evaluated();
            if account.object(scope.inventory).is_none() {
                evaluation.report(Violation::on_pod_spec(
                    &workload,
                    field,
                    "a ServiceAccount of the target, in the workload's namespace",
                    format!(
                        "no ServiceAccount {} in the target: the pods are refused (\"serviceaccount not found\")",
                        account.reference()
                    ),
                ));
            }
        }
    }),
};

pub static ADMIN_ROLES: Check = Check {
    meta: CheckMeta {
        id: "rbac.admin-roles",
        title: "No application service account holds cluster-admin, admin or edit",
        judges: "binding of an application service account",
        severity: Severity::Critical,
        checklist: &["GL-SEC-08"],
        needs: INVENTORY,
        rationale: "The built-in administrator roles give whoever holds the pod's token far more than an \
                    application uses: cluster-admin is every permission on the cluster; admin and edit read \
                    every Secret of the namespace, exec into its pods and (admin) grant roles, edit \
                    impersonates its ServiceAccounts. One vulnerability in the application becomes the \
                    cluster's or the namespace's compromise.",
        remediation: "Bind the ServiceAccount to a Role of its namespace listing the resources and verbs the \
                      application calls (e.g. get and watch on its own ConfigMap), nothing more.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        for held in held_bindings(scope) {
            evaluation.evaluated();
            let role = &held.binding.role_ref;
            let Some(grants) = admin_role(&role.kind, &role.name) else {
                continue;
            };
            let binding = held.binding.object;
            let reach = match (held.binding.is_cluster_wide(), binding.namespace()) {
                (false, Some(namespace)) => format!("in namespace {namespace}"),
                (false, None) => "in the namespace of the binding".to_string(),
                (true, _) => "in every namespace".to_string(),
            };
            evaluation.report(Violation {
                object: binding,
                container: None,
                field: "roleRef.name".into(),
                expected: "a Role granting only the resources and verbs the application uses"
                    .into(),
                found: format!(
                    "ClusterRole {} ({grants}) {reach}, held by {}",
                    role.name,
                    held.holders()
                ),
            });
        }
    }),
};

pub static WILDCARDS: Check = Check {
    meta: CheckMeta {
        id: "rbac.wildcards",
        title: "Roles of application service accounts name their resources and verbs",
        judges: "RBAC rule of an application service account",
        severity: Severity::High,
        checklist: &["GL-SEC-08"],
        needs: INVENTORY,
        rationale: "A `*` in a rule's verbs, resources or API groups grants everything of that kind, including \
                    what the API adds later (a new CRD, a new subresource): Secrets, exec, deletecollection. \
                    Nobody reviewing the role can tell what the application needs, and an intruder with the \
                    token gets all of it.",
        remediation: "List the API groups, resources and verbs the application calls, e.g. apiGroups [\"\"], \
                      resources [configmaps], verbs [get, watch]. An operator that manages a custom resource \
                      names its group and kinds.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        judge_rules(scope, evaluation, |rule, _| {
            let wildcards = wildcards(rule);
            let (first, _) = wildcards.first()?;
            let found = wildcards
                .iter()
                .map(|(key, values)| format!("{key} {values:?}"))
                .collect::<Vec<_>>()
                .join(", ");
            Some(RuleFinding {
                field: Some(first),
                expected: "named API groups, resources and verbs (no *)",
                found,
            })
        });
    }),
};

pub static SENSITIVE_PERMISSIONS: Check = Check {
    meta: CheckMeta {
        id: "rbac.sensitive-permissions",
        title: "Application service accounts cannot read Secrets everywhere, exec into pods or grant themselves more",
        judges: "RBAC rule of an application service account",
        severity: Severity::High,
        checklist: &["GL-SEC-08"],
        needs: INVENTORY,
        rationale: "Some permissions open the rest of the cluster: get, list or watch on Secrets through a \
                    ClusterRoleBinding reads every credential of every namespace; create on pods/exec runs \
                    any command in any pod the role reaches, with that pod's identity; escalate and bind \
                    grant roles with more than the holder has, impersonate acts as another user or \
                    ServiceAccount. An application holding one of them is one vulnerability away from the \
                    cluster.",
        remediation: "Read only the Secrets the application needs, by resourceNames, through a RoleBinding of \
                      its namespace; never give an application pods/exec (a Job or a sidecar does the work \
                      instead); leave escalate, bind and impersonate to the people and controllers that manage \
                      RBAC.",
        differences: &[],
    },
    rule: Rule::Inventory(|scope, evaluation| {
        judge_rules(scope, evaluation, |rule, cluster_wide| {
            if !wildcards(rule).is_empty() {
                return None; // rbac.wildcards reports the rule
            }
            let grants = sensitive_permissions(rule, cluster_wide);
            (!grants.is_empty()).then(|| RuleFinding {
                field: None,
                expected: "no Secrets read across namespaces, no pods/exec, no escalate, bind or impersonate",
                found: grants.join("; "),
            })
        });
    }),
};

/// The built-in ClusterRoles, judged by name (their rules are Kubernetes').
const BUILT_IN_ROLES: [&str; 4] = ["cluster-admin", "admin", "edit", "view"];

/// What a built-in administrator ClusterRole grants, or `None` for any other
/// role.
fn admin_role(kind: &str, name: &str) -> Option<&'static str> {
    if kind != "ClusterRole" {
        return None;
    }
    match name {
        "cluster-admin" => Some("every verb on every resource"),
        "admin" => Some("every Secret, exec into pods, RoleBindings"),
        "edit" => Some("every Secret, exec into pods, impersonating ServiceAccounts"),
        _ => None,
    }
}

/// Whether a roleRef names a built-in ClusterRole.
fn is_built_in(kind: &str, name: &str) -> bool {
    kind == "ClusterRole" && (BUILT_IN_ROLES.contains(&name) || name.starts_with("system:"))
}

/// A binding that names application service accounts, with the workloads
/// that run as them.
struct HeldBinding<'a> {
    binding: Binding<'a>,
    /// Each account the binding names, with the workloads (`Kind/ns/name`)
    /// that run as it.
    holders: Vec<(ServiceAccountRef<'a>, Vec<String>)>,
}

impl HeldBinding<'_> {
    /// `ServiceAccount ns/name (Deployment/ns/name)`, for findings.
    fn holders(&self) -> String {
        self.holders
            .iter()
            .map(|(account, workloads)| {
                format!(
                    "ServiceAccount {} ({})",
                    account.reference(),
                    workloads.join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The bindings that name the ServiceAccount of a workload in scope, in
/// the order their first workload comes.
fn held_bindings<'a>(scope: &Scope<'a>) -> Vec<HeldBinding<'a>> {
    let mut held: Vec<HeldBinding<'a>> = Vec::new();
    for workload in scope.workloads() {
        let account = ServiceAccountRef::of(&workload);
        let workload_ref = workload.object.reference().to_string();
        for binding in account.bindings(scope.inventory) {
            let index = match held
                .iter()
                .position(|h| std::ptr::eq(h.binding.object, binding.object))
            {
                Some(index) => index,
                None => {
                    held.push(HeldBinding {
                        binding,
                        holders: Vec::new(),
                    });
                    held.len() - 1
                }
            };
            let holders = &mut held[index].holders;
            let same =
                |a: &ServiceAccountRef| a.namespace == account.namespace && a.name == account.name;
            match holders.iter_mut().find(|(a, _)| same(a)) {
                Some((_, workloads)) => workloads.push(workload_ref.clone()),
                None => holders.push((account, vec![workload_ref.clone()])),
            }
        }
    }
    held
}

/// A Role or ClusterRole of the target held by application service
/// accounts, with the bindings that grant it.
struct HeldRole<'a, 'h> {
    role: &'a Object,
    rules: &'a [PolicyRule],
    through: Vec<&'h HeldBinding<'a>>,
}

impl HeldRole<'_, '_> {
    /// Whether a ClusterRoleBinding grants the role, in every namespace.
    fn is_cluster_wide(&self) -> bool {
        self.through.iter().any(|h| h.binding.is_cluster_wide())
    }

    /// `held by ... through RoleBinding/ns/name`, for findings.
    fn held_by(&self) -> String {
        self.through
            .iter()
            .map(|h| {
                format!(
                    "held by {} through {}",
                    h.holders(),
                    h.binding.object.reference()
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The roles of the target the held bindings grant (built-in ClusterRoles
/// left out: they are judged by name).
fn held_roles<'a, 'h>(scope: &Scope<'a>, held: &'h [HeldBinding<'a>]) -> Vec<HeldRole<'a, 'h>> {
    let mut roles: Vec<HeldRole<'a, 'h>> = Vec::new();
    for binding in held {
        let role_ref = binding.binding.role_ref;
        if is_built_in(&role_ref.kind, &role_ref.name) {
            continue;
        }
        let Some((role, rules)) = binding.binding.role(scope.inventory) else {
            continue;
        };
        match roles.iter_mut().find(|r| std::ptr::eq(r.role, role)) {
            Some(known) => known.through.push(binding),
            None => roles.push(HeldRole {
                role,
                rules,
                through: vec![binding],
            }),
        }
    }
    roles
}

/// What a rule check finds in one rule.
struct RuleFinding {
    /// The key of the rule to point at (`verbs`); `None`: the rule.
    field: Option<&'static str>,
    expected: &'static str,
    found: String,
}

/// Judges every rule of every role application service accounts hold
/// with `judge(rule, granted in every namespace)`, reporting at the rule.
fn judge_rules(
    scope: &Scope<'_>,
    evaluation: &mut Evaluation<'_>,
    judge: fn(&PolicyRule, bool) -> Option<RuleFinding>,
) {
    let held = held_bindings(scope);
    for role in held_roles(scope, &held) {
        for (i, rule) in role.rules.iter().enumerate() {
            evaluation.evaluated();
            let Some(finding) = judge(rule, role.is_cluster_wide()) else {
                continue;
            };
            let field = match finding.field {
                Some(key) => format!("rules[{i}].{key}"),
                None => format!("rules[{i}]"),
            };
            evaluation.report(Violation {
                object: role.role,
                container: None,
                field,
                expected: finding.expected.into(),
                found: format!("{}, {}", finding.found, role.held_by()),
            });
        }
    }
}

/// The keys of a rule holding a `*` (`*`, `*/scale`), with their values.
fn wildcards(rule: &PolicyRule) -> Vec<(&'static str, &[String])> {
    [
        ("apiGroups", rule.api_groups.as_deref()),
        ("resources", rule.resources.as_deref()),
        ("verbs", Some(rule.verbs.as_slice())),
    ]
    .into_iter()
    .filter_map(|(key, values)| {
        let values = values?;
        values
            .iter()
            .any(|v| v.contains('*'))
            .then_some((key, values))
    })
    .collect()
}

/// The sensitive permissions a rule without wildcards grants, in words.
fn sensitive_permissions(rule: &PolicyRule, cluster_wide: bool) -> Vec<String> {
    let has =
        |values: Option<&[String]>, wanted: &str| values.into_iter().flatten().any(|v| v == wanted);
    let verbs = |wanted: &[&'static str]| -> Vec<&'static str> {
        wanted
            .iter()
            .copied()
            .filter(|verb| has(Some(&rule.verbs), verb))
            .collect()
    };
    let core = has(rule.api_groups.as_deref(), "");
    let resources = rule.resources.as_deref();
    let mut grants = Vec::new();
    for verb in verbs(&["escalate", "bind", "impersonate"]) {
        grants.push(format!("verb {verb}"));
    }
    let exec = verbs(&["create", "get"]);
    if core && has(resources, "pods/exec") && !exec.is_empty() {
        grants.push(format!("{} on pods/exec", exec.join(", ")));
    }
    let read = verbs(&["get", "list", "watch"]);
    let every_secret = rule
        .resource_names
        .as_deref()
        .is_none_or(<[String]>::is_empty);
    if cluster_wide && core && has(resources, "secrets") && every_secret && !read.is_empty() {
        grants.push(format!(
            "{} on every Secret of every namespace (a ClusterRoleBinding)",
            read.join(", ")
        ));
    }
    grants
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
        let strings = |values: &[&str]| values.iter().map(|v| v.to_string()).collect::<Vec<_>>();
        PolicyRule {
            api_groups: Some(strings(groups)),
            resources: Some(strings(resources)),
            verbs: strings(verbs),
            ..Default::default()
        }
    }

    #[test]
    fn wildcards_are_found_in_groups_resources_and_verbs() {
        assert!(wildcards(&rule(&[""], &["configmaps"], &["get"])).is_empty());
        let keys = |r: PolicyRule| wildcards(&r).iter().map(|(k, _)| *k).collect::<Vec<_>>();
        assert_eq!(
            keys(rule(&["*"], &["*"], &["*"])),
            ["apiGroups", "resources", "verbs"]
        );
        assert_eq!(keys(rule(&["apps"], &["*/scale"], &["get"])), ["resources"]);
    }

    #[test]
    fn secrets_are_sensitive_only_in_every_namespace_and_without_resource_names() {
        let secrets = rule(&[""], &["secrets"], &["get", "list"]);
        assert!(sensitive_permissions(&secrets, false).is_empty());
        assert_eq!(
            sensitive_permissions(&secrets, true),
            ["get, list on every Secret of every namespace (a ClusterRoleBinding)"]
        );
        let named = PolicyRule {
            resource_names: Some(vec!["tls".into()]),
            ..secrets
        };
        assert!(sensitive_permissions(&named, true).is_empty());
        assert!(sensitive_permissions(&rule(&["apps"], &["secrets"], &["get"]), true).is_empty());
    }

    #[test]
    fn exec_and_granting_verbs_are_sensitive_anywhere() {
        assert_eq!(
            sensitive_permissions(
                &rule(&[""], &["pods", "pods/exec"], &["get", "create"]),
                false
            ),
            ["create, get on pods/exec"]
        );
        assert_eq!(
            sensitive_permissions(
                &rule(
                    &["rbac.authorization.k8s.io"],
                    &["roles"],
                    &["bind", "escalate"]
                ),
                false
            ),
            ["verb escalate", "verb bind"]
        );
        assert!(sensitive_permissions(&rule(&[""], &["pods/log"], &["get"]), true).is_empty());
    }

    #[test]
    fn built_in_roles_are_judged_by_name() {
        assert!(admin_role("ClusterRole", "cluster-admin").is_some());
        assert!(admin_role("Role", "cluster-admin").is_none());
        assert!(admin_role("ClusterRole", "view").is_none());
        assert!(is_built_in("ClusterRole", "system:auth-delegator"));
        assert!(is_built_in("ClusterRole", "view"));
        assert!(!is_built_in("ClusterRole", "factory-reader"));
    }
}
