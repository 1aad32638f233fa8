//! `golive load`: a whole campaign — read the profile, find where the load
//! goes (a URL, or an endpoint of a stack golive starts), run it (Ctrl-C
//! stops it through Goose's killswitch, and what was measured is still
//! judged and reported), judge the targets, write the reports.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::baseline::{self, Baseline};
use super::engine::{self, Destination};
use super::judge;
use super::profile::{self, Host, LoadProfile};
use super::record::Record;
use super::report::{self, Campaign};
use crate::config::Config;
use crate::error::InputError;
use crate::stack::{RunningStack, StackSession};

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// A profile file, or the name of a bundled one (`smoke`).
    pub profile: String,
    pub host: Option<String>,
    /// A stack file whose endpoints `host: endpoint:NAME` refers to.
    pub stack: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub environment: Option<String>,
    pub report_dir: PathBuf,
    /// An earlier `load.json` to compare with, and the tolerance in percent.
    pub baseline: Option<PathBuf>,
    pub tolerance_percent: f64,
}

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

/// Where the load goes, starting the stack when the profile names one of
/// its endpoints.
async fn destination(
    profile: &LoadProfile,
    plan: &LoadPlan,
    session: Option<&StackSession>,
) -> Result<Destination, InputError> {
    let url = match (&plan.host, &profile.host) {
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
fn show_progress(progress: engine::Progress) {
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

/// Runs the campaign; returns it judged (its reports written), the paths
/// of the reports and the summary to print (secrets redacted).
pub async fn run(
    plan: &LoadPlan,
    interrupted: impl Future<Output = ()>,
) -> (Campaign, Vec<PathBuf>, String) {
    let mut errors = Vec::new();
    let loaded = read_profile(&plan.profile).map_err(|e| errors.push(e)).ok();
    let config = Config::load(plan.config.as_deref())
        .and_then(|c| c.profile(plan.environment.as_deref()).cloned())
        .map_err(|e| errors.push(e))
        .ok();
    if let Some(Err(message)) = plan.host.as_deref().map(profile::base_url) {
        errors.push(InputError::new("--host", message));
    }
    if !(plan.tolerance_percent.is_finite() && plan.tolerance_percent >= 0.0) {
        errors.push(InputError::new("--tolerance", "a percentage, 0 or more"));
    }
    let earlier = plan.baseline.as_ref().and_then(|file| {
        let place = file.display().to_string();
        std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read: {e}"))
            .and_then(|text| Baseline::parse(&place, &text))
            .map_err(|message| errors.push(InputError::new(place, message)))
            .ok()
    });
    if let Some(profile) = &loaded {
        if let (Some(_), None, Host::Url(url)) = (&plan.stack, &plan.host, &profile.host) {
            errors.push(InputError::new(
                "--target",
                format!(
                    "the profile sends its load to {url}: --target stack:FILE is for a profile whose host is endpoint:NAME"
                ),
            ));
        }
        if let Some(earlier) = earlier.as_ref().filter(|e| e.profile() != profile.name) {
            errors.push(InputError::new(
                plan.baseline
                    .as_ref()
                    .map_or_else(String::new, |f| f.display().to_string()),
                format!(
                    "a campaign of the profile {:?}, not {:?}: compare runs of the same profile",
                    earlier.profile(),
                    profile.name
                ),
            ));
        }
    }
    let session = plan
        .stack
        .as_ref()
        .map(|file| Arc::new(StackSession::new(file.clone(), false)));
    let mut record = Record::default();
    let mut was_interrupted = false;
    let mut destination_text = plan.host.clone().unwrap_or_default();
    // Nothing runs when an input is wrong: the reports say what was.
    let mut targets = Vec::new();
    tokio::pin!(interrupted);
    if let (Some(profile), Some(run_profile), true) = (&loaded, &config, errors.is_empty()) {
        // An interruption while the stack starts abandons the start (what
        // was created is removed below); during the campaign, it stops
        // the campaign and what was measured is kept.
        let found = tokio::select! {
            found = destination(profile, plan, session.as_deref()) => Some(found),
            () = &mut interrupted => None,
        };
        match found {
            None => was_interrupted = true,
            Some(Err(error)) => errors.push(error),
            Some(Ok(destination)) => {
                destination_text = destination.base_urls.join(", ");
                let campaign = engine::run(profile, &destination, show_progress);
                tokio::pin!(campaign);
                let outcome = tokio::select! {
                    outcome = &mut campaign => outcome,
                    () = &mut interrupted => {
                        was_interrupted = true;
                        engine::stop();
                        campaign.await
                    }
                };
                if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                    eprintln!();
                }
                match outcome {
                    Ok(measured) => record = measured,
                    Err(e) => errors.push(InputError::new("goose", e.to_string())),
                }
                targets = judge::judge(profile, run_profile, &record);
            }
        }
    }
    let stack = match &session {
        Some(session) => Some(session.finish().await),
        None => None,
    };
    let (name, description, secrets) = loaded.as_ref().map_or_else(
        || (plan.profile.clone(), String::new(), Vec::new()),
        |p| (p.name.clone(), p.description.clone(), p.secrets.clone()),
    );
    let mut campaign = Campaign::new(
        &name,
        &description,
        &destination_text,
        &record,
        targets,
        errors,
        was_interrupted,
    )
    // Before the comparison: the baseline's request names are redacted too.
    .redacted(&secrets);
    if let Some(stack) = stack {
        if let Some(error) = stack.removed.as_ref().and_then(|r| r.error.clone()) {
            campaign.could_not_evaluate(InputError::new(stack.file.clone(), error));
        }
        for line in crate::report::stack_lines(&stack) {
            eprintln!("{line}");
        }
        campaign.stack = Some(stack);
    }
    if let Some(earlier) = &earlier {
        let comparison = baseline::compare(earlier, &campaign, plan.tolerance_percent);
        campaign = campaign.with_comparison(comparison);
    }
    let written = match report::write_all(&campaign, &plan.report_dir) {
        Ok(written) => written,
        Err(error) => {
            campaign.could_not_evaluate(error);
            Vec::new()
        }
    };
    let summary = report::markdown(&campaign);
    (campaign, written, summary)
}
