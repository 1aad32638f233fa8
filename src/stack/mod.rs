//! The `stack:` target: a system golive starts itself in Docker containers
//! from a stack file, checks live, and removes afterwards.
//!
//! A [`StackSession`] exists from the moment the command line knows the
//! target, before anything starts, so that the removal (at the end, after a
//! failure, or on Ctrl-C) finds everything the run labelled even when it
//! was interrupted half-way through a start. `--keep` leaves the stack
//! running and prints its endpoints instead.

mod backup;
mod certs;
pub mod disrupt;
pub mod docker;
pub mod file;
mod health;
pub mod lifecycle;
mod release;
pub mod rollout;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::error::InputError;
pub use lifecycle::{Instance, RunningStack};

/// What the reports say about the stack of a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StackRecord {
    pub file: String,
    pub run_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Seconds from connecting to the engine to the last container healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_in_s: Option<f64>,
    pub instances: Vec<Instance>,
    pub endpoints: BTreeMap<String, Vec<String>>,
    /// Containers and networks removed at the end (absent with `--keep`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<Removal>,
    pub kept: bool,
    /// With `--keep`: the directory of the run's generated files, to
    /// remove with the stack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_dir: Option<String>,
}

impl StackRecord {
    /// The engine filter that selects this run's containers and networks
    /// (`docker ps --filter ...`).
    pub fn engine_filter(&self) -> String {
        format!("label={}={}", docker::RUN_LABEL, self.run_id)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Removal {
    pub containers: usize,
    pub networks: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One run's stack, from before it starts until it is removed.
#[derive(Debug)]
pub struct StackSession {
    pub file: PathBuf,
    pub run_id: String,
    pub keep: bool,
    /// What the start created, for the removal.
    progress: lifecycle::Progress,
    running: Mutex<Option<Arc<RunningStack>>>,
}

impl StackSession {
    pub fn new(file: PathBuf, keep: bool) -> StackSession {
        StackSession {
            file,
            run_id: new_run_id(),
            keep,
            progress: lifecycle::Progress::default(),
            running: Mutex::new(None),
        }
    }

    /// Reads the stack file and starts the stack; errors name the file:line,
    /// the container (with its last log lines) or the Docker engine.
    pub async fn start(&self) -> Result<Arc<RunningStack>, InputError> {
        let path = self.file.clone();
        let stack_file = tokio::task::spawn_blocking(move || file::load(&path))
            .await
            .map_err(|e| InputError::new(self.file.display().to_string(), e.to_string()))??;
        let running = lifecycle::start(stack_file, &self.run_id, &self.progress)
            .await
            .map_err(|e| InputError::new(e.place, e.message))?;
        let running = Arc::new(running);
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(running.clone());
        Ok(running)
    }

    /// Removes the stack (unless kept and started) and says what happened.
    pub async fn finish(&self) -> StackRecord {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut record = StackRecord {
            file: self.file.display().to_string(),
            run_id: self.run_id.clone(),
            ..StackRecord::default()
        };
        if let Some(running) = &running {
            record.name = Some(running.file.name.clone());
            record.started_in_s = Some(running.started_in.as_secs_f64());
            record.instances = running.instances();
            record.endpoints = running.endpoint_urls();
        }
        let work_dir = self.progress.work_dir();
        if self.keep && running.is_some() {
            record.kept = true;
            record.work_dir = work_dir.map(|d| d.display().to_string());
            return record;
        }
        if !self.progress.created() {
            return record;
        }
        record.removed = Some(
            match lifecycle::remove(&self.run_id, work_dir.as_deref()).await {
                Ok((containers, networks)) => Removal {
                    containers,
                    networks,
                    error: None,
                },
                Err(error) => Removal {
                    containers: 0,
                    networks: 0,
                    error: Some(error),
                },
            },
        );
        record
    }
}

/// A short identifier unique on this machine for a while: names and labels
/// of the run's containers.
fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{:06x}{:04x}",
        nanos & 0xff_ffff,
        std::process::id() & 0xffff
    )
}
