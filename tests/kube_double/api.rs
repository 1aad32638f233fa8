//! The HTTP front of the double: authentication, authorization, the
//! request log, content negotiation (full objects, `PartialObjectMetadata`
//! and `PartialObjectMetadataList`, aggregated discovery), routing, and the
//! read verbs (get, list with selectors and pagination). Writes are
//! delegated to `registry.rs`, watches to `watch.rs`. Errors are `Status`
//! objects except where the real server answers plain text (a path no
//! API group serves: `404 page not found`).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, UPGRADE};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::access::Access;
use super::cluster::Cluster;
use super::discovery;
use super::exec;
use super::portforward;
use super::registry::DeleteOptions;
use super::requests::{RecordedRequest, RequestInfo};
use super::resources::ResourceType;
use super::selectors::{FieldSelector, LabelSelector, Selectors};
use super::status::{self, ApiError};
use super::streams::WebSocketRequest;
use super::watch;

pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// What the server threads share.
pub struct Shared {
    pub cluster: Mutex<Cluster>,
    pub access: Mutex<Access>,
    pub log: Mutex<Vec<RecordedRequest>>,
    /// `127.0.0.1:PORT`, for `/api`'s serverAddressByClientCIDRs.
    pub address: String,
    pub wakeup: Arc<tokio::sync::Notify>,
}

/// How the client wants objects represented (the `Accept` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    Full,
    PartialObject,
    PartialList,
    Aggregated,
}

/// An empty body (a 101 answer).
pub fn empty_body() -> Body {
    full(Vec::new())
}

/// A plain-text answer, as a kubelet's errors come back through the API
/// server's upgrade proxy.
pub fn plain_text(code: u16, text: &str) -> Response<Body> {
    respond(code, "text/plain; charset=utf-8", text.as_bytes().to_vec())
}

fn full(bytes: Vec<u8>) -> Body {
    Full::new(Bytes::from(bytes))
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn respond(code: u16, content_type: &str, bytes: Vec<u8>) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(code).expect("a valid status"))
        .header(CONTENT_TYPE, content_type)
        .header("Cache-Control", "no-cache, private")
        .header("Audit-Id", audit_id())
        .body(full(bytes))
        .expect("a valid response")
}

fn audit_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{:08x}-0000-4000-8000-{:012x}", std::process::id(), n)
}

pub fn json_response(code: u16, value: &Value) -> Response<Body> {
    respond(
        code,
        "application/json",
        serde_json::to_vec(value).expect("serializes"),
    )
}

pub fn error_response(error: &ApiError) -> Response<Body> {
    json_response(error.code, &error.status)
}

fn page_not_found() -> Response<Body> {
    respond(
        404,
        "text/plain; charset=utf-8",
        b"404 page not found\n".to_vec(),
    )
}

pub fn streaming_response(body: Body) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, "application/json")
        .header("Cache-Control", "no-cache, private")
        .header("Audit-Id", audit_id())
        .body(body)
        .expect("a valid response")
}

/// The first media range of `accept` this endpoint serves.
pub fn negotiate(
    accept: Option<&str>,
    allowed: &[Representation],
) -> Result<Representation, ApiError> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Ok(Representation::Full);
    };
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default();
        let params: BTreeMap<&str, &str> = parts.filter_map(|p| p.split_once('=')).collect();
        if !matches!(media, "application/json" | "*/*" | "application/*") {
            continue;
        }
        let wanted = match (params.get("as"), params.get("g"), params.get("v")) {
            (None, _, _) => Representation::Full,
            (Some(&"PartialObjectMetadata"), Some(&"meta.k8s.io"), Some(&"v1")) => {
                Representation::PartialObject
            }
            (Some(&"PartialObjectMetadataList"), Some(&"meta.k8s.io"), Some(&"v1")) => {
                Representation::PartialList
            }
            (Some(&"APIGroupDiscoveryList"), Some(&"apidiscovery.k8s.io"), Some(&"v2")) => {
                Representation::Aggregated
            }
            _ => continue,
        };
        if allowed.contains(&wanted) {
            return Ok(wanted);
        }
    }
    Err(status::not_acceptable())
}

fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    query
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

pub fn query_value<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Serves one request and records it.
pub async fn handle(
    shared: Arc<Shared>,
    mut request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let websocket = WebSocketRequest::from_request(&mut request);
    let method = request.method().clone();
    let uri = request.uri().clone();
    let query = parse_query(uri.query());
    let upgrade = request.headers().contains_key(UPGRADE);
    let info = RequestInfo::parse(&method, uri.path(), &query, upgrade);
    let header = |name| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    let authorization = header(AUTHORIZATION);
    let accept = header(ACCEPT);
    let content_type = header(CONTENT_TYPE).unwrap_or_default();
    let user = shared
        .access
        .lock()
        .expect("access lock")
        .authenticate(authorization.as_deref());
    let response = match &user {
        None => error_response(&status::unauthorized()),
        Some(user) => {
            let allowed = shared
                .access
                .lock()
                .expect("access lock")
                .authorize(user, &info);
            if !allowed {
                let error = if info.resource_request {
                    status::forbidden(
                        user,
                        &info.verb,
                        &info.group,
                        &info.resource,
                        &info.subresource,
                        &info.namespace,
                        &info.name,
                    )
                } else {
                    status::forbidden_path(user, &info.verb, &info.path)
                };
                error_response(&error)
            } else {
                let body = if matches!(
                    method,
                    Method::POST | Method::PUT | Method::PATCH | Method::DELETE
                ) {
                    match request.into_body().collect().await {
                        Ok(collected) => collected.to_bytes().to_vec(),
                        Err(_) => Vec::new(),
                    }
                } else {
                    Vec::new()
                };
                let call = Call {
                    method: &method,
                    info: &info,
                    query: &query,
                    accept: accept.as_deref(),
                    content_type: &content_type,
                    body: &body,
                    upgrade,
                    websocket: websocket.as_ref(),
                };
                match dispatch(&shared, &call) {
                    Ok(response) => response,
                    Err(error) => error_response(&error),
                }
            }
        }
    };
    shared.log.lock().expect("log lock").push(RecordedRequest {
        user,
        method: method.to_string(),
        uri: uri.to_string(),
        info,
        status: response.status().as_u16(),
    });
    Ok(response)
}

struct Call<'a> {
    method: &'a Method,
    info: &'a RequestInfo,
    query: &'a [(String, String)],
    accept: Option<&'a str>,
    content_type: &'a str,
    body: &'a [u8],
    upgrade: bool,
    websocket: Option<&'a WebSocketRequest>,
}

fn dispatch(shared: &Arc<Shared>, call: &Call) -> Result<Response<Body>, ApiError> {
    if !call.info.resource_request {
        return non_resource(shared, call);
    }
    let info = call.info;
    let (resource, built_in_group_version) = {
        let cluster = shared.cluster.lock().expect("cluster lock");
        let catalog = cluster.catalog();
        (
            catalog
                .by_plural(&info.group, &info.version, &info.resource)
                .cloned(),
            catalog
                .in_group_version(&info.group, &info.version)
                .iter()
                .any(|t| !t.custom),
        )
    };
    // No route: a built-in group version (go-restful) answers a Status,
    // anything else falls through to the plain-text 404.
    let no_route = || {
        if built_in_group_version {
            error_response(&status::no_route())
        } else {
            page_not_found()
        }
    };
    let Some(resource) = resource else {
        return Ok(no_route());
    };
    // A namespace path for a cluster-scoped kind (other than a namespace
    // itself), or a named object of a namespaced kind without one, is no
    // route at all.
    let is_namespace = resource.group.is_empty() && resource.plural == "namespaces";
    if (!resource.namespaced && !info.namespace.is_empty() && !is_namespace)
        || (resource.namespaced && info.namespace.is_empty() && !info.name.is_empty())
    {
        return Ok(no_route());
    }
    let namespace = if resource.namespaced {
        info.namespace.as_str()
    } else {
        ""
    };
    if !info.subresource.is_empty() {
        if resource.subresource(&info.subresource).is_none() {
            return Ok(no_route());
        }
        return subresource(shared, call, &resource, namespace);
    }
    if !resource.verbs.contains(&info.verb) {
        return Err(status::method_not_allowed());
    }
    match info.verb.as_str() {
        "get" => {
            let wanted = negotiate(
                call.accept,
                &[Representation::Full, Representation::PartialObject],
            )?;
            let cluster = shared.cluster.lock().expect("cluster lock");
            let object = get(&cluster, &resource, namespace, &info.name)?;
            Ok(json_response(200, &represent(&object, wanted)))
        }
        "list" => {
            let wanted = negotiate(
                call.accept,
                &[
                    Representation::Full,
                    Representation::PartialList,
                    Representation::PartialObject,
                ],
            )?;
            let cluster = shared.cluster.lock().expect("cluster lock");
            Ok(json_response(
                200,
                &list(&cluster, &resource, namespace, call.query, wanted)?,
            ))
        }
        "watch" => {
            let wanted = negotiate(
                call.accept,
                &[Representation::Full, Representation::PartialObject],
            )?;
            watch::start(
                shared.clone(),
                resource,
                namespace.to_string(),
                call.query,
                wanted,
            )
        }
        "create" => {
            let object = parse_body(call.body)?;
            check_type(&resource, &object)?;
            if resource.namespaced
                && let Some(ns) = object["metadata"]["namespace"].as_str()
                && !ns.is_empty()
                && ns != namespace
            {
                return Err(status::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            let mut cluster = shared.cluster.lock().expect("cluster lock");
            let created = cluster.create_json(&resource, namespace, object, dry_run(call.query))?;
            Ok(json_response(201, &created))
        }
        "update" => {
            let object = parse_body(call.body)?;
            check_type(&resource, &object)?;
            let mut cluster = shared.cluster.lock().expect("cluster lock");
            let updated = cluster.update_json(
                &resource,
                namespace,
                &info.name,
                "",
                object,
                dry_run(call.query),
            )?;
            Ok(json_response(200, &updated))
        }
        "patch" => {
            let mut cluster = shared.cluster.lock().expect("cluster lock");
            let patched = cluster.patch_json(
                &resource,
                namespace,
                &info.name,
                "",
                call.content_type,
                call.body,
                dry_run(call.query),
            )?;
            Ok(json_response(200, &patched))
        }
        "delete" => {
            let body = if call.body.is_empty() {
                json!({})
            } else {
                parse_body(call.body)?
            };
            let options = DeleteOptions::from_body_and_query(&body, call.query);
            let mut cluster = shared.cluster.lock().expect("cluster lock");
            let deleted = cluster.delete_json(&resource, namespace, &info.name, &options)?;
            Ok(json_response(deleted.code, &deleted.body))
        }
        "deletecollection" => {
            let body = if call.body.is_empty() {
                json!({})
            } else {
                parse_body(call.body)?
            };
            let options = DeleteOptions::from_body_and_query(&body, call.query);
            let selectors = selectors(&resource, call.query)?;
            let mut cluster = shared.cluster.lock().expect("cluster lock");
            let list =
                cluster.delete_collection_json(&resource, namespace, &selectors, &options)?;
            Ok(json_response(200, &list))
        }
        _ => Err(status::method_not_allowed()),
    }
}

fn dry_run(query: &[(String, String)]) -> bool {
    query_value(query, "dryRun") == Some("All")
}

fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        status::bad_request(format!(
            "the body of the request was in an unknown format: {e}"
        ))
    })
}

/// The body's `apiVersion` and `kind` must be the endpoint's.
fn check_type(resource: &ResourceType, object: &Value) -> Result<(), ApiError> {
    let expected = resource.api_version();
    if let Some(api_version) = object["apiVersion"].as_str()
        && api_version != expected
    {
        return Err(status::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({expected})"
        )));
    }
    if let Some(kind) = object["kind"].as_str()
        && kind != resource.kind
    {
        return Err(status::bad_request(format!(
            "{kind} in version {:?} cannot be handled as a {}: no kind {kind:?} is registered for version {expected:?}",
            resource.version, resource.kind
        )));
    }
    Ok(())
}

fn non_resource(shared: &Arc<Shared>, call: &Call) -> Result<Response<Body>, ApiError> {
    if *call.method != Method::GET {
        return Ok(page_not_found());
    }
    let path = call.info.path.trim_end_matches('/');
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let cluster = shared.cluster.lock().expect("cluster lock");
    let catalog = cluster.catalog();
    let aggregated = |core: bool| -> Result<Response<Body>, ApiError> {
        match negotiate(
            call.accept,
            &[Representation::Aggregated, Representation::Full],
        )? {
            Representation::Aggregated => Ok(respond(
                200,
                discovery::AGGREGATED_CONTENT_TYPE,
                serde_json::to_vec(&discovery::aggregated(catalog, core)).expect("serializes"),
            )),
            _ => Ok(json_response(
                200,
                &if core {
                    discovery::core_versions(&shared.address)
                } else {
                    discovery::group_list(catalog)
                },
            )),
        }
    };
    match parts.as_slice() {
        ["version"] => Ok(json_response(200, &discovery::version())),
        ["healthz"] | ["livez"] | ["readyz"] => {
            Ok(respond(200, "text/plain; charset=utf-8", b"ok".to_vec()))
        }
        ["api"] => aggregated(true),
        ["apis"] => aggregated(false),
        ["api", version] => Ok(discovery::resource_list(catalog, "", version)
            .map(|d| json_response(200, &d))
            .unwrap_or_else(page_not_found)),
        ["apis", group] => Ok(discovery::group(catalog, group)
            .map(|d| json_response(200, &d))
            .unwrap_or_else(page_not_found)),
        ["apis", group, version] => Ok(discovery::resource_list(catalog, group, version)
            .map(|d| json_response(200, &d))
            .unwrap_or_else(page_not_found)),
        _ => Ok(page_not_found()),
    }
}

fn subresource(
    shared: &Arc<Shared>,
    call: &Call,
    resource: &ResourceType,
    namespace: &str,
) -> Result<Response<Body>, ApiError> {
    let info = call.info;
    let sub = info.subresource.as_str();
    let verb_allowed = resource
        .subresource(sub)
        .is_some_and(|s| s.verbs.contains(&info.verb));
    if !verb_allowed {
        return Err(status::method_not_allowed());
    }
    match (sub, info.verb.as_str()) {
        ("status", "get") => {
            let cluster = shared.cluster.lock().expect("cluster lock");
            Ok(json_response(
                200,
                &get(&cluster, resource, namespace, &info.name)?,
            ))
        }
        ("status", "update") => {
            let object = parse_body(call.body)?;
            let mut cluster = shared.cluster.lock().expect("cluster lock");
            let updated = cluster.update_json(
                resource,
                namespace,
                &info.name,
                "status",
                object,
                dry_run(call.query),
            )?;
            Ok(json_response(200, &updated))
        }
        ("status", "patch") => {
            let mut cluster = shared.cluster.lock().expect("cluster lock");
            let patched = cluster.patch_json(
                resource,
                namespace,
                &info.name,
                "status",
                call.content_type,
                call.body,
                dry_run(call.query),
            )?;
            Ok(json_response(200, &patched))
        }
        ("scale", "get") => {
            let cluster = shared.cluster.lock().expect("cluster lock");
            let object = get(&cluster, resource, namespace, &info.name)?;
            Ok(json_response(200, &scale_of(&object)))
        }
        ("log", "get") => {
            let cluster = shared.cluster.lock().expect("cluster lock");
            pod_log(&cluster, namespace, &info.name, call.query)
        }
        ("exec" | "attach" | "portforward", _) => {
            let Some(websocket) = call.websocket.filter(|_| call.upgrade) else {
                return Err(status::bad_request("Upgrade request required"));
            };
            match sub {
                "exec" => exec::serve(shared, namespace, &info.name, call.query, websocket),
                "portforward" => {
                    portforward::serve(shared, namespace, &info.name, call.query, websocket)
                }
                _ => Err(status::not_implemented(format!(
                    "the kube double does not serve pods/{sub} streams"
                ))),
            }
        }
        _ => Err(status::method_not_allowed()),
    }
}

/// `autoscaling/v1` Scale of a Deployment, StatefulSet or ReplicaSet.
fn scale_of(object: &Value) -> Value {
    let labels: Vec<String> = object["spec"]["selector"]["matchLabels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let meta = &object["metadata"];
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": object["spec"]["replicas"]},
        "status": {"replicas": object["status"]["replicas"].as_i64().unwrap_or(0), "selector": labels.join(",")},
    })
}

/// `pods/log`: the API server resolves the container (as `kubectl logs`
/// lists them: init containers first), a pod not bound to a node has no
/// log yet (empty), and the kubelet answers 400 for a container that has
/// not started (`container "c" in pod "p" is waiting to start: REASON`).
fn pod_log(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    query: &[(String, String)],
) -> Result<Response<Body>, ApiError> {
    let pod = get(
        cluster,
        cluster.catalog().by_plural("", "v1", "pods").expect("pods"),
        namespace,
        name,
    )?;
    let names = |key: &str| -> Vec<String> {
        pod["spec"][key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str().map(String::from))
            .collect()
    };
    let (containers, init) = (names("containers"), names("initContainers"));
    let container = match query_value(query, "container").filter(|c| !c.is_empty()) {
        Some(c) => {
            if !containers.iter().chain(&init).any(|x| x == c) {
                return Err(status::bad_request(format!(
                    "container {c} is not valid for pod {name}"
                )));
            }
            c.to_string()
        }
        None if containers.len() == 1 => containers[0].clone(),
        None if containers.is_empty() => {
            return Err(status::bad_request(format!(
                "a container name must be specified for pod {name}"
            )));
        }
        None => {
            let all: Vec<String> = init.iter().chain(&containers).cloned().collect();
            return Err(status::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                all.join(" ")
            )));
        }
    };
    if pod["spec"]["nodeName"].as_str().is_none_or(str::is_empty) {
        return Ok(respond(200, "text/plain", Vec::new()));
    }
    container_log_status(&pod, name, &container).map_err(status::bad_request)?;
    let text = cluster
        .pod_logs
        .get(&(namespace.to_string(), name.to_string(), container))
        .cloned()
        .unwrap_or_default();
    Ok(respond(200, "text/plain", text.into_bytes()))
}

/// The kubelet's `validateContainerLogStatus`: a container has a log once
/// it has run.
fn container_log_status(pod: &Value, pod_name: &str, container: &str) -> Result<(), String> {
    let status = ["containerStatuses", "initContainerStatuses"]
        .iter()
        .flat_map(|k| pod["status"][*k].as_array().into_iter().flatten())
        .find(|s| s["name"] == container)
        .ok_or_else(|| format!("container {container:?} in pod {pod_name:?} is not available"))?;
    let state = &status["state"];
    let last = &status["lastState"]["terminated"];
    if state["running"].is_object() {
        return Ok(());
    }
    if state["terminated"].is_object() {
        let has_id = |t: &Value| t["containerID"].as_str().is_some_and(|i| !i.is_empty());
        return if has_id(&state["terminated"]) || has_id(last) {
            Ok(())
        } else {
            Err(format!(
                "container {container:?} in pod {pod_name:?} is terminated"
            ))
        };
    }
    if last.is_object() {
        return Ok(());
    }
    if !state["waiting"].is_object() {
        return Err(format!(
            "container {container:?} in pod {pod_name:?} is waiting to start - no logs yet"
        ));
    }
    let reason = match state["waiting"]["reason"].as_str().unwrap_or_default() {
        "ErrImagePull" => "image can't be pulled",
        "ImagePullBackOff" => "trying and failing to pull image",
        reason => reason,
    };
    Err(format!(
        "container {container:?} in pod {pod_name:?} is waiting to start: {reason}"
    ))
}

pub fn get(
    cluster: &Cluster,
    resource: &ResourceType,
    namespace: &str,
    name: &str,
) -> Result<Value, ApiError> {
    cluster
        .store()
        .get(&resource.group_resource(), namespace, name)
        .cloned()
        .ok_or_else(|| status::not_found(&resource.group, &resource.plural, name))
}

pub fn selectors(
    resource: &ResourceType,
    query: &[(String, String)],
) -> Result<Selectors, ApiError> {
    Ok(Selectors {
        labels: LabelSelector::parse(query_value(query, "labelSelector").unwrap_or_default())?,
        fields: FieldSelector::parse(
            query_value(query, "fieldSelector").unwrap_or_default(),
            &resource.plural,
        )?,
    })
}

/// An object as the client asked for it: whole, or its metadata only.
pub fn represent(object: &Value, wanted: Representation) -> Value {
    match wanted {
        Representation::PartialObject | Representation::PartialList => json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": object["metadata"],
        }),
        _ => object.clone(),
    }
}

/// The continue token: what the real server encodes (unpadded URL-safe
/// base64 of `{"v":"meta.k8s.io/v1","rv":N,"start":"KEY\u0000"}`).
fn encode_continue(revision: u64, namespace: &str, name: &str) -> String {
    let start = if namespace.is_empty() {
        format!("{name}\u{0}")
    } else {
        format!("{namespace}/{name}\u{0}")
    };
    let token = json!({"v": "meta.k8s.io/v1", "rv": revision, "start": start});
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&token).expect("serializes"))
}

fn decode_continue(token: &str) -> Result<(u64, String, String), ApiError> {
    let invalid = |why: &str| status::bad_request(format!("continue key is not valid: {why}"));
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid("incorrect encoded start resourceVersion (version meta.k8s.io/v1)"))?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|_| invalid("not a continue token"))?;
    if value["v"] != "meta.k8s.io/v1" {
        return Err(invalid("server does not recognize this encoded key"));
    }
    let revision = value["rv"]
        .as_u64()
        .ok_or_else(|| invalid("no resource version"))?;
    let start = value["start"]
        .as_str()
        .unwrap_or_default()
        .trim_end_matches('\u{0}');
    let (namespace, name) = start.split_once('/').unwrap_or(("", start));
    Ok((revision, namespace.to_string(), name.to_string()))
}

/// A list, as `GET` on a collection answers it.
pub fn list(
    cluster: &Cluster,
    resource: &ResourceType,
    namespace: &str,
    query: &[(String, String)],
    wanted: Representation,
) -> Result<Value, ApiError> {
    let selectors = selectors(resource, query)?;
    let limit: i64 = match query_value(query, "limit") {
        Some(l) => l
            .parse()
            .map_err(|_| status::bad_request(format!("limit: Invalid value: {l:?}")))?,
        None => 0,
    };
    let resource_version = query_value(query, "resourceVersion").unwrap_or_default();
    let exact = query_value(query, "resourceVersionMatch") == Some("Exact");
    let store = cluster.store();
    let continued = query_value(query, "continue")
        .filter(|c| !c.is_empty())
        .map(decode_continue)
        .transpose()?;
    let (revision, objects) = if let Some((revision, _, _)) = &continued {
        let objects = store
            .snapshot(&resource.group_resource(), namespace, *revision)
            .map_err(|_| {
                status::expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
            })?;
        (*revision, objects)
    } else if exact {
        let revision: u64 = resource_version.parse().map_err(|_| {
            status::bad_request(format!(
                "resourceVersion: Invalid value: {resource_version:?}: must be a positive integer"
            ))
        })?;
        (
            revision,
            store.snapshot(&resource.group_resource(), namespace, revision)?,
        )
    } else {
        (
            store.revision(),
            store
                .list(&resource.group_resource(), namespace)
                .cloned()
                .collect(),
        )
    };
    let key = |o: &Value| {
        (
            o["metadata"]["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            o["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    };
    let mut items: Vec<Value> = objects
        .into_iter()
        .filter(|o| selectors.matches(o))
        .filter(|o| match &continued {
            Some((_, ns, name)) => key(o) > (ns.clone(), name.clone()),
            None => true,
        })
        .collect();
    // The watch cache serves resourceVersion=0 whole, ignoring limit.
    let paginate = limit > 0 && !(resource_version == "0" && continued.is_none());
    let mut metadata = json!({"resourceVersion": revision.to_string()});
    if paginate && items.len() > limit as usize {
        let remaining = items.len() - limit as usize;
        items.truncate(limit as usize);
        let (ns, name) = key(items.last().expect("limit > 0"));
        metadata["continue"] = json!(encode_continue(revision, &ns, &name));
        if selectors.is_empty() {
            metadata["remainingItemCount"] = json!(remaining);
        }
    }
    let items: Vec<Value> = items
        .into_iter()
        .map(|mut o| match wanted {
            Representation::PartialList | Representation::PartialObject => represent(&o, wanted),
            _ => {
                // Built-in list items carry no apiVersion/kind on a real
                // server (kubernetes/kubernetes#3030); custom ones do.
                if !resource.custom
                    && let Some(map) = o.as_object_mut()
                {
                    map.remove("apiVersion");
                    map.remove("kind");
                }
                o
            }
        })
        .collect();
    Ok(match wanted {
        Representation::PartialList | Representation::PartialObject => json!({
            "kind": "PartialObjectMetadataList",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": metadata,
            "items": items,
        }),
        _ => json!({
            "kind": resource.list_kind(),
            "apiVersion": resource.api_version(),
            "metadata": metadata,
            "items": items,
        }),
    })
}
