//! The namespace family (to be written).

use super::Check;

/// The namespace family, in catalogue order.
pub static CHECKS: &[&Check] = &[];
