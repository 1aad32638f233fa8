//! Starting and stopping a stack: test certificates, a private network,
//! containers in dependency order (each waited on until healthy, progress on
//! standard error), and the running stack the steps talk to (endpoints,
//! exec, stop/start of a service). Removal is by label, so a run
//! interrupted half-way through a start leaves nothing behind either.

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::certs::{self, TestPki};
use super::disrupt::Disruption;
use super::docker::{ContainerRequest, Engine, INSTANCE_LABEL, RUN_LABEL, Subnet};
use super::file::{EndpointSpec, FileSource, ServiceSpec, StackFile};
use super::health::{self, Unhealthy};
use crate::checks::secrets::secret_parts;
use crate::probe::http::{CertificateCheck, HttpOptions};

/// Why a stack could not start, naming the service or container at fault.
#[derive(Debug, Clone)]
pub struct StartError {
    /// The container, service or stack file concerned.
    pub place: String,
    pub message: String,
}

impl StartError {
    fn new(place: impl Into<String>, message: impl Into<String>) -> StartError {
        StartError {
            place: place.into(),
            message: message.into(),
        }
    }
}

/// One started container.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instance {
    /// The name other containers resolve (`api-2`).
    pub name: String,
    pub service: String,
    /// The Docker container name.
    pub container: String,
    pub image: String,
    /// Its fixed address on the stack network (kept across restarts, so
    /// a proxy that resolved its name once still reaches it).
    pub address: Ipv4Addr,
    /// Container port → 127.0.0.1 port (changes when the container restarts).
    pub host_ports: BTreeMap<u16, u16>,
    /// Seconds from the container's start to its first passed health check.
    pub healthy_after_s: f64,
    /// The release of its service it runs: 1 as started, then one more per
    /// rollout.
    #[serde(default = "first_revision")]
    pub revision: u32,
}

fn first_revision() -> u32 {
    1
}

/// Where an endpoint can be reached from golive, per instance.
#[derive(Debug, Clone)]
pub struct EndpointAddress {
    pub instance: String,
    pub url_base: String,
    pub port: u16,
}

impl EndpointAddress {
    /// The instance's published port on 127.0.0.1.
    pub fn socket(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// HTTP request options for this instance. Trust is not judged (the
    /// TLS steps do that), so an expired certificate does not hide a 200.
    pub fn http_options(&self, timeout: Duration) -> HttpOptions {
        HttpOptions {
            connect_to: Some(self.socket()),
            certificates: CertificateCheck::Skip,
            timeout,
            ..HttpOptions::default()
        }
    }
}

/// A started stack.
pub struct RunningStack {
    pub file: StackFile,
    pub run_id: String,
    pub network: String,
    pub started_in: Duration,
    engine: Engine,
    pki: TestPki,
    work_dir: PathBuf,
    instances: RwLock<Vec<Instance>>,
    subnet: Subnet,
    /// The host number the next container gets on the subnet.
    next_host: AtomicU32,
    /// The labels every container of the run carries.
    labels: HashMap<String, String>,
    /// Per service, the releases it ran, the current one last.
    pub(super) releases: Mutex<BTreeMap<String, super::rollout::History>>,
    /// Data store endpoints lost and not yet restored: closed to probes.
    pub(super) being_restored: Mutex<Vec<String>>,
}

impl std::fmt::Debug for RunningStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningStack")
            .field("name", &self.file.name)
            .field("run_id", &self.run_id)
            .finish_non_exhaustive()
    }
}

/// What a start has created so far, for the removal to find even when the
/// start was interrupted half-way.
#[derive(Debug, Default)]
pub struct Progress {
    /// Something may exist on the engine (set before the first request).
    created: AtomicBool,
    /// The run's private directory of generated files (certificates with
    /// their keys, configs), readable by its owner only.
    work_dir: Mutex<Option<PathBuf>>,
}

impl Progress {
    pub fn created(&self) -> bool {
        self.created.load(Ordering::SeqCst)
    }

    pub fn work_dir(&self) -> Option<PathBuf> {
        self.work_dir
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// A progress line on standard error (standard output carries the report).
fn say(line: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}

/// Starts every service of `file` in dependency order and waits until each
/// is healthy.
/// Starts every service of `file` in dependency order and waits until each
/// is healthy, recording in `progress` what the removal will have to find.
pub async fn start(
    file: StackFile,
    run_id: &str,
    progress: &Progress,
) -> Result<RunningStack, StartError> {
    let started = Instant::now();
    let place = file.path.display().to_string();
    let engine = Engine::connect()
        .await
        .map_err(|m| StartError::new("docker", m))?;
    for service in &file.services {
        engine
            .require_image(&service.image)
            .await
            .map_err(|m| StartError::new(format!("{place}: service {}", service.name), m))?;
    }
    let pki = certs::issue(run_id, &file.certificates).map_err(|e| {
        StartError::new(
            &place,
            format!("cannot generate the test certificates: {e}"),
        )
    })?;
    let network = format!("golive-{}-{run_id}", file.name);
    let labels = HashMap::from([
        (RUN_LABEL.to_string(), run_id.to_string()),
        ("dev.golive.stack".to_string(), file.name.clone()),
    ]);
    // Private: it holds the private keys of the test certificates.
    let work_dir = tempfile::Builder::new()
        .prefix(&format!("golive-stack-{run_id}-"))
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .tempdir()
        .map(tempfile::TempDir::keep)
        .map_err(|e| {
            StartError::new(
                &place,
                format!("cannot create a directory for the run's files: {e}"),
            )
        })?;
    *progress.work_dir.lock().unwrap_or_else(|e| e.into_inner()) = Some(work_dir.clone());
    progress.created.store(true, Ordering::SeqCst);
    let subnet = engine
        .create_network(&network, labels.clone())
        .await
        .map_err(|e| StartError::new("docker", e.to_string()))?;
    say(&format!(
        "stack {}: starting {} service(s) on network {network}",
        file.name,
        file.services.len()
    ));
    let mut stack = RunningStack {
        run_id: run_id.to_string(),
        network,
        started_in: Duration::ZERO,
        engine,
        pki,
        work_dir,
        instances: RwLock::new(Vec::new()),
        subnet,
        // Addresses from .10 on, in start order (the gateway is .1).
        next_host: AtomicU32::new(10),
        releases: Mutex::new(
            file.services
                .iter()
                .map(|s| (s.name.clone(), super::rollout::History::of(s)))
                .collect(),
        ),
        being_restored: Mutex::new(Vec::new()),
        labels,
        file,
    };
    for service in &stack.file.services {
        let files = stack.materialise_files(service)?;
        let mut batch = Vec::new();
        for instance in service.instances() {
            let address = stack
                .next_address(&instance)
                .map_err(|m| StartError::new("docker", m))?;
            let request = stack.container_request(service, &instance, address, &files);
            stack
                .engine
                .run(&request)
                .await
                .map_err(|e| StartError::new(&request.name, e.to_string()))?;
            batch.push((instance, request.name, address));
        }
        let waits = batch.iter().map(|(_, container, _)| {
            health::wait_healthy(&stack.engine, container, service.healthcheck.as_ref())
        });
        let results = futures::future::join_all(waits).await;
        for ((instance, container, address), result) in batch.into_iter().zip(results) {
            let healthy_after = match result {
                Ok(elapsed) => elapsed,
                Err(unhealthy) => return Err(stack.start_failure(&container, unhealthy, 20).await),
            };
            say(&format!(
                "  {instance:<16} healthy in {:.1} s{}",
                healthy_after.as_secs_f64(),
                if service.healthcheck.is_none() {
                    " (no health check: running only)"
                } else {
                    ""
                }
            ));
            let host_ports = stack.host_ports(&container, &service.ports).await?;
            stack.write_instances().push(Instance {
                name: instance,
                service: service.name.clone(),
                container,
                image: service.image.clone(),
                address,
                host_ports,
                healthy_after_s: healthy_after.as_secs_f64(),
                revision: 1,
            });
        }
    }
    stack.started_in = started.elapsed();
    say(&format!(
        "stack {}: healthy in {:.1} s",
        stack.file.name,
        stack.started_in.as_secs_f64()
    ));
    Ok(stack)
}

/// Removes every container and network of run `run_id`, and its files:
/// (containers, networks) removed, or what could not be.
///
/// A create request sent just before an interrupt may still be completed
/// by the engine after a first look, so the engine is asked again until a
/// second look finds nothing.
pub async fn remove(run_id: &str, work_dir: Option<&Path>) -> Result<(usize, usize), String> {
    if let Some(dir) = work_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
    let engine = Engine::connect().await?;
    let (mut containers, mut networks) = (0, 0);
    for pass in 0..5 {
        let removed = engine.remove_run(run_id).await?;
        containers += removed.0;
        networks += removed.1;
        if pass > 0 && removed == (0, 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    Ok((containers, networks))
}

impl RunningStack {
    pub(super) fn write_instances(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Instance>> {
        self.instances.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Every started container.
    pub fn instances(&self) -> Vec<Instance> {
        self.instances
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The run's private directory of generated files.
    pub(super) fn work_dir(&self) -> &Path {
        &self.work_dir
    }

    pub fn service(&self, name: &str) -> Option<&ServiceSpec> {
        self.file.services.iter().find(|s| s.name == name)
    }

    pub fn endpoint(&self, name: &str) -> Result<&EndpointSpec, String> {
        self.file.endpoints.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.file.endpoints.keys().map(String::as_str).collect();
            format!(
                "the stack {} has no endpoint named {name:?} (endpoints: {})",
                self.file.name,
                known.join(", ")
            )
        })
    }

    /// The CA certificates (PEM) to trust for an endpoint: its `ca_file`,
    /// else the run's test CA.
    pub fn trust_for(&self, endpoint: &EndpointSpec) -> Result<Vec<u8>, String> {
        match &endpoint.ca_file {
            Some(path) => {
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
            }
            None => Ok(self.pki.ca_pem.clone().into_bytes()),
        }
    }

    /// The address of an endpoint on each instance of its service.
    pub fn addresses(&self, endpoint: &EndpointSpec) -> Vec<EndpointAddress> {
        self.instances()
            .into_iter()
            .filter(|i| endpoint.services.contains(&i.service))
            .filter_map(|i| {
                let port = *i.host_ports.get(&endpoint.port)?;
                Some(EndpointAddress {
                    url_base: format!("{}://127.0.0.1:{port}", endpoint.scheme.as_str()),
                    instance: i.name,
                    port,
                })
            })
            .collect()
    }

    /// Every endpoint with the URL of each of its instances (`--keep`,
    /// reports).
    pub fn endpoint_urls(&self) -> BTreeMap<String, Vec<String>> {
        self.file
            .endpoints
            .values()
            .map(|endpoint| {
                let urls = self
                    .addresses(endpoint)
                    .into_iter()
                    .map(|a| format!("{} ({})", a.url_base, a.instance))
                    .collect();
                (endpoint.name.clone(), urls)
            })
            .collect()
    }

    /// Stops every container of a service (a disruption steps may cause).
    pub async fn stop_service(&self, service: &str) -> Result<(), String> {
        for instance in self.instances_of(service)? {
            self.disrupt(&instance.name, Disruption::Stop).await?;
        }
        Ok(())
    }

    /// Starts a stopped service again and waits until it is healthy; its
    /// published ports may have changed and are read again.
    pub async fn start_service(&self, service: &str) -> Result<(), String> {
        for instance in self.instances_of(service)? {
            self.heal(&instance.name, Disruption::Stop).await?;
        }
        Ok(())
    }

    /// The container named `instance` (`api-2`).
    pub fn instance(&self, instance: &str) -> Result<Instance, String> {
        self.instances()
            .into_iter()
            .find(|i| i.name == instance)
            .ok_or_else(|| {
                format!(
                    "the stack {} has no container named {instance:?}",
                    self.file.name
                )
            })
    }

    /// Reads the published ports of `instance` again (they change when
    /// its container starts again).
    pub(super) async fn refresh_ports(&self, instance: &str) -> Result<(), String> {
        let found = self.instance(instance)?;
        let ports = self
            .service(&found.service)
            .map(|s| s.ports.clone())
            .unwrap_or_default();
        let published = self
            .host_ports(&found.container, &ports)
            .await
            .map_err(|e| e.message)?;
        if let Some(entry) = self
            .write_instances()
            .iter_mut()
            .find(|i| i.name == instance)
        {
            entry.host_ports = published;
        }
        Ok(())
    }

    pub fn instances_of(&self, service: &str) -> Result<Vec<Instance>, String> {
        let found: Vec<Instance> = self
            .instances()
            .into_iter()
            .filter(|i| i.service == service)
            .collect();
        if found.is_empty() {
            Err(format!(
                "the stack {} has no service named {service:?}",
                self.file.name
            ))
        } else {
            Ok(found)
        }
    }

    pub(super) async fn host_ports(
        &self,
        container: &str,
        ports: &[u16],
    ) -> Result<BTreeMap<u16, u16>, StartError> {
        let mut published = BTreeMap::new();
        for port in ports {
            let host = self
                .engine
                .host_port(container, *port)
                .await
                .map_err(|m| StartError::new(container, m))?;
            published.insert(*port, host);
        }
        Ok(published)
    }

    /// Writes the files of a service under the run's directory; returns
    /// (host path, container path) pairs to bind-mount.
    pub(super) fn materialise_files(
        &self,
        service: &ServiceSpec,
    ) -> Result<Vec<(String, String)>, StartError> {
        let dir = self.work_dir.join(&service.name);
        let place = format!("service {}", service.name);
        let fail = |e: std::io::Error| {
            StartError::new(
                &place,
                format!("cannot write its files under {}: {e}", dir.display()),
            )
        };
        std::fs::create_dir_all(&dir).map_err(fail)?;
        let mut mounts = Vec::new();
        for (index, (target, source)) in service.files.iter().enumerate() {
            let host = dir.join(format!("{index}-{}", file_name(target)));
            let content = match source {
                FileSource::Path(path) => std::fs::read(path).map_err(|e| {
                    StartError::new(&place, format!("cannot read {}: {e}", path.display()))
                })?,
                FileSource::Content(text) => text.clone().into_bytes(),
                FileSource::Certificate(name) => {
                    self.pki.certificates[name].chain_pem.clone().into_bytes()
                }
                FileSource::PrivateKey(name) => {
                    self.pki.certificates[name].key_pem.clone().into_bytes()
                }
                FileSource::CaCertificate => self.pki.ca_pem.clone().into_bytes(),
            };
            std::fs::write(&host, content).map_err(fail)?;
            mounts.push((host.display().to_string(), target.clone()));
        }
        Ok(mounts)
    }

    /// The next free address of the stack network, for `instance`.
    pub(super) fn next_address(&self, instance: &str) -> Result<Ipv4Addr, String> {
        let host = self.next_host.fetch_add(1, Ordering::SeqCst);
        self.subnet.host(host).ok_or_else(|| {
            format!(
                "the network's subnet {} has no address left for {instance}",
                self.subnet
            )
        })
    }

    pub(super) fn container_request(
        &self,
        service: &ServiceSpec,
        instance: &str,
        address: Ipv4Addr,
        files: &[(String, String)],
    ) -> ContainerRequest {
        let mut labels = self.labels.clone();
        labels.insert(INSTANCE_LABEL.to_string(), instance.to_string());
        ContainerRequest {
            name: format!("golive-{}-{}-{instance}", self.file.name, self.run_id),
            image: service.image.clone(),
            command: service.command.clone(),
            env: service
                .env
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
            user: service.user.clone(),
            read_only: service.read_only,
            tmpfs: service.tmpfs.clone(),
            ports: service.ports.clone(),
            files: files.to_vec(),
            directories: self.backup_mounts(&service.name),
            network: self.network.clone(),
            address,
            aliases: aliases(instance, &service.name),
            labels,
        }
    }

    /// The error for a container that did not become healthy, with the
    /// last `lines` of its output; credentials from the environment of any service are
    /// redacted from all of it.
    pub(super) async fn start_failure(
        &self,
        container: &str,
        unhealthy: Unhealthy,
        lines: usize,
    ) -> StartError {
        let logs = self.engine.logs(container, lines).await;
        let logs = if logs.trim().is_empty() {
            "(no output)".to_string()
        } else {
            logs.lines()
                .map(|l| format!("  | {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let message = format!("did not start: {unhealthy}; its last log lines:\n{logs}");
        StartError::new(container, self.redact(message))
    }

    /// `text` without any credential from the stack's environments (those
    /// of its upgrades too) or endpoints.
    pub fn redact(&self, mut text: String) -> String {
        let secrets = self
            .file
            .services
            .iter()
            .flat_map(|s| {
                s.env
                    .iter()
                    .chain(s.upgrade.iter().flat_map(|u| u.env.iter()))
            })
            .flat_map(|(name, value)| secret_parts(name, value))
            .chain(
                self.file
                    .endpoints
                    .values()
                    .filter_map(|e| e.password.clone()),
            );
        for secret in secrets {
            text = text.replace(&secret, "[redacted]");
        }
        text
    }
}

/// The names a container answers to on the stack network: its instance
/// name and, for a replica, its service's.
pub(super) fn aliases(instance: &str, service: &str) -> Vec<String> {
    let mut aliases = vec![instance.to_string()];
    if instance != service {
        aliases.push(service.to_string());
    }
    aliases
}

fn file_name(target: &str) -> String {
    Path::new(target)
        .file_name()
        .map_or("file".into(), |n| n.to_string_lossy().into_owned())
}
