//! TLS to PostgreSQL: `sslmode=require` in the store URL (or `verify-full`/`verify-ca`, read
//! as `require`) connects over rustls with ring, verifying the server's certificate chain
//! and host name (stricter than libpq's `require`, which checks neither; an IP host needs an
//! IP SAN). The CA comes from `[store] ca_cert` or the URL's `sslrootcert=FILE`, else the
//! system's roots. Without `sslmode=require` the connection is plain, and a CA given then is
//! refused rather than ignored (no silent plain text).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::store::StoreError;

/// The URL with the parameters gwtui reads itself taken out (`sslrootcert`, and `sslmode`'s
/// `verify-full`/`verify-ca` turned into `require`), and the `sslrootcert` path.
pub(crate) fn preprocess(url: &str) -> (String, Option<PathBuf>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let mut root = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslrootcert", path)) => {
                let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
                root = Some(PathBuf::from(decoded.as_ref()));
            }
            Some(("sslmode", "verify-full" | "verify-ca")) => kept.push("sslmode=require"),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, root)
}

/// The TLS connector for `config` (`None`: plain), with `ca` as the only roots when given.
/// A plain connection is made explicit (`sslmode=disable`): `prefer` would try TLS with
/// nothing to verify it against.
pub(crate) fn connector(
    config: &mut postgres::Config,
    ca: Option<&Path>,
) -> Result<Option<MakeRustlsConnect>, StoreError> {
    if config.get_ssl_mode() != SslMode::Require {
        if let Some(ca) = ca {
            return Err(StoreError::Config(format!(
                "a CA certificate ({}) is given for the store but its URL does not ask for TLS: add sslmode=require to the URL",
                ca.display()
            )));
        }
        config.ssl_mode(SslMode::Disable);
        return Ok(None);
    }
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(path) => {
            let bad = |reason: String| {
                StoreError::Config(format!("store CA certificate {}: {reason}", path.display()))
            };
            let pem = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
            let certs = crate::tls::pem::certificates(&pem).map_err(|e| bad(e.to_string()))?;
            if certs.is_empty() {
                return Err(bad("no certificate in the file".into()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| bad(e.to_string()))?;
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            for cert in native.certs {
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                return Err(StoreError::Config(
                    "sslmode=require: no system CA certificates found; give the server's CA with [store] ca_cert".into(),
                ));
            }
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| StoreError::Config(format!("TLS to PostgreSQL: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Some(MakeRustlsConnect::new(tls)))
}

/// A connection error in words, with what to do when the server's certificate is not trusted.
pub(crate) fn explain(reason: String) -> String {
    if reason.contains("invalid peer certificate") || reason.contains("UnknownIssuer") {
        format!(
            "{reason} (the server's TLS certificate is not trusted: give the CA that signed it with [store] ca_cert or sslrootcert=FILE in the URL)"
        )
    } else {
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslrootcert_is_taken_out_and_verify_modes_mean_require() {
        assert_eq!(
            preprocess("postgres://u@h:1/db?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem"),
            (
                "postgres://u@h:1/db?sslmode=require".to_string(),
                Some(PathBuf::from("/tmp/ca.pem"))
            )
        );
        assert_eq!(
            preprocess("postgres://u@h:1/db"),
            ("postgres://u@h:1/db".to_string(), None)
        );
        assert_eq!(
            preprocess("postgres://u@h:1/db?sslrootcert=ca.pem"),
            (
                "postgres://u@h:1/db".to_string(),
                Some(PathBuf::from("ca.pem"))
            )
        );
    }

    #[test]
    fn a_ca_without_sslmode_require_is_refused_and_plain_is_explicit() {
        let mut config: postgres::Config = "postgres://u@h:1/db".parse().expect("url");
        let err = connector(&mut config, Some(Path::new("/tmp/ca.pem")))
            .err()
            .expect("refused");
        assert!(err.to_string().contains("sslmode=require"), "{err}");
        assert!(connector(&mut config, None).expect("plain").is_none());
        assert_eq!(config.get_ssl_mode(), SslMode::Disable);
        let mut tls: postgres::Config = "postgres://u@h:1/db?sslmode=require".parse().expect("url");
        let err = connector(&mut tls, Some(Path::new("/nonexistent/ca.pem")))
            .err()
            .expect("missing file");
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }
}
