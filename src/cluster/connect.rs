//! Connecting to a cluster as kubectl does: the kubeconfig files of
//! `KUBECONFIG` (merged, the first to set a value wins) or
//! `~/.kube/config`, the context asked for or the current one, and, with no
//! kubeconfig at all, the in-cluster service account. The connection is
//! proven with one request (`GET /version`), so an unreachable API server or
//! rejected credentials stop the run at once with a message naming the
//! server, the context and the user, never the credentials themselves.

use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::{Client, Config};

use super::ClusterTarget;
use super::failure;
use crate::error::InputError;

/// How long connecting to the API server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one read (a page of a list) may take.
pub(super) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A client of the API server, and what to call it in messages.
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    /// The kubeconfig context, or `in-cluster`.
    pub context: String,
    /// The API server's URL.
    pub server: String,
    /// The kubeconfig user (a name, never its token or key).
    pub user: Option<String>,
    /// The API server's version (`v1.33.0`).
    pub version: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("context", &self.context)
            .field("server", &self.server)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Runs one request with the time limit of a request, its failure
    /// described in words (see `failure::describe`).
    pub async fn call<T>(
        &self,
        request: &failure::Request,
        call: impl Future<Output = kube::Result<T>>,
    ) -> Result<T, String> {
        tokio::time::timeout(REQUEST_TIMEOUT, call)
            .await
            .map_err(|_| {
                format!(
                    "{request}: no answer within {} s",
                    REQUEST_TIMEOUT.as_secs()
                )
            })?
            .map_err(|e| failure::describe(&e, request, self))
    }

    /// `context double (https://127.0.0.1:6443)`: the place of messages.
    pub fn place(&self) -> String {
        format!("cluster context {} ({})", self.context, self.server)
    }
}

/// Connects to the cluster `target` names and proves the connection.
pub async fn connect(target: &ClusterTarget) -> Result<Connection, InputError> {
    let (config, context, user) = configuration(target).await?;
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let client = Client::try_from(config).map_err(|e| {
        let why = match e {
            kube::Error::Auth(_) => failure::credentials_failed(
                &user
                    .as_deref()
                    .map_or_else(|| "golive's user".into(), |u| format!("user {u:?}")),
                &context,
            ),
            other => format!("cannot build a client: {other}"),
        };
        InputError::new(format!("cluster context {context} ({server})"), why)
    })?;
    let mut connection = Connection {
        client,
        context,
        server,
        user,
        version: String::new(),
    };
    let client = connection.client.clone();
    let version = connection
        .call(&failure::Request::version(), client.apiserver_version())
        .await
        .map_err(|message| InputError::new(connection.place(), message))?;
    connection.version = version.git_version;
    Ok(connection)
}

/// The client configuration, the context's name and its user's name.
async fn configuration(
    target: &ClusterTarget,
) -> Result<(Config, String, Option<String>), InputError> {
    let Some((kubeconfig, source)) = kubeconfig()? else {
        if let Some(context) = &target.context {
            return Err(InputError::new(
                "kubeconfig",
                format!(
                    "context {context:?} asked for, but there is no kubeconfig (KUBECONFIG is not set and ~/.kube/config does not exist)"
                ),
            ));
        }
        return in_cluster();
    };
    let context = target
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .ok_or_else(|| {
            InputError::new(
                source.clone(),
                format!(
                    "no current context: name one with --target cluster:CONTEXT ({})",
                    known_contexts(&kubeconfig)
                ),
            )
        })?;
    let Some(named) = kubeconfig.contexts.iter().find(|c| c.name == context) else {
        return Err(InputError::new(
            source,
            format!(
                "no context named {context:?} ({})",
                known_contexts(&kubeconfig)
            ),
        ));
    };
    let user = named.context.as_ref().and_then(|c| c.user.clone());
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        ..Default::default()
    };
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| {
            InputError::new(
                source,
                format!("context {context:?}: {}", kubeconfig_problem(&e)),
            )
        })?;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    Ok((config, context, user))
}

/// The merged kubeconfig and what to call it, or `None` when there is none.
fn kubeconfig() -> Result<Option<(Kubeconfig, String)>, InputError> {
    let paths: Vec<PathBuf> = match std::env::var_os("KUBECONFIG") {
        Some(value) => std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        None => Vec::new(),
    };
    let (paths, source) = if paths.is_empty() {
        let Some(home) = std::env::var_os("HOME").map(PathBuf::from) else {
            return Ok(None);
        };
        let default = home.join(".kube").join("config");
        if !default.exists() {
            return Ok(None);
        }
        let shown = default.display().to_string();
        (vec![default], shown)
    } else {
        let shown = format!(
            "KUBECONFIG={}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(":")
        );
        (paths, shown)
    };
    let mut merged = Kubeconfig::default();
    for path in &paths {
        // Like kubectl: a listed file that does not exist is skipped.
        if !path.exists() {
            continue;
        }
        let file = Kubeconfig::read_from(path)
            .map_err(|e| InputError::new(path.display().to_string(), kubeconfig_problem(&e)))?;
        merged = merged
            .merge(file)
            .map_err(|e| InputError::new(source.clone(), kubeconfig_problem(&e)))?;
    }
    if merged.contexts.is_empty() && merged.clusters.is_empty() {
        return Err(InputError::new(
            source,
            "no kubeconfig there defines a cluster or a context",
        ));
    }
    Ok(Some((merged, source)))
}

/// The service account of the pod golive runs in.
fn in_cluster() -> Result<(Config, String, Option<String>), InputError> {
    let mut config = Config::incluster().map_err(|e| {
        InputError::new(
            "kubeconfig",
            format!(
                "no kubeconfig (KUBECONFIG is not set and ~/.kube/config does not exist), and not running in a cluster ({e})"
            ),
        )
    })?;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    Ok((config, "in-cluster".into(), Some("service account".into())))
}

fn known_contexts(kubeconfig: &Kubeconfig) -> String {
    let names: Vec<&str> = kubeconfig
        .contexts
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    if names.is_empty() {
        "the kubeconfig defines no context".into()
    } else {
        format!("its contexts: {}", names.join(", "))
    }
}

/// A kubeconfig problem in words. A parse error is not quoted: the text
/// around it may be a token or a key.
fn kubeconfig_problem(error: &KubeconfigError) -> String {
    match error {
        KubeconfigError::Parse(_) => {
            "not a valid kubeconfig (YAML); the text is not shown because a kubeconfig holds credentials".into()
        }
        KubeconfigError::ReadConfig(e, path) => format!("cannot read {}: {e}", path.display()),
        other => other.to_string(),
    }
}
