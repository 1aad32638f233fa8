//! The identifiers the API server and the controllers make up: UIDs,
//! `generateName` suffixes, `pod-template-hash` values, container and image
//! IDs, and the timestamps they are written with. Randomness comes from a
//! seeded generator so that a cluster built twice from the same manifests
//! has the same names (a failing test can be read twice); the values have
//! the real formats, not the real algorithms' outputs.

use k8s_openapi::jiff::{SignedDuration, Timestamp};

/// The alphabet of `k8s.io/apimachinery/pkg/util/rand.String`: no vowels
/// (no words) and no look-alike characters.
const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// A small deterministic generator (SplitMix64): enough for names, and no
/// dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn seeded(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A version-4 UUID, as the API server assigns to `metadata.uid`.
    pub fn uid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        let a = (a & 0xffff_ffff_ffff_0fff) | 0x4000; // version 4
        let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000; // variant 10
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    }

    /// The 5-character suffix `generateName` gets (`names.SimpleNameGenerator`).
    pub fn suffix(&mut self) -> String {
        (0..5)
            .map(|_| SAFE_ALPHABET[(self.next_u64() % SAFE_ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

/// FNV-1a, 32 bits: what the controllers hash pod templates with.
pub fn fnv32a(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in bytes {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// FNV-1a, 64 bits, for the long hexadecimal IDs.
pub fn fnv64a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// `rand.SafeEncodeString`: each character mapped into the safe alphabet.
/// The controllers encode the decimal form of the template hash with it,
/// which gives the familiar `pod-template-hash: 7c6d9f8b5d` values.
pub fn safe_encode(text: &str) -> String {
    text.bytes()
        .map(|b| SAFE_ALPHABET[b as usize % SAFE_ALPHABET.len()] as char)
        .collect()
}

/// The `pod-template-hash` / `controller-revision-hash` of a pod template.
pub fn template_hash(template: &serde_json::Value) -> String {
    let text = serde_json::to_string(template).expect("a template serializes");
    safe_encode(&fnv32a(text.as_bytes()).to_string())
}

/// 64 hexadecimal digits derived from `seed`: container IDs and image
/// digests look like the runtime's.
pub fn hex64(seed: &str) -> String {
    let mut rng = Rng::seeded(fnv64a(seed.as_bytes()));
    (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect()
}

/// The API server's time format (RFC 3339, seconds, UTC).
pub fn format_time(at: Timestamp) -> String {
    k8s_openapi::jiff::fmt::strtime::format("%Y-%m-%dT%H:%M:%SZ", at).expect("a timestamp formats")
}

pub fn now() -> Timestamp {
    // The API server's timestamps have whole seconds.
    let now = Timestamp::now();
    Timestamp::from_second(now.as_second()).expect("a valid timestamp")
}

pub fn seconds(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n)
}
