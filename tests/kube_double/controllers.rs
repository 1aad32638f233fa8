//! The controllers, reduced to what makes a cluster look like it has been
//! running: a Deployment's ReplicaSet (`<name>-<pod-template-hash>`) and
//! its pods, a StatefulSet's ordinal pods and claims, a DaemonSet's pod per
//! node, a Job's completed pods — all scheduled round-robin over the nodes
//! (the scheduler) and running ready (the kubelet). The bootstrap objects
//! are in `bootstrap.rs`, what a create needs before it is stored in
//! `admission.rs`, the workload statuses in `statuses.rs`.
//!
//! Building the cluster and changing a workload's spec converge at once,
//! but for a Deployment's new template once the cluster is built: that
//! rolls out over time (`rolling.rs`). What else takes time is
//! elsewhere: the replacement of a deleted pod (`replacements.rs`, which
//! orders pods from here with [`create_pod`]) and the scheduler and
//! kubelet that run such pods and the ones created through the API
//! (`kubelet.rs`, handed every new pod without a controller by
//! [`after_create`]). A HorizontalPodAutoscaler keeps its target's
//! replicas between minReplicas and maxReplicas (no metrics are
//! simulated), as a workload whose manifest leaves replicas to it needs.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Pod;
use serde_json::{Value, json};

use super::bootstrap;
use super::cluster::{Cluster, ControllerOverride};
use super::kubelet;
use super::names::{seconds, template_hash};
use super::pods::{self, Placement};
use super::resources::{GroupResource, ResourceType};
use super::rolling;
use super::statuses::reconcile_namespace;

pub(super) fn gr(group: &str, plural: &str) -> GroupResource {
    GroupResource::new(group, plural)
}

pub(super) fn resource(cluster: &Cluster, group: &str, plural: &str) -> ResourceType {
    cluster
        .catalog
        .by_group_resource(&gr(group, plural))
        .unwrap_or_else(|| panic!("no resource {plural}.{group}"))
        .clone()
}

pub(super) fn str_of(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

pub(super) fn name_of(object: &Value) -> String {
    str_of(&object["metadata"]["name"])
}

pub(super) fn uid_of(object: &Value) -> String {
    str_of(&object["metadata"]["uid"])
}

pub(super) fn owner_reference(object: &Value) -> Value {
    json!({
        "apiVersion": object["apiVersion"],
        "kind": object["kind"],
        "name": object["metadata"]["name"],
        "uid": object["metadata"]["uid"],
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

/// The owner reference of the object's controller, if any.
pub(super) fn controller_of(object: &Value) -> Option<&Value> {
    object["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true)
}

pub(super) fn has_controller(object: &Value) -> bool {
    controller_of(object).is_some()
}

pub(super) fn is_owned_by(object: &Value, owner_uid: &str) -> bool {
    object["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|refs| {
            refs.iter()
                .any(|r| r["uid"] == owner_uid && r["controller"] == true)
        })
}

pub(super) fn override_of(
    cluster: &Cluster,
    plural: &str,
    namespace: &str,
    name: &str,
) -> ControllerOverride {
    cluster
        .overrides
        .get(&(plural.to_string(), namespace.to_string(), name.to_string()))
        .cloned()
        .unwrap_or_default()
}

// ---- reacting to changes ----------------------------------------------

/// What the controllers do when an object appears.
pub fn after_create(cluster: &mut Cluster, resource: &ResourceType, object: &Value) {
    if resource.custom {
        return;
    }
    let namespace = str_of(&object["metadata"]["namespace"]);
    let name = name_of(object);
    match (resource.group.as_str(), resource.plural.as_str()) {
        ("", "namespaces") => bootstrap::populate_namespace(cluster, &name),
        ("apiextensions.k8s.io", "customresourcedefinitions") => {
            let spec = &object["spec"];
            for version in spec["versions"].as_array().into_iter().flatten() {
                cluster.catalog.add_custom(
                    spec["group"].as_str().unwrap_or_default(),
                    version["name"].as_str().unwrap_or_default(),
                    spec["names"]["kind"].as_str().unwrap_or_default(),
                    spec["names"]["plural"].as_str().unwrap_or_default(),
                    spec["scope"] == "Namespaced",
                );
            }
        }
        ("", "pods") if !has_controller(object) => {
            if cluster.loading {
                // A bare pod of the manifests has been running for a while.
                let node = cluster.store.list(&gr("", "pods"), "").count();
                run_pod(cluster, &namespace, &name, node, false);
            } else {
                kubelet::admit(cluster, &namespace, &name);
            }
        }
        ("networking.k8s.io", "ingresses") => {
            let mut ingress = object.clone();
            ingress["status"] = json!({"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}});
            cluster
                .store
                .replace(&gr("networking.k8s.io", "ingresses"), ingress);
        }
        _ => converge(cluster, resource, &namespace, &name),
    }
    autoscale_namespace(cluster, &namespace);
    reconcile_namespace(cluster, &namespace);
}

/// What the controllers do when an object's spec changes through the API.
pub fn after_update(cluster: &mut Cluster, resource: &ResourceType, object: &Value) {
    let namespace = str_of(&object["metadata"]["namespace"]);
    if !resource.custom {
        converge(cluster, resource, &namespace, &name_of(object));
    }
    autoscale_namespace(cluster, &namespace);
    reconcile_namespace(cluster, &namespace);
}

/// The autoscaler controller, reduced to its bounds: every
/// HorizontalPodAutoscaler of `namespace` brings its target's replicas
/// within minReplicas..=maxReplicas (through the scale, as the
/// controller does), and the target converges at once.
fn autoscale_namespace(cluster: &mut Cluster, namespace: &str) {
    if namespace.is_empty() {
        return;
    }
    let autoscalers: Vec<Value> = cluster
        .store
        .list(&gr("autoscaling", "horizontalpodautoscalers"), namespace)
        .cloned()
        .collect();
    for hpa in autoscalers {
        let target = &hpa["spec"]["scaleTargetRef"];
        let plural = match target["kind"].as_str().unwrap_or_default() {
            "Deployment" => "deployments",
            "StatefulSet" => "statefulsets",
            "ReplicaSet" => "replicasets",
            _ => continue,
        };
        let name = str_of(&target["name"]);
        let Some(workload) = cluster.store.get(&gr("apps", plural), namespace, &name) else {
            continue;
        };
        let current = workload["spec"]["replicas"].as_i64().unwrap_or(1);
        let min = hpa["spec"]["minReplicas"].as_i64().unwrap_or(1);
        let max = hpa["spec"]["maxReplicas"].as_i64().unwrap_or(min).max(min);
        let desired = current.clamp(min, max);
        if desired == current {
            continue;
        }
        let mut scaled = workload.clone();
        scaled["spec"]["replicas"] = json!(desired);
        cluster.store.replace(&gr("apps", plural), scaled);
        let resource = resource(cluster, "apps", plural);
        converge(cluster, &resource, namespace, &name);
    }
}

// ---- workload controllers ----------------------------------------------

fn converge(cluster: &mut Cluster, resource: &ResourceType, namespace: &str, name: &str) {
    if resource.group != "apps" && resource.group != "batch" {
        return;
    }
    let o = override_of(cluster, &resource.plural, namespace, name);
    if o.frozen || o.progressing.is_some() || o.observed_generation.is_some() {
        return;
    }
    match resource.plural.as_str() {
        "deployments" => converge_deployment(cluster, namespace, name),
        "replicasets" => converge_replica_set(cluster, namespace, name),
        "statefulsets" => converge_stateful_set(cluster, namespace, name),
        "daemonsets" => converge_daemon_set(cluster, namespace, name),
        "jobs" => converge_job(cluster, namespace, name),
        _ => {}
    }
}

/// The template of a workload with the labels its controller adds.
fn labelled_template(template: &Value, labels: &Value) -> Value {
    let mut template = template.clone();
    super::registry::merge_patch(&mut template["metadata"]["labels"], labels);
    template
}

/// `maxSurge` and `maxUnavailable` of a Deployment resolved against its
/// replicas (surge rounds up, unavailable down; never both 0).
pub fn surge_and_unavailable(deployment: &Value) -> (i64, i64) {
    let replicas = deployment["spec"]["replicas"].as_i64().unwrap_or(1);
    let rolling = &deployment["spec"]["strategy"]["rollingUpdate"];
    if deployment["spec"]["strategy"]["type"] == "Recreate" {
        return (0, replicas);
    }
    let resolve = |v: &Value, up: bool, default: &str| -> i64 {
        let v = if v.is_null() {
            json!(default)
        } else {
            v.clone()
        };
        match v {
            Value::Number(n) => n.as_i64().unwrap_or(0),
            Value::String(s) => {
                let p: f64 = s.trim_end_matches('%').parse().unwrap_or(0.0);
                let exact = p * replicas as f64 / 100.0;
                if up {
                    exact.ceil() as i64
                } else {
                    exact.floor() as i64
                }
            }
            _ => 0,
        }
    };
    let surge = resolve(&rolling["maxSurge"], true, "25%");
    let unavailable = resolve(&rolling["maxUnavailable"], false, "25%");
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

pub(super) fn replica_sets_of(
    cluster: &Cluster,
    namespace: &str,
    deployment_uid: &str,
) -> Vec<Value> {
    cluster
        .store
        .list(&gr("apps", "replicasets"), namespace)
        .filter(|rs| is_owned_by(rs, deployment_uid))
        .cloned()
        .collect()
}

pub(super) fn revision_of(object: &Value) -> i64 {
    object["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
        .as_str()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// The ReplicaSet a Deployment's current template makes (created if
/// missing, with `revision`): answers its name.
pub fn ensure_replica_set(
    cluster: &mut Cluster,
    namespace: &str,
    deployment: &Value,
    replicas: i64,
) -> String {
    let template = &deployment["spec"]["template"];
    let hash = template_hash(template);
    let rs_name = format!("{}-{hash}", name_of(deployment));
    let rs_resource = resource(cluster, "apps", "replicasets");
    let (surge, _) = surge_and_unavailable(deployment);
    let desired = deployment["spec"]["replicas"].as_i64().unwrap_or(1);
    if let Some(existing) = cluster
        .store
        .get(&gr("apps", "replicasets"), namespace, &rs_name)
        .cloned()
    {
        if existing["spec"]["replicas"].as_i64() != Some(replicas) {
            let mut rs = existing;
            rs["spec"]["replicas"] = json!(replicas);
            cluster.replace_json(&rs_resource, rs);
            converge_replica_set(cluster, namespace, &rs_name);
        }
        return rs_name;
    }
    let revision = replica_sets_of(cluster, namespace, &uid_of(deployment))
        .iter()
        .map(revision_of)
        .max()
        .unwrap_or(0)
        + 1;
    let hash_label = json!({"pod-template-hash": hash});
    let mut labels = template["metadata"]["labels"].clone();
    super::registry::merge_patch(&mut labels, &hash_label);
    let mut selector = deployment["spec"]["selector"].clone();
    super::registry::merge_patch(&mut selector["matchLabels"], &hash_label);
    let rs = json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": rs_name,
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": desired.to_string(),
                "deployment.kubernetes.io/max-replicas": (desired + surge).to_string(),
                "deployment.kubernetes.io/revision": revision.to_string(),
            },
            "ownerReferences": [owner_reference(deployment)],
        },
        "spec": {
            "replicas": replicas,
            "minReadySeconds": deployment["spec"]["minReadySeconds"],
            "selector": selector,
            "template": labelled_template(template, &hash_label),
        },
    });
    let mut rs = rs;
    if rs["spec"]["minReadySeconds"].is_null() {
        rs["spec"]
            .as_object_mut()
            .expect("spec")
            .remove("minReadySeconds");
    }
    cluster
        .create_json(&rs_resource, namespace, rs, false)
        .expect("a valid ReplicaSet");
    rs_name
}

/// Whether a Deployment of a built cluster asks for a template that
/// another of its ReplicaSets does not run yet (a rollout, which takes
/// time, rather than a change of scale).
fn is_template_change(cluster: &Cluster, namespace: &str, deployment: &Value) -> bool {
    let current = format!(
        "{}-{}",
        name_of(deployment),
        template_hash(&deployment["spec"]["template"])
    );
    deployment["spec"]["strategy"]["type"] != "Recreate"
        && (cluster
            .rolling
            .contains_key(&(namespace.to_string(), name_of(deployment)))
            || replica_sets_of(cluster, namespace, &uid_of(deployment))
                .iter()
                .any(|rs| name_of(rs) != current && rs["spec"]["replicas"].as_i64() != Some(0)))
}

fn converge_deployment(cluster: &mut Cluster, namespace: &str, name: &str) {
    let Some(deployment) = cluster
        .store
        .get(&gr("apps", "deployments"), namespace, name)
        .cloned()
    else {
        return;
    };
    if !cluster.loading && is_template_change(cluster, namespace, &deployment) {
        return rolling::start(cluster, namespace, &deployment);
    }
    let replicas = deployment["spec"]["replicas"].as_i64().unwrap_or(1);
    let current = ensure_replica_set(cluster, namespace, &deployment, replicas);
    let rs_resource = resource(cluster, "apps", "replicasets");
    for old in replica_sets_of(cluster, namespace, &uid_of(&deployment)) {
        if name_of(&old) != current && old["spec"]["replicas"].as_i64() != Some(0) {
            let mut old = old;
            old["spec"]["replicas"] = json!(0);
            let old_name = name_of(&old);
            cluster.replace_json(&rs_resource, old);
            converge_replica_set(cluster, namespace, &old_name);
        }
    }
    let revision = cluster
        .store
        .get(&gr("apps", "replicasets"), namespace, &current)
        .map(revision_of)
        .unwrap_or(1);
    if revision_of(&deployment) != revision {
        let mut deployment = cluster
            .store
            .get(&gr("apps", "deployments"), namespace, name)
            .cloned()
            .expect("the deployment");
        deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"] =
            json!(revision.to_string());
        cluster
            .store
            .replace(&gr("apps", "deployments"), deployment);
    }
}

/// Last touches to a pod document before it is created.
pub type PodTouch = Box<dyn FnOnce(&mut Value)>;

/// A pod a controller asks for, and how it turns out.
pub struct PodOrder {
    pub namespace: String,
    /// A fixed name (StatefulSet) or none (`<generate_name><suffix>`).
    pub name: Option<String>,
    pub generate_name: String,
    pub template: Value,
    pub owner: Value,
    pub node: usize,
    pub completed: bool,
    /// Last touches to the pod document before it is created.
    pub extra: Option<PodTouch>,
}

/// Creates a pod (as its controller), binds it to its node (the
/// scheduler) and reports it running and ready, or completed (the
/// kubelet), all at once. Answers the pod's name, `None` when the API
/// server refused it (see [`create_pod`]).
pub fn spawn_pod(cluster: &mut Cluster, order: PodOrder) -> Option<String> {
    let (namespace, node, completed) = (order.namespace.clone(), order.node, order.completed);
    let name = create_pod(cluster, order)?;
    run_pod(cluster, &namespace, &name, node, completed);
    Some(name)
}

/// Creates a pod as its controller does: Pending, not scheduled yet (the
/// order's node and outcome are for [`spawn_pod`]). Answers its name, or
/// `None` when admission refuses the pod (a ServiceAccount that does not
/// exist): the controller creates nothing, as a real one whose create
/// fails ("FailedCreate") and retries.
pub fn create_pod(cluster: &mut Cluster, order: PodOrder) -> Option<String> {
    let mut metadata = order.template["metadata"].clone();
    if !metadata.is_object() {
        metadata = json!({});
    }
    match &order.name {
        Some(name) => metadata["name"] = json!(name),
        None => metadata["generateName"] = json!(order.generate_name),
    }
    metadata["ownerReferences"] = json!([order.owner]);
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": order.template["spec"],
    });
    if let Some(extra) = order.extra {
        extra(&mut pod);
    }
    let pods_resource = resource(cluster, "", "pods");
    let created = cluster
        .create_json(&pods_resource, &order.namespace, pod, false)
        .ok()?;
    Some(name_of(&created))
}

/// Node `node` (modulo the node count) with a new pod IP from its range.
pub fn place(cluster: &mut Cluster, node: usize) -> Placement {
    let node_count = cluster.options.nodes.len().max(1);
    let node = node % node_count;
    let node_name = cluster.options.nodes[node].name.clone();
    let counter = cluster.next_pod_ip.entry(node_name.clone()).or_insert(10);
    *counter += 1;
    Placement {
        node: node_name,
        host_ip: bootstrap::node_ip(node),
        pod_ip: format!("10.244.{node}.{}", *counter % 250 + 2),
    }
}

/// The scheduler binds the pod to node `node`, the kubelet starts it.
pub fn run_pod(cluster: &mut Cluster, namespace: &str, name: &str, node: usize, completed: bool) {
    let placement = place(cluster, node);
    let scheduled = cluster.timestamp() + seconds(1);
    let mut pod: Pod = cluster.get(namespace, name).expect("the pod just created");
    pod.spec.get_or_insert_with(Default::default).node_name = Some(placement.node.clone());
    pod.status = Some(if completed {
        pods::succeeded_status(&pod, &placement, scheduled, &cluster.image_users)
    } else {
        pods::running_status(&pod, &placement, scheduled, &cluster.image_users)
    });
    cluster.store.replace(
        &gr("", "pods"),
        serde_json::to_value(&pod).expect("serializes"),
    );
}

/// Pods controlled by `owner_uid`, active ones first in name order.
pub(super) fn pods_owned_by(cluster: &Cluster, namespace: &str, owner_uid: &str) -> Vec<Value> {
    cluster
        .store
        .list(&gr("", "pods"), namespace)
        .filter(|p| is_owned_by(p, owner_uid))
        .cloned()
        .collect()
}

pub(super) fn is_active(pod: &Value) -> bool {
    pod["metadata"]["deletionTimestamp"].is_null()
        && !matches!(
            pod["status"]["phase"].as_str(),
            Some("Succeeded") | Some("Failed")
        )
}

pub(super) fn is_ready(pod: &Value) -> bool {
    pod["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

pub(super) fn delete_pod(cluster: &mut Cluster, namespace: &str, name: &str) {
    let pods_resource = resource(cluster, "", "pods");
    let _ = cluster.delete_json(&pods_resource, namespace, name, &Default::default());
}

fn converge_replica_set(cluster: &mut Cluster, namespace: &str, name: &str) {
    let Some(rs) = cluster
        .store
        .get(&gr("apps", "replicasets"), namespace, name)
        .cloned()
    else {
        return;
    };
    let wanted = rs["spec"]["replicas"].as_i64().unwrap_or(1) as usize;
    let active: Vec<Value> = pods_owned_by(cluster, namespace, &uid_of(&rs))
        .into_iter()
        .filter(is_active)
        .collect();
    for i in active.len()..wanted {
        spawn_pod(
            cluster,
            PodOrder {
                namespace: namespace.into(),
                name: None,
                generate_name: format!("{name}-"),
                template: rs["spec"]["template"].clone(),
                owner: owner_reference(&rs),
                node: i,
                completed: false,
                extra: None,
            },
        );
    }
    for pod in active.iter().skip(wanted).rev() {
        delete_pod(cluster, namespace, &name_of(pod));
    }
}

pub(super) fn sts_revision(sts: &Value) -> String {
    format!(
        "{}-{}",
        name_of(sts),
        template_hash(&sts["spec"]["template"])
    )
}

/// The pod of ordinal `i` of a StatefulSet (its claims created if
/// missing), as the StatefulSet controller orders it.
pub(super) fn stateful_pod_order(cluster: &mut Cluster, sts: &Value, i: usize) -> PodOrder {
    let namespace = str_of(&sts["metadata"]["namespace"]);
    let pod_name = format!("{}-{i}", name_of(sts));
    let revision = sts_revision(sts);
    let claims = resource(cluster, "", "persistentvolumeclaims");
    let mut volumes = Vec::new();
    for template in sts["spec"]["volumeClaimTemplates"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let template_name = name_of(template);
        let claim_name = format!("{template_name}-{pod_name}");
        volumes.push(
            json!({"name": template_name, "persistentVolumeClaim": {"claimName": claim_name}}),
        );
        if cluster
            .store
            .get(&claims.group_resource(), &namespace, &claim_name)
            .is_none()
        {
            let mut claim = json!({
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim_name, "labels": sts["spec"]["selector"]["matchLabels"]},
                "spec": template["spec"],
            });
            if let Some(labels) = template["metadata"]["labels"].as_object() {
                for (k, v) in labels {
                    claim["metadata"]["labels"][k] = v.clone();
                }
            }
            cluster
                .create_json(&claims, &namespace, claim, false)
                .expect("a valid claim");
        }
    }
    let labels = json!({
        "apps.kubernetes.io/pod-index": i.to_string(),
        "controller-revision-hash": revision,
        "statefulset.kubernetes.io/pod-name": pod_name,
    });
    let service_name = sts["spec"]["serviceName"].clone();
    let hostname = pod_name.clone();
    PodOrder {
        namespace,
        name: Some(pod_name),
        generate_name: String::new(),
        template: labelled_template(&sts["spec"]["template"], &labels),
        owner: owner_reference(sts),
        node: i,
        completed: false,
        extra: Some(Box::new(move |pod: &mut Value| {
            pod["spec"]["hostname"] = json!(hostname);
            if service_name.is_string() {
                pod["spec"]["subdomain"] = service_name;
            }
            let spec_volumes = pod["spec"]["volumes"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            pod["spec"]["volumes"] =
                Value::Array(volumes.into_iter().chain(spec_volumes).collect());
        })),
    }
}

fn converge_stateful_set(cluster: &mut Cluster, namespace: &str, name: &str) {
    let Some(sts) = cluster
        .store
        .get(&gr("apps", "statefulsets"), namespace, name)
        .cloned()
    else {
        return;
    };
    let replicas = sts["spec"]["replicas"].as_i64().unwrap_or(1) as usize;
    let revision = sts_revision(&sts);
    for i in 0..replicas {
        let pod_name = format!("{name}-{i}");
        if let Some(existing) = cluster
            .store
            .get(&gr("", "pods"), namespace, &pod_name)
            .cloned()
        {
            if existing["metadata"]["labels"]["controller-revision-hash"] == revision.as_str() {
                continue;
            }
            cluster.store.remove(&gr("", "pods"), namespace, &pod_name);
        }
        let order = stateful_pod_order(cluster, &sts, i);
        spawn_pod(cluster, order);
    }
    for pod in pods_owned_by(cluster, namespace, &uid_of(&sts)) {
        let ordinal: usize = name_of(&pod)
            .rsplit('-')
            .next()
            .and_then(|o| o.parse().ok())
            .unwrap_or(0);
        if ordinal >= replicas && is_active(&pod) {
            delete_pod(cluster, namespace, &name_of(&pod));
        }
    }
}

fn converge_daemon_set(cluster: &mut Cluster, namespace: &str, name: &str) {
    let Some(ds) = cluster
        .store
        .get(&gr("apps", "daemonsets"), namespace, name)
        .cloned()
    else {
        return;
    };
    let revision = template_hash(&ds["spec"]["template"]);
    let existing = pods_owned_by(cluster, namespace, &uid_of(&ds));
    for (i, node) in cluster.options.nodes.clone().iter().enumerate() {
        let on_node: Vec<&Value> = existing
            .iter()
            .filter(|p| target_node(p).as_deref() == Some(node.name.as_str()) && is_active(p))
            .collect();
        if on_node
            .iter()
            .any(|p| p["metadata"]["labels"]["controller-revision-hash"] == revision.as_str())
        {
            continue;
        }
        for old in on_node {
            cluster
                .store
                .remove(&gr("", "pods"), namespace, &name_of(old));
        }
        spawn_pod(cluster, daemon_pod_order(&ds, i, &node.name));
    }
}

/// The node a pod runs on, or the one a DaemonSet pinned it to before
/// the scheduler bound it (`GetTargetNodeName`).
pub(super) fn target_node(pod: &Value) -> Option<String> {
    if let Some(node) = pod["spec"]["nodeName"].as_str() {
        return Some(node.to_string());
    }
    let terms = &pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        ["nodeSelectorTerms"];
    terms.as_array()?.iter().find_map(|term| {
        term["matchFields"].as_array()?.iter().find_map(|f| {
            (f["key"] == "metadata.name" && f["operator"] == "In")
                .then(|| f["values"][0].as_str().map(String::from))
                .flatten()
        })
    })
}

/// The pod of a DaemonSet for node `node` (its index) named `node_name`,
/// as the DaemonSet controller orders it: pinned to the node by a node
/// affinity the scheduler honours, with the daemon tolerations.
pub(super) fn daemon_pod_order(ds: &Value, node: usize, node_name: &str) -> PodOrder {
    let revision = template_hash(&ds["spec"]["template"]);
    let labels = json!({
        "controller-revision-hash": revision,
        "pod-template-generation": ds["metadata"]["generation"].as_i64().unwrap_or(1).to_string(),
    });
    let node_name = node_name.to_string();
    PodOrder {
        namespace: str_of(&ds["metadata"]["namespace"]),
        name: None,
        generate_name: format!("{}-", name_of(ds)),
        template: labelled_template(&ds["spec"]["template"], &labels),
        owner: owner_reference(ds),
        node,
        completed: false,
        extra: Some(Box::new(move |pod: &mut Value| {
            pod["spec"]["affinity"]["nodeAffinity"] = json!({
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
                ]}
            });
            let mut tolerations = pod["spec"]["tolerations"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for (key, effect) in [
                ("node.kubernetes.io/not-ready", "NoExecute"),
                ("node.kubernetes.io/unreachable", "NoExecute"),
                ("node.kubernetes.io/disk-pressure", "NoSchedule"),
                ("node.kubernetes.io/memory-pressure", "NoSchedule"),
                ("node.kubernetes.io/pid-pressure", "NoSchedule"),
                ("node.kubernetes.io/unschedulable", "NoSchedule"),
            ] {
                tolerations.push(json!({"key": key, "operator": "Exists", "effect": effect}));
            }
            pod["spec"]["tolerations"] = Value::Array(tolerations);
        })),
    }
}

fn converge_job(cluster: &mut Cluster, namespace: &str, name: &str) {
    let Some(job) = cluster
        .store
        .get(&gr("batch", "jobs"), namespace, name)
        .cloned()
    else {
        return;
    };
    if job["spec"]["suspend"] == true
        || !pods_owned_by(cluster, namespace, &uid_of(&job)).is_empty()
    {
        return;
    }
    let completions = job["spec"]["completions"].as_i64().unwrap_or(1) as usize;
    for i in 0..completions {
        spawn_pod(
            cluster,
            PodOrder {
                namespace: namespace.into(),
                name: None,
                generate_name: format!("{name}-"),
                template: job["spec"]["template"].clone(),
                owner: owner_reference(&job),
                node: i,
                completed: true,
                extra: None,
            },
        );
    }
}

// ---- lookups ----------------------------------------------------------

/// The pods of a workload by name (see [`Cluster::pods_of`]).
pub fn pods_of_workload(cluster: &Cluster, namespace: &str, workload: &str) -> Vec<Pod> {
    let mut owners: Vec<String> = Vec::new();
    if let Some(deployment) = cluster
        .store
        .get(&gr("apps", "deployments"), namespace, workload)
    {
        owners.extend(
            replica_sets_of(cluster, namespace, &uid_of(deployment))
                .iter()
                .map(uid_of),
        );
    }
    for (group, plural) in [
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("apps", "replicasets"),
        ("batch", "jobs"),
    ] {
        if let Some(owner) = cluster.store.get(&gr(group, plural), namespace, workload) {
            owners.push(uid_of(owner));
        }
    }
    let mut found: BTreeMap<String, Pod> = BTreeMap::new();
    for owner in owners {
        for pod in pods_owned_by(cluster, namespace, &owner) {
            found.insert(name_of(&pod), serde_json::from_value(pod).expect("a pod"));
        }
    }
    found.into_values().collect()
}
