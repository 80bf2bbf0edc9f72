//! Phase 5, request validation (execution.md §7), when the method has a request validator:
//! required parameters (present and non-blank) first, then the body against the JSON-schema
//! model chosen by the request's Content-Type (MIME only; missing = `application/json`) from
//! `requestModels`, falling back to `$default`. No model for the type: the body is not
//! validated. Models are compiled once per deployment (`engine::schema`).

use super::RequestContext;
use crate::engine::Gateway;
use crate::engine::error::GatewayError;

pub fn run(_gw: &Gateway, ctx: &mut RequestContext<'_>) -> Result<(), GatewayError> {
    let Some(method) = ctx.method() else {
        return Ok(());
    };
    let Some(validator_id) = method.method.request_validator_id.as_deref() else {
        return Ok(());
    };
    let Some(deployment) = ctx.deployment.as_ref() else {
        return Ok(());
    };
    let Some(validator) = deployment.definition.request_validator(validator_id) else {
        return Ok(());
    };
    if validator.validate_request_parameters {
        check_parameters(ctx)?;
    }
    if validator.validate_request_body {
        check_body(ctx)?;
    }
    Ok(())
}

fn check_parameters(ctx: &RequestContext<'_>) -> Result<(), GatewayError> {
    let Some(method) = ctx.method() else {
        return Ok(());
    };
    // AWS lists missing names header → path → querystring (execution.md §7).
    let mut missing: Vec<(u8, String)> = Vec::new();
    for (name, required) in &method.method.request_parameters {
        if !*required {
            continue;
        }
        let (rank, present) = if let Some(h) = name.strip_prefix("method.request.header.") {
            (0, ctx.header(h).is_some_and(|v| !v.trim().is_empty()))
        } else if let Some(p) = name.strip_prefix("method.request.path.") {
            (1, ctx.path_param(p).is_some_and(|v| !v.is_empty()))
        } else if let Some(q) = name.strip_prefix("method.request.querystring.") {
            (2, ctx.query_param(q).is_some_and(|v| !v.trim().is_empty()))
        } else {
            continue;
        };
        if !present {
            let bare = name.rsplit('.').next().unwrap_or(name).to_string();
            missing.push((rank, bare));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    missing.sort_by_key(|(rank, _)| *rank);
    Err(GatewayError::BadRequestParameters {
        missing: missing.into_iter().map(|(_, n)| n).collect(),
    })
}

fn check_body(ctx: &RequestContext<'_>) -> Result<(), GatewayError> {
    let (Some(live), Some(route)) = (ctx.live.as_ref(), ctx.route.as_ref()) else {
        return Ok(());
    };
    let mime = super::integration_request::request_mime(ctx);
    let Some(model) = live
        .traffic
        .variant(ctx.variant)
        .schemas
        .model(route.method_index, &mime)
    else {
        return Ok(());
    };
    model
        .check(&ctx.req.body)
        .map_err(|detail| GatewayError::BadRequestBody { detail })
}
