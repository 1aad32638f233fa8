//! The certificate a TLS server presents: the chain as sent (obtained with
//! an accept-anything handshake, so expired, weak or untrusted chains can
//! still be described), what each certificate holds (x509-parser), and a
//! separate verdict from rustls' WebPKI verifier against the trust anchors
//! given (a test CA, or the Mozilla roots).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::{CertificateError, RootCertStore};
use time::OffsetDateTime;
use tokio::time::Instant;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::{PublicKey, RSAPublicKey};

use super::{AcceptAnyCertificate, Handshake, handshake, parse_server_name};
use crate::probe::{ProbeError, provider};

/// The certificate authorities a client trusts.
#[derive(Clone, PartialEq, Eq)]
pub enum Trust {
    /// Mozilla's root program, as compiled into `webpki-roots`: what a
    /// browser trusts, independent of the machine golive runs on.
    WebPki,
    /// One or more CA certificates in PEM (a test CA, a private PKI).
    Pem(Vec<u8>),
}

impl fmt::Debug for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trust::WebPki => f.write_str("WebPki"),
            Trust::Pem(pem) => write!(f, "Pem({} bytes)", pem.len()),
        }
    }
}

impl Trust {
    /// The trust anchors as a rustls root store.
    pub(crate) fn root_store(&self) -> Result<RootCertStore, ProbeError> {
        match self {
            Trust::WebPki => Ok(RootCertStore::from_iter(
                webpki_roots::TLS_SERVER_ROOTS.iter().cloned(),
            )),
            Trust::Pem(pem) => {
                let mut store = RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(pem) {
                    let cert = cert.map_err(|e| ProbeError::Trust {
                        detail: format!("unreadable PEM: {e}"),
                    })?;
                    store.add(cert).map_err(|e| ProbeError::Trust {
                        detail: format!("unusable CA certificate: {e}"),
                    })?;
                }
                if store.is_empty() {
                    return Err(ProbeError::Trust {
                        detail: "no CERTIFICATE block in the PEM".to_owned(),
                    });
                }
                Ok(store)
            }
        }
    }
}

/// What a server presented and whether a client trusting `Trust` would
/// accept it for the server name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateReport {
    /// As presented, leaf first; never empty.
    pub chain: Vec<CertificateInfo>,
    pub validity: Validity,
}

/// One certificate of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// Distinguished name, `CN=localhost, O=...`.
    pub subject: String,
    pub issuer: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// Whole days from now until `not_after`, rounded down (negative once
    /// expired: -1 during the first day after expiry).
    pub days_left: i64,
    /// DNS names and IP addresses of the subjectAltName extension.
    pub sans: Vec<String>,
    pub key: KeyInfo,
    /// `sha256WithRSAEncryption`, `ecdsa-with-SHA256`, ... (or the OID).
    pub signature_algorithm: String,
}

/// The subject public key of a certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum KeyInfo {
    Rsa {
        bits: usize,
    },
    /// `curve` is `P-256`, `P-384`, `P-521`, `secp256k1` or the curve OID.
    Ecdsa {
        curve: String,
        bits: usize,
    },
    Ed25519,
    /// Any other algorithm, by OID.
    Other(String),
}

impl fmt::Display for KeyInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyInfo::Rsa { bits } => write!(f, "RSA {bits} bits"),
            KeyInfo::Ecdsa { curve, bits } => write!(f, "ECDSA {curve} ({bits} bits)"),
            KeyInfo::Ed25519 => f.write_str("Ed25519"),
            KeyInfo::Other(oid) => write!(f, "key algorithm {oid}"),
        }
    }
}

/// Whether a client trusting the given anchors accepts the chain for the
/// server name, and if not the first reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Validity {
    Valid,
    Expired {
        not_after: OffsetDateTime,
    },
    NotYetValid {
        not_before: OffsetDateTime,
    },
    /// No path to a trust anchor; `self_signed` when the leaf is its own
    /// issuer.
    UnknownIssuer {
        issuer: String,
        self_signed: bool,
    },
    /// The leaf does not name the server; `names` are the names it holds.
    HostnameMismatch {
        server_name: String,
        names: Vec<String>,
    },
    /// Anything else WebPKI rejects (bad signature, wrong key usage...).
    Other(String),
}

impl fmt::Display for Validity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Validity::Valid => f.write_str("valid"),
            Validity::Expired { not_after } => write!(f, "expired on {}", utc(*not_after)),
            Validity::NotYetValid { not_before } => {
                write!(f, "not valid before {}", utc(*not_before))
            }
            Validity::UnknownIssuer {
                self_signed: true, ..
            } => f.write_str("self-signed, not issued by a trusted CA"),
            Validity::UnknownIssuer { issuer, .. } => {
                write!(f, "issued by an unknown CA ({issuer})")
            }
            Validity::HostnameMismatch { server_name, names } if names.is_empty() => write!(
                f,
                "not valid for {server_name}: the certificate holds no DNS or IP name"
            ),
            Validity::HostnameMismatch { server_name, names } => write!(
                f,
                "not valid for {server_name}: the certificate names {}",
                names.join(", ")
            ),
            Validity::Other(reason) => f.write_str(reason),
        }
    }
}

fn utc(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{} {:02}:{:02}:{:02} UTC",
        at.date(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// `Ok` for keys a go-live review accepts: RSA of 2048 bits or more, ECDSA
/// on curves of 256 bits or more, Ed25519.
pub fn key_is_strong(key: &KeyInfo) -> Result<(), String> {
    match key {
        KeyInfo::Rsa { bits } if *bits < 2048 => {
            Err(format!("RSA key of {bits} bits (at least 2048 needed)"))
        }
        KeyInfo::Ecdsa { curve, bits } if *bits < 256 => Err(format!(
            "ECDSA key on {curve} of {bits} bits (at least 256 needed)"
        )),
        KeyInfo::Rsa { .. } | KeyInfo::Ecdsa { .. } | KeyInfo::Ed25519 => Ok(()),
        KeyInfo::Other(oid) => Err(format!("unrecognised key algorithm {oid}")),
    }
}

/// Retrieves the chain the server at `addr` presents for SNI `server_name`
/// (TLS 1.3 or 1.2) and judges it against `trust` at the current time.
pub async fn inspect_certificate(
    addr: SocketAddr,
    server_name: &str,
    trust: &Trust,
    timeout: Duration,
) -> Result<CertificateReport, ProbeError> {
    let deadline = Instant::now() + timeout;
    let name = parse_server_name(server_name)?;
    let roots = trust.root_store()?;
    let recorder = AcceptAnyCertificate::new();
    let outcome = handshake(
        addr,
        name.clone(),
        &[&rustls::version::TLS13, &rustls::version::TLS12],
        recorder.clone(),
        deadline,
        timeout,
    )
    .await?;
    let presented = recorder.presented();
    let Some((leaf, intermediates)) = presented.split_first() else {
        let detail = match outcome {
            Handshake::Refused(reason) => reason,
            Handshake::Done(_) => "no certificate presented".to_owned(),
        };
        return Err(ProbeError::Handshake { addr, detail });
    };

    let now = OffsetDateTime::now_utc();
    let chain = presented
        .iter()
        .enumerate()
        .map(|(i, der)| {
            describe(der, now).map_err(|detail| ProbeError::Certificate {
                addr,
                position: i,
                detail,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| ProbeError::Trust {
            detail: e.to_string(),
        })?;
    let verdict = verifier.verify_server_cert(leaf, intermediates, &name, &[], UnixTime::now());
    let validity = match verdict {
        Ok(_) => Validity::Valid,
        Err(rustls::Error::InvalidCertificate(e)) => classify(e, &chain[0], server_name),
        Err(other) => Validity::Other(other.to_string()),
    };
    Ok(CertificateReport { chain, validity })
}

fn classify(error: CertificateError, leaf: &CertificateInfo, server_name: &str) -> Validity {
    let at = |t: UnixTime, fallback: OffsetDateTime| {
        i64::try_from(t.as_secs())
            .ok()
            .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
            .unwrap_or(fallback)
    };
    match error {
        CertificateError::Expired => Validity::Expired {
            not_after: leaf.not_after,
        },
        CertificateError::ExpiredContext { not_after, .. } => Validity::Expired {
            not_after: at(not_after, leaf.not_after),
        },
        CertificateError::NotValidYet => Validity::NotYetValid {
            not_before: leaf.not_before,
        },
        CertificateError::NotValidYetContext { not_before, .. } => Validity::NotYetValid {
            not_before: at(not_before, leaf.not_before),
        },
        CertificateError::UnknownIssuer => Validity::UnknownIssuer {
            issuer: leaf.issuer.clone(),
            self_signed: leaf.issuer == leaf.subject,
        },
        // A self-signed certificate with CA:TRUE (what `openssl req -x509`
        // makes) is rejected as "CA used as end entity" before any issuer
        // lookup; what matters to the reader is that it is self-signed.
        CertificateError::Other(_) if leaf.issuer == leaf.subject => Validity::UnknownIssuer {
            issuer: leaf.issuer.clone(),
            self_signed: true,
        },
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            Validity::HostnameMismatch {
                server_name: server_name.to_owned(),
                names: leaf.sans.clone(),
            }
        }
        other => Validity::Other(rustls::Error::InvalidCertificate(other).to_string()),
    }
}

/// What one DER certificate holds.
fn describe(der: &[u8], now: OffsetDateTime) -> Result<CertificateInfo, String> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
    let not_before = cert.validity().not_before.to_datetime();
    let not_after = cert.validity().not_after.to_datetime();
    let sans = match cert.subject_alternative_name() {
        Ok(Some(extension)) => extension
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                GeneralName::IPAddress(ip) => ip_address(ip).map(|ip| ip.to_string()),
                _ => None,
            })
            .collect(),
        Ok(None) => Vec::new(),
        Err(e) => return Err(format!("subjectAltName: {e}")),
    };
    let signature = &cert.signature_algorithm.algorithm;
    let signature_algorithm = x509_parser::objects::oid2sn(signature, oid_registry())
        .map(str::to_owned)
        .unwrap_or_else(|_| signature.to_id_string());
    Ok(CertificateInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before,
        not_after,
        days_left: (not_after - now).whole_seconds().div_euclid(86_400),
        sans,
        key: key_info(&cert),
        signature_algorithm,
    })
}

fn oid_registry() -> &'static x509_parser::oid_registry::OidRegistry<'static> {
    x509_parser::objects::oid_registry()
}

fn ip_address(bytes: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(IpAddr::V4(Ipv4Addr::from(v4)));
    }
    <[u8; 16]>::try_from(bytes)
        .ok()
        .map(|v6| IpAddr::V6(Ipv6Addr::from(v6)))
}

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const RSASSA_PSS: &str = "1.2.840.113549.1.1.10";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const ED25519: &str = "1.3.101.112";

fn key_info(cert: &X509Certificate<'_>) -> KeyInfo {
    let spki = cert.public_key();
    let algorithm = spki.algorithm.algorithm.to_id_string();
    match algorithm.as_str() {
        RSA_ENCRYPTION | RSASSA_PSS => {
            match RSAPublicKey::from_der(&spki.subject_public_key.data) {
                Ok((_, key)) => KeyInfo::Rsa {
                    bits: significant_bits(key.modulus),
                },
                Err(_) => KeyInfo::Other(algorithm),
            }
        }
        EC_PUBLIC_KEY => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| oid.to_id_string())
                .unwrap_or_default();
            let (name, bits) = match curve.as_str() {
                "1.2.840.10045.3.1.7" => ("P-256".to_owned(), 256),
                "1.3.132.0.34" => ("P-384".to_owned(), 384),
                "1.3.132.0.35" => ("P-521".to_owned(), 521),
                "1.3.132.0.10" => ("secp256k1".to_owned(), 256),
                _ => {
                    let bits = match spki.parsed() {
                        Ok(PublicKey::EC(point)) => point.key_size(),
                        _ => 0,
                    };
                    (curve, bits)
                }
            };
            KeyInfo::Ecdsa { curve: name, bits }
        }
        ED25519 => KeyInfo::Ed25519,
        _ => KeyInfo::Other(algorithm),
    }
}

/// Bit length of a big-endian unsigned integer (leading zeros ignored).
fn significant_bits(bytes: &[u8]) -> usize {
    let bytes = match bytes.iter().position(|b| *b != 0) {
        Some(first) => &bytes[first..],
        None => return 0,
    };
    bytes.len() * 8 - bytes[0].leading_zeros() as usize
}
