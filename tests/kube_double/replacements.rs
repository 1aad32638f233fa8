//! What the workload controllers do when one of their pods goes away after
//! the cluster is built, with the replacement delay before each sync:
//!
//! - the ReplicaSet controller counts a terminating pod as gone at once and
//!   orders a replacement with a new generated name;
//! - the StatefulSet controller waits until the pod is gone, then orders it
//!   again under the same name (with `OrderedReady`, one ordinal at a time,
//!   each after its predecessors are Running and Ready);
//! - the DaemonSet controller (no surge) waits until its node has no pod of
//!   the set left, then orders one for that node.
//!
//! The new pods are created Pending and unscheduled, and handed to the
//! scheduler and the kubelet (`kubelet.rs`). A sync whose workload is gone
//! or being deleted does nothing, and syncs count what exists: a pod
//! deleted by scaling down is not replaced. Job pods are not replaced.

use serde_json::Value;

use super::cluster::Cluster;
use super::controllers::{
    self, PodOrder, controller_of, daemon_pod_order, gr, is_active, is_ready, name_of,
    owner_reference, pods_owned_by, str_of, target_node, uid_of,
};
use super::kubelet;
use super::rolling;
use super::statuses::reconcile_namespace;

/// A pod was marked for deletion (graceful): its ReplicaSet replaces it.
pub fn pod_terminating(cluster: &mut Cluster, pod: &Value) {
    if let Some(owner) = controller_of(pod)
        && owner["kind"] == "ReplicaSet"
    {
        schedule_sync(cluster, pod, &owner.clone());
    }
}

/// A pod is gone for good: its controller makes sure it has what it
/// wants; what the kubelet logged for it goes too.
pub fn pod_gone(cluster: &mut Cluster, pod: &Value) {
    let namespace = str_of(&pod["metadata"]["namespace"]);
    let name = name_of(pod);
    cluster
        .pod_logs
        .retain(|(ns, p, _), _| !(*ns == namespace && *p == name));
    if let Some(owner) = controller_of(pod).cloned() {
        schedule_sync(cluster, pod, &owner);
        if owner["kind"] == "ReplicaSet" {
            rolling::pod_changed(cluster, &namespace, &str_of(&owner["name"]));
        }
    }
}

/// A pod became Ready: an `OrderedReady` StatefulSet may go on, and so
/// may a Deployment rolling out.
pub fn pod_ready(cluster: &mut Cluster, pod: &Value) {
    let Some(owner) = controller_of(pod).cloned() else {
        return;
    };
    match owner["kind"].as_str() {
        Some("StatefulSet") => schedule_sync(cluster, pod, &owner),
        Some("ReplicaSet") => rolling::pod_changed(
            cluster,
            &str_of(&pod["metadata"]["namespace"]),
            &str_of(&owner["name"]),
        ),
        _ => {}
    }
}

fn schedule_sync(cluster: &mut Cluster, pod: &Value, owner: &Value) {
    let namespace = str_of(&pod["metadata"]["namespace"]);
    let (kind, name, uid) = (
        str_of(&owner["kind"]),
        str_of(&owner["name"]),
        str_of(&owner["uid"]),
    );
    let delay = cluster.options.replacement_delay;
    cluster.schedule(delay, move |c| {
        match kind.as_str() {
            "ReplicaSet" => sync_replica_set(c, &namespace, &name, &uid),
            "StatefulSet" => sync_stateful_set(c, &namespace, &name, &uid),
            "DaemonSet" => sync_daemon_set(c, &namespace, &name, &uid),
            _ => return,
        }
        reconcile_namespace(c, &namespace);
    });
}

/// The workload if it is still the one that owned the pod and is not
/// being deleted.
fn owner(cluster: &Cluster, plural: &str, namespace: &str, name: &str, uid: &str) -> Option<Value> {
    cluster
        .store
        .get(&gr("apps", plural), namespace, name)
        .filter(|o| uid_of(o) == uid && o["metadata"]["deletionTimestamp"].is_null())
        .cloned()
}

fn order(cluster: &mut Cluster, namespace: &str, order: PodOrder) {
    if let Some(name) = controllers::create_pod(cluster, order) {
        kubelet::admit(cluster, namespace, &name);
    }
}

fn sync_replica_set(cluster: &mut Cluster, namespace: &str, name: &str, uid: &str) {
    let Some(rs) = owner(cluster, "replicasets", namespace, name, uid) else {
        return;
    };
    let wanted = rs["spec"]["replicas"].as_i64().unwrap_or(1).max(0) as usize;
    let active = pods_owned_by(cluster, namespace, uid)
        .iter()
        .filter(|p| is_active(p))
        .count();
    for _ in active..wanted {
        let pod = PodOrder {
            namespace: namespace.to_string(),
            name: None,
            generate_name: format!("{name}-"),
            template: rs["spec"]["template"].clone(),
            owner: owner_reference(&rs),
            node: 0,
            completed: false,
            extra: None,
        };
        order(cluster, namespace, pod);
    }
}

fn sync_stateful_set(cluster: &mut Cluster, namespace: &str, name: &str, uid: &str) {
    let Some(sts) = owner(cluster, "statefulsets", namespace, name, uid) else {
        return;
    };
    let replicas = sts["spec"]["replicas"].as_i64().unwrap_or(1).max(0) as usize;
    let ordered = sts["spec"]["podManagementPolicy"] != "Parallel";
    for i in 0..replicas {
        match cluster
            .store
            .get(&gr("", "pods"), namespace, &format!("{name}-{i}"))
        {
            Some(pod) => {
                let running_and_ready = is_active(pod) && is_ready(pod);
                if ordered && !running_and_ready {
                    // Wait for it to terminate, or to be Running and Ready.
                    return;
                }
            }
            None => {
                let pod = controllers::stateful_pod_order(cluster, &sts, i);
                order(cluster, namespace, pod);
                if ordered {
                    return;
                }
            }
        }
    }
}

fn sync_daemon_set(cluster: &mut Cluster, namespace: &str, name: &str, uid: &str) {
    let Some(ds) = owner(cluster, "daemonsets", namespace, name, uid) else {
        return;
    };
    let pods = pods_owned_by(cluster, namespace, uid);
    for (i, node) in cluster.options.nodes.clone().iter().enumerate() {
        let on_node = pods
            .iter()
            .any(|p| target_node(p).as_deref() == Some(node.name.as_str()));
        if !on_node {
            order(cluster, namespace, daemon_pod_order(&ds, i, &node.name));
        }
    }
}
