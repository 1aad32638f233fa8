//! The resource types the double serves: the built-in kinds golive reads
//! (with the plural, scope, short names, verbs and subresources discovery
//! shows for them on a 1.33 API server) and the custom resources found in
//! the loaded objects. Everything that maps a URL or an `apiVersion`/`kind`
//! to a collection goes through this catalogue; it is not the store.

use std::collections::BTreeMap;

/// What `GET /apis/{group}/{version}` says about one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    pub group: String,
    pub version: String,
    /// The plural: the URL segment and what RBAC rules name.
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub subresources: Vec<Subresource>,
    /// A custom resource (served from JSON as loaded, never typed).
    pub custom: bool,
}

/// A subresource row of discovery (`pods/log`, `deployments/scale`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subresource {
    pub name: String,
    pub group: String,
    pub version: String,
    pub kind: String,
    pub verbs: Vec<String>,
}

/// The key of a collection in the store: group and plural (every version
/// of a resource shares one collection, as in etcd).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupResource {
    pub group: String,
    pub resource: String,
}

impl GroupResource {
    pub fn new(group: &str, resource: &str) -> GroupResource {
        GroupResource {
            group: group.to_string(),
            resource: resource.to_string(),
        }
    }
}

impl ResourceType {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub fn group_resource(&self) -> GroupResource {
        GroupResource::new(&self.group, &self.plural)
    }

    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    pub fn subresource(&self, name: &str) -> Option<&Subresource> {
        self.subresources.iter().find(|s| s.name == name)
    }

    /// The collection URL for `namespace` ("" for all namespaces or a
    /// cluster-scoped kind).
    pub fn collection_path(&self, namespace: &str) -> String {
        let prefix = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        if namespace.is_empty() || !self.namespaced {
            format!("{prefix}/{}", self.plural)
        } else {
            format!("{prefix}/namespaces/{namespace}/{}", self.plural)
        }
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The verbs of a built-in resource, in the order discovery lists them.
const BUILTIN_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
/// Custom resources list their verbs in this order.
const CUSTOM_VERBS: &[&str] = &[
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "create",
    "update",
    "watch",
];

struct Builtin {
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    all: bool,
    /// (name, group, version, kind, verbs) of each subresource.
    subresources: &'static [(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
    )],
}

const STATUS_VERBS: &[&str] = &["get", "patch", "update"];
const STREAM_VERBS: &[&str] = &["create", "get"];

const BUILTINS: &[Builtin] = &[
    Builtin {
        group: "",
        version: "v1",
        plural: "configmaps",
        kind: "ConfigMap",
        namespaced: true,
        short_names: &["cm"],
        all: false,
        subresources: &[],
    },
    Builtin {
        group: "",
        version: "v1",
        plural: "events",
        kind: "Event",
        namespaced: true,
        short_names: &["ev"],
        all: false,
        subresources: &[],
    },
    Builtin {
        group: "",
        version: "v1",
        plural: "namespaces",
        kind: "Namespace",
        namespaced: false,
        short_names: &["ns"],
        all: false,
        subresources: &[
            ("finalize", "", "v1", "Namespace", &["update"]),
            ("status", "", "v1", "Namespace", STATUS_VERBS),
        ],
    },
    Builtin {
        group: "",
        version: "v1",
        plural: "nodes",
        kind: "Node",
        namespaced: false,
        short_names: &["no"],
        all: false,
        subresources: &[
            (
                "proxy",
                "",
                "v1",
                "NodeProxyOptions",
                &["create", "delete", "get", "patch", "update"],
            ),
            ("status", "", "v1", "Node", STATUS_VERBS),
        ],
    },
    Builtin {
        group: "",
        version: "v1",
        plural: "persistentvolumeclaims",
        kind: "PersistentVolumeClaim",
        namespaced: true,
        short_names: &["pvc"],
        all: false,
        subresources: &[("status", "", "v1", "PersistentVolumeClaim", STATUS_VERBS)],
    },
    Builtin {
        group: "",
        version: "v1",
        plural: "pods",
        kind: "Pod",
        namespaced: true,
        short_names: &["po"],
        all: true,
        subresources: &[
            ("attach", "", "v1", "PodAttachOptions", STREAM_VERBS),
            ("binding", "", "v1", "Binding", &["create"]),
            ("ephemeralcontainers", "", "v1", "Pod", STATUS_VERBS),
            ("eviction", "policy", "v1", "Eviction", &["create"]),
            ("exec", "", "v1", "PodExecOptions", STREAM_VERBS),
            ("log", "", "v1", "Pod", &["get"]),
            (
                "portforward",
                "",
                "v1",
                "PodPortForwardOptions",
                STREAM_VERBS,
            ),
            (
                "proxy",
                "",
                "v1",
                "PodProxyOptions",
                &["create", "delete", "get", "patch", "update"],
            ),
            ("resize", "", "v1", "Pod", STATUS_VERBS),
            ("status", "", "v1", "Pod", STATUS_VERBS),
        ],
    },
    Builtin {
        group: "",
        version: "v1",
        plural: "secrets",
        kind: "Secret",
        namespaced: true,
        short_names: &[],
        all: false,
        subresources: &[],
    },
    Builtin {
        group: "",
        version: "v1",
        plural: "serviceaccounts",
        kind: "ServiceAccount",
        namespaced: true,
        short_names: &["sa"],
        all: false,
        subresources: &[(
            "token",
            "authentication.k8s.io",
            "v1",
            "TokenRequest",
            &["create"],
        )],
    },
    Builtin {
        group: "",
        version: "v1",
        plural: "services",
        kind: "Service",
        namespaced: true,
        short_names: &["svc"],
        all: true,
        subresources: &[
            (
                "proxy",
                "",
                "v1",
                "ServiceProxyOptions",
                &["create", "delete", "get", "patch", "update"],
            ),
            ("status", "", "v1", "Service", STATUS_VERBS),
        ],
    },
    Builtin {
        group: "apps",
        version: "v1",
        plural: "daemonsets",
        kind: "DaemonSet",
        namespaced: true,
        short_names: &["ds"],
        all: true,
        subresources: &[("status", "apps", "v1", "DaemonSet", STATUS_VERBS)],
    },
    Builtin {
        group: "apps",
        version: "v1",
        plural: "deployments",
        kind: "Deployment",
        namespaced: true,
        short_names: &["deploy"],
        all: true,
        subresources: &[
            ("scale", "autoscaling", "v1", "Scale", STATUS_VERBS),
            ("status", "apps", "v1", "Deployment", STATUS_VERBS),
        ],
    },
    Builtin {
        group: "apps",
        version: "v1",
        plural: "replicasets",
        kind: "ReplicaSet",
        namespaced: true,
        short_names: &["rs"],
        all: true,
        subresources: &[
            ("scale", "autoscaling", "v1", "Scale", STATUS_VERBS),
            ("status", "apps", "v1", "ReplicaSet", STATUS_VERBS),
        ],
    },
    Builtin {
        group: "apps",
        version: "v1",
        plural: "statefulsets",
        kind: "StatefulSet",
        namespaced: true,
        short_names: &["sts"],
        all: true,
        subresources: &[
            ("scale", "autoscaling", "v1", "Scale", STATUS_VERBS),
            ("status", "apps", "v1", "StatefulSet", STATUS_VERBS),
        ],
    },
    Builtin {
        group: "autoscaling",
        version: "v2",
        plural: "horizontalpodautoscalers",
        kind: "HorizontalPodAutoscaler",
        namespaced: true,
        short_names: &["hpa"],
        all: true,
        subresources: &[(
            "status",
            "autoscaling",
            "v2",
            "HorizontalPodAutoscaler",
            STATUS_VERBS,
        )],
    },
    Builtin {
        group: "batch",
        version: "v1",
        plural: "cronjobs",
        kind: "CronJob",
        namespaced: true,
        short_names: &["cj"],
        all: true,
        subresources: &[("status", "batch", "v1", "CronJob", STATUS_VERBS)],
    },
    Builtin {
        group: "batch",
        version: "v1",
        plural: "jobs",
        kind: "Job",
        namespaced: true,
        short_names: &[],
        all: true,
        subresources: &[("status", "batch", "v1", "Job", STATUS_VERBS)],
    },
    Builtin {
        group: "networking.k8s.io",
        version: "v1",
        plural: "ingresses",
        kind: "Ingress",
        namespaced: true,
        short_names: &["ing"],
        all: false,
        subresources: &[("status", "networking.k8s.io", "v1", "Ingress", STATUS_VERBS)],
    },
    Builtin {
        group: "networking.k8s.io",
        version: "v1",
        plural: "ingressclasses",
        kind: "IngressClass",
        namespaced: false,
        short_names: &[],
        all: false,
        subresources: &[],
    },
    Builtin {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        plural: "roles",
        kind: "Role",
        namespaced: true,
        short_names: &[],
        all: false,
        subresources: &[],
    },
    Builtin {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        plural: "clusterroles",
        kind: "ClusterRole",
        namespaced: false,
        short_names: &[],
        all: false,
        subresources: &[],
    },
    Builtin {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        plural: "rolebindings",
        kind: "RoleBinding",
        namespaced: true,
        short_names: &[],
        all: false,
        subresources: &[],
    },
    Builtin {
        group: "rbac.authorization.k8s.io",
        version: "v1",
        plural: "clusterrolebindings",
        kind: "ClusterRoleBinding",
        namespaced: false,
        short_names: &[],
        all: false,
        subresources: &[],
    },
    Builtin {
        group: "networking.k8s.io",
        version: "v1",
        plural: "networkpolicies",
        kind: "NetworkPolicy",
        namespaced: true,
        short_names: &["netpol"],
        all: false,
        subresources: &[],
    },
    Builtin {
        group: "policy",
        version: "v1",
        plural: "poddisruptionbudgets",
        kind: "PodDisruptionBudget",
        namespaced: true,
        short_names: &["pdb"],
        all: false,
        subresources: &[(
            "status",
            "policy",
            "v1",
            "PodDisruptionBudget",
            STATUS_VERBS,
        )],
    },
    Builtin {
        group: "apiextensions.k8s.io",
        version: "v1",
        plural: "customresourcedefinitions",
        kind: "CustomResourceDefinition",
        namespaced: false,
        short_names: &["crd", "crds"],
        all: false,
        subresources: &[(
            "status",
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            STATUS_VERBS,
        )],
    },
];

/// Plurals of well-known custom kinds whose plural is not `kind + "s"`
/// lower-cased; everything else follows the English rules below.
const KNOWN_PLURALS: &[(&str, &str)] = &[
    ("ServiceMonitor", "servicemonitors"),
    ("PodMonitor", "podmonitors"),
    ("PrometheusRule", "prometheusrules"),
    ("Certificate", "certificates"),
    ("ClusterIssuer", "clusterissuers"),
    ("Issuer", "issuers"),
    ("ExternalSecret", "externalsecrets"),
    ("SecretStore", "secretstores"),
    ("ClusterSecretStore", "clustersecretstores"),
    ("Ingress", "ingresses"),
];

/// The plural a CRD would most likely declare for `kind`.
pub fn plural_of(kind: &str) -> String {
    if let Some((_, plural)) = KNOWN_PLURALS.iter().find(|(k, _)| *k == kind) {
        return plural.to_string();
    }
    let lower = kind.to_lowercase();
    if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    if lower.ends_with('s') || lower.ends_with('x') || lower.ends_with("ch") {
        return format!("{lower}es");
    }
    format!("{lower}s")
}

/// Every resource type the double serves, built-in and custom.
#[derive(Debug, Clone)]
pub struct Catalog {
    types: Vec<ResourceType>,
}

impl Default for Catalog {
    fn default() -> Catalog {
        Catalog::builtin()
    }
}

impl Catalog {
    /// The built-in kinds of a 1.33 API server that golive reads.
    pub fn builtin() -> Catalog {
        let types = BUILTINS
            .iter()
            .map(|b| {
                let mut verbs = strings(BUILTIN_VERBS);
                if b.plural == "namespaces" {
                    // Namespaces have no deletecollection.
                    verbs.retain(|v| v != "deletecollection");
                }
                ResourceType {
                    group: b.group.into(),
                    version: b.version.into(),
                    plural: b.plural.into(),
                    singular: b.kind.to_lowercase(),
                    kind: b.kind.into(),
                    namespaced: b.namespaced,
                    verbs,
                    short_names: strings(b.short_names),
                    categories: if b.all { strings(&["all"]) } else { vec![] },
                    subresources: b
                        .subresources
                        .iter()
                        .map(|(name, group, version, kind, verbs)| Subresource {
                            name: name.to_string(),
                            group: group.to_string(),
                            version: version.to_string(),
                            kind: kind.to_string(),
                            verbs: strings(verbs),
                        })
                        .collect(),
                    custom: false,
                }
            })
            .collect();
        Catalog { types }
    }

    /// Adds a custom resource type (what installing its CRD does); a type
    /// already known is left as it is.
    pub fn add_custom(
        &mut self,
        group: &str,
        version: &str,
        kind: &str,
        plural: &str,
        namespaced: bool,
    ) {
        if self.by_plural(group, version, plural).is_some() {
            return;
        }
        self.types.push(ResourceType {
            group: group.into(),
            version: version.into(),
            plural: plural.into(),
            singular: kind.to_lowercase(),
            kind: kind.into(),
            namespaced,
            verbs: strings(CUSTOM_VERBS),
            short_names: vec![],
            categories: vec![],
            subresources: vec![],
            custom: true,
        });
    }

    pub fn types(&self) -> &[ResourceType] {
        &self.types
    }

    pub fn custom_types(&self) -> impl Iterator<Item = &ResourceType> {
        self.types.iter().filter(|t| t.custom)
    }

    pub fn by_plural(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.group == group && t.version == version && t.plural == plural)
    }

    /// The type of a document, from its `apiVersion` and `kind`.
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.api_version() == api_version && t.kind == kind)
    }

    pub fn by_group_resource(&self, gr: &GroupResource) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.group == gr.group && t.plural == gr.resource)
    }

    /// Groups and their versions, in the order `/apis` lists them.
    pub fn groups(&self) -> BTreeMap<String, Vec<String>> {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for t in &self.types {
            let versions = groups.entry(t.group.clone()).or_default();
            if !versions.contains(&t.version) {
                versions.push(t.version.clone());
            }
        }
        groups
    }

    pub fn in_group_version(&self, group: &str, version: &str) -> Vec<&ResourceType> {
        self.types
            .iter()
            .filter(|t| t.group == group && t.version == version)
            .collect()
    }
}
