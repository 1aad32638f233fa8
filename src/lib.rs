//! golive: the go-live checklist of a Kubernetes service, made executable.
//! See `README.md` for the user's view and `../shared/DESIGN.md` for the
//! architecture: target -> inventory -> cucumber steps calling pure checks
//! -> evidence -> reporters -> exit code.
pub mod checklist;
pub mod checks;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod context;
pub mod error;
pub mod evidence;
pub mod failover;
pub mod interned;
pub mod load;
pub mod model;
pub mod probe;
pub mod record;
pub mod report;
pub mod runner;
pub mod severity;
pub mod source;
pub mod stack;
pub mod steps;
pub mod validate;
pub mod verdict;
