//! Why a request to the API server failed, in words a release manager can
//! act on: an unreachable server, rejected credentials (401), a missing
//! RBAC permission (403, naming the verb, the resource and its API group,
//! and the documented read-only ClusterRole), a missing object (404).
//! Messages name the server, the context and the user; never a token.

use std::fmt;

use super::connect::Connection;

/// Where the minimal read-only ClusterRole is documented.
pub const RBAC_DOC: &str = "docs/cluster-rbac.yaml";

/// A request, as the API server's authorizer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// get, list, watch, create, delete.
    pub verb: &'static str,
    /// The resource's plural, with its subresource (`pods/portforward`);
    /// a path for non-resource requests (`/version`).
    pub resource: String,
    /// The API group ("" for the core group).
    pub group: String,
    /// `None`: every namespace (or a cluster-scoped resource).
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl Request {
    /// The first request of a run: the server's version.
    pub fn version() -> Request {
        Request::new("get", "", "/version", None)
    }

    /// A request on `resource` of API `group` ("" for the core group), in
    /// a namespace or (`None`) every namespace or the cluster scope.
    pub fn new(
        verb: &'static str,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
    ) -> Request {
        Request {
            verb,
            resource: resource.to_string(),
            group: group.to_string(),
            namespace: namespace.map(str::to_string),
            name: None,
        }
    }

    /// A request on a core-group resource (`pods`, `pods/log`) in a
    /// namespace, on one object when `name` is given.
    pub fn core(
        verb: &'static str,
        resource: &str,
        namespace: &str,
        name: Option<&str>,
    ) -> Request {
        Request {
            name: name.map(str::to_string),
            ..Request::new(verb, "", resource, Some(namespace))
        }
    }

    /// The RBAC verbs the request needs: a WebSocket upgrade of
    /// `pods/exec` or `pods/portforward` is authorized as `get` before
    /// Kubernetes 1.35 and also as `create` from then on.
    fn rbac_verbs(&self) -> String {
        if self.resource.ends_with("/exec") || self.resource.ends_with("/portforward") {
            "verbs `get` and `create`".into()
        } else {
            format!("verb `{}`", self.verb)
        }
    }

    fn is_non_resource(&self) -> bool {
        self.resource.starts_with('/')
    }

    /// `deployments.apps`, `pods`: the name the API server gives it.
    pub fn qualified_resource(&self) -> String {
        if self.group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_non_resource() {
            return write!(f, "GET {}", self.resource);
        }
        write!(f, "{} {}", self.verb, self.qualified_resource())?;
        if let Some(name) = &self.name {
            write!(f, " {name}")?;
        }
        match &self.namespace {
            Some(namespace) => write!(f, " in namespace {namespace}"),
            None => Ok(()),
        }
    }
}

/// What went wrong with `request`, for an input error.
pub fn describe(error: &kube::Error, request: &Request, connection: &Connection) -> String {
    let user = connection
        .user
        .as_deref()
        .map_or_else(|| "golive's user".to_string(), |u| format!("user {u:?}"));
    match error {
        kube::Error::Api(status) if status.code == 401 => format!(
            "the API server rejected the credentials of {user} (401 Unauthorized): the token or client \
             certificate of context {} is expired, revoked or wrong; log in again or renew the kubeconfig",
            connection.context
        ),
        // An admission policy (PodSecurity, a webhook) also answers 403:
        // only a refusal of the authorizer is about RBAC.
        kube::Error::Api(status)
            if status.code == 403
                && !status.message.contains(&format!("cannot {}", request.verb)) =>
        {
            format!("{request}: rejected ({})", status.message)
        }
        kube::Error::Api(status) if status.code == 403 => {
            let scope = match (&request.namespace, request.is_non_resource()) {
                (_, true) => String::new(),
                (Some(namespace), false) => format!(" in namespace {namespace:?}"),
                (None, false) => " at the cluster scope".into(),
            };
            format!(
                "{request}: forbidden ({}). golive needs the RBAC {} on `{}` (API group {:?}){scope} \
                 for {user}: see {RBAC_DOC} for the minimal read-only ClusterRole",
                status.message.trim_end_matches('.'),
                request.rbac_verbs(),
                request.resource,
                request.group,
            )
        }
        kube::Error::Api(status) if status.code == 404 => {
            format!("{request}: not found ({})", status.message)
        }
        kube::Error::Api(status) => format!(
            "{request}: the API server answered {} {}: {}",
            status.code, status.reason, status.message
        ),
        kube::Error::Auth(_) => credentials_failed(&user, &connection.context),
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::RustlsTls(_) => {
            format!("cannot reach the API server: {}", chain(error))
        }
        other => format!("{request}: {}", chain(other)),
    }
}

/// A credential plugin or token file that failed. Its causes are not
/// shown: a plugin's output (which kube quotes) may hold a token.
pub fn credentials_failed(user: &str, context: &str) -> String {
    format!(
        "cannot obtain the credentials of {user} in context {context}: its credential plugin or token \
         file failed (its output is not shown: it may hold a token); run `kubectl --context {context} get \
         --raw /version` to see why"
    )
}

/// An error and its causes, most general first, repeated text left out.
fn chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_read_as_the_authorizer_names_them() {
        let list = Request::new("list", "apps", "deployments", Some("production"));
        assert_eq!(
            list.to_string(),
            "list deployments.apps in namespace production"
        );
        assert_eq!(Request::version().to_string(), "GET /version");
    }
}
