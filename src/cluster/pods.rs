//! The live pods of one workload of a cluster, for the steps that look at
//! (or break) the running system: which are Ready now, an HTTP GET to one
//! of them through a port-forward, and deleting one (`--allow-disruption`
//! only: the caller checks).
//!
//! A workload's pods are those its selector matches *and* it controls
//! (directly, or through the ReplicaSets or Jobs it controls), by uid: a
//! canary whose labels include the workload's is not one of them. A
//! port-forward is the `pods/portforward` subresource: a connection to a
//! port of the pod through the API server, which changes nothing; it is
//! closed as soon as the answer is read, whatever happens.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Portforwarder};
use kube::discovery::ApiResource;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::connect::Connection;
use super::failure::Request;
use crate::model::selector::Selector;
use crate::model::{Inventory, Resource, Workload};
use crate::probe::http::{CertificateCheck, tls_config};

/// How long the error a port-forward reports may take to arrive.
const FORWARD_ERROR_WAIT: Duration = Duration::from_millis(200);

/// A port the workload's pods serve HTTP on, and whether over TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpPort {
    pub port: u16,
    pub https: bool,
}

/// How a workload's pods are found.
#[derive(Debug, Clone)]
enum Members {
    /// A bare Pod: itself.
    Named(String),
    /// Pods matching `selector` that the workload controls (directly, or
    /// through the ReplicaSets or Jobs of `through` it controls).
    Controlled {
        selector: String,
        uid: Option<String>,
        through: Option<&'static str>,
    },
}

/// A workload of the cluster and how to find its pods.
#[derive(Clone)]
pub struct WorkloadPods {
    pub connection: Connection,
    pub namespace: String,
    pub name: String,
    /// Pods the workload asks for.
    pub desired: i32,
    /// The port its pods serve HTTP on: that of the readiness (else
    /// liveness) probe's httpGet, else the first container port.
    pub http: Option<HttpPort>,
    members: Members,
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
        match found.as_slice() {
            [one] => Ok(WorkloadPods::of(connection, one)),
            [] => Err(format!("no workload named {name:?} in the namespaces read")),
            several => {
                let which: Vec<String> = several
                    .iter()
                    .map(|w| w.object.reference().to_string())
                    .collect();
                Err(format!(
                    "{name:?} names several workloads ({}): write NAMESPACE/{name}, or rename",
                    which.join(", ")
                ))
            }
        }
    }

    /// The pods of `workload`.
    pub fn of(connection: &Connection, workload: &Workload<'_>) -> WorkloadPods {
        let object = workload.object;
        let name = object.metadata.name.clone().unwrap_or_default();
        let selector = |s: Option<&LabelSelector>| {
            s.and_then(|s| Selector::from_label_selector(s).ok())
                .unwrap_or_else(|| Selector::from_map(workload.pod_labels()))
                .to_string()
        };
        let controlled = |selector: String, through| Members::Controlled {
            selector,
            uid: object.metadata.uid.clone(),
            through,
        };
        let (members, desired) = match &object.resource {
            Resource::Deployment(d) => {
                let spec = d.spec.as_ref();
                (
                    controlled(selector(spec.map(|s| &s.selector)), Some("ReplicaSet")),
                    spec.and_then(|s| s.replicas).unwrap_or(1),
                )
            }
            Resource::StatefulSet(s) => {
                let spec = s.spec.as_ref();
                (
                    controlled(selector(spec.map(|s| &s.selector)), None),
                    spec.and_then(|s| s.replicas).unwrap_or(1),
                )
            }
            Resource::ReplicaSet(r) => {
                let spec = r.spec.as_ref();
                (
                    controlled(selector(spec.map(|s| &s.selector)), None),
                    spec.and_then(|s| s.replicas).unwrap_or(1),
                )
            }
            Resource::DaemonSet(d) => (
                controlled(selector(d.spec.as_ref().map(|s| &s.selector)), None),
                d.status.as_ref().map_or(0, |s| s.desired_number_scheduled),
            ),
            Resource::Job(j) => (
                controlled(
                    selector(j.spec.as_ref().and_then(|s| s.selector.as_ref())),
                    None,
                ),
                1,
            ),
            Resource::CronJob(_) => (controlled(selector(None), Some("Job")), 1),
            _ => (Members::Named(name.clone()), 1),
        };
        WorkloadPods {
            connection: connection.clone(),
            namespace: object.namespace().unwrap_or("default").to_string(),
            name,
            desired,
            http: http_port(workload),
            members,
        }
    }

    fn api(&self) -> Api<Pod> {
        Api::namespaced(self.connection.client.clone(), &self.namespace)
    }

    /// The workload's pods now, those being deleted left out.
    pub async fn live(&self) -> Result<Vec<Pod>, String> {
        let request = Request::core("list", "pods", &self.namespace, None);
        let pods = match &self.members {
            Members::Named(name) => {
                let params = ListParams::default().fields(&format!("metadata.name={name}"));
                self.connection
                    .call(&request, self.api().list(&params))
                    .await?
                    .items
            }
            Members::Controlled {
                selector,
                uid,
                through,
            } => {
                let params = ListParams::default().labels(selector);
                let pods = self
                    .connection
                    .call(&request, self.api().list(&params))
                    .await?
                    .items;
                let owners = match (through, uid) {
                    (Some(kind), Some(uid)) => self.controlled(kind, uid, selector).await?,
                    _ => uid.iter().cloned().collect(),
                };
                pods.into_iter()
                    .filter(|pod| {
                        controller_uid(&pod.metadata).is_some_and(|c| owners.contains(&c))
                    })
                    .collect()
            }
        };
        Ok(pods
            .into_iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .collect())
    }

    /// The uids of the ReplicaSets (or Jobs) matching `selector` that the
    /// object of uid `owner` controls.
    async fn controlled(
        &self,
        kind: &str,
        owner: &str,
        selector: &str,
    ) -> Result<Vec<String>, String> {
        let (group, version, plural) = match kind {
            "ReplicaSet" => ("apps", "v1", "replicasets"),
            _ => ("batch", "v1", "jobs"),
        };
        let resource = ApiResource {
            group: group.into(),
            version: version.into(),
            api_version: format!("{group}/{version}"),
            kind: kind.into(),
            plural: plural.into(),
        };
        let api: Api<DynamicObject> =
            Api::namespaced_with(self.connection.client.clone(), &self.namespace, &resource);
        let request = Request::new("list", group, plural, Some(&self.namespace));
        let params = if kind == "ReplicaSet" {
            ListParams::default().labels(selector)
        } else {
            ListParams::default()
        };
        let items = self
            .connection
            .call(&request, api.list(&params))
            .await?
            .items;
        Ok(items
            .into_iter()
            .filter(|o| controller_uid(&o.metadata).as_deref() == Some(owner))
            .filter_map(|o| o.metadata.uid)
            .collect())
    }

    /// Deletes one pod, as `kubectl delete pod` does (its grace period).
    pub async fn delete(&self, pod: &str) -> Result<(), String> {
        let request = Request::core("delete", "pods", &self.namespace, Some(pod));
        self.connection
            .call(&request, self.api().delete(pod, &DeleteParams::default()))
            .await
            .map(|_| ())
    }

    /// `GET path` on `port` of one pod through a port-forward, over TLS
    /// when asked (not verified, as the kubelet's probes): the status code
    /// of the answer. Opening the port-forward has the time limit of a
    /// request; the answer must come within `timeout`.
    pub async fn http_get(
        &self,
        pod: &str,
        port: HttpPort,
        path: &str,
        timeout: Duration,
    ) -> Result<u16, String> {
        let request = Request::core("create", "pods/portforward", &self.namespace, Some(pod));
        let mut forward = Forward(
            self.connection
                .call(&request, self.api().portforward(pod, &[port.port]))
                .await?,
        );
        let stream = forward
            .0
            .take_stream(port.port)
            .ok_or_else(|| format!("no stream for port {} of {pod}", port.port))?;
        let error = forward.0.take_error(port.port);
        let get = format!(
            "GET {path} HTTP/1.1\r\nHost: {pod}:{}\r\nUser-Agent: golive\r\nConnection: close\r\n\r\n",
            port.port
        );
        let exchange = async {
            if port.https {
                let config = tls_config(&CertificateCheck::Skip).map_err(|e| e.to_string())?;
                let name = rustls::pki_types::ServerName::try_from(pod.to_string())
                    .map_err(|e| format!("TLS with {pod}: {e}"))?;
                let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
                    .connect(name, stream)
                    .await
                    .map_err(|e| format!("TLS: {e}"))?;
                response_head(tls, &get).await
            } else {
                response_head(stream, &get).await
            }
        };
        let head = match tokio::time::timeout(timeout, exchange).await {
            Ok(head) => head,
            Err(_) => {
                return Err(format!(
                    "no answer within {:.1} s on port {}",
                    timeout.as_secs_f64(),
                    port.port
                ));
            }
        };
        let status = head.as_ref().ok().and_then(|head| {
            String::from_utf8_lossy(head)
                .split_whitespace()
                .nth(1)
                .and_then(|code| code.parse::<u16>().ok())
        });
        if let Some(code) = status {
            return Ok(code);
        }
        // What the kubelet said about the port, if anything (before the
        // forward is closed).
        let reported = match error {
            Some(error) => tokio::time::timeout(FORWARD_ERROR_WAIT, error)
                .await
                .ok()
                .flatten(),
            None => None,
        };
        Err(reported.unwrap_or_else(|| match head {
            Err(e) => format!("port-forward to {pod}:{}: {e}", port.port),
            Ok(_) => format!("no HTTP answer from {pod}:{}", port.port),
        }))
    }
}

/// A port-forward, closed when dropped: kube's forwarder has no `Drop`,
/// and a forward left open holds a connection through the API server.
struct Forward(Portforwarder);

impl Drop for Forward {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The uid of an object's controller, if it has one.
fn controller_uid(
    metadata: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Option<String> {
    metadata
        .owner_references
        .iter()
        .flatten()
        .find(|r| r.controller == Some(true))
        .map(|r| r.uid.clone())
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

/// The port the workload's pods serve HTTP on (see [`WorkloadPods::http`]).
fn http_port(workload: &Workload<'_>) -> Option<HttpPort> {
    let containers = &workload.pod_spec.containers;
    let probed = containers.iter().find_map(|c| {
        [&c.readiness_probe, &c.liveness_probe]
            .into_iter()
            .flatten()
            .find_map(|probe| probe.http_get.as_ref())
            .and_then(|get| {
                Some(HttpPort {
                    port: resolve_port(c, &get.port)?,
                    https: get.scheme.as_deref() == Some("HTTPS"),
                })
            })
    });
    probed.or_else(|| {
        containers
            .iter()
            .flat_map(|c| c.ports.iter().flatten())
            .find_map(|p| u16::try_from(p.container_port).ok())
            .map(|port| HttpPort { port, https: false })
    })
}
