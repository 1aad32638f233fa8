//! The probes of a recovery clock (`stack`: an endpoint of the stack;
//! `pods`: a workload's pods in a cluster): one attempt speaks the endpoint's own
//! protocol, as its users do. HTTP(S): a GET answered 2xx or 3xx within
//! [`ATTEMPT_TIMEOUT`]. PostgreSQL: an INSERT committed on the primary
//! (found among the endpoint's instances by `pg_is_in_recovery()`, as a
//! client with `target_session_attrs=read-write` would). Redis: a SET on
//! the master (found by `ROLE`), then `WAIT 1` — the write counts as
//! acknowledged only once a replica has it. Written keys or rows carry the
//! clock's tag, so the writes can be read back after the failover. On a
//! cluster, the HTTP probe GETs the workload's Ready pods in turn through a
//! port-forward, as its Service would route requests.

mod pods;
mod stack;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::cluster::pods::{HttpPort, WorkloadPods};
use crate::stack::RunningStack;
use crate::stack::file::EndpointSpec;
use pods::PodsProbe;
use stack::StackProbe;
pub use stack::{await_one_primary, primary_of};

/// An attempt slower than this failed: users do not wait longer.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);

/// "no answer within 2 s".
fn no_answer(what: &str) -> String {
    format!("no {what} within {} s", ATTEMPT_TIMEOUT.as_secs())
}

/// What one attempt saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub ok: bool,
    /// The instance that answered (the primary, for a data store).
    pub served_by: Option<String>,
    pub error: Option<String>,
    /// The write's number, when the data store acknowledged it durably.
    pub acknowledged: Option<u64>,
}

impl Attempt {
    pub(super) fn failed(served_by: Option<String>, error: impl Into<String>) -> Attempt {
        Attempt {
            ok: false,
            served_by,
            error: Some(error.into()),
            acknowledged: None,
        }
    }
}

/// A probe: of an endpoint of a stack, or of a workload's pods in a cluster.
pub struct Probe(Of);

enum Of {
    Stack(StackProbe),
    Pods(PodsProbe),
}

impl Probe {
    /// GET `path` on `port` of the workload's Ready pods in turn, through
    /// port-forwards.
    pub fn pods(pods: WorkloadPods, port: HttpPort, path: &str) -> Probe {
        Probe(Of::Pods(PodsProbe::new(pods, port, path)))
    }

    /// GET `path` on every instance of an HTTP(S) endpoint in turn.
    pub fn http(
        stack: Arc<RunningStack>,
        endpoint: &EndpointSpec,
        path: &str,
    ) -> Result<Probe, String> {
        if !endpoint.scheme.is_http() {
            return Err(format!(
                "the endpoint {} is {}, not HTTP: watch its writes instead",
                endpoint.name,
                endpoint.scheme.as_str()
            ));
        }
        Ok(Probe(Of::Stack(StackProbe::http(stack, endpoint, path))))
    }

    /// Writes to a PostgreSQL or Redis endpoint, on whichever instance is
    /// the primary at the time.
    pub fn writes(stack: Arc<RunningStack>, endpoint: &EndpointSpec) -> Result<Probe, String> {
        StackProbe::writes(stack, endpoint).map(|probe| Probe(Of::Stack(probe)))
    }

    /// What an attempt does, for the reports.
    pub fn describe(&self) -> String {
        match &self.0 {
            Of::Stack(probe) => probe.describe(),
            Of::Pods(probe) => probe.describe(),
        }
    }

    /// One attempt, bounded by [`ATTEMPT_TIMEOUT`] (plus connecting).
    pub async fn attempt(&mut self) -> Attempt {
        match &mut self.0 {
            Of::Stack(probe) => probe.attempt().await,
            Of::Pods(probe) => probe.attempt().await,
        }
    }

    /// Which of the writes `numbers` the primary of now still has (an
    /// HTTP probe writes nothing).
    pub async fn read_back(&mut self, numbers: &[u64]) -> Result<HashSet<u64>, String> {
        match &mut self.0 {
            Of::Stack(probe) => probe.read_back(numbers).await,
            Of::Pods(_) => Ok(HashSet::new()),
        }
    }
}
