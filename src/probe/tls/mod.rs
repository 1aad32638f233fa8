//! TLS probes: which protocol versions a server offers
//! ([`protocol_support`]) and what certificate it presents, judged against
//! a set of trust anchors ([`inspect_certificate`]).
//!
//! TLS 1.2 and 1.3 handshakes are real rustls handshakes restricted to the
//! version asked; TLS 1.0 and 1.1, which rustls cannot speak, are probed
//! with a hand-written ClientHello as testssl.sh does (see `legacy`). All
//! handshakes accept any certificate: trust is judged separately.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, SupportedProtocolVersion};
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::{ProbeError, before, connect, provider};

mod certificate;
mod legacy;
mod names;
mod verifier;

pub use certificate::{
    CertificateInfo, CertificateReport, KeyInfo, Trust, Validity, inspect_certificate,
    key_is_strong,
};
pub(crate) use verifier::AcceptAnyCertificate;

/// A TLS protocol version a server may offer, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TlsVersion {
    #[serde(rename = "TLS 1.0")]
    Tls10,
    #[serde(rename = "TLS 1.1")]
    Tls11,
    #[serde(rename = "TLS 1.2")]
    Tls12,
    #[serde(rename = "TLS 1.3")]
    Tls13,
}

impl TlsVersion {
    /// The version number on the wire.
    fn wire(self) -> u16 {
        match self {
            TlsVersion::Tls10 => 0x0301,
            TlsVersion::Tls11 => 0x0302,
            TlsVersion::Tls12 => 0x0303,
            TlsVersion::Tls13 => 0x0304,
        }
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&names::protocol_version(self.wire()))
    }
}

/// Whether a server accepted a handshake restricted to one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "lowercase")]
pub enum Support {
    /// The server negotiated the version; `cipher` is the IANA name of the
    /// suite it chose.
    Offered { cipher: String },
    /// The server declined: "alert protocol_version", "alert
    /// handshake_failure", "connection closed", "server chose TLS 1.2"...
    Refused { reason: String },
}

/// Does the server at `addr` (SNI `server_name`) offer `version`?
///
/// TCP failures and non-TLS answers are errors; a server declining the
/// version in any TLS way is `Refused`. For TLS 1.2, when the rustls
/// handshake (AEAD suites only) is refused, a hand-written ClientHello with
/// a broad list of suites (CBC, RSA key exchange...) decides, so a server
/// offering 1.2 with old suites only still counts as offering 1.2.
pub async fn protocol_support(
    addr: SocketAddr,
    server_name: &str,
    version: TlsVersion,
    timeout: Duration,
) -> Result<Support, ProbeError> {
    let deadline = Instant::now() + timeout;
    let name = parse_server_name(server_name)?;
    match version {
        TlsVersion::Tls10 | TlsVersion::Tls11 => {
            legacy::hello(addr, &name, version.wire(), deadline, timeout).await
        }
        TlsVersion::Tls12 => {
            let verifier = AcceptAnyCertificate::new();
            let rustls = handshake(
                addr,
                name.clone(),
                &[&rustls::version::TLS12],
                verifier,
                deadline,
                timeout,
            )
            .await?;
            match rustls {
                Handshake::Done(stream) => Ok(offered(&stream)),
                Handshake::Refused(reason) => {
                    match legacy::hello(addr, &name, version.wire(), deadline, timeout).await {
                        Ok(offered @ Support::Offered { .. }) => Ok(offered),
                        _ => Ok(Support::Refused { reason }),
                    }
                }
            }
        }
        TlsVersion::Tls13 => {
            let verifier = AcceptAnyCertificate::new();
            let rustls = handshake(
                addr,
                name,
                &[&rustls::version::TLS13],
                verifier,
                deadline,
                timeout,
            )
            .await?;
            Ok(match rustls {
                Handshake::Done(stream) => offered(&stream),
                Handshake::Refused(reason) => Support::Refused { reason },
            })
        }
    }
}

fn offered(stream: &TlsStream<TcpStream>) -> Support {
    let cipher = stream
        .get_ref()
        .1
        .negotiated_cipher_suite()
        .map(|suite| names::cipher_suite(u16::from(suite.suite())))
        .unwrap_or_default();
    Support::Offered { cipher }
}

fn parse_server_name(server_name: &str) -> Result<ServerName<'static>, ProbeError> {
    ServerName::try_from(server_name.to_owned()).map_err(|_| ProbeError::ServerName {
        name: server_name.to_owned(),
    })
}

/// Outcome of one rustls handshake.
enum Handshake {
    Done(Box<TlsStream<TcpStream>>),
    /// The server declined, in TLS terms (alert, closed connection...).
    Refused(String),
}

/// A rustls handshake with `addr` restricted to `versions`, accepting any
/// certificate (`verifier` records it).
async fn handshake(
    addr: SocketAddr,
    name: ServerName<'static>,
    versions: &[&'static SupportedProtocolVersion],
    verifier: Arc<AcceptAnyCertificate>,
    deadline: Instant,
    budget: Duration,
) -> Result<Handshake, ProbeError> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .map_err(|e| ProbeError::Invalid(format!("TLS configuration: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    let tcp = connect(addr, deadline, budget).await?;
    let connector = TlsConnector::from(Arc::new(config));
    before(deadline, budget, addr, "TLS handshake", async {
        match connector.connect(name, tcp).await {
            Ok(stream) => Ok(Handshake::Done(Box::new(stream))),
            Err(e) => refusal(addr, e).map(Handshake::Refused),
        }
    })
    .await
}

/// Classifies a failed rustls handshake: a refusal by a TLS server, or an
/// error (not TLS, broken connection).
fn refusal(addr: SocketAddr, e: std::io::Error) -> Result<String, ProbeError> {
    if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return match tls {
            rustls::Error::AlertReceived(alert) => Ok(names::alert(u8::from(*alert))),
            rustls::Error::InvalidMessage(m) => Err(ProbeError::NotTls {
                addr,
                detail: format!("{m:?}"),
            }),
            rustls::Error::PeerIncompatible(p) => Ok(format!("incompatible: {p:?}")),
            rustls::Error::PeerMisbehaved(p) => Ok(format!("server misbehaved: {p:?}")),
            other => Ok(other.to_string()),
        };
    }
    hung_up(addr, "TLS handshake", e)
}

/// The refusal reason when the server hung up on the handshake; other I/O
/// failures are errors.
fn hung_up(
    addr: SocketAddr,
    during: &'static str,
    e: std::io::Error,
) -> Result<String, ProbeError> {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::UnexpectedEof => Ok("connection closed".to_owned()),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            Ok("connection reset".to_owned())
        }
        _ => Err(ProbeError::Io {
            addr,
            during,
            source: e,
        }),
    }
}

#[cfg(test)]
mod tests;
