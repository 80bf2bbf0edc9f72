//! HTTP API JWT authorizers (http-websocket.md §1.4): the token from the identity source
//! (bare or `Bearer …`) is verified against the issuer's keys, found through OIDC discovery
//! (`{issuer}/.well-known/openid-configuration` → `jwks_uri`, 1,500 ms, at most 150,000
//! bytes, cached 10 minutes; an unknown `kid` refetches at most every 30 s). RSA algorithms
//! only; `iss` must equal the issuer, `aud` or `client_id` must be one of the audiences,
//! `exp` > now, `nbf` ≤ now, `iat` ≤ now; a route's scopes need one of them in `scope`/`scp`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value, json};

use super::respond::HttpError;
use crate::model::v2::Authorizer;

pub const JWKS_TTL: Duration = Duration::from_secs(600);
pub const JWKS_REFRESH_MIN: Duration = Duration::from_secs(30);
pub const FETCH_TIMEOUT: Duration = Duration::from_millis(1500);
pub const MAX_JWKS_BYTES: usize = 150_000;

/// Key sets by issuer (what was fetched, and when). A miss fetches once per issuer:
/// concurrent requests wait for that fetch (single flight) instead of each fetching.
pub struct JwksCache {
    sets: moka::sync::Cache<String, (Instant, Arc<JwkSet>)>,
    /// One fetch lock per issuer, taken only on a miss (never on the hit path).
    fetching: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Default for JwksCache {
    fn default() -> Self {
        JwksCache {
            sets: moka::sync::Cache::builder()
                .max_capacity(256)
                .time_to_live(JWKS_TTL)
                .build(),
            fetching: std::sync::Mutex::default(),
        }
    }
}

async fn fetch_text(http: &reqwest::Client, url: &str) -> Result<String, String> {
    let fut = async {
        let mut r = http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("cannot fetch {url}: {e}"))?;
        if !r.status().is_success() {
            return Err(format!("{url} answered {}", r.status()));
        }
        let mut buf = Vec::new();
        while let Some(chunk) = r
            .chunk()
            .await
            .map_err(|e| format!("cannot read {url}: {e}"))?
        {
            if buf.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(format!("{url} is larger than {MAX_JWKS_BYTES} bytes"));
            }
            buf.extend_from_slice(&chunk);
        }
        String::from_utf8(buf).map_err(|_| format!("{url} is not UTF-8"))
    };
    tokio::time::timeout(FETCH_TIMEOUT, fut)
        .await
        .map_err(|_| {
            format!(
                "fetching {url} took longer than {} ms",
                FETCH_TIMEOUT.as_millis()
            )
        })?
}

impl JwksCache {
    async fn keys(
        &self,
        http: &reqwest::Client,
        issuer: &str,
        force: bool,
    ) -> Result<Arc<JwkSet>, String> {
        let fresh = |cache: &Self| {
            cache
                .sets
                .get(issuer)
                .filter(|(at, _)| !force || at.elapsed() < JWKS_REFRESH_MIN)
                .map(|(_, set)| set)
        };
        if let Some(set) = fresh(self) {
            return Ok(set);
        }
        let lock = self
            .fetching
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(issuer.to_string())
            .or_default()
            .clone();
        let _flight = lock.lock().await;
        // Someone else's fetch may have landed while this request waited.
        if let Some(set) = fresh(self) {
            return Ok(set);
        }
        let discovery = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let config: Value = serde_json::from_str(&fetch_text(http, &discovery).await?)
            .map_err(|e| format!("malformed OpenID configuration: {e}"))?;
        let jwks_uri = config
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or("the OpenID configuration has no jwks_uri")?;
        let set: JwkSet = serde_json::from_str(&fetch_text(http, jwks_uri).await?)
            .map_err(|e| format!("malformed JWKS: {e}"))?;
        let set = Arc::new(set);
        self.sets
            .insert(issuer.to_string(), (Instant::now(), set.clone()));
        Ok(set)
    }
}

fn unauthorized(description: &str) -> HttpError {
    HttpError::Unauthorized {
        www_authenticate: Some(format!(
            "Bearer scope=\"\" error=\"invalid_token\" error_description=\"{description}\""
        )),
    }
}

/// The token of an identity-source value: `Bearer x` or the bare token.
pub fn token_of(value: &str) -> &str {
    let v = value.trim();
    match v.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("bearer ") => v[7..].trim(),
        _ => v,
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn number(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    claims
        .get(name)
        .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
}

/// Verifies `token` for `authorizer` and the route's `scopes`; the `requestContext.authorizer`
/// value (`{"jwt": {"claims": …, "scopes": …}}`) on success.
pub async fn authorize(
    cache: &JwksCache,
    http: &reqwest::Client,
    authorizer: &Authorizer,
    token: &str,
    scopes: &[String],
) -> Result<Value, HttpError> {
    let config = authorizer.jwt_configuration.clone().unwrap_or_default();
    let issuer = config.issuer.as_deref().unwrap_or_default();
    let header = jsonwebtoken::decode_header(token)
        .map_err(|_| unauthorized("the token is not a valid JWT"))?;
    if !matches!(
        header.alg,
        Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512
    ) {
        return Err(unauthorized(
            "the token is not signed with an RSA algorithm",
        ));
    }
    let kid = header
        .kid
        .ok_or_else(|| unauthorized("the token has no kid"))?;
    let mut set = cache
        .keys(http, issuer, false)
        .await
        .map_err(|e| HttpError::Unauthorized { www_authenticate: Some(format!("Bearer scope=\"\" error=\"invalid_token\" error_description=\"unable to fetch the issuer's keys: {}\"", e.replace('"', "'"))) })?;
    if set.find(&kid).is_none() {
        set = cache
            .keys(http, issuer, true)
            .await
            .map_err(|_| unauthorized("unable to fetch the issuer's keys"))?;
    }
    let jwk = set
        .find(&kid)
        .ok_or_else(|| unauthorized("no key matches the token's kid"))?;
    let key =
        DecodingKey::from_jwk(jwk).map_err(|_| unauthorized("the issuer's key is unusable"))?;
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .map_err(|_| unauthorized("signature verification failed"))?;
    let claims = data.claims;
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(unauthorized("the token has an invalid issuer"));
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => claims
            .get("client_id")
            .and_then(Value::as_str)
            .into_iter()
            .collect(),
    };
    if !audiences
        .iter()
        .any(|a| config.audience.iter().any(|c| c == a))
    {
        return Err(unauthorized(
            "the token does not have a valid audience or client_id",
        ));
    }
    let now = now_secs();
    match number(&claims, "exp") {
        Some(exp) if exp > now => {}
        Some(_) => return Err(unauthorized("the token has expired")),
        None => return Err(unauthorized("the token has no exp")),
    }
    if number(&claims, "nbf").is_some_and(|nbf| nbf > now) {
        return Err(unauthorized("the token is not valid yet"));
    }
    if number(&claims, "iat").is_some_and(|iat| iat > now) {
        return Err(unauthorized("the token was issued in the future"));
    }
    let token_scopes: Vec<String> = match claims.get("scope").or_else(|| claims.get("scp")) {
        Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    if !scopes.is_empty() && !scopes.iter().any(|s| token_scopes.contains(s)) {
        return Err(HttpError::InsufficientScope(format!(
            "Bearer scope=\"{}\" error=\"insufficient_scope\" error_description=\"expected scopes: {}\"",
            scopes.join(" "),
            scopes.join(" ")
        )));
    }
    let claims: Map<String, Value> = claims
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => Value::String(s),
                Value::Array(a) => Value::String(format!(
                    "[{}]",
                    a.iter()
                        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join(" ")
                )),
                other => Value::String(other.to_string()),
            };
            (k, v)
        })
        .collect();
    Ok(json!({
        "jwt": {
            "claims": claims,
            "scopes": if token_scopes.is_empty() { Value::Null } else { json!(token_scopes) },
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_prefix_is_optional() {
        assert_eq!(token_of("Bearer abc"), "abc");
        assert_eq!(token_of("bearer  abc "), "abc");
        assert_eq!(token_of("abc"), "abc");
    }
}
