//! Strings read back from a `summary.json` (`golive report combine`,
//! `--baseline`) into fields a live run fills with `&'static str`: check
//! IDs, check titles, metric names. Each distinct text is kept once for
//! the life of the process; the files read are bounded in size, so is
//! what is kept.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Deserializer};

/// A `&'static str` field read back with [`string`]. The alias matters:
/// serde's derive takes a written `&'static str` for a borrow of the
/// input, which a file read at run time cannot give.
pub type Text = &'static str;

/// `text` as a `&'static str`: the same allocation for the same text.
pub fn intern(text: &str) -> &'static str {
    static KEPT: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut kept = KEPT
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(known) = kept.get(text) {
        return known;
    }
    let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
    kept.insert(leaked);
    leaked
}

/// `#[serde(deserialize_with = "crate::interned::string")]`.
pub fn string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<&'static str, D::Error> {
    let text = String::deserialize(deserializer)?;
    Ok(intern(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_text_is_kept_once() {
        let first = intern("probe.liveness");
        let again = intern(&String::from("probe.liveness"));
        assert!(std::ptr::eq(first, again));
        assert_eq!(intern("tls.expiry"), "tls.expiry");
    }
}
