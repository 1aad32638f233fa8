//! The READY example application (`fixtures/example`) as JSON documents,
//! and the table of known violations of the checklist: one mutation (or
//! more) per check, each applied to a copy of the example. The mutation test
//! (tests/mutations.rs) evaluates them as manifests, the cluster test
//! (tests/cluster.rs) loads them into the Kubernetes API double: both must
//! catch every one with the same check.

use serde_json::{Value, json};

use super::{root, temp_tree};

/// The example application as documents, file by file.
#[derive(Clone)]
pub struct Example {
    pub files: Vec<(String, Vec<Value>)>,
}

impl Example {
    /// Every document, file after file.
    pub fn documents(&self) -> Vec<Value> {
        self.files
            .iter()
            .flat_map(|(_, documents)| documents.iter().cloned())
            .collect()
    }

    pub fn load() -> Example {
        let dir = root().join("fixtures/example");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("cannot list fixtures/example")
            .map(|e| {
                e.expect("directory entry")
                    .file_name()
                    .into_string()
                    .unwrap()
            })
            .filter(|n| n.ends_with(".yaml"))
            .collect();
        names.sort();
        let files = names
            .into_iter()
            .map(|name| {
                let text = std::fs::read_to_string(dir.join(&name)).unwrap();
                let documents: Vec<Value> = serde_saphyr::from_multiple(&text)
                    .unwrap_or_else(|e| panic!("fixtures/example/{name}: {e}"));
                (name, documents)
            })
            .collect();
        Example { files }
    }

    fn position(&self, kind: &str, name: &str) -> (usize, usize) {
        for (f, (_, documents)) in self.files.iter().enumerate() {
            for (d, document) in documents.iter().enumerate() {
                if document["kind"] == kind && document["metadata"]["name"] == name {
                    return (f, d);
                }
            }
        }
        panic!("the example has no {kind}/{name}")
    }

    /// The document of one object.
    pub fn object(&mut self, kind: &str, name: &str) -> &mut Value {
        let (f, d) = self.position(kind, name);
        &mut self.files[f].1[d]
    }

    fn remove(&mut self, kind: &str, name: &str) {
        let (f, d) = self.position(kind, name);
        self.files[f].1.remove(d);
    }

    /// Writes the documents as YAML files (JSON flow style, one document
    /// per `---`) into a temporary directory.
    pub fn write(&self) -> tempfile::TempDir {
        let texts: Vec<(String, Vec<u8>)> = self
            .files
            .iter()
            .map(|(name, documents)| {
                let text = documents
                    .iter()
                    .map(|d| serde_json::to_string_pretty(d).unwrap())
                    .collect::<Vec<_>>()
                    .join("\n---\n");
                (name.clone(), text.into_bytes())
            })
            .collect();
        let files: Vec<(&str, &[u8])> = texts
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_slice()))
            .collect();
        temp_tree(&files)
    }
}

/// The value at a JSON pointer (`~1` stands for `/` in a key), created
/// (as objects) when missing.
pub fn at<'v>(value: &'v mut Value, pointer: &str) -> &'v mut Value {
    pointer
        .split('/')
        .skip(1)
        .map(|key| key.replace("~1", "/").replace("~0", "~"))
        .fold(value, |current, key| match current {
            Value::Array(items) => &mut items[key.parse::<usize>().expect("array index")],
            _ => {
                if !current.is_object() {
                    *current = json!({});
                }
                current
                    .as_object_mut()
                    .unwrap()
                    .entry(key)
                    .or_insert(Value::Null)
            }
        })
}

pub fn set(value: &mut Value, pointer: &str, new: Value) {
    *at(value, pointer) = new;
}

pub fn unset(value: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer with a parent");
    let key = key.replace("~1", "/").replace("~0", "~");
    let removed = at(value, parent)
        .as_object_mut()
        .and_then(|o| o.remove(&key));
    assert!(removed.is_some(), "nothing at {pointer} to remove");
}

/// The Secret the External Secrets controller writes from the example's
/// ExternalSecret `factory-secrets` in a real cluster (placeholder values,
/// the keys the workloads read): what the Kubernetes API double holds in
/// its place.
pub fn produced_secret() -> Value {
    let placeholder = |text: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(text)
    };
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "factory-secrets",
            "namespace": "production",
            "labels": {"app.kubernetes.io/part-of": "factory"}
        },
        "type": "Opaque",
        "data": {
            "database-url": placeholder("postgres://app:CHANGE-ME@postgres-0.postgres:5432/factory"),
            "postgres-password": placeholder("CHANGE-ME"),
            "redis-url": placeholder("redis://:CHANGE-ME@redis:6379/0"),
            "redis-password": placeholder("CHANGE-ME")
        }
    })
}

const CONTAINER: &str = "/spec/template/spec/containers/0";
const POD: &str = "/spec/template/spec";

/// One known violation.
pub struct Mutation {
    pub check: &'static str,
    pub what: &'static str,
    pub apply: fn(&mut Example),
}

pub fn mutations() -> Vec<Mutation> {
    macro_rules! m {
        ($check:literal, $what:literal, |$e:ident| $body:expr) => {
            Mutation {
                check: $check,
                what: $what,
                apply: |$e: &mut Example| {
                    $body;
                },
            }
        };
    }
    vec![
        m!(
            "api.removed-version",
            "factory-api is written at extensions/v1beta1, removed in Kubernetes 1.16",
            |e| set(
                e.object("Deployment", "factory-api"),
                "/apiVersion",
                "extensions/v1beta1".into()
            )
        ),
        m!(
            "api.unknown-fields",
            "factory-api's container spells its resources `resource`",
            |e| {
                let container = at(e.object("Deployment", "factory-api"), CONTAINER);
                let resources = container["resources"].take();
                set(container, "/resource", resources);
                unset(container, "/resources");
            }
        ),
        m!(
            "api.selector-match",
            "factory-api's selector asks for a version label its pod template lacks",
            |e| set(
                e.object("Deployment", "factory-api"),
                "/spec/selector/matchLabels/version",
                json!("1.4")
            )
        ),
        m!(
            "probe.liveness",
            "factory-api loses its liveness probe",
            |e| unset(
                e.object("Deployment", "factory-api"),
                &format!("{CONTAINER}/livenessProbe")
            )
        ),
        m!(
            "probe.readiness",
            "factory-api loses its readiness probe",
            |e| unset(
                e.object("Deployment", "factory-api"),
                &format!("{CONTAINER}/readinessProbe")
            )
        ),
        m!(
            "probe.distinct",
            "factory-api readiness checks /health like liveness",
            |e| set(
                e.object("Deployment", "factory-api"),
                &format!("{CONTAINER}/readinessProbe/httpGet/path"),
                json!("/api/v1/health")
            )
        ),
        m!(
            "probe.port",
            "factory-api liveness probes an undeclared port name",
            |e| set(
                e.object("Deployment", "factory-api"),
                &format!("{CONTAINER}/livenessProbe/httpGet/port"),
                json!("metrics")
            )
        ),
        m!(
            "probe.startup-budget",
            "factory-api's startup probe gives up after 5 s, before readiness allows 10 s",
            |e| set(
                e.object("Deployment", "factory-api"),
                &format!("{CONTAINER}/startupProbe/failureThreshold"),
                json!(1)
            )
        ),
        m!(
            "probe.liveness-window",
            "factory-api liveness gives up after 10 s, as soon as readiness does",
            |e| set(
                e.object("Deployment", "factory-api"),
                &format!("{CONTAINER}/livenessProbe/failureThreshold"),
                json!(1)
            )
        ),
        m!(
            "probe.timeout",
            "factory-api readiness waits 10 s for an answer every 5 s",
            |e| set(
                e.object("Deployment", "factory-api"),
                &format!("{CONTAINER}/readinessProbe/timeoutSeconds"),
                json!(10)
            )
        ),
        m!(
            "probe.remote-host",
            "worker liveness pings Redis through sh -c",
            |e| set(
                e.object("Deployment", "worker"),
                &format!("{CONTAINER}/livenessProbe/exec/command"),
                json!(["sh", "-c", "redis-cli -h redis ping | grep -q PONG"])
            )
        ),
        m!(
            "resources.cpu-requests",
            "worker requests and limits no CPU",
            |e| {
                let worker = e.object("Deployment", "worker");
                unset(worker, &format!("{CONTAINER}/resources/requests/cpu"));
                unset(worker, &format!("{CONTAINER}/resources/limits/cpu"));
            }
        ),
        m!(
            "resources.memory-requests",
            "postgres requests and limits no memory",
            |e| {
                let postgres = e.object("StatefulSet", "postgres");
                unset(postgres, &format!("{CONTAINER}/resources/requests/memory"));
                unset(postgres, &format!("{CONTAINER}/resources/limits/memory"));
            }
        ),
        m!(
            "resources.cpu-limits",
            "worker has no CPU limit",
            |e| unset(
                e.object("Deployment", "worker"),
                &format!("{CONTAINER}/resources/limits/cpu")
            )
        ),
        m!(
            "resources.memory-limits",
            "postgres has no memory limit",
            |e| unset(
                e.object("StatefulSet", "postgres"),
                &format!("{CONTAINER}/resources/limits/memory")
            )
        ),
        m!(
            "resources.ephemeral-storage-limits",
            "worker has no ephemeral-storage limit",
            |e| unset(
                e.object("Deployment", "worker"),
                &format!("{CONTAINER}/resources/limits/ephemeral-storage")
            )
        ),
        m!(
            "resources.limits-cover-requests",
            "admin-web limits memory below its request",
            |e| set(
                e.object("Deployment", "admin-web"),
                &format!("{CONTAINER}/resources/limits/memory"),
                json!("32Mi")
            )
        ),
        m!(
            "security.non-root",
            "factory-api container overrides the pod to run as root",
            |e| set(
                e.object("Deployment", "factory-api"),
                &format!("{CONTAINER}/securityContext/runAsUser"),
                json!(0)
            )
        ),
        m!(
            "security.privilege-escalation",
            "worker may escalate privileges",
            |e| unset(
                e.object("Deployment", "worker"),
                &format!("{CONTAINER}/securityContext/allowPrivilegeEscalation")
            )
        ),
        m!(
            "security.read-only-root",
            "redis root filesystem is writable",
            |e| set(
                e.object("Deployment", "redis"),
                &format!("{CONTAINER}/securityContext/readOnlyRootFilesystem"),
                json!(false)
            )
        ),
        m!("security.capabilities", "factory-api adds NET_ADMIN", |e| {
            set(
                e.object("Deployment", "factory-api"),
                &format!("{CONTAINER}/securityContext/capabilities/add"),
                json!(["NET_ADMIN"]),
            )
        }),
        m!("security.privileged", "worker runs privileged", |e| set(
            e.object("Deployment", "worker"),
            &format!("{CONTAINER}/securityContext/privileged"),
            json!(true)
        )),
        m!(
            "security.host-namespaces",
            "admin-web shares the host network",
            |e| set(
                e.object("Deployment", "admin-web"),
                &format!("{POD}/hostNetwork"),
                json!(true)
            )
        ),
        m!(
            "security.host-path",
            "worker mounts the Docker socket",
            |e| {
                let worker = e.object("Deployment", "worker");
                at(worker, &format!("{POD}/volumes"))
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}));
                at(worker, &format!("{CONTAINER}/volumeMounts"))
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"name": "docker", "mountPath": "/var/run/docker.sock"}));
            }
        ),
        m!(
            "security.host-ports",
            "factory-api binds a host port",
            |e| set(
                e.object("Deployment", "factory-api"),
                &format!("{CONTAINER}/ports/0/hostPort"),
                json!(3000)
            )
        ),
        m!(
            "security.seccomp",
            "factory-api container is Unconfined",
            |e| set(
                e.object("Deployment", "factory-api"),
                &format!("{CONTAINER}/securityContext/seccompProfile/type"),
                json!("Unconfined")
            )
        ),
        m!(
            "security.service-account-token",
            "admin-web mounts the API token it does not need",
            |e| set(
                e.object("Deployment", "admin-web"),
                &format!("{POD}/automountServiceAccountToken"),
                json!(true)
            )
        ),
        m!("security.proc-mount", "worker unmasks /proc", |e| set(
            e.object("Deployment", "worker"),
            &format!("{CONTAINER}/securityContext/procMount"),
            json!("Unmasked")
        )),
        m!(
            "security.sysctls",
            "redis raises the node's vm.overcommit_memory",
            |e| set(
                e.object("Deployment", "redis"),
                &format!("{POD}/securityContext/sysctls"),
                json!([{"name": "vm.overcommit_memory", "value": "1"}])
            )
        ),
        m!(
            "rbac.service-account",
            "the worker's ServiceAccount is left out of the release",
            |e| e.remove("ServiceAccount", "worker")
        ),
        m!(
            "rbac.admin-roles",
            "the worker is bound to cluster-admin",
            |e| set(
                e.object("RoleBinding", "worker-leader-election"),
                "/roleRef",
                json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"})
            )
        ),
        m!(
            "rbac.wildcards",
            "the worker's Role grants every verb on Leases",
            |e| set(
                e.object("Role", "worker-leader-election"),
                "/rules/0/verbs",
                json!(["*"])
            )
        ),
        m!(
            "rbac.sensitive-permissions",
            "the worker may exec into the pods of the namespace",
            |e| at(e.object("Role", "worker-leader-election"), "/rules")
                .as_array_mut()
                .unwrap()
                .push(json!({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}))
        ),
        m!("image.tag", "worker image has no tag", |e| set(
            e.object("Deployment", "worker"),
            &format!("{CONTAINER}/image"),
            json!("registry.company.com/factory-worker")
        )),
        m!(
            "image.pull-policy",
            "factory-api never pulls its image",
            |e| set(
                e.object("Deployment", "factory-api"),
                &format!("{CONTAINER}/imagePullPolicy"),
                json!("Never")
            )
        ),
        m!(
            "availability.replicas",
            "worker runs a single replica",
            |e| set(e.object("Deployment", "worker"), "/spec/replicas", json!(1))
        ),
        m!(
            "availability.pdb",
            "worker loses its PodDisruptionBudget",
            |e| e.remove("PodDisruptionBudget", "worker")
        ),
        m!(
            "availability.pdb-drain",
            "factory-api PDB keeps every replica",
            |e| set(
                e.object("PodDisruptionBudget", "factory-api"),
                "/spec/minAvailable",
                json!(3)
            )
        ),
        m!(
            "availability.hpa-required",
            "factory-api loses its autoscaler",
            |e| e.remove("HorizontalPodAutoscaler", "factory-api")
        ),
        m!(
            "availability.hpa-target",
            "the HPA targets a misspelt Deployment",
            |e| set(
                e.object("HorizontalPodAutoscaler", "factory-api"),
                "/spec/scaleTargetRef/name",
                json!("factory-apii")
            )
        ),
        m!(
            "availability.hpa-range",
            "the HPA may scale down to one replica",
            |e| set(
                e.object("HorizontalPodAutoscaler", "factory-api"),
                "/spec/minReplicas",
                json!(1)
            )
        ),
        m!(
            "availability.hpa-metrics",
            "the HPA scales on a queue metric only",
            |e| set(
                e.object("HorizontalPodAutoscaler", "factory-api"),
                "/spec/metrics",
                json!([{"type": "Pods", "pods": {"metric": {"name": "queue_depth"},
                "target": {"type": "AverageValue", "averageValue": "30"}}}])
            )
        ),
        m!(
            "availability.hpa-utilization",
            "the HPA keeps factory-api at 95 % CPU",
            |e| set(
                e.object("HorizontalPodAutoscaler", "factory-api"),
                "/spec/metrics/0/resource/target/averageUtilization",
                json!(95)
            )
        ),
        m!(
            "availability.hpa-scale-down",
            "the HPA scales factory-api down without a stabilization window",
            |e| set(
                e.object("HorizontalPodAutoscaler", "factory-api"),
                "/spec/behavior/scaleDown/stabilizationWindowSeconds",
                json!(0)
            )
        ),
        m!(
            "availability.hpa-owned-replicas",
            "factory-api writes replicas 3 under its autoscaler",
            |e| set(
                e.object("Deployment", "factory-api"),
                "/spec/replicas",
                json!(3)
            )
        ),
        m!(
            "availability.spread",
            "worker replicas may all land on one node",
            |e| unset(
                e.object("Deployment", "worker"),
                &format!("{POD}/topologySpreadConstraints")
            )
        ),
        m!(
            "availability.rolling-update",
            "factory-api rollouts may remove a serving replica",
            |e| set(
                e.object("Deployment", "factory-api"),
                "/spec/strategy/rollingUpdate/maxUnavailable",
                json!(1)
            )
        ),
        m!(
            "network.policy",
            "no policy isolates the worker any more",
            |e| {
                e.remove("NetworkPolicy", "default-deny-all");
                e.remove("NetworkPolicy", "allow-dns-egress");
                e.remove("NetworkPolicy", "worker");
            }
        ),
        m!(
            "network.default-deny",
            "the namespace denies ingress only by default",
            |e| set(
                e.object("NetworkPolicy", "default-deny-all"),
                "/spec/policyTypes",
                json!(["Ingress"])
            )
        ),
        m!("network.dns-egress", "DNS is allowed over TCP only", |e| {
            set(
                e.object("NetworkPolicy", "allow-dns-egress"),
                "/spec/egress/0/ports",
                json!([{"protocol": "TCP", "port": 53}]),
            )
        }),
        m!(
            "network.ingress-open",
            "factory-api accepts traffic from anywhere",
            |e| unset(
                e.object("NetworkPolicy", "factory-api"),
                "/spec/ingress/0/from"
            )
        ),
        m!(
            "network.no-internet-egress",
            "redis may reach the internet",
            |e| set(
                e.object("NetworkPolicy", "redis"),
                "/spec/egress",
                json!([{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}])
            )
        ),
        m!("ingress.tls", "the admin host is served without TLS", |e| {
            set(
                e.object("Ingress", "factory-ingress"),
                "/spec/tls/0/hosts",
                json!(["api.factory.company.com"]),
            )
        }),
        m!(
            "ingress.https-redirect",
            "plain HTTP is no longer redirected",
            |e| {
                let ingress = e.object("Ingress", "factory-ingress");
                set(
                    ingress,
                    "/metadata/annotations/nginx.ingress.kubernetes.io~1ssl-redirect",
                    json!("false"),
                );
                set(
                    ingress,
                    "/metadata/annotations/nginx.ingress.kubernetes.io~1force-ssl-redirect",
                    json!("false"),
                );
            }
        ),
        m!("ingress.rate-limit", "rate limiting is removed", |e| {
            let ingress = e.object("Ingress", "factory-ingress");
            unset(
                ingress,
                "/metadata/annotations/nginx.ingress.kubernetes.io~1limit-rps",
            );
            unset(
                ingress,
                "/metadata/annotations/nginx.ingress.kubernetes.io~1limit-connections",
            );
        }),
        m!(
            "ingress.certificate",
            "nothing issues the TLS certificate",
            |e| unset(
                e.object("Ingress", "factory-ingress"),
                "/metadata/annotations/cert-manager.io~1cluster-issuer"
            )
        ),
        m!(
            "ingress.snippets",
            "the Ingress adds a header with a configuration-snippet",
            |e| set(
                e.object("Ingress", "factory-ingress"),
                "/metadata/annotations/nginx.ingress.kubernetes.io~1configuration-snippet",
                json!("more_set_headers \"X-Frame-Options: DENY\";")
            )
        ),
        m!(
            "cert-manager.issuer",
            "the Ingress names a ClusterIssuer nobody defines",
            |e| set(
                e.object("Ingress", "factory-ingress"),
                "/metadata/annotations/cert-manager.io~1cluster-issuer",
                json!("letsencrypt-production")
            )
        ),
        m!(
            "ingress.backend",
            "a rule routes to a misspelt Service",
            |e| set(
                e.object("Ingress", "factory-ingress"),
                "/spec/rules/0/http/paths/0/backend/service/name",
                json!("factory-apii")
            )
        ),
        m!(
            "namespace.pod-security",
            "the namespace enforces only baseline",
            |e| set(
                e.object("Namespace", "production"),
                "/metadata/labels/pod-security.kubernetes.io~1enforce",
                json!("baseline")
            )
        ),
        m!(
            "service.selects",
            "the redis Service selector has a typo",
            |e| set(
                e.object("Service", "redis"),
                "/spec/selector",
                json!({"app": "rediss"})
            )
        ),
        m!(
            "service.target-port",
            "the factory-api Service targets a port name nobody declares",
            |e| set(
                e.object("Service", "factory-api"),
                "/spec/ports/0/targetPort",
                json!("https")
            )
        ),
        m!("service.reachable", "postgres loses its Service", |e| e
            .remove("Service", "postgres")),
        m!(
            "service.headless",
            "the postgres Service loses clusterIP: None",
            |e| unset(e.object("Service", "postgres"), "/spec/clusterIP")
        ),
        m!(
            "service.exposure",
            "the admin-web Service becomes a LoadBalancer",
            |e| set(
                e.object("Service", "admin-web"),
                "/spec/type",
                json!("LoadBalancer")
            )
        ),
        m!(
            "secrets.literal-credentials",
            "factory-api gets a token as a literal",
            |e| {
                let api = e.object("Deployment", "factory-api");
                at(api, &format!("{CONTAINER}/env"))
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"name": "PAYMENT_API_TOKEN", "value": "tok-4f9a2c7d1e8b"}));
            }
        ),
        m!(
            "secrets.managed",
            "the credentials are committed as a Secret instead of an ExternalSecret",
            |e| *e.object("ExternalSecret", "factory-secrets") = produced_secret()
        ),
        m!(
            "config.references",
            "worker takes its settings from a ConfigMap the release does not ship",
            |e| set(
                e.object("Deployment", "worker"),
                &format!("{CONTAINER}/envFrom/0/configMapRef/name"),
                json!("factory-settings")
            )
        ),
        m!(
            "secrets.references",
            "worker reads a Secret that does not exist",
            |e| set(
                e.object("Deployment", "worker"),
                &format!("{CONTAINER}/env/0/valueFrom/secretKeyRef/name"),
                json!("factory-secret")
            )
        ),
        m!(
            "observability.scrape",
            "factory-api is no longer scraped",
            |e| e.remove("ServiceMonitor", "factory-api")
        ),
        m!(
            "observability.alerts",
            "the alerting rules are dropped",
            |e| e.remove("PrometheusRule", "factory-alerts")
        ),
        m!(
            "observability.alerts",
            "APIDown fires on the first failed scrape (no for:)",
            |e| unset(
                e.object("PrometheusRule", "factory-alerts"),
                "/spec/groups/0/rules/0/for"
            )
        ),
        m!(
            "observability.alerts",
            "the error-rate alert watches the staging namespace",
            |e| {
                let expr = at(
                    e.object("PrometheusRule", "factory-alerts"),
                    "/spec/groups/1/rules/0/expr",
                );
                *expr = json!(expr.as_str().unwrap().replace("production", "staging"));
            }
        ),
        m!(
            "observability.alerts",
            "postgres loses its replication-lag alert",
            |e| at(
                e.object("PrometheusRule", "factory-alerts"),
                "/spec/groups/2/rules"
            )
            .as_array_mut()
            .unwrap()
            .remove(0)
        ),
        m!(
            "observability.alert-expressions",
            "the latency alert's expression loses a parenthesis",
            |e| set(
                e.object("PrometheusRule", "factory-alerts"),
                "/spec/groups/1/rules/1/expr",
                json!(
                    "histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket[5m])) > 0.2"
                )
            )
        ),
        m!(
            "suppression.valid",
            "the redis waiver loses its reason",
            |e| unset(
                e.object("Deployment", "redis"),
                "/metadata/annotations/golive.dev~1skip-reason"
            )
        ),
    ]
}
