//! A pod of a workload deleted under a recovery clock (the Ready pods
//! probed through port-forwards), and the time its controller takes to
//! replace it with a Ready pod. The clock's verdicts (recovery within the
//! RTO) are the failover steps'.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::super::failover::{
    await_steady_window, could_not, require_permission, start_clock, target_seconds,
};
use super::super::runtime::conclude;
use super::super::{GoliveWorld, StepFailure};
use super::workload;
use crate::checks::live::failover::{self as failover_checks, REPLACEMENT};
use crate::cluster::pods::{WorkloadPods, is_ready};
use crate::failover::probe::Probe;
use crate::failover::timeline::seconds;

/// How often the replacement's progress is read.
const POLL: Duration = Duration::from_millis(200);

/// The pod a scenario deleted, and a task that follows its replacement
/// from the moment of the deletion (stopped with the scenario).
#[derive(Debug)]
pub struct DeletedPod {
    pods: WorkloadPods,
    name: String,
    at: Instant,
    progress: Arc<Mutex<Replacement>>,
    follower: tokio::task::JoinHandle<()>,
}

impl Drop for DeletedPod {
    fn drop(&mut self) {
        self.follower.abort();
    }
}

/// How the replacement of a deleted pod went, as seen so far.
#[derive(Debug, Default, Clone)]
struct Replacement {
    /// The first new pod, and when it was first seen after the deletion.
    created: Option<(String, Duration)>,
    /// When the workload had all its Ready pods again, one of them new.
    restored: Option<Duration>,
    /// Ready pods at the last look.
    ready: usize,
    /// The last read that failed, if any.
    error: Option<String>,
}

/// Reads the workload's pods every [`POLL`] from the deletion until it has
/// as many Ready pods as it asks for, one of them not among `before`.
async fn follow(
    pods: WorkloadPods,
    before: BTreeSet<String>,
    at: Instant,
    progress: Arc<Mutex<Replacement>>,
) {
    let desired = usize::try_from(pods.desired).unwrap_or(0);
    loop {
        let live = pods.live().await;
        let elapsed = at.elapsed();
        {
            let mut seen = progress.lock().unwrap_or_else(|e| e.into_inner());
            match live {
                Ok(live) => {
                    if seen.created.is_none()
                        && let Some(new) = live.iter().find(|p| {
                            p.metadata
                                .uid
                                .as_ref()
                                .is_some_and(|uid| !before.contains(uid))
                        })
                    {
                        seen.created =
                            Some((new.metadata.name.clone().unwrap_or_default(), elapsed));
                    }
                    // (The deleted pod, terminating, is no longer a live one.)
                    seen.ready = live.iter().filter(|p| is_ready(p)).count();
                    let replacement_ready = live.iter().any(|p| {
                        is_ready(p)
                            && p.metadata
                                .uid
                                .as_ref()
                                .is_some_and(|uid| !before.contains(uid))
                    });
                    if replacement_ready && seen.ready >= desired {
                        seen.restored = Some(elapsed);
                        return;
                    }
                }
                Err(e) => seen.error = Some(e),
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// `a probe watches GET PATH on the pods of "WORKLOAD"`.
pub async fn watch_pods(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let pods = workload(world, &arguments[1])?;
    let port = pods.http.ok_or_else(|| {
        could_not(format!(
            "{} declares no HTTP probe and no container port to GET",
            arguments[1]
        ))
    })?;
    let probe = Probe::pods(pods, port, &arguments[0]);
    start_clock(world, &arguments[1], probe)
}

/// `a pod of "WORKLOAD" is deleted`: its first Ready pod, as `kubectl
/// delete pod` would (with its grace period).
pub async fn delete_pod(world: &mut GoliveWorld, arguments: &[String]) -> Result<(), StepFailure> {
    let pods = workload(world, &arguments[0])?;
    require_permission(world)?;
    if world.failover.disruption.is_some() {
        return Err(could_not("one disruption per scenario"));
    }
    // The pods as they are when the pod is deleted, after the clocks'
    // steady window: a pod started meanwhile is no replacement.
    await_steady_window(world).await;
    let live = pods.live().await.map_err(could_not)?;
    let mut ready: Vec<&k8s_openapi::api::core::v1::Pod> =
        live.iter().filter(|p| is_ready(p)).collect();
    ready.sort_by_key(|p| p.metadata.name.clone());
    let victim = ready
        .first()
        .and_then(|p| p.metadata.name.clone())
        .ok_or_else(|| could_not(format!("{} has no Ready pod to delete", arguments[0])))?;
    let before = live.iter().filter_map(|p| p.metadata.uid.clone()).collect();
    let at = Instant::now();
    pods.delete(&victim).await.map_err(could_not)?;
    world.failover.disruption = Some((at, format!("pod {victim} deleted")));
    let progress = Arc::default();
    let follower = tokio::spawn(follow(pods.clone(), before, at, Arc::clone(&progress)));
    world.failover.deleted_pod = Some(DeletedPod {
        pods,
        name: victim,
        at,
        progress,
        follower,
    });
    Ok(())
}

/// `a replacement pod of "WORKLOAD" is Ready within (the profile's RTO|N s)`:
/// the time from the deletion until the workload has as many Ready pods as
/// it asks for, a new one among them.
pub async fn replacement_ready_within(
    world: &mut GoliveWorld,
    arguments: &[String],
) -> Result<(), StepFailure> {
    let target = target_seconds(world, &arguments[1])?;
    let deleted = world.failover.deleted_pod.as_ref().ok_or_else(|| {
        could_not(format!(
            "no pod of {} was deleted in this scenario (When a pod of \"{}\" is deleted)",
            arguments[0], arguments[0]
        ))
    })?;
    let limit = Duration::try_from_secs_f64(target)
        .map_err(|_| could_not(format!("{target} s is not a duration")))?;
    let seen = loop {
        let seen = deleted
            .progress
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if seen.restored.is_some() || deleted.at.elapsed() >= limit {
            break seen;
        }
        tokio::time::sleep(POLL).await;
    };
    let replacement = failover_checks::Replacement {
        deleted: deleted.name.clone(),
        replacement: seen.created.as_ref().map(|(name, _)| name.clone()),
        created_after_s: seen.created.as_ref().map(|(_, at)| seconds(*at)),
        ready_after_s: seen.restored.map(seconds),
        ready: seen.ready,
        desired: usize::try_from(deleted.pods.desired).unwrap_or(0),
        target_s: target,
        last_error: seen.error,
    };
    let subject = format!("pods of {}/{}", deleted.pods.namespace, deleted.pods.name);
    conclude(world, vec![REPLACEMENT.observe(subject, &replacement)])
}
