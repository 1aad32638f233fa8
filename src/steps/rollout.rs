//! Release drill steps: a rolling upgrade or rollback of a stack service
//! (optionally in the middle of a load campaign) or of a Deployment of the
//! cluster (to `--image`, or its previous revision), and what a release
//! manager signs about it: it completed, no request failed and none was
//! slow meanwhile, every replica serves the release expected. Tag such
//! scenarios `@stack @disruptive @serial` or `@cluster @disruptive
//! @serial`.
//!
//! A rollout is the scenario's disruption for its recovery clocks: a probe
//! started before it gets a timeline with the rollout's steps, as a
//! failover does. The service or Deployment is put back on the release it
//! started with after the scenario, whatever happened.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::failover::{await_steady_window, could_not, require_permission, settle};
use super::load::load_then;
use super::runtime::{conclude, stack_of};
use super::{GoliveWorld, StepFailure};
use crate::checks::live::rollout::{self as checks, LoadDuringRollout, ReplicaVersion, Versions};
use crate::cluster::rollout::{DeploymentRollouts, ImageChange, images_of};
use crate::probe::http;
use crate::stack::RunningStack;
use crate::stack::rollout::{Direction, Rollout};

/// The requests judged run on this long after a rollout ends: a proxy's
/// passive health checks may fail a request to a replica already gone.
const AFTERMATH: Duration = Duration::from_secs(5);

/// How long a replica has to say which version it serves.
const VERSION_TIMEOUT: Duration = Duration::from_secs(5);

/// The rollout of a scenario (its load's start is the failover state's).
#[derive(Debug)]
pub struct RolloutRun {
    pub rollout: Rollout,
}

fn direction(word: &str) -> Direction {
    match word {
        "upgraded" | "upgrade" => Direction::Upgrade,
        _ => Direction::Rollback,
    }
}

/// What a drill rolls: a service of the stack, or a Deployment of the
/// cluster (with the release `--image` gives it).
enum Rolled {
    Service(Arc<RunningStack>, String),
    Deployment(Box<DeploymentRollouts>, Option<ImageChange>),
}

impl Rolled {
    async fn roll(&self, direction: Direction) -> Result<Rollout, StepFailure> {
        match self {
            Rolled::Service(stack, service) => {
                let rolled = match direction {
                    Direction::Upgrade => stack.upgrade(service).await,
                    Direction::Rollback => stack.roll_back(service).await,
                };
                rolled.map_err(|e| could_not(stack.redact(e)))
            }
            Rolled::Deployment(deployment, change) => deployment
                .roll(direction, change.as_ref())
                .await
                .map_err(could_not),
        }
    }
}

/// The service or Deployment `name`, marked to be put back on the release
/// it runs now after the scenario. Only with `--allow-disruption`.
async fn rolled(world: &mut GoliveWorld, name: &str) -> Result<Rolled, StepFailure> {
    let Some(live) = world.run.cluster.as_ref() else {
        let stack = stack_of(world)?;
        require_permission(world)?;
        if !world.to_restore.iter().any(|s| s == name) {
            world.to_restore.push(name.to_string());
        }
        return Ok(Rolled::Service(stack, name.to_string()));
    };
    require_permission(world)?;
    let pods = super::cluster::workload(world, name)?;
    let deployment = DeploymentRollouts::new(&live.connection, &pods.namespace, &pods.name);
    let qualified = format!("{}/{}", pods.namespace, pods.name);
    let change = live
        .images
        .iter()
        .find(|c| [name, pods.name.as_str(), qualified.as_str()].contains(&c.deployment.as_str()))
        .cloned();
    let known = world
        .deployments_to_restore
        .iter()
        .any(|(d, _)| d.namespace == pods.namespace && d.name == pods.name);
    if !known {
        let template = deployment.template().await.map_err(could_not)?;
        world
            .deployments_to_restore
            .push((deployment.clone(), template));
    }
    Ok(Rolled::Deployment(Box::new(deployment), change))
}

/// `"SERVICE" has been upgraded | rolled back`: a rollout as a
/// precondition (no load, no clock); one that does not complete means the
/// scenario could not be evaluated.
pub async fn given_rolled(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let rolled = rolled(world, &arguments[0]).await?;
    let rollout = rolled.roll(direction(&arguments[1])).await?;
    match &rollout.halted {
        None => Ok(()),
        Some(why) => Err(could_not(format!(
            "the precondition {} did not complete: {why}",
            rollout.label()
        ))),
    }
}

/// `"SERVICE" is upgraded | rolled back [after N s of load on "E"]`.
pub async fn when_rolled(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    if world.rollout.is_some() || world.failover.disruption.is_some() {
        return Err(could_not("one rollout or disruption per scenario"));
    }
    let rolled = rolled(world, &arguments[0]).await?;
    let direction = direction(&arguments[1]);
    await_steady_window(world).await;
    if arguments[2].is_empty() {
        let at = Instant::now();
        let rollout = rolled.roll(direction).await?;
        world
            .failover
            .disrupted(at, rollout.label(), rollout.steps.clone());
        world.rollout = Some(RolloutRun { rollout });
        return Ok(());
    }
    let after = Duration::from_secs(
        arguments[2]
            .parse()
            .map_err(|_| could_not("not a number"))?,
    );
    let Rolled::Service(stack, _) = &rolled else {
        return Err(could_not(
            "a load runs against an endpoint of a stack: on a cluster, the recovery clock (Given a probe watches GET /PATH on the pods of \"NAME\") sends the requests judged; drop \"after N s of load on ...\"",
        ));
    };
    let (record, at, outcome) =
        load_then(world, stack, &arguments[3], after, rolled.roll(direction)).await?;
    let rollout = outcome?;
    world
        .failover
        .disrupted(at, rollout.label(), rollout.steps.clone());
    world.rollout = Some(RolloutRun { rollout });
    world.load_record = Some(record?);
    Ok(())
}

/// The scenario's rollout, when it went the way the step names.
fn rollout_of<'w>(world: &'w GoliveWorld, word: &str) -> Result<&'w RolloutRun, StepFailure> {
    let wanted = direction(word);
    match &world.rollout {
        Some(run) if run.rollout.direction == wanted => Ok(run),
        Some(run) => Err(could_not(format!(
            "this scenario's rollout is a {}, not a {}",
            run.rollout.direction.noun(),
            wanted.noun()
        ))),
        None => Err(could_not(format!(
            "no {} in this scenario: write When \"SERVICE\" is {} first",
            wanted.noun(),
            if wanted == Direction::Upgrade {
                "upgraded"
            } else {
                "rolled back"
            }
        ))),
    }
}

/// `the upgrade | rollback completes [within N s]`.
pub async fn completes(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let run = rollout_of(world, &arguments[0])?;
    let target_s = match arguments[1].as_str() {
        "" => None,
        stated => Some(stated.parse().map_err(|_| could_not("not a number"))?),
    };
    let rollout = &run.rollout;
    let measured = checks::Rollout {
        label: rollout.label(),
        replicas: rollout.replicas,
        replaced: rollout.replaced,
        took_s: rollout.took.as_secs_f64(),
        target_s,
        steps: rollout.steps.clone(),
        halted: rollout.halted.clone(),
        undone: rollout.undone.clone(),
    };
    let kind = if world.run.cluster.is_some() {
        "deployment"
    } else {
        "service"
    };
    let subject = format!("{kind} {}", rollout.service);
    conclude(world, vec![checks::COMPLETE.observe(subject, &measured)])
}

/// What the scenario's load saw from its rollout's start to its end.
fn load_during(world: &GoliveWorld, word: &str) -> Result<LoadDuringRollout, StepFailure> {
    let run = rollout_of(world, word)?;
    let (Some(record), Some(started)) = (world.load_record.as_ref(), world.failover.load_started)
    else {
        return Err(could_not(
            "no load ran with the rollout: write When \"SERVICE\" is upgraded after N s of load on \"ENDPOINT\"",
        ));
    };
    let window = record
        .window
        .as_ref()
        .ok_or_else(|| could_not("the load kept no figures of the rollout's window"))?;
    let rollout_end = (run.rollout.started + run.rollout.took).saturating_duration_since(started);
    let load_end = Duration::from_secs(record.timeline().len() as u64);
    if rollout_end > load_end {
        return Err(could_not(format!(
            "the load ended at {:.0} s, before the rollout did ({:.1} s): give the load profile a longer duration",
            load_end.as_secs_f64(),
            rollout_end.as_secs_f64()
        )));
    }
    let until = (rollout_end + AFTERMATH).min(load_end);
    let tally = window.until(until);
    Ok(LoadDuringRollout {
        rollout: run.rollout.label(),
        from_s: window.from.as_secs_f64(),
        rollout_end_s: rollout_end.as_secs_f64(),
        until_s: until.as_secs_f64(),
        requests: tally.requests,
        failed: tally.failures,
        failed_statuses: tally
            .statuses
            .iter()
            .filter(|(status, _)| !status.starts_with('2') && !status.starts_with('3'))
            .map(|(status, n)| (status.clone(), *n))
            .collect(),
        p95_ms: tally.percentile_ms(0.95),
        p95_target_ms: None,
        sent_by: None,
        first_error: None,
    })
}

/// What the recovery clock's probe saw from the rollout's start to
/// [`AFTERMATH`] after its end (waiting until then), in whole seconds of
/// the clock: on a cluster, the requests users would have sent.
async fn probe_during(
    world: &mut GoliveWorld,
    word: &str,
) -> Result<LoadDuringRollout, StepFailure> {
    let run = rollout_of(world, word)?;
    let (label, took) = (run.rollout.label(), run.rollout.took);
    tokio::time::sleep_until((run.rollout.started + took + AFTERMATH).into()).await;
    settle(world, None).await;
    let Some((_, timeline)) = world.failover.timelines.first() else {
        return Err(could_not(
            "neither a load nor a probe watched the rollout: write Given a probe watches GET /PATH on the pods of \"NAME\" (or, on a stack, When \"SERVICE\" is upgraded after N s of load on \"ENDPOINT\")",
        ));
    };
    if !timeline.steady_before {
        return Err(could_not(format!(
            "the steady state did not hold before the rollout: {}",
            timeline.unsteady()
        )));
    }
    let rollout_end = timeline.disrupted_at_s + took.as_secs_f64();
    let first = timeline.disrupted_at_s.floor() as usize;
    let last =
        ((rollout_end + AFTERMATH.as_secs_f64()).ceil() as usize).min(timeline.seconds.len());
    if (last as f64) < rollout_end {
        return Err(could_not("the probe stopped before the rollout ended"));
    }
    let window = &timeline.seconds[first.min(last)..last];
    Ok(LoadDuringRollout {
        rollout: label,
        from_s: first as f64,
        rollout_end_s: rollout_end,
        until_s: last as f64,
        requests: window.iter().map(|s| (s.ok + s.failed) as u64).sum(),
        failed: window.iter().map(|s| s.failed as u64).sum(),
        failed_statuses: Default::default(),
        p95_ms: None,
        p95_target_ms: None,
        sent_by: Some(format!("the probe {}", timeline.clock)),
        first_error: timeline.first_error.clone(),
    })
}

/// `no request failed during the upgrade | rollback`: the load's
/// requests, or without a load the recovery clock's.
pub async fn no_request_failed(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let measured = if world.load_record.is_some() {
        load_during(world, &arguments[0])?
    } else {
        probe_during(world, &arguments[0]).await?
    };
    let subject = match &measured.sent_by {
        Some(probe) => probe.trim_start_matches("the ").to_string(),
        None => subject_of_load(world),
    };
    conclude(world, vec![checks::NO_ERROR.observe(subject, &measured)])
}

/// `the p95 latency during the upgrade | rollback is below N ms`.
pub async fn p95_during(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let mut measured = load_during(world, &arguments[0])?;
    measured.p95_target_ms = Some(
        arguments[1]
            .parse()
            .map_err(|_| could_not("not a number"))?,
    );
    let subject = subject_of_load(world);
    conclude(world, vec![checks::P95.observe(subject, &measured)])
}

fn subject_of_load(world: &GoliveWorld) -> String {
    format!(
        "load profile {}",
        world.load_profile.as_ref().map_or("", |p| p.name.as_str())
    )
}

/// `every replica of "SERVICE" serves version "V"`: asks each replica of
/// now, on the service's `version:` probe.
pub async fn serves_version(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let stack = stack_of(world)?;
    let service = &arguments[0];
    let spec = stack
        .service(service)
        .ok_or_else(|| could_not(format!("the stack has no service named {service:?}")))?;
    let probe = spec.version.clone().ok_or_else(|| {
        could_not(format!(
            "service {service} says nothing of how it reports its version: give it version: {{port: ..., path: ...}} in the stack file"
        ))
    })?;
    let mut replicas = Vec::new();
    for instance in stack.instances_of(service).map_err(could_not)? {
        let mut replica = ReplicaVersion {
            instance: instance.name.clone(),
            version: None,
            error: None,
        };
        match instance.host_ports.get(&probe.port) {
            None => replica.error = Some(format!("port {} is not published", probe.port)),
            Some(port) => {
                let options = http::HttpOptions {
                    timeout: VERSION_TIMEOUT,
                    read_body: true,
                    max_body_bytes: 4096,
                    ..http::HttpOptions::default()
                };
                let url = format!("http://127.0.0.1:{port}{}", probe.path);
                match http::get(&url, &options).await {
                    Ok(answer) if answer.status == 200 => {
                        replica.version = Some(version_in(&answer.body_bytes.unwrap_or_default()));
                    }
                    Ok(answer) => replica.error = Some(format!("{url}: status {}", answer.status)),
                    Err(e) => replica.error = Some(format!("{url}: {e}")),
                }
            }
        }
        replicas.push(replica);
    }
    let measured = Versions {
        expected: arguments[1].clone(),
        replicas,
    };
    conclude(
        world,
        vec![checks::VERSION.observe(format!("service {service}"), &measured)],
    )
}

/// `every pod of "DEPLOYMENT" runs the upgrade's | rollback's release`:
/// the images of every pod of the Deployment now (those terminating left
/// out) are those the rollout rolled it to.
pub async fn pods_run_release(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let expected = rollout_of(world, &arguments[1])?.rollout.to.clone();
    let pods = super::cluster::workload(world, &arguments[0])?;
    let replicas = pods
        .live()
        .await
        .map_err(could_not)?
        .iter()
        .map(|pod| ReplicaVersion {
            instance: format!("pod {}", pod.metadata.name.as_deref().unwrap_or("?")),
            version: pod.spec.as_ref().map(images_of),
            error: None,
        })
        .collect();
    let measured = Versions { expected, replicas };
    let subject = format!("pods of {}/{}", pods.namespace, pods.name);
    conclude(world, vec![checks::VERSION.observe(subject, &measured)])
}

/// The version a body reports: its JSON `version` field, else the body
/// itself (trimmed, at most 64 characters).
fn version_in(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("version")
                .map(|v| v.as_str().map_or(v.to_string(), str::to_string))
        })
        .unwrap_or_else(|| text.trim().chars().take(64).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_is_read_from_json_or_plain_text() {
        assert_eq!(version_in(br#"{"version":"2"}"#), "2");
        assert_eq!(version_in(br#"{"version":3}"#), "3");
        assert_eq!(version_in(b" 1.4.2\n"), "1.4.2");
    }
}
