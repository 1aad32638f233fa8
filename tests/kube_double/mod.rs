//! A test double of the Kubernetes API server — the only test double the
//! project allows (DESIGN.md, principle 5), because no API server can run
//! on our machines. It serves, over HTTPS on 127.0.0.1, the HTTP/JSON API a
//! 1.33 server serves for what golive uses: discovery, get, list (label
//! and field selectors, pagination), watch, create, update, patch and
//! delete, `pods/log`, and `pods/exec` and `pods/portforward` over
//! WebSocket, with the real paths, status codes, `Status` objects, list
//! envelopes, channel protocols and resourceVersions, so that a kube-rs
//! client cannot tell it apart. Behind it, a [`Cluster`] built from
//! manifests as the API server and the controllers would build it, with
//! runtime defects on demand, and that lives on: a deleted pod is replaced
//! by its controller, a Deployment's new template rolls out within its
//! maxSurge and maxUnavailable (and stalls past its progress deadline when
//! its pods never become Ready), new pods are scheduled and run by a
//! scripted kubelet
//! (network probe pods included, their verdicts decided by a data plane
//! that enforces the NetworkPolicies; a pod whose image a test marks
//! unpullable waits in `ErrImagePull`), each step on the double's clock;
//! a CronJob's history of Jobs is what a test says it ran (`cronjobs.rs`).
//!
//! ```ignore
//! let cluster = Cluster::from_manifest_dir("fixtures/example");
//! let double = KubeDouble::start(cluster);
//! let output = golive_command()
//!     .env("KUBECONFIG", double.kubeconfig_path())
//!     .args(["run", "--target", "cluster:double"])
//!     .output()?;
//! assert!(double.requests().iter().all(|r| r.info.is_read_only()));
//! ```
//!
//! How it hangs together: every change goes through `Store::commit` (so
//! watches see it); `Cluster::schedule` runs delayed steps on the server's
//! clock task — the kubelet's (`kubelet.rs`: a new pod bound, created,
//! started, Ready; a deleted one stopped) and the controllers' reactions to
//! a pod going (`replacements.rs`) and a rollout's syncs (`rolling.rs`);
//! `api.rs` routes the streaming
//! subresources to `exec.rs` and `portforward.rs` through the WebSocket
//! upgrade of `streams.rs` (`pods/attach` answers 501); a network probe
//! pod's log comes from `probes.rs` and `network.rs`.
//!
//! Each integration test binary includes it with `mod kube_double;` and uses
//! only part of it, hence the `dead_code` and `unused_imports` allowances.
#![allow(dead_code, unused_imports)]

mod access;
mod admission;
mod api;
mod bootstrap;
mod cluster;
mod controllers;
mod cronjobs;
mod defaults;
mod discovery;
mod exec;
mod kubeconfig;
mod kubelet;
mod names;
mod network;
mod pods;
mod portforward;
mod probes;
mod registry;
mod replacements;
mod requests;
mod resources;
mod rolling;
mod selectors;
mod server;
mod status;
mod statuses;
mod store;
mod streams;
mod tls;
mod variations;
mod watch;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use access::{Access, DEFAULT_USER, Permissions, Rule};
pub use cluster::{Cluster, ClusterOptions, Kind, NodeSpec, read_manifest_dir};
pub use cronjobs::CronRun;
pub use exec::ExecReply;
pub use kubeconfig::{Context, Kubeconfig};
pub use pods::normalize_image;
pub use portforward::{Served, ServedPort};
pub use probes::{PROBE_KIND, PROBE_LABEL, TARGETS_ENV};
pub use requests::{RecordedRequest, RequestInfo};
pub use resources::{GroupResource, ResourceType};
pub use status::ApiError;
pub use store::{Event, EventType};
pub use variations::{Rollout, Termination};

use api::Shared;
use server::Server;

/// The token of the default user (golive's ServiceAccount).
pub const DEFAULT_TOKEN: &str = "golive-double-token";
/// A token the double knows as expired: 401, like any unknown token.
pub const EXPIRED_TOKEN: &str = "golive-double-expired-token";
/// The context every double's kubeconfig has, current.
pub const DEFAULT_CONTEXT: &str = "double";

/// Installs ring as the process's rustls provider (kube and goose both
/// bring one; without a choice, building a client panics).
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// A running API server double; stops when dropped.
pub struct KubeDouble {
    shared: Arc<Shared>,
    port: u16,
    kubeconfig: Mutex<Kubeconfig>,
    dir: tempfile::TempDir,
    server: Option<Server>,
}

impl KubeDouble {
    /// Serves `cluster` on an ephemeral port of 127.0.0.1 and writes a
    /// kubeconfig whose `double` context reaches it as the default user,
    /// allowed everything.
    pub fn start(cluster: Cluster) -> KubeDouble {
        install_crypto_provider();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
        let port = listener.local_addr().expect("a local address").port();
        let mut access = Access::default();
        access.add_token(DEFAULT_TOKEN, DEFAULT_USER);
        access.set_permissions(DEFAULT_USER, Permissions::all());
        let tls = cluster.pki.server_config();
        let kubeconfig = Kubeconfig {
            server: format!("https://127.0.0.1:{port}"),
            ca_pem: cluster.ca_pem().to_string(),
            contexts: vec![Context::new(DEFAULT_CONTEXT, DEFAULT_TOKEN)],
        };
        let shared = Arc::new(Shared {
            wakeup: cluster.wakeup.clone(),
            cluster: Mutex::new(cluster),
            access: Mutex::new(access),
            log: Mutex::new(Vec::new()),
            address: format!("127.0.0.1:{port}"),
        });
        let server = Server::spawn(shared.clone(), listener, tls);
        let double = KubeDouble {
            shared,
            port,
            kubeconfig: Mutex::new(kubeconfig),
            dir: tempfile::tempdir().expect("a temporary directory"),
            server: Some(server),
        };
        double.write_kubeconfig();
        double
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The kubeconfig file (rewritten whenever a context is added).
    pub fn kubeconfig_path(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    /// The kubeconfig's content.
    pub fn kubeconfig(&self) -> Kubeconfig {
        self.kubeconfig.lock().expect("kubeconfig lock").clone()
    }

    fn write_kubeconfig(&self) {
        let text = self.kubeconfig.lock().expect("kubeconfig lock").to_yaml();
        std::fs::write(self.kubeconfig_path(), text).expect("cannot write the kubeconfig");
    }

    /// Adds (or replaces) a context of the kubeconfig.
    pub fn add_context(&self, context: Context) {
        self.kubeconfig
            .lock()
            .expect("kubeconfig lock")
            .set_context(context);
        self.write_kubeconfig();
    }

    /// A context whose token has expired (every request: 401).
    pub fn add_expired_context(&self, name: &str) {
        self.add_context(Context::new(name, EXPIRED_TOKEN));
    }

    /// A context pointing at a port of 127.0.0.1 nobody listens on.
    pub fn add_unreachable_context(&self, name: &str) {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("an ephemeral port");
            listener.local_addr().expect("a local address").port()
        };
        self.add_context(
            Context::new(name, DEFAULT_TOKEN).server(&format!("https://127.0.0.1:{port}")),
        );
    }

    /// A context of the default user with a default namespace.
    pub fn add_namespace_context(&self, name: &str, namespace: &str) {
        self.add_context(Context::new(name, DEFAULT_TOKEN).namespace(namespace));
    }

    /// A new user with its own token and permissions, and a context for
    /// it; answers the token.
    pub fn add_user_context(&self, context: &str, user: &str, permissions: Permissions) -> String {
        let token = format!(
            "token-{}",
            names::fnv64a(format!("{context}/{user}").as_bytes())
        );
        self.with_access(|access| {
            access.add_token(&token, user);
            access.set_permissions(user, permissions);
        });
        self.add_context(Context::new(context, &token));
        token
    }

    /// Reads or changes the cluster (a change wakes the watches).
    pub fn with_cluster<R>(&self, f: impl FnOnce(&mut Cluster) -> R) -> R {
        let mut cluster = self.shared.cluster.lock().expect("cluster lock");
        let result = f(&mut cluster);
        drop(cluster);
        self.shared.wakeup.notify_one();
        result
    }

    /// Reads or changes tokens and permissions.
    pub fn with_access<R>(&self, f: impl FnOnce(&mut Access) -> R) -> R {
        f(&mut self.shared.access.lock().expect("access lock"))
    }

    /// Takes a permission away from the default user.
    pub fn deny(&self, rule: Rule) {
        self.with_access(|access| {
            let permissions = access.permissions_mut(DEFAULT_USER).clone().deny(rule);
            access.set_permissions(DEFAULT_USER, permissions);
        });
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log.lock().expect("log lock").clone()
    }

    pub fn clear_requests(&self) {
        self.shared.log.lock().expect("log lock").clear();
    }

    /// The verbs of the resource requests received so far.
    pub fn verbs(&self) -> BTreeSet<String> {
        self.requests()
            .into_iter()
            .filter(|r| r.info.resource_request)
            .map(|r| r.info.verb)
            .collect()
    }

    /// The resource requests that were not reads (create, update, patch,
    /// delete, deletecollection; exec and port-forward are `create`).
    pub fn writes(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.info.resource_request && !r.info.is_read_only())
            .collect()
    }

    /// Waits (polling) until `condition` holds on the cluster; answers
    /// whether it did within `timeout`.
    pub fn wait_until(&self, timeout: Duration, condition: impl Fn(&Cluster) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if condition(&self.shared.cluster.lock().expect("cluster lock")) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A kube client of the `double` context (needs a tokio runtime).
    pub async fn client(&self) -> kube::Client {
        self.client_for(DEFAULT_CONTEXT).await
    }

    /// A kube client of a context of the kubeconfig.
    pub async fn client_for(&self, context: &str) -> kube::Client {
        install_crypto_provider();
        let kubeconfig = kube::config::Kubeconfig::read_from(self.kubeconfig_path())
            .expect("a readable kubeconfig");
        let options = kube::config::KubeConfigOptions {
            context: Some(context.into()),
            ..Default::default()
        };
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .expect("a valid kubeconfig");
        kube::Client::try_from(config).expect("a kube client")
    }
}

impl Drop for KubeDouble {
    fn drop(&mut self) {
        // Stop the server before the kubeconfig's directory goes.
        self.server.take();
    }
}
