//! Load steps: a load profile run against an endpoint of the stack, and
//! its steady-phase figures judged in the scenario's own words ("the p95
//! latency is below 200 ms", or "below the target": the load profile's,
//! else golive.yaml's). Tag such scenarios `@load @serial`: a campaign
//! needs the machine to itself, and Goose runs one at a time.

use super::runtime::{conclude, stack_of};
use super::{GoliveWorld, StepFailure};
use crate::checks::live::Live;
use crate::checks::live::load::{self as load_checks, Figure};
use crate::load::campaign;
use crate::load::engine::{self, Destination};
use crate::load::judge;
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
    world.load_record = Some(run_campaign(&profile, &destination, None).await?);
    Ok(())
}

/// The scenario's load profile and its destination: every instance of
/// the stack endpoint `endpoint`.
fn campaign_on(
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

/// Runs the scenario's load profile against the stack endpoint `endpoint`
/// and, `after` into it, `action` (a disruption, a rollout), whose
/// requests from then on the record also tallies apart. Returns the
/// campaign's record, when the action started and what it returned; the
/// load's start is the scenario's (`failover.load_started`).
pub(super) async fn load_then<T>(
    world: &mut GoliveWorld,
    stack: &RunningStack,
    endpoint: &str,
    after: std::time::Duration,
    action: impl std::future::Future<Output = T>,
) -> Result<(Result<Record, StepFailure>, std::time::Instant, T), StepFailure> {
    let (profile, destination) = campaign_on(world, stack, endpoint)?;
    world.failover.load_started = Some(std::time::Instant::now());
    let acting = async {
        tokio::time::sleep(after).await;
        let at = std::time::Instant::now();
        (at, action.await)
    };
    let (record, (at, outcome)) =
        tokio::join!(run_campaign(&profile, &destination, Some(after)), acting);
    Ok((record, at, outcome))
}

/// Runs a campaign to its end, tallying apart the requests due from
/// `window_from` on; an error never shows the profile's secrets.
async fn run_campaign(
    profile: &LoadProfile,
    destination: &Destination,
    window_from: Option<std::time::Duration>,
) -> Result<Record, StepFailure> {
    engine::run(profile, destination, window_from, |_| {})
        .await
        .map_err(|e| {
            StepFailure::CouldNotEvaluate(profile::redact(&e.to_string(), &profile.secrets))
        })
}

/// Judges one steady-phase figure of the campaign the scenario ran against
/// the figure the step states, else the target of the load profile, else
/// the scenario's profile (golive.yaml): the precedence and the comparison
/// of `golive load` ([`judge::stated_or_overall`], [`judge::against`]).
fn judge_figure(
    world: &mut GoliveWorld,
    check: &'static Live<Figure>,
    metric: &'static str,
    stated: &str,
    measured: impl Fn(&Record) -> Option<f64>,
) -> Result<(), StepFailure> {
    let stated = match stated {
        "" => None,
        figure => Some(
            figure
                .parse()
                .map_err(|_| StepFailure::CouldNotEvaluate(format!("{figure} is not a number")))?,
        ),
    };
    let (Some(profile), Some(record)) = (world.load_profile.as_ref(), world.load_record.as_ref())
    else {
        return Err(StepFailure::CouldNotEvaluate(
            "no campaign ran: start with Given the load profile \"NAME\" and When it runs against \"ENDPOINT\"".into(),
        ));
    };
    let (target, level) = judge::stated_or_overall(stated, metric, profile, &world.profile)
        .ok_or_else(|| {
            StepFailure::CouldNotEvaluate(format!(
                "no {metric} target: neither the load profile {} nor golive.yaml sets one; state the figure in the step",
                profile.name
            ))
        })?;
    let Some(figure) = measured(record) else {
        return Err(StepFailure::CouldNotEvaluate(format!(
            "{}: no request was measured in the steady phase",
            judge::against("overall", metric, target, None).title()
        )));
    };
    let figure = Figure {
        target,
        level,
        measured: Some(figure),
        requests: record.steady.requests,
        steady_s: record.steady_time.as_secs_f64(),
    };
    let subject = format!("load profile {}", profile.name);
    conclude(world, vec![check.observe(subject, &figure)])
}

/// `the p95 latency is below the target | below N ms`.
pub fn p95_below(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    judge_figure(world, &load_checks::P95, "p95_ms", &arguments[0], |r| {
        r.steady.percentile_ms(0.95)
    })
}

/// `the error rate is below the target | below N %`.
pub fn error_rate_below(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    judge_figure(
        world,
        &load_checks::ERROR_RATE,
        "error_rate_percent",
        &arguments[0],
        |r| r.steady.error_rate_percent(),
    )
}

/// `the throughput is at least the target | at least N requests per second`.
pub fn throughput_at_least(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    judge_figure(
        world,
        &load_checks::THROUGHPUT,
        "min_rps",
        &arguments[0],
        |r| r.steady_rps(),
    )
}
