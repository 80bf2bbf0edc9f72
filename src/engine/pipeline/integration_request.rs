//! Phase 7, integration request (execution.md §9): parameter mappings, template selection and
//! passthrough rules, and the request the integration will send.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};

use super::RequestContext;
use crate::engine::Gateway;
use crate::engine::compiled::CompiledIntegration;
use crate::engine::error::GatewayError;
use crate::engine::params::{fill_path_placeholders, query_encode, substitute_stage_variables};
use crate::engine::template::CompiledTemplate;
use crate::model::{IntegrationType, PassthroughBehavior};

/// What the integration phase will execute.
#[derive(Debug)]
pub enum Prepared {
    /// MOCK: the status code the request template chose (`None`: use the default response).
    Mock { status: Option<u16> },
    /// HTTP or HTTP_PROXY.
    Http { method: Method, url: String, headers: HeaderMap, body: Bytes, proxy: bool },
}

pub fn run(_gw: &Gateway, ctx: &mut RequestContext<'_>) -> Result<Prepared, GatewayError> {
    let integration = ctx
        .method()
        .and_then(|m| m.integration.as_ref())
        .ok_or_else(|| GatewayError::Configuration { reason: "No integration defined for method".into() })?;
    match integration.kind {
        IntegrationType::Mock => prepare_mock(ctx, integration),
        IntegrationType::Http => prepare_http(ctx, integration, false),
        IntegrationType::HttpProxy => prepare_http(ctx, integration, true),
        IntegrationType::Aws | IntegrationType::AwsProxy => Err(GatewayError::Configuration {
            reason: "Invalid endpoint address: no function is registered for this integration URI".into(),
        }),
    }
}

/// The request's MIME type for template lookup: `Content-Type` without parameters, lowercased;
/// missing means `application/json` (model.md §5.3).
pub fn request_mime(ctx: &RequestContext<'_>) -> String {
    ctx.header("content-type")
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "application/json".to_string())
}

/// Template choice under the passthrough behaviour. `Ok(Some(t))`: transform with `t`;
/// `Ok(None)`: pass the body through; `Err`: 415.
fn choose_template<'i>(
    ctx: &RequestContext<'_>,
    integration: &'i CompiledIntegration,
) -> Result<Option<&'i CompiledTemplate>, GatewayError> {
    let mime = request_mime(ctx);
    if let Some((_, t)) = integration.request_templates.iter().find(|(ct, _)| *ct == mime) {
        return Ok(Some(t));
    }
    let has_templates = !integration.request_templates.is_empty();
    match (integration.passthrough, has_templates) {
        (PassthroughBehavior::WhenNoMatch, _) => Ok(None),
        (PassthroughBehavior::WhenNoTemplates, false) => Ok(None),
        (PassthroughBehavior::WhenNoTemplates, true) | (PassthroughBehavior::Never, _) => {
            Err(GatewayError::UnsupportedMediaType)
        }
    }
}

fn prepare_mock(ctx: &RequestContext<'_>, integration: &CompiledIntegration) -> Result<Prepared, GatewayError> {
    let Some(template) = choose_template(ctx, integration)? else {
        return Ok(Prepared::Mock { status: None });
    };
    let rendered = template.source();
    let status = parse_mock_status(rendered).ok_or_else(|| GatewayError::Configuration {
        reason: "Unable to parse statusCode. It should be an integer that is defined in the request template.".into(),
    })?;
    Ok(Prepared::Mock { status: Some(status) })
}

/// Reads `statusCode` from a rendered MOCK request template (an integer, or a string holding
/// one).
pub fn parse_mock_status(rendered: &str) -> Option<u16> {
    let value: serde_json::Value = serde_json::from_str(rendered).ok()?;
    match value.get("statusCode")? {
        serde_json::Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Evaluates a request-parameter source expression (model.md §5.2).
pub fn eval_source(ctx: &RequestContext<'_>, expr: &str) -> Option<String> {
    if let Some(lit) = expr.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')) {
        return Some(lit.to_string());
    }
    if let Some(p) = expr.strip_prefix("method.request.path.") {
        return ctx.path_param(p).map(str::to_string);
    }
    if let Some(q) = expr.strip_prefix("method.request.querystring.") {
        return ctx.query_param(q).map(str::to_string);
    }
    if let Some(q) = expr.strip_prefix("method.request.multivaluequerystring.") {
        let all: Vec<&str> = ctx.query.iter().filter(|(n, _)| n == q).map(|(_, v)| v.as_str()).collect();
        return (!all.is_empty()).then(|| all.join(","));
    }
    if let Some(h) = expr.strip_prefix("method.request.header.") {
        return ctx.header(h).map(str::to_string);
    }
    if let Some(h) = expr.strip_prefix("method.request.multivalueheader.") {
        let all: Vec<&str> = ctx.req.headers.get_all(h).iter().filter_map(|v| v.to_str().ok()).collect();
        return (!all.is_empty()).then(|| all.join(","));
    }
    if expr == "method.request.body" {
        return Some(String::from_utf8_lossy(&ctx.req.body).into_owned());
    }
    if let Some(v) = expr.strip_prefix("stageVariables.") {
        return ctx.stage_variables.get(v).cloned();
    }
    if let Some(c) = expr.strip_prefix("context.") {
        return super::respond::context_value(ctx, c);
    }
    None
}

fn prepare_http(
    ctx: &RequestContext<'_>,
    integration: &CompiledIntegration,
    proxy: bool,
) -> Result<Prepared, GatewayError> {
    let invalid = || GatewayError::Configuration { reason: "Invalid endpoint address".into() };
    let uri = integration.uri.as_deref().ok_or_else(invalid)?;
    let uri = substitute_stage_variables(uri, &ctx.stage_variables);

    // Mapped parameters: integration.request.{path|querystring|header}.NAME.
    let mut path_map: Vec<(&str, String)> = Vec::new();
    let mut query_map: Vec<(&str, String)> = Vec::new();
    let mut header_map: Vec<(&str, String)> = Vec::new();
    for (target, source) in &integration.request_parameters {
        let Some(value) = eval_source(ctx, source) else { continue };
        if let Some(n) = target.strip_prefix("integration.request.path.") {
            path_map.push((n, value));
        } else if let Some(n) = target.strip_prefix("integration.request.querystring.") {
            query_map.push((n, value));
        } else if let Some(n) = target.strip_prefix("integration.request.header.") {
            header_map.push((n, value));
        }
    }

    let mut url = fill_path_placeholders(&uri, |name| {
        path_map
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            // A proxy resource's `{proxy}` is filled from the same-named path parameter even
            // without the explicit mapping the AWS console would add (docs/ARCHITECTURE.md).
            .or_else(|| if proxy { ctx.path_param(name).map(str::to_string) } else { None })
    });
    let parsed = reqwest::Url::parse(&url).map_err(|_| invalid())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(invalid());
    }

    let mut query_parts: Vec<String> = Vec::new();
    if proxy && let Some(q) = ctx.req.query.as_deref().filter(|q| !q.is_empty()) {
        query_parts.push(q.to_string());
    }
    for (name, value) in &query_map {
        query_parts.push(format!("{}={}", query_encode(name), query_encode(value)));
    }
    if !query_parts.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&query_parts.join("&"));
    }

    let verb = match integration.http_method.as_deref() {
        Some(v) if !(proxy && v.eq_ignore_ascii_case("ANY")) => v.to_ascii_uppercase(),
        _ => ctx.req.method.as_str().to_string(),
    };
    let method = Method::from_bytes(verb.as_bytes()).map_err(|_| invalid())?;

    let mut headers = HeaderMap::new();
    if proxy {
        // A SigV4 `Authorization` (or any, on an AWS_IAM method) is not forwarded.
        let iam = ctx.method().is_some_and(|m| m.method.authorization_type == crate::model::AuthorizationType::AwsIam);
        for (name, value) in &ctx.req.headers {
            let sigv4 = name == http::header::AUTHORIZATION && (iam || value.as_bytes().starts_with(b"AWS4-HMAC-SHA256"));
            if !sigv4 && !drop_proxy_request_header(name) {
                headers.append(name.clone(), value.clone());
            }
        }
        let client_ip = ctx.identity.source_ip.as_str();
        let xff = match ctx.header("x-forwarded-for") {
            Some(prev) => format!("{prev}, {client_ip}"),
            None => client_ip.to_string(),
        };
        if let Ok(v) = HeaderValue::from_str(&xff) {
            headers.insert("x-forwarded-for", v);
        }
        headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
        if let Some(port) = ctx.header("host").and_then(|h| h.rsplit_once(':')).map(|(_, p)| p.to_string())
            && let Ok(v) = HeaderValue::from_str(&port)
        {
            headers.insert("x-forwarded-port", v);
        }
    } else {
        if let Some(ct) = ctx.req.headers.get(http::header::CONTENT_TYPE) {
            headers.insert(http::header::CONTENT_TYPE, ct.clone());
        }
        headers.insert(http::header::ACCEPT, HeaderValue::from_static("application/json"));
    }
    for (name, value) in header_map {
        let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) else {
            continue;
        };
        if forbidden_mapped_header(&n) {
            return Err(GatewayError::Configuration { reason: format!("{name} header already present") });
        }
        headers.insert(n, v);
    }

    let body = if proxy {
        ctx.req.body.clone()
    } else {
        match choose_template(ctx, integration)? {
            Some(t) => Bytes::from(t.source().to_string()),
            None => ctx.req.body.clone(),
        }
    };
    Ok(Prepared::Http { method, url, headers, body, proxy })
}

/// Request headers HTTP_PROXY does not forward (execution.md §9.5): hop-by-hop headers,
/// `Host` (rewritten to the integration host) and the ones AWS drops.
fn drop_proxy_request_header(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "host"
            | "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "expect"
            | "max-forwards"
            | "content-md5"
            | "content-length"
            | "content-encoding"
            | "via"
            | "x-forwarded-for"
    )
}

/// Headers a mapping may not set (execution.md §9.5).
fn forbidden_mapped_header(name: &HeaderName) -> bool {
    matches!(name.as_str(), "content-length" | "transfer-encoding" | "x-amzn-trace-id" | "x-amzn-apigateway-api-id")
}
