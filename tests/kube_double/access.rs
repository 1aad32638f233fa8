//! Authentication (bearer tokens, each mapped to a user; anything else is
//! 401) and authorization (per user: allowed and denied rules over verb,
//! API group, resource[/subresource] and namespace). RBAC itself only
//! grants; the deny rules are a convenience to take one permission away
//! from an otherwise allowed user, which a test of "golive cannot list
//! NetworkPolicies" needs. Non-resource URLs (`/version`, `/api`, `/apis`,
//! `/healthz`) are open to every authenticated user, as the
//! `system:discovery` and `system:public-info-viewer` roles make them.

use std::collections::BTreeMap;

use super::requests::RequestInfo;

/// The user of the default token: golive's own ServiceAccount.
pub const DEFAULT_USER: &str = "system:serviceaccount:golive:golive";

/// A set of requests a rule covers; an empty list means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    verbs: Vec<String>,
    groups: Option<Vec<String>>,
    resources: Vec<String>,
    namespaces: Option<Vec<String>>,
}

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl Rule {
    /// Any request.
    pub fn any() -> Rule {
        Rule::default()
    }

    /// These verbs (`get`, `list`, `watch`, `create`, `delete`, ...).
    pub fn verbs(verbs: &[&str]) -> Rule {
        Rule {
            verbs: owned(verbs),
            ..Rule::default()
        }
    }

    /// These resources (`pods`, `pods/exec`, `pods/*`), any verb.
    pub fn resources(resources: &[&str]) -> Rule {
        Rule::any().on(resources)
    }

    /// Narrows to these resources.
    pub fn on(mut self, resources: &[&str]) -> Rule {
        self.resources = owned(resources);
        self
    }

    /// Narrows to these API groups (`""` is core).
    pub fn in_groups(mut self, groups: &[&str]) -> Rule {
        self.groups = Some(owned(groups));
        self
    }

    /// Narrows to requests in these namespaces (a cluster-wide request is
    /// then not covered).
    pub fn in_namespaces(mut self, namespaces: &[&str]) -> Rule {
        self.namespaces = Some(owned(namespaces));
        self
    }

    fn covers(&self, info: &RequestInfo) -> bool {
        let verb = self.verbs.is_empty() || self.verbs.iter().any(|v| v == "*" || *v == info.verb);
        let group = self
            .groups
            .as_ref()
            .is_none_or(|gs| gs.iter().any(|g| g == "*" || *g == info.group));
        let full = if info.subresource.is_empty() {
            info.resource.clone()
        } else {
            format!("{}/{}", info.resource, info.subresource)
        };
        let resource = self.resources.is_empty()
            || self.resources.iter().any(|r| {
                r == "*"
                    || *r == full
                    || (r.ends_with("/*")
                        && !info.subresource.is_empty()
                        && r.trim_end_matches("/*") == info.resource)
            });
        let namespace = self
            .namespaces
            .as_ref()
            .is_none_or(|ns| ns.contains(&info.namespace));
        verb && group && resource && namespace
    }
}

/// What one user may do.
#[derive(Debug, Clone, Default)]
pub struct Permissions {
    allows: Vec<Rule>,
    denies: Vec<Rule>,
}

impl Permissions {
    /// Everything (the default test user).
    pub fn all() -> Permissions {
        Permissions {
            allows: vec![Rule::any()],
            denies: vec![],
        }
    }

    /// Reading only: get, list and watch on everything.
    pub fn read_only() -> Permissions {
        Permissions {
            allows: vec![Rule::verbs(&["get", "list", "watch"])],
            denies: vec![],
        }
    }

    pub fn none() -> Permissions {
        Permissions::default()
    }

    pub fn allow(mut self, rule: Rule) -> Permissions {
        self.allows.push(rule);
        self
    }

    pub fn deny(mut self, rule: Rule) -> Permissions {
        self.denies.push(rule);
        self
    }

    pub fn permits(&self, info: &RequestInfo) -> bool {
        !self.denies.iter().any(|r| r.covers(info)) && self.allows.iter().any(|r| r.covers(info))
    }
}

/// Tokens, users and their permissions.
#[derive(Debug, Clone, Default)]
pub struct Access {
    tokens: BTreeMap<String, String>,
    permissions: BTreeMap<String, Permissions>,
}

impl Access {
    /// `token` authenticates as `user`.
    pub fn add_token(&mut self, token: &str, user: &str) {
        self.tokens.insert(token.into(), user.into());
        self.permissions.entry(user.into()).or_default();
    }

    /// `token` stops working (an expired or revoked token: 401 from now on).
    pub fn revoke_token(&mut self, token: &str) {
        self.tokens.remove(token);
    }

    pub fn set_permissions(&mut self, user: &str, permissions: Permissions) {
        self.permissions.insert(user.into(), permissions);
    }

    pub fn permissions_mut(&mut self, user: &str) -> &mut Permissions {
        self.permissions.entry(user.into()).or_default()
    }

    /// The user of an `Authorization: Bearer ...` header.
    pub fn authenticate(&self, authorization: Option<&str>) -> Option<String> {
        let token = authorization?.strip_prefix("Bearer ")?.trim();
        self.tokens.get(token).cloned()
    }

    pub fn authorize(&self, user: &str, info: &RequestInfo) -> bool {
        if !info.resource_request {
            return true;
        }
        self.permissions.get(user).is_some_and(|p| p.permits(info))
    }
}
