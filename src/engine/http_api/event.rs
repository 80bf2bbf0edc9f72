//! The Lambda proxy contract of HTTP APIs (http-websocket.md §1.3): the payload format 2.0
//! event and response rules, and format 1.0 (the REST event with `"version": "1.0"`).

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value, json};

use super::HttpContext;
use super::respond::HttpError;

/// Whether a request body is passed as text: text media types, JSON, XML, JavaScript and
/// form data; a body without a content type is text when it is UTF-8.
pub fn body_is_text(content_type: Option<&str>, body: &[u8]) -> bool {
    let Some(ct) = content_type else {
        return std::str::from_utf8(body).is_ok();
    };
    let mt = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let textual = mt.starts_with("text/")
        || mt.ends_with("/json")
        || mt.ends_with("+json")
        || mt.ends_with("/xml")
        || mt.ends_with("+xml")
        || mt == "application/javascript"
        || mt == "application/x-www-form-urlencoded";
    textual && std::str::from_utf8(body).is_ok()
}

fn body_fields(ctx: &HttpContext<'_>, event: &mut Map<String, Value>) {
    let body = &ctx.req.body;
    if body.is_empty() {
        event.insert("isBase64Encoded".into(), Value::Bool(false));
        return;
    }
    if body_is_text(ctx.header("content-type"), body) {
        event.insert(
            "body".into(),
            Value::String(String::from_utf8_lossy(body).into_owned()),
        );
        event.insert("isBase64Encoded".into(), Value::Bool(false));
    } else {
        event.insert(
            "body".into(),
            Value::String(base64::engine::general_purpose::STANDARD.encode(body)),
        );
        event.insert("isBase64Encoded".into(), Value::Bool(true));
    }
}

/// Lower-cased header names, repeated headers comma-joined (`cookie` goes to `cookies`).
fn headers_v2(ctx: &HttpContext<'_>) -> Map<String, Value> {
    let mut out = Map::new();
    for name in ctx.req.headers.keys() {
        if name == http::header::COOKIE {
            continue;
        }
        if let Some(v) = ctx.header_joined(name.as_str()) {
            out.insert(name.as_str().to_string(), Value::String(v));
        }
    }
    out
}

/// `cookies`: every `Cookie` header split at `; `.
fn cookies(ctx: &HttpContext<'_>) -> Vec<Value> {
    ctx.req
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .flat_map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split(';')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
        })
        .map(Value::String)
        .collect()
}

fn query_v2(ctx: &HttpContext<'_>) -> Map<String, Value> {
    let mut out: Map<String, Value> = Map::new();
    for (k, v) in &ctx.query {
        match out.get_mut(k) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(v);
            }
            _ => {
                out.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    out
}

fn string_map(pairs: impl IntoIterator<Item = (String, String)>) -> Map<String, Value> {
    pairs
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

/// `requestContext` of the 2.0 event (and of the 2.0 authorizer event).
pub fn request_context_v2(ctx: &HttpContext<'_>) -> Value {
    let domain = ctx.domain_name();
    let prefix = domain.split('.').next().unwrap_or_default().to_string();
    let mut rc = json!({
        "accountId": crate::engine::ACCOUNT_ID,
        "apiId": ctx.req.api_id,
        "domainName": domain,
        "domainPrefix": prefix,
        "http": {
            "method": ctx.req.method.as_str(),
            "path": ctx.raw_path(),
            "protocol": ctx.req.protocol,
            "sourceIp": ctx.req.source_ip.to_string(),
            "userAgent": ctx.header("user-agent").unwrap_or_default(),
        },
        "requestId": ctx.request_id,
        "routeKey": ctx.route_key(),
        "stage": ctx.stage.stage_name,
        "time": ctx.request_time,
        "timeEpoch": ctx.epoch_millis,
    });
    if let Some(a) = &ctx.authorizer {
        rc["authorizer"] = a.clone();
    }
    rc
}

/// The payload format 2.0 event.
pub fn event_v2(ctx: &HttpContext<'_>) -> Value {
    let mut e = Map::new();
    e.insert("version".into(), json!("2.0"));
    e.insert("routeKey".into(), json!(ctx.route_key()));
    e.insert("rawPath".into(), json!(ctx.raw_path()));
    e.insert(
        "rawQueryString".into(),
        json!(ctx.req.query.as_deref().unwrap_or_default()),
    );
    let cookies = cookies(ctx);
    if !cookies.is_empty() {
        e.insert("cookies".into(), Value::Array(cookies));
    }
    e.insert("headers".into(), Value::Object(headers_v2(ctx)));
    let query = query_v2(ctx);
    if !query.is_empty() {
        e.insert("queryStringParameters".into(), Value::Object(query));
    }
    e.insert("requestContext".into(), request_context_v2(ctx));
    body_fields(ctx, &mut e);
    let params = ctx.path_params();
    if !params.is_empty() {
        e.insert(
            "pathParameters".into(),
            Value::Object(string_map(params.iter().cloned())),
        );
    }
    if !ctx.stage.variables.is_empty() {
        e.insert(
            "stageVariables".into(),
            Value::Object(string_map(
                ctx.stage
                    .variables
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone())),
            )),
        );
    }
    Value::Object(e)
}

/// The payload format 1.0 event: REST's proxy event with `"version": "1.0"`.
pub fn event_v1(ctx: &HttpContext<'_>) -> Value {
    let mut headers = Map::new();
    let mut multi = Map::new();
    for name in ctx.req.headers.keys() {
        let values: Vec<Value> = ctx
            .req
            .headers
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        if let Some(last) = values.last() {
            headers.insert(name.as_str().to_string(), last.clone());
        }
        multi.insert(name.as_str().to_string(), Value::Array(values));
    }
    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for (k, v) in &ctx.query {
        query.insert(k.clone(), Value::String(v.clone()));
        match multi_query.get_mut(k) {
            Some(Value::Array(list)) => list.push(Value::String(v.clone())),
            _ => {
                multi_query.insert(k.clone(), json!([v]));
            }
        }
    }
    let nullable = |m: Map<String, Value>| {
        if m.is_empty() {
            Value::Null
        } else {
            Value::Object(m)
        }
    };
    let resource = ctx
        .route()
        .map(|r| {
            r.route_key
                .split_once(' ')
                .map_or(r.route_key.to_string(), |(_, p)| p.to_string())
        })
        .unwrap_or_default();
    let mut rc = json!({
        "accountId": crate::engine::ACCOUNT_ID,
        "apiId": ctx.req.api_id,
        "domainName": ctx.domain_name(),
        "domainPrefix": ctx.domain_name().split('.').next().unwrap_or_default(),
        "extendedRequestId": ctx.request_id,
        "httpMethod": ctx.req.method.as_str(),
        "identity": {
            "accessKey": null, "accountId": null, "caller": null, "cognitoAuthenticationProvider": null,
            "cognitoAuthenticationType": null, "cognitoIdentityId": null, "cognitoIdentityPoolId": null,
            "principalOrgId": null, "sourceIp": ctx.req.source_ip.to_string(), "user": null,
            "userAgent": ctx.header("user-agent").unwrap_or_default(), "userArn": null
        },
        "path": ctx.raw_path(),
        "protocol": ctx.req.protocol,
        "requestId": ctx.request_id,
        "requestTime": ctx.request_time,
        "requestTimeEpoch": ctx.epoch_millis,
        "resourceId": ctx.route_key(),
        "resourcePath": resource,
        "stage": ctx.stage.stage_name,
    });
    if let Some(a) = &ctx.authorizer {
        rc["authorizer"] = a.clone();
    }
    let mut e = Map::new();
    e.insert("version".into(), json!("1.0"));
    e.insert("resource".into(), json!(resource));
    e.insert("path".into(), json!(ctx.raw_path()));
    e.insert("httpMethod".into(), json!(ctx.req.method.as_str()));
    e.insert("headers".into(), nullable(headers));
    e.insert("multiValueHeaders".into(), nullable(multi));
    e.insert("queryStringParameters".into(), nullable(query));
    e.insert(
        "multiValueQueryStringParameters".into(),
        nullable(multi_query),
    );
    e.insert("requestContext".into(), rc);
    e.insert(
        "pathParameters".into(),
        nullable(string_map(ctx.path_params().iter().cloned())),
    );
    e.insert(
        "stageVariables".into(),
        nullable(string_map(
            ctx.stage
                .variables
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        )),
    );
    e.insert("body".into(), Value::Null);
    body_fields(ctx, &mut e);
    Value::Object(e)
}

fn malformed(why: &str) -> HttpError {
    HttpError::Internal(format!("Malformed Lambda proxy response: {why}"))
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A 2.0 response: a JSON object with `statusCode` is structured (`headers`, `cookies` as
/// `set-cookie`, `body`, `isBase64Encoded`); any other valid JSON is the body of a 200
/// `application/json` response (a JSON string becomes its text); anything else is a 500.
pub fn parse_response_v2(payload: &[u8]) -> Result<(u16, HeaderMap, Bytes), HttpError> {
    let value: Value =
        serde_json::from_slice(payload).map_err(|_| malformed("the payload is not JSON"))?;
    let json_200 = |body: Bytes| {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Ok((200, h, body))
    };
    let map = match value {
        Value::Object(map) if map.contains_key("statusCode") => map,
        Value::String(s) => return json_200(Bytes::from(s)),
        _ => return json_200(Bytes::copy_from_slice(payload)),
    };
    let status = match &map["statusCode"] {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|s| (100..=599).contains(s))
    .ok_or_else(|| malformed("statusCode"))?;
    let mut headers = HeaderMap::new();
    match map.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (name, value) in h {
                let v = text(value).ok_or_else(|| malformed("header value"))?;
                let n = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| malformed("header name"))?;
                let v = HeaderValue::from_str(&v).map_err(|_| malformed("header value"))?;
                headers.insert(n, v);
            }
        }
        Some(_) => return Err(malformed("headers is not an object")),
    }
    match map.get("cookies") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for c in list {
                let c = c.as_str().ok_or_else(|| malformed("cookie"))?;
                let v = HeaderValue::from_str(c).map_err(|_| malformed("cookie"))?;
                headers.append(http::header::SET_COOKIE, v);
            }
        }
        Some(_) => return Err(malformed("cookies is not a list")),
    }
    let base64 = map
        .get("isBase64Encoded")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let body = match map.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(s)) if base64 => Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map_err(|_| malformed("body is not base64"))?,
        ),
        Some(Value::String(s)) => Bytes::from(s.clone()),
        Some(other) => Bytes::from(other.to_string()),
    };
    Ok((status, headers, body))
}

/// A 1.0 response: REST's proxy rules; anything malformed is a 500.
pub fn parse_response_v1(payload: &[u8]) -> Result<(u16, HeaderMap, Bytes), HttpError> {
    crate::engine::integrations::lambda::parse_proxy_response(payload, false).map_err(|e| {
        HttpError::Internal(
            e.log_reason()
                .unwrap_or_else(|| "Malformed Lambda proxy response".into()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_inference() {
        let (s, h, b) = parse_response_v2(br#""Hello""#).expect("string");
        assert_eq!((s, &b[..]), (200, &b"Hello"[..]));
        assert_eq!(h["content-type"], "application/json");
        let (s, _, b) = parse_response_v2(br#"{"a":1}"#).expect("object");
        assert_eq!((s, &b[..]), (200, &br#"{"a":1}"#[..]));
        let (s, h, b) = parse_response_v2(
            br#"{"statusCode":201,"headers":{"x-a":"1"},"cookies":["a=1","b=2"],"body":"aGk=","isBase64Encoded":true}"#,
        )
        .expect("structured");
        assert_eq!((s, &b[..]), (201, &b"hi"[..]));
        assert_eq!(h["x-a"], "1");
        assert_eq!(h.get_all("set-cookie").iter().count(), 2);
        assert!(parse_response_v2(b"not json").is_err());
        assert!(parse_response_v2(br#"{"statusCode":"abc"}"#).is_err());
    }

    #[test]
    fn text_bodies() {
        assert!(body_is_text(Some("application/json"), b"{}"));
        assert!(body_is_text(Some("text/plain; charset=utf-8"), b"x"));
        assert!(!body_is_text(Some("image/png"), b"x"));
        assert!(body_is_text(None, b"x"));
        assert!(!body_is_text(None, &[0xff, 0xfe]));
    }
}
