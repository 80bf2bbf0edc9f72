//! COGNITO_USER_POOLS-style JWT authorizers (execution.md §4.5): the token from the identity
//! source header is verified (RS256 or ES256) against the JWKS configured for one of the
//! authorizer's `providerARNs` (`[jwks."ARN"]`: a file or a URL, fetched and cached), with
//! `iss`, `exp`, `nbf`, `token_use` and audience/client checks. Without `authorizationScopes`
//! the token must be an ID token; with them, an access token carrying one of the scopes. Any
//! failure is 401 Unauthorized. Claims become `$context.authorizer.claims.*`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::{AuthorizerContext, JwksSource};
use crate::engine::Gateway;
use crate::engine::error::GatewayError;
use crate::engine::pipeline::RequestContext;
use crate::model::Authorizer;

/// How long fetched (or read) key sets are reused.
pub const JWKS_TTL: Duration = Duration::from_secs(600);
/// An unknown `kid` refetches a key set at most this often.
pub const JWKS_REFRESH_MIN: Duration = Duration::from_secs(30);

struct Provider {
    source: JwksSource,
    cached: Mutex<Option<(Instant, Arc<JwkSet>)>>,
}

/// JWKS sources by provider ARN (or user-pool id), with their cached key sets.
#[derive(Default)]
pub struct JwksRegistry {
    providers: RwLock<HashMap<String, Arc<Provider>>>,
}

impl JwksRegistry {
    pub fn set(&self, sources: Vec<(String, JwksSource)>) {
        let map = sources
            .into_iter()
            .map(|(k, source)| {
                (
                    k,
                    Arc::new(Provider {
                        source,
                        cached: Mutex::new(None),
                    }),
                )
            })
            .collect();
        *self.providers.write().unwrap_or_else(|p| p.into_inner()) = map;
    }

    fn provider(&self, arn: &str) -> Option<Arc<Provider>> {
        let providers = self.providers.read().unwrap_or_else(|p| p.into_inner());
        providers
            .get(arn)
            .or_else(|| pool_id(arn).and_then(|id| providers.get(id)))
            .cloned()
    }
}

/// `arn:aws:cognito-idp:{region}:{acct}:userpool/{poolId}` → `poolId`.
fn pool_id(arn: &str) -> Option<&str> {
    arn.rsplit_once(":userpool/").map(|(_, id)| id)
}

fn default_issuer(arn: &str) -> Option<String> {
    let region = arn.split(':').nth(3).filter(|r| !r.is_empty())?;
    Some(format!(
        "https://cognito-idp.{region}.amazonaws.com/{}",
        pool_id(arn)?
    ))
}

impl Provider {
    async fn keys(&self, http: &reqwest::Client, force: bool) -> Result<Arc<JwkSet>, String> {
        if let Some((at, set)) = self
            .cached
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            let fresh = at.elapsed() < if force { JWKS_REFRESH_MIN } else { JWKS_TTL };
            if fresh {
                return Ok(set.clone());
            }
        }
        let text = if let Some(file) = &self.source.file {
            tokio::fs::read_to_string(file)
                .await
                .map_err(|e| format!("cannot read JWKS {}: {e}", file.display()))?
        } else if let Some(url) = &self.source.url {
            let response = http
                .get(url)
                .send()
                .await
                .map_err(|e| format!("cannot fetch JWKS {url}: {e}"))?;
            if !response.status().is_success() {
                return Err(format!("JWKS {url} answered {}", response.status()));
            }
            response
                .text()
                .await
                .map_err(|e| format!("cannot read JWKS {url}: {e}"))?
        } else {
            return Err("the JWKS source names neither a file nor a url".into());
        };
        let set: JwkSet =
            serde_json::from_str(&text).map_err(|e| format!("malformed JWKS: {e}"))?;
        let set = Arc::new(set);
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), set.clone()));
        Ok(set)
    }
}

/// Verifies the request's token; on success fills `ctx.authorizer` with the claims.
pub async fn authorize(
    gw: &Gateway,
    ctx: &mut RequestContext<'_>,
    authorizer: &Authorizer,
    scopes: &[String],
) -> Result<(), GatewayError> {
    let source = authorizer
        .identity_source
        .as_deref()
        .unwrap_or("method.request.header.Authorization");
    let header = source
        .trim()
        .strip_prefix("method.request.header.")
        .unwrap_or("Authorization")
        .to_ascii_lowercase();
    let raw = ctx
        .header(&header)
        .filter(|t| !t.is_empty())
        .ok_or(GatewayError::Unauthorized)?;
    let token = raw
        .strip_prefix("Bearer ")
        .unwrap_or(raw)
        .trim()
        .to_string();
    let claims = verify(gw, authorizer, &token, scopes)
        .await
        .map_err(|_| GatewayError::Unauthorized)?;
    let token_scopes = claims
        .get("scope")
        .and_then(Value::as_str)
        .map(|s| s.split_whitespace().map(str::to_string).collect::<Vec<_>>());
    ctx.authorizer = Some(AuthorizerContext {
        principal_id: claims
            .get("sub")
            .and_then(Value::as_str)
            .map(str::to_string),
        context: Vec::new(),
        claims: Some(claims),
        scopes: if scopes.is_empty() {
            None
        } else {
            token_scopes
        },
        integration_latency_ms: None,
    });
    Ok(())
}

/// The token's claims when it verifies against one of the authorizer's providers.
pub async fn verify(
    gw: &Gateway,
    authorizer: &Authorizer,
    token: &str,
    scopes: &[String],
) -> Result<Map<String, Value>, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| format!("malformed token: {e}"))?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
        return Err(format!("algorithm {:?} is not accepted", header.alg));
    }
    let kid = header.kid.clone().ok_or("the token has no kid")?;
    let mut last_error = "no provider ARN of the authorizer has a [jwks] entry".to_string();
    for arn in &authorizer.provider_a_r_ns {
        let Some(provider) = gw.inner.security.jwks.provider(arn) else {
            continue;
        };
        let mut set = provider.keys(&gw.inner.http, false).await?;
        if set.find(&kid).is_none() {
            set = provider.keys(&gw.inner.http, true).await?;
        }
        let Some(jwk) = set.find(&kid) else {
            last_error = format!("kid {kid} is not in the key set");
            continue;
        };
        let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("unusable key {kid}: {e}"))?;
        let mut validation = Validation::new(header.alg);
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss"]);
        let issuer = provider
            .source
            .issuer
            .clone()
            .or_else(|| default_issuer(arn))
            .ok_or("no issuer configured")?;
        validation.set_issuer(&[issuer.as_str()]);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|e| format!("token rejected: {e}"))?;
        check_use(&data.claims, authorizer, &provider.source, scopes, |expr| {
            gw.inner.security.regex(expr)
        })?;
        return Ok(data.claims);
    }
    Err(last_error)
}

fn check_use(
    claims: &Map<String, Value>,
    authorizer: &Authorizer,
    source: &JwksSource,
    scopes: &[String],
    regex: impl Fn(&str) -> Option<Arc<regex::Regex>>,
) -> Result<(), String> {
    let token_use = claims.get("token_use").and_then(Value::as_str);
    if scopes.is_empty() {
        if token_use != Some("id") {
            return Err("an ID token is required".into());
        }
        let aud: Vec<&str> = match claims.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !source.audience.is_empty()
            && !aud.iter().any(|a| source.audience.iter().any(|x| x == a))
        {
            return Err("aud does not match".into());
        }
        if let Some(expr) = authorizer
            .identity_validation_expression
            .as_deref()
            .filter(|e| !e.is_empty())
        {
            let re = regex(expr).ok_or("invalid identityValidationExpression")?;
            if !aud.iter().any(|a| re.is_match(a)) {
                return Err("aud does not match the identity validation expression".into());
            }
        }
    } else {
        if token_use != Some("access") {
            return Err("an access token is required".into());
        }
        let client = claims
            .get("client_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !source.audience.is_empty() && !source.audience.iter().any(|a| a == client) {
            return Err("client_id does not match".into());
        }
        let granted = claims
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !granted
            .split_whitespace()
            .any(|g| scopes.iter().any(|s| s == g))
        {
            return Err("no required scope".into());
        }
    }
    Ok(())
}
