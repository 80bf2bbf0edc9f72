//! The local development CA: an ECDSA P-256 root generated on first use and kept in
//! `{data dir}/tls/` (`ca.pem`, which users may trust, and `ca-key.pem`, mode 0600). It issues
//! the certificate for `*.execute-api.localhost` and for every custom domain name without an
//! uploaded certificate, and client certificates (GenerateClientCertificate).

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

use super::TlsError;

pub const CA_FILE: &str = "ca.pem";
pub const CA_KEY_FILE: &str = "ca-key.pem";
const CA_NAME: &str = "gwtui local development CA";

/// A certificate and its private key, both PEM (the key PKCS#8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
}

pub struct DevCa {
    issuer: Issuer<'static, KeyPair>,
    cert_pem: String,
    cert_path: PathBuf,
}

impl std::fmt::Debug for DevCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevCa")
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

/// Where the CA's certificate is (or will be) for a data dir.
pub fn ca_path(data_dir: &Path) -> PathBuf {
    data_dir.join("tls").join(CA_FILE)
}

fn issue_error(e: rcgen::Error) -> TlsError {
    TlsError::Issue(e.to_string())
}

impl DevCa {
    /// Loads the CA from `{data_dir}/tls`, creating it there on first use.
    pub fn load_or_create(data_dir: &Path) -> Result<DevCa, TlsError> {
        let dir = data_dir.join("tls");
        let cert_path = dir.join(CA_FILE);
        let key_path = dir.join(CA_KEY_FILE);
        if cert_path.exists() || key_path.exists() {
            let read = |p: &Path| {
                std::fs::read_to_string(p).map_err(|source| TlsError::Read {
                    path: p.to_path_buf(),
                    source,
                })
            };
            let cert_pem = read(&cert_path)?;
            let key = KeyPair::from_pem(&read(&key_path)?)
                .map_err(|e| TlsError::Invalid(format!("{}: {e}", key_path.display())))?;
            let issuer = Issuer::from_ca_cert_pem(&cert_pem, key)
                .map_err(|e| TlsError::Invalid(format!("{}: {e}", cert_path.display())))?;
            return Ok(DevCa {
                issuer,
                cert_pem,
                cert_path,
            });
        }
        let write_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| TlsError::Write { path, source }
        };
        std::fs::create_dir_all(&dir).map_err(write_err(&dir))?;
        let key = KeyPair::generate().map_err(issue_error)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, CA_NAME);
        dn.push(DnType::OrganizationName, "gwtui");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let (not_before, not_after) = validity(3650);
        params.not_before = not_before;
        params.not_after = not_after;
        let cert = params.self_signed(&key).map_err(issue_error)?;
        let cert_pem = cert.pem();
        let key_pem = key.serialize_pem();
        write_private(&key_path, &key_pem).map_err(write_err(&key_path))?;
        std::fs::write(&cert_path, &cert_pem).map_err(write_err(&cert_path))?;
        Ok(DevCa {
            issuer: Issuer::new(params, key),
            cert_pem,
            cert_path,
        })
    }

    /// The CA certificate (PEM), to trust.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    /// A server certificate for these DNS names (or IP addresses), valid for a year.
    pub fn issue_server(&self, names: &[String]) -> Result<Issued, TlsError> {
        let mut params = CertificateParams::new(names.to_vec()).map_err(issue_error)?;
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CommonName,
            names.first().map(String::as_str).unwrap_or("gwtui"),
        );
        params.distinguished_name = dn;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.issue(params, 365)
    }

    /// A client certificate with this common name (GenerateClientCertificate, mTLS tests).
    pub fn issue_client(&self, common_name: &str, days: i64) -> Result<Issued, TlsError> {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        dn.push(DnType::OrganizationName, "gwtui");
        params.distinguished_name = dn;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.issue(params, days)
    }

    fn issue(&self, mut params: CertificateParams, days: i64) -> Result<Issued, TlsError> {
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let (not_before, not_after) = validity(days);
        params.not_before = not_before;
        params.not_after = not_after;
        params.serial_number = Some(rcgen::SerialNumber::from_slice(
            uuid::Uuid::new_v4().as_bytes(),
        ));
        let key = KeyPair::generate().map_err(issue_error)?;
        let cert = params.signed_by(&key, &self.issuer).map_err(issue_error)?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// A self-signed client certificate (GenerateClientCertificate): backends trust the
/// certificate itself, as with API Gateway's. ECDSA P-256, valid for `days`.
pub fn self_signed_client(common_name: &str, days: i64) -> Result<Issued, TlsError> {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, "gwtui");
    params.distinguished_name = dn;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let (not_before, not_after) = validity(days);
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(
        uuid::Uuid::new_v4().as_bytes(),
    ));
    let key = KeyPair::generate().map_err(issue_error)?;
    let cert = params.self_signed(&key).map_err(issue_error)?;
    Ok(Issued {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

fn validity(days: i64) -> (time::OffsetDateTime, time::OffsetDateTime) {
    let now = time::OffsetDateTime::now_utc();
    (
        now - time::Duration::hours(1),
        now + time::Duration::days(days),
    )
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_is_created_once_and_reloaded_and_its_leaves_verify() {
        let dir = tempfile::tempdir().unwrap();
        let ca = DevCa::load_or_create(dir.path()).unwrap();
        assert_eq!(ca.cert_path(), ca_path(dir.path()));
        let again = DevCa::load_or_create(dir.path()).unwrap();
        assert_eq!(ca.cert_pem(), again.cert_pem());
        let leaf = again
            .issue_server(&["*.execute-api.localhost".into()])
            .unwrap();
        let key = crate::tls::certified_key(&leaf.cert_pem, &leaf.key_pem).unwrap();
        assert_eq!(key.cert.len(), 1);
        let info = crate::tls::CertificateInfo::parse(&leaf.cert_pem).unwrap();
        assert!(info.issuer_dn.contains(CA_NAME), "{}", info.issuer_dn);
        // A half-written CA (key missing) is an error naming the file, not a silent new CA.
        std::fs::remove_file(dir.path().join("tls").join(CA_KEY_FILE)).unwrap();
        let err = DevCa::load_or_create(dir.path()).unwrap_err().to_string();
        assert!(err.contains(CA_KEY_FILE), "{err}");
    }
}
