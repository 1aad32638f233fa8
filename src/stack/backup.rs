//! A data store's backup, loss and restore on a running stack: the run's
//! backup directory mounted in the store's containers, its runbooks run in
//! the containers they name, its containers removed with their volumes (the
//! data lost), and fresh ones started in their place (same names and
//! addresses, waited on until healthy) for the restore runbook to fill.

use std::time::{Duration, Instant};

use super::file::RunbookSpec;
use super::health;
use super::lifecycle::RunningStack;

/// How a runbook ran: its exit code (`None`: past its timeout), how long
/// it took and the end of its output (credentials redacted).
#[derive(Debug, Clone)]
pub struct RunbookRun {
    pub exit_code: Option<i64>,
    pub took: Duration,
    pub output_tail: Vec<String>,
}

impl RunningStack {
    /// The run's backup directories a container of `service` mounts:
    /// (host directory, directory inside the container).
    pub(super) fn backup_mounts(&self, service: &str) -> Vec<(String, String)> {
        self.file
            .backups
            .values()
            .filter(|backup| {
                self.file
                    .endpoints
                    .get(&backup.endpoint)
                    .is_some_and(|e| e.services.iter().any(|s| s == service))
            })
            .map(|backup| {
                let host = self.work_dir().join("backups").join(&backup.endpoint);
                // The data store writes there as its own user; the run's
                // directory around it stays private (0700).
                let _ = std::fs::create_dir_all(&host);
                let _ = std::fs::set_permissions(
                    &host,
                    std::os::unix::fs::PermissionsExt::from_mode(0o777),
                );
                (host.display().to_string(), backup.directory.clone())
            })
            .collect()
    }

    /// Runs `runbook`'s command in its container, within its timeout. The
    /// engine cannot stop a `docker exec`: a runbook past its timeout may
    /// still be running when this returns.
    pub async fn run_runbook(&self, runbook: &RunbookSpec) -> Result<RunbookRun, String> {
        let container = self.instance(&runbook.instance)?.container;
        let command: Vec<&str> = runbook.command.iter().map(String::as_str).collect();
        let started = Instant::now();
        let ran = tokio::time::timeout(
            runbook.timeout,
            self.engine().exec(&container, None, &command),
        )
        .await;
        let took = started.elapsed();
        match ran {
            Err(_) => Ok(RunbookRun {
                exit_code: None,
                took,
                output_tail: Vec::new(),
            }),
            Ok(Err(e)) => Err(self.redact(e.to_string())),
            Ok(Ok(output)) => {
                let text = self.redact(format!("{}{}", output.stdout, output.stderr));
                let mut tail: Vec<String> =
                    text.lines().rev().take(5).map(str::to_string).collect();
                tail.reverse();
                Ok(RunbookRun {
                    exit_code: Some(output.exit_code),
                    took,
                    output_tail: tail,
                })
            }
        }
    }

    /// Whether `endpoint` lost its data and is not restored yet (its
    /// clients are kept away meanwhile).
    pub fn is_being_restored(&self, endpoint: &str) -> bool {
        self.being_restored
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|e| e == endpoint)
    }

    /// Closes `endpoint` to the probes (as an operator closes a store to
    /// its clients) until [`RunningStack::reopen`].
    pub fn close(&self, endpoint: &str) {
        let mut closed = self
            .being_restored
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if !closed.iter().any(|e| e == endpoint) {
            closed.push(endpoint.to_string());
        }
    }

    /// `endpoint` is open to its clients again (restored, or given up).
    pub fn reopen(&self, endpoint: &str) {
        self.being_restored
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|e| e != endpoint);
    }

    /// Removes every container of the endpoint's services with its
    /// volumes: their data is gone (close the endpoint first). The
    /// replicas go first (the reverse of the start order), so that no
    /// watcher (a Sentinel) promotes one in between. Returns the instances
    /// removed.
    pub async fn lose_data(&self, endpoint: &str) -> Result<Vec<String>, String> {
        let spec = self.endpoint(endpoint)?.clone();
        let mut removed = Vec::new();
        for instance in self.instances().into_iter().rev() {
            if spec.services.contains(&instance.service) {
                self.engine()
                    .remove(&instance.container)
                    .await
                    .map_err(|e| e.to_string())?;
                removed.push(instance.name);
            }
        }
        Ok(removed)
    }

    /// Starts a fresh container for every instance of the endpoint's
    /// services that has none (same name and address, the service's
    /// release), in the stack's order, each waited on until healthy.
    /// Returns the instances started.
    pub async fn recreate(&self, endpoint: &str) -> Result<Vec<String>, String> {
        let spec = self.endpoint(endpoint)?.clone();
        let mut started = Vec::new();
        for service in self
            .file
            .services
            .iter()
            .filter(|s| spec.services.contains(&s.name))
        {
            let files = self.materialise_files(service).map_err(|e| e.message)?;
            for instance in self.instances_of(&service.name)? {
                if self.engine().inspect(&instance.container).await.is_ok() {
                    continue;
                }
                let request =
                    self.container_request(service, &instance.name, instance.address, &files);
                self.engine()
                    .run(&request)
                    .await
                    .map_err(|e| format!("{}: {e}", instance.name))?;
                if let Err(unhealthy) =
                    health::wait_healthy(self.engine(), &request.name, service.healthcheck.as_ref())
                        .await
                {
                    let failure = self.start_failure(&request.name, unhealthy, 5).await;
                    return Err(format!("{}: {}", instance.name, failure.message));
                }
                self.refresh_ports(&instance.name).await?;
                started.push(instance.name);
            }
        }
        Ok(started)
    }
}
