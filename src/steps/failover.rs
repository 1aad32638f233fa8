//! Failover steps: recovery clocks on endpoints of the stack, a disruption
//! (optionally in the middle of a load campaign), a runbook run as an
//! operator would, and the verdicts a release manager signs: recovery
//! within the RTO, no acknowledged write lost beyond the RPO, the error rate users saw
//! during the failover, the promotion time. Tag such scenarios
//! `@stack @disruptive @serial`.
//!
//! The first Then step settles the scenario: it waits until every clock
//! has seen a sustained recovery (or the profile's RTO has passed), stops
//! the clocks, reads the writes back and builds the timelines; the other
//! Then steps judge the same timelines.

use std::time::{Duration, Instant};

use super::load::load_then;
use super::runtime::{conclude, stack_of};
use super::{GoliveWorld, StepFailure};
use crate::checks::live::Live;
use crate::checks::live::failover::{self as failover_checks, LoadDuringFailover, Recovery};
use crate::failover::clock::{self, Clock, INTERVAL};
use crate::failover::probe::{self, ATTEMPT_TIMEOUT, Probe};
use crate::failover::timeline::{self, BackedUp, LoadSecond, Timeline, Writes};
use crate::stack::RunningStack;
use crate::stack::disrupt::Disruption;

/// A clock watches at least this long after a disruption, even when
/// nothing failed: a passive health check may fail a request later.
const MIN_WATCH: Duration = Duration::from_secs(10);

/// The failover state of one scenario.
#[derive(Default)]
pub struct FailoverState {
    clocks: Vec<(String, Clock)>,
    pub(super) disruption: Option<(Instant, String)>,
    /// What held during the disruption ("postgres → postgres-standby
    /// limited to 8 kbit/s").
    conditions: Vec<String>,
    /// What the disruption did step by step (a rollout's replicas).
    pub(super) steps: Vec<String>,
    /// When a backup of a data store started (the writes acknowledged
    /// before it must come back from it).
    pub(super) backup_at: Option<Instant>,
    /// When the scenario's load started, if one ran with the disruption.
    pub(super) load_started: Option<Instant>,
    /// In a cluster: the pod deleted, to recognise its replacement.
    pub(super) deleted_pod: Option<super::cluster::DeletedPod>,
    pub timelines: Vec<(String, Timeline)>,
    settled: bool,
}

impl std::fmt::Debug for FailoverState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailoverState")
            .field("clocks", &self.clocks.len())
            .field("settled", &self.settled)
            .finish_non_exhaustive()
    }
}

impl FailoverState {
    /// Records the scenario's disruption: when, what, and its steps.
    pub(super) fn disrupted(&mut self, at: Instant, label: String, steps: Vec<String>) {
        self.disruption = Some((at, label));
        self.steps = steps;
    }

    /// Just after the clocks on `name` had their last attempt started
    /// before `closed` answered (a write acknowledged then came before):
    /// `closed` itself when none was in flight then. Waits for it
    /// (attempts run one after the other, so the first one recorded that
    /// ends after `closed` tells), at most an attempt's timeout and an
    /// interval.
    pub(super) async fn answered_after(&self, name: &str, closed: Instant) -> Instant {
        let deadline = closed + ATTEMPT_TIMEOUT + INTERVAL * 2;
        let mut answered = closed;
        for (_, clock) in self.clocks.iter().filter(|(n, _)| n == name) {
            let since = clock.at(closed);
            let in_flight_end = loop {
                let samples = clock.samples();
                if samples.iter().any(|s| s.at + s.took >= since) || Instant::now() >= deadline {
                    break samples
                        .iter()
                        .filter(|s| s.at < since)
                        .map(|s| s.at + s.took)
                        .max()
                        .unwrap_or_default();
                }
                tokio::time::sleep(INTERVAL / 5).await;
            };
            if in_flight_end >= since {
                answered = answered.max(closed + (in_flight_end - since) + Duration::from_nanos(1));
            }
        }
        answered
    }
}

pub(super) fn could_not(message: impl Into<String>) -> StepFailure {
    StepFailure::CouldNotEvaluate(message.into())
}

fn endpoint(
    stack: &RunningStack,
    name: &str,
) -> Result<crate::stack::file::EndpointSpec, StepFailure> {
    stack.endpoint(name).cloned().map_err(could_not)
}

/// `a probe watches GET PATH on "ENDPOINT"`.
pub async fn watch_http(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let stack = stack_of(world)?;
    let spec = endpoint(&stack, &arguments[1])?;
    let probe = Probe::http(stack, &spec, &arguments[0]).map_err(could_not)?;
    start_clock(world, &arguments[1], probe)
}

/// `a probe writes to "ENDPOINT"`.
pub async fn watch_writes(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let stack = stack_of(world)?;
    let spec = endpoint(&stack, &arguments[0])?;
    let probe = Probe::writes(stack, &spec).map_err(could_not)?;
    start_clock(world, &arguments[0], probe)
}

pub(super) fn start_clock(
    world: &mut GoliveWorld,
    name: &str,
    probe: Probe,
) -> Result<(), StepFailure> {
    if world.failover.disruption.is_some() {
        return Err(could_not(
            "a probe must start before the disruption (its steady state is measured before)",
        ));
    }
    world
        .failover
        .clocks
        .push((name.to_string(), Clock::start(probe)));
    Ok(())
}

/// Disruptions change the target: only with `--allow-disruption`.
pub(super) fn require_permission(world: &GoliveWorld) -> Result<(), StepFailure> {
    if world.run.allow_disruption {
        return Ok(());
    }
    Err(could_not(
        "this step breaks a part of the target on purpose: run with --allow-disruption (and tag the scenario @disruptive)",
    ))
}

/// The instance a step names (the one of its three captures that is not
/// empty): the current primary of a data store endpoint, the first
/// instance of a service, or an instance by name.
async fn subject(
    stack: &RunningStack,
    primary_of: &str,
    replica_of: &str,
    named: &str,
) -> Result<String, StepFailure> {
    if !primary_of.is_empty() {
        let spec = endpoint(stack, primary_of)?;
        return probe::primary_of(stack, &spec)
            .await
            .map_err(|e| could_not(format!("the primary of {primary_of}: {e}")));
    }
    if !replica_of.is_empty() {
        let instances = stack.instances_of(replica_of).map_err(could_not)?;
        return Ok(instances[0].name.clone());
    }
    Ok(stack.instance(named).map_err(could_not)?.name)
}

/// `the network from (the primary of "E" | a replica of "S" | "INSTANCE")
/// to "OTHER" is throttled to N kbit/s`: a condition the scenario's
/// disruption happens in (a standby behind a thin link), undone after the
/// scenario.
pub async fn throttle(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let stack = stack_of(world)?;
    require_permission(world)?;
    let from = subject(&stack, &arguments[0], &arguments[1], &arguments[2]).await?;
    let to = stack.instance(&arguments[3]).map_err(could_not)?;
    let kbit: u32 = arguments[4]
        .parse()
        .ok()
        .filter(|k| *k > 0)
        .ok_or_else(|| could_not("the limit must be a whole number of kbit/s above 0"))?;
    let throttle = Disruption::Throttle {
        kbit,
        towards: to.address,
    };
    world.to_heal.push((from.clone(), throttle));
    stack
        .disrupt(&from, throttle)
        .await
        .map_err(|e| could_not(format!("could not throttle the network of {from}: {e}")))?;
    world
        .failover
        .conditions
        .push(format!("{from} → {} limited to {kbit} kbit/s", to.name));
    Ok(())
}

/// `the primary of "E" | a replica of "S" | "INSTANCE" is killed|stopped|…
/// [after N s of load on "E"]`.
pub async fn disrupt(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let stack = stack_of(world)?;
    require_permission(world)?;
    if world.failover.disruption.is_some() {
        return Err(could_not("one disruption per scenario"));
    }
    let instance = subject(&stack, &arguments[0], &arguments[1], &arguments[2]).await?;
    await_steady_window(world).await;
    let disruption = Disruption::from_participle(&arguments[3])
        .ok_or_else(|| could_not(format!("unknown disruption {:?}", arguments[3])))?;
    let label = format!("{instance} {disruption}");
    world.to_heal.push((instance.clone(), disruption));
    if arguments[4].is_empty() {
        world.failover.disruption = Some((Instant::now(), label));
        return stack
            .disrupt(&instance, disruption)
            .await
            .map_err(|e| could_not(format!("could not disrupt {instance}: {e}")));
    }
    let after = Duration::from_secs(
        arguments[4]
            .parse()
            .map_err(|_| could_not("not a number"))?,
    );
    let (record, at, disrupted) = load_then(
        world,
        &stack,
        &arguments[5],
        after,
        stack.disrupt(&instance, disruption),
    )
    .await?;
    world.failover.disruption = Some((at, label));
    disrupted.map_err(|e| could_not(format!("could not disrupt {instance}: {e}")))?;
    world.load_record = Some(record?);
    Ok(())
}

/// The steady state is measured before a disruption: waits until every
/// clock has had its window.
pub(super) async fn await_steady_window(world: &GoliveWorld) {
    let youngest = world.failover.clocks.iter().map(|(_, c)| c.now()).min();
    if let Some(age) = youngest {
        let needed = clock::STEADY_WINDOW + clock::INTERVAL * 2;
        tokio::time::sleep(needed.saturating_sub(age)).await;
    }
}

/// `the runbook "NAME" runs`: its command in its container, timed; a
/// failed or timed-out runbook fails the item.
pub async fn run_runbook(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let stack = stack_of(world)?;
    let name = &arguments[0];
    let runbook = stack.file.runbooks.get(name).cloned().ok_or_else(|| {
        let known: Vec<&str> = stack.file.runbooks.keys().map(String::as_str).collect();
        could_not(format!(
            "the stack has no runbook named {name:?} (runbooks: {})",
            known.join(", ")
        ))
    })?;
    let observation = runbook_observation(&stack, &format!("runbook {name}"), &runbook).await?;
    conclude(world, vec![observation])
}

/// Runs `runbook` and judges how it ran (failover.runbook), its facts
/// redacted.
pub(super) async fn runbook_observation(
    stack: &RunningStack,
    subject: &str,
    runbook: &crate::stack::file::RunbookSpec,
) -> Result<crate::evidence::Observation, StepFailure> {
    let ran = stack.run_runbook(runbook).await.map_err(could_not)?;
    let measured = failover_checks::Runbook {
        instance: runbook.instance.clone(),
        command: runbook.command.clone(),
        timeout_s: runbook.timeout.as_secs(),
        exit_code: ran.exit_code,
        took_s: ran.took.as_secs_f64(),
        output_tail: ran.output_tail,
    };
    let mut observation = failover_checks::RUNBOOK.observe(subject.to_string(), &measured);
    observation.facts = observation
        .facts
        .into_iter()
        .map(|f| stack.redact(f))
        .collect();
    Ok(observation)
}

/// Waits for the clocks' recovery, stops them, reads the writes back and
/// builds the timelines; once per scenario. `wait_for`: `None`, stop at
/// once; `Some(target)`, wait up to the profile's RTO or the step's
/// target in seconds, whichever is longer.
pub async fn settle(world: &mut GoliveWorld, wait_for: Option<f64>) {
    let state = &mut world.failover;
    if state.settled {
        return;
    }
    state.settled = true;
    let Some((disrupted, label)) = state.disruption.clone() else {
        for (_, clock) in state.clocks.drain(..) {
            clock.stop().await;
        }
        return;
    };
    if let Some(target) = wait_for {
        let limit = Duration::from_secs_f64(target.max(f64::from(world.profile.rto_seconds)));
        // Nothing to wait for on a clock whose steady state did not hold:
        // the scenario cannot be evaluated.
        let steady = |clock: &Clock| clock::analyse(&clock.samples(), clock.at(disrupted)).steady();
        for (_, clock) in state.clocks.iter().filter(|(_, c)| steady(c)) {
            clock
                .wait_for_recovery(clock.at(disrupted), MIN_WATCH, limit)
                .await;
        }
    }
    let load = world.load_record.as_ref().map(|r| r.timeline());
    for (name, clock) in state.clocks.drain(..) {
        let at = clock.at(disrupted);
        let load_offset = state.load_started.map(|started| clock.at(started));
        let describe = clock.describe.clone();
        let backup_at = state.backup_at.map(|b| clock.at(b));
        let (probe, samples) = clock.stop().await;
        let analysis = clock::analyse(&samples, at);
        let mut timeline = Timeline::new(describe, label.clone(), at, &analysis, &samples);
        timeline.conditions = state.conditions.clone();
        timeline.steps = state.steps.clone();
        // Each write with the moment it was acknowledged.
        let acknowledged: Vec<(u64, Duration)> = samples
            .iter()
            .filter_map(|s| Some((s.attempt.acknowledged?, s.at + s.took)))
            .collect();
        if let Some(mut probe) = probe.filter(|_| !acknowledged.is_empty()) {
            timeline.writes = Some(verify_writes(&mut probe, &acknowledged, at, backup_at).await);
        }
        if let (Some(seconds), Some(offset)) = (&load, load_offset) {
            // The load's seconds, shifted onto the clock's.
            let offset = offset.as_secs() as usize;
            let mut aligned = vec![
                LoadSecond {
                    requests: 0,
                    failed: 0
                };
                offset
            ];
            aligned.extend(seconds.iter().map(|s| LoadSecond {
                requests: s.requests,
                failed: s.failures,
            }));
            timeline.load = Some(aligned);
        }
        state.timelines.push((name, timeline));
    }
}

/// Reads the acknowledged writes back on the primary of now; with
/// `backup_at`, also which of those acknowledged before it are missing.
async fn verify_writes(
    probe: &mut Probe,
    acknowledged: &[(u64, Duration)],
    disrupted_at: Duration,
    backup_at: Option<Duration>,
) -> Writes {
    let numbers: Vec<u64> = acknowledged.iter().map(|(n, _)| *n).collect();
    match probe.read_back(&numbers).await {
        Ok(present) => {
            let lost: Vec<&(u64, Duration)> = acknowledged
                .iter()
                .filter(|(n, _)| !present.contains(n))
                .collect();
            let rpo = lost
                .iter()
                .map(|(_, at)| disrupted_at.saturating_sub(*at))
                .max()
                .unwrap_or_default();
            let backup = backup_at.map(|at| {
                let lost_before: Vec<u64> = lost
                    .iter()
                    .filter(|(_, acked)| *acked < at)
                    .map(|(n, _)| *n)
                    .collect();
                BackedUp {
                    at_s: timeline::seconds(at),
                    acknowledged_before: acknowledged
                        .iter()
                        .filter(|(_, acked)| *acked < at)
                        .count(),
                    lost: lost_before.len(),
                    lost_examples: lost_before.into_iter().take(20).collect(),
                }
            });
            Writes {
                acknowledged: numbers.len(),
                lost: lost.len(),
                lost_after_disruption: lost.iter().filter(|(_, at)| *at >= disrupted_at).count(),
                lost_examples: lost.iter().take(20).map(|(n, _)| *n).collect(),
                rpo_s: timeline::seconds(rpo),
                unverified: None,
                backup,
            }
        }
        Err(e) => Writes {
            acknowledged: numbers.len(),
            lost: 0,
            lost_after_disruption: 0,
            lost_examples: Vec::new(),
            rpo_s: 0.0,
            unverified: Some(e),
            backup: None,
        },
    }
}

/// The settled timeline of the clock on `name`, waiting for a recovery up
/// to the RTO or `target` seconds.
pub(super) async fn timeline_of(
    world: &mut GoliveWorld,
    name: &str,
    target: f64,
) -> Result<Timeline, StepFailure> {
    if world.failover.disruption.is_none() {
        return Err(could_not(
            "no disruption in this scenario: nothing to recover from",
        ));
    }
    settle(world, Some(target)).await;
    let timeline = world
        .failover
        .timelines
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t.clone())
        .ok_or_else(|| {
            could_not(format!(
                "no probe watched {name:?}: add Given a probe watches GET /PATH on \"{name}\" (or writes to it)"
            ))
        })?;
    if !timeline.steady_before {
        return Err(could_not(format!(
            "the steady state did not hold before the disruption: {}",
            timeline.unsteady()
        )));
    }
    Ok(timeline)
}

/// Records the verdict of one failover item on an endpoint: `timeline`
/// judged against `target_s` by `check`.
fn judge_endpoint(
    world: &mut GoliveWorld,
    check: &'static Live<Recovery>,
    name: &str,
    timeline: Timeline,
    target_s: f64,
) -> Result<(), StepFailure> {
    let recovery = Recovery { timeline, target_s };
    conclude(
        world,
        vec![check.observe(format!("endpoint {name}"), &recovery)],
    )
}

/// `"ENDPOINT" recovers within the profile's RTO | within N s`.
pub async fn recovers_within(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let name = &arguments[0];
    let target = target_seconds(world, &arguments[1])?;
    let timeline = timeline_of(world, name, target).await?;
    judge_endpoint(world, &failover_checks::RTO, name, timeline, target)
}

/// A step's target in seconds: the figure it states, else the profile's
/// RTO (`within the profile's RTO`).
pub(super) fn target_seconds(world: &GoliveWorld, stated: &str) -> Result<f64, StepFailure> {
    if stated.is_empty() {
        Ok(f64::from(world.profile.rto_seconds))
    } else {
        stated.parse().map_err(|_| could_not("not a number"))
    }
}

/// `no acknowledged write to "ENDPOINT" is lost [beyond the profile's RPO
/// | beyond N s]`: without a window, none may be lost (an RPO of 0 stated
/// by the step); with the profile's, its `rpo_seconds`.
pub async fn no_write_lost(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let name = &arguments[0];
    let target = match (arguments[1].as_str(), arguments[2].as_str()) {
        ("", _) => 0.0,
        (_, "") => f64::from(world.profile.rpo_seconds),
        (_, stated) => stated.parse().map_err(|_| could_not("not a number"))?,
    };
    let timeline = timeline_of(world, name, 0.0).await?;
    let writes = timeline.writes.as_ref().ok_or_else(|| {
        could_not(format!(
            "no write to {name} was acknowledged: nothing to verify (is a replica acknowledging them?)"
        ))
    })?;
    if let Some(why) = &writes.unverified {
        return Err(could_not(format!(
            "the {} acknowledged writes could not be read back: {why}",
            writes.acknowledged
        )));
    }
    judge_endpoint(world, &failover_checks::RPO, name, timeline, target)
}

/// `a new primary of "ENDPOINT" answers within N s`.
pub async fn promoted_within(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let name = &arguments[0];
    let target: f64 = arguments[1]
        .parse()
        .map_err(|_| could_not("not a number"))?;
    let timeline = timeline_of(world, name, target).await?;
    judge_endpoint(world, &failover_checks::PROMOTION, name, timeline, target)
}

/// `the error rate during the failover is below N %`: requests of the
/// load due from the disruption to the end of the campaign.
pub async fn failover_error_rate(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let target: f64 = arguments[0]
        .parse()
        .map_err(|_| could_not("not a number"))?;
    let (Some(record), Some(started), Some((disrupted, _))) = (
        world.load_record.as_ref(),
        world.failover.load_started,
        world.failover.disruption.as_ref(),
    ) else {
        return Err(could_not(
            "no load ran with the disruption: write When \"INSTANCE\" is killed after N s of load on \"ENDPOINT\"",
        ));
    };
    let from = disrupted.saturating_duration_since(started).as_secs() as usize;
    let seconds = record.timeline();
    let during = seconds.get(from..).unwrap_or_default();
    let requests: u64 = during.iter().map(|s| s.requests).sum();
    let failed: u64 = during.iter().map(|s| s.failures).sum();
    if requests == 0 {
        return Err(could_not(
            "no request of the load was due after the disruption",
        ));
    }
    let subject = format!(
        "load profile {}",
        world.load_profile.as_ref().map_or("", |p| p.name.as_str())
    );
    let mut measured = LoadDuringFailover {
        from_s: from,
        seconds: during.len(),
        requests,
        failed,
        target_percent: target,
        clocks: Vec::new(),
    };
    settle(world, Some(0.0)).await;
    // What the clocks saw meanwhile (the RTO), even if this step fails.
    measured.clocks = world
        .failover
        .timelines
        .iter()
        .map(|(_, t)| t.summary())
        .collect();
    conclude(
        world,
        vec![failover_checks::ERROR_RATE.observe(subject, &measured)],
    )
}
