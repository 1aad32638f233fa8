//! The service family (to be written).

use super::Check;

/// The service family, in catalogue order.
pub static CHECKS: &[&Check] = &[];
