//! Rolling a service of a running stack to another release as a Kubernetes
//! Deployment with `maxSurge: 1, maxUnavailable: 0` does: one replica at a
//! time, a container of the new release is started at a new address and
//! waited on until healthy, the entry points routing to the service pick
//! it up (`reload:`), then an old replica is stopped (SIGTERM: it finishes
//! its in-flight requests, as a pod taken out of its Service's endpoints
//! does) and removed, and the entry points drop it. A new replica that is
//! not healthy within the progress deadline stops the rollout: it is
//! removed, and the replicas already replaced are rolled back, so the old
//! release keeps serving. Every step is timed for the report.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::file::{Reload, ServiceSpec};
use super::health;
use super::lifecycle::{Instance, RunningStack};

/// How long an entry point is given to apply a reload before the next
/// step of a rollout (nginx starts new workers on SIGHUP and answers
/// meanwhile with the old ones).
const RELOAD_SETTLE: Duration = Duration::from_secs(1);

/// One release of a service: what its containers run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub image: String,
    pub env: BTreeMap<String, String>,
}

/// The releases a service ran, the current one last, and how many
/// containers it has had (new replicas are named after the count).
#[derive(Debug, Clone)]
pub struct History {
    pub releases: Vec<Release>,
    pub containers: u32,
}

impl History {
    pub fn of(service: &ServiceSpec) -> History {
        History {
            releases: vec![Release {
                image: service.image.clone(),
                env: service.env.clone(),
            }],
            containers: service.replicas,
        }
    }
}

impl Release {
    /// The image, and how its environment differs from `before`'s:
    /// `golive/testbed:latest (APP_VERSION=2)`. Values of variables that
    /// hold credentials are left out.
    pub fn describe_against(&self, before: &Release) -> String {
        let mut changes: Vec<String> = self
            .env
            .iter()
            .filter(|(name, value)| before.env.get(*name) != Some(*value))
            .map(|(name, value)| {
                if crate::checks::secrets::secret_parts(name, value).is_empty() {
                    format!("{name}={value}")
                } else {
                    format!("{name} changed")
                }
            })
            .collect();
        changes.extend(
            before
                .env
                .keys()
                .filter(|name| !self.env.contains_key(*name))
                .map(|name| format!("{name} unset")),
        );
        if changes.is_empty() {
            self.image.clone()
        } else {
            format!("{} ({})", self.image, changes.join(", "))
        }
    }
}

/// Upgrade or rollback: the same procedure, judged the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Upgrade,
    Rollback,
}

impl Direction {
    /// `upgrade`, `rollback`.
    pub fn noun(self) -> &'static str {
        match self {
            Direction::Upgrade => "upgrade",
            Direction::Rollback => "rollback",
        }
    }
}

/// What a rollout did.
#[derive(Debug, Clone)]
pub struct Rollout {
    pub service: String,
    pub direction: Direction,
    /// The releases, described against each other.
    pub from: String,
    pub to: String,
    /// Replicas to replace, and those replaced.
    pub replicas: usize,
    pub replaced: usize,
    pub started: Instant,
    pub took: Duration,
    /// What happened, replica by replica, with seconds since the start.
    pub steps: Vec<String>,
    /// Why the rollout stopped before the end.
    pub halted: Option<String>,
    /// After a halt: what was undone.
    pub undone: Vec<String>,
}

impl Rollout {
    /// `upgrade of api from golive/testbed:latest to golive/testbed:latest
    /// (APP_VERSION=2)`.
    pub fn label(&self) -> String {
        format!(
            "{} of {} from {} to {}",
            self.direction.noun(),
            self.service,
            self.from,
            self.to
        )
    }
}

impl RunningStack {
    fn history(&self, service: &str) -> Result<History, String> {
        self.releases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(service)
            .cloned()
            .ok_or_else(|| {
                format!(
                    "the stack {} has no service named {service:?}",
                    self.file.name
                )
            })
    }

    /// Replaces the replicas of `service` with its `upgrade:` release.
    pub async fn upgrade(&self, service: &str) -> Result<Rollout, String> {
        let spec = self.service(service).cloned().ok_or_else(|| {
            format!(
                "the stack {} has no service named {service:?}",
                self.file.name
            )
        })?;
        let upgrade = spec.upgrade.clone().ok_or_else(|| {
            format!(
                "service {service} names no release to upgrade to: give it upgrade: {{image: ..., env: ...}} in the stack file"
            )
        })?;
        let history = self.history(service)?;
        let mut env = history.releases[0].env.clone();
        env.extend(upgrade.env.clone());
        let to = Release {
            image: upgrade.image.clone(),
            env,
        };
        let current = history.releases.last().expect("a first release");
        if *current == to {
            return Err(format!(
                "service {service} already runs the release it upgrades to"
            ));
        }
        self.roll(&spec, to, Direction::Upgrade, upgrade.progress_deadline)
            .await
    }

    /// Replaces the replicas of `service` with the release it ran before
    /// the current one (`kubectl rollout undo`).
    pub async fn roll_back(&self, service: &str) -> Result<Rollout, String> {
        let spec = self.service(service).cloned().ok_or_else(|| {
            format!(
                "the stack {} has no service named {service:?}",
                self.file.name
            )
        })?;
        let history = self.history(service)?;
        let [.., before, _] = history.releases.as_slice() else {
            return Err(format!(
                "service {service} has run one release only: there is nothing to roll back to"
            ));
        };
        let deadline = progress_deadline(&spec);
        self.roll(&spec, before.clone(), Direction::Rollback, deadline)
            .await
    }

    /// After a scenario: `service` back on the release it started with,
    /// whatever the scenario did. `None` when it already runs it.
    pub async fn restore(&self, service: &str) -> Result<Option<Rollout>, String> {
        let spec = self
            .service(service)
            .cloned()
            .ok_or_else(|| format!("no service named {service:?}"))?;
        let history = self.history(service)?;
        let first = history.releases[0].clone();
        let on_first = self
            .instances_of(service)?
            .iter()
            .all(|i| history.releases.get(i.revision as usize - 1) == Some(&first));
        if on_first {
            self.forget_releases(service);
            return Ok(None);
        }
        let rollout = self
            .roll(
                &spec,
                first.clone(),
                Direction::Rollback,
                progress_deadline(&spec),
            )
            .await?;
        match &rollout.halted {
            None => {
                self.forget_releases(service);
                Ok(Some(rollout))
            }
            Some(why) => Err(format!("could not restore its first release: {why}")),
        }
    }

    /// `service`, back on its first release, is as if started so: one
    /// release, every replica of revision 1.
    fn forget_releases(&self, service: &str) {
        if let Some(history) = self
            .releases
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(service)
        {
            history.releases.truncate(1);
        }
        for instance in self.write_instances().iter_mut() {
            if instance.service == service {
                instance.revision = 1;
            }
        }
    }

    /// Replaces every replica of `spec` that does not run `to`, one at a
    /// time; a halt undoes what was replaced.
    async fn roll(
        &self,
        spec: &ServiceSpec,
        to: Release,
        direction: Direction,
        deadline: Duration,
    ) -> Result<Rollout, String> {
        let started = Instant::now();
        let history = self.history(&spec.name)?;
        let from = history.releases.last().expect("a first release").clone();
        // A rollback to an earlier release is a new revision of it, as
        // `rollout undo` makes one.
        let revision = history.releases.len() as u32 + 1;
        let mut rollout = Rollout {
            service: spec.name.clone(),
            direction,
            from: format!("revision {} ({})", history.releases.len(), from.image),
            to: format!("revision {revision}: {}", to.describe_against(&from)),
            replicas: 0,
            replaced: 0,
            started,
            took: Duration::ZERO,
            steps: Vec::new(),
            halted: None,
            undone: Vec::new(),
        };
        let old = self.instances_of(&spec.name)?;
        rollout.replicas = old.len();
        match self
            .replace(spec, &old, &to, revision, deadline, &mut rollout)
            .await
        {
            Ok(()) => {
                if let Some(history) = self
                    .releases
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_mut(&spec.name)
                {
                    history.releases.push(to);
                }
            }
            Err(halt) => {
                rollout.halted = Some(self.redact(halt));
                rollout.undone = self.undo(spec, &from, revision, &mut rollout).await;
            }
        }
        rollout.took = started.elapsed();
        Ok(rollout)
    }

    /// The replicas of a halted rollout's release replaced by ones of the
    /// release before it (their revision is the current one).
    async fn undo(
        &self,
        spec: &ServiceSpec,
        from: &Release,
        halted_revision: u32,
        rollout: &mut Rollout,
    ) -> Vec<String> {
        let replaced: Vec<Instance> = self
            .instances_of(&spec.name)
            .unwrap_or_default()
            .into_iter()
            .filter(|i| i.revision == halted_revision)
            .collect();
        if replaced.is_empty() {
            return vec!["nothing to undo: no replica had been replaced".into()];
        }
        let mut undo = Rollout {
            steps: Vec::new(),
            ..rollout.clone()
        };
        let current = halted_revision - 1;
        let deadline = progress_deadline(spec);
        match self
            .replace(spec, &replaced, from, current, deadline, &mut undo)
            .await
        {
            Ok(()) => {
                let mut done = vec![format!(
                    "{} replaced replica(s) rolled back to {}",
                    replaced.len(),
                    rollout.from
                )];
                done.extend(undo.steps);
                done
            }
            Err(e) => vec![format!("the undo failed too: {}", self.redact(e))],
        }
    }

    /// Replaces each of `old` by a new container of `to` (revision
    /// `revision`); `Err` with why at the first replica that does not
    /// become healthy.
    async fn replace(
        &self,
        spec: &ServiceSpec,
        old: &[Instance],
        to: &Release,
        revision: u32,
        deadline: Duration,
        rollout: &mut Rollout,
    ) -> Result<(), String> {
        let template = ServiceSpec {
            image: to.image.clone(),
            env: to.env.clone(),
            ..spec.clone()
        };
        self.engine().require_image(&to.image).await?;
        let files = self.materialise_files(&template).map_err(|e| e.message)?;
        let at = |rollout: &Rollout| rollout.started.elapsed().as_secs_f64();
        for retiring in old {
            let name = self.next_instance_name(&spec.name);
            let address = self.next_address(&name)?;
            let request = self.container_request(&template, &name, address, &files);
            self.engine()
                .run(&request)
                .await
                .map_err(|e| format!("{name}: {e}"))?;
            let healthcheck = spec.healthcheck.clone().map(|mut check| {
                check.timeout = deadline;
                check
            });
            let healthy =
                health::wait_healthy(self.engine(), &request.name, healthcheck.as_ref()).await;
            let healthy_after = match healthy {
                Ok(elapsed) => elapsed,
                Err(unhealthy) => {
                    let failure = self.start_failure(&request.name, unhealthy, 5).await;
                    let _ = self.engine().remove(&request.name).await;
                    return Err(format!(
                        "{name} (revision {revision}) was not healthy within the {} s progress deadline and was removed: {}",
                        deadline.as_secs(),
                        failure.message
                    ));
                }
            };
            let host_ports = self
                .host_ports(&request.name, &spec.ports)
                .await
                .map_err(|e| e.message)?;
            self.write_instances().push(Instance {
                name: name.clone(),
                service: spec.name.clone(),
                container: request.name.clone(),
                image: to.image.clone(),
                address,
                host_ports,
                healthy_after_s: healthy_after.as_secs_f64(),
                revision,
            });
            self.reload_entry_points(&spec.name).await?;
            rollout.steps.push(format!(
                "{:.1} s: {name} started, healthy after {:.2} s",
                at(rollout),
                healthy_after.as_secs_f64()
            ));
            self.engine()
                .stop(&retiring.container)
                .await
                .map_err(|e| e.to_string())?;
            self.engine()
                .remove(&retiring.container)
                .await
                .map_err(|e| e.to_string())?;
            self.write_instances().retain(|i| i.name != retiring.name);
            self.reload_entry_points(&spec.name).await?;
            rollout.steps.push(format!(
                "{:.1} s: {} stopped and removed",
                at(rollout),
                retiring.name
            ));
            rollout.replaced += 1;
        }
        Ok(())
    }

    /// `api-4`: the name of the next container of `service`.
    fn next_instance_name(&self, service: &str) -> String {
        let mut releases = self.releases.lock().unwrap_or_else(|e| e.into_inner());
        let history = releases
            .entry(service.to_string())
            .or_insert_with(|| History {
                releases: Vec::new(),
                containers: 0,
            });
        history.containers += 1;
        format!("{service}-{}", history.containers)
    }

    /// Every entry point routing to `service` picks up its replicas of now.
    async fn reload_entry_points(&self, service: &str) -> Result<(), String> {
        let entry_points: Vec<(String, Reload)> = self
            .file
            .services
            .iter()
            .filter(|s| s.routes_to.iter().any(|r| r == service))
            .filter_map(|s| Some((s.name.clone(), s.reload.clone()?)))
            .collect();
        if entry_points.is_empty() {
            return Ok(());
        }
        for (entry_point, reload) in &entry_points {
            for instance in self.instances_of(entry_point)? {
                let container = &instance.container;
                match reload {
                    Reload::Signal(signal) => self
                        .engine()
                        .signal(container, signal)
                        .await
                        .map_err(|e| e.to_string())?,
                    Reload::Exec(command) => {
                        let command: Vec<&str> = command.iter().map(String::as_str).collect();
                        let output = self
                            .engine()
                            .exec(container, None, &command)
                            .await
                            .map_err(|e| e.to_string())?;
                        if output.exit_code != 0 {
                            return Err(format!(
                                "reloading {}: {} exited with {}: {}",
                                instance.name,
                                command.join(" "),
                                output.exit_code,
                                output.stderr.trim()
                            ));
                        }
                    }
                }
            }
        }
        tokio::time::sleep(RELOAD_SETTLE).await;
        Ok(())
    }
}

/// A replica of `spec` has this long to become healthy in a rollout: its
/// `upgrade.progress_deadline`, else its health check's timeout.
fn progress_deadline(spec: &ServiceSpec) -> Duration {
    spec.upgrade
        .as_ref()
        .map(|u| u.progress_deadline)
        .or_else(|| spec.healthcheck.as_ref().map(|h| h.timeout))
        .unwrap_or(Duration::from_secs(60))
}
