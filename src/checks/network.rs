//! The network family (to be written).

use super::Check;

/// The network family, in catalogue order.
pub static CHECKS: &[&Check] = &[];
