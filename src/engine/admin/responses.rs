//! Gateway responses (model.md §14): all 21 types always exist; Put/Update customise one,
//! Delete restores its default. Only customised responses are stored in the definition.

use indexmap::IndexMap;
use serde::Deserialize;

use super::Actor;
use crate::engine::Gateway;
use crate::model::patch::apply_gateway_response_patch;
use crate::model::validate::validate_gateway_response;
use crate::model::{AdminError, GATEWAY_RESPONSE_TYPES, GatewayResponse, PatchOperation};

/// PutGatewayResponse's input (AWS's JSON shape).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PutGatewayResponse {
    pub status_code: Option<String>,
    pub response_parameters: IndexMap<String, String>,
    pub response_templates: IndexMap<String, String>,
}

fn target(api_id: &str, response_type: &str) -> String {
    format!("restapis/{api_id}/gatewayresponses/{response_type}")
}

/// Checks the type exists and may be customised.
fn customisable(response_type: &str) -> Result<(), AdminError> {
    if GatewayResponse::default_for(response_type).is_none() {
        return Err(AdminError::bad_request(format!(
            "Invalid gateway response type specified: '{response_type}'. Must be one of: [{}]",
            GATEWAY_RESPONSE_TYPES
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if response_type == "REQUEST_TOO_LARGE" {
        return Err(AdminError::bad_request(
            "Gateway response type REQUEST_TOO_LARGE cannot be customized",
        ));
    }
    Ok(())
}

impl Gateway {
    /// Every type's effective response, in AWS's type order.
    pub fn list_gateway_responses(&self, api_id: &str) -> Result<Vec<GatewayResponse>, AdminError> {
        self.read(|a| {
            let def = &a.api(api_id)?.definition;
            Ok(GATEWAY_RESPONSE_TYPES
                .iter()
                .filter_map(|(t, _)| def.gateway_response(t))
                .collect())
        })
    }

    pub fn get_gateway_response(
        &self,
        api_id: &str,
        response_type: &str,
    ) -> Result<GatewayResponse, AdminError> {
        self.read(|a| {
            a.api(api_id)?
                .definition
                .gateway_response(response_type)
                .ok_or_else(|| {
                    AdminError::not_found(format!(
                        "Invalid gateway response type specified: {response_type}"
                    ))
                })
        })
    }

    pub async fn put_gateway_response(
        &self,
        actor: &Actor,
        api_id: &str,
        response_type: &str,
        input: PutGatewayResponse,
    ) -> Result<GatewayResponse, AdminError> {
        customisable(response_type)?;
        // What the input leaves out is the type's default: its status and the default
        // template (AWS-recorded, localstack `test_gateway_response_put`).
        let default = GatewayResponse::default_for(response_type).unwrap_or_default();
        let response = GatewayResponse {
            response_type: response_type.to_string(),
            status_code: input.status_code.or(default.status_code),
            response_parameters: input.response_parameters,
            response_templates: if input.response_templates.is_empty() {
                default.response_templates
            } else {
                input.response_templates
            },
            default_response: false,
        };
        validate_gateway_response(&response)?;
        self.edit_definition(
            actor,
            "PutGatewayResponse",
            api_id,
            target(api_id, response_type),
            move |def| {
                def.gateway_responses
                    .retain(|g| g.response_type != response.response_type);
                def.gateway_responses.push(response.clone());
                Ok(response)
            },
        )
        .await
    }

    pub async fn update_gateway_response(
        &self,
        actor: &Actor,
        api_id: &str,
        response_type: &str,
        ops: Vec<PatchOperation>,
    ) -> Result<GatewayResponse, AdminError> {
        customisable(response_type)?;
        let kind = response_type.to_string();
        self.edit_definition(
            actor,
            "UpdateGatewayResponse",
            api_id,
            target(api_id, response_type),
            move |def| {
                let mut response = def.gateway_response(&kind).ok_or_else(|| {
                    AdminError::not_found(format!(
                        "Invalid gateway response type specified: {kind}"
                    ))
                })?;
                apply_gateway_response_patch(&mut response, &ops)?;
                def.gateway_responses.retain(|g| g.response_type != kind);
                def.gateway_responses.push(response.clone());
                Ok(response)
            },
        )
        .await
    }

    /// Restores the type's default.
    pub async fn delete_gateway_response(
        &self,
        actor: &Actor,
        api_id: &str,
        response_type: &str,
    ) -> Result<(), AdminError> {
        let kind = response_type.to_string();
        self.edit_definition(
            actor,
            "DeleteGatewayResponse",
            api_id,
            target(api_id, response_type),
            move |def| {
                let before = def.gateway_responses.len();
                def.gateway_responses.retain(|g| g.response_type != kind);
                if def.gateway_responses.len() == before {
                    // AWS-recorded wording (`test_gateway_response_validation`).
                    return Err(AdminError::not_found(
                        "Gateway response type not defined on api",
                    ));
                }
                Ok(())
            },
        )
        .await
    }
}
