//! `pods/portforward` over WebSocket, as a 1.33 API server, kubelet and
//! containerd answer `Api::<Pod>::portforward`: the API server proxies the
//! upgrade to the kubelet (the v5 stream translator is for exec and
//! attach), which speaks `v4.channel.k8s.io` (or no subprotocol). For the
//! i-th port asked, channel 2i carries the data and 2i+1 the errors; the
//! first frame of each is the port number (2 bytes, little-endian).
//!
//! Behind each port, the double connects to the TCP address a test
//! registered for the pod and container port ([`Cluster::serve_port`]: a
//! pod by name, or a workload, whose current and future pods it covers):
//! bytes go both ways until that connection ends, then, as containerd
//! does, the other direction gets a second to finish and the port is done.
//! A port nobody serves gets containerd's message on its error channel
//! (`error forwarding port 8080 to pod <sandbox>, uid : failed to execute
//! portforward in network namespace "…": failed to connect to
//! localhost:8080 inside namespace "<sandbox>", IPv4: dial tcp4
//! 127.0.0.1:8080: connect: connection refused …`) and is done at once.
//! When every port is done the connection closes.
//!
//! Before the upgrade: 404 for a pod that does not exist, 400 `pod P does
//! not have a host assigned` for an unscheduled one (the API server's
//! `Status`), and the kubelet's plain-text 500 when the pod has no running
//! sandbox — `failed to find sandboxID for pod name_ns(uid)` while it is
//! being created, `rpc error: code = Unknown desc = sandbox container is
//! not running` once it has completed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use hyper::Response;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::api::{Body, Shared, plain_text};
use super::cluster::Cluster;
use super::controllers::{name_of, str_of, uid_of};
use super::names::hex64;
use super::resources::GroupResource;
use super::status::{self, ApiError};
use super::streams::{WebSocket, WebSocketRequest, frame};

/// How long containerd lets the other direction finish once one has.
const LINGER: Duration = Duration::from_secs(1);

/// A TCP address that serves a container port of a pod or of a
/// workload's pods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedPort {
    pub namespace: String,
    pub target: Served,
    pub port: u16,
    pub address: SocketAddr,
}

/// Which pods a [`ServedPort`] is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    /// A pod's name, or a workload's (Deployment, StatefulSet, DaemonSet,
    /// ReplicaSet, Job).
    Named(String),
    /// The pods one of whose containers runs this image (a release).
    Image(String),
}

impl Cluster {
    /// What listens on `container_port` of the pod `pod_or_workload` (or
    /// of every pod, current and future, of that workload): port forwards
    /// to it reach `address`. A later registration wins.
    pub fn serve_port(
        &mut self,
        namespace: &str,
        pod_or_workload: &str,
        container_port: u16,
        address: SocketAddr,
    ) {
        self.served_ports.push(ServedPort {
            namespace: namespace.to_string(),
            target: Served::Named(pod_or_workload.to_string()),
            port: container_port,
            address,
        });
    }

    /// What listens on `container_port` of the pods, current and future,
    /// that run `image` (a release of a workload, as a rollout brings it):
    /// port forwards to them reach `address`. A later registration wins.
    pub fn serve_image_port(
        &mut self,
        namespace: &str,
        image: &str,
        container_port: u16,
        address: SocketAddr,
    ) {
        self.served_ports.push(ServedPort {
            namespace: namespace.to_string(),
            target: Served::Image(image.to_string()),
            port: container_port,
            address,
        });
    }

    /// The ID of the pod's sandbox, as containerd names it in its
    /// port-forward errors.
    pub fn sandbox_id(&self, namespace: &str, pod: &str) -> Option<String> {
        self.store
            .get(&GroupResource::new("", "pods"), namespace, pod)
            .map(sandbox_id)
    }

    /// Where port forwards to `port` of the pod go, if anywhere.
    pub fn served_address(&self, namespace: &str, pod: &str, port: u16) -> Option<SocketAddr> {
        self.served_ports
            .iter()
            .rev()
            .filter(|s| s.namespace == namespace && s.port == port)
            .find(|s| match &s.target {
                Served::Named(target) => {
                    target == pod
                        || self
                            .pod_names_of(namespace, target)
                            .iter()
                            .any(|p| p == pod)
                }
                Served::Image(image) => self
                    .store
                    .get(&GroupResource::new("", "pods"), namespace, pod)
                    .is_some_and(|p| runs_image(p, image)),
            })
            .map(|s| s.address)
    }
}

fn runs_image(pod: &Value, image: &str) -> bool {
    pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["image"] == image)
}

/// The sandbox ID of a pod (64 hex digits, as containerd's).
fn sandbox_id(pod: &Value) -> String {
    hex64(&format!("{}/sandbox", uid_of(pod)))
}

/// containerd's message for a port nothing listens on.
pub fn refused_message(pod: &Value, port: u16) -> String {
    let sandbox = sandbox_id(pod);
    let n = hex64(&format!("{}/netns", uid_of(pod)));
    let netns = format!(
        "/var/run/netns/cni-{}-{}-{}-{}-{}",
        &n[0..8],
        &n[8..12],
        &n[12..16],
        &n[16..20],
        &n[20..32]
    );
    format!(
        "error forwarding port {port} to pod {sandbox}, uid : failed to execute portforward in network namespace {netns:?}: failed to connect to localhost:{port} inside namespace {sandbox:?}, IPv4: dial tcp4 127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6: address localhost: no suitable address found "
    )
}

/// The ports asked (`ports=80,1234`, as kube sends them, or `port=80`
/// repeated, as the API server passes them on).
fn ports_of(query: &[(String, String)]) -> Result<Vec<u16>, String> {
    let values: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "ports" || k == "port")
        .map(|(_, v)| v.as_str())
        .collect();
    if values.is_empty() {
        return Err("query parameter \"port\" is required".into());
    }
    let mut ports = Vec::new();
    for value in values {
        if value.is_empty() {
            return Err("query parameter \"port\" cannot be empty".into());
        }
        for part in value.split(',') {
            let port: u16 = part.parse().map_err(|_| {
                format!("unable to parse {value:?} as a port: strconv.ParseUint: parsing {part:?}: invalid syntax")
            })?;
            if port < 1 {
                return Err(format!("port {value:?} must be > 0"));
            }
            ports.push(port);
        }
    }
    Ok(ports)
}

/// Serves a port-forward request (the verb was authorized and the request
/// is a WebSocket upgrade).
pub fn serve(
    shared: &Arc<Shared>,
    namespace: &str,
    name: &str,
    query: &[(String, String)],
    websocket: &WebSocketRequest,
) -> Result<Response<Body>, ApiError> {
    let cluster = shared.cluster.lock().expect("cluster lock");
    let pod = cluster
        .store()
        .get(&GroupResource::new("", "pods"), namespace, name)
        .cloned()
        .ok_or_else(|| status::not_found("", "pods", name))?;
    if pod["spec"]["nodeName"].as_str().is_none_or(str::is_empty) {
        return Err(status::bad_request(format!(
            "pod {name} does not have a host assigned"
        )));
    }
    let ports = match ports_of(query) {
        Ok(ports) => ports,
        Err(message) => return Ok(plain_text(400, &message)),
    };
    match pod["status"]["phase"].as_str() {
        Some("Running") if pod["status"]["podIP"].is_string() => {}
        Some("Succeeded") | Some("Failed") => {
            return Ok(plain_text(
                500,
                "rpc error: code = Unknown desc = sandbox container is not running",
            ));
        }
        _ => {
            return Ok(plain_text(
                500,
                &format!(
                    "failed to find sandboxID for pod {}_{}({})",
                    name_of(&pod),
                    str_of(&pod["metadata"]["namespace"]),
                    uid_of(&pod)
                ),
            ));
        }
    }
    let Some(protocol) = websocket.choose(&["v4.channel.k8s.io", ""]) else {
        return Ok(plain_text(
            400,
            &format!(
                "unable to upgrade websocket connection: requested protocol(s) are not supported: {:?}; supports [ v4.channel.k8s.io]",
                websocket.protocols
            ),
        ));
    };
    let plan: Vec<(u16, Option<SocketAddr>, String)> = ports
        .iter()
        .map(|&port| {
            (
                port,
                cluster.served_address(namespace, name, port),
                refused_message(&pod, port),
            )
        })
        .collect();
    drop(cluster);
    Ok(websocket.accept(&protocol, move |socket| forward(socket, plan)))
}

enum Event {
    Data(usize, Vec<u8>),
    Done(usize),
}

/// Copies what the pod side sends to channel 2i; at its end, lets the
/// other direction finish (containerd's linger), then the port is done.
async fn pump(
    mut reader: tokio::net::tcp::OwnedReadHalf,
    index: usize,
    events: mpsc::UnboundedSender<Event>,
) {
    let mut buffer = vec![0u8; 32 * 1024];
    loop {
        match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if events
                    .send(Event::Data(index, buffer[..n].to_vec()))
                    .is_err()
                {
                    return;
                }
            }
        }
    }
    tokio::time::sleep(LINGER).await;
    let _ = events.send(Event::Done(index));
}

async fn forward(socket: WebSocket, plan: Vec<(u16, Option<SocketAddr>, String)>) {
    let (mut sink, mut stream) = socket.split();
    for (i, (port, _, _)) in plan.iter().enumerate() {
        let [low, high] = port.to_le_bytes();
        for channel in [2 * i as u8, 2 * i as u8 + 1] {
            if sink.send(frame(channel, &[low, high])).await.is_err() {
                return;
            }
        }
    }
    let (events, mut incoming) = mpsc::unbounded_channel();
    let mut writers: Vec<Option<OwnedWriteHalf>> = Vec::new();
    let mut open = 0;
    for (i, (_, address, refused)) in plan.iter().enumerate() {
        let connection = match address {
            Some(address) => TcpStream::connect(address).await.ok(),
            None => None,
        };
        match connection {
            Some(connection) => {
                let (reader, writer) = connection.into_split();
                tokio::spawn(pump(reader, i, events.clone()));
                writers.push(Some(writer));
                open += 1;
            }
            None => {
                let _ = sink.send(frame(2 * i as u8 + 1, refused.as_bytes())).await;
                writers.push(None);
            }
        }
    }
    drop(events);
    while open > 0 {
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Binary(bytes))) if bytes.len() > 1 => {
                    let channel = bytes[0] as usize;
                    if channel.is_multiple_of(2)
                        && let Some(Some(writer)) = writers.get_mut(channel / 2)
                    {
                        let _ = writer.write_all(&bytes[1..]).await;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            event = incoming.recv() => match event {
                Some(Event::Data(i, data)) => {
                    if sink.send(frame(2 * i as u8, &data)).await.is_err() {
                        break;
                    }
                }
                Some(Event::Done(i)) => {
                    writers[i] = None;
                    open -= 1;
                }
                None => break,
            },
        }
    }
    let _ = sink.send(Message::Close(None)).await;
    let _ = sink.close().await;
}
