//! What a campaign needs before it runs: its profile (a file or a bundled
//! name), the CA it trusts, and where its load goes (a URL, or the
//! instances of an endpoint of a stack golive starts); and its progress
//! line while it runs. `runner::load` runs it as a run.

use std::path::{Path, PathBuf};

use super::engine::{self, Destination};
use super::profile::{self, Host, LoadProfile};
use crate::error::InputError;
use crate::stack::{RunningStack, StackSession};

/// A profile file: the path as given, else `load-profiles/NAME.yaml`.
fn profile_path(name: &str) -> PathBuf {
    let given = Path::new(name);
    if given.exists() || name.ends_with(".yaml") || name.contains('/') {
        return given.to_path_buf();
    }
    let bundled = Path::new("load-profiles").join(format!("{name}.yaml"));
    if bundled.exists() {
        bundled
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(bundled)
    }
}

/// The profile a user names (a file or a bundled name), its `${VAR}`
/// values taken from the environment.
pub fn read_profile(name: &str) -> Result<LoadProfile, InputError> {
    let path = profile_path(name);
    if !path.exists() {
        return Err(InputError::new(
            path.display().to_string(),
            format!(
                "no such load profile: give a file, or a bundled profile ({})",
                profile::BUNDLED.join(", ")
            ),
        ));
    }
    profile::load(&path, &|name| std::env::var(name).ok())
}

/// The CA certificates of the profile's `tls.ca_file`, if it names one.
pub fn profile_ca(profile: &LoadProfile) -> Result<Option<Vec<u8>>, InputError> {
    profile
        .tls
        .ca_file
        .as_ref()
        .map(|file| {
            std::fs::read(file).map_err(|e| {
                InputError::new(file.display().to_string(), format!("cannot read: {e}"))
            })
        })
        .transpose()
}

/// The destination of a campaign on a stack endpoint: every instance of
/// its service, users spread over them as a Kubernetes Service would, and
/// the stack's own CA trusted unless the profile names one.
pub fn stack_destination(
    profile: &LoadProfile,
    stack: &RunningStack,
    name: &str,
) -> Result<Destination, String> {
    let endpoint = stack.endpoint(name)?;
    if !endpoint.scheme.is_http() {
        return Err(format!(
            "the endpoint {name} is {}: a load campaign speaks HTTP",
            endpoint.scheme.as_str()
        ));
    }
    let base_urls: Vec<String> = stack
        .addresses(endpoint)
        .into_iter()
        .map(|address| address.url_base)
        .collect();
    if base_urls.is_empty() {
        return Err(format!("no container serves the endpoint {name}"));
    }
    let ca_pem = profile_ca(profile)
        .map_err(|e| e.to_string())?
        .or_else(|| stack.trust_for(endpoint).ok());
    Ok(Destination {
        base_urls,
        insecure: profile.tls.insecure,
        ca_pem,
    })
}

/// Where the load goes (`--host`, else the profile's host), starting the
/// stack when the profile names one of its endpoints.
pub async fn destination(
    profile: &LoadProfile,
    host: Option<&str>,
    session: Option<&StackSession>,
) -> Result<Destination, InputError> {
    let url = match (host, &profile.host) {
        (Some(host), _) => Some(host.trim_end_matches('/').to_string()),
        (None, Host::Url(url)) => Some(url.clone()),
        (None, Host::Endpoint(_)) => None,
    };
    if let Some(url) = url {
        return Ok(Destination {
            base_urls: vec![url],
            insecure: profile.tls.insecure,
            ca_pem: profile_ca(profile)?,
        });
    }
    let Host::Endpoint(name) = &profile.host else {
        unreachable!("a URL host returned above");
    };
    let session = session.ok_or_else(|| {
        InputError::new(
            profile.path.display().to_string(),
            format!("host: endpoint:{name} needs --target stack:FILE (or give --host URL)"),
        )
    })?;
    let stack = session.start().await?;
    stack_destination(profile, &stack, name)
        .map_err(|message| InputError::new(session.file.display().to_string(), message))
}

/// One progress line on standard error, when it is a terminal (CI logs get
/// the reports only).
pub fn show_progress(progress: engine::Progress) {
    use std::io::{IsTerminal as _, Write as _};
    let mut stderr = std::io::stderr();
    if !stderr.is_terminal() {
        return;
    }
    let p95 = progress
        .p95_ms
        .map_or_else(|| "–".to_string(), |p| format!("{p:.1} ms"));
    let _ = write!(
        stderr,
        "\r{:>4}/{} s  {:>4} users  {:>6} requests  {:>5} req/s  p95 {p95:>9}  errors {}   ",
        progress.elapsed.as_secs(),
        progress.total.as_secs(),
        progress.users,
        progress.requests,
        progress.last_second,
        progress.failures
    );
    let _ = stderr.flush();
}
