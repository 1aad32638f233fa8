//! The `Status` objects the API server answers errors (and some deletions)
//! with, built the way `k8s.io/apimachinery/pkg/api/errors` builds them:
//! same messages, reasons, codes and `details` (where `kind` holds the
//! resource *plural*, as the real server does).

use serde_json::{Map, Value, json};

use super::resources::ResourceType;

/// An error answer: the HTTP code and the `Status` body.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub status: Value,
}

fn failure(code: u16, reason: &str, message: String, details: Option<Value>) -> ApiError {
    let mut status = Map::new();
    status.insert("kind".into(), json!("Status"));
    status.insert("apiVersion".into(), json!("v1"));
    status.insert("metadata".into(), json!({}));
    status.insert("status".into(), json!("Failure"));
    status.insert("message".into(), json!(message));
    if !reason.is_empty() {
        status.insert("reason".into(), json!(reason));
    }
    if let Some(details) = details {
        status.insert("details".into(), details);
    }
    status.insert("code".into(), json!(code));
    ApiError {
        code,
        status: Value::Object(status),
    }
}

/// `details` without the empty fields (they are `omitempty` in Go).
fn details(name: &str, group: &str, kind: &str) -> Value {
    let mut details = Map::new();
    if !name.is_empty() {
        details.insert("name".into(), json!(name));
    }
    if !group.is_empty() {
        details.insert("group".into(), json!(group));
    }
    if !kind.is_empty() {
        details.insert("kind".into(), json!(kind));
    }
    Value::Object(details)
}

/// `deployments.apps`, `pods`: how `schema.GroupResource` prints.
pub fn qualified(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

/// 404 for a named object: `deployments.apps "x" not found`.
pub fn not_found(group: &str, resource: &str, name: &str) -> ApiError {
    failure(
        404,
        "NotFound",
        format!("{} {name:?} not found", qualified(group, resource)),
        Some(details(name, group, resource)),
    )
}

/// 404 for a path inside a built-in group version that no route matches
/// (`NewGenericServerResponse` of go-restful's "404: Page Not Found").
pub fn no_route() -> ApiError {
    failure(
        404,
        "NotFound",
        "the server could not find the requested resource".into(),
        Some(
            json!({"causes": [{"reason": "UnexpectedServerResponse", "message": "404: Page Not Found"}]}),
        ),
    )
}

/// 409 on a create whose name is taken.
pub fn already_exists(group: &str, resource: &str, name: &str) -> ApiError {
    failure(
        409,
        "AlreadyExists",
        format!("{} {name:?} already exists", qualified(group, resource)),
        Some(details(name, group, resource)),
    )
}

/// 409 on an update against a stale `resourceVersion`.
pub fn conflict(group: &str, resource: &str, name: &str, why: &str) -> ApiError {
    failure(
        409,
        "Conflict",
        format!(
            "Operation cannot be fulfilled on {} {name:?}: {why}",
            qualified(group, resource)
        ),
        Some(details(name, group, resource)),
    )
}

/// 422 with one field error (`errors.NewInvalid`): the message names the
/// *kind* (`Pod "" is invalid: metadata.name: Required value: ...`).
pub fn invalid(
    resource: &ResourceType,
    name: &str,
    field: &str,
    cause_reason: &str,
    detail: &str,
) -> ApiError {
    let qualified_kind = qualified(&resource.group, &resource.kind);
    let mut details = details(name, &resource.group, &resource.kind);
    details["causes"] = json!([{
        "reason": cause_reason,
        "message": detail,
        "field": field,
    }]);
    failure(
        422,
        "Invalid",
        format!("{qualified_kind} {name:?} is invalid: {field}: {detail}"),
        Some(details),
    )
}

/// 400, e.g. an unparsable selector or a mismatched body.
pub fn bad_request(message: impl Into<String>) -> ApiError {
    failure(400, "BadRequest", message.into(), None)
}

/// 401: the token is missing, unknown or expired.
pub fn unauthorized() -> ApiError {
    failure(401, "Unauthorized", "Unauthorized".into(), None)
}

/// 403 with the authorizer's message (`responsewriters.Forbidden`):
/// `deployments.apps is forbidden: User "u" cannot list resource
/// "deployments" in API group "apps" at the cluster scope`.
pub fn forbidden(
    user: &str,
    verb: &str,
    group: &str,
    resource: &str,
    subresource: &str,
    namespace: &str,
    name: &str,
) -> ApiError {
    let full_resource = if subresource.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}/{subresource}")
    };
    let scope = if namespace.is_empty() {
        "at the cluster scope".to_string()
    } else {
        format!("in the namespace {namespace:?}")
    };
    let why = format!(
        "User {user:?} cannot {verb} resource {full_resource:?} in API group {group:?} {scope}"
    );
    let qualified = qualified(group, resource);
    let message = if name.is_empty() {
        format!("{qualified} is forbidden: {why}")
    } else {
        format!("{qualified} {name:?} is forbidden: {why}")
    };
    failure(
        403,
        "Forbidden",
        message,
        Some(details(name, group, resource)),
    )
}

/// 403 for a non-resource URL (`/metrics`, `/logs`).
pub fn forbidden_path(user: &str, verb: &str, path: &str) -> ApiError {
    failure(
        403,
        "Forbidden",
        format!("forbidden: User {user:?} cannot {verb} path {path:?}"),
        Some(json!({})),
    )
}

/// 410 `Expired`: a `resourceVersion` or continue token older than the
/// retained history.
pub fn expired(message: impl Into<String>) -> ApiError {
    failure(410, "Expired", message.into(), None)
}

pub fn too_old_resource_version(asked: u64, oldest: u64) -> ApiError {
    expired(format!("too old resource version: {asked} ({oldest})"))
}

/// 405 for a verb the resource does not support.
pub fn method_not_allowed() -> ApiError {
    failure(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource".into(),
        None,
    )
}

/// 406 when the `Accept` header names no media type the double serves.
pub fn not_acceptable() -> ApiError {
    failure(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf".into(),
        None,
    )
}

/// 415 for a body or patch type the double does not read.
pub fn unsupported_media_type(content_type: &str) -> ApiError {
    failure(
        415,
        "UnsupportedMediaType",
        format!(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got {content_type})"
        ),
        None,
    )
}

/// 501 for what the double does not serve (`pods/attach` streams).
pub fn not_implemented(message: impl Into<String>) -> ApiError {
    failure(501, "NotImplemented", message.into(), None)
}

/// The `Status` a deletion answers with when the object is gone at once
/// and the resource does not return deleted objects (`finalizeDelete`).
pub fn deleted(group: &str, resource: &str, name: &str, uid: &str) -> Value {
    let mut details = details(name, group, resource);
    details["uid"] = json!(uid);
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    })
}
