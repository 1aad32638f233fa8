//! Who may do what through RBAC: the ServiceAccount a workload's pods run
//! as, the RoleBindings and ClusterRoleBindings that name it (matched as the
//! RBAC authorizer matches subjects), and the Role or ClusterRole a binding
//! grants. Used by the `rbac` checks and by
//! `security.service-account-token`.

use k8s_openapi::api::rbac::v1::{PolicyRule, RoleRef, Subject};

use super::{Inventory, Object, Resource, Workload};

/// The ServiceAccount a workload's pods run as: `spec.serviceAccountName`,
/// else the deprecated `spec.serviceAccount`, else `default`, in the
/// workload's namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceAccountRef<'a> {
    /// The workload's namespace (`None`: the one it is applied to, unknown).
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    /// The pod spec field that names it (`None`: the `default` account,
    /// named by nothing).
    pub field: Option<&'static str>,
}

impl<'a> ServiceAccountRef<'a> {
    pub fn of(workload: &Workload<'a>) -> ServiceAccountRef<'a> {
        let spec = workload.pod_spec;
        let named = |field: &'static str, value: &'a Option<String>| {
            value
                .as_deref()
                .filter(|name| !name.is_empty())
                .map(|name| (field, name))
        };
        let (field, name) = named("serviceAccountName", &spec.service_account_name)
            .or_else(|| named("serviceAccount", &spec.service_account))
            .map_or((None, "default"), |(field, name)| (Some(field), name));
        ServiceAccountRef {
            namespace: workload.object.namespace(),
            name,
            field,
        }
    }

    /// `namespace/name`, for findings.
    pub fn reference(&self) -> String {
        match self.namespace {
            Some(namespace) => format!("{namespace}/{}", self.name),
            None => self.name.to_string(),
        }
    }

    /// The ServiceAccount object, when the inventory holds it.
    pub fn object(&self, inventory: &'a Inventory) -> Option<&'a Object> {
        inventory.get("ServiceAccount", self.namespace, self.name)
    }

    /// Whether an RBAC subject matches this ServiceAccount as the RBAC
    /// authorizer matches it: as a ServiceAccount (of the binding's
    /// namespace when the subject names none), by its user name, or by the
    /// groups of all ServiceAccounts (of its namespace). An unknown
    /// namespace matches any.
    pub fn is_named_by(&self, subject: &Subject, default_namespace: Option<&str>) -> bool {
        let in_namespace =
            |namespace: Option<&str>| self.namespace.is_none() || namespace == self.namespace;
        let name = subject.name.as_str();
        match subject.kind.as_str() {
            "ServiceAccount" => {
                name == self.name
                    && in_namespace(subject.namespace.as_deref().or(default_namespace))
            }
            "User" => name
                .strip_prefix("system:serviceaccount:")
                .and_then(|rest| rest.split_once(':'))
                .is_some_and(|(namespace, account)| {
                    account == self.name && in_namespace(Some(namespace))
                }),
            "Group" => {
                name == "system:serviceaccounts"
                    || name
                        .strip_prefix("system:serviceaccounts:")
                        .is_some_and(|namespace| in_namespace(Some(namespace)))
            }
            _ => false,
        }
    }

    /// The RoleBindings and ClusterRoleBindings of the inventory that name
    /// this ServiceAccount, in input order.
    pub fn bindings(&self, inventory: &'a Inventory) -> impl Iterator<Item = Binding<'a>> + 'a {
        let account = *self;
        Binding::all(inventory).filter(move |binding| {
            binding
                .subjects
                .iter()
                .any(|subject| account.is_named_by(subject, binding.subject_namespace()))
        })
    }
}

/// A RoleBinding or ClusterRoleBinding of the inventory.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    pub object: &'a Object,
    pub role_ref: &'a RoleRef,
    pub subjects: &'a [Subject],
}

impl<'a> Binding<'a> {
    /// Every binding of the inventory: RoleBindings, then ClusterRoleBindings.
    pub fn all(inventory: &'a Inventory) -> impl Iterator<Item = Binding<'a>> + 'a {
        let role_bindings = inventory.of_kind("RoleBinding");
        let cluster_bindings = inventory.of_kind("ClusterRoleBinding");
        role_bindings
            .chain(cluster_bindings)
            .filter_map(|object| match &object.resource {
                Resource::RoleBinding(binding) => Some(Binding {
                    object,
                    role_ref: &binding.role_ref,
                    subjects: binding.subjects.as_deref().unwrap_or_default(),
                }),
                Resource::ClusterRoleBinding(binding) => Some(Binding {
                    object,
                    role_ref: &binding.role_ref,
                    subjects: binding.subjects.as_deref().unwrap_or_default(),
                }),
                _ => None,
            })
    }

    /// Whether the binding grants its role in every namespace (a
    /// ClusterRoleBinding) rather than in its own.
    pub fn is_cluster_wide(&self) -> bool {
        matches!(self.object.resource, Resource::ClusterRoleBinding(_))
    }

    /// The namespace of a ServiceAccount subject that names none: the
    /// RoleBinding's (a ClusterRoleBinding's subjects must name theirs).
    fn subject_namespace(&self) -> Option<&'a str> {
        self.object.namespace().filter(|_| !self.is_cluster_wide())
    }

    /// The Role or ClusterRole the binding grants, when the inventory holds
    /// it, with its rules.
    pub fn role(&self, inventory: &'a Inventory) -> Option<(&'a Object, &'a [PolicyRule])> {
        let object = match self.role_ref.kind.as_str() {
            "Role" if !self.is_cluster_wide() => {
                inventory.get("Role", self.object.namespace(), &self.role_ref.name)
            }
            "ClusterRole" => inventory.get("ClusterRole", None, &self.role_ref.name),
            _ => None,
        }?;
        let rules = match &object.resource {
            Resource::Role(role) => role.rules.as_deref(),
            Resource::ClusterRole(role) => role.rules.as_deref(),
            _ => None,
        };
        Some((object, rules.unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(kind: &str, name: &str, namespace: Option<&str>) -> Subject {
        Subject {
            kind: kind.into(),
            name: name.into(),
            namespace: namespace.map(str::to_string),
            api_group: None,
        }
    }

    fn account(namespace: Option<&'static str>) -> ServiceAccountRef<'static> {
        ServiceAccountRef {
            namespace,
            name: "api",
            field: Some("serviceAccountName"),
        }
    }

    #[test]
    fn subjects_match_as_the_rbac_authorizer_matches_them() {
        let api = account(Some("production"));
        let sa = |name, namespace| subject("ServiceAccount", name, namespace);
        assert!(api.is_named_by(&sa("api", Some("production")), None));
        assert!(api.is_named_by(&sa("api", None), Some("production")));
        assert!(!api.is_named_by(&sa("api", None), None));
        assert!(!api.is_named_by(&sa("api", Some("staging")), Some("production")));
        assert!(!api.is_named_by(&sa("web", Some("production")), None));
        let user = |name| subject("User", name, None);
        assert!(api.is_named_by(&user("system:serviceaccount:production:api"), None));
        assert!(!api.is_named_by(&user("system:serviceaccount:staging:api"), None));
        assert!(!api.is_named_by(&user("api"), None));
        let group = |name| subject("Group", name, None);
        assert!(api.is_named_by(&group("system:serviceaccounts"), None));
        assert!(api.is_named_by(&group("system:serviceaccounts:production"), None));
        assert!(!api.is_named_by(&group("system:serviceaccounts:staging"), None));
        assert!(!api.is_named_by(&group("system:authenticated"), None));
    }

    #[test]
    fn an_unknown_namespace_matches_any() {
        let api = account(None);
        assert!(api.is_named_by(&subject("ServiceAccount", "api", Some("anywhere")), None));
    }
}
