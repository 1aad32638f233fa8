//! The API semantics of writes, as the real server's REST storage and
//! admission apply them: create (name generation, namespace lifecycle,
//! ServiceAccount admission, defaults, server-owned metadata), update and
//! patch (resourceVersion preconditions, status kept on the main resource),
//! delete (graceful pod deletion, finalizers, namespace termination,
//! garbage collection of dependents) and deletecollection. HTTP parsing is
//! not here (`api.rs`), nor what controllers do afterwards
//! (`controllers.rs`).
//!
//! Deletion answers, as on a real server: a pod (and a Service or a
//! ServiceAccount, whose storage sets `ReturnDeletedObject`) answers with
//! the object; an object that is not gone at once (graceful pod deletion,
//! finalizers, a namespace) answers with the object carrying
//! `deletionTimestamp`; anything else answers a `Status` Success whose
//! `details` name the group, the resource plural (as `kind`) and the UID.

use serde_json::{Map, Value, json};

use super::admission;
use super::cluster::{Cluster, has_generation};
use super::controllers;
use super::defaults;
use super::kubelet;
use super::names::{format_time, seconds};
use super::replacements;
use super::resources::{GroupResource, ResourceType};
use super::selectors::Selectors;
use super::status::{self, ApiError, already_exists, bad_request, conflict, invalid, not_found};
use super::statuses;

/// Resources whose storage returns the deleted object rather than a Status.
fn returns_deleted_object(resource: &ResourceType) -> bool {
    !resource.custom
        && resource.group.is_empty()
        && matches!(
            resource.plural.as_str(),
            "pods" | "services" | "serviceaccounts"
        )
}

/// Resources whose status the main resource's create/update ignores.
fn status_is_server_owned(resource: &ResourceType) -> bool {
    !resource.custom && resource.plural != "nodes" && resource.plural != "customresourcedefinitions"
}

fn namespaces() -> GroupResource {
    GroupResource::new("", "namespaces")
}

/// The `deleteOptions` of a request: the body (kube sends one) and the
/// query parameters (`gracePeriodSeconds`, `propagationPolicy`).
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    pub grace_period_seconds: Option<i64>,
    pub propagation_policy: Option<String>,
    pub precondition_uid: Option<String>,
    pub precondition_resource_version: Option<String>,
    pub dry_run: bool,
}

impl DeleteOptions {
    pub fn from_body_and_query(body: &Value, query: &[(String, String)]) -> DeleteOptions {
        let query_value = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        DeleteOptions {
            grace_period_seconds: body["gracePeriodSeconds"]
                .as_i64()
                .or_else(|| query_value("gracePeriodSeconds").and_then(|v| v.parse().ok())),
            propagation_policy: body["propagationPolicy"]
                .as_str()
                .map(String::from)
                .or_else(|| query_value("propagationPolicy"))
                .or_else(|| match body["orphanDependents"].as_bool() {
                    Some(true) => Some("Orphan".into()),
                    Some(false) => Some("Background".into()),
                    None => None,
                }),
            precondition_uid: body["preconditions"]["uid"].as_str().map(String::from),
            precondition_resource_version: body["preconditions"]["resourceVersion"]
                .as_str()
                .map(String::from),
            dry_run: body["dryRun"]
                .as_array()
                .is_some_and(|d| d.iter().any(|v| v == "All"))
                || query_value("dryRun").is_some_and(|v| v == "All"),
        }
    }
}

/// The answer to a DELETE: the HTTP code and the body.
pub struct Deleted {
    pub code: u16,
    pub body: Value,
}

impl Cluster {
    /// POST: creates `object` in `namespace` ("" for cluster-scoped kinds).
    pub(crate) fn create_json(
        &mut self,
        resource: &ResourceType,
        namespace: &str,
        mut object: Value,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        if !object.is_object() {
            return Err(bad_request("the body of the request is not an object"));
        }
        if !object["metadata"].is_object() {
            object["metadata"] = json!({});
        }
        if resource.namespaced {
            object["metadata"]["namespace"] = json!(namespace);
            match self.store.get(&namespaces(), "", namespace) {
                None => return Err(not_found("", "namespaces", namespace)),
                Some(ns) if ns["status"]["phase"] == "Terminating" => {
                    let name = object["metadata"]["name"].as_str().unwrap_or_default();
                    let mut error = status::forbidden(
                        "",
                        "create",
                        &resource.group,
                        &resource.plural,
                        "",
                        namespace,
                        name,
                    );
                    error.status["message"] = json!(format!(
                        "{} {name:?} is forbidden: unable to create new content in namespace {namespace} because it is being terminated",
                        status::qualified(&resource.group, &resource.plural)
                    ));
                    return Err(error);
                }
                Some(_) => {}
            }
        } else if let Some(meta) = object["metadata"].as_object_mut() {
            meta.remove("namespace");
        }
        let name = match object["metadata"]["name"].as_str() {
            Some(name) if !name.is_empty() => name.to_string(),
            _ => match object["metadata"]["generateName"].as_str() {
                Some(prefix) if !prefix.is_empty() => format!("{prefix}{}", self.rng.suffix()),
                _ => {
                    return Err(invalid(
                        resource,
                        "",
                        "metadata.name",
                        "FieldValueRequired",
                        "Required value: name or generateName is required",
                    ));
                }
            },
        };
        object["metadata"]["name"] = json!(name);
        if self
            .store
            .get(&resource.group_resource(), namespace, &name)
            .is_some()
        {
            return Err(already_exists(&resource.group, &resource.plural, &name));
        }
        if status_is_server_owned(resource)
            && let Some(map) = object.as_object_mut()
        {
            map.remove("status");
        }
        let mut object = defaults::apply(resource, object)
            .map_err(|e| bad_request(format!("error decoding {} {name:?}: {e}", resource.kind)))?;
        let uid = self.rng.uid();
        let meta = object["metadata"].as_object_mut().expect("metadata");
        for server_owned in [
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "managedFields",
            "selfLink",
        ] {
            meta.remove(server_owned);
        }
        meta.insert("uid".into(), json!(uid));
        meta.insert(
            "creationTimestamp".into(),
            json!(format_time(self.timestamp())),
        );
        if has_generation(resource) {
            meta.insert("generation".into(), json!(1));
        } else {
            meta.remove("generation");
        }
        admission::prepare_for_create(self, resource, &mut object)?;
        if dry_run {
            return Ok(object);
        }
        let stored = self.store.insert(&resource.group_resource(), object);
        controllers::after_create(self, resource, &stored);
        Ok(stored)
    }

    /// PUT: replaces an object (or only its status, for `/status`).
    pub(crate) fn update_json(
        &mut self,
        resource: &ResourceType,
        namespace: &str,
        name: &str,
        subresource: &str,
        mut object: Value,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let current = self
            .store
            .get(&resource.group_resource(), namespace, name)
            .cloned()
            .ok_or_else(|| not_found(&resource.group, &resource.plural, name))?;
        let body_name = object["metadata"]["name"].as_str().unwrap_or_default();
        if body_name != name {
            return Err(bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        if let Some(asked) = object["metadata"]["resourceVersion"].as_str()
            && !asked.is_empty()
            && Some(asked) != current["metadata"]["resourceVersion"].as_str()
        {
            return Err(conflict(
                &resource.group,
                &resource.plural,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            ));
        }
        if resource.namespaced {
            object["metadata"]["namespace"] = json!(namespace);
        }
        let mut object = if subresource == "status" {
            let mut updated = current.clone();
            updated["status"] = object["status"].clone();
            updated
        } else {
            let mut object = defaults::apply(resource, object).map_err(bad_request)?;
            if status_is_server_owned(resource) {
                object["status"] = current["status"].clone();
                if object["status"].is_null()
                    && let Some(map) = object.as_object_mut()
                {
                    map.remove("status");
                }
            }
            object
        };
        // What clients cannot change.
        for kept in ["deletionTimestamp", "deletionGracePeriodSeconds"] {
            if !current["metadata"][kept].is_null() {
                object["metadata"][kept] = current["metadata"][kept].clone();
            }
        }
        if !current["metadata"]["generation"].is_null() {
            object["metadata"]["generation"] = current["metadata"]["generation"].clone();
        }
        if dry_run {
            return Ok(object);
        }
        let stored = self.replace_json(resource, object);
        controllers::after_update(self, resource, &stored);
        Ok(stored)
    }

    /// PATCH: a JSON merge patch, a JSON patch, or (approximated as a merge
    /// patch) a strategic merge patch or an apply patch.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn patch_json(
        &mut self,
        resource: &ResourceType,
        namespace: &str,
        name: &str,
        subresource: &str,
        content_type: &str,
        patch: &[u8],
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let current = self
            .store
            .get(&resource.group_resource(), namespace, name)
            .cloned()
            .ok_or_else(|| not_found(&resource.group, &resource.plural, name))?;
        let media = content_type.split(';').next().unwrap_or_default().trim();
        let mut patched = current.clone();
        match media {
            "application/merge-patch+json"
            | "application/strategic-merge-patch+json"
            | "application/apply-patch+yaml" => {
                let patch: Value = if media == "application/apply-patch+yaml" {
                    serde_saphyr::from_str(&String::from_utf8_lossy(patch))
                        .map_err(|e| bad_request(format!("error decoding YAML: {e}")))?
                } else {
                    serde_json::from_slice(patch)
                        .map_err(|e| bad_request(format!("error decoding patch: {e}")))?
                };
                merge_patch(&mut patched, &patch);
            }
            "application/json-patch+json" => {
                let operations: Vec<Value> = serde_json::from_slice(patch)
                    .map_err(|e| bad_request(format!("error decoding patch: {e}")))?;
                json_patch(&mut patched, &operations)?;
            }
            other => return Err(status::unsupported_media_type(other)),
        }
        // A patch that leaves resourceVersion alone is unconditional.
        if patched["metadata"]["resourceVersion"] == current["metadata"]["resourceVersion"]
            && let Some(meta) = patched["metadata"].as_object_mut()
        {
            meta.remove("resourceVersion");
        }
        self.update_json(resource, namespace, name, subresource, patched, dry_run)
    }

    /// DELETE of one object.
    pub(crate) fn delete_json(
        &mut self,
        resource: &ResourceType,
        namespace: &str,
        name: &str,
        options: &DeleteOptions,
    ) -> Result<Deleted, ApiError> {
        let gr = resource.group_resource();
        let current = self
            .store
            .get(&gr, namespace, name)
            .cloned()
            .ok_or_else(|| not_found(&resource.group, &resource.plural, name))?;
        let uid = current["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if let Some(asked) = &options.precondition_uid
            && *asked != uid
        {
            return Err(conflict(
                &resource.group,
                &resource.plural,
                name,
                &format!(
                    "Precondition failed: UID in precondition: {asked}, UID in object meta: {uid}"
                ),
            ));
        }
        if let Some(asked) = &options.precondition_resource_version
            && Some(asked.as_str()) != current["metadata"]["resourceVersion"].as_str()
        {
            return Err(conflict(
                &resource.group,
                &resource.plural,
                name,
                &format!(
                    "Precondition failed: ResourceVersion in precondition: {asked}, ResourceVersion in object meta: {}",
                    current["metadata"]["resourceVersion"]
                        .as_str()
                        .unwrap_or_default()
                ),
            ));
        }
        if options.dry_run {
            return Ok(Deleted {
                code: 200,
                body: if returns_deleted_object(resource) {
                    current
                } else {
                    status::deleted(&resource.group, &resource.plural, name, &uid)
                },
            });
        }

        if resource.plural == "namespaces" && resource.group.is_empty() {
            return Ok(Deleted {
                code: 200,
                body: self.terminate_namespace(name),
            });
        }

        // Graceful deletion of a scheduled, unfinished pod.
        if resource.plural == "pods" && resource.group.is_empty() {
            let scheduled = current["spec"]["nodeName"].is_string();
            let finished = matches!(
                current["status"]["phase"].as_str(),
                Some("Succeeded") | Some("Failed")
            );
            let grace = options
                .grace_period_seconds
                .or_else(|| current["spec"]["terminationGracePeriodSeconds"].as_i64())
                .unwrap_or(30)
                .max(0);
            if scheduled && !finished && grace > 0 {
                return Ok(Deleted {
                    code: 200,
                    body: self.terminate_pod(namespace, name, grace),
                });
            }
        }

        // Finalizers hold the object until their controllers let go.
        let foreground = options.propagation_policy.as_deref() == Some("Foreground");
        let has_finalizers = current["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|f| !f.is_empty());
        if has_finalizers || foreground {
            let mut marked = current.clone();
            if marked["metadata"]["deletionTimestamp"].is_null() {
                marked["metadata"]["deletionTimestamp"] = json!(format_time(self.timestamp()));
                marked["metadata"]["deletionGracePeriodSeconds"] = json!(0);
            }
            if foreground {
                let finalizers = marked["metadata"]["finalizers"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                if !finalizers.iter().any(|f| f == "foregroundDeletion") {
                    let mut finalizers = finalizers;
                    finalizers.push(json!("foregroundDeletion"));
                    marked["metadata"]["finalizers"] = Value::Array(finalizers);
                }
                // The garbage collector deletes the dependents, then the owner.
                let (gr2, ns2, name2, uid2) = (
                    gr.clone(),
                    namespace.to_string(),
                    name.to_string(),
                    uid.clone(),
                );
                let delay = self.options.termination_delay;
                self.schedule(delay, move |cluster| {
                    cluster.collect_dependents(&uid2, "Background");
                    if cluster
                        .store
                        .get(&gr2, &ns2, &name2)
                        .is_some_and(|o| o["metadata"]["uid"] == uid2.as_str())
                    {
                        cluster.store.remove(&gr2, &ns2, &name2);
                    }
                    statuses::reconcile_namespace(cluster, &ns2);
                });
            }
            let stored = self.store.replace(&gr, marked);
            return Ok(Deleted {
                code: 200,
                body: stored,
            });
        }

        let removed = self.store.remove(&gr, namespace, name).expect("it exists");
        if resource.plural == "pods" && resource.group.is_empty() {
            replacements::pod_gone(self, &removed);
        }
        let policy = options
            .propagation_policy
            .clone()
            .unwrap_or_else(|| "Background".into());
        self.collect_dependents(&uid, &policy);
        statuses::reconcile_namespace(self, namespace);
        let body = if returns_deleted_object(resource) {
            removed
        } else {
            status::deleted(&resource.group, &resource.plural, name, &uid)
        };
        Ok(Deleted { code: 200, body })
    }

    /// DELETE of a collection: every matching object deleted as one DELETE
    /// would, answered as a list of what was deleted.
    pub(crate) fn delete_collection_json(
        &mut self,
        resource: &ResourceType,
        namespace: &str,
        selectors: &Selectors,
        options: &DeleteOptions,
    ) -> Result<Value, ApiError> {
        let names: Vec<(String, String)> = self
            .store
            .list(&resource.group_resource(), namespace)
            .filter(|o| selectors.matches(o))
            .map(|o| {
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
            })
            .collect();
        let mut items = Vec::new();
        for (ns, name) in names {
            let deleted = self.delete_json(resource, &ns, &name, options)?;
            if deleted.body["kind"] != "Status" {
                items.push(deleted.body);
            }
        }
        Ok(json!({
            "kind": resource.list_kind(),
            "apiVersion": resource.api_version(),
            "metadata": {"resourceVersion": self.store.revision().to_string()},
            "items": items,
        }))
    }

    /// Marks a pod terminating (`deletionTimestamp` = now + grace): its
    /// ReplicaSet replaces it, the kubelet stops it (readiness lost at
    /// once) and removes it after the termination delay (capped by the
    /// grace period). A pod already terminating only gets a shorter grace
    /// period.
    pub(crate) fn terminate_pod(&mut self, namespace: &str, name: &str, grace: i64) -> Value {
        let gr = GroupResource::new("", "pods");
        let mut pod = self
            .store
            .get(&gr, namespace, name)
            .cloned()
            .expect("the pod exists");
        let now = self.timestamp();
        let current_grace = pod["metadata"]["deletionGracePeriodSeconds"].as_i64();
        if current_grace.is_some_and(|g| g <= grace) {
            return pod;
        }
        pod["metadata"]["deletionTimestamp"] = json!(format_time(now + seconds(grace)));
        pod["metadata"]["deletionGracePeriodSeconds"] = json!(grace);
        let stored = self.store.replace(&gr, pod);
        let uid = stored["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        kubelet::terminating(self, namespace, name, &uid);
        replacements::pod_terminating(self, &stored);
        statuses::reconcile_namespace(self, namespace);
        let delay = self
            .options
            .termination_delay
            .min(std::time::Duration::from_secs(grace as u64));
        let (namespace, name) = (namespace.to_string(), name.to_string());
        self.schedule(delay, move |cluster| {
            cluster.finish_pod_termination(&namespace, &name, &uid);
        });
        stored
    }

    /// The kubelet is done with a terminating pod: its containers have
    /// stopped (the pod is terminal), then it goes (DELETED).
    pub(crate) fn finish_pod_termination(&mut self, namespace: &str, name: &str, uid: &str) {
        let gr = GroupResource::new("", "pods");
        let still_there = self
            .store
            .get(&gr, namespace, name)
            .is_some_and(|p| p["metadata"]["uid"] == uid);
        if still_there {
            kubelet::terminated(self, namespace, name);
            let removed = self.store.remove(&gr, namespace, name).expect("it exists");
            replacements::pod_gone(self, &removed);
            statuses::reconcile_namespace(self, namespace);
        }
    }

    /// A namespace being deleted: Terminating now, its content and itself
    /// gone after the termination delay.
    fn terminate_namespace(&mut self, name: &str) -> Value {
        let gr = namespaces();
        let mut namespace = self.store.get(&gr, "", name).cloned().expect("it exists");
        if namespace["metadata"]["deletionTimestamp"].is_null() {
            namespace["metadata"]["deletionTimestamp"] = json!(format_time(self.timestamp()));
            namespace["metadata"]["deletionGracePeriodSeconds"] = json!(0);
            namespace["status"]["phase"] = json!("Terminating");
        }
        let stored = self.store.replace(&gr, namespace);
        let delay = self.options.termination_delay;
        let name = name.to_string();
        self.schedule(delay, move |cluster| {
            let types: Vec<ResourceType> = cluster
                .catalog
                .types()
                .iter()
                .filter(|t| t.namespaced)
                .cloned()
                .collect();
            for t in types {
                let names: Vec<String> = cluster
                    .store
                    .list(&t.group_resource(), &name)
                    .map(|o| {
                        o["metadata"]["name"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string()
                    })
                    .collect();
                for object in names {
                    cluster.store.remove(&t.group_resource(), &name, &object);
                }
            }
            cluster.store.remove(&namespaces(), "", &name);
        });
        stored
    }

    /// The garbage collector: the dependents of a deleted owner are deleted
    /// (Background) or released (Orphan).
    pub(crate) fn collect_dependents(&mut self, owner_uid: &str, policy: &str) {
        let mut dependents = Vec::new();
        for t in self.catalog.types().to_vec() {
            for object in self.store.list(&t.group_resource(), "") {
                let owned = object["metadata"]["ownerReferences"]
                    .as_array()
                    .is_some_and(|refs| refs.iter().any(|r| r["uid"] == owner_uid));
                if owned {
                    dependents.push((
                        t.clone(),
                        object["metadata"]["namespace"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                        object["metadata"]["name"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    ));
                }
            }
        }
        for (t, ns, name) in dependents {
            if policy == "Orphan" {
                let Some(mut object) = self.store.get(&t.group_resource(), &ns, &name).cloned()
                else {
                    continue;
                };
                if let Some(refs) = object["metadata"]["ownerReferences"].as_array_mut() {
                    refs.retain(|r| r["uid"] != owner_uid);
                    if refs.is_empty()
                        && let Some(meta) = object["metadata"].as_object_mut()
                    {
                        meta.remove("ownerReferences");
                    }
                }
                self.store.replace(&t.group_resource(), object);
            } else {
                let _ = self.delete_json(&t, &ns, &name, &DeleteOptions::default());
            }
        }
    }
}

/// RFC 7386: objects merge, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Some(patch) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let map = target.as_object_mut().expect("an object");
    for (key, value) in patch {
        if value.is_null() {
            map.remove(key);
        } else {
            merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

fn pointer_parts(path: &str) -> Vec<String> {
    path.split('/')
        .skip(1)
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// RFC 6902 (add, remove, replace, test, copy, move).
fn json_patch(target: &mut Value, operations: &[Value]) -> Result<(), ApiError> {
    for operation in operations {
        let op = operation["op"].as_str().unwrap_or_default();
        let path = operation["path"].as_str().unwrap_or_default();
        let fail = || ApiError {
            code: 422,
            status: json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": format!("the server rejected our request due to an error in our request: {op} operation does not apply: doc is missing path: {path:?}"),
                "reason": "Invalid", "code": 422
            }),
        };
        match op {
            "test" => {
                if target.pointer(path) != Some(&operation["value"]) {
                    return Err(fail());
                }
            }
            "remove" => remove_at(target, path).ok_or_else(fail).map(|_| ())?,
            "add" | "replace" => {
                if op == "replace" {
                    remove_at(target, path).ok_or_else(fail)?;
                }
                add_at(target, path, operation["value"].clone()).ok_or_else(fail)?;
            }
            "copy" | "move" => {
                let from = operation["from"].as_str().unwrap_or_default();
                let value = target.pointer(from).cloned().ok_or_else(fail)?;
                if op == "move" {
                    remove_at(target, from).ok_or_else(fail)?;
                }
                add_at(target, path, value).ok_or_else(fail)?;
            }
            _ => return Err(bad_request(format!("unknown JSON patch operation {op:?}"))),
        }
    }
    Ok(())
}

fn add_at(target: &mut Value, path: &str, value: Value) -> Option<()> {
    let parts = pointer_parts(path);
    let Some((last, parents)) = parts.split_last() else {
        *target = value;
        return Some(());
    };
    let mut node = target;
    for part in parents {
        node = match node {
            Value::Object(map) => map.get_mut(part)?,
            Value::Array(items) => items.get_mut(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    match node {
        Value::Object(map) => {
            map.insert(last.clone(), value);
        }
        Value::Array(items) => {
            if last == "-" {
                items.push(value);
            } else {
                let index: usize = last.parse().ok()?;
                if index > items.len() {
                    return None;
                }
                items.insert(index, value);
            }
        }
        _ => return None,
    }
    Some(())
}

fn remove_at(target: &mut Value, path: &str) -> Option<Value> {
    let parts = pointer_parts(path);
    let (last, parents) = parts.split_last()?;
    let mut node = target;
    for part in parents {
        node = match node {
            Value::Object(map) => map.get_mut(part)?,
            Value::Array(items) => items.get_mut(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    match node {
        Value::Object(map) => map.remove(last),
        Value::Array(items) => {
            let index: usize = last.parse().ok()?;
            (index < items.len()).then(|| items.remove(index))
        }
        _ => None,
    }
}
