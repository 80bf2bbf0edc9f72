//! Phase 8, the integration call: MOCK in process, HTTP and HTTP_PROXY through the one pooled
//! client, each bounded by the integration's `timeoutInMillis`.

pub mod aws;
pub mod http;
pub mod lambda;
pub(crate) mod outbound;

use std::time::Instant;

use ::http::{HeaderMap, Method};
use bytes::Bytes;

use super::Gateway;
use super::context::RequestContext;
use super::error::GatewayError;

/// What the integration phase will execute (prepared by the integration-request phase).
#[derive(Debug)]
pub enum Prepared {
    /// MOCK: the status code the request template chose (`None`: use the default response).
    Mock { status: Option<u16> },
    /// HTTP or HTTP_PROXY.
    Http {
        method: Method,
        url: String,
        headers: HeaderMap,
        body: Bytes,
        proxy: bool,
    },
    /// AWS or AWS_PROXY with a Lambda target: the function, its qualifier and the event.
    Lambda {
        function: String,
        qualifier: Option<String>,
        payload: Bytes,
        proxy: bool,
    },
}

/// What came back from the integration, before integration-response processing.
#[derive(Debug)]
pub struct RawResponse {
    /// `None` for a MOCK without a request template: the default response is used.
    pub status: Option<u16>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub proxy: bool,
}

#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` stores its by-value arguments twice in its future (docs/PERFORMANCE.md, \"Data plane, round 5\")"
)]
pub fn call(
    gw: &Gateway,
    ctx: &mut RequestContext<'_>,
    prepared: Prepared,
) -> impl Future<Output = Result<RawResponse, GatewayError>> + Send {
    async move {
        match prepared {
            Prepared::Mock { status } => Ok(RawResponse {
                status,
                headers: HeaderMap::new(),
                body: Bytes::new(),
                proxy: false,
            }),
            Prepared::Http {
                method,
                url,
                headers,
                body,
                proxy,
            } => {
                let integration = ctx.method().and_then(|m| m.integration.as_ref());
                let timeout = integration
                    .map(|i| i.timeout)
                    .unwrap_or(std::time::Duration::from_millis(29_000));
                let chosen = outbound::select(
                    gw,
                    ctx.live
                        .as_ref()
                        .and_then(|l| l.stage.client_certificate_id.as_deref()),
                    integration.is_some_and(|i| i.insecure_skip_verification),
                )?;
                let client = chosen.as_ref().unwrap_or(&gw.inner.http);
                let started = Instant::now();
                let result = http::send(client, method, &url, headers, body, timeout).await;
                ctx.integration_latency = Some(started.elapsed());
                let (status, headers, body) = result?;
                ctx.integration_status = Some(status);
                Ok(RawResponse {
                    status: Some(status),
                    headers,
                    body,
                    proxy,
                })
            }
            Prepared::Lambda {
                function,
                qualifier,
                payload,
                proxy,
            } => {
                let timeout = ctx
                    .method()
                    .and_then(|m| m.integration.as_ref())
                    .map(|i| i.timeout)
                    .unwrap_or(std::time::Duration::from_millis(29_000));
                // Boxed: a future is as large as its largest state, and every request's future
                // is moved whole (docs/PERFORMANCE.md, "Data plane, round 4").
                Box::pin(lambda::call(
                    gw,
                    ctx,
                    &function,
                    qualifier.as_deref(),
                    payload,
                    proxy,
                    timeout,
                ))
                .await
            }
        }
    }
}
