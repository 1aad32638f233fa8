//! The resources family (to be written).

use super::Check;

/// The resources family, in catalogue order.
pub static CHECKS: &[&Check] = &[];
