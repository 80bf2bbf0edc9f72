//! Authorizers (model.md §12): create, read, update with patch operations, delete. Their
//! runtime (Lambda and Cognito authorization) is the security issue's; the definitions are
//! validated, stored with the API and deployed with it.

use serde::Deserialize;

use super::Actor;
use crate::engine::Gateway;
use crate::model::patch::apply_authorizer_patch;
use crate::model::validate::validate_authorizer;
use crate::model::{AdminError, ApiDefinition, Authorizer, AuthorizerType, PatchOperation, ids};

/// Most authorizers an API may have (model.md §16).
pub const MAX_AUTHORIZERS: usize = 10;

const NOT_FOUND: &str = "Invalid Authorizer identifier specified";

/// CreateAuthorizer's input (AWS's JSON shape).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateAuthorizer {
    pub name: String,
    #[serde(rename = "type")]
    pub authorizer_type: Option<AuthorizerType>,
    #[serde(rename = "providerARNs")]
    pub provider_arns: Vec<String>,
    pub auth_type: Option<String>,
    pub authorizer_uri: Option<String>,
    pub authorizer_credentials: Option<String>,
    pub identity_source: Option<String>,
    pub identity_validation_expression: Option<String>,
    pub authorizer_result_ttl_in_seconds: Option<i64>,
}

fn target(api_id: &str, authorizer_id: &str) -> String {
    format!("restapis/{api_id}/authorizers/{authorizer_id}")
}

/// The `VERB /path` of the first method that uses the authorizer, if any.
fn first_user(def: &ApiDefinition, authorizer_id: &str) -> Option<String> {
    def.resources.iter().find_map(|r| {
        r.resource_methods
            .iter()
            .find(|(_, m)| m.authorizer_id.as_deref() == Some(authorizer_id))
            .map(|(verb, _)| format!("{verb} {}", r.path))
    })
}

impl Gateway {
    pub async fn create_authorizer(
        &self,
        actor: &Actor,
        api_id: &str,
        input: CreateAuthorizer,
    ) -> Result<Authorizer, AdminError> {
        let authorizer_type = input.authorizer_type.ok_or_else(|| {
            AdminError::bad_request(
                "Authorizer type must be specified: TOKEN, REQUEST or COGNITO_USER_POOLS",
            )
        })?;
        let authorizer = Authorizer {
            id: ids::new_id(6),
            name: input.name,
            authorizer_type,
            authorizer_uri: input.authorizer_uri,
            authorizer_credentials: input.authorizer_credentials,
            provider_a_r_ns: input.provider_arns,
            identity_source: input.identity_source,
            identity_validation_expression: input.identity_validation_expression,
            authorizer_result_ttl_in_seconds: input.authorizer_result_ttl_in_seconds,
            auth_type: input.auth_type,
        };
        validate_authorizer(&authorizer)?;
        let t = target(api_id, &authorizer.id);
        self.edit_definition(actor, "CreateAuthorizer", api_id, t, move |def| {
            if def.authorizers.len() >= MAX_AUTHORIZERS {
                return Err(AdminError::LimitExceeded(format!(
                    "Maximum number of Authorizers for this API has been reached: {MAX_AUTHORIZERS}"
                )));
            }
            if def.authorizers.iter().any(|a| a.name == authorizer.name) {
                return Err(AdminError::conflict(format!(
                    "Authorizer with name '{}' already exists",
                    authorizer.name
                )));
            }
            def.authorizers.push(authorizer.clone());
            Ok(authorizer)
        })
        .await
    }

    pub fn list_authorizers(&self, api_id: &str) -> Result<Vec<Authorizer>, AdminError> {
        self.read(|a| Ok(a.api(api_id)?.definition.authorizers.clone()))
    }

    pub fn get_authorizer(
        &self,
        api_id: &str,
        authorizer_id: &str,
    ) -> Result<Authorizer, AdminError> {
        self.read(|a| {
            a.api(api_id)?
                .definition
                .authorizer(authorizer_id)
                .cloned()
                .ok_or_else(|| AdminError::not_found(NOT_FOUND))
        })
    }

    pub async fn update_authorizer(
        &self,
        actor: &Actor,
        api_id: &str,
        authorizer_id: &str,
        ops: Vec<PatchOperation>,
    ) -> Result<Authorizer, AdminError> {
        let aid = authorizer_id.to_string();
        self.edit_definition(actor, "UpdateAuthorizer", api_id, target(api_id, authorizer_id), move |def| {
            let current = def.authorizer(&aid).ok_or_else(|| AdminError::not_found(NOT_FOUND))?;
            let mut next = current.clone();
            apply_authorizer_patch(&mut next, &ops)?;
            if def.authorizers.iter().any(|a| a.id != aid && a.name == next.name) {
                return Err(AdminError::conflict(format!("Authorizer with name '{}' already exists", next.name)));
            }
            let in_use_as_cognito = def.resources.iter().flat_map(|r| r.resource_methods.values()).any(|m| {
                m.authorizer_id.as_deref() == Some(aid.as_str())
                    && (m.authorization_type == crate::model::AuthorizationType::CognitoUserPools)
                        != (next.authorizer_type == AuthorizerType::CognitoUserPools)
            });
            if in_use_as_cognito {
                return Err(AdminError::bad_request(
                    "Cannot change the authorizer type while methods use it with another authorization type",
                ));
            }
            if let Some(slot) = def.authorizers.iter_mut().find(|a| a.id == aid) {
                *slot = next.clone();
            }
            Ok(next)
        })
        .await
    }

    pub async fn delete_authorizer(
        &self,
        actor: &Actor,
        api_id: &str,
        authorizer_id: &str,
    ) -> Result<(), AdminError> {
        let aid = authorizer_id.to_string();
        self.edit_definition(
            actor,
            "DeleteAuthorizer",
            api_id,
            target(api_id, authorizer_id),
            move |def| {
                let name = def
                    .authorizer(&aid)
                    .map(|a| a.name.clone())
                    .ok_or_else(|| AdminError::not_found(NOT_FOUND))?;
                if let Some(user) = first_user(def, &aid) {
                    return Err(AdminError::conflict(format!(
                        "Cannot delete authorizer '{name}', is referenced in method: {user}"
                    )));
                }
                def.authorizers.retain(|a| a.id != aid);
                Ok(())
            },
        )
        .await
    }
}
