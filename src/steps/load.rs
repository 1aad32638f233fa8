//! Load steps: a load profile run against an endpoint of the stack, and
//! its steady-phase figures judged in the scenario's own words ("the p95
//! latency is below 200 ms"). Tag such scenarios `@load @serial`: a campaign
//! needs the machine to itself, and Goose runs one at a time.

use super::runtime::{conclude, observation, stack_of};
use super::{GoliveWorld, StepFailure};
use crate::load::campaign;
use crate::load::engine::{self, Destination};
use crate::load::profile::{self, LoadProfile};
use crate::load::record::Record;
use crate::stack::RunningStack;

/// `the load profile "NAME"`: a bundled profile or a file.
pub fn given_profile(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let loaded = campaign::read_profile(&arguments[0])
        .map_err(|e| StepFailure::CouldNotEvaluate(e.to_string()))?;
    world.load_profile = Some(loaded);
    Ok(())
}

/// `it runs against "ENDPOINT"`: the scenario's profile, against every
/// instance of a stack endpoint (whatever host the profile names).
pub async fn runs_against(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let stack = stack_of(world)?;
    let (profile, destination) = campaign_on(world, &stack, &arguments[0])?;
    world.load_record = Some(run_campaign(&profile, &destination).await?);
    Ok(())
}

/// The scenario's load profile and its destination: every instance of
/// the stack endpoint `endpoint`.
pub(super) fn campaign_on(
    world: &GoliveWorld,
    stack: &RunningStack,
    endpoint: &str,
) -> Result<(LoadProfile, Destination), StepFailure> {
    let profile = world.load_profile.clone().ok_or_else(|| {
        StepFailure::CouldNotEvaluate(
            "no load profile: start with Given the load profile \"NAME\"".into(),
        )
    })?;
    let destination = campaign::stack_destination(&profile, stack, endpoint)
        .map_err(StepFailure::CouldNotEvaluate)?;
    Ok((profile, destination))
}

/// Runs a campaign to its end; an error never shows the profile's secrets.
pub(super) async fn run_campaign(
    profile: &LoadProfile,
    destination: &Destination,
) -> Result<Record, StepFailure> {
    engine::run(profile, destination, |_| {})
        .await
        .map_err(|e| {
            StepFailure::CouldNotEvaluate(profile::redact(&e.to_string(), &profile.secrets))
        })
}

/// Judges one steady-phase figure of the campaign the scenario ran.
fn judge(
    world: &mut GoliveWorld,
    item: &'static str,
    what: &str,
    target: &str,
    measured: impl Fn(&crate::load::record::Record) -> Option<f64>,
    meets: fn(f64, f64) -> bool,
    unit: &str,
) -> Result<(), StepFailure> {
    let target: f64 = target
        .parse()
        .map_err(|_| StepFailure::CouldNotEvaluate(format!("{target} is not a number")))?;
    let record = world.load_record.as_ref().ok_or_else(|| {
        StepFailure::CouldNotEvaluate(
            "no campaign ran: add When it runs against \"ENDPOINT\"".into(),
        )
    })?;
    let subject = world
        .load_profile
        .as_ref()
        .map_or_else(String::new, |p| format!("load profile {}", p.name));
    let Some(value) = measured(record) else {
        return Err(StepFailure::CouldNotEvaluate(format!(
            "{what}: no request was measured in the steady phase"
        )));
    };
    let facts = vec![
        format!("{what}: {value:.2}{unit} (target {target}{unit})"),
        format!(
            "{} requests in the steady phase ({:.0} s)",
            record.steady.requests,
            record.steady_time.as_secs_f64()
        ),
    ];
    let passed = meets(value, target);
    conclude(world, vec![observation(item, subject, passed, facts)])
}

/// `the p95 latency is below N ms`.
pub fn p95_below(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    judge(
        world,
        "load.p95",
        "p95 latency",
        &arguments[0],
        |r| r.steady.percentile_ms(0.95),
        |m, t| m < t,
        " ms",
    )
}

/// `the error rate is below N %`.
pub fn error_rate_below(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    judge(
        world,
        "load.error-rate",
        "error rate",
        &arguments[0],
        |r| r.steady.error_rate_percent(),
        |m, t| m < t,
        " %",
    )
}

/// `the throughput is at least N requests per second`.
pub fn throughput_at_least(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    judge(
        world,
        "load.throughput",
        "throughput",
        &arguments[0],
        |r| r.steady_rps(),
        |m, t| m >= t,
        " requests/s",
    )
}
