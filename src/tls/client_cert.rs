//! `$context.identity.clientCert` (mapping.md §2; execution.md §10.1): the certificate a
//! client presented on a custom domain with mutual TLS, read once per connection.

use base64::Engine as _;
use serde_json::{Map, Value};

use super::TlsError;

/// A client certificate as API Gateway describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCert {
    /// The certificate in PEM.
    pub client_cert_pem: String,
    /// `CN=client.example.com, O=Example`.
    pub subject_dn: String,
    pub issuer_dn: String,
    /// Hex bytes separated by colons (`1f:0a:…`), as AWS's events show it.
    pub serial_number: String,
    /// `May 28 12:30:02 2019 GMT` (the day space-padded, as OpenSSL prints it).
    pub not_before: String,
    pub not_after: String,
}

impl ClientCert {
    /// Reads the leaf certificate a TLS client presented (DER).
    pub fn from_der(der: &[u8]) -> Result<ClientCert, TlsError> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| TlsError::Invalid(format!("invalid client certificate: {e}")))?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut pem = String::with_capacity(b64.len() + b64.len() / 64 + 60);
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        Ok(ClientCert {
            client_cert_pem: pem,
            subject_dn: cert.subject().to_string(),
            issuer_dn: cert.issuer().to_string(),
            serial_number: cert.raw_serial_as_string(),
            not_before: validity_date(cert.validity().not_before.timestamp()),
            not_after: validity_date(cert.validity().not_after.timestamp()),
        })
    }

    /// The value at a dotted name below `clientCert` (`subjectDN`, `validity.notAfter`).
    pub fn field(&self, name: &str) -> Option<&str> {
        Some(match name {
            "clientCertPem" => &self.client_cert_pem,
            "subjectDN" => &self.subject_dn,
            "issuerDN" => &self.issuer_dn,
            "serialNumber" => &self.serial_number,
            "validity.notBefore" => &self.not_before,
            "validity.notAfter" => &self.not_after,
            _ => return None,
        })
    }

    /// `{clientCertPem, subjectDN, issuerDN, serialNumber, validity: {notBefore, notAfter}}`.
    pub fn to_json(&self) -> Value {
        let mut validity = Map::new();
        validity.insert("notBefore".into(), Value::String(self.not_before.clone()));
        validity.insert("notAfter".into(), Value::String(self.not_after.clone()));
        let mut out = Map::new();
        out.insert(
            "clientCertPem".into(),
            Value::String(self.client_cert_pem.clone()),
        );
        out.insert("subjectDN".into(), Value::String(self.subject_dn.clone()));
        out.insert("issuerDN".into(), Value::String(self.issuer_dn.clone()));
        out.insert(
            "serialNumber".into(),
            Value::String(self.serial_number.clone()),
        );
        out.insert("validity".into(), Value::Object(validity));
        Value::Object(out)
    }
}

/// `May 28 12:30:02 2019 GMT`.
fn validity_date(unix: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(unix) else {
        return String::new();
    };
    t.format(time::macros::format_description!(
        "[month repr:short] [day padding:space] [hour]:[minute]:[second] [year] GMT"
    ))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_certificate_is_described_as_aws_does() {
        let dir = tempfile::tempdir().unwrap();
        let ca = crate::tls::DevCa::load_or_create(dir.path()).unwrap();
        let issued = ca.issue_server(&["client.example.com".into()]).unwrap();
        let der = crate::tls::pem::certificates(&issued.cert_pem).unwrap();
        let cert = ClientCert::from_der(&der[0]).unwrap();
        assert_eq!(cert.subject_dn, "CN=client.example.com");
        assert!(
            cert.issuer_dn.contains("CN=gwtui local development CA"),
            "{}",
            cert.issuer_dn
        );
        assert!(
            cert.serial_number
                .split(':')
                .all(|b| b.len() == 2 && b.bytes().all(|c| c.is_ascii_hexdigit())),
            "{}",
            cert.serial_number
        );
        // The PEM round-trips to the same DER.
        assert_eq!(
            crate::tls::pem::certificates(&cert.client_cert_pem).unwrap()[0].as_ref(),
            der[0].as_ref()
        );
        assert_eq!(
            cert.field("validity.notAfter"),
            Some(cert.not_after.as_str())
        );
        assert_eq!(
            cert.to_json()["validity"]["notBefore"],
            cert.not_before.as_str()
        );
        assert!(ClientCert::from_der(b"garbage").is_err());
        assert_eq!(validity_date(1_559_046_602), "May 28 12:30:02 2019 GMT");
        assert_eq!(validity_date(1_628_156_164), "Aug  5 09:36:04 2021 GMT");
    }
}
