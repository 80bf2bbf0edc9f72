//! Phase 4a, API key and usage plan (execution.md §5). A method that does not require a key
//! never consults usage plans. A method that does needs an enabled key that belongs to a usage
//! plan bound to this API stage; without one the request is refused with INVALID_API_KEY.

use super::RequestContext;
use crate::engine::Gateway;
use crate::engine::error::GatewayError;

pub fn run(gw: &Gateway, ctx: &mut RequestContext<'_>) -> Result<(), GatewayError> {
    let Some(method) = ctx.method() else {
        return Ok(());
    };
    if !method.method.api_key_required {
        return Ok(());
    }
    // apiKeySource AUTHORIZER: the key is the Lambda authorizer's usageIdentifierKey.
    let from_authorizer = ctx.deployment.as_ref().is_some_and(|d| {
        d.definition.rest_api.api_key_source == crate::model::ApiKeySource::Authorizer
    });
    let value = if from_authorizer {
        ctx.identity.api_key.clone()
    } else {
        ctx.header("x-api-key").map(str::to_string)
    };
    let Some(value) = value else {
        return Err(GatewayError::InvalidApiKey);
    };
    match gw.api_key_for_stage(&ctx.req.api_id, &ctx.req.stage, &value) {
        Some(key_id) => {
            ctx.identity.api_key = Some(value);
            ctx.identity.api_key_id = Some(key_id);
            Ok(())
        }
        None => Err(GatewayError::InvalidApiKey),
    }
}
