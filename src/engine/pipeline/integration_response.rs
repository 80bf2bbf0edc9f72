//! Phase 9, integration response (execution.md §11): proxy passthrough, or selection by
//! pattern, parameter mappings, template and method response.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::{InvokeResponse, RequestContext};
use crate::engine::Gateway;
use crate::engine::compiled::CompiledResponse;
use crate::engine::error::GatewayError;
use crate::engine::integrations::RawResponse;

pub fn run(_gw: &Gateway, ctx: &mut RequestContext<'_>, raw: RawResponse) -> Result<InvokeResponse, GatewayError> {
    if raw.proxy {
        return Ok(proxy_response(raw));
    }
    let integration = ctx
        .method()
        .and_then(|m| m.integration.as_ref())
        .ok_or_else(|| GatewayError::Configuration { reason: "No integration defined for method".into() })?;
    let selected = match (ctx.integration_selection.as_deref(), raw.status) {
        // Lambda (non-proxy): selected by the function's errorMessage, "" on success.
        (Some(selection), _) => integration.select_response(selection),
        (None, Some(code)) => integration.select_response(&code.to_string()),
        (None, None) => integration.default_response.as_ref(),
    };
    let no_match = || GatewayError::Configuration {
        reason: format!(
            "No match for output mapping and no default output mapping configured. Endpoint Response Status Code: {}",
            raw.status.map(|s| s.to_string()).unwrap_or_else(|| "200".into())
        ),
    };
    let selected = selected.ok_or_else(no_match)?;
    let status = selected
        .status_code
        .parse::<u16>()
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| GatewayError::Configuration { reason: format!("Invalid status code {}", selected.status_code) })?;

    let mut headers = HeaderMap::new();
    for (target, source) in &selected.response_parameters {
        let Some(name) = target.strip_prefix("method.response.header.") else { continue };
        let Some(value) = response_source(ctx, &raw, source) else { continue };
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
            headers.insert(n, v);
        }
    }
    let body = match choose_response_template(ctx, selected) {
        Some(t) => Bytes::from(t.to_string()),
        None => raw.body.clone(),
    };
    if !headers.contains_key(http::header::CONTENT_TYPE) {
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    Ok(InvokeResponse { status, headers, body })
}

/// Response template by the first `Accept` MIME (missing → `application/json`); no match →
/// the `application/json` template, else the first; none → passthrough.
fn choose_response_template<'r>(ctx: &RequestContext<'_>, selected: &'r CompiledResponse) -> Option<&'r str> {
    if selected.response_templates.is_empty() {
        return None;
    }
    let accept = ctx
        .header("accept")
        .and_then(|a| a.split(',').next())
        .and_then(|a| a.split(';').next())
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| !a.is_empty() && a != "*/*")
        .unwrap_or_else(|| "application/json".into());
    let find = |mime: &str| selected.response_templates.iter().find(|(ct, _)| ct == mime);
    find(&accept)
        .or_else(|| find("application/json"))
        .or_else(|| selected.response_templates.first())
        .map(|(_, t)| t.source())
}

/// Evaluates a response-parameter source (mapping.md §8).
fn response_source(ctx: &RequestContext<'_>, raw: &RawResponse, source: &str) -> Option<String> {
    if let Some(h) = source.strip_prefix("integration.response.header.") {
        return raw.headers.get(h).and_then(|v| v.to_str().ok()).map(str::to_string);
    }
    if let Some(h) = source.strip_prefix("integration.response.multivalueheader.") {
        let all: Vec<&str> = raw.headers.get_all(h).iter().filter_map(|v| v.to_str().ok()).collect();
        return (!all.is_empty()).then(|| all.join(","));
    }
    if source == "integration.response.body" {
        return Some(String::from_utf8_lossy(&raw.body).into_owned());
    }
    super::integration_request::eval_source(ctx, source)
}

/// HTTP_PROXY: backend status, headers (after the response rules of execution.md §9.5) and
/// body.
fn proxy_response(raw: RawResponse) -> InvokeResponse {
    let status = raw.status.and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
    let mut headers = HeaderMap::new();
    for (name, value) in &raw.headers {
        match name.as_str() {
            "connection" | "keep-alive" | "expect" | "host" | "proxy-authenticate" | "te" | "trailer"
            | "upgrade" | "transfer-encoding" | "via" | "content-length" => {}
            "authorization" | "content-md5" | "date" | "max-forwards" | "server" | "user-agent"
            | "www-authenticate" => {
                if let Ok(n) = HeaderName::from_bytes(format!("x-amzn-remapped-{}", name.as_str()).as_bytes()) {
                    headers.append(n, value.clone());
                }
            }
            _ => {
                headers.append(name.clone(), value.clone());
            }
        }
    }
    InvokeResponse { status, headers, body: raw.body }
}
