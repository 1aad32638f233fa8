//! How the API server reads a request before anything else happens (the
//! `RequestInfoFactory`): resource or non-resource, verb as the authorizer
//! names it (`get`/`list`/`watch`/`create`/`update`/`patch`/`delete`/
//! `deletecollection`; a WebSocket upgrade of `pods/exec`, `pods/attach`
//! or `pods/portforward` is `create`, as authorized since Kubernetes 1.30),
//! API group and version, resource, subresource, namespace and name — and
//! the log of every request the double received, with the user, for tests
//! to check what golive did (read-only mode).

use hyper::Method;

/// The attributes of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInfo {
    pub resource_request: bool,
    pub path: String,
    pub verb: String,
    /// `"core"` group is `""`.
    pub group: String,
    pub version: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    pub name: String,
}

/// Subresources whose WebSocket (or SPDY) upgrade is authorized as `create`.
const STREAMING: &[&str] = &["exec", "attach", "portforward"];

impl RequestInfo {
    /// Parses `path` (no query) the way the real server does.
    pub fn parse(
        method: &Method,
        path: &str,
        query: &[(String, String)],
        upgrade: bool,
    ) -> RequestInfo {
        let non_resource = || RequestInfo {
            resource_request: false,
            path: path.to_string(),
            verb: method.as_str().to_lowercase(),
            ..Default::default()
        };
        let parts: Vec<&str> = path
            .trim_matches('/')
            .split('/')
            .filter(|p| !p.is_empty())
            .collect();
        let (group, version, rest) = match parts.as_slice() {
            ["api", version, rest @ ..] => ("", *version, rest),
            ["apis", group, version, rest @ ..] => (*group, *version, rest),
            _ => return non_resource(),
        };
        if rest.is_empty() {
            // Discovery of a group version.
            return non_resource();
        }
        let mut info = RequestInfo {
            resource_request: true,
            path: path.to_string(),
            group: group.to_string(),
            version: version.to_string(),
            ..Default::default()
        };
        let mut rest: Vec<&str> = rest.to_vec();
        let mut legacy_watch = false;
        if rest.first() == Some(&"watch") {
            legacy_watch = true;
            rest.remove(0);
        }
        if rest.first() == Some(&"namespaces") && rest.len() > 1 {
            info.namespace = rest[1].to_string();
            if rest.len() > 2 && !["status", "finalize"].contains(&rest[2]) {
                rest.drain(..2);
            }
        }
        info.resource = rest.first().map(|s| s.to_string()).unwrap_or_default();
        info.name = rest.get(1).map(|s| s.to_string()).unwrap_or_default();
        info.subresource = rest.get(2).map(|s| s.to_string()).unwrap_or_default();
        let watch_param = query
            .iter()
            .any(|(k, v)| k == "watch" && (v == "true" || v == "1"));
        info.verb = match *method {
            Method::GET | Method::HEAD if legacy_watch || (info.name.is_empty() && watch_param) => {
                "watch"
            }
            Method::GET | Method::HEAD
                if upgrade && STREAMING.contains(&info.subresource.as_str()) =>
            {
                "create"
            }
            Method::GET | Method::HEAD if info.name.is_empty() => "list",
            Method::GET | Method::HEAD => "get",
            Method::POST => "create",
            Method::PUT => "update",
            Method::PATCH => "patch",
            Method::DELETE if info.name.is_empty() => "deletecollection",
            Method::DELETE => "delete",
            _ => "",
        }
        .to_string();
        info
    }

    /// Whether the verb only reads.
    pub fn is_read_only(&self) -> bool {
        matches!(self.verb.as_str(), "get" | "list" | "watch" | "head")
    }
}

/// One request as the double saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The authenticated user; `None` when the token was refused.
    pub user: Option<String>,
    pub method: String,
    /// Path and query as sent.
    pub uri: String,
    pub info: RequestInfo,
    /// The HTTP status of the answer (200 for a watch that started).
    pub status: u16,
}

impl RecordedRequest {
    pub fn verb(&self) -> &str {
        &self.info.verb
    }

    /// `verb group/resource[/subresource] namespace/name`, for messages.
    pub fn summary(&self) -> String {
        let info = &self.info;
        if !info.resource_request {
            return format!("{} {}", info.verb, info.path);
        }
        let mut resource = if info.group.is_empty() {
            info.resource.clone()
        } else {
            format!("{}.{}", info.resource, info.group)
        };
        if !info.subresource.is_empty() {
            resource = format!("{resource}/{}", info.subresource);
        }
        let target = match (info.namespace.is_empty(), info.name.is_empty()) {
            (true, true) => String::new(),
            (true, false) => format!(" {}", info.name),
            (false, true) => format!(" {}/", info.namespace),
            (false, false) => format!(" {}/{}", info.namespace, info.name),
        };
        format!("{} {resource}{target} -> {}", info.verb, self.status)
    }
}
