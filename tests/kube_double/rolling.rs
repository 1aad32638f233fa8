//! The Deployment controller's rolling update over time, for a template
//! changed through the API once the cluster is built (a cluster built from
//! manifests has long finished its rollouts): the ReplicaSet of the new
//! template is scaled up within `maxSurge`, the old ones down within
//! `maxUnavailable` as the new pods become Ready, one sync after each pod
//! event, as `rolloutRolling` does (`reconcileNewReplicaSet`, then
//! `reconcileOldReplicaSets`). A template that matches an older
//! ReplicaSet (`kubectl rollout undo`) scales that one back up and gives
//! it the next revision. Pods are ordered Pending and run by the kubelet
//! (`kubelet.rs`), so an image that cannot be pulled or a container that
//! crash-loops stalls the rollout: with no progress for
//! `progressDeadlineSeconds` (default 600), `Progressing` turns False with
//! `ProgressDeadlineExceeded` (`statuses.rs` reads [`Cluster::rolling`]).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::cluster::Cluster;
use super::controllers::{
    PodOrder, controller_of, create_pod, delete_pod, ensure_replica_set, gr, is_active, is_ready,
    name_of, owner_reference, pods_owned_by, replica_sets_of, resource, revision_of, str_of,
    surge_and_unavailable, uid_of,
};
use super::kubelet;
use super::names::template_hash;
use super::statuses::reconcile_namespace;

/// The Deployment controller's default `progressDeadlineSeconds`.
const DEFAULT_PROGRESS_DEADLINE: u64 = 600;

/// A rollout in progress: when it last made progress (a ReplicaSet scaled,
/// a new pod Ready), and whether it has passed its deadline.
#[derive(Debug, Clone)]
pub struct RollingUpdate {
    pub last_progress: Instant,
    pub deadline_exceeded: bool,
    /// Ready pods of the new ReplicaSet at the last sync.
    new_ready: usize,
}

/// A Deployment's template changed after the cluster was built: the
/// ReplicaSet of the template (created with no replicas, or an older one)
/// and the first sync of its rollout.
pub fn start(cluster: &mut Cluster, namespace: &str, deployment: &Value) {
    let name = name_of(deployment);
    let current = format!("{name}-{}", template_hash(&deployment["spec"]["template"]));
    let existing = cluster
        .store
        .get(&gr("apps", "replicasets"), namespace, &current)
        .cloned();
    match existing {
        None => {
            ensure_replica_set(cluster, namespace, deployment, 0);
        }
        Some(rs) => promote_revision(cluster, namespace, deployment, rs),
    }
    cluster.rolling.insert(
        (namespace.to_string(), name.clone()),
        RollingUpdate {
            last_progress: Instant::now(),
            deadline_exceeded: false,
            new_ready: 0,
        },
    );
    watch_deadline(cluster, namespace, &name, deployment);
    sync(cluster, namespace, &name);
}

/// An older ReplicaSet taken up again gets the next revision.
fn promote_revision(cluster: &mut Cluster, namespace: &str, deployment: &Value, rs: Value) {
    let sets = replica_sets_of(cluster, namespace, &uid_of(deployment));
    let highest = sets.iter().map(revision_of).max().unwrap_or(0);
    if revision_of(&rs) == highest {
        return;
    }
    let mut rs = rs;
    rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] =
        json!((highest + 1).to_string());
    let rs_resource = resource(cluster, "apps", "replicasets");
    cluster.replace_json(&rs_resource, rs);
}

/// A pod of ReplicaSet `rs_name` became Ready or went: when its
/// Deployment is rolling out, it syncs after the controller's delay.
pub fn pod_changed(cluster: &mut Cluster, namespace: &str, rs_name: &str) {
    let Some(deployment) = cluster
        .store
        .get(&gr("apps", "replicasets"), namespace, rs_name)
        .and_then(controller_of)
        .map(|owner| str_of(&owner["name"]))
    else {
        return;
    };
    if !cluster
        .rolling
        .contains_key(&(namespace.to_string(), deployment.clone()))
    {
        return;
    }
    let namespace = namespace.to_string();
    let delay = cluster.options.replacement_delay;
    cluster.schedule(delay, move |c| {
        sync(c, &namespace, &deployment);
        reconcile_namespace(c, &namespace);
    });
}

/// Checks, once the deadline could have passed, whether the rollout made
/// progress since; again until it completes or passes it.
fn watch_deadline(cluster: &mut Cluster, namespace: &str, name: &str, deployment: &Value) {
    let deadline = Duration::from_secs(
        deployment["spec"]["progressDeadlineSeconds"]
            .as_u64()
            .unwrap_or(DEFAULT_PROGRESS_DEADLINE),
    );
    let key = (namespace.to_string(), name.to_string());
    let (namespace, name) = (namespace.to_string(), name.to_string());
    cluster.schedule(deadline, move |c| {
        let Some(state) = c.rolling.get_mut(&key) else {
            return;
        };
        if state.last_progress.elapsed() >= deadline {
            state.deadline_exceeded = true;
            reconcile_namespace(c, &namespace);
        } else if let Some(deployment) = c
            .store
            .get(&gr("apps", "deployments"), &namespace, &name)
            .cloned()
        {
            watch_deadline(c, &namespace, &name, &deployment);
        }
    });
}

/// One sync of the rolling update of a Deployment: scale up the new
/// ReplicaSet as far as the surge allows, scale down the old ones as far
/// as the availability allows; done when only the new one has pods, all
/// Ready.
fn sync(cluster: &mut Cluster, namespace: &str, name: &str) {
    let key = (namespace.to_string(), name.to_string());
    let Some(deployment) = cluster
        .store
        .get(&gr("apps", "deployments"), namespace, name)
        .cloned()
        .filter(|d| d["metadata"]["deletionTimestamp"].is_null())
    else {
        cluster.rolling.remove(&key);
        return;
    };
    let current = format!("{name}-{}", template_hash(&deployment["spec"]["template"]));
    let desired = deployment["spec"]["replicas"].as_i64().unwrap_or(1).max(0);
    let (surge, unavailable) = surge_and_unavailable(&deployment);
    let sets = replica_sets_of(cluster, namespace, &uid_of(&deployment));
    let Some(new) = sets.iter().find(|rs| name_of(rs) == current).cloned() else {
        return;
    };
    let mut olds: Vec<Value> = sets
        .into_iter()
        .filter(|rs| name_of(rs) != current)
        .collect();
    olds.sort_by_key(revision_of);
    let spec = |rs: &Value| rs["spec"]["replicas"].as_i64().unwrap_or(0);
    let total: i64 = spec(&new) + olds.iter().map(spec).sum::<i64>();
    let mut progressed = false;

    // reconcileNewReplicaSet: up to desired + maxSurge pods in all.
    let new_wanted = (spec(&new) + (desired + surge - total).max(0)).min(desired);
    if new_wanted != spec(&new) {
        scale(cluster, namespace, new.clone(), new_wanted);
        progressed = true;
    }
    let new_ready = ready_pods(cluster, namespace, &new);
    if cluster.rolling.get(&key).map(|s| s.new_ready) != Some(new_ready) {
        progressed = true;
    }

    // reconcileOldReplicaSets: keep desired - maxUnavailable available.
    let min_available = desired - unavailable;
    let all_pods = new_wanted + olds.iter().map(spec).sum::<i64>();
    let new_unavailable = new_wanted - i64::try_from(new_ready).unwrap_or(0);
    let mut may_remove = all_pods - min_available - new_unavailable;
    for old in &olds {
        if may_remove <= 0 {
            break;
        }
        let remove = may_remove.min(spec(old));
        if remove > 0 {
            scale(cluster, namespace, old.clone(), spec(old) - remove);
            may_remove -= remove;
            progressed = true;
        }
    }

    let old_pods: usize = olds
        .iter()
        .map(|rs| {
            pods_owned_by(cluster, namespace, &uid_of(rs))
                .iter()
                .filter(|p| is_active(p))
                .count()
        })
        .sum();
    let done = new_wanted == desired
        && usize::try_from(desired).is_ok_and(|d| new_ready >= d)
        && old_pods == 0;
    if done {
        cluster.rolling.remove(&key);
        set_revision(cluster, namespace, name, &current);
    } else if let Some(state) = cluster.rolling.get_mut(&key) {
        state.new_ready = new_ready;
        if progressed {
            state.last_progress = Instant::now();
        }
    }
}

/// The Deployment's revision annotation: its ReplicaSet's.
fn set_revision(cluster: &mut Cluster, namespace: &str, name: &str, current: &str) {
    let Some(revision) = cluster
        .store
        .get(&gr("apps", "replicasets"), namespace, current)
        .map(revision_of)
    else {
        return;
    };
    if let Some(mut deployment) = cluster
        .store
        .get(&gr("apps", "deployments"), namespace, name)
        .cloned()
    {
        deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"] =
            json!(revision.to_string());
        cluster
            .store
            .replace(&gr("apps", "deployments"), deployment);
    }
}

fn ready_pods(cluster: &Cluster, namespace: &str, rs: &Value) -> usize {
    pods_owned_by(cluster, namespace, &uid_of(rs))
        .iter()
        .filter(|p| is_active(p) && is_ready(p))
        .count()
}

/// Sets a ReplicaSet's replicas, as the Deployment controller does, and
/// lets the ReplicaSet controller act on it: new pods ordered Pending (for
/// the scheduler and the kubelet), extra ones deleted gracefully — those
/// not Ready first, then the newest.
fn scale(cluster: &mut Cluster, namespace: &str, rs: Value, replicas: i64) {
    let mut rs = rs;
    rs["spec"]["replicas"] = json!(replicas);
    let rs_resource = resource(cluster, "apps", "replicasets");
    cluster.replace_json(&rs_resource, rs.clone());
    let mut active: Vec<Value> = pods_owned_by(cluster, namespace, &uid_of(&rs))
        .into_iter()
        .filter(is_active)
        .collect();
    let wanted = usize::try_from(replicas).unwrap_or(0);
    for _ in active.len()..wanted {
        let order = PodOrder {
            namespace: namespace.to_string(),
            name: None,
            generate_name: format!("{}-", name_of(&rs)),
            template: rs["spec"]["template"].clone(),
            owner: owner_reference(&rs),
            node: 0,
            completed: false,
            extra: None,
        };
        if let Some(pod) = create_pod(cluster, order) {
            kubelet::admit(cluster, namespace, &pod);
        }
    }
    active.sort_by_key(|p| {
        (
            is_ready(p),
            std::cmp::Reverse(
                p["metadata"]["creationTimestamp"]
                    .as_str()
                    .map(str::to_string),
            ),
        )
    });
    for pod in active.iter().take(active.len().saturating_sub(wanted)) {
        delete_pod(cluster, namespace, &name_of(pod));
    }
}
