//! What a create needs before the object is stored, the per-kind part of
//! the real server's `PrepareForCreate` and admission plugins: a Job's
//! selector and labels from its UID, a Service's cluster IP (and node
//! ports), a pod's ServiceAccount (refused if missing), token volume and
//! Pending status, a claim bound to its volume.

use k8s_openapi::api::core::v1::Pod;
use serde_json::{Value, json};

use super::cluster::Cluster;
use super::controllers::{gr, name_of, str_of, uid_of};
use super::defaults;
use super::pods;
use super::registry::merge_patch;
use super::resources::ResourceType;
use super::status::{self, ApiError};

/// Per-kind work of a create that needs the UID or other objects
/// (`PrepareForCreate` and the admission plugins).
pub fn prepare_for_create(
    cluster: &mut Cluster,
    resource: &ResourceType,
    object: &mut Value,
) -> Result<(), ApiError> {
    if resource.custom || !resource.group.is_empty() && resource.group != "batch" {
        return Ok(());
    }
    match resource.kind.as_str() {
        "Job" => {
            let uid = uid_of(object);
            let name = name_of(object);
            let manual = object["spec"]["manualSelector"] == true;
            if !manual {
                let labels = json!({
                    "batch.kubernetes.io/controller-uid": uid,
                    "batch.kubernetes.io/job-name": name,
                    "controller-uid": uid,
                    "job-name": name,
                });
                merge_patch(
                    &mut object["spec"]["template"]["metadata"]["labels"],
                    &labels,
                );
                object["spec"]["selector"] =
                    json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}});
            }
            if object["metadata"]["labels"]
                .as_object()
                .is_none_or(|l| l.is_empty())
            {
                object["metadata"]["labels"] =
                    object["spec"]["template"]["metadata"]["labels"].clone();
            }
        }
        "Service" => {
            let kind = str_of(&object["spec"]["type"]);
            if kind != "ExternalName" {
                let ip = match object["spec"]["clusterIP"].as_str() {
                    Some(ip) if !ip.is_empty() => ip.to_string(),
                    _ => allocate_service_ip(cluster),
                };
                object["spec"]["clusterIP"] = json!(ip);
                object["spec"]["clusterIPs"] = json!([ip]);
                object["spec"]["ipFamilies"] = json!(["IPv4"]);
                object["spec"]["ipFamilyPolicy"] = json!("SingleStack");
            }
            if kind == "NodePort" || kind == "LoadBalancer" {
                for port in object["spec"]["ports"].as_array_mut().into_iter().flatten() {
                    if port["nodePort"].is_null() {
                        port["nodePort"] = json!(30000 + cluster.rng.next_u64() % 2768);
                    }
                }
            }
        }
        "Pod" => {
            let namespace = str_of(&object["metadata"]["namespace"]);
            let account = object["spec"]["serviceAccountName"]
                .as_str()
                .unwrap_or("default")
                .to_string();
            let Some(sa) = cluster
                .store
                .get(&gr("", "serviceaccounts"), &namespace, &account)
            else {
                let name = name_of(object);
                let mut error = status::forbidden("", "create", "", "pods", "", &namespace, &name);
                error.status["message"] = json!(format!(
                    "pods {name:?} is forbidden: error looking up service account {namespace}/{account}: serviceaccount {account:?} not found"
                ));
                return Err(error);
            };
            let automount = sa["automountServiceAccountToken"].as_bool();
            let suffix = cluster.rng.suffix();
            let mut pod: Pod = serde_json::from_value(object.clone())
                .map_err(|e| status::bad_request(e.to_string()))?;
            defaults::pod_admission(&mut pod, automount, &suffix);
            pod.status = Some(pods::pending_status(&pod));
            *object = serde_json::to_value(&pod).expect("serializes");
        }
        "PersistentVolumeClaim" => {
            if object["spec"]["storageClassName"].is_null() {
                object["spec"]["storageClassName"] = json!("standard");
            }
            let volume = format!("pvc-{}", uid_of(object));
            object["spec"]["volumeName"] = json!(volume);
            let annotations = json!({
                "pv.kubernetes.io/bind-completed": "yes",
                "pv.kubernetes.io/bound-by-controller": "yes",
                "volume.beta.kubernetes.io/storage-provisioner": "rancher.io/local-path",
                "volume.kubernetes.io/storage-provisioner": "rancher.io/local-path",
            });
            merge_patch(&mut object["metadata"]["annotations"], &annotations);
            object["status"] = json!({
                "phase": "Bound",
                "accessModes": object["spec"]["accessModes"],
                "capacity": {"storage": object["spec"]["resources"]["requests"]["storage"]},
            });
        }
        _ => {}
    }
    Ok(())
}

fn allocate_service_ip(cluster: &mut Cluster) -> String {
    // Random in 10.96.0.0/12 (as the allocator picks), never .0 or .1.
    let offset = 2 + cluster.rng.next_u64() % ((1 << 20) - 3);
    let ip = (10u32 << 24) | (96 << 16) | offset as u32;
    format!(
        "{}.{}.{}.{}",
        ip >> 24,
        (ip >> 16) & 255,
        (ip >> 8) & 255,
        ip & 255
    )
}
