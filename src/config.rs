//! `golive.yaml`: named profiles (at least `staging` and `production`) with
//! the thresholds that checks, load campaigns and failover scenarios are
//! judged against. Every value has a default taken from the seed documents'
//! targets (API p95 < 200 ms, error rate < 0.1 %, pod-failure RTO < 1 min
//! with RPO 0), so the file is optional and only needs the values a team
//! changes. Availability (99.9 % in the seeds) is not a key: golive judges
//! it through what it can measure, the error rate and the RTO.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::InputError;
pub use crate::model::alert_rules::AlertKind;
pub use crate::model::api_versions::KubernetesVersion;
use crate::source::yaml::{self, Node};

/// The name of the config file looked up in the working directory.
pub const DEFAULT_CONFIG_FILE: &str = "golive.yaml";

/// Thresholds for one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    /// Minimum replicas of every long-running workload (unless an HPA owns it).
    pub min_replicas: u32,
    /// The p95 latency of a load campaign must be below this, in
    /// milliseconds, unless the load profile sets its own target.
    pub latency_p95_ms: f64,
    /// The error rate of a load campaign must be below this, in percent of
    /// requests, unless the load profile sets its own target.
    pub error_rate_percent: f64,
    /// A TLS certificate must stay valid at least this many days.
    pub cert_expiry_days: u32,
    /// Minimum HSTS max-age, in days (180 in the usual baselines).
    pub hsts_min_days: u32,
    /// Recovery time objective after a failure, in seconds: a failover
    /// recovers within it (at most).
    pub rto_seconds: u32,
    /// Recovery point objective, in seconds: a write lost in a failover
    /// was acknowledged at most this long before the disruption (0: no
    /// acknowledged write may be lost).
    pub rpo_seconds: u32,
    /// After losing a data store's data: its restore from the backup
    /// takes at most this long, in seconds (the seed's data corruption
    /// row: RTO < 4 h).
    pub restore_rto_seconds: u32,
    /// After losing a data store's data: the acknowledged writes lost were
    /// acknowledged at most this long before the loss (RPO < 1 h).
    pub restore_rpo_seconds: u32,
    /// The Pod Security Standards level namespaces must enforce.
    pub pod_security_level: PodSecurityLevel,
    /// Which workloads must be scaled by a HorizontalPodAutoscaler.
    pub hpa_required_for: HpaRequirement,
    /// Rollouts must never remove a serving replica before its replacement
    /// is ready (RollingUpdate with maxUnavailable 0).
    pub zero_downtime_rollouts: bool,
    /// In a cluster: restarts a container may have had (crashes, OOM kills)
    /// before it counts against go-live.
    pub max_restarts: u32,
    /// In a cluster: the image of the pods that test NetworkPolicies (it
    /// needs `sh` and `nc -z`; a mirror of it where registries are closed).
    pub network_probe_image: String,
    /// The Kubernetes release the manifests are deployed to: objects at an
    /// API version it no longer serves are findings (`api.removed-version`).
    pub kubernetes_version: KubernetesVersion,
    /// Every namespace a workload runs in must be in the target as a
    /// Namespace object, so that its Pod Security label can be verified.
    pub require_namespace_objects: bool,
    /// Services reachable from outside the cluster (LoadBalancer, NodePort)
    /// must not be how users reach a workload: they need an Ingress with TLS.
    pub exposed_services_need_ingress: bool,
    /// The Services that may be reachable from outside the cluster (type
    /// LoadBalancer or NodePort): any other such Service exposes a workload
    /// nobody decided to make public (`service.exposure`).
    pub public_services: Vec<PublicService>,
    /// The CronJobs that back up the data stores (`backup.scheduled`, in a
    /// cluster): each must have succeeded within twice its schedule's
    /// period, its last Job not failed, its volumes there.
    pub backup_cronjobs: Vec<BackupCronJob>,
    /// The band a HorizontalPodAutoscaler's CPU utilization target must
    /// be in, in percent of the pods' requests.
    pub hpa_cpu_utilization: UtilizationBand,
    /// The band of a memory utilization target, in percent of requests.
    pub hpa_memory_utilization: UtilizationBand,
    /// The shortest scale-down stabilization window an autoscaler may
    /// have, in seconds (0: not judged).
    pub hpa_scale_down_stabilization_seconds: u32,
    /// The kinds of alert every API (service_down, error_rate, latency,
    /// crash_looping) and every data store (crash_looping, replication_lag,
    /// disk) must have (`observability.alerts`).
    pub required_alerts: Vec<AlertKind>,
    /// ClusterIssuers the platform provides (cert-manager installed by the
    /// platform team): a certificate may name them although the target
    /// does not define them (`cert-manager.issuer`).
    pub platform_issuers: Vec<String>,
    /// Where Secrets come from: `external` (a secret manager: a Secret
    /// with data written in the manifests is a finding) or `manifests`.
    pub secrets_from: SecretsSource,
}

/// Where the Secrets of a release come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretsSource {
    /// The manifests may carry Secrets with their data.
    Manifests,
    /// A secret manager (External Secrets, Sealed Secrets, Vault, the CSI
    /// driver) delivers them; the manifests only reference them.
    External,
}

/// The band an autoscaler's utilization target must be in, written
/// `[lowest, highest]` in percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "[u32; 2]", into = "[u32; 2]")]
pub struct UtilizationBand {
    pub lowest: u32,
    pub highest: u32,
}

impl From<[u32; 2]> for UtilizationBand {
    fn from([lowest, highest]: [u32; 2]) -> UtilizationBand {
        UtilizationBand { lowest, highest }
    }
}

impl From<UtilizationBand> for [u32; 2] {
    fn from(band: UtilizationBand) -> [u32; 2] {
        [band.lowest, band.highest]
    }
}

impl UtilizationBand {
    pub fn contains(&self, percent: i32) -> bool {
        i64::from(self.lowest) <= i64::from(percent)
            && i64::from(percent) <= i64::from(self.highest)
    }
}

impl std::fmt::Display for UtilizationBand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} to {} %", self.lowest, self.highest)
    }
}

/// An object a profile names by kind: `namespace/name`, or `name` for an
/// object of that name in any namespace (the Services that may be public,
/// the backup CronJobs). `K` says which kind, for the error messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[serde(bound = "")]
pub struct NamedObject<K: ObjectKind> {
    pub namespace: Option<String>,
    pub name: String,
    kind: std::marker::PhantomData<K>,
}

/// The kind of object a [`NamedObject`] names.
pub trait ObjectKind: std::fmt::Debug + Clone + PartialEq + Eq {
    /// `Service`, `CronJob`.
    const KIND: &'static str;
}

/// A Service a profile lets be reachable from outside the cluster.
pub type PublicService = NamedObject<ServiceKind>;
/// A CronJob a profile names as a backup (`backup.scheduled`).
pub type BackupCronJob = NamedObject<CronJobKind>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceKind;
impl ObjectKind for ServiceKind {
    const KIND: &'static str = "Service";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronJobKind;
impl ObjectKind for CronJobKind {
    const KIND: &'static str = "CronJob";
}

impl<K: ObjectKind> NamedObject<K> {
    /// Whether this entry names the object `name` of `namespace`.
    pub fn names(&self, namespace: Option<&str>, name: &str) -> bool {
        self.name == name
            && self
                .namespace
                .as_deref()
                .is_none_or(|own| namespace == Some(own))
    }
}

impl<K: ObjectKind> TryFrom<String> for NamedObject<K> {
    type Error = String;

    fn try_from(entry: String) -> Result<NamedObject<K>, String> {
        // A namespace and the names of these kinds are DNS labels.
        let label = |part: &str| {
            (1..=63).contains(&part.len())
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        };
        let (namespace, name) = match entry.split_once('/') {
            Some((namespace, name)) => (Some(namespace), name),
            None => (None, entry.as_str()),
        };
        if namespace.is_none_or(label) && label(name) {
            Ok(NamedObject {
                namespace: namespace.map(str::to_string),
                name: name.to_string(),
                kind: std::marker::PhantomData,
            })
        } else {
            Err(format!(
                "{entry:?} does not name a {kind}: write namespace/name, or name for that \
                 {kind} in any namespace (lowercase letters, digits and '-')",
                kind = K::KIND
            ))
        }
    }
}

impl<K: ObjectKind> From<NamedObject<K>> for String {
    fn from(object: NamedObject<K>) -> String {
        object.to_string()
    }
}

impl<K: ObjectKind> std::fmt::Display for NamedObject<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(namespace) => write!(f, "{namespace}/{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A Pod Security Standards level, from least to most strict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PodSecurityLevel {
    Privileged,
    Baseline,
    Restricted,
}

impl PodSecurityLevel {
    /// The level named by a `pod-security.kubernetes.io/enforce` label value.
    pub fn from_label(value: &str) -> Option<PodSecurityLevel> {
        match value {
            "privileged" => Some(PodSecurityLevel::Privileged),
            "baseline" => Some(PodSecurityLevel::Baseline),
            "restricted" => Some(PodSecurityLevel::Restricted),
            _ => None,
        }
    }
}

impl std::fmt::Display for PodSecurityLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PodSecurityLevel::Privileged => "privileged",
            PodSecurityLevel::Baseline => "baseline",
            PodSecurityLevel::Restricted => "restricted",
        })
    }
}

/// Which workloads need a HorizontalPodAutoscaler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HpaRequirement {
    /// None: autoscaling is optional.
    None,
    /// Deployments and StatefulSets an Ingress routes traffic to.
    Ingress,
    /// Every Deployment and StatefulSet.
    All,
}

/// What a profile in `golive.yaml` may set; anything left out keeps the
/// default of the profile it is based on.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileOverrides {
    /// The profile whose values this one starts from (default: the built-in
    /// profile of the same name, else `production`).
    extends: Option<String>,
    min_replicas: Option<u32>,
    latency_p95_ms: Option<f64>,
    error_rate_percent: Option<f64>,
    /// Removed: setting it is an error that says why.
    #[serde(default, rename = "availability_percent")]
    _availability_percent: Removed,
    cert_expiry_days: Option<u32>,
    hsts_min_days: Option<u32>,
    rto_seconds: Option<u32>,
    rpo_seconds: Option<u32>,
    restore_rto_seconds: Option<u32>,
    restore_rpo_seconds: Option<u32>,
    pod_security_level: Option<PodSecurityLevel>,
    hpa_required_for: Option<HpaRequirement>,
    zero_downtime_rollouts: Option<bool>,
    max_restarts: Option<u32>,
    network_probe_image: Option<String>,
    kubernetes_version: Option<KubernetesVersion>,
    require_namespace_objects: Option<bool>,
    exposed_services_need_ingress: Option<bool>,
    secrets_from: Option<SecretsSource>,
    platform_issuers: Option<Vec<String>>,
    required_alerts: Option<Vec<AlertKind>>,
    hpa_cpu_utilization: Option<UtilizationBand>,
    hpa_memory_utilization: Option<UtilizationBand>,
    hpa_scale_down_stabilization_seconds: Option<u32>,
    public_services: Option<Vec<PublicService>>,
    backup_cronjobs: Option<Vec<BackupCronJob>>,
}

/// A key golive no longer reads (`availability_percent`): it is absent by
/// default, and any value given to it, even `null`, is an error naming its
/// place and why it went.
#[derive(Debug, Default)]
struct Removed;

impl<'de> Deserialize<'de> for Removed {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Removed, D::Error> {
        Err(serde::de::Error::custom(
            "availability_percent was removed: golive judges availability through \
             error_rate_percent (under load) and rto_seconds (after a failure); delete this key",
        ))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, ProfileOverrides>,
}

/// The loaded configuration: every profile, and which one runs by default.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    pub default_profile: String,
    pub profiles: BTreeMap<String, Profile>,
    /// The file it came from, if any.
    pub source: Option<String>,
}

impl Profile {
    pub fn production() -> Profile {
        Profile {
            name: "production".into(),
            min_replicas: 3,
            latency_p95_ms: 200.0,
            error_rate_percent: 0.1,
            cert_expiry_days: 30,
            hsts_min_days: 180,
            rto_seconds: 60,
            rpo_seconds: 0,
            restore_rto_seconds: 4 * 3600,
            restore_rpo_seconds: 3600,
            pod_security_level: PodSecurityLevel::Restricted,
            hpa_required_for: HpaRequirement::Ingress,
            zero_downtime_rollouts: true,
            max_restarts: 3,
            network_probe_image: "busybox:1.36".into(),
            kubernetes_version: KubernetesVersion::NEWEST_KNOWN,
            require_namespace_objects: true,
            exposed_services_need_ingress: true,
            secrets_from: SecretsSource::External,
            platform_issuers: Vec::new(),
            required_alerts: AlertKind::ALL.to_vec(),
            // The seeds' targets, 70 % CPU and 80 % memory, are the top of
            // each band: room for the load that arrives while new pods start.
            hpa_cpu_utilization: UtilizationBand {
                lowest: 50,
                highest: 70,
            },
            hpa_memory_utilization: UtilizationBand {
                lowest: 60,
                highest: 80,
            },
            // The Kubernetes default when behavior.scaleDown leaves it out.
            hpa_scale_down_stabilization_seconds: 300,
            public_services: Vec::new(),
            backup_cronjobs: Vec::new(),
        }
    }

    fn staging() -> Profile {
        Profile {
            name: "staging".into(),
            min_replicas: 2,
            cert_expiry_days: 14,
            pod_security_level: PodSecurityLevel::Baseline,
            hpa_required_for: HpaRequirement::None,
            zero_downtime_rollouts: false,
            require_namespace_objects: false,
            exposed_services_need_ingress: false,
            secrets_from: SecretsSource::Manifests,
            required_alerts: vec![
                AlertKind::ServiceDown,
                AlertKind::CrashLooping,
                AlertKind::Disk,
            ],
            hpa_scale_down_stabilization_seconds: 0,
            ..Profile::production()
        }
    }

    fn apply(&mut self, overrides: &ProfileOverrides) {
        // Destructured without `..`: a new override field that is not
        // applied here does not compile.
        macro_rules! apply {
            ($($field:ident),*) => {{
                let ProfileOverrides { extends: _, _availability_percent: _, $($field),* } = overrides;
                $( if let Some(value) = $field { self.$field = value.clone(); } )*
            }};
        }
        apply!(
            min_replicas,
            latency_p95_ms,
            error_rate_percent,
            cert_expiry_days,
            hsts_min_days,
            rto_seconds,
            rpo_seconds,
            restore_rto_seconds,
            restore_rpo_seconds,
            pod_security_level,
            hpa_required_for,
            zero_downtime_rollouts,
            max_restarts,
            network_probe_image,
            kubernetes_version,
            require_namespace_objects,
            exposed_services_need_ingress,
            secrets_from,
            platform_issuers,
            required_alerts,
            hpa_cpu_utilization,
            hpa_memory_utilization,
            hpa_scale_down_stabilization_seconds,
            public_services,
            backup_cronjobs
        );
    }

    /// This profile with one threshold changed, as a scenario states it
    /// (`min_replicas` = `4`): the value is read as it would be in
    /// golive.yaml, so the same names, types and ranges apply.
    pub fn with_threshold(&self, key: &str, value: &str) -> Result<Profile, String> {
        let text = format!("{key}: {value}\n");
        let root = yaml::parse_documents(&text)
            .map_err(|e| format!("{value:?} is not a value: {}", e.message))?
            .into_iter()
            .flatten()
            .next()
            .ok_or_else(|| format!("no value given for {key}"))?;
        let overrides: ProfileOverrides = root
            .deserialize_as()
            .map_err(|(_, message)| format!("{key}: {message}"))?;
        if overrides.extends.is_some() {
            return Err("extends is not a threshold".into());
        }
        let mut profile = self.clone();
        profile.apply(&overrides);
        profile
            .validate()
            .map_err(|(field, reason)| format!("{field} {reason}"))?;
        Ok(profile)
    }

    /// The first out-of-range value, as (field, reason).
    fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        let percent = |value: f64| (0.0..=100.0).contains(&value);
        if self.min_replicas == 0 {
            return Err(("min_replicas", "must be at least 1"));
        }
        if !(self.latency_p95_ms > 0.0 && self.latency_p95_ms.is_finite()) {
            return Err((
                "latency_p95_ms",
                "must be a positive number of milliseconds",
            ));
        }
        if !percent(self.error_rate_percent) {
            return Err(("error_rate_percent", "is a percentage between 0 and 100"));
        }
        let band = |band: &UtilizationBand| band.lowest >= 1 && band.lowest <= band.highest;
        if !band(&self.hpa_cpu_utilization) {
            return Err((
                "hpa_cpu_utilization",
                "is [lowest, highest], percentages with 1 <= lowest <= highest",
            ));
        }
        if !band(&self.hpa_memory_utilization) {
            return Err((
                "hpa_memory_utilization",
                "is [lowest, highest], percentages with 1 <= lowest <= highest",
            ));
        }
        if self.network_probe_image.trim().is_empty() {
            return Err(("network_probe_image", "must name an image"));
        }
        if self
            .platform_issuers
            .iter()
            .any(|name| name.trim().is_empty())
        {
            return Err(("platform_issuers", "must list ClusterIssuer names"));
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Config {
        let profiles = [Profile::production(), Profile::staging()]
            .into_iter()
            .map(|p| (p.name.clone(), p))
            .collect();
        Config {
            default_profile: "production".into(),
            profiles,
            source: None,
        }
    }
}

impl Config {
    /// Reads `path`, or `golive.yaml` in the working directory when `path` is
    /// `None` and that file exists, or returns the defaults.
    pub fn load(path: Option<&Path>) -> Result<Config, InputError> {
        let path = match path {
            Some(path) => path.to_path_buf(),
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => DEFAULT_CONFIG_FILE.into(),
            None => return Ok(Config::default()),
        };
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| InputError::new(&name, format!("cannot read the config: {e}")))?;
        Config::parse(&name, &text)
    }

    /// Parses the text of a config file named `name` (for error locations).
    pub fn parse(name: &str, text: &str) -> Result<Config, InputError> {
        let documents = yaml::parse_documents(text).map_err(|e| {
            let place = e.position.map_or(name.to_string(), |p| {
                format!("{name}:{}:{}", p.line, p.column)
            });
            InputError::new(place, format!("not valid YAML: {}", e.message))
        })?;
        let root = documents.into_iter().flatten().next();
        let file: ConfigFile = match &root {
            Some(root) => root
                .deserialize_as()
                .map_err(|(path, message)| at(name, Some(root), &path, message))?,
            None => ConfigFile::default(),
        };
        let mut config = Config {
            source: Some(name.to_string()),
            ..Config::default()
        };
        for profile_name in file.profiles.keys() {
            let profile = resolve_profile(
                profile_name,
                &file.profiles,
                &config.profiles,
                &mut Vec::new(),
            )
            .map_err(|(path, message)| at(name, root.as_ref(), &path, message))?;
            config.profiles.insert(profile_name.clone(), profile);
        }
        if let Some(default_profile) = file.default_profile {
            config.default_profile = default_profile;
        }
        config
            .profile(None)
            .map_err(|e| InputError::new(name, e.message))?;
        Ok(config)
    }

    /// The profile called `name`, or the default one. An unknown name is
    /// blamed on `--profile` when asked for, on the config file when it is
    /// the file's `default_profile`.
    pub fn profile(&self, name: Option<&str>) -> Result<&Profile, InputError> {
        let place = match name {
            Some(_) => "--profile".to_string(),
            None => self
                .source
                .clone()
                .unwrap_or_else(|| "default_profile".into()),
        };
        let name = name.unwrap_or(&self.default_profile);
        self.profiles.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
            InputError::new(
                place,
                format!("no profile named {name:?} (known: {})", known.join(", ")),
            )
        })
    }
}

/// The profile `name` of the file, built from what it extends (another
/// profile of the file, a built-in one, or `production`); an error is the
/// path of the faulty field and the reason.
fn resolve_profile(
    name: &str,
    file: &BTreeMap<String, ProfileOverrides>,
    built_in: &BTreeMap<String, Profile>,
    visiting: &mut Vec<String>,
) -> Result<Profile, (String, String)> {
    let path = format!("profiles.{name}");
    let Some(overrides) = file.get(name) else {
        return built_in
            .get(name)
            .cloned()
            .ok_or_else(|| (path, format!("no profile named {name:?}")));
    };
    if visiting.iter().any(|v| v == name) {
        return Err((
            format!("{path}.extends"),
            format!(
                "profiles extend each other in a cycle: {} -> {name}",
                visiting.join(" -> ")
            ),
        ));
    }
    visiting.push(name.to_string());
    let mut profile = match overrides.extends.as_deref() {
        Some(base) if base != name => resolve_profile(base, file, built_in, visiting)
            .map_err(|(_, message)| (format!("{path}.extends"), message))?,
        _ => built_in
            .get(name)
            .cloned()
            .unwrap_or_else(Profile::production),
    };
    visiting.pop();
    profile.name = name.to_string();
    profile.apply(overrides);
    profile
        .validate()
        .map_err(|(field, reason)| (format!("{path}.{field}"), format!("{field} {reason}")))?;
    Ok(profile)
}

fn at(name: &str, root: Option<&Node>, path: &str, message: String) -> InputError {
    let place = match root.map(|root| root.position_of(path)) {
        Some(position) => format!("{name}:{}:{}", position.line, position.column),
        None => name.to_string(),
    };
    InputError::new(place, format!("{path}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_may_state_its_own_threshold() {
        let production = Profile::production();
        let stricter = production.with_threshold("min_replicas", "4").unwrap();
        assert_eq!(stricter.min_replicas, 4);
        assert_eq!(stricter.latency_p95_ms, production.latency_p95_ms);
        let baseline = production
            .with_threshold("pod_security_level", "baseline")
            .unwrap();
        assert_eq!(baseline.pod_security_level, PodSecurityLevel::Baseline);
        assert!(production.with_threshold("min_replica", "4").is_err());
        assert!(production.with_threshold("min_replicas", "0").is_err());
        assert!(production.with_threshold("min_replicas", "many").is_err());
        assert!(production.with_threshold("extends", "staging").is_err());
    }

    #[test]
    fn utilization_bands_are_two_ordered_percentages() {
        let production = Profile::production();
        let band = production
            .with_threshold("hpa_cpu_utilization", "[60, 75]")
            .unwrap()
            .hpa_cpu_utilization;
        assert_eq!(
            band,
            UtilizationBand {
                lowest: 60,
                highest: 75
            }
        );
        assert!(band.contains(60) && band.contains(75) && !band.contains(76));
        for wrong in ["[80, 70]", "[0, 70]", "[70]", "70"] {
            assert!(
                production
                    .with_threshold("hpa_memory_utilization", wrong)
                    .is_err(),
                "{wrong}"
            );
        }
    }

    #[test]
    fn defaults_follow_the_seed_targets() {
        let config = Config::default();
        let production = config.profile(None).unwrap();
        assert_eq!(
            (
                production.min_replicas,
                production.latency_p95_ms,
                production.error_rate_percent
            ),
            (3, 200.0, 0.1)
        );
        assert_eq!(production.rto_seconds, 60);
        assert_eq!(config.profile(Some("staging")).unwrap().min_replicas, 2);
        assert!(config.profile(Some("qa")).is_err());
    }

    #[test]
    fn the_bundled_golive_yaml_spells_out_the_defaults() {
        let text = include_str!("../golive.yaml");
        let bundled = Config::parse("golive.yaml", text).unwrap();
        assert_eq!(bundled.profiles, Config::default().profiles);
        assert_eq!(bundled.default_profile, Config::default().default_profile);
    }

    #[test]
    fn overrides_keep_the_rest_and_extend_other_profiles() {
        let config = Config::parse("g.yaml", "default_profile: staging\nprofiles:\n  staging:\n    min_replicas: 1\n  perf:\n    extends: staging\n    latency_p95_ms: 150\n").unwrap();
        let staging = config.profile(None).unwrap();
        assert_eq!(
            (
                staging.name.as_str(),
                staging.min_replicas,
                staging.latency_p95_ms
            ),
            ("staging", 1, 200.0)
        );
        let perf = config.profile(Some("perf")).unwrap();
        assert_eq!((perf.min_replicas, perf.latency_p95_ms), (1, 150.0));
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let error =
            Config::parse("g.yaml", "profiles:\n  production:\n    min_replica: 2\n").unwrap_err();
        assert!(error.place.starts_with("g.yaml:3:"), "{error}");
        assert!(error.message.contains("min_replica"), "{error}");
        let error = Config::parse(
            "g.yaml",
            "profiles:\n  production:\n    min_replicas: 2\n    error_rate_percent: 140\n",
        )
        .unwrap_err();
        assert!(error.place.starts_with("g.yaml:4:"), "{error}");
        let error = Config::parse(
            "g.yaml",
            "profiles:\n  a:\n    extends: b\n  b:\n    extends: a\n",
        )
        .unwrap_err();
        assert!(error.message.contains("cycle"), "{error}");
        let error = Config::parse("g.yaml", "default_profile: qa\n").unwrap_err();
        assert!(error.message.contains("qa"), "{error}");
    }

    #[test]
    fn an_unknown_alert_kind_is_an_error_naming_its_place() {
        let error = Config::parse(
            "g.yaml",
            "profiles:\n  staging:\n    required_alerts: [service_down, pager]\n",
        )
        .unwrap_err();
        assert!(error.place.starts_with("g.yaml:3:"), "{error}");
        assert!(
            error.message.contains("pager") && error.message.contains("replication_lag"),
            "{error}"
        );
        let staging = Profile::production()
            .with_threshold("required_alerts", "[disk]")
            .unwrap();
        assert_eq!(staging.required_alerts, [AlertKind::Disk]);
    }

    #[test]
    fn public_services_name_a_service_in_a_namespace_or_in_any() {
        let config = Config::parse(
            "g.yaml",
            "profiles:\n  production:\n    public_services: [ingress-nginx/ingress-nginx-controller, edge]\n",
        )
        .unwrap();
        let public = &config.profile(None).unwrap().public_services;
        assert!(public[0].names(Some("ingress-nginx"), "ingress-nginx-controller"));
        assert!(!public[0].names(Some("production"), "ingress-nginx-controller"));
        assert!(public[1].names(Some("production"), "edge"));
        assert!(public[1].names(None, "edge"));
        assert_eq!(
            public[0].to_string(),
            "ingress-nginx/ingress-nginx-controller"
        );
        for bad in ["Production/api", "a/b/c", "", "/api", "api-"] {
            let text = format!(
                "profiles:\n  production:\n    public_services:\n      - ok\n      - {bad:?}\n"
            );
            let error = Config::parse("g.yaml", &text).unwrap_err();
            assert!(error.place.starts_with("g.yaml:5:"), "{bad:?}: {error}");
            assert!(error.message.contains("does not name a Service"), "{error}");
        }
    }

    #[test]
    fn backup_cronjobs_name_a_cronjob_in_a_namespace_or_in_any() {
        assert!(Profile::production().backup_cronjobs.is_empty());
        let config = Config::parse(
            "g.yaml",
            "profiles:\n  production:\n    backup_cronjobs: [golive/pg-backup, redis-backup]\n",
        )
        .unwrap();
        let backups = &config.profile(None).unwrap().backup_cronjobs;
        assert!(backups[0].names(Some("golive"), "pg-backup"));
        assert!(!backups[0].names(Some("shop"), "pg-backup"));
        assert!(backups[1].names(Some("shop"), "redis-backup"));
        assert_eq!(backups[0].to_string(), "golive/pg-backup");
        let error = Config::parse(
            "g.yaml",
            "profiles:\n  production:\n    backup_cronjobs:\n      - golive/PG_backup\n",
        )
        .unwrap_err();
        assert!(error.place.starts_with("g.yaml:4:"), "{error}");
        assert!(error.message.contains("does not name a CronJob"), "{error}");
        let scenario = Profile::production()
            .with_threshold("backup_cronjobs", "[pg-backup]")
            .unwrap();
        assert_eq!(scenario.backup_cronjobs[0].name, "pg-backup");
    }

    #[test]
    fn the_removed_availability_key_is_rejected_saying_why() {
        for value in ["99.9", "~"] {
            let text = format!(
                "profiles:\n  staging:\n    min_replicas: 2\n    availability_percent: {value}\n"
            );
            let error = Config::parse("g.yaml", &text).unwrap_err();
            assert!(error.place.starts_with("g.yaml:4:"), "{error}");
            assert!(
                error.message.contains("availability_percent was removed")
                    && error.message.contains("error_rate_percent")
                    && error.message.contains("rto_seconds"),
                "{error}"
            );
        }
        let scenario = Profile::production().with_threshold("availability_percent", "99");
        assert!(scenario.is_err_and(|e| e.contains("removed")));
    }
}
