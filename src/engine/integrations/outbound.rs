//! Which outbound client an HTTP or HTTP_PROXY integration uses: the shared pooled client,
//! unless the stage has a `clientCertificateId` (a client presenting that certificate: mTLS
//! to the backend) or the integration's `tlsConfig.insecureSkipVerification` is set (a client
//! that accepts any backend certificate). Those clients are built once per (certificate,
//! verification) and kept behind an atomic swap: the request path only loads a pointer.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwap;

use crate::engine::Gateway;
use crate::engine::error::GatewayError;

type Key = (Option<String>, bool);

#[derive(Default)]
pub(crate) struct Outbound {
    clients: ArcSwap<HashMap<Key, reqwest::Client>>,
    /// Serialises building: two requests missing the same client build it once.
    building: std::sync::Mutex<()>,
    insecure: OnceLock<reqwest::Client>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound").finish_non_exhaustive()
    }
}

/// The client for a stage's certificate and an integration's verification setting; `None`:
/// the shared client.
pub(crate) fn select(
    gw: &Gateway,
    client_certificate_id: Option<&str>,
    insecure_skip_verification: bool,
) -> Result<Option<reqwest::Client>, GatewayError> {
    let outbound = &gw.inner.outbound;
    match client_certificate_id {
        None if !insecure_skip_verification => Ok(None),
        None => {
            if let Some(c) = outbound.insecure.get() {
                return Ok(Some(c.clone()));
            }
            let built = builder(true).build().map_err(build_error)?;
            Ok(Some(outbound.insecure.get_or_init(|| built).clone()))
        }
        Some(id) => {
            let key: Key = (Some(id.to_string()), insecure_skip_verification);
            if let Some(c) = outbound.clients.load().get(&key) {
                return Ok(Some(c.clone()));
            }
            let _guard = outbound.building.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(c) = outbound.clients.load().get(&key) {
                return Ok(Some(c.clone()));
            }
            let (cert, key_pem) =
                gw.client_certificate_key(id)
                    .ok_or_else(|| GatewayError::Configuration {
                        reason: format!("Invalid client certificate identifier specified: {id}"),
                    })?;
            let identity = reqwest::Identity::from_pem(format!("{cert}\n{key_pem}").as_bytes())
                .map_err(build_error)?;
            let client = builder(insecure_skip_verification)
                .identity(identity)
                .build()
                .map_err(build_error)?;
            let mut next = HashMap::clone(&outbound.clients.load());
            next.insert(key, client.clone());
            outbound.clients.store(Arc::new(next));
            Ok(Some(client))
        }
    }
}

/// Drops the clients of a deleted client certificate.
pub(crate) fn forget(gw: &Gateway, client_certificate_id: &str) {
    let outbound = &gw.inner.outbound;
    let _guard = outbound.building.lock().unwrap_or_else(|e| e.into_inner());
    let mut next = HashMap::clone(&outbound.clients.load());
    next.retain(|(id, _), _| id.as_deref() != Some(client_certificate_id));
    outbound.clients.store(Arc::new(next));
}

fn builder(insecure_skip_verification: bool) -> reqwest::ClientBuilder {
    super::http::client_builder().tls_danger_accept_invalid_certs(insecure_skip_verification)
}

fn build_error(e: reqwest::Error) -> GatewayError {
    GatewayError::Configuration {
        reason: format!("cannot build the integration's TLS client: {e}"),
    }
}
