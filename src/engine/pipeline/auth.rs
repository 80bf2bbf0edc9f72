//! Phase 3, auth: resource policy and the method's authorization type (execution.md §4).
//!
//! `NONE` passes. The other types (AWS_IAM, Lambda TOKEN/REQUEST authorizers, Cognito-style
//! JWT) are evaluated by the security layer; a method configured with a type this build cannot
//! evaluate fails closed with AUTHORIZER_CONFIGURATION_ERROR rather than letting the request
//! through unauthenticated.

use super::RequestContext;
use crate::engine::Gateway;
use crate::engine::error::GatewayError;
use crate::model::AuthorizationType;

pub async fn run(_gw: &Gateway, ctx: &mut RequestContext<'_>) -> Result<(), GatewayError> {
    let Some(method) = ctx.method() else {
        return Err(GatewayError::MissingAuthenticationToken);
    };
    match method.method.authorization_type {
        AuthorizationType::None => Ok(()),
        AuthorizationType::AwsIam | AuthorizationType::Custom | AuthorizationType::CognitoUserPools => {
            Err(GatewayError::AuthorizerConfiguration)
        }
    }
}
