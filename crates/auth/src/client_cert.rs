//! Client certificates: checking what a tenant uploads (its CA certificates
//! and CRLs), verifying a presented chain against them, and reading the names
//! a certificate gives its holder. Pure functions over DER; no I/O.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, UnixTime};
use sha2::{Digest, Sha256};
use std::time::Duration;
use webpki::{
    BorrowedCertRevocationList, CertRevocationList, EndEntityCert, ExpirationPolicy, KeyUsage,
    RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy,
};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// A CA certificate a tenant trusts, as checked on upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCert {
    pub der: Vec<u8>,
    /// The subject as `CN=..., O=...`.
    pub subject: String,
    /// Hex SHA-256 of the DER, the usual way people name a certificate.
    pub sha256: String,
    pub not_before_ms: i64,
    pub not_after_ms: i64,
}

/// What a CRL says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlInfo {
    pub issuer: String,
    pub this_update_ms: i64,
    pub next_update_ms: Option<i64>,
    pub revoked: usize,
}

/// Why a presented certificate is not good enough. The text is for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no client certificate was presented")]
    Missing,
    #[error("the client certificate could not be read")]
    Malformed,
    #[error("the client certificate was not issued by a CA this organisation trusts")]
    UnknownIssuer,
    #[error("the client certificate has expired")]
    Expired,
    #[error("the client certificate is not valid yet")]
    NotYetValid,
    #[error("the client certificate has been revoked")]
    Revoked,
    #[error("the client certificate is not meant for client authentication")]
    WrongUsage,
    #[error("the client certificate does not name the signed-in user")]
    WrongUser,
    #[error("the client certificate was refused ({0})")]
    Other(String),
}

/// Names a certificate gives its holder, for matching it to a user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertNames {
    pub common_names: Vec<String>,
    /// Subject `emailAddress` attributes and rfc822Name subject alternative names.
    pub emails: Vec<String>,
}

fn ms(secs: i64) -> i64 {
    secs.saturating_mul(1000)
}

fn sha256_hex(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// Every certificate in a PEM text, in order (end-entity first in a chain).
pub fn certs_from_pem(pem: &str) -> Result<Vec<Vec<u8>>, String> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .map(|c| {
            c.map(|c| c.as_ref().to_vec())
                .map_err(|e| format!("the PEM text could not be read: {e}"))
        })
        .collect()
}

/// A certificate as PEM text.
pub fn cert_pem(der: &[u8]) -> String {
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Checks uploaded CA certificates: readable PEM, each a CA (basic
/// constraints `cA`), allowed to sign certificates, usable as a trust anchor,
/// and not expired at `now_ms`.
pub fn parse_ca_pem(pem: &str, now_ms: i64) -> Result<Vec<CaCert>, String> {
    let ders = certs_from_pem(pem)?;
    if ders.is_empty() {
        return Err(
            "no certificate found: send one or more PEM blocks \"-----BEGIN CERTIFICATE-----\""
                .into(),
        );
    }
    ders.into_iter().map(|der| check_ca(der, now_ms)).collect()
}

fn check_ca(der: Vec<u8>, now_ms: i64) -> Result<CaCert, String> {
    let (_, cert) = X509Certificate::from_der(&der)
        .map_err(|e| format!("a certificate could not be parsed: {e}"))?;
    let subject = cert.subject().to_string();
    let is_ca = cert
        .basic_constraints()
        .map_err(|e| format!("{subject}: bad basic constraints: {e}"))?
        .is_some_and(|bc| bc.value.ca);
    if !is_ca {
        return Err(format!(
            "{subject} is not a CA certificate (its basic constraints do not say cA=true); upload the certificate of the CA that issues your client certificates"
        ));
    }
    if let Some(ku) = cert
        .key_usage()
        .map_err(|e| format!("{subject}: bad key usage: {e}"))?
        && !ku.value.key_cert_sign()
    {
        return Err(format!(
            "{subject} may not sign certificates (its key usage lacks keyCertSign)"
        ));
    }
    let not_before_ms = ms(cert.validity().not_before.timestamp());
    let not_after_ms = ms(cert.validity().not_after.timestamp());
    if not_after_ms <= now_ms {
        return Err(format!(
            "{subject} expired on {}",
            cert.validity().not_after
        ));
    }
    let cd = CertificateDer::from(der.as_slice());
    webpki::anchor_from_trusted_cert(&cd)
        .map_err(|e| format!("{subject} cannot be used as a trust anchor: {e}"))?;
    Ok(CaCert {
        sha256: sha256_hex(&der),
        subject,
        not_before_ms,
        not_after_ms,
        der,
    })
}

/// Describes one stored CA certificate (for listings).
pub fn ca_info(der: &[u8]) -> Option<CaCert> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some(CaCert {
        der: der.to_vec(),
        subject: cert.subject().to_string(),
        sha256: sha256_hex(der),
        not_before_ms: ms(cert.validity().not_before.timestamp()),
        not_after_ms: ms(cert.validity().not_after.timestamp()),
    })
}

/// Checks uploaded CRLs: readable PEM, each one signed by one of `cas`
/// (DER), and in a form the verifier understands. Returns each CRL's DER.
pub fn parse_crl_pem(pem: &str, cas: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, String> {
    let ders: Vec<Vec<u8>> = CertificateRevocationListDer::pem_slice_iter(pem.as_bytes())
        .map(|c| {
            c.map(|c| c.as_ref().to_vec())
                .map_err(|e| format!("the PEM text could not be read: {e}"))
        })
        .collect::<Result<_, _>>()?;
    if ders.is_empty() {
        return Err(
            "no CRL found: send one or more PEM blocks \"-----BEGIN X509 CRL-----\"".into(),
        );
    }
    let parsed_cas: Vec<X509Certificate<'_>> = cas
        .iter()
        .filter_map(|d| X509Certificate::from_der(d).ok().map(|(_, c)| c))
        .collect();
    for der in &ders {
        let (_, crl) = CertificateRevocationList::from_der(der)
            .map_err(|e| format!("a CRL could not be parsed: {e}"))?;
        let issuer = crl.issuer().to_string();
        let signed = parsed_cas.iter().any(|ca| {
            ca.subject().as_raw() == crl.issuer().as_raw()
                && crl.verify_signature(ca.public_key()).is_ok()
        });
        if !signed {
            return Err(format!(
                "the CRL issued by {issuer} is not signed by any of this tenant's CA certificates; upload the CA first"
            ));
        }
        BorrowedCertRevocationList::from_der(der)
            .map_err(|e| format!("the CRL issued by {issuer} cannot be used: {e}"))?;
    }
    Ok(ders)
}

/// Every CRL DER in a stored PEM text (unreadable blocks are skipped: the
/// text was checked when it was uploaded).
pub fn crls_from_pem(pem: &str) -> Vec<Vec<u8>> {
    CertificateRevocationListDer::pem_slice_iter(pem.as_bytes())
        .filter_map(Result::ok)
        .map(|c| c.as_ref().to_vec())
        .collect()
}

/// Describes one CRL (for listings).
pub fn crl_info(der: &[u8]) -> Option<CrlInfo> {
    let (_, crl) = CertificateRevocationList::from_der(der).ok()?;
    Some(CrlInfo {
        issuer: crl.issuer().to_string(),
        this_update_ms: ms(crl.last_update().timestamp()),
        next_update_ms: crl.next_update().map(|t| ms(t.timestamp())),
        revoked: crl.iter_revoked_certificates().count(),
    })
}

/// Verifies a presented chain (end-entity first, DER) for client
/// authentication at `now_ms`: it must lead to one of `cas`, be within its
/// validity period, carry the client-auth usage if it lists usages, and not be
/// revoked by any of `crls`. A CRL past its next update still counts: a CA
/// that is late to publish should not lock its people out.
pub fn verify_chain(
    chain: &[Vec<u8>],
    cas: &[Vec<u8>],
    crls: &[Vec<u8>],
    now_ms: i64,
) -> Result<(), Refusal> {
    let Some((end, rest)) = chain.split_first() else {
        return Err(Refusal::Missing);
    };
    let end_der = CertificateDer::from(end.as_slice());
    let ee = EndEntityCert::try_from(&end_der).map_err(|_| Refusal::Malformed)?;
    let ca_ders: Vec<CertificateDer<'_>> = cas
        .iter()
        .map(|d| CertificateDer::from(d.as_slice()))
        .collect();
    let anchors: Vec<_> = ca_ders
        .iter()
        .filter_map(|d| webpki::anchor_from_trusted_cert(d).ok())
        .collect();
    if anchors.is_empty() {
        return Err(Refusal::UnknownIssuer);
    }
    let intermediates: Vec<CertificateDer<'_>> = rest
        .iter()
        .map(|d| CertificateDer::from(d.as_slice()))
        .collect();
    let parsed: Vec<CertRevocationList<'_>> = crls
        .iter()
        .filter_map(|d| BorrowedCertRevocationList::from_der(d).ok())
        .map(CertRevocationList::from)
        .collect();
    let refs: Vec<&CertRevocationList<'_>> = parsed.iter().collect();
    let revocation = RevocationOptionsBuilder::new(&refs).ok().map(|b| {
        b.with_depth(RevocationCheckDepth::Chain)
            .with_status_policy(UnknownStatusPolicy::Allow)
            .with_expiration_policy(ExpirationPolicy::Ignore)
            .build()
    });
    let secs = u64::try_from(now_ms.max(0) / 1000).unwrap_or(0);
    let time = UnixTime::since_unix_epoch(Duration::from_secs(secs));
    ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &anchors,
        &intermediates,
        time,
        KeyUsage::client_auth(),
        revocation,
        None,
    )
    .map(|_| ())
    .map_err(refusal)
}

fn refusal(e: webpki::Error) -> Refusal {
    use webpki::Error as E;
    match e {
        E::CertExpired { .. } => Refusal::Expired,
        E::CertNotValidYet { .. } => Refusal::NotYetValid,
        E::CertRevoked => Refusal::Revoked,
        E::UnknownIssuer => Refusal::UnknownIssuer,
        E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => Refusal::WrongUsage,
        E::BadDer | E::BadDerTime | E::TrailingData(_) => Refusal::Malformed,
        other => Refusal::Other(other.to_string()),
    }
}

/// The common names and e-mail addresses in a certificate.
pub fn cert_names(der: &[u8]) -> CertNames {
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return CertNames::default();
    };
    let text = |a: &x509_parser::x509::AttributeTypeAndValue<'_>| a.as_str().ok().map(String::from);
    let mut names = CertNames {
        common_names: cert.subject().iter_common_name().filter_map(text).collect(),
        emails: cert.subject().iter_email().filter_map(text).collect(),
    };
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            if let GeneralName::RFC822Name(e) = n {
                names.emails.push((*e).to_string());
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType,
        ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
        RevokedCertParams, SanType, SerialNumber,
    };

    struct Ca {
        cert: rcgen::Certificate,
        issuer: Issuer<'static, KeyPair>,
    }

    fn ca(name: &str) -> Ca {
        let mut p = CertificateParams::default();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let cert = p.self_signed(&key).unwrap();
        Ca {
            cert,
            issuer: Issuer::new(p, key),
        }
    }

    fn leaf(ca: &Ca, cn: &str, serial: u8, days: (i64, i64)) -> Vec<u8> {
        let mut p = CertificateParams::default();
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.subject_alt_names = vec![SanType::Rfc822Name(
            format!("{cn}@example.com").try_into().unwrap(),
        )];
        p.serial_number = Some(SerialNumber::from_slice(&[serial]));
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let now = time::OffsetDateTime::now_utc();
        p.not_before = now + time::Duration::days(days.0);
        p.not_after = now + time::Duration::days(days.1);
        let key = KeyPair::generate().unwrap();
        p.signed_by(&key, &ca.issuer).unwrap().der().to_vec()
    }

    fn now_ms() -> i64 {
        i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis(),
        )
        .unwrap()
    }

    #[test]
    fn chains_dates_revocation_and_names() {
        let a = ca("Acme CA");
        let b = ca("Other CA");
        let cas = parse_ca_pem(&a.cert.pem(), now_ms()).unwrap();
        assert_eq!(cas.len(), 1);
        assert!(cas[0].subject.contains("Acme CA"));
        let cas = vec![cas[0].der.clone()];
        let now = now_ms();
        let good = leaf(&a, "alice", 1, (-1, 30));
        assert_eq!(
            verify_chain(std::slice::from_ref(&good), &cas, &[], now),
            Ok(())
        );
        assert_eq!(
            verify_chain(&[leaf(&a, "old", 2, (-30, -1))], &cas, &[], now),
            Err(Refusal::Expired)
        );
        assert_eq!(
            verify_chain(&[leaf(&a, "new", 3, (2, 30))], &cas, &[], now),
            Err(Refusal::NotYetValid)
        );
        assert_eq!(
            verify_chain(&[leaf(&b, "eve", 4, (-1, 30))], &cas, &[], now),
            Err(Refusal::UnknownIssuer)
        );
        assert_eq!(verify_chain(&[], &cas, &[], now), Err(Refusal::Missing));
        assert_eq!(
            verify_chain(&[b"junk".to_vec()], &cas, &[], now),
            Err(Refusal::Malformed)
        );

        let t = time::OffsetDateTime::now_utc();
        let crl = CertificateRevocationListParams {
            this_update: t - time::Duration::days(1),
            next_update: t + time::Duration::days(7),
            crl_number: SerialNumber::from_slice(&[1]),
            issuing_distribution_point: None,
            revoked_certs: vec![RevokedCertParams {
                serial_number: SerialNumber::from_slice(&[1]),
                revocation_time: t - time::Duration::hours(1),
                reason_code: None,
                invalidity_date: None,
            }],
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let pem = crl.signed_by(&a.issuer).unwrap().pem().unwrap();
        let crls = parse_crl_pem(&pem, &cas).unwrap();
        assert_eq!(crl_info(&crls[0]).unwrap().revoked, 1);
        assert_eq!(
            verify_chain(std::slice::from_ref(&good), &cas, &crls, now),
            Err(Refusal::Revoked)
        );
        assert_eq!(
            verify_chain(&[leaf(&a, "bob", 9, (-1, 30))], &cas, &crls, now),
            Ok(())
        );
        // A CRL by a CA the tenant does not trust is refused on upload.
        let other_crl = crl.signed_by(&b.issuer).unwrap().pem().unwrap();
        assert!(parse_crl_pem(&other_crl, &cas).is_err());

        let n = cert_names(&good);
        assert_eq!(n.common_names, vec!["alice".to_string()]);
        assert_eq!(n.emails, vec!["alice@example.com".to_string()]);
    }

    #[test]
    fn uploads_must_be_ca_certificates() {
        let a = ca("Acme CA");
        let end = leaf(&a, "alice", 1, (-1, 30));
        assert_eq!(certs_from_pem(&cert_pem(&end)).unwrap(), vec![end.clone()]);
        let e = parse_ca_pem(&cert_pem(&end), now_ms()).unwrap_err();
        assert!(e.contains("not a CA"), "{e}");
        assert!(parse_ca_pem("hello", now_ms()).is_err());
        assert!(parse_ca_pem("", now_ms()).is_err());
        assert!(
            parse_ca_pem(
                "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
                now_ms()
            )
            .is_err()
        );
    }
}
