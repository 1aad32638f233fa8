//! "What runs": a [`Cluster`] is the state the double serves, built from
//! manifests the way the API server and the controllers would build it
//! (defaults, UIDs, ReplicaSets and pods running on nodes, statuses of a
//! finished rollout), plus the typed handles tests use to read and change
//! it. It holds the store, the resource catalogue, the options and the
//! clock (delayed tasks such as a pod's termination); the HTTP side is in
//! `server.rs`, the API semantics in `registry.rs`, the controllers in
//! `controllers.rs` and the runtime defects in `variations.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::Resource;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::bootstrap;
use super::controllers;
use super::exec::ExecHook;
use super::names::{Rng, now, seconds};
use super::pods::ImageUsers;
use super::portforward::ServedPort;
use super::resources::{Catalog, GroupResource, ResourceType, plural_of};
use super::rolling::RollingUpdate;
use super::status::ApiError;
use super::statuses;
use super::store::Store;
use super::tls::Pki;

/// One node of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    pub name: String,
    pub zone: String,
}

impl NodeSpec {
    pub fn new(name: &str, zone: &str) -> NodeSpec {
        NodeSpec {
            name: name.into(),
            zone: zone.into(),
        }
    }
}

/// How the cluster is made and how it behaves over time.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The nodes (default: node-a/b/c in zone-a/b/c).
    pub nodes: Vec<NodeSpec>,
    /// The images' own users, `(uid, gid)` by repository or reference;
    /// an image not listed runs as root.
    pub image_users: BTreeMap<String, (i64, i64)>,
    /// How long a gracefully deleted pod takes to go (capped by its grace
    /// period); a namespace being deleted takes as long.
    pub termination_delay: Duration,
    /// The longest a watch stays open (the real server's is 30 to 60 min;
    /// tests want seconds). A shorter `timeoutSeconds` wins.
    pub max_watch: Duration,
    /// The seed of the generated names and UIDs.
    pub seed: u64,
    /// How long a controller takes to create the replacement of a pod that
    /// is terminating (ReplicaSet) or gone (StatefulSet, DaemonSet).
    pub replacement_delay: Duration,
    /// How long the scheduler takes to bind a new pod to a node.
    pub scheduling_delay: Duration,
    /// How long the kubelet takes from the binding to running containers
    /// (sandbox, image, start); a network probe pod also runs this long.
    pub start_delay: Duration,
    /// How long a started container with a readiness (or startup) probe
    /// takes to pass it; a crash-looping one crashes after as long.
    pub readiness_delay: Duration,
    /// Whether the CNI enforces NetworkPolicies (`false`: a CNI without
    /// policy support, through which every connection goes).
    pub network_policies_enforced: bool,
    /// Every pod a workload controller creates from now on crash-loops
    /// (see also [`Cluster::crash_loop_new_pods`] for one workload).
    pub new_pods_crash_loop: bool,
    /// Images no registry of the cluster serves: a pod created with one
    /// stays Pending, its container waiting in `ErrImagePull`.
    pub unpullable_images: BTreeSet<String>,
}

impl Default for ClusterOptions {
    fn default() -> ClusterOptions {
        ClusterOptions {
            nodes: vec![
                NodeSpec::new("node-a", "zone-a"),
                NodeSpec::new("node-b", "zone-b"),
                NodeSpec::new("node-c", "zone-c"),
            ],
            image_users: BTreeMap::new(),
            termination_delay: Duration::from_secs(1),
            max_watch: Duration::from_secs(5),
            seed: 0x601_1fe,
            replacement_delay: Duration::from_millis(200),
            scheduling_delay: Duration::from_millis(100),
            start_delay: Duration::from_millis(300),
            readiness_delay: Duration::from_secs(1),
            network_policies_enforced: true,
            new_pods_crash_loop: false,
            unpullable_images: BTreeSet::new(),
        }
    }
}

impl ClusterOptions {
    pub fn nodes(mut self, nodes: Vec<NodeSpec>) -> ClusterOptions {
        self.nodes = nodes;
        self
    }

    /// The image (repository, e.g. `docker.io/library/nginx`, or full
    /// reference) runs as `uid:gid` unless the pod says otherwise.
    pub fn image_user(mut self, image: &str, uid: i64, gid: i64) -> ClusterOptions {
        self.image_users.insert(image.into(), (uid, gid));
        self
    }

    /// No registry serves `image` (a closed network without its mirror).
    pub fn unpullable_image(mut self, image: &str) -> ClusterOptions {
        self.unpullable_images.insert(image.into());
        self
    }

    pub fn termination_delay(mut self, delay: Duration) -> ClusterOptions {
        self.termination_delay = delay;
        self
    }

    pub fn max_watch(mut self, max: Duration) -> ClusterOptions {
        self.max_watch = max;
        self
    }

    pub fn replacement_delay(mut self, delay: Duration) -> ClusterOptions {
        self.replacement_delay = delay;
        self
    }

    pub fn scheduling_delay(mut self, delay: Duration) -> ClusterOptions {
        self.scheduling_delay = delay;
        self
    }

    pub fn start_delay(mut self, delay: Duration) -> ClusterOptions {
        self.start_delay = delay;
        self
    }

    pub fn readiness_delay(mut self, delay: Duration) -> ClusterOptions {
        self.readiness_delay = delay;
        self
    }

    /// `false`: a CNI that ignores NetworkPolicies (every probe `open`).
    pub fn network_policies_enforced(mut self, enforced: bool) -> ClusterOptions {
        self.network_policies_enforced = enforced;
        self
    }

    /// Every pod the workload controllers create after the cluster is
    /// built (replacements) crash-loops and never becomes Ready.
    pub fn new_pods_crash_loop(mut self, crash: bool) -> ClusterOptions {
        self.new_pods_crash_loop = crash;
        self
    }
}

/// Something the clock runs later, with the cluster locked.
type TaskFn = Box<dyn FnOnce(&mut Cluster) + Send>;

struct Task {
    due: Instant,
    seq: u64,
    run: TaskFn,
}

/// What a workload's controller is told to report instead of the truth
/// (set by the variations; see `variations.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControllerOverride {
    /// The controller does not touch the status at all.
    pub frozen: bool,
    /// The generation the controller has seen (`observedGeneration`).
    pub observed_generation: Option<i64>,
    /// Deployment `Progressing` condition: `ReplicaSetUpdated` (still
    /// rolling) or `ProgressDeadlineExceeded`.
    pub progressing: Option<String>,
}

/// Kinds whose objects have a `metadata.generation` on a real server.
pub fn has_generation(resource: &ResourceType) -> bool {
    resource.custom
        || matches!(
            resource.plural.as_str(),
            "deployments"
                | "replicasets"
                | "statefulsets"
                | "daemonsets"
                | "jobs"
                | "cronjobs"
                | "ingresses"
                | "networkpolicies"
                | "poddisruptionbudgets"
                | "horizontalpodautoscalers"
                | "customresourcedefinitions"
                | "pods"
        )
}

/// A k8s-openapi type the cluster can hold.
pub trait Kind: Resource + Serialize + DeserializeOwned + Clone {}
impl<K: Resource + Serialize + DeserializeOwned + Clone> Kind for K {}

fn group_resource<K: Kind>() -> GroupResource {
    GroupResource::new(K::GROUP, K::URL_PATH_SEGMENT)
}

pub struct Cluster {
    pub(crate) store: Store,
    pub(crate) catalog: Catalog,
    pub(crate) options: ClusterOptions,
    pub(crate) rng: Rng,
    pub(crate) pki: Pki,
    pub(crate) image_users: ImageUsers,
    pub(crate) overrides: BTreeMap<(String, String, String), ControllerOverride>,
    tasks: Vec<Task>,
    task_seq: u64,
    pub(crate) wakeup: Arc<tokio::sync::Notify>,
    pub(crate) next_service_ip: u32,
    pub(crate) next_pod_ip: BTreeMap<String, u32>,
    /// While the manifests are loaded, objects are dated from `born`.
    pub(crate) loading: bool,
    /// While the manifests are loaded, statuses are computed once at the end.
    pub(crate) deferring: bool,
    pub(crate) born: Timestamp,
    pub(crate) pod_logs: BTreeMap<(String, String, String), String>,
    /// What serves the pods' ports to port forwards (`portforward.rs`).
    pub(crate) served_ports: Vec<ServedPort>,
    /// The tests' scripts for `pods/exec` (`exec.rs`).
    pub(crate) exec_hooks: Vec<ExecHook>,
    /// `(namespace, workload)` whose new pods crash-loop (`kubelet.rs`).
    pub(crate) crash_looping: BTreeSet<(String, String)>,
    /// `(namespace, deployment)` rolling out (`rolling.rs`).
    pub(crate) rolling: BTreeMap<(String, String), RollingUpdate>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("revision", &self.store.revision())
            .finish_non_exhaustive()
    }
}

impl Default for Cluster {
    fn default() -> Cluster {
        Cluster::new(ClusterOptions::default())
    }
}

impl Cluster {
    /// A cluster with its system namespaces, nodes and the `kubernetes`
    /// Service, and nothing else.
    pub fn new(options: ClusterOptions) -> Cluster {
        let mut cluster = Cluster {
            store: Store::default(),
            catalog: Catalog::builtin(),
            rng: Rng::seeded(options.seed),
            image_users: ImageUsers(options.image_users.clone()),
            options,
            pki: Pki::generate(),
            overrides: BTreeMap::new(),
            tasks: Vec::new(),
            task_seq: 0,
            wakeup: Arc::new(tokio::sync::Notify::new()),
            next_service_ip: 1,
            next_pod_ip: BTreeMap::new(),
            loading: true,
            deferring: false,
            born: now() - seconds(3600),
            pod_logs: BTreeMap::new(),
            served_ports: Vec::new(),
            exec_hooks: Vec::new(),
            crash_looping: BTreeSet::new(),
            rolling: BTreeMap::new(),
        };
        bootstrap::bootstrap(&mut cluster);
        cluster.loading = false;
        cluster
    }

    /// The cluster after `kubectl apply -f DIR` (every `.yaml`, `.yml` and
    /// `.json` file, recursively) and the controllers' work.
    pub fn from_manifest_dir(dir: impl AsRef<Path>) -> Cluster {
        Cluster::from_manifest_dir_with(dir, ClusterOptions::default())
    }

    pub fn from_manifest_dir_with(dir: impl AsRef<Path>, options: ClusterOptions) -> Cluster {
        Cluster::from_documents_with(read_manifest_dir(dir.as_ref()), options)
    }

    pub fn from_documents(documents: Vec<Value>) -> Cluster {
        Cluster::from_documents_with(documents, ClusterOptions::default())
    }

    pub fn from_documents_with(documents: Vec<Value>, options: ClusterOptions) -> Cluster {
        let mut cluster = Cluster::new(options);
        cluster.load(documents);
        cluster
    }

    /// Applies documents (in a sensible order: namespaces and accounts
    /// before the workloads that use them), as objects that exist since
    /// the cluster was made. Panics on a document the API server would
    /// refuse, with its reason.
    pub fn load(&mut self, documents: Vec<Value>) {
        let mut documents: Vec<Value> = documents
            .into_iter()
            .flat_map(|d| {
                if d["kind"] == "List" {
                    d["items"].as_array().cloned().unwrap_or_default()
                } else {
                    vec![d]
                }
            })
            .filter(|d| d.is_object())
            .collect();
        documents.sort_by_key(|d| load_rank(d["kind"].as_str().unwrap_or_default()));
        self.loading = true;
        self.deferring = true;
        for document in documents {
            let api_version = document["apiVersion"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let kind = document["kind"].as_str().unwrap_or_default().to_string();
            let name = document["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let resource = self.resource_for_document(&document);
            let namespace = if resource.namespaced {
                document["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("default")
                    .to_string()
            } else {
                String::new()
            };
            if let Err(error) = self.create_json(&resource, &namespace, document, false) {
                panic!(
                    "the double refuses {api_version} {kind} {namespace}/{name}: {}",
                    error.status["message"]
                );
            }
        }
        self.deferring = false;
        statuses::reconcile_all(self);
        self.loading = false;
    }

    /// The type of a document; an unknown `apiVersion`/`kind` becomes a
    /// custom resource (as if its CRD were installed), namespaced when the
    /// document has a namespace.
    fn resource_for_document(&mut self, document: &Value) -> ResourceType {
        let api_version = document["apiVersion"].as_str().unwrap_or_default();
        let kind = document["kind"].as_str().unwrap_or_default();
        if let Some(known) = self.catalog.by_kind(api_version, kind) {
            return known.clone();
        }
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        let namespaced = document["metadata"]["namespace"].is_string();
        self.install_crd(group, version, kind, &plural_of(kind), namespaced);
        self.catalog
            .by_kind(api_version, kind)
            .expect("just installed")
            .clone()
    }

    /// Installs a CustomResourceDefinition (served at once, listed under
    /// `apiextensions.k8s.io/v1`).
    pub fn install_crd(
        &mut self,
        group: &str,
        version: &str,
        kind: &str,
        plural: &str,
        namespaced: bool,
    ) {
        if self.catalog.by_plural(group, version, plural).is_some() {
            return;
        }
        let crd = bootstrap::crd_document(group, version, kind, plural, namespaced);
        let resource = self
            .catalog
            .by_plural("apiextensions.k8s.io", "v1", "customresourcedefinitions")
            .expect("CRDs are built in")
            .clone();
        let name = format!("{plural}.{group}");
        if self
            .store
            .get(&resource.group_resource(), "", &name)
            .is_none()
        {
            self.create_json(&resource, "", crd, false)
                .expect("a valid CRD");
        }
        self.catalog
            .add_custom(group, version, kind, plural, namespaced);
    }

    // ---- reading -------------------------------------------------------

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn options(&self) -> &ClusterOptions {
        &self.options
    }

    /// The CA certificate (PEM) the API server's certificate chains to.
    pub fn ca_pem(&self) -> &str {
        &self.pki.ca_pem
    }

    /// The current `resourceVersion` of the cluster.
    pub fn resource_version(&self) -> u64 {
        self.store.revision()
    }

    pub fn get<K: Kind>(&self, namespace: &str, name: &str) -> Option<K> {
        let object = self.store.get(&group_resource::<K>(), namespace, name)?;
        Some(serde_json::from_value(object.clone()).expect("a stored object reads back"))
    }

    /// The objects of a kind in `namespace` ("" for all), in key order.
    pub fn list<K: Kind>(&self, namespace: &str) -> Vec<K> {
        self.store
            .list(&group_resource::<K>(), namespace)
            .map(|o| serde_json::from_value(o.clone()).expect("a stored object reads back"))
            .collect()
    }

    /// Any object as JSON (custom resources too).
    pub fn get_json(
        &self,
        group: &str,
        plural: &str,
        namespace: &str,
        name: &str,
    ) -> Option<Value> {
        self.store
            .get(&GroupResource::new(group, plural), namespace, name)
            .cloned()
    }

    /// The pods a workload controls, by the workload's name: a
    /// Deployment's (through its ReplicaSets), a StatefulSet's, a
    /// DaemonSet's, a Job's or a ReplicaSet's.
    pub fn pods_of(&self, namespace: &str, workload: &str) -> Vec<Pod> {
        controllers::pods_of_workload(self, namespace, workload)
    }

    /// The names of [`Cluster::pods_of`].
    pub fn pod_names_of(&self, namespace: &str, workload: &str) -> Vec<String> {
        self.pods_of(namespace, workload)
            .into_iter()
            .filter_map(|p| p.metadata.name)
            .collect()
    }

    // ---- changing ------------------------------------------------------

    /// Changes an object as a controller or kubelet would (a MODIFIED event,
    /// a new resourceVersion; `generation` follows a spec change), then lets
    /// the controllers bring the workload statuses in line. Panics if the
    /// object does not exist.
    pub fn modify<K: Kind>(&mut self, namespace: &str, name: &str, f: impl FnOnce(&mut K)) -> K {
        let resource = self.resource_of::<K>();
        let mut object: K = self
            .get(namespace, name)
            .unwrap_or_else(|| panic!("no {} {namespace}/{name}", K::KIND));
        f(&mut object);
        let value = serde_json::to_value(&object).expect("serializes");
        let stored = self.replace_json(&resource, value);
        statuses::reconcile_namespace(self, namespace);
        serde_json::from_value(stored).expect("reads back")
    }

    /// [`Cluster::modify`] for a pod.
    pub fn pod_mut(&mut self, namespace: &str, name: &str, f: impl FnOnce(&mut Pod)) -> Pod {
        self.modify::<Pod>(namespace, name, f)
    }

    /// Changes any object as JSON (custom resources too).
    pub fn modify_json(
        &mut self,
        group: &str,
        plural: &str,
        namespace: &str,
        name: &str,
        f: impl FnOnce(&mut Value),
    ) -> Value {
        let resource = self
            .catalog
            .by_group_resource(&GroupResource::new(group, plural))
            .unwrap_or_else(|| panic!("no resource {plural}.{group}"))
            .clone();
        let mut object = self
            .get_json(group, plural, namespace, name)
            .unwrap_or_else(|| panic!("no {plural}.{group} {namespace}/{name}"));
        f(&mut object);
        let stored = self.replace_json(&resource, object);
        statuses::reconcile_namespace(self, namespace);
        stored
    }

    /// Creates an object as `kubectl create` would (defaults, UID,
    /// controllers). The object carries its namespace.
    pub fn create<K: Kind>(&mut self, object: K) -> Result<K, ApiError> {
        let resource = self.resource_of::<K>();
        let value = serde_json::to_value(&object).expect("serializes");
        let namespace = if resource.namespaced {
            value["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string()
        } else {
            String::new()
        };
        let created = self.create_json(&resource, &namespace, value, false)?;
        Ok(serde_json::from_value(created).expect("reads back"))
    }

    /// Removes an object at once (no grace period, no cascade), as if it
    /// had never been there; then the controllers update the statuses.
    pub fn remove<K: Kind>(&mut self, namespace: &str, name: &str) -> Option<K> {
        let removed = self.store.remove(&group_resource::<K>(), namespace, name)?;
        statuses::reconcile_namespace(self, namespace);
        Some(serde_json::from_value(removed).expect("reads back"))
    }

    /// Forgets the event history: watches (and continue tokens) from any
    /// earlier resourceVersion get 410 Expired.
    pub fn compact(&mut self) {
        self.store.compact();
    }

    /// The log a container prints (`pods/log`); empty by default (a
    /// network probe pod's is written by the data plane).
    pub fn set_pod_log(&mut self, namespace: &str, pod: &str, container: &str, text: &str) {
        self.pod_logs.insert(
            (namespace.into(), pod.into(), container.into()),
            text.into(),
        );
    }

    pub(crate) fn resource_of<K: Kind>(&self) -> ResourceType {
        self.catalog
            .by_plural(K::GROUP, K::VERSION, K::URL_PATH_SEGMENT)
            .unwrap_or_else(|| panic!("the double does not serve {}", K::KIND))
            .clone()
    }

    /// Replaces a stored object keeping what the server owns (uid,
    /// creationTimestamp), bumping `generation` if the spec changed.
    pub(crate) fn replace_json(&mut self, resource: &ResourceType, mut object: Value) -> Value {
        let namespace = object["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let name = object["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let previous = self
            .store
            .get(&resource.group_resource(), &namespace, &name)
            .cloned()
            .unwrap_or_else(|| panic!("no {} {namespace}/{name}", resource.plural));
        object["metadata"]["uid"] = previous["metadata"]["uid"].clone();
        object["metadata"]["creationTimestamp"] = previous["metadata"]["creationTimestamp"].clone();
        if has_generation(resource) {
            // A generation set by hand (a variation) is kept; otherwise a
            // spec change bumps it.
            let generation = previous["metadata"]["generation"].as_i64().unwrap_or(1);
            let asked = object["metadata"]["generation"]
                .as_i64()
                .unwrap_or(generation);
            let changed = spec_of(&previous) != spec_of(&object);
            object["metadata"]["generation"] = Value::from(if asked != generation {
                asked
            } else if changed {
                generation + 1
            } else {
                generation
            });
        }
        self.store.replace(&resource.group_resource(), object)
    }

    /// Wall-clock time for new objects and statuses (during loading: the
    /// cluster's birth, an hour ago, so that everything has been running a
    /// while).
    pub(crate) fn timestamp(&self) -> Timestamp {
        if self.loading { self.born } else { now() }
    }

    // ---- the clock -------------------------------------------------------

    /// Runs `task` with the cluster locked after `delay` (once the double
    /// is serving; tasks scheduled before start wait for it).
    pub fn schedule(&mut self, delay: Duration, task: impl FnOnce(&mut Cluster) + Send + 'static) {
        self.task_seq += 1;
        self.tasks.push(Task {
            due: Instant::now() + delay,
            seq: self.task_seq,
            run: Box::new(task),
        });
        self.wakeup.notify_one();
    }

    /// Runs the tasks that are due; answers when the next one is.
    pub(crate) fn run_due_tasks(&mut self) -> Option<Instant> {
        loop {
            let now = Instant::now();
            let due = self
                .tasks
                .iter()
                .enumerate()
                .filter(|(_, t)| t.due <= now)
                .min_by_key(|(_, t)| (t.due, t.seq))
                .map(|(i, _)| i);
            match due {
                Some(i) => {
                    let task = self.tasks.swap_remove(i);
                    (task.run)(self);
                }
                None => return self.tasks.iter().map(|t| t.due).min(),
            }
        }
    }

    /// Whether delayed tasks (terminations, ...) are still pending.
    pub fn has_pending_tasks(&self) -> bool {
        !self.tasks.is_empty()
    }
}

/// The part of an object a change of which bumps `generation`: everything
/// but metadata and status.
fn spec_of(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("metadata");
        map.remove("status");
    }
    object
}

/// The order documents are applied in.
fn load_rank(kind: &str) -> u8 {
    match kind {
        "Namespace" => 0,
        "CustomResourceDefinition" => 1,
        "ServiceAccount" => 2,
        "Secret" | "ConfigMap" => 3,
        "PersistentVolumeClaim" | "Service" => 4,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob" | "Pod" => 6,
        "HorizontalPodAutoscaler" | "PodDisruptionBudget" => 7,
        _ => 5,
    }
}

/// Every document of the manifest files under `dir`, files in name order.
pub fn read_manifest_dir(dir: &Path) -> Vec<Value> {
    let mut files = Vec::new();
    collect_files(dir, &mut files);
    files.sort();
    let mut documents = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let parsed: Vec<Value> = if file.extension().is_some_and(|e| e == "json") {
            vec![serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))]
        } else {
            serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
        };
        documents.extend(parsed.into_iter().filter(|d| !d.is_null()));
    }
    documents
}

fn collect_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect_files(&path, files);
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            files.push(path);
        }
    }
}
