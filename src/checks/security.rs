//! The security family (to be written).

use super::Check;

/// The security family, in catalogue order.
pub static CHECKS: &[&Check] = &[];
