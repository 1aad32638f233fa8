//! Input errors: anything that stops golive from evaluating part of the
//! target (unreadable or malformed files, unknown profiles, bad feature
//! files). Each names the place (file:line:column, host, or container) so a
//! user can go straight to it; any of them makes the verdict "could not
//! evaluate" (exit code 2).

use std::fmt;

use serde::{Deserialize, Serialize};

/// An input that golive could not use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputError {
    /// `file:line:column`, `file`, a host or a container name.
    pub place: String,
    pub message: String,
}

impl InputError {
    pub fn new(place: impl Into<String>, message: impl Into<String>) -> InputError {
        InputError {
            place: place.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

impl std::error::Error for InputError {}
