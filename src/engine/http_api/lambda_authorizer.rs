//! HTTP API Lambda REQUEST authorizers (http-websocket.md §1.4): payload format 2.0 or 1.0,
//! simple responses (`{"isAuthorized": …, "context": …}`) or IAM policies evaluated against
//! the route ARN; results cached per identity-source values for
//! `authorizerResultTtlInSeconds`. A missing identity source is 401; a deny is 403; a
//! failing or malformed authorizer is 500.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::HttpContext;
use super::event;
use super::mapping;
use super::respond::HttpError;
use crate::engine::Gateway;
use crate::engine::resource_policy::{Decision, PolicyRequest};
use crate::engine::security::lambda_authorizer::parse_output;
use crate::model::v2::Authorizer;

/// Authorizer functions get 10 s.
pub const AUTHORIZER_TIMEOUT: Duration = Duration::from_secs(10);

/// A cached decision: allowed with its `requestContext.authorizer.lambda` value, or denied.
#[derive(Debug, Clone)]
pub struct Decided {
    pub allowed: bool,
    pub context: Value,
    pub expires: Instant,
}

/// Cached authorizer results by (API, stage, authorizer, route ARN, identity values).
pub struct ResultCache {
    entries: moka::sync::Cache<String, Arc<Decided>>,
}

impl Default for ResultCache {
    fn default() -> Self {
        ResultCache {
            entries: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(3600))
                .build(),
        }
    }
}

/// The route ARN (`arn:aws:execute-api:{region}:{account}:{api}/{stage}/{VERB}{path}`).
pub fn route_arn(ctx: &HttpContext<'_>) -> String {
    format!(
        "arn:aws:execute-api:{}:{}:{}/{}/{}{}",
        crate::engine::REGION,
        crate::engine::ACCOUNT_ID,
        ctx.req.api_id,
        ctx.stage.stage_name,
        ctx.req.method,
        ctx.path
    )
}

/// The values of the identity sources; `None` when one is missing or empty.
fn identity_values(ctx: &HttpContext<'_>, authorizer: &Authorizer) -> Option<Vec<String>> {
    authorizer
        .identity_source
        .iter()
        .map(|s| {
            let parts =
                crate::model::v2::mapping::parse_value(s, crate::model::v2::mapping::Side::Request)
                    .ok()?;
            Some(mapping::render(ctx, &parts, None)).filter(|v| !v.is_empty())
        })
        .collect()
}

fn event_for(ctx: &HttpContext<'_>, a: &Authorizer, identity: &[String], arn: &str) -> Value {
    if a.authorizer_payload_format_version.as_deref() == Some("2.0") {
        let mut e = match event::event_v2(ctx) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        e.remove("body");
        e.remove("isBase64Encoded");
        e.insert("type".into(), json!("REQUEST"));
        e.insert("routeArn".into(), json!(arn));
        e.insert("identitySource".into(), json!(identity));
        Value::Object(e)
    } else {
        let mut e = match event::event_v1(ctx) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        e.remove("body");
        e.remove("isBase64Encoded");
        e.insert("type".into(), json!("REQUEST"));
        e.insert("methodArn".into(), json!(arn));
        e.insert("identitySource".into(), json!(identity.join(",")));
        if let Some(t) = ctx.header("authorization") {
            e.insert("authorizationToken".into(), json!(t));
        }
        Value::Object(e)
    }
}

/// Reads the function's answer.
fn decide(
    a: &Authorizer,
    payload: &[u8],
    arn: &str,
    ctx: &HttpContext<'_>,
) -> Result<(bool, Value), HttpError> {
    let simple = a.enable_simple_responses == Some(true)
        && a.authorizer_payload_format_version.as_deref() == Some("2.0");
    if simple {
        let v: Value = serde_json::from_slice(payload)
            .map_err(|_| HttpError::Internal("The authorizer's response is not JSON".into()))?;
        let allowed = v
            .get("isAuthorized")
            .and_then(Value::as_bool)
            .ok_or_else(|| {
                HttpError::Internal("The authorizer's response has no boolean isAuthorized".into())
            })?;
        let context = match v.get("context") {
            None | Some(Value::Null) => json!({}),
            Some(Value::Object(m)) => Value::Object(m.clone()),
            Some(_) => {
                return Err(HttpError::Internal(
                    "The authorizer's context is not an object".into(),
                ));
            }
        };
        return Ok((allowed, context));
    }
    let out = parse_output(payload).ok_or_else(|| {
        HttpError::Internal("The authorizer's response is not a valid IAM policy response".into())
    })?;
    let decision = out.policy.evaluate(&PolicyRequest {
        method_arn: arn,
        source_ip: Some(ctx.req.source_ip),
        principal_arn: None,
    });
    let mut context: Map<String, Value> = out
        .context
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    if let Some(p) = out.principal_id {
        context.insert("principalId".into(), Value::String(p));
    }
    Ok((decision == Decision::Allow, Value::Object(context)))
}

/// Runs (or reuses) the authorizer; on success sets `requestContext.authorizer.lambda`.
pub async fn authorize(
    gw: &Gateway,
    ctx: &mut HttpContext<'_>,
    a: &Authorizer,
) -> Result<(), HttpError> {
    let identity = if a.identity_source.is_empty() {
        Vec::new()
    } else {
        identity_values(ctx, a).ok_or(HttpError::Unauthorized {
            www_authenticate: None,
        })?
    };
    let arn = route_arn(ctx);
    let ttl = Duration::from_secs(
        a.authorizer_result_ttl_in_seconds
            .unwrap_or(0)
            .clamp(0, 3600) as u64,
    );
    let key = (!ttl.is_zero() && !identity.is_empty()).then(|| {
        format!(
            "{}\n{}\n{}\n{}\n{}",
            ctx.req.api_id,
            ctx.stage.stage_name,
            a.authorizer_id,
            arn,
            identity.join("\n")
        )
    });
    let cache = &gw.inner.http_api.authorizer_results;
    let cached = key
        .as_ref()
        .and_then(|k| cache.entries.get(k))
        .filter(|d| d.expires > Instant::now());
    let decided = match cached {
        Some(d) => d,
        None => {
            let uri = a.authorizer_uri.as_deref().unwrap_or_default();
            let (name, qualifier) = super::live::lambda_target(uri, &ctx.stage.variables)
                .ok_or_else(|| HttpError::Internal(format!("Invalid authorizer URI {uri}")))?;
            let payload = serde_json::to_vec(&event_for(ctx, a, &identity, &arn))
                .map_err(|e| HttpError::Internal(e.to_string()))?;
            let invocation = tokio::time::timeout(
                AUTHORIZER_TIMEOUT,
                gw.inner
                    .functions
                    .invoke(&name, qualifier.as_deref(), Bytes::from(payload), None),
            )
            .await
            .map_err(|_| HttpError::Internal("The authorizer timed out".into()))?
            .map_err(|e| HttpError::Internal(format!("The authorizer failed: {e}")))?;
            if invocation.function_error.is_some() {
                return Err(HttpError::Internal(format!(
                    "The authorizer function failed: {}",
                    String::from_utf8_lossy(&invocation.payload)
                )));
            }
            let (allowed, context) = decide(a, &invocation.payload, &arn, ctx)?;
            let d = Arc::new(Decided {
                allowed,
                context,
                expires: Instant::now() + ttl,
            });
            if let Some(k) = key {
                cache.entries.insert(k, d.clone());
            }
            d
        }
    };
    if !decided.allowed {
        ctx.authorizer_error = Some("Forbidden".into());
        return Err(HttpError::Forbidden);
    }
    ctx.authorizer = Some(json!({ "lambda": decided.context }));
    Ok(())
}
