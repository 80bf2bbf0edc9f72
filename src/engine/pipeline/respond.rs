//! Building the context of a new request, gateway error responses (through the API's
//! gateway responses, model.md §14) and the headers every response carries (execution.md §12).

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use time::OffsetDateTime;
use time::macros::format_description;

pub use super::super::context::{context_json, context_value};
use super::{Identity, InvokeRequest, InvokeResponse, RequestContext};
use crate::engine::error::GatewayError;
use crate::engine::types::Variant;
use crate::model::{GatewayResponse, IntegrationType};

pub fn new_context(req: &InvokeRequest) -> RequestContext<'_> {
    let now = OffsetDateTime::now_utc();
    // A v4 id from the thread's ChaCha generator: `Uuid::new_v4` without uuid's `fast-rng`
    // makes a getrandom syscall per request.
    // A constant name: a `&str` name is parsed on every lookup.
    const X_AMZN_REQUESTID: HeaderName = HeaderName::from_static("x-amzn-requestid");
    let request_id = req
        .headers
        .get(X_AMZN_REQUESTID)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| uuid::Uuid::parse_str(v).ok())
        .unwrap_or_else(|| uuid::Builder::from_random_bytes(rand::random()).into_uuid());
    // Encoded into a buffer, not through `Display` (`to_string` runs the formatting machinery).
    let request_id = String::from(
        request_id
            .hyphenated()
            .encode_lower(&mut uuid::Uuid::encode_buffer()) as &str,
    );
    let mut ext = [0u8; 11];
    rand::fill(&mut ext);
    RequestContext {
        req,
        request_id,
        extended_request_id: extended_id_text(&ext),
        request_time: request_time(now),
        request_time_epoch: (now.unix_timestamp_nanos() / 1_000_000) as i64,
        started: Instant::now(),
        identity: Identity {
            source_ip: ip_text(req.source_ip),
            user_agent: req
                .headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            ..Identity::default()
        },
        query_pairs: std::sync::OnceLock::new(),
        live: None,
        variant: Variant::Base,
        deployment: None,
        stage_variables: no_stage_variables(),
        route: None,
        integration_latency: None,
        integration_status: None,
        cache_hit: None,
        cache_key: None,
        error: None,
        authorizer: None,
        integration_selection: None,
        mapping_request: None,
        carried_overrides: None,
        log: Default::default(),
        xray: None,
    }
}

/// An empty set of stage variables, shared: the route phase sets the stage's own, and a new
/// `Arc` per request would be an allocation and a free for nothing.
fn no_stage_variables() -> Arc<indexmap::IndexMap<String, String>> {
    thread_local! {
        static EMPTY: Arc<indexmap::IndexMap<String, String>> = Arc::default();
    }
    EMPTY.with(Arc::clone)
}

/// The extended request id's text: standard, padded base64 of its 11 random bytes (16
/// characters), written directly (the `base64` engine's setup costs more than the encoding
/// of 11 bytes).
fn extended_id_text(bytes: &[u8; 11]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(16);
    let sextet = |v: u32, shift: u32| char::from(ALPHABET[((v >> shift) & 63) as usize]);
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let v = (b(0) << 16) | (b(1) << 8) | b(2);
        text.push(sextet(v, 18));
        text.push(sextet(v, 12));
        text.push(if chunk.len() > 1 { sextet(v, 6) } else { '=' });
        text.push(if chunk.len() > 2 { sextet(v, 0) } else { '=' });
    }
    text
}

/// An address as text in one allocation (`to_string` grows the string as it writes: 2–3);
/// an IPv4 address without the formatting machinery.
fn ip_text(ip: std::net::IpAddr) -> String {
    use std::fmt::Write as _;
    if let std::net::IpAddr::V4(v4) = ip {
        let mut text = String::with_capacity(15);
        for (i, octet) in v4.octets().into_iter().enumerate() {
            if i > 0 {
                text.push('.');
            }
            if octet >= 100 {
                text.push(char::from(b'0' + octet / 100));
            }
            if octet >= 10 {
                text.push(char::from(b'0' + octet / 10 % 10));
            }
            text.push(char::from(b'0' + octet % 10));
        }
        return text;
    }
    // The longest IPv6 text (eight groups of four hex digits and seven colons).
    let mut text = String::with_capacity(39);
    let _ = write!(text, "{ip}");
    text
}

/// `$context.requestTime` (`07/Dec/2026:11:24:01 +0000`), formatted once per second per thread.
fn request_time(now: OffsetDateTime) -> String {
    thread_local! {
        static CACHED: std::cell::RefCell<(i64, String)> =
            const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    let second = now.unix_timestamp();
    CACHED.with_borrow_mut(|(at, text)| {
        if *at != second {
            let format = format_description!(
                "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
            );
            *text = now.format(format).unwrap_or_default();
            *at = second;
        }
        text.clone()
    })
}

/// Renders a gateway error through the API's gateway response of its type. Un-customised
/// responses produce AWS's exact bytes; customised ones (the type itself, or its DEFAULT_4XX /
/// DEFAULT_5XX family) use their status, parameters and template.
pub fn gateway_error(ctx: &RequestContext<'_>, err: &GatewayError) -> InvokeResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(err.error_type()) {
        headers.insert("x-amzn-errortype", v);
    }
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let customised = customised_response(ctx, err);
    let Some(custom) = customised else {
        return InvokeResponse {
            status,
            headers,
            body: Bytes::from(err.default_body()),
        };
    };
    let status = custom
        .status_code
        .as_deref()
        .and_then(|s| s.parse::<u16>().ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(status);
    let mut context = context_json(ctx);
    if let serde_json::Value::Object(map) = &mut context {
        let error = serde_json::json!({
            "message": err.message(),
            "messageString": err.message_string(),
            "responseType": err.response_type(),
            "validationErrorString": err.validation_error_string(),
        });
        map.insert("error".into(), error);
    }
    let request = ctx.mapping_request_with_body(String::new());
    let sources = crate::mapping::ParamSources {
        request: Some(&request),
        response: None,
        stage_variables: &ctx.stage_variables,
        context: &context,
    };
    for (target, source) in &custom.response_parameters {
        let Some(name) = target.strip_prefix("gatewayresponse.header.") else {
            continue;
        };
        // `method.input.params.NAME` is the documented alias of a method request parameter.
        let source = match source.strip_prefix("method.input.params.") {
            Some(p) => format!("method.request.header.{p}"),
            None => source.clone(),
        };
        let Ok(expr) = crate::mapping::ParamExpr::parse(&source) else {
            continue;
        };
        if let (Some(value), Ok(n)) = (expr.eval(&sources), HeaderName::from_bytes(name.as_bytes()))
            && let Ok(v) = HeaderValue::from_str(&value)
        {
            headers.insert(n, v);
        }
    }
    let body = match custom
        .response_templates
        .get("application/json")
        .or_else(|| custom.response_templates.values().next())
    {
        Some(template) => crate::mapping::substitute_gateway_template(
            template,
            &context,
            &ctx.stage_variables,
            "",
        ),
        None => String::new(),
    };
    InvokeResponse {
        status,
        headers,
        body: Bytes::from(body),
    }
}

/// The user's customisation that applies to `err`, if any: the type's own entry, else the
/// customised DEFAULT_4XX/DEFAULT_5XX of its family (REQUEST_TOO_LARGE cannot be customised).
fn customised_response(ctx: &RequestContext<'_>, err: &GatewayError) -> Option<GatewayResponse> {
    let deployment = ctx
        .deployment
        .as_ref()
        .or_else(|| ctx.live.as_ref().map(|l| &l.deployment))?;
    let kind = err.response_type();
    if kind == "REQUEST_TOO_LARGE" || deployment.gateway_responses.is_empty() {
        return None;
    }
    if let Some(own) = deployment.gateway_responses.get(kind) {
        return Some(own.clone());
    }
    let family = if err.status() >= 500 {
        "DEFAULT_5XX"
    } else {
        "DEFAULT_4XX"
    };
    let mut inherited = deployment.gateway_responses.get(family)?.clone();
    if inherited.status_code.is_none() || kind != family {
        // The family lends its parameters and templates; the member keeps its own status
        // unless the family sets one.
        inherited.status_code = inherited
            .status_code
            .or_else(|| Some(err.status().to_string()));
    }
    Some(inherited)
}

/// Adds the headers API Gateway puts on every response, and takes the framing headers back
/// from whatever mapped them (`remapped_headers`): every response can be written.
pub fn finish(ctx: &RequestContext<'_>, mut response: InvokeResponse) -> InvokeResponse {
    super::remapped_headers::secure_framing(&mut response.headers);
    // Constant names: a `&str` name is parsed and copied into a new allocation per insert,
    // and `from_static` outside a const context validates its text on every call.
    const X_AMZN_REQUESTID: HeaderName = HeaderName::from_static("x-amzn-requestid");
    const X_AMZ_APIGW_ID: HeaderName = HeaderName::from_static("x-amz-apigw-id");
    if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
        response.headers.insert(X_AMZN_REQUESTID, v);
    }
    if let Ok(v) = HeaderValue::from_str(&ctx.extended_request_id) {
        response.headers.insert(X_AMZ_APIGW_ID, v);
    }
    if !response.headers.contains_key(http::header::CONTENT_TYPE) {
        response.headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    // Returned on responses of integrations other than MOCK and HTTP_PROXY (execution.md §12).
    if let Some(header) = ctx.trace_header()
        && let Some(kind) = ctx
            .method()
            .and_then(|m| m.integration.as_ref())
            .map(|i| i.kind)
        && !matches!(kind, IntegrationType::Mock | IntegrationType::HttpProxy)
        && ctx.error.is_none()
    {
        response.headers.insert("x-amzn-trace-id", header.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    #[test]
    fn extended_ids_are_the_standard_base64_of_their_bytes() {
        let mut bytes = [0u8; 11];
        for round in 0..200u32 {
            if round > 0 {
                rand::fill(&mut bytes);
            }
            if round == 1 {
                bytes = [0xff; 11];
            }
            let text = extended_id_text(&bytes);
            assert_eq!(
                text,
                base64::engine::general_purpose::STANDARD.encode(bytes)
            );
            assert_eq!(text.len(), 16);
        }
    }

    #[test]
    fn ip_text_is_the_addresses_display_text() {
        for ip in [
            "127.0.0.1",
            "0.0.0.0",
            "10.9.100.199",
            "192.168.1.20",
            "255.255.255.255",
            "::1",
            "::ffff:192.0.2.1",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
        ] {
            let ip: std::net::IpAddr = ip.parse().unwrap();
            let text = ip_text(ip);
            assert_eq!(text, ip.to_string());
            assert!(text.capacity() >= text.len());
        }
    }

    #[test]
    fn request_time_is_formatted_for_each_second_not_reused_across_seconds() {
        let at = |s: i64, ns: i64| {
            OffsetDateTime::from_unix_timestamp_nanos(
                i128::from(s) * 1_000_000_000 + i128::from(ns),
            )
            .unwrap()
        };
        assert_eq!(
            request_time(at(1_767_225_600, 0)),
            "01/Jan/2026:00:00:00 +0000"
        );
        assert_eq!(
            request_time(at(1_767_225_600, 999_999_999)),
            "01/Jan/2026:00:00:00 +0000"
        );
        assert_eq!(
            request_time(at(1_767_225_601, 1)),
            "01/Jan/2026:00:00:01 +0000"
        );
        assert_eq!(
            request_time(at(1_765_106_641, 0)),
            "07/Dec/2025:11:24:01 +0000"
        );
        assert_eq!(
            request_time(at(1_767_225_600, 5)),
            "01/Jan/2026:00:00:00 +0000"
        );
    }

    #[test]
    fn generated_request_ids_are_distinct_v4_uuids() {
        let req = InvokeRequest {
            method: http::Method::GET,
            api_id: "a".into(),
            stage: "s".into(),
            path: "/".into(),
            query: None,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            source_ip: std::net::Ipv4Addr::LOCALHOST.into(),
            protocol: "HTTP/1.1",
            context_path: "/s/".into(),
            base_path_matched: None,
            client_cert: None,
        };
        let mut given = req.clone();
        given.headers.insert(
            "x-amzn-requestid",
            HeaderValue::from_static("C2D6C2A9-0A4B-4E0B-9D43-55F2E0E7A1B3"),
        );
        assert_eq!(
            new_context(&given).request_id,
            "c2d6c2a9-0a4b-4e0b-9d43-55f2e0e7a1b3"
        );
        let a = new_context(&req).request_id;
        let b = new_context(&req).request_id;
        assert_ne!(a, b);
        for id in [a, b] {
            let parsed = uuid::Uuid::parse_str(&id).unwrap();
            assert_eq!(parsed.get_version_num(), 4);
            assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
        }
    }
}
