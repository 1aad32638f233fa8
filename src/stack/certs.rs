//! Test certificates for a stack run: one CA generated at start (never
//! written anywhere but the run's own directory) signing the certificates
//! the stack file declares, with the validity and key type it asks for —
//! an expired certificate is simply `valid_days: -1`.

use std::collections::BTreeMap;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    KeyUsagePurpose, SignatureAlgorithm,
};
use time::{Duration, OffsetDateTime};

use super::file::{CertificateSpec, KeyKind};

/// A generated certificate: its PEM chain (leaf, then CA) and private key.
#[derive(Clone)]
pub struct IssuedCertificate {
    pub chain_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for IssuedCertificate {
    // The key stays out of logs and reports.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCertificate").finish_non_exhaustive()
    }
}

/// The run's CA and the certificates it signed, by name.
#[derive(Clone, Debug)]
pub struct TestPki {
    pub ca_pem: String,
    pub certificates: BTreeMap<String, IssuedCertificate>,
}

fn algorithm(kind: KeyKind) -> &'static SignatureAlgorithm {
    match kind {
        KeyKind::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyKind::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        KeyKind::Ed25519 => &rcgen::PKCS_ED25519,
    }
}

/// Generates the CA of the run `run_id` and every declared certificate.
pub fn issue(
    run_id: &str,
    declared: &BTreeMap<String, CertificateSpec>,
) -> Result<TestPki, rcgen::Error> {
    let now = OffsetDateTime::now_utc();
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = DistinguishedName::new();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("golive test CA {run_id}"));
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params.not_before = now - Duration::days(1);
    ca_params.not_after = now + Duration::days(365);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let ca_pem = ca.pem();
    let mut certificates = BTreeMap::new();
    for (name, spec) in declared {
        let mut params = CertificateParams::new(spec.hosts.clone())?;
        params
            .distinguished_name
            .push(DnType::CommonName, spec.hosts[0].clone());
        let valid_days = Duration::days(spec.valid_days);
        // An expired certificate was valid for a while before it expired.
        params.not_before = (now + valid_days).min(now) - Duration::days(30);
        params.not_after = now + valid_days;
        let key = KeyPair::generate_for(algorithm(spec.key))?;
        let leaf = params.signed_by(&key, &ca)?;
        certificates.insert(
            name.clone(),
            IssuedCertificate {
                chain_pem: format!("{}{}", leaf.pem(), ca_pem),
                key_pem: key.serialize_pem(),
            },
        );
    }
    Ok(TestPki {
        ca_pem,
        certificates,
    })
}
