//! The cluster target (`--target cluster[:CONTEXT]`): the checklist against
//! what actually runs. golive connects as kubectl would (`connect`), reads
//! the objects of the namespaces in scope into the same inventory manifests
//! give (`read`), so every static check runs unchanged, and keeps the
//! client for the steps that look at the running system. Without
//! `--allow-disruption` it only reads: get and list, and the port-forwards
//! and `id -u` execs of the runtime items, which change nothing.
//!
//! Tested against a Kubernetes API double (`tests/kube_double/`), because no
//! API server can run on the machines golive is developed on.

pub mod connect;
pub mod failure;
pub mod netprobe;
pub mod pods;
pub mod read;
pub mod rollout;
pub mod users;

use std::fmt;

use crate::error::InputError;
use crate::probe::tls::Trust;

/// A live cluster a run reads: the API server, and what the certificates
/// of its Ingress hosts must chain to.
#[derive(Debug, Clone)]
pub struct LiveCluster {
    pub connection: connect::Connection,
    pub ingress_trust: Trust,
    /// `--image`: the releases the upgrade drills roll Deployments to.
    pub images: Vec<rollout::ImageChange>,
}

impl LiveCluster {
    /// Connects to the cluster of `target` and reads `--ca-file`.
    pub async fn open(target: &ClusterTarget) -> Result<LiveCluster, InputError> {
        let ingress_trust = match &target.ca_file {
            Some(path) => {
                let place = path.display().to_string();
                let pem = std::fs::read(path)
                    .map_err(|e| InputError::new(&place, format!("cannot read: {e}")))?;
                let trust = Trust::Pem(pem);
                trust
                    .root_store()
                    .map_err(|e| InputError::new(&place, e.to_string()))?;
                trust
            }
            None => Trust::WebPki,
        };
        let connection = connect::connect(target).await?;
        Ok(LiveCluster {
            connection,
            ingress_trust,
            images: target.images.clone(),
        })
    }
}

/// Namespaces left out unless named with `--namespace`: the cluster's own.
pub const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// What `--target cluster[:CONTEXT]`, `--namespace` and
/// `--exclude-namespace` asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterTarget {
    /// The kubeconfig context; `None`: the current context, or the
    /// in-cluster service account when there is no kubeconfig.
    pub context: Option<String>,
    /// Only these namespaces; empty: every namespace but the system ones
    /// and the excluded ones.
    pub namespaces: Vec<String>,
    pub excluded_namespaces: Vec<String>,
    /// The CAs Ingress certificates must chain to (`--ca-file`); `None`:
    /// Mozilla's root program.
    pub ca_file: Option<std::path::PathBuf>,
    /// `--allow-exec`: ask containers their user (`id -u`) where the
    /// kubelet does not report it (see `users`).
    pub allow_exec: bool,
    /// `--image`: the releases the upgrade drills roll Deployments to.
    pub images: Vec<rollout::ImageChange>,
}

impl ClusterTarget {
    /// Whether objects of `namespace` are evaluated.
    pub fn includes(&self, namespace: &str) -> bool {
        let named = if self.namespaces.is_empty() {
            !SYSTEM_NAMESPACES.contains(&namespace)
        } else {
            self.namespaces.iter().any(|n| n == namespace)
        };
        named && !self.excluded_namespaces.iter().any(|n| n == namespace)
    }
}

impl fmt::Display for ClusterTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.context {
            Some(context) => write!(f, "cluster:{context}"),
            None => f.write_str("cluster"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_namespaces_are_left_out_unless_named() {
        let every = ClusterTarget::default();
        assert!(every.includes("production"));
        assert!(!every.includes("kube-system"));
        let named = ClusterTarget {
            namespaces: vec!["kube-system".into()],
            ..Default::default()
        };
        assert!(named.includes("kube-system"));
        assert!(!named.includes("production"));
        let excluded = ClusterTarget {
            excluded_namespaces: vec!["staging".into()],
            ..Default::default()
        };
        assert!(!excluded.includes("staging"));
        assert!(excluded.includes("production"));
    }
}
