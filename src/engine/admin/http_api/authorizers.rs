//! CreateAuthorizer, GetAuthorizer(s), UpdateAuthorizer, DeleteAuthorizer: JWT authorizers
//! (issuer, audience, one identity source) and Lambda REQUEST authorizers (payload 1.0/2.0,
//! simple responses, result caching by identity sources).

use serde::Deserialize;

use super::{fresh_id, merge_update, not_found, not_found_api};
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

fn check(a: &mut Authorizer) -> Result<(), AdminError> {
    validate::authorizer(a, &|u| parse_function_uri(u).is_some())
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
        check(&mut authorizer)?;
        let api_id = api_id.to_string();
        self.admin_op(
            actor,
            "CreateAuthorizer",
            format!("v2/apis/{api_id}/authorizers"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                if api.definition.authorizers.len() >= 10 {
                    return Err(AdminError::LimitExceeded(
                        "An HTTP API allows at most 10 authorizers".into(),
                    ));
                }
                authorizer.authorizer_id = fresh_id(6, |c| api.definition.authorizer(c).is_some());
                api.definition.authorizers.push(authorizer.clone());
                txn.commit_definition(&api_id)?;
                Ok(authorizer)
            },
        )
        .await
    }

    pub fn get_http_authorizer(&self, api_id: &str, id: &str) -> Result<Authorizer, AdminError> {
        self.read(|a| {
            a.http_apis
                .get(api_id)
                .ok_or_else(|| not_found_api(api_id))?
                .definition
                .authorizer(id)
                .cloned()
                .ok_or_else(|| not_found("Authorizer", api_id, id))
        })
    }

    pub fn list_http_authorizers(&self, api_id: &str) -> Result<Vec<Authorizer>, AdminError> {
        self.read(|a| {
            Ok(a.http_apis
                .get(api_id)
                .ok_or_else(|| not_found_api(api_id))?
                .definition
                .authorizers
                .clone())
        })
    }

    pub async fn update_http_authorizer(
        &self,
        actor: &Actor,
        api_id: &str,
        id: &str,
        patch: serde_json::Value,
    ) -> Result<Authorizer, AdminError> {
        let (api_id, id) = (api_id.to_string(), id.to_string());
        self.admin_op(
            actor,
            "UpdateAuthorizer",
            format!("v2/apis/{api_id}/authorizers/{id}"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                let index = api
                    .definition
                    .authorizers
                    .iter()
                    .position(|a| a.authorizer_id == id)
                    .ok_or_else(|| not_found("Authorizer", &api_id, &id))?;
                let mut authorizer: Authorizer =
                    merge_update(&api.definition.authorizers[index], &patch, UPDATABLE)?;
                check(&mut authorizer)?;
                api.definition.authorizers[index] = authorizer.clone();
                txn.commit_definition(&api_id)?;
                Ok(authorizer)
            },
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
        let (api_id, id) = (api_id.to_string(), id.to_string());
        self.admin_op(
            actor,
            "DeleteAuthorizer",
            format!("v2/apis/{api_id}/authorizers/{id}"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                if api.definition.authorizer(&id).is_none() {
                    return Err(not_found("Authorizer", &api_id, &id));
                }
                if let Some(r) = api
                    .definition
                    .routes
                    .iter()
                    .find(|r| r.authorizer_id.as_deref() == Some(id.as_str()))
                {
                    return Err(AdminError::conflict(format!(
                        "Cannot delete authorizer {id}: route {} ({}) uses it",
                        r.route_id, r.route_key
                    )));
                }
                api.definition.authorizers.retain(|a| a.authorizer_id != id);
                txn.commit_definition(&api_id)
            },
        )
        .await
    }
}
