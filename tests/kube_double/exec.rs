//! `pods/exec` over WebSocket, as a 1.33 API server and a containerd
//! kubelet answer it, with a scripted container behind.
//!
//! Before the upgrade, the API server's checks: the pod exists (404), the
//! container is one of the pod's or the pod has a single one (400 `a
//! container name must be specified for pod P, choose one of: [a b]`,
//! `container C is not valid for pod P`), the pod is bound to a node (400
//! `pod P does not have a host assigned`). Then, with `v5.channel.k8s.io`
//! offered (kube-rs offers v5 then v4), the API server's stream translator
//! upgrades the connection itself: an empty frame on the lowest channel
//! asked for (stdout 1, else stderr 2, else the error channel 3), the
//! command's stdout and stderr, then the final `Status` on channel 3 —
//! `{"metadata":{},"status":"Success"}`, or `NonZeroExitCode` with the
//! `ExitCode` cause, or an `InternalError` when the kubelet has no running
//! container (`unable to upgrade connection: container not found ("c")`)
//! — and the close. A client offering only `v4.channel.k8s.io` reaches
//! the kubelet directly: same channels, containerd's exit message, and a
//! plain-text 500 before the upgrade when the container is not running.
//!
//! The scripted container: the hooks a test installs ([`Cluster::on_exec`],
//! the last installed asked first) answer first; then `id -u` / `id -g` /
//! `id -G` / `id` print the user the container runs as (its status'
//! `user.linux`, else the pod's or the image's user, else root), directly
//! or through `sh -c`; anything else exits 127 with `sh: CMD: not found`
//! on stderr, as a shell does.

use std::sync::Arc;

use futures::SinkExt;
use hyper::Response;
use k8s_openapi::api::core::v1::{LinuxContainerUser, Pod};
use serde_json::Value;

use super::api::{Body, Shared, plain_text, query_value};
use super::cluster::Cluster;
use super::pods::effective_user;
use super::status::{self, ApiError};
use super::streams::{WebSocket, WebSocketRequest, frame};

/// What a command did: its output and exit code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecReply {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
}

impl<O: Into<String>, E: Into<String>> From<(O, E, i32)> for ExecReply {
    fn from((stdout, stderr, exit_code): (O, E, i32)) -> ExecReply {
        ExecReply {
            stdout: stdout.into(),
            stderr: stderr.into(),
            exit_code,
        }
    }
}

/// A test's script for commands: `(pod, container, argv)`, `None` to let
/// the next hook (or the built-in commands) answer.
pub type ExecHook = Arc<dyn Fn(&Pod, &str, &[String]) -> Option<ExecReply> + Send + Sync>;

impl Cluster {
    /// Scripts `pods/exec`: `hook` is asked first (before the hooks
    /// installed earlier and the built-in `id`), with the cluster locked
    /// (it must not call the double).
    pub fn on_exec(
        &mut self,
        hook: impl Fn(&Pod, &str, &[String]) -> Option<ExecReply> + Send + Sync + 'static,
    ) {
        self.exec_hooks.push(Arc::new(hook));
    }
}

const V5: &str = "v5.channel.k8s.io";
const V4: &str = "v4.channel.k8s.io";
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const ERROR: u8 = 3;

/// The container `asked` (or the only one) of a pod, as the API server
/// resolves it for exec and attach.
pub fn container_for_stream(pod: &Value, asked: Option<&str>) -> Result<String, ApiError> {
    let name = pod["metadata"]["name"].as_str().unwrap_or_default();
    let names = |key: &str| -> Vec<String> {
        pod["spec"][key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str().map(String::from))
            .collect()
    };
    let containers = names("containers");
    let init = names("initContainers");
    match asked.filter(|c| !c.is_empty()) {
        Some(asked) => {
            if containers.iter().chain(&init).any(|c| c == asked) {
                Ok(asked.to_string())
            } else {
                Err(status::bad_request(format!(
                    "container {asked} is not valid for pod {name}"
                )))
            }
        }
        None if containers.len() == 1 => Ok(containers[0].clone()),
        None if containers.is_empty() => Err(status::bad_request(format!(
            "a container name must be specified for pod {name}"
        ))),
        None => {
            let mut message = format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            );
            if !init.is_empty() {
                message.push_str(&format!(
                    " or one of the init containers: [{}]",
                    init.join(" ")
                ));
            }
            Err(status::bad_request(message))
        }
    }
}

fn flag(query: &[(String, String)], key: &str) -> bool {
    matches!(query_value(query, key), Some("true") | Some("1"))
}

/// Whether the container (main or init) is running.
fn is_running(pod: &Value, container: &str) -> bool {
    ["containerStatuses", "initContainerStatuses"]
        .iter()
        .flat_map(|k| pod["status"][*k].as_array().into_iter().flatten())
        .any(|s| s["name"] == container && s["state"]["running"].is_object())
}

/// The user the container's process runs as.
fn user_of(cluster: &Cluster, pod: &Pod, container: &str) -> LinuxContainerUser {
    let reported = pod
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.name == container))
        .and_then(|c| c.user.as_ref())
        .and_then(|u| u.linux.clone());
    if let Some(user) = reported {
        return user;
    }
    let spec = pod.spec.clone().unwrap_or_default();
    let spec_container = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .find(|c| c.name == container)
        .cloned()
        .unwrap_or_default();
    let image_user = cluster
        .image_users
        .of(spec_container.image.as_deref().unwrap_or_default());
    effective_user(&spec, &spec_container, image_user)
}

/// BusyBox's `id`.
fn id(user: &LinuxContainerUser, args: &[&str]) -> ExecReply {
    let groups: Vec<i64> = user
        .supplemental_groups
        .clone()
        .unwrap_or_else(|| vec![user.gid]);
    let named = |n: i64| {
        if n == 0 {
            "0(root)".to_string()
        } else {
            n.to_string()
        }
    };
    let stdout = match args {
        [] => format!(
            "uid={} gid={} groups={}\n",
            named(user.uid),
            named(user.gid),
            groups
                .iter()
                .map(|g| named(*g))
                .collect::<Vec<_>>()
                .join(",")
        ),
        ["-u"] => format!("{}\n", user.uid),
        ["-g"] => format!("{}\n", user.gid),
        ["-G"] => format!(
            "{}\n",
            groups
                .iter()
                .map(|g| g.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        [other, ..] => {
            let option = other.trim_start_matches('-').chars().next().unwrap_or('?');
            return ExecReply {
                stdout: String::new(),
                stderr: format!("id: invalid option -- '{option}'\n"),
                exit_code: 1,
            };
        }
    };
    ExecReply {
        stdout,
        stderr: String::new(),
        exit_code: 0,
    }
}

/// What the command does in the container.
fn run(cluster: &Cluster, pod: &Pod, container: &str, argv: &[String]) -> ExecReply {
    for hook in cluster.exec_hooks.iter().rev() {
        if let Some(reply) = hook(pod, container, argv) {
            return reply;
        }
    }
    let program = |word: &str| word.rsplit('/').next().unwrap_or(word).to_string();
    let words: Vec<String> = match argv {
        [shell, c, script, ..]
            if matches!(program(shell).as_str(), "sh" | "ash" | "bash") && c == "-c" =>
        {
            script.split_whitespace().map(String::from).collect()
        }
        _ => argv.to_vec(),
    };
    let Some((command, args)) = words.split_first() else {
        return ExecReply::default();
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match program(command).as_str() {
        "id" => id(&user_of(cluster, pod, container), &args),
        _ => ExecReply {
            stdout: String::new(),
            stderr: format!("sh: {command}: not found\n"),
            exit_code: 127,
        },
    }
}

/// A JSON object with its fields in the order given (Go marshals a
/// struct's fields in declaration order); the values are JSON already.
fn ordered(fields: &[(&str, String)]) -> String {
    let fields: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", Value::from(*k)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// A `metav1.Status` as Go marshals it on the error channel: no kind or
/// apiVersion, `metadata`, `status`, `message`, `reason`, `details`
/// (`causes`: `reason`, `message`), `code`, the empty ones left out.
fn status_json(
    status: &str,
    message: Option<String>,
    reason: Option<&str>,
    causes: &[(Option<&str>, String)],
    code: Option<u16>,
) -> Vec<u8> {
    let mut fields = vec![
        ("metadata", "{}".to_string()),
        ("status", Value::from(status).to_string()),
    ];
    if let Some(message) = message {
        fields.push(("message", Value::from(message).to_string()));
    }
    if let Some(reason) = reason {
        fields.push(("reason", Value::from(reason).to_string()));
    }
    if !causes.is_empty() {
        let causes: Vec<String> = causes
            .iter()
            .map(|(reason, message)| {
                let mut cause = Vec::new();
                if let Some(reason) = reason {
                    cause.push(("reason", Value::from(*reason).to_string()));
                }
                cause.push(("message", Value::from(message.as_str()).to_string()));
                ordered(&cause)
            })
            .collect();
        fields.push((
            "details",
            ordered(&[("causes", format!("[{}]", causes.join(",")))]),
        ));
    }
    if let Some(code) = code {
        fields.push(("code", code.to_string()));
    }
    ordered(&fields).into_bytes()
}

/// The final `Status` of a command that ran.
fn exit_status(reply: &ExecReply, protocol: &str, argv: &[String]) -> Vec<u8> {
    if reply.exit_code == 0 {
        return status_json("Success", None, None, &[], None);
    }
    let code = reply.exit_code;
    // Through the v5 translator the kubelet's exit error is decoded by
    // client-go first; straight from the kubelet it is containerd's.
    let inner = if protocol == V5 {
        format!("command terminated with exit code {code}")
    } else {
        format!(
            "error executing command [{}], exit code {code}",
            argv.join(" ")
        )
    };
    status_json(
        "Failure",
        Some(format!(
            "command terminated with non-zero exit code: {inner}"
        )),
        Some("NonZeroExitCode"),
        &[(Some("ExitCode"), code.to_string())],
        None,
    )
}

/// What the session sends.
struct Session {
    first: u8,
    stdout: Option<Vec<u8>>,
    stderr: Option<Vec<u8>>,
    status: Vec<u8>,
}

async fn play(mut socket: WebSocket, session: Session) {
    let _ = socket.send(frame(session.first, &[])).await;
    for (channel, data) in [(STDOUT, session.stdout), (STDERR, session.stderr)] {
        if let Some(data) = data.filter(|d| !d.is_empty()) {
            let _ = socket.send(frame(channel, &data)).await;
        }
    }
    let _ = socket.send(frame(ERROR, &session.status)).await;
    let _ = socket.close(None).await;
}

/// Serves an exec request (the verb was authorized and the request is a
/// WebSocket upgrade).
pub fn serve(
    shared: &Arc<Shared>,
    namespace: &str,
    name: &str,
    query: &[(String, String)],
    websocket: &WebSocketRequest,
) -> Result<Response<Body>, ApiError> {
    let argv: Vec<String> = query
        .iter()
        .filter(|(k, _)| k == "command")
        .map(|(_, v)| v.clone())
        .collect();
    let (stdout, stderr) = (flag(query, "stdout"), flag(query, "stderr"));
    let first = if stdout {
        STDOUT
    } else if stderr {
        STDERR
    } else {
        ERROR
    };
    let cluster = shared.cluster.lock().expect("cluster lock");
    let pod_value = cluster
        .store()
        .get(
            &super::resources::GroupResource::new("", "pods"),
            namespace,
            name,
        )
        .cloned()
        .ok_or_else(|| status::not_found("", "pods", name))?;
    let container = container_for_stream(&pod_value, query_value(query, "container"))?;
    if pod_value["spec"]["nodeName"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        return Err(status::bad_request(format!(
            "pod {name} does not have a host assigned"
        )));
    }
    let Some(protocol) = websocket.choose(&[V5, V4]) else {
        return Err(status::bad_request(format!(
            "unable to upgrade: requested protocol(s) are not supported: {:?}; supports [{V5} {V4}]",
            websocket.protocols
        )));
    };
    let session = if is_running(&pod_value, &container) {
        let pod: Pod = serde_json::from_value(pod_value).expect("a pod");
        let reply = run(&cluster, &pod, &container, &argv);
        Session {
            first,
            stdout: stdout.then(|| reply.stdout.clone().into_bytes()),
            stderr: stderr.then(|| reply.stderr.clone().into_bytes()),
            status: exit_status(&reply, &protocol, &argv),
        }
    } else {
        let why = format!("container not found ({container:?})");
        if protocol != V5 {
            // Straight to the kubelet: its plain-text 500, proxied as is.
            return Ok(plain_text(500, &why));
        }
        let error = format!("unable to upgrade connection: {why}");
        Session {
            first,
            stdout: None,
            stderr: None,
            status: status_json(
                "Failure",
                Some(format!("Internal error occurred: {error}")),
                Some("InternalError"),
                &[(None, error.clone())],
                Some(500),
            ),
        }
    };
    drop(cluster);
    Ok(websocket.accept(&protocol, move |socket| play(socket, session)))
}
