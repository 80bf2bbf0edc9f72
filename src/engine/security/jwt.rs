//! COGNITO_USER_POOLS-style JWT authorizers (execution.md §4.5): the token from the identity
//! source header is verified (RS256 or ES256) against the JWKS configured for one of the
//! authorizer's `providerARNs` (`[jwks."ARN"]`: a file or a URL, fetched and cached by
//! [`super::jwks`]), with `iss`, `exp`, `nbf`, `token_use` and audience/client checks. `alg:
//! none`, HMAC algorithms, a `kid` not in the key set and a key whose `alg` differs from the
//! token's are refused. Without `authorizationScopes`
//! the token must be an ID token; with them, an access token carrying one of the scopes. Any
//! failure is 401 Unauthorized. Claims become `$context.authorizer.claims.*`.

use std::sync::Arc;
use std::time::Instant;

use base64::Engine;
use jsonwebtoken::jwk::KeyAlgorithm;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::jwks::pool_id;
use super::{AuthorizerContext, JwksSource};
use crate::engine::Gateway;
use crate::engine::context::RequestContext;
use crate::engine::error::GatewayError;
use crate::model::Authorizer;

fn default_issuer(arn: &str) -> Option<String> {
    let region = arn.split(':').nth(3).filter(|r| !r.is_empty())?;
    Some(format!(
        "https://cognito-idp.{region}.amazonaws.com/{}",
        pool_id(arn)?
    ))
}

/// The `iss` claim, read before the signature is checked, only to pick the provider whose
/// keys to check it with (the verified decode checks it again).
fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    // Only `iss` is kept; the other claims are skipped without being stored.
    #[derive(serde::Deserialize)]
    struct Issuer {
        iss: Option<String>,
    }
    serde_json::from_slice::<Issuer>(&bytes).ok()?.iss
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

/// The token's claims when it verifies against one of the authorizer's providers: the ones
/// whose issuer is the token's `iss`, tried in order; a provider that cannot serve its keys
/// (down, timing out, malformed) is skipped, so it does not stop the others.
pub async fn verify(
    gw: &Gateway,
    authorizer: &Authorizer,
    token: &str,
    scopes: &[String],
) -> Result<Map<String, Value>, String> {
    // `decode_header` refuses `alg: none` (not an algorithm it knows); HMAC algorithms are
    // refused here, so a token signed with the RSA public key as an HMAC secret never is.
    let header = jsonwebtoken::decode_header(token).map_err(|e| format!("malformed token: {e}"))?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
        return Err(format!("algorithm {:?} is not accepted", header.alg));
    }
    let kid = header.kid.clone().ok_or("the token has no kid")?;
    let token_issuer = unverified_issuer(token).ok_or("the token has no iss")?;
    let now = Instant::now();
    let mut last_error = "no provider ARN of the authorizer has a [jwks] entry".to_string();
    for arn in &authorizer.provider_a_r_ns {
        let Some(provider) = gw.inner.security.jwks.provider(arn) else {
            continue;
        };
        let Some(issuer) = provider
            .source
            .issuer
            .clone()
            .or_else(|| default_issuer(arn))
        else {
            last_error = format!("no issuer configured for {arn}");
            continue;
        };
        if issuer != token_issuer {
            last_error = format!("no provider has the issuer {token_issuer}");
            continue;
        }
        let set = match provider.key_set(&gw.inner.http, &kid, now).await {
            Ok(set) => set,
            Err(e) => {
                last_error = e;
                continue;
            }
        };
        let Some(jwk) = set.find(&kid) else {
            last_error = format!("kid {kid} is not in the key set");
            continue;
        };
        if jwk
            .common
            .key_algorithm
            .is_some_and(|a| a != KeyAlgorithm::from(header.alg))
        {
            last_error = format!("key {kid} is not for {:?}", header.alg);
            continue;
        }
        let key = match DecodingKey::from_jwk(jwk) {
            Ok(key) => key,
            Err(e) => {
                last_error = format!("unusable key {kid}: {e}");
                continue;
            }
        };
        let mut validation = Validation::new(header.alg);
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.set_issuer(&[issuer.as_str()]);
        let data = match jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation) {
            Ok(data) => data,
            Err(e) => {
                last_error = format!("token rejected: {e}");
                continue;
            }
        };
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
