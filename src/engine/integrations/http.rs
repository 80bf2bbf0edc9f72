//! HTTP and HTTP_PROXY integrations: the one outbound entry point, [`send`]. `http://`
//! upstreams are spoken to directly over HTTP/1.1 on the request's own task with a per-thread
//! connection pool ([`pool`]); `https://` (TLS, HTTP/2 by ALPN) goes through the gateway's one
//! pooled `reqwest` client.

mod pool;

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method};

use crate::engine::context::MAX_BODY_BYTES;
use crate::engine::error::GatewayError;

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

/// Whether `url` is an endpoint an HTTP integration can call: an `http` or `https` URL with a
/// host, as `Url::parse` reads it. An `http://` URL is answered from this thread's cache of
/// parsed targets ([`pool::Target::cached`], which `send` then finds): no parse per request.
pub fn is_endpoint(url: &str) -> bool {
    if pool::Target::cached(url).is_some() {
        return true;
    }
    reqwest::Url::parse(url)
        .is_ok_and(|p| matches!(p.scheme(), "http" | "https") && p.host_str().is_some())
}

/// Sends one request. Timeout → INTEGRATION_TIMEOUT; connection or protocol failure →
/// INTEGRATION_FAILURE. One `timeout` bounds the whole exchange: connecting, sending and
/// reading the body (a peer that trickles bytes forever included).
#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` stores its by-value arguments twice in its future (docs/PERFORMANCE.md, \"Data plane, round 5\")"
)]
pub fn send(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    headers: HeaderMap,
    body: Bytes,
    timeout: Duration,
) -> impl Future<Output = Result<(u16, HeaderMap, Bytes), GatewayError>> + Send {
    async move {
        if method != Method::CONNECT
            && let Some(target) = pool::Target::cached(url)
        {
            // The deadline is the pooled connection's own timer, not a new one per request
            // (pool.rs, module docs).
            let now = tokio::time::Instant::now();
            let deadline = now
                .checked_add(timeout)
                .unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600));
            return match pool::send(&target, method, headers, body, deadline).await {
                Ok(response) => Ok(response),
                Err(pool::Failure::Network) => Err(GatewayError::IntegrationFailure),
                Err(pool::Failure::TooLarge) => Err(too_large()),
                Err(pool::Failure::Timeout) => Err(GatewayError::IntegrationTimeout),
            };
        }
        // Boxed: reqwest's futures are large, a future is as large as its largest state, and
        // every request's future is moved whole (docs/PERFORMANCE.md, "Data plane, round 4").
        Box::pin(send_reqwest(client, method, url, headers, body, timeout)).await
    }
}

/// [`send`] through the pooled `reqwest` client (`https://`, and what the direct path does
/// not take).
async fn send_reqwest(
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
        // A body that arrives in one chunk is returned as it came, without a copy.
        let mut first: Option<Bytes> = None;
        let mut more: Option<Vec<u8>> = None;
        let mut held = 0;
        while let Some(chunk) = response.chunk().await.map_err(map_error)? {
            held += chunk.len();
            if held > MAX_BODY_BYTES {
                return Err(too_large());
            }
            if let Some(buf) = more.as_mut() {
                buf.extend_from_slice(&chunk);
            } else if let Some(head) = first.take() {
                let mut buf = Vec::with_capacity(held);
                buf.extend_from_slice(&head);
                buf.extend_from_slice(&chunk);
                more = Some(buf);
            } else {
                first = Some(chunk);
            }
        }
        Ok((
            status,
            headers,
            more.map_or_else(|| first.unwrap_or_default(), Bytes::from),
        ))
    };
    // The request-level timeout covers the body too; this outer bound also catches a peer
    // that trickles bytes forever.
    match tokio::time::timeout(timeout, fut).await {
        Ok(result) => result,
        Err(_) => Err(GatewayError::IntegrationTimeout),
    }
}

fn too_large() -> GatewayError {
    GatewayError::Configuration {
        reason: "Integration response body exceeds 10485760 bytes".into(),
    }
}

fn map_error(e: reqwest::Error) -> GatewayError {
    if e.is_timeout() {
        GatewayError::IntegrationTimeout
    } else {
        GatewayError::IntegrationFailure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The proxied request's future holds `send`'s, and each layer that builds a future and
    /// awaits it moves it whole (docs/PERFORMANCE.md, "Data plane, session 10"): its size is
    /// a cost per request.
    #[test]
    fn the_send_future_stays_small() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let Ok(client) = build_client() else {
            panic!("client");
        };
        let url = "http://127.0.0.1:9/x";
        let future = send(
            &client,
            Method::GET,
            url,
            HeaderMap::new(),
            Bytes::new(),
            Duration::from_secs(1),
        );
        let Some(target) = pool::Target::cached(url) else {
            panic!("target");
        };
        let exchange = pool::send(
            &target,
            Method::GET,
            HeaderMap::new(),
            Bytes::new(),
            tokio::time::Instant::now(),
        );
        let (send_size, exchange_size) = (size_of_val(&future), size_of_val(&exchange));
        eprintln!("http::send {send_size}, pool::send {exchange_size}");
        assert!(
            send_size <= SEND_MAX,
            "http::send's future is {send_size} bytes"
        );
        assert!(exchange_size < send_size);
    }
    /// 1,736 bytes (`pool::send`'s 1,504) in session 10: a little room, not another large
    /// state.
    const SEND_MAX: usize = 1_856;

    /// `is_endpoint` answers what the `Url::parse` check it replaced answered, from the
    /// per-thread cache or not.
    #[test]
    fn endpoints_are_http_or_https_urls_with_a_host() {
        let parsed = |url: &str| {
            reqwest::Url::parse(url)
                .is_ok_and(|p| matches!(p.scheme(), "http" | "https") && p.host_str().is_some())
        };
        let urls = [
            "http://127.0.0.1:8080/a?x=1",
            "HTTP://Example.COM:80/x/../y z",
            "https://example.com/",
            "http://user:pw@example.com/",
            "http://[::1]:9000/",
            "ftp://example.com/",
            "file:///tmp/x",
            "mailto:someone@example.com",
            "not a url",
            "http://",
            "",
        ];
        for url in urls {
            // Twice: the second answer may come from the cache.
            assert_eq!(is_endpoint(url), parsed(url), "{url}");
            assert_eq!(is_endpoint(url), parsed(url), "{url} (again)");
        }
    }
}
