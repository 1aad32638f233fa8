//! Backup and restore steps: a data store endpoint backed up by its
//! backup runbook while a probe writes to it, its data lost (every
//! container of it removed with its volumes), restored from the backup
//! (fresh containers, the restore runbook), and what a release manager
//! signs: every write acknowledged before the backup is back, the writes
//! lost span at most the restore RPO, the restore took at most the
//! restore RTO. Tag such scenarios `@stack @disruptive @serial`.
//!
//! The loss is the scenario's disruption for the probe's clock; its
//! timeline holds the writes read back after the restore. A data store
//! whose data a scenario lost and did not restore is started again, empty,
//! after the scenario.

use std::time::{Duration, Instant};

use super::failover::{
    await_steady_window, could_not, require_permission, runbook_observation, timeline_of,
};
use super::runtime::{conclude, stack_of};
use super::{GoliveWorld, StepFailure};
use crate::checks::live::backup::{self as checks, RestoreTime, Restored};
use crate::checks::live::failover::{self as failover_checks, Recovery};
use crate::stack::RunningStack;
use crate::stack::file::BackupSpec;

/// What a restore did, for the items judged after it.
#[derive(Debug, Clone)]
pub struct RestoreRun {
    pub endpoint: String,
    pub instances: Duration,
    pub runbook: Duration,
    pub succeeded: bool,
}

fn backup_of(stack: &RunningStack, endpoint: &str) -> Result<BackupSpec, StepFailure> {
    stack.file.backups.get(endpoint).cloned().ok_or_else(|| {
        could_not(format!(
            "the stack says nothing of how {endpoint:?} is backed up: give it backups: {{{endpoint}: {{directory: ..., backup: {{runs_in: ..., command: [...]}}, restore: {{...}}}}}}"
        ))
    })
}

/// `"ENDPOINT" is backed up`: its backup runbook, judged as a runbook;
/// the writes acknowledged before its start must come back from it.
pub async fn backed_up(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let stack = stack_of(world)?;
    require_permission(world)?;
    let endpoint = &arguments[0];
    let backup = backup_of(&stack, endpoint)?;
    await_steady_window(world).await;
    world.failover.backup_at = Some(Instant::now());
    let observation =
        runbook_observation(&stack, &format!("backup of {endpoint}"), &backup.backup).await?;
    world.failover.steps.push(format!("{endpoint} backed up"));
    conclude(world, vec![observation])
}

/// The longest a drill step lets time pass.
const MAX_WAIT: Duration = Duration::from_secs(600);

/// `N s pass`: the probes keep writing meanwhile (the writes a backup
/// taken before will not hold).
pub async fn time_passes(_: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let wait = Duration::from_secs(
        arguments[0]
            .parse()
            .map_err(|_| could_not("not a number"))?,
    );
    if wait > MAX_WAIT {
        return Err(could_not(format!(
            "at most {} s may pass in a step",
            MAX_WAIT.as_secs()
        )));
    }
    tokio::time::sleep(wait).await;
    Ok(())
}

/// `the data of "ENDPOINT" is lost`: every container of its services
/// removed with its volumes.
pub async fn data_lost(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let stack = stack_of(world)?;
    require_permission(world)?;
    let endpoint = &arguments[0];
    if world.failover.disruption.is_some() {
        return Err(could_not("one disruption per scenario"));
    }
    if !world.to_recreate.contains(endpoint) {
        world.to_recreate.push(endpoint.clone());
    }
    // The loss starts once the store is closed to its clients and the
    // write in flight then, if any, is answered: no write can be
    // acknowledged after it.
    let closed = Instant::now();
    stack.close(endpoint);
    let at = world.failover.answered_after(endpoint, closed).await;
    let removed = stack.lose_data(endpoint).await.map_err(could_not)?;
    let label = format!(
        "the data of {endpoint} lost ({} removed with their volumes)",
        removed.join(", ")
    );
    let steps = std::mem::take(&mut world.failover.steps);
    world.failover.disrupted(at, label, steps);
    Ok(())
}

/// `"ENDPOINT" is restored from the backup`: fresh containers in place of
/// the lost ones, then the restore runbook, judged as a runbook.
pub async fn restored(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let stack = stack_of(world)?;
    let endpoint = &arguments[0];
    let backup = backup_of(&stack, endpoint)?;
    if world.failover.backup_at.is_none() {
        return Err(could_not(format!(
            "no backup of {endpoint} was taken in this scenario: write When \"{endpoint}\" is backed up first"
        )));
    }
    let started = Instant::now();
    let fresh = match stack.recreate(endpoint).await {
        Ok(fresh) => fresh,
        Err(e) => {
            stack.reopen(endpoint);
            return Err(could_not(format!(
                "fresh instances of {endpoint} did not start: {e}"
            )));
        }
    };
    let instances = started.elapsed();
    let runbook_started = Instant::now();
    let observation =
        runbook_observation(&stack, &format!("restore of {endpoint}"), &backup.restore).await?;
    let runbook = runbook_started.elapsed();
    stack.reopen(endpoint);
    world.to_recreate.retain(|e| e != endpoint);
    world.failover.steps.push(format!(
        "{} started fresh in {:.1} s; the restore runbook took {:.1} s",
        fresh.join(", "),
        instances.as_secs_f64(),
        runbook.as_secs_f64()
    ));
    world.restore = Some(RestoreRun {
        endpoint: endpoint.clone(),
        instances,
        runbook,
        succeeded: observation.passed,
    });
    conclude(world, vec![observation])
}

/// The writes the probe on `endpoint` acknowledged, read back now.
async fn writes_of(
    world: &mut GoliveWorld,
    endpoint: &str,
) -> Result<crate::failover::timeline::Timeline, StepFailure> {
    if world.restore.is_none() {
        return Err(could_not(format!(
            "{endpoint} was not restored in this scenario: write And \"{endpoint}\" is restored from the backup first"
        )));
    }
    let timeline = timeline_of(world, endpoint, 0.0).await?;
    if timeline.writes.is_none() {
        return Err(could_not(format!(
            "no write to {endpoint} was acknowledged: nothing to verify"
        )));
    }
    Ok(timeline)
}

/// `every write acknowledged before the backup of "ENDPOINT" is back`.
pub async fn backed_up_writes_back(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let endpoint = &arguments[0];
    let timeline = writes_of(world, endpoint).await?;
    let restored = Restored {
        endpoint: format!("endpoint {endpoint}"),
        writes: timeline.writes.expect("checked by writes_of"),
    };
    conclude(
        world,
        vec![checks::BACKED_UP.observe(format!("endpoint {endpoint}"), &restored)],
    )
}

/// `the writes lost from "ENDPOINT" span at most the profile's restore RPO
/// | N s`: failover.rpo over the loss, against the restore RPO.
pub async fn lost_span(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let endpoint = &arguments[0];
    let target = match arguments[1].as_str() {
        "" => f64::from(world.profile.restore_rpo_seconds),
        stated => stated.parse().map_err(|_| could_not("not a number"))?,
    };
    let timeline = writes_of(world, endpoint).await?;
    let recovery = Recovery {
        timeline,
        target_s: target,
    };
    conclude(
        world,
        vec![failover_checks::RPO.observe(format!("endpoint {endpoint}"), &recovery)],
    )
}

/// `the restore of "ENDPOINT" took at most the profile's restore RTO | N s`.
pub async fn restore_within(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let endpoint = &arguments[0];
    let target_s = match arguments[1].as_str() {
        "" => f64::from(world.profile.restore_rto_seconds),
        stated => stated.parse().map_err(|_| could_not("not a number"))?,
    };
    let restore = world
        .restore
        .clone()
        .filter(|r| &r.endpoint == endpoint)
        .ok_or_else(|| {
            could_not(format!(
                "{endpoint} was not restored in this scenario: write And \"{endpoint}\" is restored from the backup first"
            ))
        })?;
    let measured = RestoreTime {
        endpoint: endpoint.clone(),
        instances_s: restore.instances.as_secs_f64(),
        runbook_s: restore.runbook.as_secs_f64(),
        took_s: (restore.instances + restore.runbook).as_secs_f64(),
        target_s,
        succeeded: restore.succeeded,
    };
    conclude(
        world,
        vec![checks::RESTORE_TIME.observe(format!("endpoint {endpoint}"), &measured)],
    )
}
