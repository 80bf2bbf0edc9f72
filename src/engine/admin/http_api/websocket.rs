//! WebSocket APIs' own resources: route responses (CreateRouteResponse, Get…, Update…,
//! Delete…) and integration responses through `grandchild.rs` (the operations on what a route
//! or an integration owns), and models, through the same admin path as every v2 change
//! (validated on copies, committed with an audit row, auto-deployed).

use indexmap::IndexMap;
use serde::Deserialize;

use super::{HttpApiState, fresh_id, merge_update, not_found, not_found_api};
use crate::engine::{Actor, Gateway};
use crate::model::AdminError;
use crate::model::v2::websocket::{self, ParameterConstraints};
use crate::model::v2::{IntegrationResponse, Model, RouteResponse};

/// CreateRouteResponse's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateRouteResponse {
    pub model_selection_expression: Option<String>,
    pub response_models: IndexMap<String, String>,
    pub response_parameters: IndexMap<String, ParameterConstraints>,
    pub route_response_key: String,
}

/// CreateIntegrationResponse's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateIntegrationResponse {
    pub content_handling_strategy: Option<String>,
    pub integration_response_key: String,
    pub response_parameters: IndexMap<String, String>,
    pub response_templates: IndexMap<String, String>,
    pub template_selection_expression: Option<String>,
}

/// CreateModel's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateModel {
    pub content_type: Option<String>,
    pub description: Option<String>,
    pub name: String,
    pub schema: Option<String>,
}

const MODEL_UPDATABLE: &[&str] = &["contentType", "description", "name", "schema"];

fn websocket_only(api: &HttpApiState, what: &str) -> Result<(), AdminError> {
    if api.definition.is_websocket() {
        Ok(())
    } else {
        Err(AdminError::bad_request(format!(
            "{what} are only supported for WebSocket APIs"
        )))
    }
}

pub(super) fn check_route_response(
    api: &HttpApiState,
    r: &RouteResponse,
) -> Result<(), AdminError> {
    if r.route_response_key != websocket::DEFAULT {
        return Err(AdminError::bad_request(format!(
            "Invalid route response key specified: {}. Only $default is supported",
            r.route_response_key
        )));
    }
    for model in r.response_models.values() {
        if !api.definition.models.iter().any(|m| &m.name == model) {
            return Err(AdminError::bad_request(format!(
                "Invalid model specified: {model} does not exist"
            )));
        }
    }
    Ok(())
}

fn check_model(api: &HttpApiState, m: &Model) -> Result<(), AdminError> {
    if m.name.is_empty() || m.name.len() > 128 || !m.name.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(AdminError::bad_request(
            "Model name must be non-empty and alphanumeric",
        ));
    }
    if api
        .definition
        .models
        .iter()
        .any(|o| o.name == m.name && o.model_id != m.model_id)
    {
        return Err(AdminError::conflict(format!(
            "Unable to create model. Model name {} already exists for this API",
            m.name
        )));
    }
    let schema = m.schema.as_deref().unwrap_or_default();
    if schema.len() > 32 * 1024 {
        return Err(AdminError::bad_request(
            "Model schema must be at most 32 KB",
        ));
    }
    if serde_json::from_str::<serde_json::Value>(schema).is_err() {
        return Err(AdminError::bad_request(
            "Invalid model schema specified: the schema is not valid JSON",
        ));
    }
    Ok(())
}

impl Gateway {
    pub async fn create_v2_route_response(
        &self,
        actor: &Actor,
        api_id: &str,
        route_id: &str,
        input: CreateRouteResponse,
    ) -> Result<RouteResponse, AdminError> {
        self.create_grandchild(actor, api_id, route_id, move |id| RouteResponse {
            model_selection_expression: input.model_selection_expression,
            response_models: input.response_models,
            response_parameters: input.response_parameters,
            route_response_id: id,
            route_response_key: input.route_response_key,
        })
        .await
    }

    pub fn list_v2_route_responses(
        &self,
        api_id: &str,
        route_id: &str,
    ) -> Result<Vec<RouteResponse>, AdminError> {
        self.list_grandchildren(api_id, route_id)
    }

    pub fn get_v2_route_response(
        &self,
        api_id: &str,
        route_id: &str,
        id: &str,
    ) -> Result<RouteResponse, AdminError> {
        self.get_grandchild(api_id, route_id, id)
    }

    pub async fn update_v2_route_response(
        &self,
        actor: &Actor,
        api_id: &str,
        route_id: &str,
        id: &str,
        patch: serde_json::Value,
    ) -> Result<RouteResponse, AdminError> {
        self.update_grandchild(actor, api_id, route_id, id, patch)
            .await
    }

    pub async fn delete_v2_route_response(
        &self,
        actor: &Actor,
        api_id: &str,
        route_id: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        self.delete_grandchild::<RouteResponse>(actor, api_id, route_id, id)
            .await
    }

    pub async fn create_v2_integration_response(
        &self,
        actor: &Actor,
        api_id: &str,
        integration_id: &str,
        input: CreateIntegrationResponse,
    ) -> Result<IntegrationResponse, AdminError> {
        self.create_grandchild(actor, api_id, integration_id, move |id| {
            IntegrationResponse {
                content_handling_strategy: input.content_handling_strategy,
                integration_response_id: id,
                integration_response_key: input.integration_response_key,
                response_parameters: input.response_parameters,
                response_templates: input.response_templates,
                template_selection_expression: input.template_selection_expression,
            }
        })
        .await
    }

    pub fn list_v2_integration_responses(
        &self,
        api_id: &str,
        integration_id: &str,
    ) -> Result<Vec<IntegrationResponse>, AdminError> {
        self.list_grandchildren(api_id, integration_id)
    }

    pub fn get_v2_integration_response(
        &self,
        api_id: &str,
        integration_id: &str,
        id: &str,
    ) -> Result<IntegrationResponse, AdminError> {
        self.get_grandchild(api_id, integration_id, id)
    }

    pub async fn update_v2_integration_response(
        &self,
        actor: &Actor,
        api_id: &str,
        integration_id: &str,
        id: &str,
        patch: serde_json::Value,
    ) -> Result<IntegrationResponse, AdminError> {
        self.update_grandchild(actor, api_id, integration_id, id, patch)
            .await
    }

    pub async fn delete_v2_integration_response(
        &self,
        actor: &Actor,
        api_id: &str,
        integration_id: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        self.delete_grandchild::<IntegrationResponse>(actor, api_id, integration_id, id)
            .await
    }

    pub async fn create_v2_model(
        &self,
        actor: &Actor,
        api_id: &str,
        input: CreateModel,
    ) -> Result<Model, AdminError> {
        let api_id = api_id.to_string();
        self.admin_op(
            actor,
            "CreateModel",
            format!("v2/apis/{api_id}/models"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                websocket_only(api, "Models")?;
                let m = Model {
                    content_type: Some(
                        input
                            .content_type
                            .unwrap_or_else(|| "application/json".into()),
                    ),
                    description: input.description,
                    model_id: fresh_id(6, |c| {
                        api.definition.models.iter().any(|m| m.model_id == c)
                    }),
                    name: input.name,
                    schema: input.schema,
                };
                check_model(api, &m)?;
                api.definition.models.push(m.clone());
                txn.commit_definition(&api_id)?;
                Ok(m)
            },
        )
        .await
    }

    pub fn list_v2_models(&self, api_id: &str) -> Result<Vec<Model>, AdminError> {
        self.read(|a| {
            Ok(a.http_apis
                .get(api_id)
                .ok_or_else(|| not_found_api(api_id))?
                .definition
                .models
                .clone())
        })
    }

    pub fn get_v2_model(&self, api_id: &str, id: &str) -> Result<Model, AdminError> {
        self.list_v2_models(api_id)?
            .into_iter()
            .find(|m| m.model_id == id)
            .ok_or_else(|| not_found("Model", api_id, id))
    }

    /// GetModelTemplate: the mapping template the model's schema suggests.
    pub fn get_v2_model_template(&self, api_id: &str, id: &str) -> Result<String, AdminError> {
        let model = self.get_v2_model(api_id, id)?;
        let schema: serde_json::Value =
            serde_json::from_str(model.schema.as_deref().unwrap_or("{}")).unwrap_or_default();
        Ok(crate::mapping::model_template::generate(
            &schema,
            &|_: &str| None,
        ))
    }

    pub async fn update_v2_model(
        &self,
        actor: &Actor,
        api_id: &str,
        id: &str,
        patch: serde_json::Value,
    ) -> Result<Model, AdminError> {
        let (api_id, id) = (api_id.to_string(), id.to_string());
        self.admin_op(
            actor,
            "UpdateModel",
            format!("v2/apis/{api_id}/models/{id}"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                let index = api
                    .definition
                    .models
                    .iter()
                    .position(|m| m.model_id == id)
                    .ok_or_else(|| not_found("Model", &api_id, &id))?;
                let m: Model =
                    merge_update(&api.definition.models[index], &patch, MODEL_UPDATABLE)?;
                check_model(api, &m)?;
                api.definition.models[index] = m.clone();
                txn.commit_definition(&api_id)?;
                Ok(m)
            },
        )
        .await
    }

    /// DeleteModel; refused while a route or route response uses it.
    pub async fn delete_v2_model(
        &self,
        actor: &Actor,
        api_id: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        let (api_id, id) = (api_id.to_string(), id.to_string());
        self.admin_op(
            actor,
            "DeleteModel",
            format!("v2/apis/{api_id}/models/{id}"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                let name = api
                    .definition
                    .models
                    .iter()
                    .find(|m| m.model_id == id)
                    .map(|m| m.name.clone())
                    .ok_or_else(|| not_found("Model", &api_id, &id))?;
                let used = api
                    .definition
                    .routes
                    .iter()
                    .any(|r| r.request_models.values().any(|n| *n == name))
                    || api
                        .definition
                        .route_responses
                        .values()
                        .flatten()
                        .any(|r| r.response_models.values().any(|n| *n == name));
                if used {
                    return Err(AdminError::conflict(format!(
                        "Cannot delete model {name}: a route or route response uses it"
                    )));
                }
                api.definition.models.retain(|m| m.model_id != id);
                txn.commit_definition(&api_id)
            },
        )
        .await
    }
}
