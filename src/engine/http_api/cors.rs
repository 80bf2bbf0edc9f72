//! Built-in CORS (`corsConfiguration`, http-websocket.md §1.5): the gateway answers
//! preflights itself (even without an OPTIONS route) and adds the CORS headers to every
//! response of an allowed origin, replacing whatever the backend sent.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};

use super::HttpContext;
use crate::engine::context::InvokeResponse;
use crate::model::v2::Cors;

const CORS_HEADERS: &[&str] = &[
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-expose-headers",
    "access-control-max-age",
    "access-control-allow-methods",
    "access-control-allow-headers",
];

/// The value of `Access-Control-Allow-Origin` for `origin`, if it is allowed.
fn allowed_origin(cors: &Cors, origin: &str) -> Option<String> {
    if cors.allow_origins.iter().any(|o| o == "*") {
        return Some("*".into());
    }
    cors.allow_origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(origin))
        .then(|| origin.to_string())
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

/// A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) on an API with
/// CORS: 204 with the allowed origin, methods, headers and max age.
pub fn preflight(ctx: &HttpContext<'_>) -> Option<InvokeResponse> {
    let cors = ctx.stage.compiled.cors.as_ref()?;
    if ctx.req.method != http::Method::OPTIONS {
        return None;
    }
    let origin = ctx.header("origin")?;
    let requested = ctx.header("access-control-request-method")?;
    let mut headers = HeaderMap::new();
    if let Some(allowed) = allowed_origin(cors, origin) {
        let method_ok = cors
            .allow_methods
            .iter()
            .any(|m| m == "*" || m.eq_ignore_ascii_case(requested));
        set(&mut headers, "access-control-allow-origin", &allowed);
        if method_ok {
            set(
                &mut headers,
                "access-control-allow-methods",
                &cors.allow_methods.join(","),
            );
        }
        if !cors.allow_headers.is_empty() {
            let value = if cors.allow_headers.iter().any(|h| h == "*") {
                ctx.header("access-control-request-headers")
                    .unwrap_or("*")
                    .to_string()
            } else {
                cors.allow_headers.join(",")
            };
            set(&mut headers, "access-control-allow-headers", &value);
        }
        if let Some(age) = cors.max_age.filter(|a| *a >= 0) {
            set(&mut headers, "access-control-max-age", &age.to_string());
        }
        if cors.allow_credentials == Some(true) {
            set(&mut headers, "access-control-allow-credentials", "true");
        }
        if !cors.expose_headers.is_empty() {
            set(
                &mut headers,
                "access-control-expose-headers",
                &cors.expose_headers.join(","),
            );
        }
    }
    Some(InvokeResponse {
        status: StatusCode::NO_CONTENT,
        headers,
        body: Bytes::new(),
    })
}

/// Adds the CORS headers to a (non-preflight) response when the API has CORS and the request
/// comes from an allowed origin; backend CORS headers are dropped either way.
pub fn decorate(ctx: &HttpContext<'_>, headers: &mut HeaderMap) {
    let Some(cors) = ctx.stage.compiled.cors.as_ref() else {
        return;
    };
    if headers.contains_key("access-control-allow-methods")
        && ctx.req.method == http::Method::OPTIONS
    {
        // The gateway's own preflight answer.
        return;
    }
    for h in CORS_HEADERS {
        headers.remove(*h);
    }
    let Some(origin) = ctx.header("origin") else {
        return;
    };
    let Some(allowed) = allowed_origin(cors, origin) else {
        return;
    };
    set(headers, "access-control-allow-origin", &allowed);
    if cors.allow_credentials == Some(true) {
        set(headers, "access-control-allow-credentials", "true");
    }
    if !cors.expose_headers.is_empty() {
        set(
            headers,
            "access-control-expose-headers",
            &cors.expose_headers.join(","),
        );
    }
    if allowed != "*" {
        headers.append(http::header::VARY, HeaderValue::from_static("Origin"));
    }
}
