//! Lambda TOKEN and REQUEST authorizers (execution.md §4.2–4.4): identity extraction and
//! validation, the authorizer input, output parsing, per-identity result caching for
//! `authorizerResultTtlInSeconds`, and evaluation of the returned policy against the method ARN.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Map, Value};

use super::{AuthCacheKey, AuthorizerContext, CachedAuthorization};
use crate::engine::Gateway;
use crate::engine::context::RequestContext;
use crate::engine::error::GatewayError;
use crate::engine::functions::parse_function_uri;
use crate::engine::params::substitute_stage_variables;
use crate::engine::resource_policy::{Decision, Policy, PolicyRequest};
use crate::model::{Authorizer, AuthorizerType};

/// Default and maximum `authorizerResultTtlInSeconds`.
pub const DEFAULT_TTL_SECONDS: i64 = 300;
pub const MAX_TTL_SECONDS: i64 = 3600;
/// How long an authorizer function may take.
pub const AUTHORIZER_TIMEOUT: Duration = Duration::from_secs(29);

pub const DENY_EXPLICIT: &str =
    "User is not authorized to access this resource with an explicit deny";
pub const DENY_NOT_COVERED: &str = "User is not authorized to access this resource";

/// A parsed authorizer output (cacheable; re-evaluated per method ARN).
#[derive(Debug)]
pub struct AuthorizerOutput {
    pub principal_id: Option<String>,
    pub policy: Policy,
    pub context: Vec<(String, String)>,
    pub usage_identifier_key: Option<String>,
}

pub fn ttl(authorizer: &Authorizer) -> Duration {
    let secs = authorizer
        .authorizer_result_ttl_in_seconds
        .unwrap_or(DEFAULT_TTL_SECONDS)
        .clamp(0, MAX_TTL_SECONDS);
    Duration::from_secs(secs as u64)
}

/// A single identity source value: `method.request.header.X` (case-insensitive),
/// `method.request.querystring.X`, `stageVariables.X`, `context.X`.
fn source_value(ctx: &RequestContext<'_>, source: &str) -> Option<String> {
    let source = source.trim();
    if let Some(h) = source.strip_prefix("method.request.header.") {
        return ctx
            .req
            .headers
            .get(h.to_ascii_lowercase().as_str())
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
    }
    if let Some(q) = source.strip_prefix("method.request.querystring.") {
        return ctx.query_param(q).map(str::to_string);
    }
    if let Some(v) = source.strip_prefix("stageVariables.") {
        return ctx.stage_variables.get(v).cloned();
    }
    if let Some(c) = source.strip_prefix("context.") {
        return crate::engine::context::context_value(ctx, c);
    }
    None
}

/// Runs the method's Lambda authorizer. On success fills `ctx.authorizer` (and the API key
/// when the API takes keys from the authorizer).
pub async fn authorize(
    gw: &Gateway,
    ctx: &mut RequestContext<'_>,
    authorizer: &Authorizer,
    method_arn: &str,
    api_key_from_authorizer: bool,
) -> Result<(), GatewayError> {
    let ttl = ttl(authorizer);
    let (identity, input) = match authorizer.authorizer_type {
        AuthorizerType::Token => {
            let source = authorizer
                .identity_source
                .as_deref()
                .unwrap_or("method.request.header.Authorization");
            let token = source_value(ctx, source)
                .filter(|t| !t.is_empty())
                .ok_or(GatewayError::Unauthorized)?;
            if let Some(expr) = authorizer
                .identity_validation_expression
                .as_deref()
                .filter(|e| !e.is_empty())
            {
                let re = gw
                    .inner
                    .security
                    .regex(expr)
                    .ok_or(GatewayError::AuthorizerConfiguration)?;
                if !re.is_match(&token) {
                    return Err(GatewayError::Unauthorized);
                }
            }
            let input = serde_json::json!({ "type": "TOKEN", "authorizationToken": token, "methodArn": method_arn });
            (token, input)
        }
        AuthorizerType::Request => {
            // The cache identity: each source's value as one field (`engine::cache_key`), so
            // no value can pass for the boundary between two sources (values joined with a
            // NUL could: `x%00y` + `z` and `x` + `y%00z`).
            let mut identity = String::new();
            for source in authorizer
                .identity_source
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .filter(|s| !s.trim().is_empty())
            {
                match source_value(ctx, source).filter(|v| !v.is_empty()) {
                    Some(v) => crate::engine::cache_key::push_field(&mut identity, &v),
                    None if !ttl.is_zero() => return Err(GatewayError::Unauthorized),
                    // Not cached (TTL 0): the identity is not used.
                    None => {}
                }
            }
            (identity, request_input(ctx, method_arn))
        }
        AuthorizerType::CognitoUserPools => return Err(GatewayError::AuthorizerConfiguration),
    };

    let key = AuthCacheKey {
        api_id: ctx
            .deployment
            .as_ref()
            .map(|d| d.api_id.clone())
            .unwrap_or_else(|| Arc::from(ctx.req.api_id.as_str())),
        stage: ctx.req.stage.clone(),
        authorizer_id: authorizer.id.clone(),
        identity,
    };
    let cluster = gw.inner.traffic.cluster.as_ref();
    let cached = match (ttl.is_zero(), cluster) {
        (true, _) => None,
        (false, None) => gw.inner.security.authorizer_cache.get(&key),
        // Cluster mode: the shared cache only (a flush on any node must reach every node).
        (false, Some(cluster)) => crate::engine::security::shared_cache::get(cluster, &key)
            .await
            .and_then(|answer| {
                let output = Arc::new(parse_output(&answer)?);
                Some(Arc::new(CachedAuthorization {
                    output,
                    ttl,
                    output_bytes: answer.len(),
                }))
            }),
    };
    let (output, latency_ms) = match cached {
        Some(hit) => (hit.output.clone(), 0),
        None => {
            let started = Instant::now();
            let (output, answer) = invoke(gw, ctx, authorizer, input).await?;
            let output = Arc::new(output);
            let latency = started.elapsed().as_millis() as u64;
            match (ttl.is_zero(), cluster) {
                (true, _) => {}
                (false, None) => gw.inner.security.authorizer_cache.insert(
                    key,
                    Arc::new(CachedAuthorization {
                        output: output.clone(),
                        ttl,
                        output_bytes: answer.len(),
                    }),
                ),
                (false, Some(cluster)) => {
                    crate::engine::security::shared_cache::put(cluster, &key, &answer, ttl).await
                }
            }
            (output, latency)
        }
    };

    let request = PolicyRequest {
        method_arn,
        source_ip: ctx.req.source_ip.into(),
        principal_arn: None,
    };
    match output.policy.evaluate(&request) {
        Decision::Allow => {}
        Decision::Deny => {
            return Err(GatewayError::AccessDenied {
                message: DENY_EXPLICIT.into(),
            });
        }
        Decision::Silent => {
            return Err(GatewayError::AccessDenied {
                message: DENY_NOT_COVERED.into(),
            });
        }
    }
    if api_key_from_authorizer && let Some(k) = &output.usage_identifier_key {
        ctx.identity.api_key = Some(k.clone());
    }
    ctx.authorizer = Some(AuthorizerContext {
        principal_id: output.principal_id.clone(),
        context: output.context.clone(),
        claims: None,
        scopes: None,
        integration_latency_ms: Some(latency_ms),
    });
    Ok(())
}

/// The REQUEST authorizer input: the proxy event's request fields with `type` and `methodArn`.
fn request_input(ctx: &RequestContext<'_>, method_arn: &str) -> Value {
    let event = crate::engine::integrations::lambda::proxy_event(ctx);
    let mut input = Map::new();
    input.insert("type".into(), Value::String("REQUEST".into()));
    input.insert("methodArn".into(), Value::String(method_arn.to_string()));
    if let Value::Object(map) = event {
        for (k, v) in map {
            if matches!(k.as_str(), "body" | "isBase64Encoded") {
                continue;
            }
            input.insert(k, v);
        }
    }
    Value::Object(input)
}

async fn invoke(
    gw: &Gateway,
    ctx: &RequestContext<'_>,
    authorizer: &Authorizer,
    input: Value,
) -> Result<(AuthorizerOutput, Bytes), GatewayError> {
    let uri = authorizer
        .authorizer_uri
        .as_deref()
        .ok_or(GatewayError::AuthorizerConfiguration)?;
    let uri = substitute_stage_variables(uri, &ctx.stage_variables);
    let (function, qualifier) =
        parse_function_uri(&uri).ok_or(GatewayError::AuthorizerConfiguration)?;
    let call = gw.inner.functions.invoke(
        &function,
        qualifier.as_deref(),
        Bytes::from(input.to_string()),
        ctx.xray.as_deref().map(|x| x.header_str()),
    );
    let invocation = match tokio::time::timeout(AUTHORIZER_TIMEOUT, call).await {
        Ok(Ok(inv)) => inv,
        Ok(Err(_)) | Err(_) => return Err(GatewayError::AuthorizerConfiguration),
    };
    if invocation.function_error.is_some() {
        let message = crate::engine::integrations::lambda::error_message(&invocation.payload);
        return Err(if message == "Unauthorized" {
            GatewayError::Unauthorized
        } else {
            GatewayError::AuthorizerConfiguration
        });
    }
    parse_output(&invocation.payload)
        .map(|output| (output, invocation.payload))
        .ok_or(GatewayError::AuthorizerConfiguration)
}

/// Parses an authorizer's output (execution.md §4.4); `None` when malformed.
pub fn parse_output(payload: &[u8]) -> Option<AuthorizerOutput> {
    let value: Value = serde_json::from_slice(payload).ok()?;
    let principal_id = match value.get("principalId") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        None | Some(Value::Null) => None,
        Some(_) => return None,
    };
    let doc = value.get("policyDocument").filter(|d| d.is_object())?;
    let policy = Policy::parse(doc, None).ok()?;
    let mut context = Vec::new();
    match value.get("context") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Null => continue,
                    Value::Array(_) | Value::Object(_) => return None,
                };
                context.push((k.clone(), text));
            }
        }
        Some(_) => return None,
    }
    let usage_identifier_key = value
        .get("usageIdentifierKey")
        .and_then(Value::as_str)
        .map(str::to_string);
    Some(AuthorizerOutput {
        principal_id,
        policy,
        context,
        usage_identifier_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_parse_or_are_configuration_errors() {
        let ok = br#"{"principalId":"user|a1","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"}]},"context":{"s":"v","n":1,"b":true},"usageIdentifierKey":"k1"}"#;
        let out = parse_output(ok).unwrap_or_else(|| panic!("valid output"));
        assert_eq!(out.principal_id.as_deref(), Some("user|a1"));
        assert_eq!(
            out.context,
            vec![
                ("s".into(), "v".into()),
                ("n".into(), "1".into()),
                ("b".into(), "true".into())
            ]
        );
        assert_eq!(out.usage_identifier_key.as_deref(), Some("k1"));
        assert!(parse_output(br#"{"principalId":"x"}"#).is_none());
        assert!(parse_output(br#"{"statusCode":200,"body":"hi"}"#).is_none());
        assert!(
            parse_output(
                br#"{"principalId":"x","policyDocument":{"Statement":[]},"context":{"o":{"a":1}}}"#
            )
            .is_none()
        );
    }
}
