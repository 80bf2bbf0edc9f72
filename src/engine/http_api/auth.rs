//! Phase auth: the route's `authorizationType` — NONE, JWT, CUSTOM (Lambda REQUEST
//! authorizer) or AWS_IAM (SigV4 against the configured `[iam] credentials`).

use serde_json::json;

use super::HttpContext;
use super::live::RouteAuth;
use super::respond::HttpError;
use super::{jwt, lambda_authorizer};
use crate::auth::sigv4;
use crate::engine::Gateway;

/// Shared state of HTTP API authorization: key sets and cached Lambda authorizer results.
#[derive(Default)]
pub struct Shared {
    pub jwks: jwt::JwksCache,
    pub authorizer_results: lambda_authorizer::ResultCache,
}

pub async fn run(gw: &Gateway, ctx: &mut HttpContext<'_>) -> Result<(), HttpError> {
    let Some(route) = ctx.route() else {
        return Ok(());
    };
    let auth = route.auth.clone();
    let scopes = route.scopes.clone();
    match auth {
        RouteAuth::None => Ok(()),
        RouteAuth::Jwt { authorizer_id } => {
            let a = ctx
                .stage
                .compiled
                .authorizers
                .get(&authorizer_id)
                .cloned()
                .ok_or_else(|| {
                    HttpError::Internal(format!("authorizer {authorizer_id} is missing"))
                })?;
            let source = a
                .identity_source
                .first()
                .cloned()
                .unwrap_or_else(|| "$request.header.Authorization".into());
            let parts = crate::model::v2::mapping::parse_value(
                &source,
                crate::model::v2::mapping::Side::Request,
            )
            .map_err(|e| HttpError::Internal(e.to_string()))?;
            let value = super::mapping::render(ctx, &parts, None);
            if value.trim().is_empty() {
                ctx.authorizer_error = Some("Unauthorized".into());
                return Err(HttpError::Unauthorized {
                    www_authenticate: None,
                });
            }
            // Boxed, as every branch not on each request's path: a future is as large as its
            // largest state, and hyper moves every request's future whole
            // (docs/PERFORMANCE.md, "Data plane, round 5").
            let result = Box::pin(jwt::authorize(
                &gw.inner.http_api.jwks,
                &gw.inner.http,
                &a,
                jwt::token_of(&value),
                &scopes,
            ))
            .await;
            match result {
                Ok(v) => {
                    ctx.authorizer = Some(v);
                    Ok(())
                }
                Err(e) => {
                    ctx.authorizer_error = Some(e.reason());
                    Err(e)
                }
            }
        }
        RouteAuth::Lambda { authorizer_id } => {
            let a = ctx
                .stage
                .compiled
                .authorizers
                .get(&authorizer_id)
                .cloned()
                .ok_or_else(|| {
                    HttpError::Internal(format!("authorizer {authorizer_id} is missing"))
                })?;
            Box::pin(lambda_authorizer::authorize(gw, ctx, &a)).await
        }
        RouteAuth::Iam => iam(gw, ctx),
    }
}

/// SigV4 (header or presigned query), signed for the path as the client sent it.
fn iam(gw: &Gateway, ctx: &mut HttpContext<'_>) -> Result<(), HttpError> {
    let credentials = gw.inner.security.iam_credentials();
    let key_for = |k: &str| {
        credentials.get(k).map(|c| sigv4::KeyMaterial {
            secret: &c.secret_access_key,
            session_token: c.session_token.as_deref(),
        })
    };
    let presigned = ctx.req.headers.get(http::header::AUTHORIZATION).is_none();
    let path = ctx.raw_path();
    let parts = sigv4::RequestParts {
        method: ctx.req.method.as_str(),
        path: &path,
        query: ctx.req.query.as_deref(),
        headers: &ctx.req.headers,
        authority: None,
        body: &ctx.req.body,
    };
    let now = time::OffsetDateTime::now_utc();
    let result = if presigned {
        sigv4::verify_presigned(&parts, &sigv4::EXECUTE_API, key_for, now)
    } else {
        sigv4::verify(&parts, &sigv4::EXECUTE_API, key_for, now)
    };
    match result {
        Ok(auth) => {
            let user = credentials
                .get(&auth.access_key_id)
                .and_then(|c| c.user.clone())
                .unwrap_or_else(|| auth.access_key_id.clone());
            ctx.authorizer = Some(json!({"iam": {
                "accessKey": auth.access_key_id,
                "accountId": crate::engine::ACCOUNT_ID,
                "callerId": auth.access_key_id,
                "userArn": format!("arn:aws:iam::{}:user/{user}", crate::engine::ACCOUNT_ID),
                "userId": auth.access_key_id,
            }}));
            Ok(())
        }
        Err(e) => {
            ctx.authorizer_error = Some(e.to_string());
            Err(HttpError::Forbidden)
        }
    }
}
