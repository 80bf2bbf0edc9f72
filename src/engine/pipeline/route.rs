//! Phase 1, route: stage lookup, then the (resource, method) match (model.md §3.1).

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::RequestContext;
use crate::engine::Gateway;
use crate::engine::error::GatewayError;
use crate::engine::live::StageLookup;

/// Looks up the stage. Unknown API → Missing Authentication Token; unknown stage → Forbidden.
pub fn run(gw: &Gateway, ctx: &mut RequestContext<'_>) -> Result<(), GatewayError> {
    let routes = gw.inner.routes.load();
    match routes.stage(&ctx.req.api_id, &ctx.req.stage) {
        Ok(live) => {
            ctx.stage_variables = live.variables.clone();
            ctx.deployment = Some(live.deployment.clone());
            ctx.live = Some(live.clone());
            Ok(())
        }
        Err(StageLookup::UnknownApi) => Err(unmatched(ctx)),
        Err(StageLookup::UnknownStage) => Err(GatewayError::ForbiddenStage),
    }
}

/// Matches the (resource, method) in the deployment chosen by the variant phase.
pub fn resolve_method(ctx: &mut RequestContext<'_>) -> Result<(), GatewayError> {
    let Some(deployment) = ctx.deployment.clone() else {
        return Err(unmatched(ctx));
    };
    let req = ctx.req;
    // A constant name: `ctx.header(&str)` parses the name on every request (~440 instructions).
    const X_HTTP_METHOD_OVERRIDE: http::HeaderName =
        http::HeaderName::from_static("x-http-method-override");
    let overridden = ctx
        .req
        .headers
        .get(X_HTTP_METHOD_OVERRIDE)
        .and_then(|v| v.to_str().ok());
    let verb: std::borrow::Cow<'_, str> = match overridden {
        Some(v) => v.to_ascii_uppercase().into(),
        None => req.method.as_str().into(),
    };
    match deployment.router.resolve(&verb, &ctx.req.path) {
        Some(m) => {
            ctx.route = Some(m);
            Ok(())
        }
        None => Err(unmatched(ctx)),
    }
}

/// TestInvokeMethod with a path that leads elsewhere: the method at `resource_path` (the
/// resource's own template), without path parameters.
pub fn resolve_method_at(
    ctx: &mut RequestContext<'_>,
    resource_path: &str,
) -> Result<(), GatewayError> {
    let Some(deployment) = ctx.deployment.clone() else {
        return Err(unmatched(ctx));
    };
    match deployment
        .router
        .resolve(ctx.req.method.as_str(), resource_path)
    {
        Some(mut m) => {
            m.path_params.clear();
            ctx.route = Some(m);
            Ok(())
        }
        None => Err(unmatched(ctx)),
    }
}

/// The error for a request that matches nothing: Missing Authentication Token, or the
/// IncompleteSignature variant when a non-SigV4 `Authorization` header is present
/// (execution.md §3).
fn unmatched(ctx: &RequestContext<'_>) -> GatewayError {
    match ctx.req.headers.get(http::header::AUTHORIZATION) {
        Some(value) if !value.as_bytes().starts_with(b"AWS4-HMAC-SHA256") => {
            let digest = Sha256::digest(value.as_bytes());
            GatewayError::IncompleteSignature {
                hashed: base64::engine::general_purpose::STANDARD.encode(digest),
            }
        }
        _ => GatewayError::MissingAuthenticationToken,
    }
}
