//! Targets: where the objects under evaluation come from. This issue's
//! target is rendered manifests (`manifests:PATH`, `manifests:-` or `-` for
//! standard input); live clusters and started stacks plug in here later.

pub mod manifests;
pub mod yaml;

use std::fmt;
use std::str::FromStr;

use crate::error::InputError;

/// A target given to `--target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A file, a directory, or `-` for standard input.
    Manifests(String),
}

impl Target {
    /// The feature tag of scenarios this target can evaluate.
    pub fn tag(&self) -> &'static str {
        match self {
            Target::Manifests(_) => "manifests",
        }
    }

    /// Reads the target's objects.
    pub fn load(&self) -> manifests::Loaded {
        match self {
            Target::Manifests(path) => manifests::load_path(path),
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
            Some((kind @ ("kube" | "cluster" | "stack"), _)) => Err(InputError::new(
                "--target",
                format!(
                    "the {kind}: target is not available in this version of golive; use manifests:PATH"
                ),
            )),
            _ if text == "-" => Ok(Target::Manifests("-".into())),
            _ if std::path::Path::new(text).exists() => Ok(Target::Manifests(text.to_string())),
            _ => Err(InputError::new(
                "--target",
                format!("{text:?} is neither manifests:PATH, -, nor an existing path"),
            )),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Manifests(path) => write!(f, "manifests:{path}"),
        }
    }
}
