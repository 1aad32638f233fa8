//! `golive load`: a whole campaign — read the profile, find where the load
//! goes (a URL, or an endpoint of a stack golive starts), run it (Ctrl-C
//! stops it through Goose's killswitch, and what was measured is still
//! judged and reported), judge the targets, write the reports.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::baseline;
use super::engine::{self, Destination};
use super::judge;
use super::profile::{self, Host, LoadProfile};
use super::record::Record;
use super::report::{self, Campaign};
use crate::config::Config;
use crate::error::InputError;
use crate::stack::StackSession;

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
pub fn profile_path(name: &str) -> PathBuf {
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

/// Where the load goes, starting the stack when the profile names one of
/// its endpoints.
async fn destination(
    profile: &LoadProfile,
    plan: &LoadPlan,
    session: Option<&StackSession>,
) -> Result<Destination, InputError> {
    let insecure = profile.tls.insecure;
    let ca_pem = profile_ca(profile)?;
    if let Some(host) = &plan.host {
        return Ok(Destination {
            base_url: host.trim_end_matches('/').to_string(),
            insecure,
            ca_pem,
        });
    }
    match &profile.host {
        Host::Url(url) => Ok(Destination {
            base_url: url.clone(),
            insecure,
            ca_pem,
        }),
        Host::Endpoint(name) => {
            let session = session.ok_or_else(|| {
                InputError::new(
                    profile.path.display().to_string(),
                    format!("host: endpoint:{name} needs --target stack:FILE (or give --host URL)"),
                )
            })?;
            let stack = session.start().await?;
            let endpoint = stack
                .endpoint(name)
                .map_err(|m| InputError::new(session.file.display().to_string(), m))?;
            let address = stack
                .addresses(endpoint)
                .into_iter()
                .next()
                .ok_or_else(|| {
                    InputError::new(
                        session.file.display().to_string(),
                        format!("no container serves the endpoint {name}"),
                    )
                })?;
            // A stack's endpoint is trusted through the stack's own CA
            // unless the profile names one.
            let ca_pem = ca_pem.or_else(|| stack.trust_for(endpoint).ok());
            Ok(Destination {
                base_url: address.url_base,
                insecure,
                ca_pem,
            })
        }
    }
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
        "\r{:>4}/{} s  {:>6} requests  {:>5} req/s  p95 {p95:>9}  errors {}   ",
        progress.elapsed.as_secs(),
        progress.total.as_secs(),
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
    let path = profile_path(&plan.profile);
    let mut errors = Vec::new();
    let env = |name: &str| std::env::var(name).ok();
    let loaded = profile::load(&path, &env).map_err(|e| errors.push(e)).ok();
    let config = Config::load(plan.config.as_deref())
        .and_then(|c| c.profile(plan.environment.as_deref()).cloned())
        .map_err(|e| errors.push(e))
        .ok();
    let session = plan
        .stack
        .as_ref()
        .map(|file| Arc::new(StackSession::new(file.clone(), false)));
    let mut record = Record::default();
    let mut was_interrupted = false;
    let mut destination_text = plan.host.clone().unwrap_or_default();
    let mut targets = Vec::new();
    if let (Some(profile), Some(run_profile), true) = (&loaded, &config, errors.is_empty()) {
        match destination(profile, plan, session.as_deref()).await {
            Err(error) => errors.push(error),
            Ok(destination) => {
                destination_text = destination.base_url.clone();
                let campaign = engine::run(profile, &destination, show_progress);
                tokio::pin!(campaign);
                let outcome = tokio::select! {
                    outcome = &mut campaign => outcome,
                    () = interrupted => {
                        was_interrupted = true;
                        goose::trigger_killswitch("interrupted (Ctrl-C)");
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
    if let Some(session) = &session {
        let _ = session.finish().await;
    }
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
    );
    if let Some(file) = &plan.baseline {
        let place = file.display().to_string();
        let compared = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read: {e}"))
            .and_then(|text| baseline::compare(&place, &text, &campaign, plan.tolerance_percent));
        campaign = match compared {
            Ok(comparison) => campaign.with_comparison(comparison),
            Err(message) => {
                campaign.input_errors.push(InputError::new(place, message));
                campaign.exit_code = 2;
                campaign.verdict = "COULD_NOT_EVALUATE";
                campaign
            }
        };
    }
    let written = match report::write_all(&campaign, &secrets, &plan.report_dir) {
        Ok(written) => written,
        Err(error) => {
            campaign.input_errors.push(error);
            campaign.exit_code = 2;
            Vec::new()
        }
    };
    let summary = report::redact(report::markdown(&campaign), &secrets);
    (campaign, written, summary)
}
