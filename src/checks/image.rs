//! The image family (to be written).

use super::Check;

/// The image family, in catalogue order.
pub static CHECKS: &[&Check] = &[];
