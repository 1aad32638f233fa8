//! The user a container's process runs as, asked of the container itself
//! (`id -u` through `pods/exec`) where the kubelet does not report it
//! (`containerStatuses[].user` needs Kubernetes 1.31 or later with the
//! SupplementalGroupsPolicy feature, on by default from 1.33) and the pod's
//! spec does not already keep it from being root. Only with
//! `--allow-exec`: exec starts a process in a production container, which
//! audit rules and runtime security tools report.

use std::time::Duration;

use futures::stream::{self, StreamExt as _};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, AttachParams};
use tokio::io::AsyncReadExt as _;

use super::connect::Connection;
use super::failure::Request;
use crate::checks::runtime::spec_allows_root;
use crate::model::{Inventory, ObservedUids, Resource};

/// How long `id -u` in a container may take.
const EXEC_TIMEOUT: Duration = Duration::from_secs(10);
/// Containers asked at the same time.
const CONCURRENT_EXECS: usize = 4;

/// Asks every running container whose user is neither reported nor kept
/// from root by the spec; the answer (a uid, or `unknown: WHY`) by
/// (namespace, pod, container).
pub async fn observe(connection: &Connection, inventory: &Inventory) -> ObservedUids {
    let unreported: Vec<(String, String, String)> = inventory
        .of_kind("Pod")
        .filter(|pod| pod.metadata.deletion_timestamp.is_none())
        .filter_map(|pod| match &pod.resource {
            Resource::Pod(typed) => Some((pod, typed.status.as_ref()?)),
            _ => None,
        })
        .flat_map(|(pod, status)| {
            status
                .container_statuses
                .iter()
                .flatten()
                .filter(|c| {
                    c.user.is_none() && c.state.as_ref().is_some_and(|s| s.running.is_some())
                })
                .filter(move |c| spec_allows_root(pod, &c.name).is_some())
                .map(move |c| {
                    (
                        pod.namespace().unwrap_or_default().to_string(),
                        pod.metadata.name.clone().unwrap_or_default(),
                        c.name.clone(),
                    )
                })
        })
        .collect();
    stream::iter(unreported)
        .map(|(namespace, pod, container)| async move {
            let answer = match uid(connection, &namespace, &pod, &container).await {
                Ok(uid) => uid.to_string(),
                Err(why) => format!("unknown: {why}"),
            };
            ((namespace, pod, container), answer)
        })
        .buffer_unordered(CONCURRENT_EXECS)
        .collect()
        .await
}

/// `id -u` in one container.
async fn uid(
    connection: &Connection,
    namespace: &str,
    pod: &str,
    container: &str,
) -> Result<i64, String> {
    let api: Api<Pod> = Api::namespaced(connection.client.clone(), namespace);
    let request = Request::core("create", "pods/exec", namespace, Some(pod));
    let params = AttachParams::default()
        .container(container)
        .stdin(false)
        .stdout(true)
        .stderr(false);
    let mut process = connection
        .call(&request, api.exec(pod, ["id", "-u"], &params))
        .await?;
    let mut output = String::new();
    if let Some(mut stdout) = process.stdout() {
        let read = tokio::time::timeout(EXEC_TIMEOUT, stdout.read_to_string(&mut output)).await;
        if !matches!(read, Ok(Ok(_))) {
            return Err("no answer".into());
        }
    }
    let status = match process.take_status() {
        Some(status) => tokio::time::timeout(EXEC_TIMEOUT, status)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    if let Some(status) = status.filter(|s| s.status.as_deref() == Some("Failure")) {
        return Err(status.message.unwrap_or_else(|| "failed".into()));
    }
    output
        .trim()
        .parse()
        .map_err(|_| format!("printed {:?}", output.trim()))
}
