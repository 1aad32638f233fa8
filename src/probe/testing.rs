//! Fixtures for the probe tests: a throw-away PKI (rcgen, RSA keys from
//! `openssl genpkey` since ring cannot generate them), in-process
//! tokio-rustls servers, Debian's `openssl s_server` for the protocol
//! versions rustls cannot serve, and a canned-response HTTP(S) server.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256, PKCS_ED25519, SignatureAlgorithm,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, SupportedProtocolVersion};
use time::OffsetDateTime;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::provider;

/// Key types of test certificates.
#[derive(Clone, Copy)]
pub(crate) enum Key {
    EcdsaP256,
    Ed25519,
    Rsa2048,
}

/// A test certificate authority.
pub(crate) struct Pki {
    issuer: Issuer<'static, KeyPair>,
    ca_pem: String,
}

/// A leaf certificate (chain: leaf then CA) and its private key, in PEM.
pub(crate) struct Leaf {
    pub(crate) chain_pem: String,
    pub(crate) key_pem: String,
}

impl Pki {
    pub(crate) fn new(name: &str) -> Pki {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
        let ca_pem = params.self_signed(&key).unwrap().pem();
        Pki {
            issuer: Issuer::new(params, key),
            ca_pem,
        }
    }

    pub(crate) fn ca_pem(&self) -> Vec<u8> {
        self.ca_pem.clone().into_bytes()
    }

    /// A leaf for `names`, valid from `valid_from_days` to `valid_to_days`
    /// (relative to now).
    pub(crate) fn leaf(
        &self,
        names: &[&str],
        key: Key,
        valid_from_days: i64,
        valid_to_days: i64,
    ) -> Leaf {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("leaf"));
        let now = OffsetDateTime::now_utc();
        params.not_before = now + time::Duration::days(valid_from_days);
        params.not_after = now + time::Duration::days(valid_to_days);
        let key = key_pair(key);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            chain_pem: format!("{}{}", cert.pem(), self.ca_pem),
            key_pem: key.serialize_pem(),
        }
    }

    /// A valid leaf for `names` with an ECDSA P-256 key.
    pub(crate) fn valid_leaf(&self, names: &[&str]) -> Leaf {
        self.leaf(names, Key::EcdsaP256, -1, 90)
    }
}

fn key_pair(key: Key) -> KeyPair {
    let algorithm: &SignatureAlgorithm = match key {
        Key::EcdsaP256 => &PKCS_ECDSA_P256_SHA256,
        Key::Ed25519 => &PKCS_ED25519,
        Key::Rsa2048 => {
            let out = Command::new("openssl")
                .args([
                    "genpkey",
                    "-algorithm",
                    "RSA",
                    "-pkeyopt",
                    "rsa_keygen_bits:2048",
                ])
                .output()
                .unwrap();
            assert!(out.status.success(), "openssl genpkey failed");
            return KeyPair::from_pem(std::str::from_utf8(&out.stdout).unwrap()).unwrap();
        }
    };
    KeyPair::generate_for(algorithm).unwrap()
}

/// A self-signed certificate for `localhost` with an RSA key of `bits`
/// (openssl, so that keys ring refuses, such as RSA-1024, can be made).
pub(crate) fn openssl_self_signed(dir: &Path, bits: u32) -> Leaf {
    let (cert, key) = (dir.join("weak.crt"), dir.join("weak.key"));
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            &format!("rsa:{bits}"),
            "-nodes",
            "-days",
            "2",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "openssl req failed");
    Leaf {
        chain_pem: std::fs::read_to_string(cert).unwrap(),
        key_pem: std::fs::read_to_string(key).unwrap(),
    }
}

fn server_config(leaf: &Leaf, versions: &[&'static SupportedProtocolVersion]) -> ServerConfig {
    let chain = CertificateDer::pem_slice_iter(leaf.chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(leaf.key_pem.as_bytes()).unwrap();
    ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap()
}

/// A tokio-rustls server on 127.0.0.1 that completes handshakes, writes a
/// line and closes.
pub(crate) async fn tls_server(
    leaf: &Leaf,
    versions: &[&'static SupportedProtocolVersion],
) -> SocketAddr {
    let acceptor = TlsAcceptor::from(Arc::new(server_config(leaf, versions)));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let _ = tls.write_all(b"hello\n").await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    addr
}

/// A TCP server on 127.0.0.1 that answers every connection with `reply`
/// (after reading what the client sends first), or never answers when
/// `reply` is `None`.
pub(crate) async fn raw_server(reply: Option<&'static [u8]>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = tcp.read(&mut buf).await;
                match reply {
                    Some(reply) => {
                        let _ = tcp.write_all(reply).await;
                        let _ = tcp.shutdown().await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(60)).await,
                }
            });
        }
    });
    addr
}

/// Debian's `openssl s_server`, killed when dropped.
pub(crate) struct OpenSslServer {
    child: Child,
    pub(crate) addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl OpenSslServer {
    /// Serves `leaf` with the extra s_server arguments (`-tls1`, `-cipher`...).
    pub(crate) async fn start(leaf: &Leaf, args: &[&str]) -> OpenSslServer {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert, &leaf.chain_pem).unwrap();
        std::fs::write(&key, &leaf.key_pem).unwrap();
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let mut child = Command::new("/usr/bin/openssl")
            .args(["s_server", "-www", "-accept", &addr.to_string()])
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("/usr/bin/openssl");
        for _ in 0..200 {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("openssl s_server {args:?} exited: {status}");
            }
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                return OpenSslServer {
                    child,
                    addr,
                    _dir: dir,
                };
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("openssl s_server {args:?} does not listen on {addr}");
    }
}

impl Drop for OpenSslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP/1.1 response closing the connection.
pub(crate) fn response(status: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut text = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    text
}

/// Requests seen by a canned server, in arrival order.
pub(crate) type Seen = Arc<std::sync::Mutex<Vec<String>>>;

/// An HTTP server (HTTPS when `tls` is given) on 127.0.0.1 answering the
/// n-th request (from 0) with `respond(n, request head)`.
pub(crate) async fn http_server(
    tls: Option<&Leaf>,
    respond: impl Fn(usize, &str) -> String + Send + Sync + 'static,
) -> (SocketAddr, Seen) {
    let acceptor =
        tls.map(|leaf| TlsAcceptor::from(Arc::new(server_config(leaf, rustls::DEFAULT_VERSIONS))));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let respond = Arc::new(respond);
    let counter = Arc::new(AtomicUsize::new(0));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, respond, counter, log) = (
                acceptor.clone(),
                Arc::clone(&respond),
                Arc::clone(&counter),
                Arc::clone(&log),
            );
            tokio::spawn(async move {
                let answer = move |head: String| {
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    let reply = respond(n, &head);
                    log.lock().unwrap().push(head);
                    reply
                };
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(tls) = acceptor.accept(tcp).await {
                            serve_one(tls, answer).await;
                        }
                    }
                    None => serve_one(tcp, answer).await,
                }
            });
        }
    });
    (addr, seen)
}

async fn serve_one<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    answer: impl FnOnce(String) -> String,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16384 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let reply = answer(String::from_utf8_lossy(&head).into_owned());
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}
