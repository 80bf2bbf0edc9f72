//! Evaluating HTTP API parameter mappings (http-websocket.md §1.1): request mappings change
//! the headers, query string and path sent to an HTTP backend; response mappings (keyed by
//! the backend's status) change the headers and status sent back. Values read `$request.*`,
//! `$response.*`, `$context.*` and `$stageVariables.*`.

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use super::HttpContext;
use super::live::Mapping;
use crate::model::v2::mapping::{Action, Part, Target};

/// Bodies are read for `$request.body` / `$response.body` up to this size (AWS: 100 KB).
const BODY_LIMIT: usize = 100 * 1024;

/// The backend response a response mapping reads.
pub struct ResponseView<'a> {
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

fn json_path(body: &[u8], path: &str) -> Option<String> {
    let body = &body[..body.len().min(BODY_LIMIT)];
    let doc: Value = serde_json::from_slice(body).ok()?;
    let mut cur = &doc;
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        cur = match cur {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(match cur {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// `$context.{name}` of an HTTP API request.
pub fn context_value(ctx: &HttpContext<'_>, name: &str) -> Option<String> {
    Some(match name {
        "requestId" | "extendedRequestId" => ctx.request_id.clone(),
        "apiId" => ctx.req.api_id.clone(),
        "accountId" => crate::engine::ACCOUNT_ID.to_string(),
        "stage" => ctx.stage.stage_name.clone(),
        "routeKey" => ctx.route_key().to_string(),
        "httpMethod" => ctx.req.method.to_string(),
        "path" => ctx.raw_path(),
        "protocol" => ctx.req.protocol.to_string(),
        "identity.sourceIp" => ctx.req.source_ip.to_string(),
        "identity.userAgent" => ctx.header("user-agent")?.to_string(),
        "requestTime" => ctx.request_time.clone(),
        "requestTimeEpoch" => ctx.epoch_millis.to_string(),
        "domainName" => ctx.domain_name(),
        "domainPrefix" => ctx.domain_name().split('.').next()?.to_string(),
        "integrationLatency" | "integration.latency" => {
            ctx.integration_latency?.as_millis().to_string()
        }
        "integrationStatus" | "integration.status" | "integration.integrationStatus" => {
            ctx.integration_status?.to_string()
        }
        "error.message" | "integrationErrorMessage" | "integration.error" => ctx.error.clone()?,
        "authorizer.error" => ctx.authorizer_error.clone()?,
        "customDomain.basePathMatched" => ctx.req.base_path_matched.clone()?,
        _ => {
            let rest = name.strip_prefix("authorizer.")?;
            let a = ctx.authorizer.as_ref()?;
            let found = if let Some(claim) = rest.strip_prefix("claims.") {
                a.pointer("/jwt/claims").and_then(|c| c.get(claim))
            } else {
                a.get("lambda")
                    .and_then(|l| l.get(rest))
                    .or_else(|| a.get(rest))
            }?;
            match found {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }
        }
    })
}

fn variable(
    ctx: &HttpContext<'_>,
    name: &str,
    response: Option<&ResponseView<'_>>,
) -> Option<String> {
    if let Some(rest) = name.strip_prefix("request.") {
        if rest == "path" {
            return Some(ctx.path.clone());
        }
        if let Some(h) = rest.strip_prefix("header.") {
            return ctx.header_joined(&h.to_ascii_lowercase());
        }
        if let Some(q) = rest.strip_prefix("querystring.") {
            return ctx.query_joined(q);
        }
        if let Some(p) = rest.strip_prefix("path.") {
            return ctx
                .path_params()
                .iter()
                .find(|(k, _)| k == p)
                .map(|(_, v)| v.clone());
        }
        if rest == "body" {
            // The whole body, as the client sent it.
            return Some(String::from_utf8_lossy(&ctx.req.body).into_owned());
        }
        if let Some(b) = rest.strip_prefix("body.") {
            return json_path(&ctx.req.body, b);
        }
        return None;
    }
    if let Some(rest) = name.strip_prefix("response.") {
        let r = response?;
        if let Some(h) = rest.strip_prefix("header.") {
            return r
                .headers
                .get(h.to_ascii_lowercase())
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
        }
        if let Some(b) = rest.strip_prefix("body") {
            return json_path(r.body, b.trim_start_matches('.'));
        }
        return None;
    }
    if let Some(v) = name.strip_prefix("stageVariables.") {
        return ctx.stage.variables.get(v).cloned();
    }
    if let Some(c) = name.strip_prefix("context.") {
        return context_value(ctx, c);
    }
    None
}

/// A mapping value with its variables filled in (an unset variable is empty).
pub fn render(
    ctx: &HttpContext<'_>,
    parts: &[Part],
    response: Option<&ResponseView<'_>>,
) -> String {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Literal(l) => out.push_str(l),
            Part::Variable(v) => {
                if let Some(value) = variable(ctx, v, response) {
                    out.push_str(&value);
                }
            }
        }
    }
    out
}

/// What request mappings produce for an HTTP backend.
pub struct MappedRequest {
    pub headers: HeaderMap,
    pub query: Vec<(String, String)>,
    pub path: Option<String>,
}

fn apply_header(headers: &mut HeaderMap, action: Action, name: &str, value: &str) {
    let Ok(n) = HeaderName::from_bytes(name.as_bytes()) else {
        return;
    };
    match action {
        Action::Remove => {
            headers.remove(&n);
        }
        Action::Overwrite => {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(n, v);
            }
        }
        Action::Append => {
            let joined = match headers.get(&n).and_then(|v| v.to_str().ok()) {
                Some(existing) => format!("{existing},{value}"),
                None => value.to_string(),
            };
            if let Ok(v) = HeaderValue::from_str(&joined) {
                headers.insert(n, v);
            }
        }
    }
}

/// Applies the integration's request mappings to what would be sent.
pub fn apply_request(
    ctx: &HttpContext<'_>,
    mappings: &[Mapping],
    mut out: MappedRequest,
) -> MappedRequest {
    for m in mappings {
        let value = render(ctx, &m.value, None);
        match &m.key.target {
            Target::Header(name) => apply_header(&mut out.headers, m.key.action, name, &value),
            Target::QueryString(name) => match m.key.action {
                Action::Remove => out.query.retain(|(k, _)| k != name),
                Action::Overwrite => {
                    out.query.retain(|(k, _)| k != name);
                    out.query.push((name.clone(), value));
                }
                Action::Append => out.query.push((name.clone(), value)),
            },
            Target::Path => out.path = Some(value),
            Target::StatusCode => {}
        }
    }
    out
}

/// Applies the response mappings for `status`; returns the (possibly overwritten) status.
pub fn apply_response(
    ctx: &HttpContext<'_>,
    mappings: &[(u16, Vec<Mapping>)],
    status: u16,
    headers: &mut HeaderMap,
    body: &[u8],
) -> u16 {
    let Some((_, list)) = mappings.iter().find(|(s, _)| *s == status) else {
        return status;
    };
    let before = headers.clone();
    let view = ResponseView {
        headers: &before,
        body,
    };
    let mut new_status = status;
    for m in list {
        let value = render(ctx, &m.value, Some(&view));
        match &m.key.target {
            Target::Header(name) => apply_header(headers, m.key.action, name, &value),
            Target::StatusCode => {
                if let Ok(s) = value.trim().parse::<u16>()
                    && (100..=599).contains(&s)
                {
                    new_status = s;
                }
            }
            Target::QueryString(_) | Target::Path => {}
        }
    }
    new_status
}
