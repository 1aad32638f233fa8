//! Network probe pods (netassert's idea; it injects ephemeral containers
//! into the pods instead, which needs more rights): a short-lived pod
//! carrying the labels of a source workload's pods tries a TCP connection
//! to each target (`IP:PORT`) and prints `open IP:PORT` or `closed IP:PORT`; golive
//! reads its log and deletes it. This creates pods: only with
//! `--allow-disruption` (the caller checks).
//!
//! The pod is made to be harmless where it lands: never Ready (a readiness
//! probe that always fails, so no Service sends it traffic although it
//! carries the source's labels; a Service publishing not-ready addresses
//! still would), restricted Pod Security settings, tiny resources, no API
//! token, no service-mesh sidecar, and a deadline after which the kubelet
//! stops it. Each carries its run's label: the run sweeps its own pods when
//! a probe did not end cleanly.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, LogParams, PostParams};
use serde_json::json;

use super::connect::Connection;
use super::failure::Request;

/// The label that marks golive's probe pods.
const PROBE_LABEL: (&str, &str) = ("golive.dev/probe", "network");
/// The label naming the run a probe pod belongs to (its cleanup).
const RUN_LABEL: &str = "golive.dev/run";
/// Seconds a connection attempt may take.
const CONNECT_SECONDS: u64 = 2;
/// How often the probe pod's phase is read.
const POLL: Duration = Duration::from_millis(250);
/// How long a probe pod may take to be scheduled and pull its image.
const START_LIMIT: Duration = Duration::from_secs(60);

/// The shell loop the probe pod runs.
const SCRIPT: &str = r#"for t in $GOLIVE_TARGETS; do if nc -z -w 2 "${t%:*}" "${t##*:}" >/dev/null 2>&1; then echo "open $t"; else echo "closed $t"; fi; done"#;

/// What one probe pod saw: each target and whether it connected.
pub type Connections = BTreeMap<String, bool>;

/// What a probe pod reported, and the IP it had (for ipBlock rules).
pub struct Probed {
    pub connections: Connections,
    pub ip: Option<std::net::IpAddr>,
}

/// The labels of a probe pod of run `run` standing for a pod with
/// `source` labels.
pub fn probe_labels(source: &BTreeMap<String, String>, run: &str) -> BTreeMap<String, String> {
    let mut labels = source.clone();
    labels.insert(PROBE_LABEL.0.into(), PROBE_LABEL.1.into());
    labels.insert(RUN_LABEL.into(), run.into());
    labels.insert("app.kubernetes.io/managed-by".into(), "golive".into());
    labels
}

/// Deletes the probe pods of run `run` left in `namespace` (after a
/// creation that timed out, or a probe that failed half-way).
pub async fn sweep(connection: &Connection, namespace: &str, run: &str) -> Result<(), String> {
    let api: Api<Pod> = Api::namespaced(connection.client.clone(), namespace);
    let params = ListParams::default().labels(&format!(
        "{}={},{RUN_LABEL}={run}",
        PROBE_LABEL.0, PROBE_LABEL.1
    ));
    let left = connection
        .call(
            &Request::core("list", "pods", namespace, None),
            api.list(&params),
        )
        .await?;
    for pod in left.items {
        let name = pod.metadata.name.unwrap_or_default();
        connection
            .call(
                &Request::core("delete", "pods", namespace, Some(&name)),
                api.delete(&name, &DeleteParams::background().grace_period(0)),
            )
            .await?;
    }
    Ok(())
}

/// Runs a probe pod in `namespace` with `labels` (see [`probe_labels`])
/// that tries every target, and deletes it; the result per target.
pub async fn probe(
    connection: &Connection,
    namespace: &str,
    labels: &BTreeMap<String, String>,
    targets: &[String],
    image: &str,
) -> Result<Probed, String> {
    let api: Api<Pod> = Api::namespaced(connection.client.clone(), namespace);
    let deadline = START_LIMIT.as_secs() + CONNECT_SECONDS * targets.len() as u64;
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": "golive-netprobe-",
            "namespace": namespace,
            "labels": labels,
            // A mesh's proxy would answer every port and keep the pod from
            // ever ending.
            "annotations": {"sidecar.istio.io/inject": "false", "linkerd.io/inject": "disabled"}
        },
        "spec": {
            "restartPolicy": "Never",
            "activeDeadlineSeconds": deadline,
            "automountServiceAccountToken": false,
            "securityContext": {"runAsNonRoot": true, "runAsUser": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "probe",
                "image": image,
                "command": ["sh", "-c", SCRIPT],
                "env": [{"name": "GOLIVE_TARGETS", "value": targets.join(" ")}],
                "readinessProbe": {"exec": {"command": ["false"]}},
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "32Mi"}},
                "securityContext": {
                    "allowPrivilegeEscalation": false,
                    "readOnlyRootFilesystem": true,
                    "capabilities": {"drop": ["ALL"]}
                }
            }]
        }
    }))
    .map_err(|e| format!("the probe pod: {e}"))?;
    let created = connection
        .call(
            &Request::core("create", "pods", namespace, None),
            api.create(&PostParams::default(), &pod),
        )
        .await?;
    let name = created.metadata.name.clone().unwrap_or_default();
    let result = finish(connection, &api, &name, namespace, targets, deadline).await;
    // Whatever happened, the probe pod goes.
    let deleted = connection
        .call(
            &Request::core("delete", "pods", namespace, Some(&name)),
            api.delete(&name, &DeleteParams::background().grace_period(0)),
        )
        .await;
    let probed = result?;
    deleted?;
    Ok(probed)
}

/// Waits for the probe pod to end and reads its verdicts.
async fn finish(
    connection: &Connection,
    api: &Api<Pod>,
    name: &str,
    namespace: &str,
    targets: &[String],
    deadline: u64,
) -> Result<Probed, String> {
    let get = Request::core("get", "pods", namespace, Some(name));
    let started = Instant::now();
    let ip = loop {
        let pod = connection.call(&get, api.get(name)).await?;
        let status = pod.status.as_ref();
        match status.and_then(|s| s.phase.as_deref()) {
            Some("Succeeded") => {
                break status
                    .and_then(|s| s.pod_ip.as_deref())
                    .and_then(|ip| ip.parse().ok());
            }
            Some("Failed") => {
                return Err(format!(
                    "probe pod {name} failed: {}",
                    status
                        .and_then(|s| s.message.as_deref())
                        .unwrap_or("no message")
                ));
            }
            phase => {
                if let Some(pull) = pull_failure(status) {
                    return Err(format!(
                        "probe pod {name} cannot start: {pull}; set network_probe_image in \
                         golive.yaml to an image the cluster can pull (a mirror of it, where \
                         registries are closed)"
                    ));
                }
                if started.elapsed() > Duration::from_secs(deadline) {
                    let waiting = status
                        .and_then(|s| s.container_statuses.as_ref())
                        .and_then(|c| c.first())
                        .and_then(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone());
                    return Err(format!(
                        "probe pod {name} did not finish within {deadline} s (phase {}{})",
                        phase.unwrap_or("unknown"),
                        waiting.map(|w| format!(", {w}")).unwrap_or_default()
                    ));
                }
            }
        }
        tokio::time::sleep(POLL).await;
    };
    let log_request = Request::core("get", "pods/log", namespace, Some(name));
    let log = connection
        .call(&log_request, api.logs(name, &LogParams::default()))
        .await?;
    let mut connections = Connections::new();
    for line in log.lines() {
        match line.split_once(' ') {
            Some(("open", target)) => connections.insert(target.to_string(), true),
            Some(("closed", target)) => connections.insert(target.to_string(), false),
            _ => None,
        };
    }
    let missing: Vec<&String> = targets
        .iter()
        .filter(|t| !connections.contains_key(*t))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "probe pod {name} printed no verdict for {} (its log: {:?})",
            missing
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            log.lines().take(5).collect::<Vec<_>>()
        ));
    }
    Ok(Probed { connections, ip })
}

/// Why the kubelet cannot pull a container's image (`ErrImagePull`,
/// `ImagePullBackOff`, `InvalidImageName`): the image, the reason and the
/// kubelet's message. Such a pod never starts, so there is no point in
/// waiting for its deadline.
fn pull_failure(status: Option<&k8s_openapi::api::core::v1::PodStatus>) -> Option<String> {
    const PULL_REASONS: &[&str] = &[
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
    ];
    status?
        .container_statuses
        .iter()
        .flatten()
        .find_map(|container| {
            let waiting = container.state.as_ref()?.waiting.as_ref()?;
            let reason = waiting.reason.as_deref()?;
            PULL_REASONS.contains(&reason).then(|| {
                format!(
                    "image {} cannot be pulled ({reason}: {})",
                    container.image,
                    waiting.message.as_deref().unwrap_or("no message")
                )
            })
        })
}
