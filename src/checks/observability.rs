//! The observability family (to be written).

use super::Check;

/// The observability family, in catalogue order.
pub static CHECKS: &[&Check] = &[];
