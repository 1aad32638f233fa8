//! Real handshakes against in-process rustls servers and Debian's
//! `openssl s_server`; certificates from a throw-away rcgen CA.

use std::time::Duration;

use rustls::version::{TLS12, TLS13};

use super::*;
use crate::probe::testing::{Key, OpenSslServer, Pki, openssl_self_signed, raw_server, tls_server};

const T: Duration = Duration::from_secs(5);

fn refused(reason: &str) -> Support {
    Support::Refused {
        reason: reason.to_owned(),
    }
}

async fn support(addr: SocketAddr, version: TlsVersion) -> Support {
    protocol_support(addr, "localhost", version, T)
        .await
        .unwrap_or_else(|e| panic!("{version}: {e}"))
}

fn offered_cipher(support: &Support) -> &str {
    match support {
        Support::Offered { cipher } => cipher,
        refused => panic!("expected Offered, got {refused:?}"),
    }
}

#[tokio::test]
async fn tls12_only_server_offers_1_2_and_refuses_1_3() {
    let pki = Pki::new("Test CA");
    let addr = tls_server(&pki.valid_leaf(&["localhost"]), &[&TLS12]).await;
    let tls12 = support(addr, TlsVersion::Tls12).await;
    assert!(
        offered_cipher(&tls12).starts_with("TLS_ECDHE_ECDSA_WITH_"),
        "{tls12:?}"
    );
    assert_eq!(
        support(addr, TlsVersion::Tls13).await,
        refused("alert protocol_version")
    );
    // rustls servers never speak TLS 1.0/1.1 and say so with handshake_failure.
    assert_eq!(
        support(addr, TlsVersion::Tls10).await,
        refused("alert handshake_failure")
    );
}

#[tokio::test]
async fn tls13_only_server_offers_1_3_and_refuses_1_2() {
    let pki = Pki::new("Test CA");
    let addr = tls_server(&pki.valid_leaf(&["localhost"]), &[&TLS13]).await;
    let tls13 = support(addr, TlsVersion::Tls13).await;
    assert!(
        [
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256"
        ]
        .contains(&offered_cipher(&tls13)),
        "{tls13:?}"
    );
    assert_eq!(
        support(addr, TlsVersion::Tls12).await,
        refused("alert protocol_version")
    );
    assert_eq!(
        support(addr, TlsVersion::Tls11).await,
        refused("alert handshake_failure")
    );
}

#[tokio::test]
async fn openssl_tls1_server_offers_1_0_only() {
    let pki = Pki::new("Test CA");
    let server = OpenSslServer::start(
        &pki.valid_leaf(&["localhost"]),
        &["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"],
    )
    .await;
    let tls10 = support(server.addr, TlsVersion::Tls10).await;
    assert!(
        offered_cipher(&tls10).starts_with("TLS_ECDHE_ECDSA_WITH_AES_"),
        "{tls10:?}"
    );
    // Asked for 1.1, the server answers with its best: 1.0.
    assert_eq!(
        support(server.addr, TlsVersion::Tls11).await,
        refused("server chose TLS 1.0")
    );
    assert!(matches!(
        support(server.addr, TlsVersion::Tls12).await,
        Support::Refused { .. }
    ));
    assert!(matches!(
        support(server.addr, TlsVersion::Tls13).await,
        Support::Refused { .. }
    ));
}

#[tokio::test]
async fn openssl_tls1_1_server_offers_1_1() {
    let pki = Pki::new("Test CA");
    let server = OpenSslServer::start(
        &pki.valid_leaf(&["localhost"]),
        &["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"],
    )
    .await;
    offered_cipher(&support(server.addr, TlsVersion::Tls11).await);
}

#[tokio::test]
async fn openssl_defaults_refuse_1_0_and_1_1_and_offer_1_2_and_1_3() {
    let pki = Pki::new("Test CA");
    let server = OpenSslServer::start(&pki.valid_leaf(&["localhost"]), &[]).await;
    for version in [TlsVersion::Tls10, TlsVersion::Tls11] {
        let support = support(server.addr, version).await;
        assert!(matches!(support, Support::Refused { .. }), "{support:?}");
    }
    offered_cipher(&support(server.addr, TlsVersion::Tls12).await);
    offered_cipher(&support(server.addr, TlsVersion::Tls13).await);
}

#[tokio::test]
async fn openssl_no_tls1_flags_refuse_1_0() {
    let pki = Pki::new("Test CA");
    let server = OpenSslServer::start(
        &pki.valid_leaf(&["localhost"]),
        &["-no_tls1", "-no_tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"],
    )
    .await;
    assert_eq!(
        support(server.addr, TlsVersion::Tls10).await,
        refused("alert protocol_version")
    );
}

#[tokio::test]
async fn tls12_with_cbc_suites_only_is_still_offered() {
    // rustls (AEAD only) is refused; the hand-written 1.2 hello is not.
    let pki = Pki::new("Test CA");
    let server = OpenSslServer::start(
        &pki.valid_leaf(&["localhost"]),
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"],
    )
    .await;
    assert_eq!(
        support(server.addr, TlsVersion::Tls12).await,
        Support::Offered {
            cipher: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA".to_owned()
        }
    );
}

#[tokio::test]
async fn a_plain_http_server_is_not_tls() {
    let addr = raw_server(Some(b"HTTP/1.1 400 Bad Request\r\n\r\n")).await;
    for version in [
        TlsVersion::Tls10,
        TlsVersion::Tls11,
        TlsVersion::Tls12,
        TlsVersion::Tls13,
    ] {
        let result = protocol_support(addr, "localhost", version, T).await;
        assert!(
            matches!(result, Err(ProbeError::NotTls { .. })),
            "{version}: {result:?}"
        );
    }
    let error = protocol_support(addr, "localhost", TlsVersion::Tls10, T)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(&format!("{addr}: not a TLS answer")),
        "{error}"
    );
}

#[tokio::test]
async fn a_server_hanging_up_refuses() {
    let addr = raw_server(Some(b"")).await;
    for version in [TlsVersion::Tls10, TlsVersion::Tls13] {
        assert_eq!(support(addr, version).await, refused("connection closed"));
    }
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let addr = raw_server(None).await;
    for version in [TlsVersion::Tls11, TlsVersion::Tls12] {
        let started = std::time::Instant::now();
        let result = protocol_support(addr, "localhost", version, Duration::from_millis(300)).await;
        assert!(
            matches!(
                result,
                Err(ProbeError::Timeout {
                    during: "TLS handshake",
                    ..
                })
            ),
            "{result:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}

#[tokio::test]
async fn nothing_listening_is_a_connect_error() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let error = protocol_support(addr, "localhost", TlsVersion::Tls10, T)
        .await
        .unwrap_err();
    assert!(matches!(error, ProbeError::Connect { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("{addr}: cannot connect"))
    );
}

#[tokio::test]
async fn a_bad_server_name_is_rejected() {
    let addr = raw_server(None).await;
    let error = protocol_support(addr, "not a name", TlsVersion::Tls13, T)
        .await
        .unwrap_err();
    assert!(matches!(error, ProbeError::ServerName { .. }), "{error:?}");
}

async fn inspect(addr: SocketAddr, name: &str, trust: &Trust) -> CertificateReport {
    inspect_certificate(addr, name, trust, T)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_chain_from_the_trusted_ca_is_valid() {
    let pki = Pki::new("Test CA");
    let addr = tls_server(&pki.valid_leaf(&["localhost", "127.0.0.1"]), &[&TLS13]).await;
    let report = inspect(addr, "localhost", &Trust::Pem(pki.ca_pem())).await;
    assert_eq!(report.validity, Validity::Valid);
    assert_eq!(report.chain.len(), 2);
    let leaf = &report.chain[0];
    assert_eq!(leaf.subject, "CN=localhost");
    assert_eq!(leaf.issuer, "CN=Test CA");
    assert_eq!(leaf.sans, ["localhost", "127.0.0.1"]);
    assert!((89..=90).contains(&leaf.days_left), "{}", leaf.days_left);
    assert!(leaf.not_before < leaf.not_after);
    assert_eq!(
        leaf.key,
        KeyInfo::Ecdsa {
            curve: "P-256".to_owned(),
            bits: 256
        }
    );
    assert_eq!(leaf.signature_algorithm, "ecdsa-with-SHA256");
    assert_eq!(report.chain[1].subject, "CN=Test CA");
    // The IP address SAN is honoured too.
    let by_ip = inspect(addr, "127.0.0.1", &Trust::Pem(pki.ca_pem())).await;
    assert_eq!(by_ip.validity, Validity::Valid);
}

#[tokio::test]
async fn an_expired_certificate_is_reported_with_its_date() {
    let pki = Pki::new("Test CA");
    let addr = tls_server(
        &pki.leaf(&["localhost"], Key::EcdsaP256, -30, -2),
        &[&TLS12],
    )
    .await;
    let report = inspect(addr, "localhost", &Trust::Pem(pki.ca_pem())).await;
    let leaf = &report.chain[0];
    assert_eq!(
        report.validity,
        Validity::Expired {
            not_after: leaf.not_after
        }
    );
    assert!(
        leaf.days_left == -2 || leaf.days_left == -3,
        "{}",
        leaf.days_left
    );
    assert!(report.validity.to_string().starts_with("expired on "));
}

#[tokio::test]
async fn a_certificate_not_yet_valid_is_reported() {
    let pki = Pki::new("Test CA");
    let addr = tls_server(&pki.leaf(&["localhost"], Key::EcdsaP256, 2, 30), &[&TLS13]).await;
    let report = inspect(addr, "localhost", &Trust::Pem(pki.ca_pem())).await;
    assert_eq!(
        report.validity,
        Validity::NotYetValid {
            not_before: report.chain[0].not_before
        }
    );
}

#[tokio::test]
async fn a_hostname_mismatch_lists_the_certificate_names() {
    let pki = Pki::new("Test CA");
    let addr = tls_server(&pki.valid_leaf(&["api.example", "www.example"]), &[&TLS13]).await;
    let report = inspect(addr, "localhost", &Trust::Pem(pki.ca_pem())).await;
    assert_eq!(
        report.validity,
        Validity::HostnameMismatch {
            server_name: "localhost".to_owned(),
            names: vec!["api.example".to_owned(), "www.example".to_owned()],
        }
    );
    assert_eq!(
        report.validity.to_string(),
        "not valid for localhost: the certificate names api.example, www.example"
    );
}

#[tokio::test]
async fn an_unknown_ca_is_reported() {
    let (pki, other) = (Pki::new("Test CA"), Pki::new("Other CA"));
    let addr = tls_server(&pki.valid_leaf(&["localhost"]), &[&TLS13]).await;
    let report = inspect(addr, "localhost", &Trust::Pem(other.ca_pem())).await;
    assert_eq!(
        report.validity,
        Validity::UnknownIssuer {
            issuer: "CN=Test CA".to_owned(),
            self_signed: false
        }
    );
    // Nor does the Mozilla root program know the test CA.
    let report = inspect(addr, "localhost", &Trust::WebPki).await;
    assert!(matches!(report.validity, Validity::UnknownIssuer { .. }));
}

#[tokio::test]
async fn a_weak_self_signed_rsa_1024_certificate_is_described() {
    // ring refuses RSA keys under 2048 bits, so openssl serves this one.
    let dir = tempfile::tempdir().unwrap();
    let server = OpenSslServer::start(
        &openssl_self_signed(dir.path(), 1024),
        &["-cipher", "DEFAULT:@SECLEVEL=0"],
    )
    .await;
    let pki = Pki::new("Test CA");
    let report = inspect(server.addr, "localhost", &Trust::Pem(pki.ca_pem())).await;
    assert_eq!(
        report.validity,
        Validity::UnknownIssuer {
            issuer: "CN=localhost".to_owned(),
            self_signed: true
        }
    );
    let key = &report.chain[0].key;
    assert_eq!(*key, KeyInfo::Rsa { bits: 1024 });
    assert_eq!(
        key_is_strong(key),
        Err("RSA key of 1024 bits (at least 2048 needed)".to_owned())
    );
}

#[tokio::test]
async fn key_information_for_rsa_ecdsa_and_ed25519() {
    let pki = Pki::new("Test CA");
    let trust = Trust::Pem(pki.ca_pem());
    for (key, expected, signature) in [
        (
            Key::Rsa2048,
            KeyInfo::Rsa { bits: 2048 },
            "ecdsa-with-SHA256",
        ),
        (
            Key::EcdsaP256,
            KeyInfo::Ecdsa {
                curve: "P-256".to_owned(),
                bits: 256,
            },
            "ecdsa-with-SHA256",
        ),
        (Key::Ed25519, KeyInfo::Ed25519, "ecdsa-with-SHA256"),
    ] {
        let addr = tls_server(&pki.leaf(&["localhost"], key, -1, 30), &[&TLS13, &TLS12]).await;
        let report = inspect(addr, "localhost", &trust).await;
        assert_eq!(report.validity, Validity::Valid, "{expected}");
        assert_eq!(report.chain[0].key, expected);
        assert_eq!(report.chain[0].signature_algorithm, signature);
        assert_eq!(key_is_strong(&expected), Ok(()));
    }
}

#[tokio::test]
async fn unusable_trust_anchors_are_an_error() {
    let addr = raw_server(None).await;
    for pem in [
        &b""[..],
        b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
    ] {
        let error = inspect_certificate(addr, "localhost", &Trust::Pem(pem.to_vec()), T)
            .await
            .unwrap_err();
        assert!(matches!(error, ProbeError::Trust { .. }), "{error:?}");
    }
}

#[tokio::test]
async fn inspecting_a_non_tls_server_fails_with_its_address() {
    let addr = raw_server(Some(b"SSH-2.0-OpenSSH_9.2\r\n")).await;
    let error = inspect_certificate(addr, "localhost", &Trust::WebPki, T)
        .await
        .unwrap_err();
    assert!(error.to_string().starts_with(&addr.to_string()), "{error}");
}

#[test]
fn key_strength_thresholds() {
    let ecdsa = |bits| KeyInfo::Ecdsa {
        curve: "x".to_owned(),
        bits,
    };
    assert_eq!(key_is_strong(&KeyInfo::Rsa { bits: 2048 }), Ok(()));
    assert_eq!(key_is_strong(&KeyInfo::Rsa { bits: 4096 }), Ok(()));
    assert!(key_is_strong(&KeyInfo::Rsa { bits: 2047 }).is_err());
    assert_eq!(key_is_strong(&ecdsa(256)), Ok(()));
    assert_eq!(key_is_strong(&ecdsa(384)), Ok(()));
    assert!(key_is_strong(&ecdsa(224)).is_err());
    assert_eq!(key_is_strong(&KeyInfo::Ed25519), Ok(()));
    assert_eq!(
        key_is_strong(&KeyInfo::Other("1.3.101.113".to_owned())),
        Err("unrecognised key algorithm 1.3.101.113".to_owned())
    );
}
