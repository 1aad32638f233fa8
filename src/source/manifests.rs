//! The manifests target: rendered Kubernetes objects from files, directories
//! (recursively: `.yaml`, `.yml`, `.json`) or standard input (`helm template`,
//! `kustomize build`). Multi-document streams, JSON, `kind: List`, comments,
//! helm's `---` noise and empty documents are all accepted. Every object keeps
//! its origin; unknown kinds are kept as dynamic objects. Problems are
//! collected as [`InputError`]s naming file:line:column, and loading goes on
//! with the other files so that what could be read is still evaluated.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Container;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::error::InputError;
use crate::model::api_versions::{self, Conversion};
use crate::model::workload::REPLICATED_TEMPLATED_KINDS;
use crate::model::{Object, Resource, SourceLocation, TemplatedWorkload, api_group};
use crate::source::yaml::{self, Node, NodeValue, Position};

/// What a load produced: the objects read and the inputs that failed.
#[derive(Debug, Default)]
pub struct Loaded {
    pub objects: Vec<Object>,
    pub errors: Vec<InputError>,
    /// Files read (stdin counts as one).
    pub files: usize,
    /// When a cluster was read (see `Inventory::read_at`); `None` for files.
    pub read_at: Option<k8s_openapi::jiff::Timestamp>,
}

/// The name standard input goes by in locations.
pub const STDIN_NAME: &str = "<stdin>";

/// Loads a file, a directory tree, or `-` for standard input.
pub fn load_path(path: &str) -> Loaded {
    let mut loaded = Loaded::default();
    if path == "-" {
        let mut bytes = Vec::new();
        match std::io::stdin().lock().read_to_end(&mut bytes) {
            Ok(_) => load_bytes(STDIN_NAME, &bytes, &mut loaded),
            Err(e) => loaded
                .errors
                .push(InputError::new(STDIN_NAME, format!("cannot read: {e}"))),
        }
        return loaded;
    }
    let root = Path::new(path);
    if !root.exists() {
        loaded
            .errors
            .push(InputError::new(path, "no such file or directory"));
        return loaded;
    }
    let mut files = Vec::new();
    if root.is_dir() {
        collect_manifest_files(root, &mut files, &mut loaded.errors);
        if files.is_empty() {
            loaded.errors.push(InputError::new(
                path,
                "the directory holds no .yaml, .yml or .json file",
            ));
        }
    } else {
        files.push(root.to_path_buf());
    }
    load_files(&files, &mut loaded);
    loaded
}

/// Reads and parses `files` on every core (parsing YAML dominates the cost
/// of a large target), keeping objects and errors in file order.
fn load_files(files: &[PathBuf], loaded: &mut Loaded) {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().max(1));
    let chunk = files.len().div_ceil(workers).max(1);
    let parts: Vec<Loaded> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|chunk| {
                scope.spawn(move || {
                    let mut part = Loaded::default();
                    for file in chunk {
                        let name = file.display().to_string();
                        match std::fs::read(file) {
                            Ok(bytes) => load_bytes(&name, &bytes, &mut part),
                            Err(e) => part
                                .errors
                                .push(InputError::new(name, format!("cannot read: {e}"))),
                        }
                    }
                    part
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    let mut failed = Loaded::default();
                    failed.errors.push(InputError::new(
                        "golive",
                        "internal error: a loader thread panicked",
                    ));
                    failed
                })
            })
            .collect()
    });
    for part in parts {
        loaded.objects.extend(part.objects);
        loaded.errors.extend(part.errors);
        loaded.files += part.files;
    }
}

fn collect_manifest_files(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<InputError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(InputError::new(
                dir.display().to_string(),
                format!("cannot list: {e}"),
            ));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_manifest_files(&path, files, errors);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            files.push(path);
        }
    }
}

/// Parses one input's bytes and adds its objects (or errors) to `loaded`.
pub fn load_bytes(name: &str, bytes: &[u8], loaded: &mut Loaded) {
    loaded.files += 1;
    let file: Arc<str> = Arc::from(name);
    let text = match text_of(bytes) {
        Ok(text) => text,
        Err((position, why)) => {
            loaded.errors.push(at(&file, position, why));
            return;
        }
    };
    let documents = match yaml::parse_documents(text) {
        Ok(documents) => documents,
        Err(error) => {
            let place = match error.position {
                Some(position) => place(&file, position),
                None => name.to_string(),
            };
            loaded.errors.push(InputError::new(
                place,
                format!("not valid YAML or JSON: {}", error.message),
            ));
            return;
        }
    };
    for document in documents.into_iter().flatten() {
        let tree = Arc::new(document);
        read_object(&file, &tree, &tree, String::new(), loaded);
    }
}

/// Text of a file, or the position and reason it is not text.
fn text_of(bytes: &[u8]) -> Result<&str, (Position, String)> {
    let first_nul = bytes.iter().position(|&b| b == 0);
    let valid_up_to = match (std::str::from_utf8(bytes), first_nul) {
        (Ok(text), None) => return Ok(text),
        (Ok(_), Some(nul)) => nul,
        (Err(e), nul) => nul.map_or(e.valid_up_to(), |nul| nul.min(e.valid_up_to())),
    };
    let before = String::from_utf8_lossy(&bytes[..valid_up_to]);
    let line = before.matches('\n').count() as u32 + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    Err((
        Position { line, column },
        format!("binary content at byte {valid_up_to}: not a YAML or JSON text file"),
    ))
}

fn place(file: &str, position: Position) -> String {
    format!("{file}:{}:{}", position.line, position.column)
}

fn at(file: &str, position: Position, message: impl Into<String>) -> InputError {
    InputError::new(place(file, position), message)
}

/// Reads the object at `node` (a document or a `List` item) into `loaded`.
fn read_object(
    file: &Arc<str>,
    tree: &Arc<Node>,
    node: &Node,
    tree_path: String,
    loaded: &mut Loaded,
) {
    let NodeValue::Map(_) = node.value else {
        loaded.errors.push(at(
            file,
            node.position,
            format!(
                "expected a Kubernetes object (a mapping with apiVersion and kind), found {}",
                describe(&node.value)
            ),
        ));
        return;
    };
    let field = |key: &str| {
        node.get(key)
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
    };
    let (Some(kind), Some(api_version)) = (field("kind"), field("apiVersion")) else {
        let missing = if field("kind").is_none() {
            "kind"
        } else {
            "apiVersion"
        };
        loaded.errors.push(at(
            file,
            node.position,
            format!(
                "object without `{missing}`: every Kubernetes object needs apiVersion and kind"
            ),
        ));
        return;
    };
    if kind.ends_with("List") && node.get("items").is_some() {
        match node.get("items").map(|items| &items.value) {
            Some(NodeValue::Seq(items)) => {
                for (index, item) in items.iter().enumerate() {
                    let prefix = if tree_path.is_empty() {
                        String::new()
                    } else {
                        format!("{tree_path}.")
                    };
                    read_object(file, tree, item, format!("{prefix}items[{index}]"), loaded);
                }
            }
            Some(NodeValue::Null) => {}
            _ => loaded.errors.push(at(
                file,
                node.position,
                format!("{kind}: `items` must be a list"),
            )),
        }
        return;
    }
    match typed_resource(api_version, kind, node) {
        Ok((metadata, resource)) => {
            let mut object = Object {
                api_version: api_version.to_string(),
                kind: kind.to_string(),
                metadata,
                resource,
                origin: SourceLocation {
                    file: file.clone(),
                    line: node.position.line,
                    column: node.position.column,
                },
                tree: tree.clone(),
                tree_path,
                ephemeral_containers: Vec::new(),
            };
            match ephemeral_containers(&object) {
                Ok(containers) => object.ephemeral_containers = containers,
                Err((path, message)) => {
                    let position = node.position_of(&path);
                    loaded
                        .errors
                        .push(at(file, position, format!("{kind} {path}: {message}")));
                    return;
                }
            }
            loaded.objects.push(object);
        }
        Err((path, message)) => {
            let position = node.position_of(&path);
            loaded
                .errors
                .push(at(file, position, format!("{kind} {path}: {message}")));
        }
    }
}

/// The ephemeral containers of a workload's pod spec, read as containers
/// (an ephemeral container has every field of a container, and a target).
fn ephemeral_containers(object: &Object) -> Result<Vec<Container>, (String, String)> {
    let Some(workload) = object.workload() else {
        return Ok(Vec::new());
    };
    let base = workload.pod_spec_path;
    let ephemeral = workload.pod_spec.ephemeral_containers.iter().flatten();
    ephemeral
        .enumerate()
        .map(|(index, container)| {
            let json = serde_json::to_value(container).map_err(|e| {
                (
                    format!("{base}.ephemeralContainers[{index}]"),
                    e.to_string(),
                )
            })?;
            serde_json::from_value(json).map_err(|e| {
                (
                    format!("{base}.ephemeralContainers[{index}]"),
                    e.to_string(),
                )
            })
        })
        .collect()
}

/// Whether a custom resource carries a pod template at `spec.template`
/// (a mapping whose `spec` lists containers).
fn has_pod_template(json: &serde_json::Value) -> bool {
    json.pointer("/spec/template/spec/containers")
        .is_some_and(serde_json::Value::is_array)
}

/// A custom resource with a pod template, read as a [`TemplatedWorkload`]:
/// its template is judged like a Deployment's, its replica count only for
/// the kinds whose count means the same ([`REPLICATED_TEMPLATED_KINDS`]).
fn templated(
    json: &serde_json::Value,
    api_version: &str,
    kind: &str,
) -> Result<(ObjectMeta, Resource), (String, String)> {
    let metadata: Option<ObjectMeta> = read_at(json, "metadata")?;
    let template = read_at(json, "spec.template")?;
    let replicated = REPLICATED_TEMPLATED_KINDS.contains(&(api_group(api_version), kind));
    let replicas = if replicated {
        let declared: Option<i32> = read_at(json, "spec.replicas")?;
        Some(declared.unwrap_or(1))
    } else {
        None
    };
    Ok((
        metadata.unwrap_or_default(),
        Resource::Templated(Box::new(TemplatedWorkload { template, replicas })),
    ))
}

/// The field at `path` (`spec.template`) of `json`, typed; an error is the
/// failing field's full path and the reason.
fn read_at<T: serde::de::DeserializeOwned>(
    json: &serde_json::Value,
    path: &str,
) -> Result<T, (String, String)> {
    let pointer = format!("/{}", path.replace('.', "/"));
    let value = json.pointer(&pointer).cloned().unwrap_or_default();
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let at = if inner == "." {
            path.to_string()
        } else {
            format!("{path}.{inner}")
        };
        (at, e.inner().to_string())
    })
}

fn describe(value: &NodeValue) -> &'static str {
    match value {
        NodeValue::Seq(_) => "a list",
        NodeValue::Map(_) => "a mapping",
        NodeValue::String(_) => "a string",
        NodeValue::Null => "nothing",
        _ => "a scalar",
    }
}

/// Deserialises `node` as a typed object when golive models `kind` at this
/// `apiVersion`, or keeps only its metadata as a dynamic object. An error is
/// the failing field's path and the reason.
fn typed_resource(
    api_version: &str,
    kind: &str,
    node: &Node,
) -> Result<
    (
        k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
        Resource,
    ),
    (String, String),
> {
    use k8s_openapi::api::*;
    // An older version is read with the type of its current one, converted
    // as the API server would (api_versions::legacy_shape); the object
    // keeps the apiVersion it was written with.
    let (shape, conversion) =
        api_versions::legacy_shape(api_version, kind).unwrap_or((api_version, Conversion::None));
    let mut json = node.to_json();
    if shape != api_version {
        conversion.apply(&mut json);
        json["apiVersion"] = shape.into();
    }
    macro_rules! typed {
        ($variant:ident, $ty:ty) => {{
            let object: $ty = serde_path_to_error::deserialize(&json)
                .map_err(|e| (e.path().to_string(), e.inner().to_string()))?;
            (
                object.metadata.clone(),
                Resource::$variant(Box::new(object)),
            )
        }};
    }
    Ok(match (shape, kind) {
        ("apps/v1", "Deployment") => typed!(Deployment, apps::v1::Deployment),
        ("apps/v1", "StatefulSet") => typed!(StatefulSet, apps::v1::StatefulSet),
        ("apps/v1", "DaemonSet") => typed!(DaemonSet, apps::v1::DaemonSet),
        ("apps/v1", "ReplicaSet") => typed!(ReplicaSet, apps::v1::ReplicaSet),
        ("batch/v1", "Job") => typed!(Job, batch::v1::Job),
        ("batch/v1", "CronJob") => typed!(CronJob, batch::v1::CronJob),
        ("v1", "Pod") => typed!(Pod, core::v1::Pod),
        ("v1", "Service") => typed!(Service, core::v1::Service),
        ("v1", "Namespace") => typed!(Namespace, core::v1::Namespace),
        ("v1", "Secret") => typed!(Secret, core::v1::Secret),
        ("v1", "ConfigMap") => typed!(ConfigMap, core::v1::ConfigMap),
        ("v1", "PersistentVolumeClaim") => {
            typed!(PersistentVolumeClaim, core::v1::PersistentVolumeClaim)
        }
        ("v1", "ServiceAccount") => typed!(ServiceAccount, core::v1::ServiceAccount),
        ("v1", "Node") => typed!(Node, core::v1::Node),
        ("rbac.authorization.k8s.io/v1", "Role") => typed!(Role, rbac::v1::Role),
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => {
            typed!(ClusterRole, rbac::v1::ClusterRole)
        }
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => {
            typed!(RoleBinding, rbac::v1::RoleBinding)
        }
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
            typed!(ClusterRoleBinding, rbac::v1::ClusterRoleBinding)
        }
        ("networking.k8s.io/v1", "Ingress") => typed!(Ingress, networking::v1::Ingress),
        ("networking.k8s.io/v1", "NetworkPolicy") => {
            typed!(NetworkPolicy, networking::v1::NetworkPolicy)
        }
        ("policy/v1", "PodDisruptionBudget") => {
            typed!(PodDisruptionBudget, policy::v1::PodDisruptionBudget)
        }
        ("autoscaling/v2", "HorizontalPodAutoscaler") => {
            typed!(
                HorizontalPodAutoscaler,
                autoscaling::v2::HorizontalPodAutoscaler
            )
        }
        _ if has_pod_template(&json) => templated(&json, api_version, kind)?,
        _ => {
            let metadata = match node.get("metadata") {
                Some(metadata) => metadata.deserialize_as().map_err(|(path, message)| {
                    (
                        if path == "." {
                            "metadata".to_string()
                        } else {
                            format!("metadata.{path}")
                        },
                        message,
                    )
                })?,
                None => Default::default(),
            };
            (metadata, Resource::Dynamic)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Loaded {
        let mut loaded = Loaded::default();
        load_bytes("t.yaml", text.as_bytes(), &mut loaded);
        loaded
    }

    #[test]
    fn helm_noise_and_empty_documents_are_skipped() {
        let loaded = load(
            "---\n# Source: x/templates/a.yaml\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n---\n",
        );
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        assert_eq!(loaded.objects.len(), 1);
        assert_eq!(loaded.objects[0].origin.line, 4);
    }

    #[test]
    fn lists_are_flattened_with_item_positions() {
        let loaded = load(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n    name: s\n- apiVersion: example.com/v1\n  kind: Widget\n  metadata:\n    name: w\n",
        );
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        assert_eq!(loaded.objects.len(), 2);
        assert!(matches!(loaded.objects[1].resource, Resource::Dynamic));
        assert_eq!(loaded.objects[1].origin.line, 8);
        assert_eq!(loaded.objects[1].locate("metadata.name").line, 11);
    }

    #[test]
    fn wrong_types_name_the_field_and_its_line() {
        let loaded = load(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: three\n  selector: {}\n  template: {}\n",
        );
        assert_eq!(loaded.errors.len(), 1);
        assert!(
            loaded.errors[0].place.starts_with("t.yaml:6:"),
            "{:?}",
            loaded.errors[0]
        );
        assert!(
            loaded.errors[0].message.contains("spec.replicas"),
            "{:?}",
            loaded.errors[0]
        );
    }

    #[test]
    fn binary_and_missing_kind_are_errors() {
        let loaded = load("a: 1\n\0\0");
        assert_eq!(loaded.errors[0].place, "t.yaml:2:1");
        let mut loaded = Loaded::default();
        load_bytes("b.yaml", b"\0\xff\xfe", &mut loaded);
        assert_eq!(loaded.errors[0].place, "b.yaml:1:1");
        let loaded = load("apiVersion: v1\nmetadata: {name: x}\n");
        assert!(loaded.errors[0].message.contains("kind"));
    }
}
