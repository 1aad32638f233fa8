//! The secrets family (to be written).

use super::Check;

/// The secrets family, in catalogue order.
pub static CHECKS: &[&Check] = &[];
