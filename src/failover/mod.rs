//! Failover: break a part of the stack on purpose and measure what users
//! would feel. A recovery clock ([`clock`]) probes an endpoint continuously
//! (every 100 ms) with the protocol its users speak ([`probe`]: an HTTP
//! request, a committed PostgreSQL INSERT, a Redis SET acknowledged by a
//! replica); its samples give the steady state before the disruption, the
//! time to the first failure, the time to a sustained recovery (RTO), the
//! failed requests meanwhile and, for data stores, the acknowledged writes
//! that did not survive (RPO). [`timeline`] is what the reports show,
//! [`judge`] compares its figures with the targets.

pub mod clock;
pub mod judge;
pub mod probe;
pub mod timeline;
