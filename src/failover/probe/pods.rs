//! The recovery clock's probe of a cluster workload: GET on its Ready pods
//! in turn through port-forwards, as its Service would route requests.

use std::time::{Duration, Instant};

use super::{ATTEMPT_TIMEOUT, Attempt};
use crate::cluster::pods::{HttpPort, WorkloadPods, is_ready};

/// GET on the Ready pods of a cluster workload, in turn.
pub(super) struct PodsProbe {
    pods: WorkloadPods,
    port: HttpPort,
    path: String,
    next: usize,
    /// The Ready pods, and when they were listed.
    ready: Option<(Instant, Vec<String>)>,
}

/// How long a list of Ready pods is used before it is read again: about
/// the time an endpoint change takes to reach the Service's proxies (and
/// one list a second, not ten, for the API server).
const READY_PODS_REFRESH: Duration = Duration::from_secs(1);

impl PodsProbe {
    pub(super) fn new(pods: WorkloadPods, port: HttpPort, path: &str) -> PodsProbe {
        PodsProbe {
            pods,
            port,
            path: path.to_string(),
            next: 0,
            ready: None,
        }
    }

    pub(super) fn describe(&self) -> String {
        format!(
            "GET {} on port {} of the Ready pods of {}, through port-forwards",
            self.path, self.port.port, self.pods.name
        )
    }

    /// The Ready pods, listed again when the last list is older than
    /// [`READY_PODS_REFRESH`].
    async fn ready_pods(&mut self) -> Result<Vec<String>, String> {
        if let Some((listed, pods)) = &self.ready
            && listed.elapsed() < READY_PODS_REFRESH
        {
            return Ok(pods.clone());
        }
        let pods: Vec<String> = self
            .pods
            .live()
            .await?
            .iter()
            .filter(|p| is_ready(p))
            .filter_map(|p| p.metadata.name.clone())
            .collect();
        self.ready = Some((Instant::now(), pods.clone()));
        Ok(pods)
    }

    pub(super) async fn attempt(&mut self) -> Attempt {
        let ready = match self.ready_pods().await {
            Ok(ready) if ready.is_empty() => return Attempt::failed(None, "no Ready pod"),
            Ok(ready) => ready,
            Err(e) => return Attempt::failed(None, e),
        };
        let pod = ready[self.next % ready.len()].clone();
        self.next += 1;
        match self
            .pods
            .http_get(&pod, self.port, &self.path, ATTEMPT_TIMEOUT)
            .await
        {
            Ok(code) if (200..400).contains(&code) => Attempt {
                ok: true,
                served_by: Some(pod),
                error: None,
                acknowledged: None,
            },
            Ok(code) => Attempt::failed(Some(pod), format!("status {code}")),
            Err(e) => Attempt::failed(Some(pod), e),
        }
    }
}
