//! Evidence: what a check found and where. A finding names the object
//! (kind/namespace/name), the container, the field path, the file:line it
//! came from, what was expected and what was found, and whether an
//! annotation suppressed it (a suppressed finding is reported, never hidden).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::{ObjectRef, SourceLocation};
use crate::severity::Severity;

/// One violation of a check by one object (or container).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    #[serde(deserialize_with = "crate::interned::string")]
    pub check: crate::interned::Text,
    pub severity: Severity,
    pub object: ObjectRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Path of the field inside the object, e.g.
    /// `spec.template.spec.containers[0].livenessProbe`.
    pub field: String,
    pub location: SourceLocation,
    pub expected: String,
    pub found: String,
    /// The reason given by a `golive.dev/skip` annotation, when one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
    /// Anything else the reader must know, e.g. a suppression without reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Finding {
    pub fn is_active(&self) -> bool {
        self.suppressed.is_none()
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.check, self.object)?;
        if let Some(container) = &self.container {
            write!(f, " container {container}")?;
        }
        write!(
            f,
            ": {} (expected {}, found {}) at {}",
            self.field, self.expected, self.found, self.location
        )?;
        if let Some(reason) = &self.suppressed {
            write!(f, " [suppressed: {reason}]")?;
        }
        if let Some(note) = &self.note {
            write!(f, " [{note}]")?;
        }
        Ok(())
    }
}

/// Whether a live item passed, and the facts that say why.
pub type Judged = (bool, Vec<String>);

/// What a runtime step saw on a live system (an endpoint, a container), and
/// whether it meets the item: the facts are what a reader needs to trust
/// the verdict ("TLS 1.0: refused (alert protocol_version)"). Built by
/// `checks::live::observe` from a catalogued live check, so `item` is
/// always a catalogue ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The ID of the live check, e.g. `tls.old-protocols`.
    #[serde(deserialize_with = "crate::interned::string")]
    pub item: crate::interned::Text,
    /// What was looked at, e.g. `endpoint web on nginx (127.0.0.1:49153)`.
    pub subject: String,
    pub passed: bool,
    pub facts: Vec<String>,
}

impl fmt::Display for Observation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.item,
            self.subject,
            self.facts.join("; ")
        )
    }
}

/// The result of running one check over a scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckOutcome {
    #[serde(deserialize_with = "crate::interned::string")]
    pub check: crate::interned::Text,
    #[serde(deserialize_with = "crate::interned::string")]
    pub title: crate::interned::Text,
    pub severity: Severity,
    /// What the rule looks at (`Ingress`, `container`), to say what was
    /// missing when it evaluated nothing.
    #[serde(
        default = "default_subjects",
        deserialize_with = "crate::interned::string"
    )]
    pub judges: crate::interned::Text,
    /// How many subjects (containers, workloads, objects) the rule looked at.
    pub evaluated: usize,
    pub findings: Vec<Finding>,
}

fn default_subjects() -> crate::interned::Text {
    "subject"
}

impl CheckOutcome {
    pub fn active_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_active())
    }

    pub fn passed(&self) -> bool {
        self.active_findings().next().is_none()
    }

    /// Why this check had nothing to judge (when it evaluated nothing):
    /// `no Ingress in scope`.
    pub fn nothing_to_judge(&self) -> String {
        format!("no {} in scope", self.judges)
    }
}
