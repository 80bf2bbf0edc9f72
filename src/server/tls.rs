//! The HTTPS listener's certificates, chosen by SNI: `*.execute-api.localhost` (and clients
//! without SNI, e.g. by IP) get the listener's certificate (configured files, else one the
//! local development CA issues); a custom domain name gets its uploaded certificate, else one
//! the CA issues for its name. Certificates are resolved per handshake (not per request) and
//! cached; an uploaded certificate is re-read only when the domain's upload changes.
//!
//! A custom domain with `mutualTlsAuthentication` gets its own configuration (chosen from the
//! ClientHello's SNI before the handshake): a client certificate chaining to its truststore
//! is required, and a client without one, or with an untrusted one, is refused.

use std::collections::HashMap;
use std::hash::BuildHasher as _;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rustls::ServerConfig;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::engine::Gateway;
use crate::tls::{DevCa, TlsError};

/// Names the listener's own certificate covers when the dev CA issues it.
pub const LISTENER_NAMES: &[&str] = &["*.execute-api.localhost", "localhost", "127.0.0.1", "::1"];

/// Where the listener's certificate comes from.
pub enum ListenerCertificate {
    /// Certificate chain and key PEM files (`[server] tls_certificate`, `tls_private_key`).
    Files {
        certificate: std::path::PathBuf,
        private_key: std::path::PathBuf,
    },
    /// Issued by the local development CA in the data dir.
    DevCa,
}

/// The HTTPS listener's rustls configurations: one for every name without mutual TLS, one per
/// custom domain with it.
pub struct TlsConfigs {
    gw: Gateway,
    resolver: Arc<SniResolver>,
    default: Arc<ServerConfig>,
    /// Per mutual-TLS domain: the truststore's fingerprint and its configuration.
    mutual: Mutex<HashMap<String, Cached<ServerConfig>>>,
}

impl std::fmt::Debug for TlsConfigs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfigs").finish_non_exhaustive()
    }
}

impl TlsConfigs {
    /// The configuration for a ClientHello's server name. `None`: refuse the connection (a
    /// mutual-TLS domain whose stored truststore no longer parses).
    pub fn for_server_name(&self, server_name: Option<&str>) -> Option<Arc<ServerConfig>> {
        let Some(name) = server_name else {
            return Some(self.default.clone());
        };
        if name.ends_with(".execute-api.localhost") {
            return Some(self.default.clone());
        }
        let Some(domain) = self.gw.domain_tls(name) else {
            return Some(self.default.clone());
        };
        let Some(truststore) = domain.truststore else {
            return Some(self.default.clone());
        };
        let print = fingerprint(&truststore);
        let mut cache = self.mutual.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((p, config)) = cache.get(&domain.domain_name)
            && *p == print
        {
            return Some(config.clone());
        }
        let config = mutual_config(&truststore, self.resolver.clone()).ok()?;
        if cache.len() > 1024 {
            cache.clear();
        }
        cache.insert(domain.domain_name, (print, config.clone()));
        Some(config)
    }
}

fn base_config(
    verifier: Arc<dyn rustls::server::danger::ClientCertVerifier>,
    resolver: Arc<SniResolver>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let mut config = ServerConfig::builder_with_provider(crate::tls::provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Invalid(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A configuration requiring a client certificate that chains to `truststore` (PEM).
fn mutual_config(
    truststore: &str,
    resolver: Arc<SniResolver>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in crate::tls::pem::certificates(truststore)? {
        roots
            .add(cert)
            .map_err(|e| TlsError::Invalid(format!("truststore: {e}")))?;
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        crate::tls::provider(),
    )
    .build()
    .map_err(|e| TlsError::Invalid(format!("truststore: {e}")))?;
    base_config(verifier, resolver)
}

/// Builds the HTTPS listener's rustls configurations (TLS 1.2 and 1.3, ALPN h2 and
/// http/1.1). Everything is checked here: a bad file or a key that does not match fails
/// before anything listens.
pub fn server_config(
    gw: &Gateway,
    data_dir: &Path,
    source: ListenerCertificate,
) -> Result<Arc<TlsConfigs>, TlsError> {
    let ca = Arc::new(DevCa::load_or_create(data_dir)?);
    let default = match source {
        ListenerCertificate::Files {
            certificate,
            private_key,
        } => {
            let read = |p: &Path| {
                std::fs::read_to_string(p).map_err(|source| TlsError::Read {
                    path: p.to_path_buf(),
                    source,
                })
            };
            crate::tls::certified_key(&read(&certificate)?, &read(&private_key)?)
                .map_err(|e| TlsError::Invalid(format!("{}: {e}", certificate.display())))?
        }
        ListenerCertificate::DevCa => {
            let names: Vec<String> = LISTENER_NAMES.iter().map(|n| n.to_string()).collect();
            let issued = ca.issue_server(&names)?;
            crate::tls::certified_key(&issued.cert_pem, &issued.key_pem)?
        }
    };
    let resolver = Arc::new(SniResolver {
        gw: gw.clone(),
        ca,
        default,
        domains: Mutex::new(HashMap::new()),
    });
    let default = base_config(
        rustls::server::WebPkiClientVerifier::no_client_auth(),
        resolver.clone(),
    )?;
    Ok(Arc::new(TlsConfigs {
        gw: gw.clone(),
        resolver,
        default,
        mutual: Mutex::new(HashMap::new()),
    }))
}

/// A fingerprint of what a cached value was built from, and the value.
type Cached<T> = (u64, Arc<T>);

struct SniResolver {
    gw: Gateway,
    ca: Arc<DevCa>,
    default: Arc<CertifiedKey>,
    /// Per custom domain name (as stored, wildcards included). Bounded by the domain count.
    domains: Mutex<HashMap<String, Cached<CertifiedKey>>>,
}

impl std::fmt::Debug for SniResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SniResolver").finish_non_exhaustive()
    }
}

fn fingerprint(text: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(22).hash_one(text) | 1
}

impl SniResolver {
    fn for_domain(&self, server_name: &str) -> Option<Arc<CertifiedKey>> {
        let tls = self.gw.domain_tls(server_name)?;
        let (domain, uploaded) = (tls.domain_name, tls.certificate);
        let print = uploaded
            .as_ref()
            .map_or(0, |u| fingerprint(&u.certificate_body));
        let mut cache = self.domains.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((p, key)) = cache.get(&domain)
            && *p == print
        {
            return Some(key.clone());
        }
        let key = match &uploaded {
            // Checked at upload; a failure here would be a store edited by hand.
            Some(u) => {
                crate::tls::certified_key(&u.full_chain(), &u.certificate_private_key).ok()?
            }
            None => {
                let issued = self.ca.issue_server(std::slice::from_ref(&domain)).ok()?;
                crate::tls::certified_key(&issued.cert_pem, &issued.key_pem).ok()?
            }
        };
        // Domains deleted since are dropped when the cache outgrows the live set.
        if cache.len() > 1024 {
            cache.clear();
        }
        cache.insert(domain, (print, key.clone()));
        Some(key)
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let Some(name) = client_hello.server_name() else {
            return Some(self.default.clone());
        };
        if name.ends_with(".execute-api.localhost") || name == "localhost" {
            return Some(self.default.clone());
        }
        Some(
            self.for_domain(name)
                .unwrap_or_else(|| self.default.clone()),
        )
    }
}
