//! The kubeconfig file golive (or a kube client) reads: the double's
//! server with its CA as `certificate-authority-data`, one bearer-token
//! user per context, the `double` context current. Extra contexts cover the
//! cases a go-live run must tell apart: an expired token, a server that is
//! not there, a default namespace, another user.

use base64::Engine as _;
use serde_json::{Value, json};

/// One context of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub name: String,
    pub token: String,
    /// The context's default namespace.
    pub namespace: Option<String>,
    /// Another server than the double (an unreachable one).
    pub server: Option<String>,
}

impl Context {
    pub fn new(name: &str, token: &str) -> Context {
        Context {
            name: name.into(),
            token: token.into(),
            namespace: None,
            server: None,
        }
    }

    pub fn namespace(mut self, namespace: &str) -> Context {
        self.namespace = Some(namespace.into());
        self
    }

    pub fn server(mut self, server: &str) -> Context {
        self.server = Some(server.into());
        self
    }
}

/// The whole file: the double's address and CA, and the contexts (the
/// first one is current).
#[derive(Debug, Clone)]
pub struct Kubeconfig {
    pub server: String,
    pub ca_pem: String,
    pub contexts: Vec<Context>,
}

/// The cluster entry of the double itself.
pub const CLUSTER_NAME: &str = "double";

impl Kubeconfig {
    /// Adds a context, or replaces the one with the same name.
    pub fn set_context(&mut self, context: Context) {
        self.contexts.retain(|c| c.name != context.name);
        self.contexts.push(context);
    }

    pub fn to_value(&self) -> Value {
        let ca = base64::engine::general_purpose::STANDARD.encode(self.ca_pem.as_bytes());
        let cluster = |name: &str, server: &str| json!({"name": name, "cluster": {"server": server, "certificate-authority-data": ca}});
        let mut clusters = vec![cluster(CLUSTER_NAME, &self.server)];
        let mut users = Vec::new();
        let mut contexts = Vec::new();
        for c in &self.contexts {
            let cluster_name = match &c.server {
                Some(server) => {
                    clusters.push(cluster(&c.name, server));
                    c.name.clone()
                }
                None => CLUSTER_NAME.to_string(),
            };
            let user = if c.name == CLUSTER_NAME {
                "golive".to_string()
            } else {
                c.name.clone()
            };
            users.push(json!({"name": user, "user": {"token": c.token}}));
            let mut context = json!({"cluster": cluster_name, "user": user});
            if let Some(namespace) = &c.namespace {
                context["namespace"] = json!(namespace);
            }
            contexts.push(json!({"name": c.name, "context": context}));
        }
        json!({
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": clusters,
            "users": users,
            "contexts": contexts,
            "current-context": self.contexts.first().map(|c| c.name.clone()).unwrap_or_default(),
        })
    }

    /// The file's text (YAML).
    pub fn to_yaml(&self) -> String {
        serde_saphyr::to_string(&self.to_value()).expect("a kubeconfig serializes")
    }
}
