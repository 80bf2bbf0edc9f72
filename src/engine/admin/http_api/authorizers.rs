//! CreateAuthorizer, GetAuthorizer(s), UpdateAuthorizer, DeleteAuthorizer: JWT authorizers
//! (issuer, audience, one identity source) and Lambda REQUEST authorizers (payload 1.0/2.0,
//! simple responses, result caching by identity sources).

use serde::Deserialize;

use crate::engine::functions::parse_function_uri;
use crate::engine::{Actor, Gateway};
use crate::model::AdminError;
use crate::model::v2::{Authorizer, JwtConfiguration, validate};

/// CreateAuthorizer's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateAuthorizer {
    pub authorizer_credentials_arn: Option<String>,
    pub authorizer_payload_format_version: Option<String>,
    pub authorizer_result_ttl_in_seconds: Option<i64>,
    pub authorizer_type: String,
    pub authorizer_uri: Option<String>,
    pub enable_simple_responses: Option<bool>,
    pub identity_source: Vec<String>,
    pub identity_validation_expression: Option<String>,
    pub jwt_configuration: Option<JwtConfiguration>,
    pub name: String,
}

const UPDATABLE: &[&str] = &[
    "authorizerCredentialsArn",
    "authorizerPayloadFormatVersion",
    "authorizerResultTtlInSeconds",
    "authorizerType",
    "authorizerUri",
    "enableSimpleResponses",
    "identitySource",
    "jwtConfiguration",
    "name",
];

fn check(a: &mut Authorizer, websocket: bool) -> Result<(), AdminError> {
    if websocket {
        crate::model::v2::websocket::authorizer(a, &|u| parse_function_uri(u).is_some())
    } else {
        validate::authorizer(a, &|u| parse_function_uri(u).is_some())
    }
}

impl Gateway {
    pub async fn create_http_authorizer(
        &self,
        actor: &Actor,
        api_id: &str,
        input: CreateAuthorizer,
    ) -> Result<Authorizer, AdminError> {
        if input.identity_validation_expression.is_some() {
            return Err(AdminError::bad_request(
                "IdentityValidationExpression is not supported for HTTP APIs",
            ));
        }
        let mut authorizer = Authorizer {
            authorizer_credentials_arn: input.authorizer_credentials_arn,
            authorizer_id: String::new(),
            authorizer_payload_format_version: input.authorizer_payload_format_version,
            authorizer_result_ttl_in_seconds: input.authorizer_result_ttl_in_seconds,
            authorizer_type: input.authorizer_type,
            authorizer_uri: input.authorizer_uri,
            enable_simple_responses: input.enable_simple_responses,
            identity_source: input.identity_source,
            jwt_configuration: input.jwt_configuration,
            name: input.name,
        };
        self.create_child(actor, api_id, move |api, id| {
            check(&mut authorizer, api.definition.is_websocket())?;
            authorizer.authorizer_id = id;
            Ok(authorizer)
        })
        .await
    }

    pub fn get_http_authorizer(&self, api_id: &str, id: &str) -> Result<Authorizer, AdminError> {
        self.get_child(api_id, id)
    }

    pub fn list_http_authorizers(&self, api_id: &str) -> Result<Vec<Authorizer>, AdminError> {
        self.list_children(api_id)
    }

    pub async fn update_http_authorizer(
        &self,
        actor: &Actor,
        api_id: &str,
        id: &str,
        patch: serde_json::Value,
    ) -> Result<Authorizer, AdminError> {
        self.update_child(
            actor,
            api_id,
            id,
            patch,
            UPDATABLE,
            |api, a: &mut Authorizer| check(a, api.definition.is_websocket()),
        )
        .await
    }

    /// DeleteAuthorizer; refused while a route uses it.
    pub async fn delete_http_authorizer(
        &self,
        actor: &Actor,
        api_id: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        self.delete_child::<Authorizer>(actor, api_id, id).await
    }
}
