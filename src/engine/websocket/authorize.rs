//! Authorization on `$connect` (http-websocket.md §2.2): a Lambda REQUEST authorizer with
//! identity sources (`route.request.header.X`, `route.request.querystring.X`,
//! `stageVariables.X`, `context.X`) or AWS_IAM (SigV4, usually presigned, with the `[iam]`
//! credentials). A missing identity source is 401, a deny 403, a failing authorizer 500.

use bytes::Bytes;
use http::HeaderMap;
use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::event::{ConnectionInfo, RequestMeta, request_context};
use crate::auth::sigv4;
use crate::engine::Gateway;
use crate::engine::resource_policy::{Decision, PolicyRequest};
use crate::engine::security::lambda_authorizer::parse_output;
use crate::model::v2::Authorizer;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("Unauthorized")]
    Unauthorized,
    #[error("Forbidden")]
    Forbidden,
    #[error("{0}")]
    Failed(String),
}

/// The upgrade request, as authorization reads it.
pub struct ConnectRequest<'a> {
    pub headers: &'a HeaderMap,
    pub query: &'a [(String, String)],
    pub stage_variables: &'a IndexMap<String, String>,
}

fn identity_value(source: &str, req: &ConnectRequest<'_>, context: &Value) -> Option<String> {
    let v = if let Some(h) = source.strip_prefix("route.request.header.") {
        req.headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    } else if let Some(q) = source.strip_prefix("route.request.querystring.") {
        req.query
            .iter()
            .find(|(k, _)| k == q)
            .map(|(_, v)| v.clone())
    } else if let Some(s) = source.strip_prefix("stageVariables.") {
        req.stage_variables.get(s).cloned()
    } else if let Some(c) = source.strip_prefix("context.") {
        c.split('.')
            .try_fold(context, |v, k| v.get(k))
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
    } else {
        None
    };
    v.filter(|s| !s.is_empty())
}

/// What an authorizer allowed: `requestContext.authorizer`, and its `usageIdentifierKey`
/// (the API key when `apiKeySelectionExpression` is `$context.authorizer.usageIdentifierKey`).
#[derive(Debug, Clone)]
pub struct Allowed {
    pub context: Value,
    pub usage_identifier_key: Option<String>,
}

/// A decision: allowed, or denied (`None`); until when.
pub type ResultCache =
    moka::sync::Cache<String, std::sync::Arc<(Option<Allowed>, std::time::Instant)>>;

pub fn method_arn(info: &ConnectionInfo) -> String {
    format!(
        "arn:aws:execute-api:{}:{}:{}/{}/$connect",
        crate::engine::REGION,
        crate::engine::ACCOUNT_ID,
        info.api_id,
        info.stage
    )
}

/// Runs a Lambda REQUEST authorizer; on success, `requestContext.authorizer` and the key.
pub async fn lambda(
    gw: &Gateway,
    a: &Authorizer,
    info: &ConnectionInfo,
    meta: &RequestMeta,
    req: &ConnectRequest<'_>,
) -> Result<Allowed, Refusal> {
    let context = request_context(info, meta);
    let mut identity = Vec::with_capacity(a.identity_source.len());
    for s in &a.identity_source {
        identity.push(identity_value(s, req, &context).ok_or(Refusal::Unauthorized)?);
    }
    let ttl = std::time::Duration::from_secs(
        a.authorizer_result_ttl_in_seconds
            .unwrap_or(0)
            .clamp(0, 3600) as u64,
    );
    let key = (!ttl.is_zero() && !identity.is_empty()).then(|| {
        format!(
            "{}\n{}\n{}\n{}",
            info.api_id,
            info.stage,
            a.authorizer_id,
            identity.join("\n")
        )
    });
    let cache = &gw.inner.websocket.authorizer_results;
    if let Some(k) = &key
        && let Some(hit) = cache.get(k)
        && hit.1 > std::time::Instant::now()
    {
        return hit.0.clone().ok_or(Refusal::Forbidden);
    }
    let decided = invoke_lambda(gw, a, info, meta, req).await;
    if let Some(k) = key {
        match &decided {
            Ok(v) => cache.insert(
                k,
                std::sync::Arc::new((Some(v.clone()), std::time::Instant::now() + ttl)),
            ),
            Err(Refusal::Forbidden) => cache.insert(
                k,
                std::sync::Arc::new((None, std::time::Instant::now() + ttl)),
            ),
            Err(_) => {}
        }
    }
    decided
}

async fn invoke_lambda(
    gw: &Gateway,
    a: &Authorizer,
    info: &ConnectionInfo,
    meta: &RequestMeta,
    req: &ConnectRequest<'_>,
) -> Result<Allowed, Refusal> {
    let arn = method_arn(info);
    let event = super::event::lambda_event(info, meta, None, false, Some((req.headers, req.query)));
    let mut event = match event {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    event.remove("isBase64Encoded");
    event.insert("type".into(), json!("REQUEST"));
    event.insert("methodArn".into(), json!(arn));
    event.insert("stageVariables".into(), json!(req.stage_variables));
    let uri = a.authorizer_uri.as_deref().unwrap_or_default();
    let (name, qualifier) = crate::engine::http_api::live::lambda_target(uri, req.stage_variables)
        .ok_or_else(|| Refusal::Failed(format!("Invalid authorizer URI {uri}")))?;
    let payload =
        serde_json::to_vec(&Value::Object(event)).map_err(|e| Refusal::Failed(e.to_string()))?;
    let invocation = tokio::time::timeout(
        crate::engine::http_api::lambda_authorizer::AUTHORIZER_TIMEOUT,
        gw.inner
            .functions
            .invoke(&name, qualifier.as_deref(), Bytes::from(payload), None),
    )
    .await
    .map_err(|_| Refusal::Failed("The authorizer timed out".into()))?
    .map_err(|e| Refusal::Failed(format!("The authorizer failed: {e}")))?;
    if invocation.function_error.is_some() {
        // A function that throws "Unauthorized" answers 401, as AWS does.
        if String::from_utf8_lossy(&invocation.payload).contains("Unauthorized") {
            return Err(Refusal::Unauthorized);
        }
        return Err(Refusal::Failed("The authorizer function failed".into()));
    }
    let out = parse_output(&invocation.payload).ok_or_else(|| {
        Refusal::Failed("The authorizer's response is not a valid IAM policy response".into())
    })?;
    let decision = out.policy.evaluate(&PolicyRequest {
        method_arn: &arn,
        source_ip: Some(info.source_ip),
        principal_arn: None,
    });
    if decision != Decision::Allow {
        return Err(Refusal::Forbidden);
    }
    let mut ctx: Map<String, Value> = out
        .context
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    if let Some(p) = out.principal_id {
        ctx.insert("principalId".into(), Value::String(p));
    }
    Ok(Allowed {
        context: Value::Object(ctx),
        usage_identifier_key: out.usage_identifier_key,
    })
}

/// SigV4 (header or presigned query) with the `[iam]` credentials, service `execute-api`:
/// the caller's access key id and user name (`None`: refused).
fn iam_verify(
    gw: &Gateway,
    method: &str,
    raw_path: &str,
    raw_query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<(String, Option<String>)> {
    let credentials = gw.inner.security.iam_credentials();
    let key_for = |k: &str| {
        credentials.get(k).map(|c| sigv4::KeyMaterial {
            secret: &c.secret_access_key,
            session_token: c.session_token.as_deref(),
        })
    };
    let parts = sigv4::RequestParts {
        method,
        path: raw_path,
        query: raw_query,
        headers,
        authority: None,
        body,
    };
    let now = time::OffsetDateTime::now_utc();
    let result = if headers.get(http::header::AUTHORIZATION).is_none() {
        sigv4::verify_presigned(&parts, &sigv4::EXECUTE_API, key_for, now)
    } else {
        sigv4::verify(&parts, &sigv4::EXECUTE_API, key_for, now)
    };
    let auth = result.ok()?;
    let user = credentials
        .get(&auth.access_key_id)
        .and_then(|c| c.user.clone());
    Some((auth.access_key_id, user))
}

/// SigV4 as [`iam`] checks it, without building the identity (`@connections`, once per call).
pub fn iam_check(
    gw: &Gateway,
    method: &str,
    raw_path: &str,
    raw_query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Refusal> {
    iam_verify(gw, method, raw_path, raw_query, headers, body)
        .map(|_| ())
        .ok_or(Refusal::Forbidden)
}

/// SigV4 (header or presigned query) with the `[iam]` credentials, service `execute-api`;
/// `$connect`'s `requestContext.identity` on success.
pub fn iam(
    gw: &Gateway,
    method: &str,
    raw_path: &str,
    raw_query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, Refusal> {
    let (access_key_id, user) =
        iam_verify(gw, method, raw_path, raw_query, headers, body).ok_or(Refusal::Forbidden)?;
    let user = user.unwrap_or_else(|| access_key_id.clone());
    Ok(json!({
        "accessKey": access_key_id,
        "accountId": crate::engine::ACCOUNT_ID,
        "caller": access_key_id,
        "userArn": format!("arn:aws:iam::{}:user/{user}", crate::engine::ACCOUNT_ID),
    }))
}
