//! A hand-written ClientHello for the protocol versions rustls cannot speak
//! (TLS 1.0, 1.1), as testssl.sh does with raw sockets: record version
//! 0x0301, the client version asked, a broad list of suites of that era
//! (ECDHE/DHE/RSA with AES-CBC, Camellia, 3DES, RC4), SNI,
//! supported_groups and ec_point_formats, no supported_versions. Only the
//! server's first answer is read: a ServerHello (the chosen version and
//! suite) or an alert. Also used for TLS 1.2, with AEAD/SHA-256 suites and
//! signature_algorithms added, when rustls' narrower offer was refused.

use std::net::SocketAddr;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

use super::{Support, hung_up, names};
use crate::probe::{ProbeError, before, connect, provider};

/// Suites usable with TLS 1.0 and later, strongest first.
const LEGACY_SUITES: &[u16] = &[
    0xC00A, 0xC014, 0x0039, 0x0038, 0x0088, 0x0035, 0x0084, // AES-256 / Camellia-256 CBC
    0xC009, 0xC013, 0x0033, 0x0032, 0x0045, 0x002F, 0x0041,
    0x0096, // AES-128 / Camellia-128 / SEED
    0xC008, 0xC012, 0x0016, 0x0013, 0x000A, // 3DES
    0xC007, 0xC011, 0x0005, 0x0004, // RC4
    0x0009, // DES
];

/// Suites that only exist from TLS 1.2 on (AEAD, SHA-256/384 MACs).
const TLS12_SUITES: &[u16] = &[
    0xC02C, 0xC030, 0x009F, 0x009D, 0xCCA9, 0xCCA8, 0xCCAA, 0xC02B, 0xC02F, 0x009E, 0x009C, 0xC024,
    0xC028, 0x006B, 0x003D, 0xC023, 0xC027, 0x0067, 0x003C,
];

/// Signals secure renegotiation support (RFC 5746); some servers insist.
const RENEGOTIATION_SCSV: u16 = 0x00FF;

/// x25519, secp256r1, secp384r1, secp521r1.
const GROUPS: &[u16] = &[0x001D, 0x0017, 0x0018, 0x0019];

/// ECDSA, RSA-PSS, RSA-PKCS#1, Ed25519, then the SHA-1 ones (TLS 1.2 only).
const SIGNATURE_SCHEMES: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0807, 0x0203, 0x0201,
];

const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const SERVER_HELLO: u8 = 2;
/// Largest record a server may send (2^14 plus expansion).
const MAX_RECORD: usize = 16384 + 2048;
/// Largest ServerHello golive reads.
const MAX_HANDSHAKE: usize = 65536;

/// Sends a ClientHello for `version` (0x0301..=0x0303) to `addr` and reads
/// whether the server accepts it.
pub(super) async fn hello(
    addr: SocketAddr,
    name: &ServerName<'_>,
    version: u16,
    deadline: Instant,
    budget: Duration,
) -> Result<Support, ProbeError> {
    let mut random = [0u8; 32];
    provider()
        .secure_random
        .fill(&mut random)
        .map_err(|_| ProbeError::Invalid("no random source for the ClientHello".to_owned()))?;
    let hello = client_hello(name, version, &random);
    let mut tcp = connect(addr, deadline, budget).await?;
    before(deadline, budget, addr, "TLS handshake", async {
        if let Err(e) = tcp.write_all(&hello).await {
            return hung_up(addr, "sending ClientHello", e)
                .map(|reason| Support::Refused { reason });
        }
        match read_reply(&mut tcp, version).await {
            Ok(support) => Ok(support),
            Err(Reply::NotTls(detail)) => Err(ProbeError::NotTls { addr, detail }),
            Err(Reply::Io(e)) => {
                hung_up(addr, "reading ServerHello", e).map(|reason| Support::Refused { reason })
            }
        }
    })
    .await
}

/// The ClientHello record.
fn client_hello(name: &ServerName<'_>, version: u16, random: &[u8; 32]) -> Vec<u8> {
    let mut suites: Vec<u16> = Vec::new();
    if version >= 0x0303 {
        suites.extend(TLS12_SUITES);
    }
    suites.extend(LEGACY_SUITES);
    suites.push(RENEGOTIATION_SCSV);

    let mut extensions = Vec::new();
    if let ServerName::DnsName(dns) = name {
        let host = dns.as_ref().trim_end_matches('.').as_bytes();
        let mut list = vec![0u8]; // host_name
        put_vector16(&mut list, host);
        let mut sni = Vec::new();
        put_vector16(&mut sni, &list);
        put_extension(&mut extensions, 0x0000, &sni);
    }
    put_extension(&mut extensions, 0x000A, &vector16_of(GROUPS));
    put_extension(&mut extensions, 0x000B, &[1, 0]); // uncompressed points
    if version >= 0x0303 {
        put_extension(&mut extensions, 0x000D, &vector16_of(SIGNATURE_SCHEMES));
    }

    let mut body = Vec::new();
    body.extend(version.to_be_bytes());
    body.extend(random);
    body.push(0); // no session id
    body.extend(vector16_of(&suites));
    body.extend([1, 0]); // null compression only
    put_vector16(&mut body, &extensions);

    let mut handshake = vec![1]; // client_hello
    handshake.extend(&u32::try_from(body.len()).unwrap_or(0).to_be_bytes()[1..]);
    handshake.extend(body);

    let mut record = vec![HANDSHAKE, 0x03, 0x01];
    put_vector16(&mut record, &handshake);
    record
}

fn put_vector16(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend(u16::try_from(bytes.len()).unwrap_or(u16::MAX).to_be_bytes());
    out.extend(bytes);
}

fn vector16_of(values: &[u16]) -> Vec<u8> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
    let mut out = Vec::new();
    put_vector16(&mut out, &bytes);
    out
}

fn put_extension(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend(kind.to_be_bytes());
    put_vector16(out, data);
}

/// Why a reply could not be read as an answer to the ClientHello.
#[derive(Debug)]
enum Reply {
    NotTls(String),
    Io(std::io::Error),
}

impl From<std::io::Error> for Reply {
    fn from(e: std::io::Error) -> Reply {
        Reply::Io(e)
    }
}

/// Reads records until the ServerHello is complete or an alert arrives.
async fn read_reply<R: AsyncRead + Unpin>(reader: &mut R, asked: u16) -> Result<Support, Reply> {
    let mut handshake: Vec<u8> = Vec::new();
    loop {
        let mut header = [0u8; 5];
        reader.read_exact(&mut header).await?;
        let [kind, major, _minor, high, low] = header;
        let length = usize::from(u16::from_be_bytes([high, low]));
        if !matches!(kind, ALERT | HANDSHAKE) || major != 3 || length == 0 || length > MAX_RECORD {
            return Err(Reply::NotTls(format!(
                "answer starts with {:?}",
                String::from_utf8_lossy(&header)
            )));
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).await?;
        if kind == ALERT {
            match body.as_slice() {
                // A warning (say unrecognized_name) may precede the ServerHello.
                [1, description, ..] if *description != 0 => continue,
                [_, description, ..] => {
                    return Ok(Support::Refused {
                        reason: names::alert(*description),
                    });
                }
                _ => return Err(Reply::NotTls("truncated alert".to_owned())),
            }
        }
        handshake.extend(body);
        if let Some(support) = server_hello(&handshake, asked)? {
            return Ok(support);
        }
    }
}

/// Parses the ServerHello once `handshake` holds all of it; `None` while
/// more bytes are needed.
fn server_hello(handshake: &[u8], asked: u16) -> Result<Option<Support>, Reply> {
    let [kind, a, b, c, rest @ ..] = handshake else {
        return Ok(None);
    };
    if *kind != SERVER_HELLO {
        return Err(Reply::NotTls(format!(
            "expected a ServerHello, got handshake message type {kind}"
        )));
    }
    let length = usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c);
    if length > MAX_HANDSHAKE {
        return Err(Reply::NotTls(format!("ServerHello of {length} bytes")));
    }
    let Some(message) = rest.get(..length) else {
        return Ok(None);
    };
    let malformed = || Reply::NotTls("malformed ServerHello".to_owned());
    let version = message.get(..2).ok_or_else(malformed)?;
    let version = u16::from_be_bytes([version[0], version[1]]);
    let session_id_length = usize::from(*message.get(34).ok_or_else(malformed)?);
    let suite = message
        .get(35 + session_id_length..37 + session_id_length)
        .ok_or_else(malformed)?;
    let suite = u16::from_be_bytes([suite[0], suite[1]]);
    Ok(Some(if version == asked {
        Support::Offered {
            cipher: names::cipher_suite(suite),
        }
    } else {
        Support::Refused {
            reason: format!("server chose {}", names::protocol_version(version)),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dns(name: &str) -> ServerName<'static> {
        ServerName::try_from(name.to_owned()).unwrap()
    }

    async fn reply(bytes: &[u8], asked: u16) -> Result<Support, Reply> {
        read_reply(&mut &bytes[..], asked).await
    }

    /// A ServerHello handshake message choosing `version` and `suite`.
    fn server_hello_message(version: u16, suite: u16) -> Vec<u8> {
        let mut body = version.to_be_bytes().to_vec();
        body.extend([7u8; 32]); // random
        body.push(32); // session id
        body.extend([9u8; 32]);
        body.extend(suite.to_be_bytes());
        body.push(0); // compression
        let mut message = vec![SERVER_HELLO, 0, 0, u8::try_from(body.len()).unwrap()];
        message.extend(body);
        message
    }

    fn record(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut record = vec![kind, 3, 1];
        put_vector16(&mut record, body);
        record
    }

    #[test]
    fn the_client_hello_is_a_tls_1_0_record_with_sni() {
        let hello = client_hello(&dns("example.org"), 0x0302, &[0; 32]);
        assert_eq!(&hello[..3], &[HANDSHAKE, 3, 1]);
        assert_eq!(
            usize::from(u16::from_be_bytes([hello[3], hello[4]])),
            hello.len() - 5
        );
        assert_eq!(hello[5], 1); // client_hello
        assert_eq!(&hello[9..11], &[3, 2]); // client_version
        assert!(hello.windows(11).any(|w| w == b"example.org"));
        // No TLS 1.2 suites nor signature_algorithms in a 1.1 hello.
        assert!(!hello.windows(2).any(|w| w == [0xC0, 0x2F]));
        let tls12 = client_hello(&dns("example.org"), 0x0303, &[0; 32]);
        assert!(tls12.windows(2).any(|w| w == [0xC0, 0x2F]));
        // No SNI for an IP address (RFC 6066).
        let by_ip = client_hello(
            &ServerName::from(std::net::Ipv4Addr::LOCALHOST),
            0x0301,
            &[0; 32],
        );
        assert!(by_ip.len() < hello.len() - 11);
    }

    #[tokio::test]
    async fn a_server_hello_with_the_version_asked_is_offered() {
        let bytes = record(HANDSHAKE, &server_hello_message(0x0301, 0xC013));
        assert_eq!(
            reply(&bytes, 0x0301).await.unwrap(),
            Support::Offered {
                cipher: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA".to_owned()
            }
        );
        // Another version is a refusal.
        assert_eq!(
            reply(&bytes, 0x0302).await.unwrap(),
            Support::Refused {
                reason: "server chose TLS 1.0".to_owned()
            }
        );
    }

    #[tokio::test]
    async fn a_server_hello_split_over_records_is_reassembled() {
        let message = server_hello_message(0x0302, 0x1234);
        let mut bytes = record(HANDSHAKE, &message[..3]);
        bytes.extend(record(HANDSHAKE, &message[3..40]));
        bytes.extend(record(HANDSHAKE, &message[40..]));
        assert_eq!(
            reply(&bytes, 0x0302).await.unwrap(),
            Support::Offered {
                cipher: "0x1234".to_owned()
            }
        );
    }

    #[tokio::test]
    async fn alerts_are_refusals_and_warnings_are_skipped() {
        let mut bytes = record(ALERT, &[1, 112]); // warning unrecognized_name
        bytes.extend(record(ALERT, &[2, 70]));
        assert_eq!(
            reply(&bytes, 0x0301).await.unwrap(),
            Support::Refused {
                reason: "alert protocol_version".to_owned()
            }
        );
        let unknown = record(ALERT, &[2, 200]);
        assert_eq!(
            reply(&unknown, 0x0301).await.unwrap(),
            Support::Refused {
                reason: "alert 200".to_owned()
            }
        );
    }

    #[tokio::test]
    async fn hostile_replies_are_errors_not_panics() {
        let cases: Vec<Vec<u8>> = vec![
            b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec(),
            vec![HANDSHAKE, 3, 1, 0, 0],       // empty record
            vec![HANDSHAKE, 3, 1, 0xFF, 0xFF], // oversized record
            record(ALERT, &[2]),               // truncated alert
            record(HANDSHAKE, &[11, 0, 0, 0]), // a Certificate first
            record(HANDSHAKE, &[SERVER_HELLO, 0xFF, 0xFF, 0xFF]), // huge ServerHello
            record(HANDSHAKE, &[SERVER_HELLO, 0, 0, 3, 3, 1, 0]), // too short to hold a suite
        ];
        for bytes in cases {
            let result = reply(&bytes, 0x0301).await;
            assert!(
                matches!(result, Err(Reply::NotTls(_))),
                "{bytes:?}: {result:?}"
            );
        }
        // Cut short anywhere: the server hung up.
        let whole = record(HANDSHAKE, &server_hello_message(0x0301, 0xC013));
        for end in 0..whole.len() {
            let result = reply(&whole[..end], 0x0301).await;
            assert!(matches!(result, Err(Reply::Io(_))), "{end}: {result:?}");
        }
    }

    #[tokio::test]
    async fn random_replies_never_panic() {
        // xorshift: deterministic noise, biased towards plausible headers.
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..5_000 {
            let length = usize::try_from(next() % 120).unwrap();
            let mut bytes: Vec<u8> = (0..length).map(|_| next() as u8).collect();
            if let [kind, major, _, high, low, ..] = bytes.as_mut_slice() {
                *kind = if next() % 2 == 0 { HANDSHAKE } else { ALERT };
                *major = 3;
                *high = 0;
                *low %= 100;
            }
            let _ = reply(&bytes, 0x0301).await;
        }
    }
}
