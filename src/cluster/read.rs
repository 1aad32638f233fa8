//! Reading a cluster into the inventory: the kinds the checks judge, from
//! the namespaces in scope, each object rendered as `kubectl get -o yaml`
//! shows it (keys in order, managedFields left out) and parsed by the very
//! code that reads manifests, so every check sees the same objects either
//! way. Findings point into that rendering: `cluster:NS/Kind/name:LINE`.
//!
//! Without `--namespace`, the namespaces that run nothing are left out.
//! Only get, list (page by page) and the discovery documents are asked
//! for. Secrets are listed as metadata only: their values never reach
//! golive. A forbidden or failed read is an input error naming the verb
//! and the resource; the other kinds are still read and evaluated. The
//! time of the read (the local clock as it begins, not the API server's)
//! goes with the objects: the checks that judge a status's age (a backup
//! CronJob's last success) measure it from there.

use std::future::Future;

use futures::stream::{self, StreamExt as _};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DynamicObject, ListParams, ObjectList};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Discovery, Scope};
use serde_json::{Value, json};

use super::ClusterTarget;
use super::connect::Connection;
use super::failure::{self, Request};
use crate::error::InputError;
use crate::model::WORKLOAD_KINDS;
use crate::source::manifests::{self, Loaded};

/// Objects per page of a list.
const PAGE_SIZE: u32 = 500;
/// Kinds read at the same time.
const CONCURRENT_READS: usize = 4;
/// The annotation `kubectl apply` leaves: a copy of the object (a Secret's
/// values included), never read.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// How much of an object golive asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contents {
    Whole,
    /// Names, labels and annotations only (`PartialObjectMetadata`).
    MetadataOnly,
}

/// A kind golive reads.
struct Wanted {
    group: &'static str,
    /// `None`: the version the cluster prefers (custom resources).
    version: Option<&'static str>,
    kind: &'static str,
    contents: Contents,
}

const fn builtin(group: &'static str, version: &'static str, kind: &'static str) -> Wanted {
    Wanted {
        group,
        version: Some(version),
        kind,
        contents: Contents::Whole,
    }
}

const fn custom(group: &'static str, kind: &'static str) -> Wanted {
    Wanted {
        group,
        version: None,
        kind,
        contents: Contents::Whole,
    }
}

/// Every kind golive reads (namespaces are read first, on their own). The
/// built-in kinds must be served; custom resources are read where their
/// definitions are installed.
const WANTED: &[Wanted] = &[
    builtin("apps", "v1", "Deployment"),
    builtin("apps", "v1", "StatefulSet"),
    builtin("apps", "v1", "DaemonSet"),
    builtin("apps", "v1", "ReplicaSet"),
    builtin("batch", "v1", "Job"),
    builtin("batch", "v1", "CronJob"),
    builtin("", "v1", "Pod"),
    builtin("", "v1", "Service"),
    builtin("", "v1", "ServiceAccount"),
    builtin("", "v1", "ConfigMap"),
    builtin("", "v1", "PersistentVolumeClaim"),
    Wanted {
        contents: Contents::MetadataOnly,
        ..builtin("", "v1", "Secret")
    },
    builtin("", "v1", "Node"),
    builtin("networking.k8s.io", "v1", "Ingress"),
    builtin("networking.k8s.io", "v1", "IngressClass"),
    builtin("networking.k8s.io", "v1", "NetworkPolicy"),
    builtin("policy", "v1", "PodDisruptionBudget"),
    builtin("autoscaling", "v2", "HorizontalPodAutoscaler"),
    builtin("rbac.authorization.k8s.io", "v1", "Role"),
    builtin("rbac.authorization.k8s.io", "v1", "ClusterRole"),
    builtin("rbac.authorization.k8s.io", "v1", "RoleBinding"),
    builtin("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"),
    custom("monitoring.coreos.com", "ServiceMonitor"),
    custom("monitoring.coreos.com", "PodMonitor"),
    custom("monitoring.coreos.com", "PrometheusRule"),
    custom("cert-manager.io", "Certificate"),
    custom("cert-manager.io", "Issuer"),
    custom("cert-manager.io", "ClusterIssuer"),
    custom("external-secrets.io", "ExternalSecret"),
    custom("external-secrets.io", "ClusterExternalSecret"),
    custom("bitnami.com", "SealedSecret"),
    custom("secrets.hashicorp.com", "VaultStaticSecret"),
    custom("secrets.hashicorp.com", "VaultDynamicSecret"),
    custom("secrets.hashicorp.com", "VaultPKISecret"),
    custom("traefik.io", "Middleware"),
    custom("traefik.containo.us", "Middleware"),
];

/// One kind, resolved against the cluster's discovery documents.
struct Served<'w> {
    wanted: &'w Wanted,
    resource: ApiResource,
    namespaced: bool,
}

/// Reads the objects of the namespaces in scope.
pub async fn read(connection: &Connection, target: &ClusterTarget) -> Loaded {
    let mut loaded = Loaded {
        read_at: Some(k8s_openapi::jiff::Timestamp::now()),
        ..Loaded::default()
    };
    let namespaces = match namespaces(connection, target).await {
        Ok(namespaces) => namespaces,
        Err(error) => {
            loaded.errors.push(error);
            return loaded;
        }
    };
    let mut documents: Vec<Value> = namespaces.iter().map(namespace_document).collect();
    let served = match discover(connection).await {
        Ok(served) => served,
        Err(error) => {
            loaded.errors.push(error);
            return loaded;
        }
    };
    let names: Vec<String> = namespaces
        .iter()
        .filter_map(|n| n.metadata.name.clone())
        .collect();
    let mut reads = stream::iter(served.iter())
        .map(|kind| read_kind(connection, target, &names, kind))
        .buffered(CONCURRENT_READS);
    while let Some(result) = reads.next().await {
        match result {
            Ok(read) => documents.extend(read),
            Err(error) => loaded.errors.push(error),
        }
    }
    if target.namespaces.is_empty() {
        keep_application_namespaces(&mut documents);
    }
    if !documents.iter().any(|d| d["kind"] == "Namespace") && loaded.errors.is_empty() {
        loaded.errors.push(InputError::new(
            connection.place(),
            format!("no namespace in scope runs anything ({})", scope_of(target)),
        ));
    }
    for document in documents {
        add(&mut loaded, document);
    }
    // One input, however many objects it held.
    loaded.files = 1;
    loaded
}

/// The namespaces a target asks for, in words.
fn scope_of(target: &ClusterTarget) -> String {
    let mut scope = if target.namespaces.is_empty() {
        format!(
            "every namespace but {}",
            super::SYSTEM_NAMESPACES.join(", ")
        )
    } else {
        format!("--namespace {}", target.namespaces.join(","))
    };
    if !target.excluded_namespaces.is_empty() {
        scope.push_str(&format!(
            ", excluding {}",
            target.excluded_namespaces.join(", ")
        ));
    }
    scope
}

/// Keeps the namespaces that run something (and the cluster-scoped
/// objects): without `--namespace`, the application is whatever runs, and
/// a namespace with no workload (`default`, with its `kubernetes` Service)
/// is not part of it.
fn keep_application_namespaces(documents: &mut Vec<Value>) {
    let running: std::collections::BTreeSet<String> = documents
        .iter()
        .filter(|d| {
            d["kind"]
                .as_str()
                .is_some_and(|k| WORKLOAD_KINDS.contains(&k))
        })
        .filter_map(|d| d["metadata"]["namespace"].as_str().map(str::to_string))
        .collect();
    documents.retain(|d| {
        let namespace = if d["kind"] == "Namespace" {
            d["metadata"]["name"].as_str()
        } else {
            d["metadata"]["namespace"].as_str()
        };
        namespace.is_none_or(|n| running.contains(n))
    });
}

/// The namespaces in scope: those named (each must exist), or every one
/// the target includes.
async fn namespaces(
    connection: &Connection,
    target: &ClusterTarget,
) -> Result<Vec<Namespace>, InputError> {
    let api: Api<Namespace> = Api::all(connection.client.clone());
    if target.namespaces.is_empty() {
        let request = Request::new("list", "", "namespaces", None);
        let api = &api;
        let all = paged(connection, &request, |params| async move {
            api.list(&params).await
        })
        .await?;
        return Ok(all
            .into_iter()
            .filter(|n| {
                n.metadata
                    .name
                    .as_deref()
                    .is_some_and(|n| target.includes(n))
            })
            .collect());
    }
    let mut found = Vec::new();
    for name in target.namespaces.iter().filter(|n| target.includes(n)) {
        let request = Request {
            name: Some(name.clone()),
            ..Request::new("get", "", "namespaces", None)
        };
        match timed(connection, &request, api.get_opt(name)).await? {
            Some(namespace) => found.push(namespace),
            None => {
                return Err(InputError::new(
                    connection.place(),
                    format!("namespace {name:?} (given to --namespace) does not exist"),
                ));
            }
        }
    }
    Ok(found)
}

/// The wanted kinds the cluster serves; a built-in kind it does not serve
/// is an error.
async fn discover(connection: &Connection) -> Result<Vec<Served<'static>>, InputError> {
    let mut groups: Vec<&str> = WANTED.iter().map(|w| w.group).collect();
    groups.sort_unstable();
    groups.dedup();
    let discovery = Discovery::new(connection.client.clone())
        .filter(&groups)
        .run()
        .await
        .map_err(|e| {
            let request = Request::new("get", "", "/apis", None);
            InputError::new(
                connection.place(),
                failure::describe(&e, &request, connection),
            )
        })?;
    let mut served = Vec::new();
    for wanted in WANTED {
        let found: Option<(ApiResource, ApiCapabilities)> = match wanted.version {
            Some(version) => {
                discovery.resolve_gvk(&GroupVersionKind::gvk(wanted.group, version, wanted.kind))
            }
            None => discovery
                .get(wanted.group)
                .and_then(|group| group.recommended_kind(wanted.kind)),
        };
        match (found, wanted.version) {
            (Some((resource, capabilities)), _) => served.push(Served {
                wanted,
                resource,
                namespaced: capabilities.scope == Scope::Namespaced,
            }),
            (None, Some(version)) => {
                let api_version = match wanted.group {
                    "" => version.to_string(),
                    group => format!("{group}/{version}"),
                };
                return Err(InputError::new(
                    connection.place(),
                    format!(
                        "the API server ({}) does not serve {api_version} {}: golive needs Kubernetes 1.23 or later",
                        connection.version, wanted.kind
                    ),
                ));
            }
            (None, None) => {}
        }
    }
    Ok(served)
}

/// The objects of one kind in scope, as documents.
async fn read_kind(
    connection: &Connection,
    target: &ClusterTarget,
    namespaces: &[String],
    kind: &Served<'_>,
) -> Result<Vec<Value>, InputError> {
    let per_namespace = kind.namespaced && !target.namespaces.is_empty();
    let scopes: Vec<Option<&str>> = if per_namespace {
        namespaces.iter().map(|n| Some(n.as_str())).collect()
    } else {
        vec![None]
    };
    let mut documents = Vec::new();
    for namespace in scopes {
        let api: Api<DynamicObject> = match namespace {
            Some(namespace) => {
                Api::namespaced_with(connection.client.clone(), namespace, &kind.resource)
            }
            None => Api::all_with(connection.client.clone(), &kind.resource),
        };
        let request = Request::new(
            "list",
            &kind.resource.group,
            &kind.resource.plural,
            namespace,
        );
        let read = match kind.wanted.contents {
            Contents::Whole => paged(connection, &request, |params| {
                let api = &api;
                async move { api.list(&params).await }
            })
            .await?
            .into_iter()
            .map(|object| whole_document(object, &kind.resource))
            .collect::<Vec<_>>(),
            Contents::MetadataOnly => metadata_documents(connection, &request, &api, kind).await?,
        };
        documents.extend(read.into_iter().filter(|document| {
            !kind.namespaced
                || document["metadata"]["namespace"]
                    .as_str()
                    .is_some_and(|n| target.includes(n))
        }));
    }
    Ok(documents)
}

/// The objects of a kind read as metadata only (Secrets): a document with
/// apiVersion, kind and metadata, and the type `kubernetes.io/tls` for
/// those the server lists under that type (a field selector: the values
/// stay on the server).
async fn metadata_documents(
    connection: &Connection,
    request: &Request,
    api: &Api<DynamicObject>,
    kind: &Served<'_>,
) -> Result<Vec<Value>, InputError> {
    let all = paged(connection, request, |params| async move {
        api.list_metadata(&params).await
    })
    .await?;
    // (Secrets are the only kind read this way.)
    let tls_uids: Vec<String> = paged(connection, request, |params| async move {
        api.list_metadata(&params.fields("type=kubernetes.io/tls"))
            .await
    })
    .await?
    .into_iter()
    .filter_map(|s| s.metadata.uid)
    .collect();
    Ok(all
        .into_iter()
        .map(|object| {
            let is_tls = object
                .metadata
                .uid
                .as_ref()
                .is_some_and(|uid| tls_uids.contains(uid));
            let mut document = json!({
                "apiVersion": kind.resource.api_version,
                "kind": kind.resource.kind,
                "metadata": object.metadata,
            });
            if is_tls {
                document["type"] = json!("kubernetes.io/tls");
            }
            cleaned(document)
        })
        .collect())
}

/// Every page of a list.
async fn paged<T, F, Fut>(
    connection: &Connection,
    request: &Request,
    fetch: F,
) -> Result<Vec<T>, InputError>
where
    T: Clone, // (ObjectList requires it)
    F: Fn(ListParams) -> Fut,
    Fut: Future<Output = kube::Result<ObjectList<T>>>,
{
    let mut items = Vec::new();
    let mut continue_token: Option<String> = None;
    loop {
        let mut params = ListParams::default().limit(PAGE_SIZE);
        if let Some(token) = &continue_token {
            params = params.continue_token(token);
        }
        let page = timed(connection, request, fetch(params)).await?;
        items.extend(page.items);
        continue_token = page.metadata.continue_.filter(|t| !t.is_empty());
        if continue_token.is_none() {
            return Ok(items);
        }
    }
}

/// A request with the run's time limit, its failure as an input error.
async fn timed<T>(
    connection: &Connection,
    request: &Request,
    call: impl Future<Output = kube::Result<T>>,
) -> Result<T, InputError> {
    connection
        .call(request, call)
        .await
        .map_err(|message| InputError::new(connection.place(), message))
}

/// An object of a list as a document: list items carry no apiVersion and
/// kind, so they come from the resource.
fn whole_document(object: DynamicObject, resource: &ApiResource) -> Value {
    let mut document = serde_json::to_value(&object).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut document {
        fields.insert("apiVersion".into(), json!(resource.api_version));
        fields.insert("kind".into(), json!(resource.kind));
    }
    cleaned(document)
}

fn namespace_document(namespace: &Namespace) -> Value {
    let mut document = serde_json::to_value(namespace).unwrap_or(Value::Null);
    document["apiVersion"] = json!("v1");
    document["kind"] = json!("Namespace");
    cleaned(document)
}

/// Leaves out what no check reads and a report must not show: the
/// managedFields bookkeeping and the last-applied copy of the object.
fn cleaned(mut document: Value) -> Value {
    if let Some(metadata) = document.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
        if let Some(annotations) = metadata
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
        {
            annotations.remove(LAST_APPLIED);
        }
    }
    document
}

/// Adds one object to the inventory through the manifests' reader, under
/// the name `cluster:NS/Kind/name`.
fn add(loaded: &mut Loaded, document: Value) {
    let name = location_name(&document);
    match serde_saphyr::to_string(&document) {
        Ok(text) => manifests::load_bytes(&name, text.as_bytes(), loaded),
        Err(e) => loaded.errors.push(InputError::new(
            name,
            format!("cannot render the object: {e}"),
        )),
    }
}

/// `cluster:production/Deployment/api`, `cluster:Node/node-a`.
fn location_name(document: &Value) -> String {
    let kind = document["kind"].as_str().unwrap_or("?");
    let name = document["metadata"]["name"].as_str().unwrap_or("?");
    match document["metadata"]["namespace"].as_str() {
        Some(namespace) => format!("cluster:{namespace}/{kind}/{name}"),
        None => format!("cluster:{kind}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_leave_out_bookkeeping_and_last_applied_copies() {
        let document = cleaned(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {
                "name": "db", "namespace": "production",
                "managedFields": [{"manager": "kubectl"}],
                "annotations": {LAST_APPLIED: "{\"data\":{\"password\":\"c2VjcmV0\"}}", "team": "a"}
            }
        }));
        assert_eq!(document["metadata"].get("managedFields"), None);
        assert_eq!(document["metadata"]["annotations"], json!({"team": "a"}));
        assert_eq!(location_name(&document), "cluster:production/Secret/db");
    }

    #[test]
    fn cluster_objects_go_through_the_manifest_reader() {
        let mut loaded = Loaded::default();
        add(
            &mut loaded,
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                   "metadata": {"name": "api", "namespace": "production"},
                   "spec": {"replicas": 3, "selector": {}, "template": {}}}),
        );
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let object = &loaded.objects[0];
        assert_eq!(&*object.origin.file, "cluster:production/Deployment/api");
        assert!(matches!(
            object.resource,
            crate::model::Resource::Deployment(_)
        ));
        assert!(object.locate("spec.replicas").line > 1);
    }
}
