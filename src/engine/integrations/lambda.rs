//! Lambda integrations (execution.md §9.4, §10): the target named by the integration URI, the
//! AWS_PROXY v1.0 event and response contract, and the AWS (non-proxy) call whose function
//! errors select the integration response by `errorMessage`.
//!
//! Header names: hyper lowercases every header name, so the client's original casing is lost
//! before the engine sees the request. The proxy event presents names Title-Cased per dash
//! segment (`content-type` → `Content-Type`, `x-custom-header` → `X-Custom-Header`), which is
//! what clients send in the common case (docs/ARCHITECTURE.md).

use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};

use super::RawResponse;
use crate::engine::Gateway;
use crate::engine::binary::is_binary;
use crate::engine::context::RequestContext;
use crate::engine::context::title_case;
use crate::engine::error::GatewayError;
use crate::engine::functions::{InvokeError, parse_function_uri};
use crate::engine::params::substitute_stage_variables;

/// The function a Lambda integration (or authorizer) URI names, after stage-variable
/// substitution. An unusable target is API Gateway's 500 `Internal server error`.
pub fn target(
    uri: Option<&str>,
    ctx: &RequestContext<'_>,
) -> Result<(String, Option<String>), GatewayError> {
    let uri = uri.ok_or_else(|| GatewayError::Configuration {
        reason: "Invalid Lambda function ARN: no URI".into(),
    })?;
    let uri = substitute_stage_variables(uri, &ctx.stage_variables);
    parse_function_uri(&uri).ok_or_else(|| GatewayError::Configuration {
        reason: format!("Invalid Lambda function ARN in integration URI {uri}"),
    })
}

/// The AWS_PROXY event, payload format 1.0 (execution.md §10.1).
pub fn proxy_event(ctx: &RequestContext<'_>) -> Value {
    let req = ctx.req;
    let method = ctx.method();
    let mut headers = Map::new();
    let mut multi_headers: Map<String, Value> = Map::new();
    for name in req.headers.keys() {
        if matches!(name.as_str(), "content-length" | "connection") {
            continue;
        }
        let values: Vec<Value> = req
            .headers
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let key = title_case(name.as_str());
        if let Some(last) = values.last() {
            headers.insert(key.clone(), last.clone());
        }
        multi_headers.insert(key, Value::Array(values));
    }
    // Active tracing: the function sees the request's segment as its parent.
    if let Some(trace) = ctx.xray.as_deref() {
        let value = Value::String(trace.header_str().to_string());
        headers.insert("X-Amzn-Trace-Id".into(), value.clone());
        multi_headers.insert("X-Amzn-Trace-Id".into(), Value::Array(vec![value]));
    }
    let (query, multi_query) = if ctx.query().is_empty() {
        (Value::Null, Value::Null)
    } else {
        let mut single = Map::new();
        let mut multi: Map<String, Value> = Map::new();
        for (k, v) in ctx.query() {
            single.insert(k.clone(), Value::String(v.clone()));
            match multi.get_mut(k) {
                Some(Value::Array(list)) => list.push(Value::String(v.clone())),
                _ => {
                    multi.insert(k.clone(), Value::Array(vec![Value::String(v.clone())]));
                }
            }
        }
        (Value::Object(single), Value::Object(multi))
    };
    let path_parameters = match &ctx.route {
        Some(r) if !r.path_params.is_empty() => Value::Object(
            r.path_params
                .iter()
                .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
                .collect(),
        ),
        _ => Value::Null,
    };
    let stage_variables = if ctx.stage_variables.is_empty() {
        Value::Null
    } else {
        Value::Object(
            ctx.stage_variables
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    };
    let binary = ctx
        .deployment
        .as_ref()
        .is_some_and(|d| is_binary(&d.binary_media_types, ctx.header("content-type")));
    let (body, is_base64) = if req.body.is_empty() {
        (Value::Null, false)
    } else if binary {
        (
            Value::String(base64::engine::general_purpose::STANDARD.encode(&req.body)),
            true,
        )
    } else {
        (
            Value::String(String::from_utf8_lossy(&req.body).into_owned()),
            false,
        )
    };

    let mut event = Map::new();
    event.insert(
        "resource".into(),
        method
            .map(|m| Value::String(m.resource_path.to_string()))
            .unwrap_or(Value::Null),
    );
    event.insert("path".into(), Value::String(req.path.clone()));
    event.insert(
        "httpMethod".into(),
        Value::String(req.method.as_str().to_string()),
    );
    event.insert(
        "headers".into(),
        if headers.is_empty() {
            Value::Null
        } else {
            Value::Object(headers)
        },
    );
    event.insert(
        "multiValueHeaders".into(),
        if multi_headers.is_empty() {
            Value::Null
        } else {
            Value::Object(multi_headers)
        },
    );
    event.insert("queryStringParameters".into(), query);
    event.insert("multiValueQueryStringParameters".into(), multi_query);
    event.insert("pathParameters".into(), path_parameters);
    event.insert("stageVariables".into(), stage_variables);
    event.insert("requestContext".into(), request_context(ctx));
    event.insert("body".into(), body);
    event.insert("isBase64Encoded".into(), Value::Bool(is_base64));
    Value::Object(event)
}

fn opt(v: &Option<String>) -> Value {
    v.as_ref()
        .map(|s| Value::String(s.clone()))
        .unwrap_or(Value::Null)
}

/// `requestContext` (= the `$context` map) of the proxy event and the REQUEST authorizer input.
pub fn request_context(ctx: &RequestContext<'_>) -> Value {
    let method = ctx.method();
    let host = ctx.header("host").map(str::to_string);
    let id = &ctx.identity;
    let mut identity = Map::new();
    identity.insert("accessKey".into(), opt(&id.access_key));
    identity.insert("accountId".into(), opt(&id.account_id));
    if id.api_key.is_some() {
        identity.insert("apiKey".into(), opt(&id.api_key));
        identity.insert("apiKeyId".into(), opt(&id.api_key_id));
    }
    identity.insert("caller".into(), opt(&id.caller));
    // Only on a custom domain with mutual TLS (execution.md §10.1).
    if let Some(cert) = &ctx.req.client_cert {
        identity.insert("clientCert".into(), cert.to_json());
    }
    identity.insert("cognitoAuthenticationProvider".into(), Value::Null);
    identity.insert("cognitoAuthenticationType".into(), Value::Null);
    identity.insert("cognitoIdentityId".into(), Value::Null);
    identity.insert("cognitoIdentityPoolId".into(), Value::Null);
    identity.insert("principalOrgId".into(), Value::Null);
    identity.insert("sourceIp".into(), Value::String(id.source_ip.clone()));
    identity.insert("user".into(), opt(&id.user));
    identity.insert("userAgent".into(), opt(&id.user_agent));
    identity.insert("userArn".into(), opt(&id.user_arn));

    let mut rc = Map::new();
    rc.insert(
        "accountId".into(),
        Value::String(crate::engine::ACCOUNT_ID.into()),
    );
    rc.insert("apiId".into(), Value::String(ctx.req.api_id.clone()));
    if let Some(auth) = &ctx.authorizer {
        rc.insert("authorizer".into(), auth.to_event_value());
    }
    rc.insert(
        "deploymentId".into(),
        ctx.deployment
            .as_ref()
            .map(|d| Value::String(d.deployment_id.to_string()))
            .unwrap_or(Value::Null),
    );
    rc.insert("domainName".into(), opt(&host));
    rc.insert(
        "domainPrefix".into(),
        host.as_deref()
            .and_then(|h| h.split('.').next())
            .map(|p| Value::String(p.to_string()))
            .unwrap_or(Value::Null),
    );
    rc.insert(
        "extendedRequestId".into(),
        Value::String(ctx.extended_request_id.clone()),
    );
    rc.insert(
        "httpMethod".into(),
        Value::String(ctx.req.method.as_str().to_string()),
    );
    rc.insert("identity".into(), Value::Object(identity));
    rc.insert("path".into(), Value::String(ctx.req.context_path.clone()));
    rc.insert("protocol".into(), Value::String("HTTP/1.1".into()));
    rc.insert("requestId".into(), Value::String(ctx.request_id.clone()));
    rc.insert(
        "requestTime".into(),
        Value::String(ctx.request_time.clone()),
    );
    rc.insert(
        "requestTimeEpoch".into(),
        Value::from(ctx.request_time_epoch),
    );
    rc.insert(
        "resourceId".into(),
        method
            .map(|m| Value::String(m.resource_id.to_string()))
            .unwrap_or(Value::Null),
    );
    rc.insert(
        "resourcePath".into(),
        method
            .map(|m| Value::String(m.resource_path.to_string()))
            .unwrap_or(Value::Null),
    );
    rc.insert("stage".into(), Value::String(ctx.req.stage.clone()));
    Value::Object(rc)
}

/// Invokes the function for an integration, bounded by the integration timeout.
pub async fn call(
    gw: &Gateway,
    ctx: &mut RequestContext<'_>,
    function: &str,
    qualifier: Option<&str>,
    payload: Bytes,
    proxy: bool,
    timeout: Duration,
) -> Result<RawResponse, GatewayError> {
    let started = Instant::now();
    let outcome = tokio::time::timeout(
        timeout,
        gw.inner.functions.invoke(
            function,
            qualifier,
            payload,
            ctx.xray.as_deref().map(|x| x.header_str()),
        ),
    )
    .await;
    ctx.integration_latency = Some(started.elapsed());
    let invocation = match outcome {
        Err(_) => return Err(GatewayError::IntegrationTimeout),
        Ok(Err(InvokeError::NotFound(name))) => {
            return Err(GatewayError::Configuration {
                reason: format!("Lambda function not found: Function not found: {name}"),
            });
        }
        // A throttled invocation (Lambda's 429 TooManyRequestsException, "Rate Exceeded.") is
        // an invocation the Lambda API rejected: API Gateway answers 500 `Internal server
        // error` for proxy and non-proxy integrations alike and logs "Execution failed due to
        // configuration error: Rate Exceeded." (docs/ARCHITECTURE.md).
        Ok(Err(InvokeError::Throttled)) => {
            return Err(GatewayError::Configuration {
                reason: InvokeError::Throttled.to_string(),
            });
        }
        Ok(Err(InvokeError::Failed(reason))) => {
            return Err(GatewayError::Configuration {
                reason: format!("Lambda invocation failed: {reason}"),
            });
        }
        Ok(Ok(inv)) => inv,
    };
    ctx.integration_status = Some(200);
    if proxy {
        if invocation.function_error.is_some() {
            return Err(GatewayError::LambdaProxyError {
                reason: format!(
                    "Lambda function error ({}): {}",
                    invocation.function_error.as_deref().unwrap_or("Unhandled"),
                    String::from_utf8_lossy(
                        &invocation.payload[..invocation.payload.len().min(1024)]
                    )
                ),
            });
        }
        let binary_types = ctx
            .deployment
            .as_ref()
            .map(|d| d.binary_media_types.clone())
            .unwrap_or_default();
        let accept = ctx
            .header("accept")
            .and_then(|a| a.split(',').next())
            .map(str::to_string);
        let accept_binary = is_binary(&binary_types, accept.as_deref());
        let (status, headers, body) = parse_proxy_response(&invocation.payload, accept_binary)?;
        ctx.integration_status = Some(status);
        return Ok(RawResponse {
            status: Some(status),
            headers,
            body,
            proxy: true,
        });
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let selection = match &invocation.function_error {
        Some(kind) => {
            if let Ok(v) = HeaderValue::from_str(kind) {
                headers.insert("x-amz-function-error", v);
            }
            error_message(&invocation.payload)
        }
        None => String::new(),
    };
    ctx.integration_selection = Some(selection);
    Ok(RawResponse {
        status: Some(200),
        headers,
        body: invocation.payload,
        proxy: false,
    })
}

/// The `errorMessage` of a Lambda error payload (the selection string for non-proxy Lambda
/// integrations); a payload that is not an error object selects on its raw text.
pub fn error_message(payload: &[u8]) -> String {
    match serde_json::from_slice::<Value>(payload) {
        Ok(Value::Object(map)) => match map.get("errorMessage") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        },
        Ok(Value::String(s)) => s,
        _ => String::from_utf8_lossy(payload).into_owned(),
    }
}

fn header_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Validates a proxy response (execution.md §10.2) into status, headers and body. Any
/// deviation is a 502 with the reason for the execution log.
pub fn parse_proxy_response(
    payload: &[u8],
    accept_binary: bool,
) -> Result<(u16, HeaderMap, Bytes), GatewayError> {
    let malformed = |why: &str| GatewayError::LambdaProxyError {
        reason: format!("Malformed Lambda proxy response: {why}"),
    };
    let value: Value =
        serde_json::from_slice(payload).map_err(|_| malformed("the payload is not JSON"))?;
    let Value::Object(map) = value else {
        return Err(malformed("the payload is not a JSON object"));
    };
    for key in map.keys() {
        if !matches!(
            key.as_str(),
            "statusCode" | "headers" | "multiValueHeaders" | "body" | "isBase64Encoded"
        ) {
            return Err(malformed(&format!("unexpected field {key:?}")));
        }
    }
    let status = match map.get("statusCode") {
        None | Some(Value::Null) => 200,
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| malformed("statusCode"))?,
        Some(Value::String(s)) => s
            .trim()
            .parse::<u16>()
            .map_err(|_| malformed("statusCode is not a number"))?,
        Some(_) => return Err(malformed("statusCode")),
    };
    if !(100..=599).contains(&status) {
        return Err(malformed("statusCode out of range"));
    }
    // (lowercase name → (display name, values)); multiValueHeaders first, then headers.
    let mut merged: Vec<(String, Vec<String>)> = Vec::new();
    let mut push = |name: &str, value: String| {
        let lower = name.to_ascii_lowercase();
        match merged
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(&lower))
        {
            Some((_, values)) => values.push(value),
            None => merged.push((name.to_string(), vec![value])),
        }
    };
    match map.get("multiValueHeaders") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (name, values) in h {
                match values {
                    Value::Array(list) => {
                        for v in list {
                            push(
                                name,
                                header_text(v)
                                    .ok_or_else(|| malformed("multiValueHeaders value"))?,
                            );
                        }
                    }
                    Value::Null => {}
                    _ => return Err(malformed("multiValueHeaders value is not a list")),
                }
            }
        }
        Some(_) => return Err(malformed("multiValueHeaders is not an object")),
    }
    match map.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (name, v) in h {
                if v.is_null() {
                    continue;
                }
                push(
                    name,
                    header_text(v).ok_or_else(|| malformed("headers value"))?,
                );
            }
        }
        Some(_) => return Err(malformed("headers is not an object")),
    }
    let is_base64 = match map.get("isBase64Encoded") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(malformed("isBase64Encoded is not a boolean")),
    };
    let body = match map.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(s)) if is_base64 && accept_binary => Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(s.as_bytes())
                .map_err(|_| GatewayError::Configuration {
                    reason: "Unable to base64 decode the body".into(),
                })?,
        ),
        Some(Value::String(s)) => Bytes::from(s.clone()),
        Some(_) => return Err(malformed("body is not a string")),
    };
    let mut headers = HeaderMap::new();
    for (name, values) in merged {
        let hn = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| malformed(&format!("invalid header name {name:?}")))?;
        if hn == http::header::SET_COOKIE {
            for v in values {
                headers.append(
                    hn.clone(),
                    HeaderValue::from_str(&v).map_err(|_| malformed("invalid header value"))?,
                );
            }
        } else {
            let joined = values.join(", ");
            headers.insert(
                hn,
                HeaderValue::from_str(&joined).map_err(|_| malformed("invalid header value"))?,
            );
        }
    }
    if !headers.contains_key(http::header::CONTENT_TYPE) {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    Ok((status, headers, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<(u16, HeaderMap, Bytes), GatewayError> {
        parse_proxy_response(s.as_bytes(), false)
    }

    #[test]
    fn proxy_responses_follow_the_measured_contract() {
        assert_eq!(parse(r#"{"statusCode":200}"#).map(|r| r.0), Ok(200));
        assert_eq!(parse(r#"{"headers":{"a":"b"}}"#).map(|r| r.0), Ok(200));
        assert_eq!(parse(r#"{"statusCode":"201"}"#).map(|r| r.0), Ok(201));
        assert_eq!(
            parse(r#"{"statusCode":200,"headers":null}"#).map(|r| r.0),
            Ok(200)
        );
        let (_, h, _) = parse(r#"{"headers":{"x":true}}"#).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(h["x"], "true");
        let (_, h, _) = parse(
            r#"{"headers":{"test-multi":"value-solo","Set-Cookie":"c=3"},"multiValueHeaders":{"Test-Multi":["value-multi"],"Set-Cookie":["a=1","b=2"]}}"#,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(h["test-multi"], "value-multi, value-solo");
        assert_eq!(h.get_all("set-cookie").iter().count(), 3);
        for bad in [
            r#"{"statusCode":200,"wrongValue":"x"}"#,
            r#"{"statusCode":"test"}"#,
            r#""justAString""#,
            r#"[1,2]"#,
            r#"not json"#,
            r#"{"multiValueHeaders":{"a":"b"}}"#,
            r#"{"body":{"a":1}}"#,
            r#"{"isBase64Encoded":"yes"}"#,
            r#"{"headers":[1]}"#,
        ] {
            assert!(
                matches!(parse(bad), Err(GatewayError::LambdaProxyError { .. })),
                "{bad}"
            );
        }
        // base64 body decoded only when the client accepts a binary type.
        let r = parse_proxy_response(br#"{"body":"aGk=","isBase64Encoded":true}"#, true)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(&r.2[..], b"hi");
        let r =
            parse(r#"{"body":"aGk=","isBase64Encoded":true}"#).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(&r.2[..], b"aGk=");
    }

    #[test]
    fn header_names_are_title_cased_and_binary_types_match() {
        assert_eq!(title_case("content-type"), "Content-Type");
        assert_eq!(title_case("x-custom-header"), "X-Custom-Header");
        let types = vec![
            "image/*".to_string(),
            "application/octet-stream".to_string(),
        ];
        assert!(is_binary(&types, Some("image/png")));
        assert!(is_binary(&types, Some("application/octet-stream; q=1")));
        assert!(!is_binary(&types, Some("text/plain")));
        assert!(is_binary(&["*/*".to_string()], Some("text/plain")));
    }
}
