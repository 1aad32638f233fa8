//! Runtime probes: small, bounded clients that talk to live endpoints (a
//! container port published on 127.0.0.1, later a real URL) and report what
//! they saw, for the `@stack` steps to judge.
//!
//! - [`tls`]: which TLS protocol versions a server offers and what
//!   certificate it presents (at the level of testssl.sh / sslyze for the
//!   go-live items);
//! - [`http`]: single requests, redirects, HSTS, bursts and paced series
//!   (rate limiting), polling until a status flips (readiness).
//!
//! Every probe is async (tokio), bounded by an explicit timeout and never
//! panics on what a peer sends; failures are [`ProbeError`]s naming the
//! peer (`host:port` or URL) and what went wrong. All TLS goes through
//! rustls with the *ring* crypto provider, chosen explicitly by every probe;
//! [`install_crypto_provider`] additionally makes ring the process default
//! for other rustls users.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use tokio::net::TcpStream;
use tokio::time::Instant;

pub mod http;
pub mod tls;

#[cfg(test)]
pub(crate) mod testing;

/// Why a probe could not produce an observation. Refusals that *are* the
/// observation (a server declining TLS 1.0, a 429) are not errors.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The TCP connection could not be opened (refused, unreachable...).
    #[error("{addr}: cannot connect: {source}")]
    Connect {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// No answer within the probe's time budget.
    #[error("{target}: no answer within {after:?} ({during})")]
    Timeout {
        /// `host:port` or URL.
        target: String,
        /// The phase that was cut off ("TCP connect", "TLS handshake"...).
        during: &'static str,
        after: Duration,
    },
    /// Reading from or writing to an open connection failed.
    #[error("{addr}: {during}: {source}")]
    Io {
        addr: SocketAddr,
        during: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The peer answered, but not with TLS (or with malformed TLS).
    #[error("{addr}: not a TLS answer: {detail}")]
    NotTls { addr: SocketAddr, detail: String },
    /// A presented certificate cannot be read (`position` 0 is the leaf).
    #[error("{addr}: certificate {position} of the chain cannot be read: {detail}")]
    Certificate {
        addr: SocketAddr,
        position: usize,
        detail: String,
    },
    /// A TLS handshake needed for the observation failed.
    #[error("{addr}: TLS handshake failed: {detail}")]
    Handshake { addr: SocketAddr, detail: String },
    /// The server name is neither a DNS name nor an IP address.
    #[error("invalid server name {name:?}")]
    ServerName { name: String },
    /// The trust anchors (CA certificates in PEM) cannot be used.
    #[error("trust anchors: {detail}")]
    Trust { detail: String },
    /// An HTTP request failed before a status line arrived.
    #[error("{target}: {detail}")]
    Http { target: String, detail: String },
    /// The probe was asked for something meaningless (zero rate, bad URL...).
    #[error("invalid probe parameters: {0}")]
    Invalid(String),
}

/// Makes ring the process-wide default rustls crypto provider. Idempotent;
/// harmless when a provider is already installed (the probes pick ring
/// explicitly anyway).
pub fn install_crypto_provider() {
    if CryptoProvider::get_default().is_none() {
        // Losing a race with another installer is fine: some provider is set.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// The crypto provider every probe uses.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Runs `fut` unless `deadline` passes first.
async fn before<T>(
    deadline: Instant,
    budget: Duration,
    target: impl std::fmt::Display,
    during: &'static str,
    fut: impl Future<Output = Result<T, ProbeError>>,
) -> Result<T, ProbeError> {
    match tokio::time::timeout_at(deadline, fut).await {
        Ok(result) => result,
        Err(_) => Err(ProbeError::Timeout {
            target: target.to_string(),
            during,
            after: budget,
        }),
    }
}

/// Opens a TCP connection to `addr` before `deadline`.
async fn connect(
    addr: SocketAddr,
    deadline: Instant,
    budget: Duration,
) -> Result<TcpStream, ProbeError> {
    before(deadline, budget, addr, "TCP connect", async {
        TcpStream::connect(addr)
            .await
            .map_err(|source| ProbeError::Connect { addr, source })
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn installing_the_crypto_provider_is_idempotent() {
        super::install_crypto_provider();
        super::install_crypto_provider();
        let installed = rustls::crypto::CryptoProvider::get_default().expect("a default provider");
        let ring = super::provider();
        assert_eq!(
            installed
                .cipher_suites
                .iter()
                .map(|s| s.suite())
                .collect::<Vec<_>>(),
            ring.cipher_suites
                .iter()
                .map(|s| s.suite())
                .collect::<Vec<_>>()
        );
    }
}
