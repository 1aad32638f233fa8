//! Targets: what a run evaluates. Rendered manifests (`manifests:PATH`,
//! `manifests:-` or `-` for standard input) are read here into objects; a
//! stack file (`stack:FILE`) names a system golive starts itself (see
//! `crate::stack`); a live cluster (`cluster[:CONTEXT]`) is read through
//! kube (see `crate::cluster`).

pub mod document;
pub mod manifests;
pub mod yaml;

use std::fmt;
use std::str::FromStr;

use crate::cluster::ClusterTarget;
use crate::error::InputError;

/// A target given to `--target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A file, a directory, or `-` for standard input.
    Manifests(String),
    /// A stack file: the system is started in containers.
    Stack(String),
    /// A live cluster, through a kubeconfig context.
    Cluster(ClusterTarget),
}

impl Target {
    /// The feature tag of scenarios this target can evaluate.
    pub fn tag(&self) -> &'static str {
        match self {
            Target::Manifests(_) => "manifests",
            Target::Stack(_) => "stack",
            Target::Cluster(_) => "cluster",
        }
    }

    /// Reads the target's Kubernetes objects from files (a stack has none;
    /// a cluster is read asynchronously, see `crate::cluster::read`).
    pub fn load(&self) -> manifests::Loaded {
        match self {
            Target::Manifests(path) => manifests::load_path(path),
            Target::Stack(_) | Target::Cluster(_) => manifests::Loaded::default(),
        }
    }
}

impl FromStr for Target {
    type Err = InputError;

    fn from_str(text: &str) -> Result<Target, InputError> {
        match text.split_once(':') {
            Some(("manifests", path)) if !path.is_empty() => {
                Ok(Target::Manifests(path.to_string()))
            }
            Some(("manifests", _)) => Err(InputError::new(
                "--target",
                "manifests: needs a path, or - for standard input",
            )),
            Some(("stack", path)) if !path.is_empty() => Ok(Target::Stack(path.to_string())),
            Some(("stack", _)) => Err(InputError::new(
                "--target",
                "stack: needs the path of a stack file, e.g. stack:fixtures/stacks/reference.yaml",
            )),
            Some(("cluster", context)) if !context.is_empty() => {
                Ok(Target::Cluster(ClusterTarget {
                    context: Some(context.to_string()),
                    ..Default::default()
                }))
            }
            Some(("cluster", _)) => Err(InputError::new(
                "--target",
                "cluster: needs a kubeconfig context after the colon, or write cluster alone for the current context",
            )),
            _ if text == "cluster" => Ok(Target::Cluster(ClusterTarget::default())),
            _ if text == "-" => Ok(Target::Manifests("-".into())),
            _ if std::path::Path::new(text).exists() => Ok(Target::Manifests(text.to_string())),
            _ => Err(InputError::new(
                "--target",
                format!(
                    "{text:?} is neither manifests:PATH, -, stack:FILE, cluster[:CONTEXT], nor an existing path"
                ),
            )),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Manifests(path) => write!(f, "manifests:{path}"),
            Target::Stack(path) => write!(f, "stack:{path}"),
            Target::Cluster(cluster) => write!(f, "{cluster}"),
        }
    }
}
