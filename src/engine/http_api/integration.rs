//! Phase integration: Lambda (AWS_PROXY, payload format 2.0 or 1.0) or HTTP_PROXY (the
//! request forwarded with the integration's parameter mappings; the response passed back
//! through its response mappings). Lambda errors and malformed responses are 500; a timeout
//! is 503.

use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};

use super::HttpContext;
use super::event;
use super::live::{Backend, CompiledIntegration, lambda_target};
use super::mapping::{self, MappedRequest};
use super::respond::HttpError;
use crate::engine::Gateway;
use crate::engine::context::InvokeResponse;
use crate::engine::error::GatewayError;
use crate::engine::functions::InvokeError;
use crate::model::v2::RouteKey;

const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
];

pub async fn run(gw: &Gateway, ctx: &mut HttpContext<'_>) -> Result<InvokeResponse, HttpError> {
    let integration = ctx
        .route()
        .and_then(|r| r.integration.clone())
        .ok_or_else(|| HttpError::Internal("The route has no integration".into()))?;
    let (status, mut headers, body) = match &integration.backend {
        // Lambda and AWS service integrations are boxed: a future is as large as its largest
        // state, and hyper moves every request's future whole, so their states would make each
        // HTTP proxy request copy them too (docs/PERFORMANCE.md, "Data plane, round 5").
        Backend::Lambda { uri, version_2 } => {
            Box::pin(lambda(gw, ctx, &integration, uri, *version_2)).await?
        }
        Backend::Http { uri, method } => {
            http_proxy(gw, ctx, &integration, uri, method.clone()).await?
        }
        Backend::Service { subtype, params } => {
            Box::pin(super::integration_subtype::call(
                gw,
                ctx,
                &integration,
                subtype,
                params,
            ))
            .await?
        }
    };
    let status = mapping::apply_response(ctx, &integration.response, status, &mut headers, &body);
    for h in HOP_BY_HOP {
        headers.remove(*h);
    }
    Ok(InvokeResponse {
        status: http::StatusCode::from_u16(status)
            .map_err(|_| HttpError::Internal(format!("invalid status {status}")))?,
        headers,
        body,
    })
}

async fn lambda(
    gw: &Gateway,
    ctx: &mut HttpContext<'_>,
    integration: &CompiledIntegration,
    uri: &str,
    version_2: bool,
) -> Result<(u16, HeaderMap, Bytes), HttpError> {
    let (name, qualifier) = lambda_target(uri, &ctx.stage.variables)
        .ok_or_else(|| HttpError::Internal(format!("Invalid Lambda function ARN {uri}")))?;
    let event = if version_2 {
        event::event_v2(ctx)
    } else {
        event::event_v1(ctx)
    };
    let payload = serde_json::to_vec(&event)
        .map_err(|e| HttpError::Internal(format!("cannot serialise the event: {e}")))?;
    let started = Instant::now();
    let outcome = tokio::time::timeout(
        integration.timeout,
        gw.inner
            .functions
            .invoke(&name, qualifier.as_deref(), Bytes::from(payload), None),
    )
    .await;
    ctx.integration_latency = Some(started.elapsed());
    let invocation = match outcome {
        Err(_) => {
            return Err(HttpError::ServiceUnavailable(
                "Integration timed out".into(),
            ));
        }
        Ok(Err(InvokeError::NotFound(n))) => {
            return Err(HttpError::Internal(format!(
                "Lambda function not found: {n}"
            )));
        }
        Ok(Err(InvokeError::Failed(reason))) => {
            return Err(HttpError::Internal(format!(
                "Lambda invocation failed: {reason}"
            )));
        }
        // A full queue: Lambda's TooManyRequestsException, which API Gateway answers with a 500.
        Ok(Err(InvokeError::Throttled)) => {
            return Err(HttpError::Internal(format!(
                "Lambda invocation failed: {}",
                InvokeError::Throttled
            )));
        }
        Ok(Ok(inv)) => inv,
    };
    ctx.integration_status = Some(200);
    if let Some(kind) = &invocation.function_error {
        return Err(HttpError::Internal(format!(
            "Lambda function error ({kind}): {}",
            String::from_utf8_lossy(&invocation.payload[..invocation.payload.len().min(1024)])
        )));
    }
    if version_2 {
        event::parse_response_v2(&invocation.payload)
    } else {
        event::parse_response_v1(&invocation.payload)
    }
}

/// The backend URL: stage variables substituted, `{name}` placeholders filled from the path
/// parameters (greedy values unescaped, as sent), and for the `$default` route the request
/// path appended.
fn backend_url(ctx: &HttpContext<'_>, uri: &str) -> String {
    let mut url = crate::engine::params::substitute_stage_variables(uri, &ctx.stage.variables);
    for (name, value) in ctx.path_params() {
        for placeholder in [format!("{{{name}+}}"), format!("{{{name}}}")] {
            if url.contains(&placeholder) {
                let encoded: String = value
                    .split('/')
                    .map(|s| percent_encoding::utf8_percent_encode(s, PATH_SEGMENT).to_string())
                    .collect::<Vec<_>>()
                    .join("/");
                url = url.replace(&placeholder, &encoded);
            }
        }
    }
    if ctx.route().is_some_and(|r| r.key == RouteKey::Default) {
        let (base, _) = split_url(&url);
        let path = base.trim_end_matches('/');
        url = format!("{path}{}", ctx.path);
    }
    url
}

const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `(url without query, query)`.
fn split_url(url: &str) -> (&str, Option<&str>) {
    match url.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (url, None),
    }
}

/// Replaces the path of `url` (scheme://authority/path).
fn with_path(url: &str, path: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let path_start = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    format!("{}{path}", &url[..path_start])
}

async fn http_proxy(
    gw: &Gateway,
    ctx: &mut HttpContext<'_>,
    integration: &CompiledIntegration,
    uri: &str,
    method: Option<http::Method>,
) -> Result<(u16, HeaderMap, Bytes), HttpError> {
    let url = backend_url(ctx, uri);
    let (base, uri_query) = split_url(&url);
    let mut headers = HeaderMap::new();
    for (name, value) in &ctx.req.headers {
        if name == http::header::HOST || HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        if name.as_str().starts_with("x-forwarded-") {
            continue;
        }
        headers.append(name.clone(), value.clone());
    }
    let forwarded = format!(
        "by={};for={};host={};proto=http",
        ctx.domain_name(),
        ctx.req.source_ip,
        ctx.header("host").unwrap_or_default()
    );
    if let Ok(v) = HeaderValue::from_str(&forwarded) {
        headers.append("forwarded", v);
    }
    let mut query: Vec<(String, String)> = crate::engine::params::parse_query(uri_query);
    query.extend(ctx.query.iter().cloned());
    let mapped = if integration.request.is_empty() {
        MappedRequest {
            headers,
            query,
            path: None,
        }
    } else {
        mapping::apply_request(
            ctx,
            &integration.request,
            MappedRequest {
                headers,
                query,
                path: None,
            },
        )
    };
    let mut target = match &mapped.path {
        Some(p) => with_path(base, p),
        None => base.to_string(),
    };
    if !mapped.query.is_empty() {
        target.push('?');
        let q: Vec<String> = mapped
            .query
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    percent_encoding::utf8_percent_encode(k, QUERY),
                    percent_encoding::utf8_percent_encode(v, QUERY)
                )
            })
            .collect();
        target.push_str(&q.join("&"));
    }
    let request = Outbound {
        method: method.unwrap_or_else(|| ctx.req.method.clone()),
        url: &target,
        headers: mapped.headers,
        body: ctx.req.body.clone(),
    };
    send(gw, ctx, integration, request, &target).await
}

/// A request to a backend (HTTP proxy, or an AWS service action).
pub struct Outbound<'u> {
    pub method: http::Method,
    pub url: &'u str,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Sends `request` with the integration's timeout through the shared client and records the
/// integration latency and status; a timeout is 503, any other failure 500 (`what` names
/// the backend in the reason).
pub async fn send(
    gw: &Gateway,
    ctx: &mut HttpContext<'_>,
    integration: &CompiledIntegration,
    request: Outbound<'_>,
    what: &str,
) -> Result<(u16, HeaderMap, Bytes), HttpError> {
    let started = Instant::now();
    let result = crate::engine::integrations::http::send(
        &gw.inner.http,
        request.method,
        request.url,
        request.headers,
        request.body,
        integration.timeout,
    )
    .await;
    ctx.integration_latency = Some(started.elapsed());
    match result {
        Ok((status, headers, body)) => {
            ctx.integration_status = Some(status);
            Ok((status, headers, body))
        }
        Err(GatewayError::IntegrationTimeout) => Err(HttpError::ServiceUnavailable(format!(
            "Integration timed out calling {what}"
        ))),
        Err(e) => Err(HttpError::Internal(format!(
            "Calling {what} failed: {}",
            e.log_reason().unwrap_or_else(|| "network error".into())
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_replace() {
        assert_eq!(with_path("http://h:1/a/b", "/x"), "http://h:1/x");
        assert_eq!(with_path("http://h:1", "y"), "http://h:1/y");
    }
}
