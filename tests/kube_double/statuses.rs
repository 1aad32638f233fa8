//! The workload statuses the controllers report, computed from the pods:
//! ReplicaSet, Deployment (with the `Available` and `Progressing`
//! conditions), StatefulSet, DaemonSet, Job, PodDisruptionBudget and
//! HorizontalPodAutoscaler. A crash-looping pod therefore makes its
//! Deployment report one ready replica less; a variation can override what
//! the Deployment controller says (`ControllerOverride`).

use serde_json::{Value, json};

use super::cluster::{Cluster, ControllerOverride};
use super::controllers::{
    gr, is_active, is_ready, name_of, override_of, pods_owned_by, replica_sets_of, str_of,
    sts_revision, surge_and_unavailable, target_node, uid_of,
};
use super::names::{format_time, template_hash};
use super::selectors::LabelSelector;

/// Brings every workload status of every namespace in line with its pods.
pub fn reconcile_all(cluster: &mut Cluster) {
    let namespaces: Vec<String> = cluster
        .store
        .list(&gr("", "namespaces"), "")
        .map(name_of)
        .collect();
    for namespace in namespaces {
        reconcile_namespace(cluster, &namespace);
    }
}

/// Brings the workload, PodDisruptionBudget and HorizontalPodAutoscaler
/// statuses of `namespace` in line with its pods (an object whose status
/// does not change gets no new revision).
pub fn reconcile_namespace(cluster: &mut Cluster, namespace: &str) {
    if namespace.is_empty() || cluster.deferring {
        return;
    }
    for (plural, update) in [
        (
            "replicasets",
            replica_set_status as fn(&Cluster, &Value, &ControllerOverride) -> Value,
        ),
        ("deployments", deployment_status),
        ("statefulsets", stateful_set_status),
        ("daemonsets", daemon_set_status),
        ("jobs", job_status),
        ("poddisruptionbudgets", pdb_status),
        ("horizontalpodautoscalers", hpa_status),
    ] {
        let group = match plural {
            "jobs" => "batch",
            "poddisruptionbudgets" => "policy",
            "horizontalpodautoscalers" => "autoscaling",
            _ => "apps",
        };
        let objects: Vec<Value> = cluster
            .store
            .list(&gr(group, plural), namespace)
            .cloned()
            .collect();
        for object in objects {
            let o = override_of(cluster, plural, namespace, &name_of(&object));
            if o.frozen {
                continue;
            }
            let status = update(cluster, &object, &o);
            if object["status"] != status {
                let mut updated = object.clone();
                updated["status"] = status;
                cluster.store.replace(&gr(group, plural), updated);
            }
        }
    }
}

/// A condition keeping its transition time when its status stays.
fn condition(
    previous: &Value,
    type_: &str,
    status: bool,
    reason: &str,
    message: &str,
    at: &str,
    update_time: bool,
) -> Value {
    let old = previous["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == type_))
        .cloned()
        .unwrap_or(Value::Null);
    let status = if status { "True" } else { "False" };
    let same_status = old["status"] == status;
    let same = same_status && old["reason"] == reason && old["message"] == message;
    let mut c = json!({
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": if same_status { old["lastTransitionTime"].clone() } else { json!(at) },
    });
    if update_time {
        c["lastUpdateTime"] = if same {
            old["lastUpdateTime"].clone()
        } else {
            json!(at)
        };
    }
    c
}

fn now_text(cluster: &Cluster) -> String {
    format_time(cluster.timestamp())
}

fn observed(object: &Value, o: &ControllerOverride) -> Value {
    json!(
        o.observed_generation
            .unwrap_or_else(|| object["metadata"]["generation"].as_i64().unwrap_or(1))
    )
}

fn replica_set_status(cluster: &Cluster, rs: &Value, o: &ControllerOverride) -> Value {
    let pods: Vec<Value> =
        pods_owned_by(cluster, &str_of(&rs["metadata"]["namespace"]), &uid_of(rs))
            .into_iter()
            .filter(is_active)
            .collect();
    let ready = pods.iter().filter(|p| is_ready(p)).count();
    let mut status = json!({
        "replicas": pods.len(),
        "fullyLabeledReplicas": pods.len(),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": observed(rs, o),
    });
    let map = status.as_object_mut().expect("an object");
    for key in ["fullyLabeledReplicas", "readyReplicas", "availableReplicas"] {
        if map[key] == 0 {
            map.remove(key);
        }
    }
    status
}

fn count(status: &Value, key: &str) -> i64 {
    status[key].as_i64().unwrap_or(0)
}

fn deployment_status(cluster: &Cluster, deployment: &Value, o: &ControllerOverride) -> Value {
    let namespace = str_of(&deployment["metadata"]["namespace"]);
    let replicas = deployment["spec"]["replicas"].as_i64().unwrap_or(1);
    let current = format!(
        "{}-{}",
        name_of(deployment),
        template_hash(&deployment["spec"]["template"])
    );
    let sets: Vec<Value> = replica_sets_of(cluster, &namespace, &uid_of(deployment))
        .iter()
        .map(|rs| {
            let mut rs = rs.clone();
            rs["status"] = replica_set_status(cluster, &rs, &ControllerOverride::default());
            rs
        })
        .collect();
    let sum = |key: &str| sets.iter().map(|rs| count(&rs["status"], key)).sum::<i64>();
    let total_pods = sum("replicas");
    let ready = sum("readyReplicas");
    let available = sum("availableReplicas");
    let updated = sets
        .iter()
        .find(|rs| name_of(rs) == current)
        .map(|rs| count(&rs["status"], "replicas"))
        .unwrap_or(0);
    let spec_total: i64 = sets
        .iter()
        .map(|rs| rs["spec"]["replicas"].as_i64().unwrap_or(0))
        .sum();
    let unavailable = (spec_total - available).max(0);
    let (_, max_unavailable) = surge_and_unavailable(deployment);
    let previous = &deployment["status"];
    let at = now_text(cluster);
    let minimum = available >= replicas - max_unavailable;
    let available_condition = if minimum {
        condition(
            previous,
            "Available",
            true,
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            &at,
            true,
        )
    } else {
        condition(
            previous,
            "Available",
            false,
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            &at,
            true,
        )
    };
    let rolling = cluster
        .rolling
        .get(&(namespace.clone(), name_of(deployment)))
        .map(|r| {
            if r.deadline_exceeded {
                "ProgressDeadlineExceeded"
            } else {
                "ReplicaSetUpdated"
            }
        });
    let progressing = match o.progressing.as_deref().or(rolling) {
        Some("ProgressDeadlineExceeded") => condition(
            previous,
            "Progressing",
            false,
            "ProgressDeadlineExceeded",
            &format!("ReplicaSet {current:?} has timed out progressing."),
            &at,
            true,
        ),
        Some(_) => condition(
            previous,
            "Progressing",
            true,
            "ReplicaSetUpdated",
            &format!("ReplicaSet {current:?} is progressing."),
            &at,
            true,
        ),
        None => condition(
            previous,
            "Progressing",
            true,
            "NewReplicaSetAvailable",
            &format!("ReplicaSet {current:?} has successfully progressed."),
            &at,
            true,
        ),
    };
    let mut status = json!({
        "observedGeneration": observed(deployment, o),
        "replicas": total_pods,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": available,
        "unavailableReplicas": unavailable,
        "conditions": [available_condition, progressing],
    });
    let map = status.as_object_mut().expect("an object");
    for key in [
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
        "unavailableReplicas",
    ] {
        if map[key] == 0 {
            map.remove(key);
        }
    }
    status
}

/// The StatefulSet controller's counts: `replicas` is every pod created
/// (a terminating one too), `readyReplicas` the Running and Ready ones,
/// current and updated the pods not terminating, by revision.
fn stateful_set_status(cluster: &Cluster, sts: &Value, o: &ControllerOverride) -> Value {
    let namespace = str_of(&sts["metadata"]["namespace"]);
    let pods: Vec<Value> = pods_owned_by(cluster, &namespace, &uid_of(sts))
        .into_iter()
        .filter(|p| p["status"]["phase"].as_str().is_some_and(|s| !s.is_empty()))
        .collect();
    let alive: Vec<&Value> = pods
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .collect();
    let revision_of = |p: &Value| str_of(&p["metadata"]["labels"]["controller-revision-hash"]);
    let update_revision = sts_revision(sts);
    let updated = alive
        .iter()
        .filter(|p| revision_of(p) == update_revision)
        .count();
    let current_revision = if updated == alive.len() {
        update_revision.clone()
    } else {
        alive
            .iter()
            .map(|p| revision_of(p))
            .find(|r| *r != update_revision)
            .unwrap_or_else(|| update_revision.clone())
    };
    let current = alive
        .iter()
        .filter(|p| revision_of(p) == current_revision)
        .count();
    let ready = pods
        .iter()
        .filter(|p| p["status"]["phase"] == "Running" && is_ready(p))
        .count();
    let mut status = json!({
        "observedGeneration": observed(sts, o),
        "replicas": pods.len(),
        "readyReplicas": ready,
        "currentReplicas": current,
        "updatedReplicas": updated,
        "availableReplicas": ready,
        "currentRevision": current_revision,
        "updateRevision": update_revision,
        "collisionCount": 0,
    });
    omit_zeros(
        &mut status,
        &["readyReplicas", "currentReplicas", "updatedReplicas"],
    );
    status
}

/// Drops the counts Go's `omitempty` leaves out when they are 0.
fn omit_zeros(status: &mut Value, keys: &[&str]) {
    let map = status.as_object_mut().expect("an object");
    for key in keys {
        if map.get(*key) == Some(&json!(0)) {
            map.remove(*key);
        }
    }
}

/// The DaemonSet controller's counts, node by node: a node with a pod of
/// the set (terminating or not yet bound to it) is scheduled; its oldest
/// pod decides whether it is ready and updated.
fn daemon_set_status(cluster: &Cluster, ds: &Value, o: &ControllerOverride) -> Value {
    let namespace = str_of(&ds["metadata"]["namespace"]);
    let pods = pods_owned_by(cluster, &namespace, &uid_of(ds));
    let revision = template_hash(&ds["spec"]["template"]);
    let (mut scheduled, mut ready, mut updated) = (0i64, 0i64, 0i64);
    for node in &cluster.options.nodes {
        let oldest = pods
            .iter()
            .filter(|p| target_node(p).as_deref() == Some(node.name.as_str()))
            .min_by_key(|p| {
                (
                    str_of(&p["metadata"]["creationTimestamp"]),
                    p["status"]["phase"] != "Running",
                    name_of(p),
                )
            });
        let Some(oldest) = oldest else {
            continue;
        };
        scheduled += 1;
        if is_ready(oldest) {
            ready += 1;
        }
        if oldest["metadata"]["labels"]["controller-revision-hash"] == revision.as_str() {
            updated += 1;
        }
    }
    let desired = cluster.options.nodes.len() as i64;
    let mut status = json!({
        "observedGeneration": observed(ds, o),
        "desiredNumberScheduled": desired,
        "currentNumberScheduled": scheduled,
        "numberReady": ready,
        "numberAvailable": ready,
        "numberMisscheduled": 0,
        "updatedNumberScheduled": updated,
    });
    status["numberUnavailable"] = json!(desired - ready);
    omit_zeros(
        &mut status,
        &[
            "numberAvailable",
            "numberUnavailable",
            "updatedNumberScheduled",
        ],
    );
    status
}

fn job_status(cluster: &Cluster, job: &Value, _o: &ControllerOverride) -> Value {
    let namespace = str_of(&job["metadata"]["namespace"]);
    let pods = pods_owned_by(cluster, &namespace, &uid_of(job));
    let succeeded = pods
        .iter()
        .filter(|p| p["status"]["phase"] == "Succeeded")
        .count() as i64;
    let failed = pods
        .iter()
        .filter(|p| p["status"]["phase"] == "Failed")
        .count() as i64;
    let active = pods.iter().filter(|p| is_active(p)).count() as i64;
    let start = job["metadata"]["creationTimestamp"].clone();
    let completions = job["spec"]["completions"].as_i64().unwrap_or(1);
    let previous = &job["status"];
    let mut status = json!({
        "startTime": start,
        "ready": 0,
        "terminating": 0,
        "uncountedTerminatedPods": {},
    });
    if active > 0 {
        status["active"] = json!(active);
    }
    if succeeded > 0 {
        status["succeeded"] = json!(succeeded);
    }
    if failed > 0 {
        status["failed"] = json!(failed);
    }
    if succeeded >= completions {
        let finished = pods
            .iter()
            .filter_map(|p| {
                p["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"].as_str()
            })
            .max()
            .map(String::from)
            .unwrap_or_else(|| now_text(cluster));
        status["completionTime"] = json!(finished);
        status["conditions"] = json!([
            condition(
                previous,
                "SuccessCriteriaMet",
                true,
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                &finished,
                false
            ),
            condition(
                previous,
                "Complete",
                true,
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                &finished,
                false
            ),
        ]);
        for c in status["conditions"].as_array_mut().expect("conditions") {
            c["lastProbeTime"] = json!(finished);
        }
    }
    status
}

fn scaled(value: &Value, total: i64, round_up: bool) -> i64 {
    match value {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => {
            let p: f64 = s.trim_end_matches('%').parse().unwrap_or(0.0);
            let exact = p * total as f64 / 100.0;
            if round_up {
                exact.ceil() as i64
            } else {
                exact.floor() as i64
            }
        }
        _ => 0,
    }
}

fn pdb_status(cluster: &Cluster, pdb: &Value, _o: &ControllerOverride) -> Value {
    let namespace = str_of(&pdb["metadata"]["namespace"]);
    let selector = LabelSelector::from_structured(&pdb["spec"]["selector"]);
    let pods: Vec<&Value> = cluster
        .store
        .list(&gr("", "pods"), &namespace)
        .filter(|p| is_active(p) && selector.matches(p))
        .collect();
    let expected = pods.len() as i64;
    let healthy = pods.iter().filter(|p| is_ready(p)).count() as i64;
    let desired = if !pdb["spec"]["minAvailable"].is_null() {
        scaled(&pdb["spec"]["minAvailable"], expected, true)
    } else if !pdb["spec"]["maxUnavailable"].is_null() {
        (expected - scaled(&pdb["spec"]["maxUnavailable"], expected, true)).max(0)
    } else {
        expected
    };
    let allowed = (healthy - desired).max(0);
    let at = now_text(cluster);
    let mut c = if allowed > 0 {
        condition(
            &pdb["status"],
            "DisruptionAllowed",
            true,
            "SufficientPods",
            "",
            &at,
            false,
        )
    } else {
        condition(
            &pdb["status"],
            "DisruptionAllowed",
            false,
            "InsufficientPods",
            "",
            &at,
            false,
        )
    };
    c["observedGeneration"] = pdb["metadata"]["generation"].clone();
    json!({
        "observedGeneration": pdb["metadata"]["generation"],
        "expectedPods": expected,
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "disruptionsAllowed": allowed,
        "conditions": [c],
    })
}

fn hpa_status(cluster: &Cluster, hpa: &Value, _o: &ControllerOverride) -> Value {
    let namespace = str_of(&hpa["metadata"]["namespace"]);
    let target = &hpa["spec"]["scaleTargetRef"];
    let plural = match target["kind"].as_str().unwrap_or_default() {
        "StatefulSet" => "statefulsets",
        "ReplicaSet" => "replicasets",
        _ => "deployments",
    };
    let workload = cluster.store.get(
        &gr("apps", plural),
        &namespace,
        target["name"].as_str().unwrap_or_default(),
    );
    let current = workload
        .map(|w| {
            w["status"]["replicas"]
                .as_i64()
                .unwrap_or_else(|| w["spec"]["replicas"].as_i64().unwrap_or(1))
        })
        .unwrap_or(0);
    let min = hpa["spec"]["minReplicas"].as_i64().unwrap_or(1);
    let max = hpa["spec"]["maxReplicas"].as_i64().unwrap_or(1);
    let desired = current.clamp(min, max);
    let at = now_text(cluster);
    let previous = &hpa["status"];
    let limited = if current < min {
        condition(
            previous,
            "ScalingLimited",
            true,
            "TooFewReplicas",
            "the desired replica count is less than the minimum replica count",
            &at,
            false,
        )
    } else if current > max {
        condition(
            previous,
            "ScalingLimited",
            true,
            "TooManyReplicas",
            "the desired replica count is more than the maximum replica count",
            &at,
            false,
        )
    } else {
        condition(
            previous,
            "ScalingLimited",
            false,
            "DesiredWithinRange",
            "the desired count is within the acceptable range",
            &at,
            false,
        )
    };
    let metrics: Vec<Value> = hpa["spec"]["metrics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["type"] == "Resource")
        .map(|m| {
            let target = m["resource"]["target"]["averageUtilization"].as_i64().unwrap_or(80);
            json!({"type": "Resource", "resource": {"name": m["resource"]["name"], "current": {"averageUtilization": target / 2}}})
        })
        .collect();
    let mut status = json!({
        "observedGeneration": hpa["metadata"]["generation"],
        "currentReplicas": current,
        "desiredReplicas": desired,
        "conditions": [
            condition(previous, "AbleToScale", true, "ReadyForNewScale", "recommended size matches current size", &at, false),
            condition(previous, "ScalingActive", true, "ValidMetricFound", "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)", &at, false),
            limited,
        ],
    });
    if !metrics.is_empty() {
        status["currentMetrics"] = Value::Array(metrics);
    }
    status
}
