//! The ingress family (to be written).

use super::Check;

/// The ingress family, in catalogue order.
pub static CHECKS: &[&Check] = &[];
