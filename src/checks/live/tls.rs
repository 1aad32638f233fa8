//! TLS as clients see it, one rule per item whoever serves it: a stack's
//! endpoint (`stack:` target) or an Ingress host at its load balancer
//! (`cluster` target) is judged by the same judge under the same ID. The
//! measurements are built from the handshakes and certificate reports of
//! `probe::tls`.

use serde::{Deserialize, Serialize};

use super::{Live, live_check};
use crate::checks::{CheckMeta, Needs, Severity};
use crate::evidence::Judged;
use crate::probe::tls::{self, CertificateReport, KeyInfo, Support, TlsVersion, Validity};

/// Where TLS items are judged: a stack's endpoints and a cluster's
/// Ingress hosts.
const TLS_NEEDS: &[Needs] = &[Needs::Stack, Needs::Cluster];

/// A handshake restricted to one version, and the server's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handshake {
    pub version: TlsVersion,
    #[serde(flatten)]
    pub support: Support,
}

impl Handshake {
    /// `TLS 1.0: refused (alert protocol_version)`.
    fn describe(&self) -> String {
        match &self.support {
            Support::Offered { cipher } => format!("{}: offered ({cipher})", self.version),
            Support::Refused { reason } => format!("{}: refused ({reason})", self.version),
        }
    }

    fn offered(&self) -> bool {
        matches!(self.support, Support::Offered { .. })
    }

    fn is_old(&self) -> bool {
        self.version < TlsVersion::Tls12
    }
}

/// The handshakes offered to one server, a version each.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocols {
    pub handshakes: Vec<Handshake>,
}

impl Protocols {
    /// The versions an old-protocols item offers.
    pub const OLD: [TlsVersion; 2] = [TlsVersion::Tls10, TlsVersion::Tls11];
    /// The versions a modern-protocols item offers.
    pub const MODERN: [TlsVersion; 2] = [TlsVersion::Tls12, TlsVersion::Tls13];

    /// The facts of the handshakes `keep` selects (`which` names them
    /// when there are none).
    fn facts(&self, keep: fn(&Handshake) -> bool, which: &str) -> Vec<String> {
        let facts: Vec<String> = self
            .handshakes
            .iter()
            .filter(|h| keep(h))
            .map(Handshake::describe)
            .collect();
        if facts.is_empty() {
            vec![format!("no handshake with {which} was tried")]
        } else {
            facts
        }
    }
}

/// Every version below TLS 1.2 that was offered is refused (and at least
/// one was offered).
fn judge_old(protocols: &Protocols) -> Judged {
    let old = || protocols.handshakes.iter().filter(|h| h.is_old());
    let passed = old().next().is_some() && old().all(|h| !h.offered());
    (passed, protocols.facts(Handshake::is_old, "TLS 1.0 or 1.1"))
}

/// TLS 1.2 or 1.3 is accepted.
fn judge_modern(protocols: &Protocols) -> Judged {
    let passed = protocols
        .handshakes
        .iter()
        .any(|h| !h.is_old() && h.offered());
    (passed, protocols.facts(|h| !h.is_old(), "TLS 1.2 or 1.3"))
}

pub static OLD_PROTOCOLS: Live<Protocols> = live_check!(
    judge_old,
    CheckMeta {
        id: "tls.old-protocols",
        title: "TLS 1.0 and 1.1 are refused",
        judges: "TLS server",
        severity: Severity::High,
        checklist: &["GL-SEC-05"],
        needs: TLS_NEEDS,
        rationale: "TLS 1.0 and 1.1 are deprecated (RFC 8996): their handshakes and cipher suites have known \
                    attacks, and a server offering them lets a downgraded client use them. A handshake \
                    restricted to each version must be declined.",
        remediation: "Set the server's minimum protocol to TLS 1.2 (nginx ssl_protocols TLSv1.2 TLSv1.3; the \
                      ingress controller's ssl-protocols), then run the check again.",
        differences: &[],
    }
);

pub static MODERN_PROTOCOLS: Live<Protocols> = live_check!(
    judge_modern,
    CheckMeta {
        id: "tls.modern-protocols",
        title: "TLS 1.2 or later is accepted",
        judges: "TLS server",
        severity: Severity::High,
        checklist: &["GL-SEC-05"],
        needs: TLS_NEEDS,
        rationale: "Refusing the old versions proves nothing if no version is served: clients need TLS 1.2 or \
                    1.3 (with an AEAD suite, or the broad TLS 1.2 suites a legacy client offers).",
        remediation: "Enable TLS 1.2 and 1.3 with modern suites on the server or the ingress controller.",
        differences: &[],
    }
);

/// The leaf a server presented for a name, and whether a client trusting
/// the run's anchors accepts the chain.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Presented {
    pub server_name: String,
    pub valid: bool,
    /// `valid`, `self-signed, not issued by a trusted CA`...
    pub validity: String,
    pub subject: String,
    pub issuer: String,
    pub names: Vec<String>,
}

impl Presented {
    pub fn of(report: &CertificateReport, server_name: &str) -> Presented {
        let leaf = &report.chain[0];
        Presented {
            server_name: server_name.to_string(),
            valid: report.validity == Validity::Valid,
            validity: report.validity.to_string(),
            subject: leaf.subject.clone(),
            issuer: leaf.issuer.clone(),
            names: leaf.sans.clone(),
        }
    }
}

fn judge_trust(presented: &Presented) -> Judged {
    let facts = vec![
        format!("{} for {}", presented.validity, presented.server_name),
        format!(
            "subject {}, issued by {}",
            presented.subject, presented.issuer
        ),
        format!("names: {}", presented.names.join(", ")),
    ];
    (presented.valid, facts)
}

pub static CERTIFICATE: Live<Presented> = live_check!(
    judge_trust,
    CheckMeta {
        id: "tls.certificate",
        title: "The certificate is trusted and names the host",
        judges: "TLS server",
        severity: Severity::Critical,
        checklist: &["GL-SEC-05"],
        needs: TLS_NEEDS,
        rationale: "Clients refuse a certificate they cannot chain to a trusted CA or that does not name the \
                    host they asked for; users then see an error page, or learn to click through one.",
        remediation: "Serve a chain issued by a CA the clients trust (with its intermediates) whose SANs name \
                      every host; with cert-manager, check the Certificate and its Issuer are Ready.",
        differences: &[],
    }
);

/// How long the presented leaf stays valid, and the profile's minimum.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifetime {
    /// The leaf's notAfter date (`2027-03-01`).
    pub expires: String,
    pub days_left: i64,
    /// The profile's `cert_expiry_days`.
    pub minimum_days: i64,
}

impl Lifetime {
    pub fn of(report: &CertificateReport, minimum_days: i64) -> Lifetime {
        let leaf = &report.chain[0];
        Lifetime {
            expires: leaf.not_after.date().to_string(),
            days_left: leaf.days_left,
            minimum_days,
        }
    }
}

fn judge_lifetime(lifetime: &Lifetime) -> Judged {
    let facts = vec![format!(
        "expires {} ({} day(s) left; the profile requires at least {})",
        lifetime.expires, lifetime.days_left, lifetime.minimum_days
    )];
    (lifetime.days_left >= lifetime.minimum_days, facts)
}

pub static EXPIRY: Live<Lifetime> = live_check!(
    judge_lifetime,
    CheckMeta {
        id: "tls.expiry",
        title: "The certificate stays valid for the profile's minimum number of days",
        judges: "TLS server",
        severity: Severity::High,
        checklist: &["GL-SEC-05"],
        needs: TLS_NEEDS,
        rationale: "A certificate that expires days after go-live turns into an outage at the worst time; the \
                    profile's cert_expiry_days is the margin renewal needs.",
        remediation: "Renew the certificate (or fix the automation that should have: cert-manager's \
                      Certificate status, the ACME challenge), or lower cert_expiry_days for a test profile.",
        differences: &[],
    }
);

/// The presented leaf's key and signature algorithm.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Key {
    pub key: KeyInfo,
    pub signature_algorithm: String,
}

impl Key {
    pub fn of(report: &CertificateReport) -> Key {
        let leaf = &report.chain[0];
        Key {
            key: leaf.key.clone(),
            signature_algorithm: leaf.signature_algorithm.clone(),
        }
    }
}

fn judge_key(key: &Key) -> Judged {
    match tls::key_is_strong(&key.key) {
        Ok(()) => (
            true,
            vec![format!(
                "{} key, signed with {}",
                key.key, key.signature_algorithm
            )],
        ),
        Err(weak) => (false, vec![weak]),
    }
}

pub static KEY: Live<Key> = live_check!(
    judge_key,
    CheckMeta {
        id: "tls.key",
        title: "The certificate has a strong key",
        judges: "TLS server",
        severity: Severity::High,
        checklist: &["GL-SEC-05"],
        needs: TLS_NEEDS,
        rationale: "Short RSA keys and small curves can be broken or soon will be; CAs no longer issue them \
                    and clients start refusing them.",
        remediation: "Issue the certificate with an RSA key of 2048 bits or more, ECDSA P-256 or P-384, or \
                      Ed25519.",
        differences: &[],
    }
);

pub static CHECKS: &[&crate::checks::Check] = &[
    &OLD_PROTOCOLS.check,
    &MODERN_PROTOCOLS.check,
    &CERTIFICATE.check,
    &EXPIRY.check,
    &KEY.check,
];
