//! The live pods of one workload of a cluster, for the steps that look at
//! (or break) the running system: which are Ready now, an HTTP GET to one
//! of them through a port-forward (what a Service would route to it), and
//! deleting one (`--allow-disruption` only: the caller checks).
//!
//! A port-forward is the `pods/portforward` subresource: a connection to a
//! port of the pod through the API server, which changes nothing.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{Api, AttachParams, DeleteParams, ListParams};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::connect::Connection;
use super::failure::{self, Request};
use crate::model::selector::Selector;
use crate::model::{Inventory, Workload};
use crate::probe::http::{CertificateCheck, tls_config};

/// How long `id -u` in a container may take.
const EXEC_TIMEOUT: Duration = Duration::from_secs(10);

/// A workload of the cluster and how to find its pods.
#[derive(Clone)]
pub struct WorkloadPods {
    pub connection: Connection,
    pub namespace: String,
    pub name: String,
    /// Replicas the workload asks for.
    pub desired: i32,
    /// The port its pods serve HTTP on: that of the readiness (else
    /// liveness) probe's httpGet, else the first container port.
    pub http_port: Option<u16>,
    /// The labels of its pod template, as a label selector.
    selector: String,
}

impl std::fmt::Debug for WorkloadPods {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl WorkloadPods {
    /// The workload named `name` (or `namespace/name`) in the inventory
    /// read from the cluster.
    pub fn find(
        connection: &Connection,
        inventory: &Inventory,
        name: &str,
    ) -> Result<WorkloadPods, String> {
        let (namespace, name) = match name.split_once('/') {
            Some((namespace, name)) => (Some(namespace), name),
            None => (None, name),
        };
        let found: Vec<Workload> = inventory
            .workloads()
            .filter(|w| w.object.metadata.name.as_deref() == Some(name))
            .filter(|w| namespace.is_none_or(|n| w.object.namespace() == Some(n)))
            .collect();
        let workload = match found.as_slice() {
            [one] => one,
            [] => return Err(format!("no workload named {name:?} in the namespaces read")),
            several => {
                let namespaces: Vec<&str> = several
                    .iter()
                    .filter_map(|w| w.object.namespace())
                    .collect();
                return Err(format!(
                    "{name:?} names a workload in several namespaces ({}): write NAMESPACE/{name}",
                    namespaces.join(", ")
                ));
            }
        };
        Ok(WorkloadPods::of(connection, workload))
    }

    /// The pods of `workload`.
    pub fn of(connection: &Connection, workload: &Workload<'_>) -> WorkloadPods {
        WorkloadPods {
            connection: connection.clone(),
            namespace: workload.object.namespace().unwrap_or("default").to_string(),
            name: workload.object.metadata.name.clone().unwrap_or_default(),
            desired: desired_replicas(workload),
            http_port: http_port(workload),
            selector: Selector::from_map(workload.pod_labels()).to_string(),
        }
    }

    fn api(&self) -> Api<Pod> {
        Api::namespaced(self.connection.client.clone(), &self.namespace)
    }

    /// The workload's pods now, those being deleted left out.
    pub async fn live(&self) -> Result<Vec<Pod>, String> {
        let request = Request {
            verb: "list",
            resource: "pods".into(),
            group: String::new(),
            namespace: Some(self.namespace.clone()),
            name: None,
        };
        let params = ListParams::default().labels(&self.selector);
        let pods = self
            .connection
            .call(&request, self.api().list(&params))
            .await?;
        Ok(pods
            .items
            .into_iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .collect())
    }

    /// Deletes one pod, as `kubectl delete pod` does (its grace period).
    pub async fn delete(&self, pod: &str) -> Result<(), String> {
        let request = Request {
            verb: "delete",
            resource: "pods".into(),
            group: String::new(),
            namespace: Some(self.namespace.clone()),
            name: Some(pod.to_string()),
        };
        self.connection
            .call(&request, self.api().delete(pod, &DeleteParams::default()))
            .await
            .map(|_| ())
    }

    /// `GET path` on `port` of one pod through a port-forward, over TLS
    /// when `https` (not verified, as the kubelet's probes): the status
    /// code of the answer.
    pub async fn http_get(
        &self,
        pod: &str,
        port: u16,
        path: &str,
        https: bool,
    ) -> Result<u16, String> {
        let mut forwarder = self.api().portforward(pod, &[port]).await.map_err(|e| {
            let request = Request {
                verb: "create",
                resource: "pods/portforward".into(),
                group: String::new(),
                namespace: Some(self.namespace.clone()),
                name: Some(pod.to_string()),
            };
            failure::describe(&e, &request, &self.connection)
        })?;
        let stream = forwarder
            .take_stream(port)
            .ok_or_else(|| format!("no stream for port {port} of {pod}"))?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {pod}:{port}\r\nUser-Agent: golive\r\nConnection: close\r\n\r\n"
        );
        let head = if https {
            let config = tls_config(&CertificateCheck::Skip).map_err(|e| e.to_string())?;
            let name = rustls::pki_types::ServerName::try_from(pod.to_string())
                .map_err(|e| format!("TLS with {pod}: {e}"))?;
            let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
                .connect(name, stream)
                .await
                .map_err(|e| format!("TLS with {pod}:{port}: {e}"));
            match tls {
                Ok(tls) => response_head(tls, &request).await,
                Err(e) => Err(e),
            }
        } else {
            response_head(stream, &request).await
        }
        .map_err(|e| format!("port-forward to {pod}:{port}: {e}"));
        let error = forwarder.take_error(port);
        forwarder.abort();
        let status_line = head.map(|head| String::from_utf8_lossy(&head).into_owned());
        match status_line
            .as_deref()
            .map(|line| line.split_whitespace().nth(1).map(str::parse::<u16>))
        {
            Ok(Some(Ok(code))) => Ok(code),
            Err(problem) => Err(problem.clone()),
            _ => {
                let why = match error {
                    Some(error) => tokio::time::timeout(Duration::from_millis(200), error)
                        .await
                        .ok()
                        .flatten(),
                    None => None,
                };
                Err(why.unwrap_or_else(|| format!("no HTTP answer from {pod}:{port}")))
            }
        }
    }
}

/// Sends `request` and reads the answer up to the end of its status line.
async fn response_head<S>(mut stream: S, request: &str) -> Result<Vec<u8>, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    let mut buffer = [0u8; 512];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 8192 {
        let read = stream.read(&mut buffer).await.map_err(|e| e.to_string())?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    Ok(head)
}

/// Whether a pod is Ready (and not being deleted).
pub fn is_ready(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn desired_replicas(workload: &Workload<'_>) -> i32 {
    use crate::model::Resource;
    match &workload.object.resource {
        Resource::Deployment(d) => d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        Resource::StatefulSet(s) => s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        Resource::ReplicaSet(r) => r.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
        _ => 1,
    }
}

/// A probe's port (a number, or the name of one of the container's ports)
/// as a number.
pub fn resolve_port(container: &Container, port: &IntOrString) -> Option<u16> {
    match port {
        IntOrString::Int(n) => u16::try_from(*n).ok(),
        IntOrString::String(name) => container
            .ports
            .iter()
            .flatten()
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .and_then(|p| u16::try_from(p.container_port).ok()),
    }
}

/// The port the workload's pods serve HTTP on (see [`WorkloadPods::http_port`]).
fn http_port(workload: &Workload<'_>) -> Option<u16> {
    let containers = &workload.pod_spec.containers;
    let probed = containers.iter().find_map(|c| {
        [&c.readiness_probe, &c.liveness_probe]
            .into_iter()
            .flatten()
            .find_map(|probe| probe.http_get.as_ref())
            .and_then(|get| resolve_port(c, &get.port))
    });
    probed.or_else(|| {
        containers
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .find_map(|p| u16::try_from(p.container_port).ok())
    })
}

/// The uid the process of `container` in `pod` runs as, asked of the
/// container itself (`id -u` through `pods/exec`: the command only reads).
pub async fn exec_uid(
    connection: &Connection,
    namespace: &str,
    pod: &str,
    container: &str,
) -> Result<i64, String> {
    let api: Api<Pod> = Api::namespaced(connection.client.clone(), namespace);
    let request = Request {
        verb: "create",
        resource: "pods/exec".into(),
        group: String::new(),
        namespace: Some(namespace.to_string()),
        name: Some(pod.to_string()),
    };
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
            return Err(format!("id -u in {pod}/{container}: no answer"));
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
        let message = status.message.unwrap_or_else(|| "failed".into());
        return Err(format!("id -u in {pod}/{container}: {message}"));
    }
    output
        .trim()
        .parse()
        .map_err(|_| format!("id -u in {pod}/{container} printed {:?}", output.trim()))
}
