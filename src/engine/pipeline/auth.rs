//! Phase 3, auth: resource policy and the method's authorization type (execution.md §2 steps
//! 2–4, §4; model.md §15).
//!
//! 1. Resource policy pre-check: an explicit Deny for the (anonymous) caller ends the request
//!    before any authorizer runs.
//! 2. The method's authorization: NONE, AWS_IAM (SigV4), CUSTOM (Lambda TOKEN/REQUEST, cached
//!    per identity) or COGNITO_USER_POOLS (JWT against JWKS). Authorizer denials answer here.
//! 3. Resource policy, final combination: Deny always wins; with NONE or Cognito the policy
//!    must Allow explicitly; an authorizer or IAM Allow suffices when the policy is silent.

use super::RequestContext;
use crate::engine::Gateway;
use crate::engine::error::GatewayError;
use crate::engine::resource_policy::{Decision, PolicyRequest};
use crate::engine::security::{self, iam, jwt, lambda_authorizer};
use crate::model::{ApiKeySource, AuthorizationType, AuthorizerType};

pub async fn run(gw: &Gateway, ctx: &mut RequestContext<'_>) -> Result<(), GatewayError> {
    let Some(method) = ctx.method() else {
        return Err(GatewayError::MissingAuthenticationToken);
    };
    let auth_type = method.method.authorization_type.kind();
    let authorizer_id = method.method.authorizer_id.clone();
    let scopes = method.method.authorization_scopes.clone();
    let policy = gw.inner.security.resource_policy(ctx);
    if policy.is_none() && auth_type == AuthorizationType::None {
        return Ok(());
    }
    let method_arn = security::method_arn(ctx);
    let source_ip = Some(ctx.req.source_ip);

    if let Some(p) = &policy {
        let anonymous = PolicyRequest {
            method_arn: &method_arn,
            source_ip,
            principal_arn: None,
        };
        if p.evaluate(&anonymous) == Decision::Deny {
            return Err(resource_denied("anonymous", &method_arn, true));
        }
    }

    match auth_type {
        AuthorizationType::None => {}
        AuthorizationType::AwsIam => iam::authenticate(gw, ctx)?,
        AuthorizationType::Custom | AuthorizationType::CognitoUserPools => {
            let deployment = ctx
                .deployment
                .clone()
                .ok_or(GatewayError::AuthorizerConfiguration)?;
            let authorizer = authorizer_id
                .as_deref()
                .and_then(|id| {
                    deployment
                        .definition
                        .authorizers
                        .iter()
                        .find(|a| a.id == id)
                })
                .ok_or(GatewayError::AuthorizerConfiguration)?;
            match authorizer.authorizer_type {
                AuthorizerType::CognitoUserPools => {
                    // Boxed (as every authorizer call): a future is as large as its largest
                    // state, and every request's future is moved whole.
                    Box::pin(jwt::authorize(gw, ctx, authorizer, &scopes)).await?
                }
                AuthorizerType::Token | AuthorizerType::Request => {
                    let from_authorizer =
                        deployment.definition.rest_api.api_key_source == ApiKeySource::Authorizer;
                    Box::pin(lambda_authorizer::authorize(
                        gw,
                        ctx,
                        authorizer,
                        &method_arn,
                        from_authorizer,
                    ))
                    .await?
                }
            }
        }
    }

    let Some(p) = policy else { return Ok(()) };
    let caller = ctx.identity.user_arn.clone();
    let request = PolicyRequest {
        method_arn: &method_arn,
        source_ip,
        principal_arn: caller.as_deref(),
    };
    let who = caller.as_deref().unwrap_or("anonymous");
    match p.evaluate(&request) {
        Decision::Deny => Err(resource_denied(who, &method_arn, true)),
        Decision::Allow => Ok(()),
        Decision::Silent => match auth_type {
            // An authorizer's (or IAM's) Allow stands when the resource policy is silent.
            AuthorizationType::AwsIam | AuthorizationType::Custom => Ok(()),
            AuthorizationType::None | AuthorizationType::CognitoUserPools => {
                Err(resource_denied(who, &method_arn, false))
            }
        },
    }
}

/// The ACCESS_DENIED of a resource policy (execution.md §13): the account masked, and
/// ` with an explicit deny` for an explicit Deny.
fn resource_denied(who: &str, method_arn: &str, explicit: bool) -> GatewayError {
    GatewayError::AccessDenied {
        message: format!(
            "User: {who} is not authorized to perform: execute-api:Invoke on resource: {}{}",
            security::masked_arn(method_arn),
            if explicit {
                " with an explicit deny"
            } else {
                ""
            }
        ),
    }
}
