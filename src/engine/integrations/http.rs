//! HTTP and HTTP_PROXY integrations over the gateway's one pooled `reqwest` client.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method};

use crate::engine::error::GatewayError;
use crate::engine::pipeline::MAX_BODY_BYTES;

/// Builds the shared client: no proxy from the environment, no redirects (API Gateway passes
/// 3xx through), no decompression (bodies pass byte-exact), pooled keep-alive connections.
pub fn build_client() -> Result<reqwest::Client, reqwest::Error> {
    client_builder().build()
}

/// The shared client's settings, for the per-stage TLS clients of `outbound` too.
pub(crate) fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .tcp_nodelay(true)
}

/// Sends one request. Timeout → INTEGRATION_TIMEOUT; connection or protocol failure →
/// INTEGRATION_FAILURE.
pub async fn send(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    headers: HeaderMap,
    body: Bytes,
    timeout: Duration,
) -> Result<(u16, HeaderMap, Bytes), GatewayError> {
    let request = client
        .request(method, url)
        .headers(headers)
        .body(body)
        .timeout(timeout);
    let fut = async {
        let mut response = request.send().await.map_err(map_error)?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let mut buf = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(map_error)? {
            if buf.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(GatewayError::Configuration {
                    reason: "Integration response body exceeds 10485760 bytes".into(),
                });
            }
            buf.extend_from_slice(&chunk);
        }
        Ok((status, headers, Bytes::from(buf)))
    };
    // The request-level timeout covers the body too; this outer bound also catches a peer
    // that trickles bytes forever.
    match tokio::time::timeout(timeout, fut).await {
        Ok(result) => result,
        Err(_) => Err(GatewayError::IntegrationTimeout),
    }
}

fn map_error(e: reqwest::Error) -> GatewayError {
    if e.is_timeout() {
        GatewayError::IntegrationTimeout
    } else {
        GatewayError::IntegrationFailure
    }
}
