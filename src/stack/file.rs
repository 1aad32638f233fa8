//! The stack file: the system golive starts in containers for a `stack:`
//! target — services (image, command, env, ports, user, files, health
//! check, dependencies, replicas), test certificates generated at start, and
//! the named endpoints the features talk to. This module reads and checks
//! the file (errors name `file:line:column`); starting it is `lifecycle`'s.
//!
//! A file may `extends:` another (path relative to it): mappings are merged
//! key by key, the extending file winning (`key: null` removes the key), so
//! a failing variant states only what differs from the reference.
//!
//! Endpoints may be served by several services (a primary and its
//! replicas) and may be data stores (`scheme: postgresql` or `redis`, with
//! credentials) that the failover probes write to. `runbooks` name the
//! commands an operator would run (a promotion), which a step can run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

pub use super::release::{Reload, UpgradeSpec, VersionProbe};
use crate::error::InputError;
use crate::source::document::{Document, parse_duration};
use crate::source::yaml::{Node, NodeValue};

/// A checked stack file.
#[derive(Debug, Clone)]
pub struct StackFile {
    /// Path of the file given to `--target stack:`.
    pub path: PathBuf,
    pub name: String,
    pub certificates: BTreeMap<String, CertificateSpec>,
    /// Services in dependency order (a service comes after what it depends on).
    pub services: Vec<ServiceSpec>,
    pub endpoints: BTreeMap<String, EndpointSpec>,
    /// Operational procedures golive can run as a step, by name.
    pub runbooks: BTreeMap<String, RunbookSpec>,
    /// How a data store endpoint is backed up and restored, by endpoint.
    pub backups: BTreeMap<String, BackupSpec>,
}

/// A data store's backup and restore, as its runbooks say: commands run in
/// named containers, reading and writing the dump under `directory`, a
/// directory of the run that golive mounts there in every container of the
/// endpoint's services, so the dump outlives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSpec {
    pub endpoint: String,
    /// Where the dump is, inside the containers (absolute).
    pub directory: String,
    pub backup: RunbookSpec,
    pub restore: RunbookSpec,
}

/// A documented procedure (a promotion, a rollback): a command run in one
/// container, as an operator following the runbook would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunbookSpec {
    /// The container it runs in (an instance name: `postgres-standby`).
    pub instance: String,
    pub command: Vec<String>,
    pub timeout: Duration,
}

/// A test certificate golive generates at start, signed by the run's CA.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateSpec {
    /// DNS names and IP addresses the certificate is valid for.
    pub hosts: Vec<String>,
    /// Days from now until it expires; negative for an expired certificate.
    #[serde(default = "default_valid_days")]
    pub valid_days: i64,
    #[serde(default)]
    pub key: KeyKind,
}

fn default_valid_days() -> i64 {
    90
}

/// The key algorithm of a generated certificate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyKind {
    #[default]
    EcdsaP256,
    EcdsaP384,
    Ed25519,
}

/// One service of the stack (several containers when `replicas` > 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    pub name: String,
    pub image: String,
    pub command: Option<Vec<String>>,
    pub env: BTreeMap<String, String>,
    pub user: Option<String>,
    pub read_only: bool,
    pub tmpfs: Vec<String>,
    pub replicas: u32,
    pub ports: Vec<u16>,
    pub depends_on: Vec<String>,
    /// Files placed in the container (path inside the container → source).
    pub files: BTreeMap<String, FileSource>,
    pub healthcheck: Option<Healthcheck>,
    /// The release it upgrades to, for the upgrade drills.
    pub upgrade: Option<UpgradeSpec>,
    /// How a replica reports the version it serves.
    pub version: Option<VersionProbe>,
    /// The services this one is the entry point of, and how it picks up
    /// their replicas when a rollout replaces them.
    pub routes_to: Vec<String>,
    pub reload: Option<Reload>,
}

impl ServiceSpec {
    /// The names of this service's containers: the service name, or
    /// `name-1` … `name-N` for replicas.
    pub fn instances(&self) -> Vec<String> {
        if self.replicas == 1 {
            vec![self.name.clone()]
        } else {
            (1..=self.replicas)
                .map(|i| format!("{}-{i}", self.name))
                .collect()
        }
    }
}

/// Where the content of a file placed in a container comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSource {
    /// A file on disk (the path is resolved against the stack file).
    Path(PathBuf),
    /// Literal content.
    Content(String),
    /// The PEM chain (leaf, then CA) of a generated certificate.
    Certificate(String),
    /// The PEM private key of a generated certificate.
    PrivateKey(String),
    /// The PEM certificate of the run's test CA.
    CaCertificate,
}

/// How golive knows a container is healthy: by speaking its protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Healthcheck {
    pub probe: HealthProbe,
    /// How long to wait for health before the start fails.
    pub timeout: Duration,
    pub interval: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthProbe {
    /// An HTTP GET on a container port answering `status`.
    Http {
        port: u16,
        path: String,
        status: u16,
        https: bool,
    },
    /// A command run inside the container (`pg_isready`, `redis-cli ping`)
    /// exiting 0, and printing `expect_output` when given.
    Exec {
        command: Vec<String>,
        expect_output: Option<String>,
    },
}

/// A named address the features talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSpec {
    pub name: String,
    /// The services whose instances serve it (a primary and its replicas
    /// may be two services).
    pub services: Vec<String>,
    pub port: u16,
    pub scheme: Scheme,
    /// Credentials of a data store endpoint (PostgreSQL, Redis).
    pub user: Option<String>,
    pub password: Option<String>,
    pub database: Option<String>,
    /// The host name sent as SNI and `Host`, and checked against the
    /// certificate.
    pub server_name: String,
    /// CA certificate (PEM file) to trust instead of the run's test CA.
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
    /// Not HTTP: only addressable.
    Tcp,
    /// A PostgreSQL server (the failover probes write to it).
    Postgresql,
    /// A Redis server (the failover probes write to it).
    Redis,
}

impl EndpointSpec {
    /// The URL of `path` as a client names it (the server name, so `Host`
    /// and SNI are right); the connection goes to an instance's address.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme.as_str(), self.server_name)
    }
}

impl Scheme {
    /// HTTP or HTTPS: what the HTTP steps, the probes' GET and the load
    /// campaigns speak.
    pub fn is_http(self) -> bool {
        matches!(self, Scheme::Http | Scheme::Https)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
            Scheme::Tcp => "tcp",
            Scheme::Postgresql => "postgresql",
            Scheme::Redis => "redis",
        }
    }
}

// ---------------------------------------------------------------------------
// The file as written (serde shapes), before checking.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStack {
    name: String,
    /// Read by `load` before deserialising; kept so the key is allowed.
    #[serde(default, rename = "extends")]
    _extends: Option<String>,
    #[serde(default)]
    certificates: BTreeMap<String, CertificateSpec>,
    services: BTreeMap<String, RawService>,
    #[serde(default)]
    endpoints: BTreeMap<String, RawEndpoint>,
    #[serde(default)]
    runbooks: BTreeMap<String, RawRunbook>,
    #[serde(default)]
    backups: BTreeMap<String, RawBackup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackup {
    directory: String,
    backup: RawRunbook,
    restore: RawRunbook,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRunbook {
    /// The container (instance name) it runs in.
    runs_in: String,
    command: Vec<String>,
    timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    image: String,
    command: Option<Vec<String>>,
    #[serde(default)]
    env: BTreeMap<String, Scalar>,
    user: Option<Scalar>,
    #[serde(default)]
    read_only: bool,
    #[serde(default)]
    tmpfs: Vec<String>,
    #[serde(default = "one")]
    replicas: u32,
    #[serde(default)]
    ports: Vec<u16>,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default)]
    files: BTreeMap<String, RawFile>,
    healthcheck: Option<RawHealthcheck>,
    upgrade: Option<super::release::RawUpgrade>,
    version: Option<super::release::RawVersion>,
    #[serde(default)]
    routes_to: Vec<String>,
    reload: Option<super::release::RawReload>,
}

fn one() -> u32 {
    1
}

/// A scalar written as a string, an integer or a boolean (env values,
/// users), kept as the text the container gets. A decimal number is
/// refused: YAML reads `1.10` as 1.1, which is not what was written.
#[derive(Debug)]
pub(super) struct Scalar(pub(super) String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Scalar, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string, an integer or a boolean")
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scalar, E> {
                Err(E::custom(format!(
                    "{v} is a decimal number, which YAML may not keep as written: quote it (\"{v}\")"
                )))
            }
        }
        deserializer.deserialize_any(Text)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    source: Option<String>,
    content: Option<String>,
    certificate: Option<String>,
    private_key: Option<String>,
    #[serde(default)]
    ca_certificate: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHealthcheck {
    http: Option<RawHttpCheck>,
    exec: Option<Vec<String>>,
    expect_output: Option<String>,
    timeout: Option<String>,
    interval: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttpCheck {
    port: u16,
    #[serde(default = "root_path")]
    path: String,
    #[serde(default = "ok_status")]
    status: u16,
    #[serde(default)]
    https: bool,
}

fn root_path() -> String {
    "/".into()
}

fn ok_status() -> u16 {
    200
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndpoint {
    service: Option<String>,
    #[serde(default)]
    services: Vec<String>,
    port: u16,
    #[serde(default = "http_scheme")]
    scheme: Scheme,
    server_name: Option<String>,
    ca_file: Option<String>,
    user: Option<Scalar>,
    password: Option<Scalar>,
    database: Option<Scalar>,
}

fn http_scheme() -> Scheme {
    Scheme::Http
}

// ---------------------------------------------------------------------------
// Reading.

/// The documents a stack file is made of: itself and what it extends, the
/// file first.
struct Sources {
    layers: Vec<Document>,
}

impl Sources {
    /// An error at `path` (a field path such as `services.api.ports[0]`),
    /// located in the first file that writes that field.
    fn error_at(&self, path: &str, message: impl Into<String>) -> InputError {
        let layer = self
            .layers
            .iter()
            .find(|layer| layer.has(path))
            .unwrap_or(&self.layers[0]);
        layer.error_at(path, message)
    }
}

/// Reads and checks a stack file.
pub fn load(path: &Path) -> Result<StackFile, InputError> {
    let mut sources = Sources { layers: Vec::new() };
    let mut next = Some(path.to_path_buf());
    let mut seen = Vec::new();
    while let Some(file) = next.take() {
        let name = file.display().to_string();
        let canonical = file.canonicalize().unwrap_or_else(|_| file.clone());
        if seen.contains(&canonical) {
            return Err(InputError::new(
                name,
                "extends itself (a cycle of extends:)",
            ));
        }
        seen.push(canonical);
        let mut document = Document::read(&file, "stack file")?;
        resolve_paths(&mut document.root, &file);
        if let Some(parent) = document.root.get("extends") {
            let Some(relative) = parent.as_str() else {
                return Err(document.error_at("extends", "must be a path"));
            };
            next = Some(relative_to(&file, relative));
        }
        sources.layers.push(document);
    }
    let merged = sources
        .layers
        .iter()
        .rev()
        .map(|layer| layer.root.clone())
        .reduce(merge)
        .expect("at least the file itself");
    let raw: RawStack = merged
        .deserialize_as()
        .map_err(|(field, message)| sources.error_at(&field, message))?;
    check(path, raw, &sources)
}

fn relative_to(file: &Path, relative: &str) -> PathBuf {
    file.parent().unwrap_or(Path::new(".")).join(relative)
}

/// Makes the paths a layer names (`services.*.files.*.source`,
/// `endpoints.*.ca_file`) relative to that layer's own file, as Compose
/// does: a variant in another directory can extend the reference.
fn resolve_paths(root: &mut Node, file: &Path) {
    fn entries(node: &mut Node) -> &mut [(String, Node)] {
        match &mut node.value {
            NodeValue::Map(entries) => entries,
            _ => &mut [],
        }
    }
    let resolve = |node: &mut Node, key: &str| {
        for (name, value) in entries(node) {
            if name == key
                && let NodeValue::String(path) = &mut value.value
            {
                *path = relative_to(file, path).display().to_string();
            }
        }
    };
    for (section, node) in entries(root) {
        match section.as_str() {
            "services" => {
                for (_, service) in entries(node) {
                    for (field, files) in entries(service) {
                        if field == "files" {
                            for (_, file_entry) in entries(files) {
                                resolve(file_entry, "source");
                            }
                        }
                    }
                }
            }
            "endpoints" => {
                for (_, endpoint) in entries(node) {
                    resolve(endpoint, "ca_file");
                }
            }
            _ => {}
        }
    }
}

/// `over` merged onto `base`: mappings key by key (a `null` value removes
/// the key), anything else replaced.
fn merge(base: Node, over: Node) -> Node {
    match (base.value, over.value) {
        (NodeValue::Map(mut entries), NodeValue::Map(overrides)) => {
            for (key, value) in overrides {
                let position = entries.iter().position(|(k, _)| *k == key);
                if matches!(value.value, NodeValue::Null) {
                    // `key: null` in a variant removes what the base had.
                    if let Some(index) = position {
                        entries.remove(index);
                    }
                    continue;
                }
                match position {
                    Some(index) => {
                        let (_, old) = entries.remove(index);
                        entries.insert(index, (key, merge(old, value)));
                    }
                    None => entries.push((key, value)),
                }
            }
            Node {
                position: over.position,
                value: NodeValue::Map(entries),
            }
        }
        (_, value) => Node {
            position: over.position,
            value,
        },
    }
}

/// Checks what serde cannot: references between sections, one source per
/// file, durations, names Docker accepts; orders services by dependency.
fn check(path: &Path, raw: RawStack, sources: &Sources) -> Result<StackFile, InputError> {
    check_name(&raw.name).map_err(|m| sources.error_at("name", m))?;
    for (name, certificate) in &raw.certificates {
        let at = format!("certificates.{name}");
        if certificate.hosts.is_empty() {
            return Err(sources.error_at(
                &format!("{at}.hosts"),
                "a certificate needs at least one host name or address",
            ));
        }
        if let Err(e) = rcgen::CertificateParams::new(certificate.hosts.clone()) {
            return Err(sources.error_at(
                &format!("{at}.hosts"),
                format!("not a host name or address: {e}"),
            ));
        }
        if !(-3650..=3650).contains(&certificate.valid_days) {
            return Err(sources.error_at(
                &format!("{at}.valid_days"),
                "valid_days must be between -3650 and 3650",
            ));
        }
    }
    let mut services = BTreeMap::new();
    for (name, service) in raw.services {
        let spec = check_service(&name, service, &raw.certificates, sources)?;
        services.insert(name, spec);
    }
    let mut instances = BTreeMap::new();
    for service in services.values() {
        for instance in service.instances() {
            if let Some(other) = instances.insert(instance.clone(), service.name.clone()) {
                return Err(sources.error_at(
                    &format!("services.{}", service.name),
                    format!(
                        "its container {instance:?} has the name of a container of service {other:?}"
                    ),
                ));
            }
        }
    }
    for service in services.values() {
        for target in &service.routes_to {
            if !services.contains_key(target) || target == &service.name {
                return Err(sources.error_at(
                    &format!("services.{}.routes_to", service.name),
                    format!("no other service named {target:?}"),
                ));
            }
        }
    }
    let ordered = dependency_order(&services, sources)?;
    let mut endpoints = BTreeMap::new();
    for (name, endpoint) in raw.endpoints {
        let at = format!("endpoints.{name}");
        let named: Vec<String> = endpoint
            .service
            .into_iter()
            .chain(endpoint.services)
            .collect();
        if named.is_empty() {
            return Err(sources.error_at(
                &at,
                "an endpoint needs service: NAME (or services: [NAMES])",
            ));
        }
        for service_name in &named {
            let Some(service) = services.get(service_name) else {
                return Err(sources.error_at(&at, format!("no service named {service_name:?}")));
            };
            if !service.ports.contains(&endpoint.port) {
                return Err(sources.error_at(
                    &format!("{at}.port"),
                    format!(
                        "service {:?} does not publish port {} (ports: {:?})",
                        service.name, endpoint.port, service.ports
                    ),
                ));
            }
        }
        // Already relative to the file that names it (resolve_paths).
        let ca_file = endpoint.ca_file.map(PathBuf::from);
        if let Some(ca_file) = &ca_file
            && !ca_file.is_file()
        {
            return Err(sources.error_at(
                &format!("{at}.ca_file"),
                format!("no such file: {}", ca_file.display()),
            ));
        }
        endpoints.insert(
            name.clone(),
            EndpointSpec {
                name,
                services: named,
                port: endpoint.port,
                scheme: endpoint.scheme,
                server_name: endpoint.server_name.unwrap_or_else(|| "localhost".into()),
                ca_file,
                user: endpoint.user.map(|s| s.0),
                password: endpoint.password.map(|s| s.0),
                database: endpoint.database.map(|s| s.0),
            },
        );
    }
    let mut runbooks = BTreeMap::new();
    for (name, runbook) in raw.runbooks {
        let spec = check_runbook(&format!("runbooks.{name}"), runbook, &instances, sources)?;
        runbooks.insert(name, spec);
    }
    let mut backups = BTreeMap::new();
    for (name, backup) in raw.backups {
        let at = format!("backups.{name}");
        let Some(endpoint) = endpoints.get(&name) else {
            return Err(sources.error_at(&at, format!("no endpoint named {name:?}")));
        };
        if !matches!(endpoint.scheme, Scheme::Postgresql | Scheme::Redis) {
            return Err(sources.error_at(
                &at,
                "backups are of data store endpoints (scheme postgresql or redis)",
            ));
        }
        if !backup.directory.starts_with('/') {
            return Err(sources.error_at(
                &format!("{at}.directory"),
                "the directory inside the containers must be absolute",
            ));
        }
        let of_endpoint: BTreeMap<String, String> = instances
            .iter()
            .filter(|(_, service)| endpoint.services.contains(service))
            .map(|(instance, service)| (instance.clone(), service.clone()))
            .collect();
        let backup_runbook = check_runbook(
            &format!("{at}.backup"),
            backup.backup,
            &of_endpoint,
            sources,
        )?;
        let restore = check_runbook(
            &format!("{at}.restore"),
            backup.restore,
            &of_endpoint,
            sources,
        )?;
        backups.insert(
            name.clone(),
            BackupSpec {
                endpoint: name,
                directory: backup.directory,
                backup: backup_runbook,
                restore,
            },
        );
    }
    Ok(StackFile {
        path: path.to_path_buf(),
        name: raw.name,
        certificates: raw.certificates,
        services: ordered,
        endpoints,
        runbooks,
        backups,
    })
}

/// A runbook at `at` whose container is one of `instances` (instance →
/// service).
fn check_runbook(
    at: &str,
    runbook: RawRunbook,
    instances: &BTreeMap<String, String>,
    sources: &Sources,
) -> Result<RunbookSpec, InputError> {
    if !instances.contains_key(&runbook.runs_in) {
        return Err(sources.error_at(
            &format!("{at}.runs_in"),
            format!(
                "no container named {:?} (containers: {})",
                runbook.runs_in,
                instances.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    if runbook.command.is_empty() {
        return Err(sources.error_at(&format!("{at}.command"), "the command is empty"));
    }
    let timeout = match &runbook.timeout {
        Some(text) => {
            parse_duration(text).map_err(|e| sources.error_at(&format!("{at}.timeout"), e))?
        }
        None => Duration::from_secs(60),
    };
    Ok(RunbookSpec {
        instance: runbook.runs_in,
        command: runbook.command,
        timeout,
    })
}

/// Stack and service names become parts of container names and DNS names.
fn check_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a valid name (lowercase letters, digits and '-', at most 40 characters)"
        ))
    }
}

fn check_service(
    name: &str,
    raw: RawService,
    certificates: &BTreeMap<String, CertificateSpec>,
    sources: &Sources,
) -> Result<ServiceSpec, InputError> {
    let at = format!("services.{name}");
    check_name(name).map_err(|m| sources.error_at(&at, m))?;
    if raw.replicas == 0 || raw.replicas > 20 {
        return Err(sources.error_at(
            &format!("{at}.replicas"),
            "replicas must be between 1 and 20",
        ));
    }
    let mut files = BTreeMap::new();
    for (target, file) in raw.files {
        let field = format!("{at}.files");
        if !target.starts_with('/') {
            return Err(sources.error_at(
                &field,
                format!("{target:?}: the path inside the container must be absolute"),
            ));
        }
        let source = file_source(file, certificates)
            .map_err(|m| sources.error_at(&field, format!("{target}: {m}")))?;
        files.insert(target, source);
    }
    let nested = |section: &'static str| {
        let at = at.clone();
        move |(field, message): (String, String)| {
            let path = if field.is_empty() {
                format!("{at}.{section}")
            } else {
                format!("{at}.{section}.{field}")
            };
            sources.error_at(&path, message)
        }
    };
    let healthcheck = raw
        .healthcheck
        .map(|h| healthcheck(h, &raw.ports))
        .transpose()
        .map_err(nested("healthcheck"))?;
    let upgrade = raw
        .upgrade
        .map(|u| super::release::upgrade(u, &raw.image))
        .transpose()
        .map_err(nested("upgrade"))?;
    let version = raw
        .version
        .map(|v| super::release::version(v, &raw.ports))
        .transpose()
        .map_err(nested("version"))?;
    let reload = raw
        .reload
        .map(super::release::reload)
        .transpose()
        .map_err(nested("reload"))?;
    if reload.is_some() == raw.routes_to.is_empty() {
        return Err(sources.error_at(
            &at,
            "an entry point names both the services it routes to (routes_to:) and how it picks up their replicas (reload:)",
        ));
    }
    Ok(ServiceSpec {
        name: name.to_string(),
        image: raw.image,
        command: raw.command,
        env: raw.env.into_iter().map(|(k, Scalar(v))| (k, v)).collect(),
        user: raw.user.map(|Scalar(user)| user),
        read_only: raw.read_only,
        tmpfs: raw.tmpfs,
        replicas: raw.replicas,
        ports: raw.ports,
        depends_on: raw.depends_on,
        files,
        healthcheck,
        upgrade,
        version,
        routes_to: raw.routes_to,
        reload,
    })
}

fn file_source(
    file: RawFile,
    certificates: &BTreeMap<String, CertificateSpec>,
) -> Result<FileSource, String> {
    let certificate = |name: String| {
        if certificates.contains_key(&name) {
            Ok(name)
        } else {
            Err(format!("no certificate named {name:?} under certificates:"))
        }
    };
    let given = [
        file.source.is_some(),
        file.content.is_some(),
        file.certificate.is_some(),
        file.private_key.is_some(),
        file.ca_certificate,
    ]
    .iter()
    .filter(|given| **given)
    .count();
    if given != 1 {
        return Err(
            "give exactly one of source, content, certificate, private_key, ca_certificate".into(),
        );
    }
    if let Some(source) = file.source {
        // Already relative to the file that names it (resolve_paths).
        let resolved = PathBuf::from(source);
        return if resolved.is_file() {
            Ok(FileSource::Path(resolved))
        } else {
            Err(format!("no such file: {}", resolved.display()))
        };
    }
    if let Some(content) = file.content {
        return Ok(FileSource::Content(content));
    }
    if let Some(name) = file.certificate {
        return certificate(name).map(FileSource::Certificate);
    }
    if let Some(name) = file.private_key {
        return certificate(name).map(FileSource::PrivateKey);
    }
    Ok(FileSource::CaCertificate)
}

/// The health check, or the failing field (relative to `healthcheck`) and why.
fn healthcheck(raw: RawHealthcheck, ports: &[u16]) -> Result<Healthcheck, (String, String)> {
    let published = |field: &str, port: u16| {
        if ports.contains(&port) {
            Ok(port)
        } else {
            Err((
                field.to_string(),
                format!("port {port} is not among the service's ports {ports:?}"),
            ))
        }
    };
    // No TCP check: Docker's port proxy accepts connections for a
    // container that is not listening, so an open port proves nothing.
    let probe = match (raw.http, raw.exec) {
        (Some(http), None) => HealthProbe::Http {
            port: published("http.port", http.port)?,
            path: http.path,
            status: http.status,
            https: http.https,
        },
        (None, Some(command)) if !command.is_empty() => HealthProbe::Exec {
            command,
            expect_output: raw.expect_output,
        },
        _ => {
            return Err((
                String::new(),
                "give exactly one of http or exec (a non-empty command)".into(),
            ));
        }
    };
    let duration = |field: &str, text: Option<String>, default: Duration| match text {
        None => Ok(default),
        Some(text) => parse_duration(&text).map_err(|m| (field.to_string(), m)),
    };
    Ok(Healthcheck {
        probe,
        timeout: duration("timeout", raw.timeout, Duration::from_secs(60))?,
        interval: duration("interval", raw.interval, Duration::from_millis(250))?,
    })
}

/// Services ordered so that each comes after what it depends on.
fn dependency_order(
    services: &BTreeMap<String, ServiceSpec>,
    sources: &Sources,
) -> Result<Vec<ServiceSpec>, InputError> {
    for service in services.values() {
        if let Some(unknown) = service
            .depends_on
            .iter()
            .find(|d| !services.contains_key(*d))
        {
            return Err(sources.error_at(
                &format!("services.{}.depends_on", service.name),
                format!("no service named {unknown:?}"),
            ));
        }
    }
    let mut ordered: Vec<ServiceSpec> = Vec::new();
    let mut placed = BTreeSet::new();
    while ordered.len() < services.len() {
        let ready: Vec<&ServiceSpec> = services
            .values()
            .filter(|s| !placed.contains(&s.name))
            .filter(|s| s.depends_on.iter().all(|d| placed.contains(d)))
            .collect();
        if ready.is_empty() {
            let stuck: Vec<&str> = services
                .keys()
                .filter(|name| !placed.contains(*name))
                .map(String::as_str)
                .collect();
            return Err(sources.error_at(
                &format!("services.{}.depends_on", stuck[0]),
                format!(
                    "services depend on each other in a cycle: {}",
                    stuck.join(", ")
                ),
            ));
        }
        for service in ready {
            placed.insert(service.name.clone());
            ordered.push(service.clone());
        }
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    const MINIMAL: &str = "name: demo
services:
  db:
    image: golive/postgres:15
    ports: [5432]
    healthcheck: { exec: [pg_isready], timeout: 30s }
  api:
    image: golive/testbed:latest
    replicas: 2
    ports: [8080]
    env: { PORT: 8080, DEBUG: true }
    depends_on: [db]
    healthcheck: { http: { port: 8080, path: /ready } }
endpoints:
  api: { service: api, port: 8080 }
";

    #[test]
    fn services_come_in_dependency_order_with_their_replicas() {
        let dir = tempfile::tempdir().unwrap();
        let stack = load(&write(dir.path(), "s.yaml", MINIMAL)).unwrap();
        let names: Vec<&str> = stack.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["db", "api"]);
        assert_eq!(stack.services[1].instances(), ["api-1", "api-2"]);
        assert_eq!(stack.services[1].env["PORT"], "8080");
        assert_eq!(stack.services[1].env["DEBUG"], "true");
        assert_eq!(
            stack.services[0].healthcheck.as_ref().unwrap().timeout,
            Duration::from_secs(30)
        );
        assert_eq!(stack.endpoints["api"].server_name, "localhost");
    }

    #[test]
    fn errors_name_the_file_and_line_of_the_faulty_field() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                MINIMAL.replace("depends_on: [db]", "depends_on: [cache]"),
                12,
                "no service named \"cache\"",
            ),
            (
                MINIMAL.replace("port: 8080 }\n", "port: 9090 }\n"),
                15,
                "does not publish port 9090",
            ),
            (
                MINIMAL.replace("timeout: 30s", "timeout: soon"),
                6,
                "not a duration",
            ),
            (
                MINIMAL.replace("DEBUG: true", "VERSION: 1.10"),
                11,
                "quote it",
            ),
            (
                MINIMAL.replace("replicas: 2", "replica: 2"),
                9,
                "unknown field",
            ),
            (
                MINIMAL.replace(
                    "exec: [pg_isready]",
                    "exec: [pg_isready], http: { port: 5432 }",
                ),
                6,
                "exactly one of",
            ),
            (
                MINIMAL.replace("timeout: 30s", "timeout: 999999999999999999m"),
                6,
                "too long",
            ),
        ];
        for (text, line, message) in cases {
            let path = write(dir.path(), "bad.yaml", &text);
            let error = load(&path).unwrap_err();
            assert!(
                error.place.contains(&format!("bad.yaml:{line}:")),
                "{error} (expected line {line})"
            );
            assert!(error.message.contains(message), "{error}");
        }
    }

    #[test]
    fn a_dependency_cycle_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let text = MINIMAL.replace(
            "    ports: [5432]\n",
            "    ports: [5432]\n    depends_on: [api]\n",
        );
        let error = load(&write(dir.path(), "cycle.yaml", &text)).unwrap_err();
        assert!(error.message.contains("cycle"), "{error}");
    }

    #[test]
    fn a_variant_extends_the_reference_and_states_only_what_differs() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "base.yaml", MINIMAL);
        let variant = write(
            dir.path(),
            "variant.yaml",
            "extends: base.yaml\nname: variant\nservices:\n  api:\n    user: 0\n    replica: 1\n",
        );
        let error = load(&variant).unwrap_err();
        assert!(error.place.contains("variant.yaml:6:"), "{error}");
        std::fs::write(
            &variant,
            "extends: base.yaml\nname: variant\nservices:\n  api:\n    user: 0\n",
        )
        .unwrap();
        let stack = load(&variant).unwrap();
        assert_eq!(stack.name, "variant");
        let api = &stack.services[1];
        assert_eq!(api.user.as_deref(), Some("0"));
        assert_eq!(api.replicas, 2, "kept from the base");
    }

    #[test]
    fn paths_are_relative_to_the_file_that_names_them() {
        let dir = tempfile::tempdir().unwrap();
        let base_dir = dir.path().join("stacks");
        std::fs::create_dir_all(base_dir.join("conf")).unwrap();
        write(&base_dir, "conf/app.conf", "x");
        write(
            &base_dir,
            "base.yaml",
            &MINIMAL
                .replace(
                    "    replicas: 2\n",
                    "    replicas: 2\n    files:\n      /etc/app.conf: { source: conf/app.conf }\n",
                )
                .replace("port: 8080 }", "port: 8080, ca_file: conf/app.conf }"),
        );
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        let variant = write(
            &elsewhere,
            "variant.yaml",
            "extends: ../stacks/base.yaml\nname: variant\n",
        );
        let stack = load(&variant).unwrap();
        let api = &stack.services[1];
        let FileSource::Path(source) = &api.files["/etc/app.conf"] else {
            panic!("{:?}", api.files);
        };
        assert_eq!(
            source.canonicalize().unwrap(),
            base_dir.join("conf/app.conf").canonicalize().unwrap(),
            "the base's file, though the variant is in another directory"
        );
        let ca_file = stack.endpoints["api"].ca_file.as_ref().unwrap();
        assert_eq!(
            ca_file.canonicalize().unwrap(),
            source.canonicalize().unwrap()
        );
    }

    #[test]
    fn files_need_exactly_one_existing_source() {
        let dir = tempfile::tempdir().unwrap();
        let with_files = |files: &str| {
            MINIMAL.replace(
                "    replicas: 2\n",
                &format!("    replicas: 2\n    files:\n{files}"),
            )
        };
        let missing = with_files("      /etc/app.conf: { source: nowhere.conf }\n");
        let error = load(&write(dir.path(), "f.yaml", &missing)).unwrap_err();
        assert!(error.message.contains("no such file"), "{error}");
        let unknown = with_files("      /tls/server.crt: { certificate: web }\n");
        let error = load(&write(dir.path(), "f.yaml", &unknown)).unwrap_err();
        assert!(error.message.contains("no certificate named"), "{error}");
        let both = with_files("      /etc/a: { content: x, ca_certificate: true }\n");
        let error = load(&write(dir.path(), "f.yaml", &both)).unwrap_err();
        assert!(error.message.contains("exactly one"), "{error}");
    }

    #[test]
    fn a_file_extending_itself_by_another_path_is_a_cycle() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "self.yaml",
            &format!("extends: ./self.yaml\n{MINIMAL}"),
        );
        let error = load(&path).unwrap_err();
        assert!(error.message.contains("cycle"), "{error}");
    }

    #[test]
    fn names_that_would_collide_and_bad_certificates_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let clash = MINIMAL.replace(
            "endpoints:",
            "  api-1:\n    image: golive/redis:7\nendpoints:",
        );
        let error = load(&write(dir.path(), "clash.yaml", &clash)).unwrap_err();
        assert!(
            error.message.contains("has the name of a container"),
            "{error}"
        );
        for (certificate, message) in [
            ("{ hosts: [\"bücher.example\"] }", "not a host name"),
            (
                "{ hosts: [localhost], valid_days: 100000 }",
                "between -3650 and 3650",
            ),
        ] {
            let text = format!("certificates:\n  web: {certificate}\n{MINIMAL}");
            let error = load(&write(dir.path(), "cert.yaml", &text)).unwrap_err();
            assert!(error.message.contains(message), "{error}");
            assert!(error.place.contains("cert.yaml:2:"), "{error}");
        }
    }

    #[test]
    fn release_and_backup_sections_are_read_and_their_mistakes_named_at_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let drills = MINIMAL.replace(
            "    healthcheck: { http: { port: 8080, path: /ready } }\n",
            "    healthcheck: { http: { port: 8080, path: /ready } }\n    upgrade: { env: { APP_VERSION: \"2\" } }\n    version: { port: 8080, path: /version }\n  proxy:\n    image: golive/nginx:1.22\n    routes_to: [api]\n    reload: { signal: HUP }\n",
        ) + "  db: { service: db, port: 5432, scheme: postgresql }\nbackups:\n  db:\n    directory: /backup\n    backup: { runs_in: db, command: [pg_dump] }\n    restore: { runs_in: db, command: [pg_restore] }\n";
        let stack = load(&write(dir.path(), "drills.yaml", &drills)).unwrap();
        let api = stack.services.iter().find(|s| s.name == "api").unwrap();
        let upgrade = api.upgrade.as_ref().unwrap();
        assert_eq!(upgrade.image, "golive/testbed:latest");
        assert_eq!(upgrade.env["APP_VERSION"], "2");
        assert_eq!(api.version.as_ref().unwrap().path, "/version");
        let proxy = stack.services.iter().find(|s| s.name == "proxy").unwrap();
        assert_eq!(proxy.reload, Some(Reload::Signal("SIGHUP".into())));
        assert_eq!(stack.backups["db"].restore.instance, "db");
        for (from, to, place, message) in [
            (
                "    reload: { signal: HUP }\n",
                "",
                "drills.yaml:17:",
                "names both the services it routes to",
            ),
            (
                "backups:\n  db:",
                "backups:\n  api:",
                "drills.yaml:25:",
                "data store endpoints",
            ),
            (
                "backup: { runs_in: db,",
                "backup: { runs_in: api-1,",
                "drills.yaml:26:",
                "no container named \"api-1\"",
            ),
            (
                "version: { port: 8080,",
                "version: { port: 9090,",
                "drills.yaml:15:",
                "not among the service's ports",
            ),
        ] {
            let text = drills.replace(from, to);
            assert_ne!(text, drills, "{from:?} is in the fixture");
            let error = load(&write(dir.path(), "drills.yaml", &text)).unwrap_err();
            assert!(
                error.message.contains(message) && error.place.contains(place),
                "{from:?}: {error}"
            );
        }
    }
}
