//! PEM certificates and keys: parsed and checked (the key must match the certificate) before
//! anything uses them, and the fields API Gateway reports about a certificate.

use std::sync::Arc;

use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::TlsError;

/// Parses a certificate chain (leaf first; `chain_pem` may follow in the same text) and a
/// private key (PKCS#8, PKCS#1 or SEC1), and checks that the key is the certificate's.
pub fn certified_key(cert_pem: &str, key_pem: &str) -> Result<Arc<CertifiedKey>, TlsError> {
    let certs = certificates(cert_pem)?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| TlsError::Invalid(format!("invalid private key: {e}")))?;
    let provider = super::provider();
    let certified = CertifiedKey::from_der(certs, key, &provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => {
            TlsError::Invalid("the private key does not match the certificate".into())
        }
        other => TlsError::Invalid(format!("invalid certificate or key: {other}")),
    })?;
    Ok(Arc::new(certified))
}

/// Every certificate of a PEM text, in order; at least one.
pub fn certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Invalid(format!("invalid certificate: {e}")))?;
    if certs.is_empty() {
        return Err(TlsError::Invalid(
            "invalid certificate: no PEM CERTIFICATE block".into(),
        ));
    }
    for cert in &certs {
        x509_parser::parse_x509_certificate(cert)
            .map_err(|e| TlsError::Invalid(format!("invalid certificate: {e}")))?;
    }
    Ok(certs)
}

/// What API Gateway reports about a certificate (`$context.identity.clientCert`, domain
/// certificate fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    pub subject_dn: String,
    pub issuer_dn: String,
    /// Decimal, as AWS prints it.
    pub serial_number: String,
    /// Seconds since the epoch.
    pub not_before: i64,
    pub not_after: i64,
}

impl CertificateInfo {
    /// The first certificate of a PEM text.
    pub fn parse(pem: &str) -> Result<CertificateInfo, TlsError> {
        let certs = certificates(pem)?;
        Self::from_der(&certs[0])
    }

    pub fn from_der(der: &[u8]) -> Result<CertificateInfo, TlsError> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| TlsError::Invalid(format!("invalid certificate: {e}")))?;
        Ok(CertificateInfo {
            subject_dn: cert.subject().to_string(),
            issuer_dn: cert.issuer().to_string(),
            serial_number: decimal(cert.raw_serial()),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
        })
    }
}

/// A big-endian unsigned integer in decimal (serial numbers are up to 20 bytes).
fn decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = vec![0];
    for &byte in bytes {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_print_in_decimal() {
        assert_eq!(decimal(&[0]), "0");
        assert_eq!(decimal(&[1, 0]), "256");
        assert_eq!(decimal(&[0xff; 8]), u64::MAX.to_string());
    }

    #[test]
    fn garbage_and_mismatched_keys_are_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        let ca = crate::tls::DevCa::load_or_create(dir.path()).unwrap();
        let a = ca.issue_server(&["a.example.com".into()]).unwrap();
        let b = ca.issue_server(&["b.example.com".into()]).unwrap();
        let err = certified_key(&a.cert_pem, &b.key_pem)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "the private key does not match the certificate");
        let err = certified_key("not a pem", &a.key_pem)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("invalid certificate"), "{err}");
        let err = certified_key(&a.cert_pem, "nope").unwrap_err().to_string();
        assert!(err.starts_with("invalid private key"), "{err}");
        let info = CertificateInfo::parse(&a.cert_pem).unwrap();
        assert_eq!(info.subject_dn, "CN=a.example.com");
        assert!(info.not_after > info.not_before);
    }
}
