//! Request validators and models (model.md §13): create, read, update with patch operations,
//! delete (refused while a method references them).

use serde::Deserialize;

use super::Actor;
use crate::engine::Gateway;
use crate::model::patch::{apply_model_patch, apply_request_validator_patch};
use crate::model::validate::{validate_model, validate_request_validator};
use crate::model::{AdminError, ApiDefinition, Model, PatchOperation, RequestValidator, ids};

const VALIDATOR_NOT_FOUND: &str = "Invalid Request Validator identifier specified";

/// CreateRequestValidator's input (AWS's JSON shape).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateRequestValidator {
    pub name: String,
    pub validate_request_body: bool,
    pub validate_request_parameters: bool,
}

/// CreateModel's input (AWS's JSON shape).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateModel {
    pub name: String,
    pub description: Option<String>,
    pub schema: Option<String>,
    pub content_type: Option<String>,
}

fn model_not_found(name: &str) -> AdminError {
    AdminError::not_found(format!("Invalid model name specified: {name}"))
}

/// A method (request or response) that references the model, in AWS's `Cannot delete model`
/// wording: the last in resource order, as AWS names the sub-resource's method while the root's
/// also references it (AWS-recorded, localstack `test_put_method_model`).
fn model_user(def: &ApiDefinition, name: &str) -> Option<String> {
    def.resources.iter().rev().find_map(|r| {
        r.resource_methods.iter().find_map(|(verb, m)| {
            let path = if r.path == "/" {
                "/".to_string()
            } else {
                r.path.clone()
            };
            if m.request_models.values().any(|n| n == name) {
                return Some(format!("is referenced in method request: {path}/{verb}"));
            }
            m.method_responses
                .values()
                .any(|resp| resp.response_models.values().any(|n| n == name))
                .then(|| format!("is referenced in method response: {path}/{verb}"))
        })
    })
}

impl Gateway {
    pub async fn create_request_validator(
        &self,
        actor: &Actor,
        api_id: &str,
        input: CreateRequestValidator,
    ) -> Result<RequestValidator, AdminError> {
        let validator = RequestValidator {
            id: ids::new_id(6),
            name: input.name,
            validate_request_body: input.validate_request_body,
            validate_request_parameters: input.validate_request_parameters,
        };
        validate_request_validator(&validator)?;
        let t = format!("restapis/{api_id}/requestvalidators/{}", validator.id);
        self.edit_definition(actor, "CreateRequestValidator", api_id, t, move |def| {
            if def
                .request_validators
                .iter()
                .any(|v| v.name == validator.name)
            {
                return Err(AdminError::conflict(format!(
                    "Validator with name '{}' already exists",
                    validator.name
                )));
            }
            def.request_validators.push(validator.clone());
            Ok(validator)
        })
        .await
    }

    pub fn list_request_validators(
        &self,
        api_id: &str,
    ) -> Result<Vec<RequestValidator>, AdminError> {
        self.read(|a| Ok(a.api(api_id)?.definition.request_validators.clone()))
    }

    pub fn get_request_validator(
        &self,
        api_id: &str,
        validator_id: &str,
    ) -> Result<RequestValidator, AdminError> {
        self.read(|a| {
            a.api(api_id)?
                .definition
                .request_validator(validator_id)
                .cloned()
                .ok_or_else(|| AdminError::not_found(VALIDATOR_NOT_FOUND))
        })
    }

    pub async fn update_request_validator(
        &self,
        actor: &Actor,
        api_id: &str,
        validator_id: &str,
        ops: Vec<PatchOperation>,
    ) -> Result<RequestValidator, AdminError> {
        let vid = validator_id.to_string();
        let t = format!("restapis/{api_id}/requestvalidators/{validator_id}");
        self.edit_definition(actor, "UpdateRequestValidator", api_id, t, move |def| {
            let mut next = def
                .request_validator(&vid)
                .cloned()
                .ok_or_else(|| AdminError::not_found(VALIDATOR_NOT_FOUND))?;
            apply_request_validator_patch(&mut next, &ops)?;
            if def
                .request_validators
                .iter()
                .any(|v| v.id != vid && v.name == next.name)
            {
                return Err(AdminError::conflict(format!(
                    "Validator with name '{}' already exists",
                    next.name
                )));
            }
            if let Some(slot) = def.request_validators.iter_mut().find(|v| v.id == vid) {
                *slot = next.clone();
            }
            Ok(next)
        })
        .await
    }

    pub async fn delete_request_validator(
        &self,
        actor: &Actor,
        api_id: &str,
        validator_id: &str,
    ) -> Result<(), AdminError> {
        let vid = validator_id.to_string();
        let t = format!("restapis/{api_id}/requestvalidators/{validator_id}");
        self.edit_definition(actor, "DeleteRequestValidator", api_id, t, move |def| {
            let name = def
                .request_validator(&vid)
                .map(|v| v.name.clone())
                .ok_or_else(|| AdminError::not_found(VALIDATOR_NOT_FOUND))?;
            let user = def.resources.iter().find_map(|r| {
                r.resource_methods
                    .iter()
                    .find(|(_, m)| m.request_validator_id.as_deref() == Some(vid.as_str()))
                    .map(|(verb, _)| format!("{verb} {}", r.path))
            });
            if let Some(user) = user {
                return Err(AdminError::conflict(format!(
                    "Cannot delete request validator '{name}', is referenced in method: {user}"
                )));
            }
            def.request_validators.retain(|v| v.id != vid);
            Ok(())
        })
        .await
    }

    pub async fn create_model(
        &self,
        actor: &Actor,
        api_id: &str,
        input: CreateModel,
    ) -> Result<Model, AdminError> {
        let content_type = input
            .content_type
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| AdminError::bad_request("Content type must be specified"))?;
        let model = Model {
            id: ids::new_id(6),
            name: input.name,
            // An empty description is no description (AWS-recorded, `test_update_model`).
            description: input.description.filter(|d| !d.is_empty()),
            schema: input.schema,
            content_type,
        };
        validate_model(&model)?;
        let t = format!("restapis/{api_id}/models/{}", model.name);
        self.edit_definition(actor, "CreateModel", api_id, t, move |def| {
            if def.model_by_name(&model.name).is_some() {
                return Err(AdminError::conflict(
                    "Model name already exists for this REST API",
                ));
            }
            def.models.push(model.clone());
            Ok(model)
        })
        .await
    }

    pub fn list_models(&self, api_id: &str) -> Result<Vec<Model>, AdminError> {
        self.read(|a| Ok(a.api(api_id)?.definition.models.clone()))
    }

    pub fn get_model(&self, api_id: &str, name: &str) -> Result<Model, AdminError> {
        self.read(|a| {
            a.api(api_id)?
                .definition
                .model_by_name(name)
                .cloned()
                .ok_or_else(|| model_not_found(name))
        })
    }

    /// GetModelTemplate: a mapping template generated from the model's schema
    /// (`mapping::model_template`), as `{"value": template}`.
    pub fn get_model_template(
        &self,
        api_id: &str,
        name: &str,
    ) -> Result<serde_json::Value, AdminError> {
        self.read(|a| {
            let def = &a.api(api_id)?.definition;
            Ok(serde_json::json!({ "value": Gateway::model_template(def, name)? }))
        })
    }

    pub async fn update_model(
        &self,
        actor: &Actor,
        api_id: &str,
        name: &str,
        ops: Vec<PatchOperation>,
    ) -> Result<Model, AdminError> {
        let name = name.to_string();
        let t = format!("restapis/{api_id}/models/{name}");
        self.edit_definition(actor, "UpdateModel", api_id, t, move |def| {
            let model = def
                .models
                .iter_mut()
                .find(|m| m.name == name)
                .ok_or_else(|| model_not_found(&name))?;
            apply_model_patch(model, &ops)?;
            Ok(model.clone())
        })
        .await
    }

    pub async fn delete_model(
        &self,
        actor: &Actor,
        api_id: &str,
        name: &str,
    ) -> Result<(), AdminError> {
        let name = name.to_string();
        let t = format!("restapis/{api_id}/models/{name}");
        self.edit_definition(actor, "DeleteModel", api_id, t, move |def| {
            def.model_by_name(&name)
                .ok_or_else(|| model_not_found(&name))?;
            // 409 (AWS-recorded, localstack `test_put_method_model`).
            if let Some(user) = model_user(def, &name) {
                return Err(AdminError::conflict(format!(
                    "Cannot delete model '{name}', {user}"
                )));
            }
            def.models.retain(|m| m.name != name);
            Ok(())
        })
        .await
    }
}
