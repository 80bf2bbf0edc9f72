//! AWS_IAM methods (execution.md §4.1): the SigV4 signature (`Authorization` header or
//! query-string presigning) verified against the credentials of the config file's `[iam]`
//! section (and their session tokens), scoped to `execute-api`, with the 15-minute clock skew.
//! The signature covers the path the client used, which
//! is `/{stage}/{path}` on host-style invoke URLs and
//! `/restapis/{api}/{stage}/_user_request_/{path}` on path-style ones; both are tried.

use super::IamCredential;
use crate::auth::sigv4::{self, KeyMaterial, SigV4Error};
use crate::engine::Gateway;
use crate::engine::context::RequestContext;
use crate::engine::error::GatewayError;

fn to_gateway_error(e: SigV4Error) -> GatewayError {
    match e {
        SigV4Error::Missing => GatewayError::MissingAuthenticationToken,
        SigV4Error::Expired { .. } | SigV4Error::NotYetCurrent { .. } => {
            GatewayError::ExpiredToken {
                message: e.to_string(),
            }
        }
        SigV4Error::Incomplete(_)
        | SigV4Error::UnknownAccessKey
        | SigV4Error::InvalidSecurityToken
        | SigV4Error::WrongService { .. }
        | SigV4Error::InvalidRegion { .. }
        | SigV4Error::Mismatch => GatewayError::InvalidSignature {
            message: e.to_string(),
            error_type: e.error_type(),
        },
    }
}

/// Verifies the caller's signature and fills `$context.identity.*`.
pub fn authenticate(gw: &Gateway, ctx: &mut RequestContext<'_>) -> Result<(), GatewayError> {
    let credentials = gw.inner.security.iam_credentials();
    let presigned = ctx.req.headers.get(http::header::AUTHORIZATION).is_none()
        && ctx
            .req
            .query
            .as_deref()
            .is_some_and(|q| q.contains("X-Amz-Signature="));
    if ctx.req.headers.get(http::header::AUTHORIZATION).is_none() && !presigned {
        return Err(GatewayError::MissingAuthenticationToken);
    }
    let key_for = |key: &str| {
        credentials.get(key).map(|c: &IamCredential| KeyMaterial {
            secret: &c.secret_access_key,
            session_token: c.session_token.as_deref(),
        })
    };
    let now = time::OffsetDateTime::now_utc();
    let host_style = ctx.req.context_path.clone();
    let path_style = format!(
        "/restapis/{}/{}/_user_request_{}",
        ctx.req.api_id,
        ctx.req.stage,
        if ctx.req.path == "/" && !ctx.req.context_path.ends_with('/') {
            ""
        } else {
            ctx.req.path.as_str()
        }
    );
    let mut result = Err(SigV4Error::Mismatch);
    for path in [host_style.as_str(), path_style.as_str()] {
        let parts = sigv4::RequestParts {
            method: ctx.req.method.as_str(),
            path,
            query: ctx.req.query.as_deref(),
            headers: &ctx.req.headers,
            authority: None,
            body: &ctx.req.body,
        };
        result = if presigned {
            sigv4::verify_presigned(&parts, &sigv4::EXECUTE_API, key_for, now)
        } else {
            sigv4::verify(&parts, &sigv4::EXECUTE_API, key_for, now)
        };
        if !matches!(result, Err(SigV4Error::Mismatch)) {
            break;
        }
    }
    let auth = result.map_err(to_gateway_error)?;
    let credential = credentials.get(&auth.access_key_id);
    let user = credential
        .and_then(|c| c.user.clone())
        .unwrap_or_else(|| auth.access_key_id.clone());
    let account = crate::engine::ACCOUNT_ID;
    ctx.identity.access_key = Some(auth.access_key_id.clone());
    ctx.identity.account_id = Some(account.to_string());
    ctx.identity.caller = Some(auth.access_key_id.clone());
    ctx.identity.user = Some(auth.access_key_id);
    ctx.identity.user_arn = Some(format!("arn:aws:iam::{account}:user/{user}"));
    Ok(())
}
