//! What a stack file says about releasing a service: the version it
//! upgrades to (`upgrade:`), how a replica reports the version it serves
//! (`version:`), and which entry point routes to it and how that entry
//! point picks up a changed set of replicas (`routes_to:` and `reload:`,
//! as an ingress controller re-reads a Service's endpoints). Read here,
//! used by `rollout`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::source::document::parse_duration;

/// The release a service upgrades to: its image and environment changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeSpec {
    pub image: String,
    /// Variables set (or changed) in the new release's environment.
    pub env: BTreeMap<String, String>,
    /// How long a new replica has to become healthy before the rollout is
    /// stopped and undone (a Deployment's `progressDeadlineSeconds`).
    pub progress_deadline: Duration,
}

/// How a replica says which version it serves: an HTTP GET on one of its
/// ports answering `{"version": "..."}` (or the version as plain text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionProbe {
    pub port: u16,
    pub path: String,
}

/// How an entry point picks up the replicas now behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    /// A signal sent to its main process (nginx re-reads its configuration
    /// and resolves its upstreams again on SIGHUP).
    Signal(String),
    /// A command run inside it.
    Exec(Vec<String>),
}

// ---------------------------------------------------------------------------
// As written.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUpgrade {
    image: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, super::file::Scalar>,
    progress_deadline: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVersion {
    port: u16,
    path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReload {
    signal: Option<String>,
    exec: Option<Vec<String>>,
}

/// Signals an entry point may be sent to reload.
const SIGNALS: [&str; 4] = ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH"];

/// The upgrade of a service whose current image is `image`, or the field
/// (relative to `upgrade`) at fault and why.
pub(super) fn upgrade(raw: RawUpgrade, image: &str) -> Result<UpgradeSpec, (String, String)> {
    let progress_deadline = match &raw.progress_deadline {
        Some(text) => parse_duration(text).map_err(|e| ("progress_deadline".to_string(), e))?,
        None => Duration::from_secs(60),
    };
    if progress_deadline.is_zero() || progress_deadline > Duration::from_secs(600) {
        return Err((
            "progress_deadline".into(),
            "the progress deadline must be between 1 s and 10 min".into(),
        ));
    }
    let env: BTreeMap<String, String> = raw.env.into_iter().map(|(k, v)| (k, v.0)).collect();
    let image = raw.image.unwrap_or_else(|| image.to_string());
    if image.trim().is_empty() {
        return Err(("image".into(), "the image is empty".into()));
    }
    Ok(UpgradeSpec {
        image,
        env,
        progress_deadline,
    })
}

/// The version probe of a service publishing `ports`.
pub(super) fn version(raw: RawVersion, ports: &[u16]) -> Result<VersionProbe, (String, String)> {
    if !ports.contains(&raw.port) {
        return Err((
            "port".into(),
            format!(
                "port {} is not among the service's ports {ports:?}",
                raw.port
            ),
        ));
    }
    if !raw.path.starts_with('/') {
        return Err(("path".into(), "the path must start with /".into()));
    }
    Ok(VersionProbe {
        port: raw.port,
        path: raw.path,
    })
}

/// How an entry point reloads: one of a signal or a command.
pub(super) fn reload(raw: RawReload) -> Result<Reload, (String, String)> {
    match (raw.signal, raw.exec) {
        (Some(signal), None) => {
            let signal = signal.to_ascii_uppercase();
            let signal = if signal.starts_with("SIG") {
                signal
            } else {
                format!("SIG{signal}")
            };
            if SIGNALS.contains(&signal.as_str()) {
                Ok(Reload::Signal(signal))
            } else {
                Err((
                    "signal".into(),
                    format!("{signal}: a reload signal is one of {}", SIGNALS.join(", ")),
                ))
            }
        }
        (None, Some(command)) if !command.is_empty() => Ok(Reload::Exec(command)),
        (None, Some(_)) => Err(("exec".into(), "the command is empty".into())),
        _ => Err((
            String::new(),
            "give one of signal: SIGHUP or exec: [COMMAND...]".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upgrade_keeps_the_image_unless_it_names_one_and_bounds_its_deadline() {
        let raw = RawUpgrade {
            image: None,
            env: BTreeMap::new(),
            progress_deadline: Some("20s".into()),
        };
        let spec = upgrade(raw, "golive/testbed:latest").unwrap();
        assert_eq!(spec.image, "golive/testbed:latest");
        assert_eq!(spec.progress_deadline, Duration::from_secs(20));
        let raw = RawUpgrade {
            image: None,
            env: BTreeMap::new(),
            progress_deadline: Some("2h".into()),
        };
        assert_eq!(upgrade(raw, "x").unwrap_err().0, "progress_deadline");
    }

    #[test]
    fn a_reload_is_a_known_signal_or_a_command_not_both() {
        let signal = |s: &str| RawReload {
            signal: Some(s.into()),
            exec: None,
        };
        assert_eq!(
            reload(signal("hup")).unwrap(),
            Reload::Signal("SIGHUP".into())
        );
        assert!(reload(signal("SIGKILL")).unwrap_err().1.contains("one of"));
        let both = RawReload {
            signal: Some("HUP".into()),
            exec: Some(vec!["nginx".into()]),
        };
        assert!(reload(both).is_err());
        let exec = RawReload {
            signal: None,
            exec: Some(vec!["nginx".into(), "-s".into(), "reload".into()]),
        };
        assert!(matches!(reload(exec).unwrap(), Reload::Exec(c) if c.len() == 3));
    }

    #[test]
    fn a_version_probe_uses_a_published_port_and_an_absolute_path() {
        let raw = |port, path: &str| RawVersion {
            port,
            path: path.into(),
        };
        assert!(version(raw(8080, "/api/v1/version"), &[8080]).is_ok());
        assert_eq!(version(raw(9090, "/v"), &[8080]).unwrap_err().0, "port");
        assert_eq!(version(raw(8080, "v"), &[8080]).unwrap_err().0, "path");
    }
}
