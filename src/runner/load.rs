//! `golive load` as a run: read the profile and the configuration, find
//! where the load goes, run the campaign (Ctrl-C stops it through Goose's
//! killswitch, and what was measured is still judged), judge its targets,
//! compare it with the baseline, and return the run record that holds it.
//! The caller judges and reports it as any other run.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::config::Config;
use crate::error::InputError;
use crate::load::baseline::{self, Baseline};
use crate::load::campaign;
use crate::load::engine;
use crate::load::judge;
use crate::load::outcome::Campaign;
use crate::load::profile::{self, Host};
use crate::record::RunRecord;
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
    /// An earlier `summary.json` holding a campaign of the same profile to
    /// compare with, and the tolerance in percent.
    pub baseline: Option<PathBuf>,
    pub tolerance_percent: f64,
}

/// Runs the campaign; returns the record of the run that holds it, judged
/// (secrets redacted). Nothing runs when an input is wrong: the record says
/// what was.
pub async fn run(plan: &LoadPlan, interrupted: impl Future<Output = ()>) -> RunRecord {
    let started = Instant::now();
    let mut errors = Vec::new();
    let loaded = campaign::read_profile(&plan.profile)
        .map_err(|e| errors.push(e))
        .ok();
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
        RunRecord::read(file)
            .map(|earlier| Baseline::new(&place, earlier.campaigns))
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
        if let Some(Err(message)) = earlier.as_ref().map(|e| e.campaign_of(&profile.name)) {
            errors.push(InputError::new(
                plan.baseline
                    .as_ref()
                    .map_or_else(String::new, |f| f.display().to_string()),
                message,
            ));
        }
    }
    let session = plan
        .stack
        .as_ref()
        .map(|file| Arc::new(StackSession::new(file.clone(), false)));
    let mut record = RunRecord {
        golive_version: env!("CARGO_PKG_VERSION"),
        target: plan.host.clone().unwrap_or_default(),
        profile: config.clone(),
        ..RunRecord::default()
    };
    let mut measured = None;
    tokio::pin!(interrupted);
    if let (Some(profile), Some(run_profile), true) = (&loaded, &config, errors.is_empty()) {
        // An interruption while the stack starts abandons the start (what
        // was created is removed below); during the campaign, it stops
        // the campaign and what was measured is kept.
        let found = tokio::select! {
            found = campaign::destination(profile, plan.host.as_deref(), session.as_deref()) => Some(found),
            () = &mut interrupted => None,
        };
        match found {
            None => record.interrupted = true,
            Some(Err(error)) => errors.push(error),
            Some(Ok(destination)) => {
                record.target = destination.base_urls.join(", ");
                let running = engine::run(profile, &destination, None, campaign::show_progress);
                tokio::pin!(running);
                let outcome = tokio::select! {
                    outcome = &mut running => outcome,
                    () = &mut interrupted => {
                        record.interrupted = true;
                        engine::stop();
                        running.await
                    }
                };
                if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                    eprintln!();
                }
                match outcome {
                    Ok(figures) => {
                        let targets = judge::judge(profile, run_profile, &figures);
                        measured = Some((figures, targets));
                    }
                    Err(e) => errors.push(InputError::new("goose", e.to_string())),
                }
            }
        }
    }
    if let Some(session) = &session {
        let stack = session.finish().await;
        if let Some(error) = stack.removed.as_ref().and_then(|r| r.error.clone()) {
            errors.push(InputError::new(stack.file.clone(), error));
        }
        record.stack = Some(stack);
    }
    let secrets = loaded.as_ref().map_or(&[][..], |p| p.secrets.as_slice());
    if let (Some(profile), Some((figures, targets))) = (&loaded, measured) {
        let mut campaign = Campaign::new(
            &profile.name,
            &profile.description,
            &record.target,
            &figures,
            targets,
        )
        // Before the comparison: the baseline's request names are redacted too.
        .redacted(secrets);
        if let Some(Ok(baseline)) = earlier.as_ref().map(|e| e.campaign_of(&profile.name)) {
            let comparison = baseline::compare(&baseline, &campaign, plan.tolerance_percent);
            campaign = campaign.with_comparison(comparison);
        }
        record.campaigns.push(campaign);
    }
    record.target = profile::redact(&record.target, secrets);
    for error in &mut errors {
        error.place = profile::redact(&error.place, secrets);
        error.message = profile::redact(&error.message, secrets);
    }
    record.input_errors = errors;
    record.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    record
}
