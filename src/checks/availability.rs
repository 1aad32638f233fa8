//! The availability family (to be written).

use super::Check;

/// The availability family, in catalogue order.
pub static CHECKS: &[&Check] = &[];
