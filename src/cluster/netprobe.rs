//! Network probe pods, as netassert uses them: a short-lived pod carrying
//! the labels of a source workload's pods tries a TCP connection to each
//! target (`IP:PORT`) and prints `open IP:PORT` or `closed IP:PORT`; golive
//! reads its log and deletes it. This creates pods: only with
//! `--allow-disruption` (the caller checks).
//!
//! The pod is made to be harmless where it lands: never Ready (a readiness
//! probe that always fails, so no Service sends it traffic although it
//! carries the source's labels), restricted Pod Security settings, tiny
//! resources, no API token, and a deadline after which the kubelet stops it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, LogParams, PostParams};
use serde_json::json;

use super::connect::Connection;
use super::failure::Request;

/// The label that marks golive's probe pods.
const PROBE_LABEL: (&str, &str) = ("golive.dev/probe", "network");
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

/// The labels of a probe pod standing for a pod with `source` labels.
pub fn probe_labels(source: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut labels = source.clone();
    labels.insert(PROBE_LABEL.0.into(), PROBE_LABEL.1.into());
    labels.insert("app.kubernetes.io/managed-by".into(), "golive".into());
    labels
}

/// Runs a probe pod in `namespace` with `labels` (see [`probe_labels`])
/// that tries every target, and deletes it; the result per target.
pub async fn probe(
    connection: &Connection,
    namespace: &str,
    labels: &BTreeMap<String, String>,
    targets: &[String],
    image: &str,
) -> Result<Connections, String> {
    let api: Api<Pod> = Api::namespaced(connection.client.clone(), namespace);
    let deadline = START_LIMIT.as_secs() + CONNECT_SECONDS * targets.len() as u64;
    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"generateName": "golive-netprobe-", "namespace": namespace, "labels": labels},
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
    let request = |verb, resource: &str, name: Option<&str>| Request {
        verb,
        resource: resource.into(),
        group: String::new(),
        namespace: Some(namespace.to_string()),
        name: name.map(str::to_string),
    };
    let created = connection
        .call(
            &request("create", "pods", None),
            api.create(&PostParams::default(), &pod),
        )
        .await?;
    let name = created.metadata.name.clone().unwrap_or_default();
    let result = finish(connection, &api, &name, namespace, targets, deadline).await;
    // Whatever happened, the probe pod goes.
    let deleted = connection
        .call(
            &request("delete", "pods", Some(&name)),
            api.delete(&name, &DeleteParams::background().grace_period(0)),
        )
        .await;
    let connections = result?;
    deleted?;
    Ok(connections)
}

/// Waits for the probe pod to end and reads its verdicts.
async fn finish(
    connection: &Connection,
    api: &Api<Pod>,
    name: &str,
    namespace: &str,
    targets: &[String],
    deadline: u64,
) -> Result<Connections, String> {
    let get = Request {
        verb: "get",
        resource: "pods".into(),
        group: String::new(),
        namespace: Some(namespace.to_string()),
        name: Some(name.to_string()),
    };
    let started = Instant::now();
    loop {
        let pod = connection.call(&get, api.get(name)).await?;
        let status = pod.status.as_ref();
        match status.and_then(|s| s.phase.as_deref()) {
            Some("Succeeded") => break,
            Some("Failed") => {
                return Err(format!(
                    "probe pod {name} failed: {}",
                    status
                        .and_then(|s| s.message.as_deref())
                        .unwrap_or("no message")
                ));
            }
            phase => {
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
    }
    let log_request = Request {
        resource: "pods/log".into(),
        ..get
    };
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
    Ok(connections)
}
