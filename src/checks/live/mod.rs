//! Live checks: the items only a running system can show (what TLS an
//! endpoint really offers, how fast it recovers from a killed instance,
//! its p95 under load). Each is a catalogued [`Check`] like the rules
//! over the inventory, and its judge is a pure function over one
//! *measurement*: a serde type holding what a step recorded (a handshake
//! per protocol version, a recovery timeline, load figures) and the
//! threshold it is judged against. The steps do the IO (probes,
//! handshakes, port-forwards, Docker), then [`Live::observe`] judges and
//! words the observation; the fixtures under `fixtures/live/<id>/` are
//! recorded measurements that pass and fail each judge
//! (tests/live_fixtures.rs). Not the IO itself: that is `probe`, `load`,
//! `failover`, `cluster` and the steps.

pub mod backup;
pub mod cluster;
pub mod container;
pub mod failover;
pub mod health;
pub mod http;
pub mod load;
pub mod ratelimit;
pub mod rollout;
pub mod tls;

use serde::de::DeserializeOwned;

use super::Check;
use crate::evidence::{Judged, Observation};

/// A live check's judge as the catalogue holds it: decodes one recorded
/// measurement (JSON) and judges it; `Err` when the value is not a
/// measurement of that check.
pub type Judge = fn(&serde_json::Value) -> Result<Judged, String>;

/// A live check and its typed judge: steps hand it a measurement of type
/// `M`, the catalogue sees the same judge through [`Judge`].
pub struct Live<M: 'static> {
    pub check: Check,
    pub judge: fn(&M) -> Judged,
}

impl<M> Live<M> {
    /// The check's ID.
    pub fn id(&self) -> &'static str {
        self.check.meta.id
    }

    /// What `measurement` of `subject` shows: judged by the check's judge.
    pub fn observe(&self, subject: String, measurement: &M) -> Observation {
        let (passed, facts) = (self.judge)(measurement);
        Observation {
            item: self.id(),
            subject,
            passed,
            facts,
        }
    }

    /// A failed observation of `subject` that could not be measured in
    /// full, and why (no Ready pod to probe, a wildcard host, no address).
    pub fn unmeasured(&self, subject: String, why: String) -> Observation {
        Observation {
            item: self.id(),
            subject,
            passed: false,
            facts: vec![why],
        }
    }
}

/// Decodes a measurement of type `M` and judges it with `judge`.
pub fn decode<M: DeserializeOwned>(
    value: &serde_json::Value,
    judge: fn(&M) -> Judged,
) -> Result<Judged, String> {
    M::deserialize(value)
        .map(|measurement| judge(&measurement))
        .map_err(|e| format!("not a measurement of this check: {e}"))
}

/// A [`Live`] check from its judge and metadata: the catalogue's
/// [`Judge`] decodes into the judge's measurement type.
macro_rules! live_check {
    ($judge:path, $meta:expr) => {
        $crate::checks::live::Live {
            check: $crate::checks::Check {
                meta: $meta,
                rule: $crate::checks::Rule::Live(|value| {
                    $crate::checks::live::decode(value, $judge)
                }),
            },
            judge: $judge,
        }
    };
}
pub(crate) use live_check;
