//! Certificates for HTTPS invoke endpoints: the local development CA that gwtui keeps in its
//! data dir ([`ca`]), and PEM certificate/key pairs checked before they are used ([`pem`]).
//! The server's TLS listener (`server::tls`) and custom domain names (engine) build on both.

pub mod ca;
pub mod client_cert;
pub mod pem;

pub use ca::DevCa;
pub use client_cert::ClientCert;
pub use pem::{CertificateInfo, certified_key};

use std::path::PathBuf;

/// What can go wrong with certificates and keys: always a message a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A certificate, chain or key that does not parse, or a key that does not match.
    #[error("{0}")]
    Invalid(String),
    #[error("cannot issue a certificate: {0}")]
    Issue(String),
}

/// The process's rustls crypto provider (ring; never aws-lc).
pub fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}
