//! The workloads' HTTP probes, sent to one Ready pod of each workload
//! through a port-forward (a read-only subresource): the probe's path,
//! port and scheme (HTTPS not verified) and its timeoutSeconds, as the
//! kubelet uses them (its httpHeaders and host are not sent).

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::HTTPGetAction;

use super::super::failover::could_not;
use super::super::runtime::conclude;
use super::super::{GoliveWorld, StepFailure};
use super::cluster_of;
use crate::checks::Scope;
use crate::checks::live::cluster::{PROBE_ANSWERS, ProbeAnswer};
use crate::cluster::pods::{HttpPort, WorkloadPods, is_ready, resolve_port};

/// `the HTTP probes of every workload answer through a port-forward`: on
/// one Ready pod of each long-running workload in scope, every httpGet
/// readiness, liveness and startup probe is sent as the kubelet sends it
/// (HTTPS not verified) and must answer 200 to 399.
pub async fn probes_answer(world: &mut GoliveWorld, _: &[String]) -> Result<(), StepFailure> {
    let connection = cluster_of(world)?;
    let run = world.run.clone();
    let scope = Scope::new(&run.inventory, &world.profile, &world.filter);
    let mut observations = Vec::new();
    for workload in scope.workloads().filter(|w| w.is_long_running()) {
        let probes: Vec<(String, &str, &HTTPGetAction, i32)> = workload
            .containers()
            .flat_map(|c| {
                let container = c.container;
                [
                    ("readinessProbe", &container.readiness_probe),
                    ("livenessProbe", &container.liveness_probe),
                    ("startupProbe", &container.startup_probe),
                ]
                .into_iter()
                .filter_map(move |(kind, probe)| {
                    let probe = probe.as_ref()?;
                    Some((
                        container.name.clone(),
                        kind,
                        probe.http_get.as_ref()?,
                        probe.timeout_seconds.unwrap_or(1),
                    ))
                })
            })
            .collect();
        if probes.is_empty() {
            continue;
        }
        let pods = WorkloadPods::of(&connection, &workload);
        let subject = format!("{}/{}", pods.namespace, pods.name);
        let live = pods.live().await.map_err(could_not)?;
        let Some(pod) = live
            .iter()
            .find(|p| is_ready(p))
            .and_then(|p| p.metadata.name.clone())
        else {
            observations.push(
                PROBE_ANSWERS.unmeasured(subject, "no Ready pod to send its probes to".into()),
            );
            continue;
        };
        for (container, kind, get, timeout) in probes {
            let spec = workload
                .containers()
                .find(|c| c.container.name == container)
                .map(|c| c.container);
            let Some(port) = spec.and_then(|c| resolve_port(c, &get.port)) else {
                observations.push(PROBE_ANSWERS.unmeasured(
                    format!("{subject} container {container} {kind}"),
                    format!("the port {:?} is not a port of the container", get.port),
                ));
                continue;
            };
            let path = get.path.as_deref().unwrap_or("/");
            let https = get.scheme.as_deref() == Some("HTTPS");
            // The kubelet's timeout, from when the port-forward is open.
            let limit = Duration::from_secs(u64::try_from(timeout.max(1)).unwrap_or(1));
            let started = Instant::now();
            let answer = pods
                .http_get(&pod, HttpPort { port, https }, path, limit)
                .await;
            let took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let scheme = if https { "HTTPS" } else { "HTTP" };
            let (status, error) = match answer {
                Ok(code) => (Some(code), None),
                Err(e) => (None, Some(e.to_string())),
            };
            let measured = ProbeAnswer {
                asked: format!("{scheme} GET {path} on port {port} of {pod}"),
                status,
                error,
                took_ms,
                timeout_s: timeout,
            };
            observations.push(
                PROBE_ANSWERS.observe(format!("{subject} container {container} {kind}"), &measured),
            );
        }
    }
    if observations.is_empty() {
        return Err(could_not(format!(
            "no workload in scope ({}) declares an HTTP probe",
            world.filter
        )));
    }
    conclude(world, observations)
}
