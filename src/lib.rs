//! golive: the go-live checklist of a Kubernetes service, made executable.
pub mod error;
pub mod model;
pub mod source;
