//! REST APIs and their working definitions: resources, methods, integrations, responses.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Deserialize;

use super::{Actor, AdminTxn, ApiState};
use crate::engine::Gateway;
use crate::model::{
    AdminError, ApiDefinition, ApiKeySource, EndpointConfiguration, Integration,
    IntegrationResponse, Method, MethodResponse, RestApi, ids, now_epoch_seconds,
};

/// CreateRestApi's input (AWS's JSON shape).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateRestApi {
    pub name: String,
    pub description: Option<String>,
    pub version: Option<String>,
    pub binary_media_types: Vec<String>,
    pub minimum_compression_size: Option<i64>,
    pub api_key_source: Option<ApiKeySource>,
    pub endpoint_configuration: Option<EndpointConfiguration>,
    pub policy: Option<String>,
    pub disable_execute_api_endpoint: bool,
    pub tags: BTreeMap<String, String>,
}

fn target(api_id: &str) -> String {
    format!("restapis/{api_id}")
}

impl Gateway {
    pub async fn create_rest_api(
        &self,
        actor: &Actor,
        input: CreateRestApi,
    ) -> Result<RestApi, AdminError> {
        if input.name.trim().is_empty() {
            return Err(AdminError::bad_request("Invalid REST API name specified"));
        }
        if let Some(size) = input.minimum_compression_size
            && !(0..=10_485_760).contains(&size)
        {
            return Err(AdminError::bad_request(
                "Invalid minimum compression size, must be between 0 and 10485760",
            ));
        }
        let id = ids::rest_api_id();
        let rest_api = RestApi {
            id: id.clone(),
            name: input.name,
            description: input.description,
            version: input.version,
            created_date: now_epoch_seconds(),
            api_key_source: input.api_key_source.unwrap_or_default(),
            binary_media_types: input.binary_media_types,
            minimum_compression_size: input.minimum_compression_size,
            endpoint_configuration: input.endpoint_configuration.unwrap_or_else(|| {
                EndpointConfiguration {
                    types: vec!["EDGE".into()],
                    ..Default::default()
                }
            }),
            policy: input.policy,
            disable_execute_api_endpoint: input.disable_execute_api_endpoint,
            warnings: Vec::new(),
            tags: input.tags,
            root_resource_id: String::new(),
        };
        let definition = ApiDefinition::new(rest_api);
        self.install_new_api(actor, "CreateRestApi", definition)
            .await
    }

    /// Adds a complete definition as a new API (create and import).
    pub(crate) async fn install_new_api(
        &self,
        actor: &Actor,
        action: &str,
        definition: ApiDefinition,
    ) -> Result<RestApi, AdminError> {
        let id = definition.rest_api.id.clone();
        self.admin_op(
            actor,
            action,
            target(&id),
            Some(id.clone()),
            move |txn: &mut AdminTxn<'_>| {
                if txn.admin().apis.contains_key(&id) {
                    return Err(AdminError::conflict(format!("RestApi {id} already exists")));
                }
                let rest_api = definition.rest_api.clone();
                txn.changes
                    .push(crate::store::Change::PutApi(Box::new(definition.clone())));
                txn.detail = serde_json::json!({ "name": rest_api.name });
                txn.insert_api(ApiState {
                    definition,
                    deployments: IndexMap::new(),
                    stages: IndexMap::new(),
                });
                Ok(rest_api)
            },
        )
        .await
    }

    /// Replaces an API's working definition (PutRestApi, console edits of a whole definition).
    pub async fn replace_definition(
        &self,
        actor: &Actor,
        action: &str,
        definition: ApiDefinition,
    ) -> Result<RestApi, AdminError> {
        let id = definition.rest_api.id.clone();
        self.admin_op(actor, action, target(&id), Some(id.clone()), move |txn| {
            txn.edit_definition(&id, move |def| {
                *def = definition;
                Ok(def.rest_api.clone())
            })
        })
        .await
    }

    pub fn list_rest_apis(&self) -> Vec<RestApi> {
        self.snapshot()
            .apis
            .values()
            .map(|a| a.definition.rest_api.clone())
            .collect()
    }

    pub fn get_rest_api(&self, api_id: &str) -> Result<RestApi, AdminError> {
        self.read(|a| Ok(a.api(api_id)?.definition.rest_api.clone()))
    }

    /// The API's working (editable, not yet deployed) definition.
    pub fn get_definition(&self, api_id: &str) -> Result<ApiDefinition, AdminError> {
        self.read(|a| Ok(a.api(api_id)?.definition.clone()))
    }

    pub async fn delete_rest_api(&self, actor: &Actor, api_id: &str) -> Result<(), AdminError> {
        let id = api_id.to_string();
        self.admin_op(
            actor,
            "DeleteRestApi",
            target(api_id),
            Some(id.clone()),
            move |txn| {
                txn.admin().api(&id)?;
                // AWS refuses to delete an API that a custom domain still maps to.
                let mapped: Vec<String> = txn
                    .admin()
                    .domains
                    .values()
                    .filter(|d| d.mappings.iter().any(|m| m.rest_api_id == id))
                    .map(|d| d.domain.domain_name.clone())
                    .collect();
                if !mapped.is_empty() {
                    return Err(AdminError::bad_request(format!(
                        "Cannot delete a REST API that has base path mappings: delete its mappings on {} first",
                        mapped.join(", ")
                    )));
                }
                txn.changes
                    .push(crate::store::Change::DeleteApi(id.clone()));
                txn.remove_api(&id);
                Ok(())
            },
        )
        .await
    }

    /// Applies `f` to the API's working definition as one audited change.
    pub async fn edit_definition<T, F>(
        &self,
        actor: &Actor,
        action: &str,
        api_id: &str,
        target_path: String,
        f: F,
    ) -> Result<T, AdminError>
    where
        T: Send + 'static,
        F: FnOnce(&mut ApiDefinition) -> Result<T, AdminError> + Send + 'static,
    {
        let id = api_id.to_string();
        self.admin_op(actor, action, target_path, Some(id.clone()), move |txn| {
            txn.edit_definition(&id, f)
        })
        .await
    }

    pub async fn create_resource(
        &self,
        actor: &Actor,
        api_id: &str,
        parent_id: &str,
        path_part: &str,
    ) -> Result<crate::model::Resource, AdminError> {
        let parent = parent_id.to_string();
        let part = path_part.to_string();
        self.edit_definition(
            actor,
            "CreateResource",
            api_id,
            format!("{}/resources", target(api_id)),
            move |def| {
                let id = def.add_resource(&parent, &part, None)?;
                def.require_resource(&id).cloned()
            },
        )
        .await
    }

    pub async fn delete_resource(
        &self,
        actor: &Actor,
        api_id: &str,
        resource_id: &str,
    ) -> Result<(), AdminError> {
        let rid = resource_id.to_string();
        self.edit_definition(
            actor,
            "DeleteResource",
            api_id,
            format!("{}/resources/{resource_id}", target(api_id)),
            move |def| def.delete_resource(&rid),
        )
        .await
    }

    /// PutMethod: creates or replaces the method (its integration and responses are kept only
    /// if the input carries them, as AWS's PutMethod starts a method afresh).
    pub async fn put_method(
        &self,
        actor: &Actor,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        mut method: Method,
    ) -> Result<Method, AdminError> {
        let verb = normalise_verb(verb)?;
        let rid = resource_id.to_string();
        method.http_method = verb.clone();
        self.edit_definition(actor, "PutMethod", api_id, method_target(api_id, resource_id, &verb), move |def| {
            if let Some(id) = method.authorizer_id.as_deref()
                && def.authorizer(id).is_none()
            {
                return Err(AdminError::bad_request("Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer."));
            }
            crate::model::validate::validate_method(&method, def)?;
            let resource = def.require_resource_mut(&rid)?;
            resource.resource_methods.insert(verb, method.clone());
            Ok(method)
        })
        .await
    }

    pub async fn delete_method(
        &self,
        actor: &Actor,
        api_id: &str,
        resource_id: &str,
        verb: &str,
    ) -> Result<(), AdminError> {
        let verb = normalise_verb(verb)?;
        let rid = resource_id.to_string();
        self.edit_definition(
            actor,
            "DeleteMethod",
            api_id,
            method_target(api_id, resource_id, &verb),
            move |def| {
                def.require_resource_mut(&rid)?
                    .resource_methods
                    .remove(&verb)
                    .map(|_| ())
                    .ok_or_else(|| AdminError::not_found("Invalid Method identifier specified"))
            },
        )
        .await
    }

    pub async fn put_integration(
        &self,
        actor: &Actor,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        integration: Integration,
    ) -> Result<Integration, AdminError> {
        let verb = normalise_verb(verb)?;
        let rid = resource_id.to_string();
        let target_path = format!("{}/integration", method_target(api_id, resource_id, &verb));
        self.edit_definition(actor, "PutIntegration", api_id, target_path, move |def| {
            crate::model::validate::validate_integration(&integration)?;
            let method = def.method_mut(&rid, &verb)?;
            let mut integration = integration;
            // PutIntegration keeps existing integration responses (as AWS does).
            if integration.integration_responses.is_empty()
                && let Some(old) = &method.method_integration
            {
                integration.integration_responses = old.integration_responses.clone();
            }
            method.method_integration = Some(integration.clone());
            Ok(integration)
        })
        .await
    }

    pub async fn put_integration_response(
        &self,
        actor: &Actor,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        response: IntegrationResponse,
    ) -> Result<IntegrationResponse, AdminError> {
        let verb = normalise_verb(verb)?;
        let rid = resource_id.to_string();
        let target_path = format!(
            "{}/integration/responses/{}",
            method_target(api_id, resource_id, &verb),
            response.status_code
        );
        self.edit_definition(
            actor,
            "PutIntegrationResponse",
            api_id,
            target_path,
            move |def| {
                let method = def.method_mut(&rid, &verb)?;
                crate::model::validate::validate_integration_response(&response, method)?;
                if let Some(p) = response.selection_pattern.as_deref()
                    && !p.is_empty()
                    && regex::Regex::new(p).is_err()
                {
                    return Err(AdminError::bad_request(format!(
                        "Invalid selection pattern specified: {p}"
                    )));
                }
                // An empty pattern is kept as sent: AWS echoes `selectionPattern: ""`
                // (AWS-recorded, `test_lifecycle_integration_response`).
                let integration = method.method_integration.as_mut().ok_or_else(|| {
                    AdminError::not_found("Invalid Integration identifier specified")
                })?;
                integration
                    .integration_responses
                    .insert(response.status_code.clone(), response.clone());
                Ok(response)
            },
        )
        .await
    }

    pub async fn put_method_response(
        &self,
        actor: &Actor,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        response: MethodResponse,
    ) -> Result<MethodResponse, AdminError> {
        let verb = normalise_verb(verb)?;
        let rid = resource_id.to_string();
        let target_path = format!(
            "{}/responses/{}",
            method_target(api_id, resource_id, &verb),
            response.status_code
        );
        self.edit_definition(
            actor,
            "PutMethodResponse",
            api_id,
            target_path,
            move |def| {
                let code = response
                    .status_code
                    .parse::<u16>()
                    .ok()
                    .filter(|c| (100..=599).contains(c));
                if code.is_none() {
                    return Err(AdminError::bad_request(
                        "Invalid Response status code specified",
                    ));
                }
                def.method_mut(&rid, &verb)?
                    .method_responses
                    .insert(response.status_code.clone(), response.clone());
                Ok(response)
            },
        )
        .await
    }
}

fn method_target(api_id: &str, resource_id: &str, verb: &str) -> String {
    format!("restapis/{api_id}/resources/{resource_id}/methods/{verb}")
}

/// Upper-cases and checks an HTTP verb against the ones a method may be declared for.
pub fn normalise_verb(verb: &str) -> Result<String, AdminError> {
    let upper = verb.to_ascii_uppercase();
    if crate::model::HTTP_METHODS.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(AdminError::bad_request(
            "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY",
        ))
    }
}

impl Gateway {
    /// ImportRestApi: a new API from an OpenAPI 3 / Swagger 2 document (JSON or YAML).
    pub async fn import_rest_api(
        &self,
        actor: &Actor,
        source: &str,
        opts: crate::openapi::ImportOptions,
    ) -> Result<RestApi, AdminError> {
        let outcome = crate::openapi::import(source, &opts, None)
            .map_err(|e| AdminError::bad_request(e.client_message()))?;
        self.install_new_api(actor, "ImportRestApi", outcome.definition)
            .await
    }

    /// PutRestApi: merges the document into (or overwrites) an existing API's working
    /// definition. Nothing changes when the document is rejected.
    pub async fn put_rest_api(
        &self,
        actor: &Actor,
        api_id: &str,
        source: &str,
        opts: crate::openapi::ImportOptions,
    ) -> Result<RestApi, AdminError> {
        crate::openapi::check_readable(source)
            .map_err(|e| AdminError::bad_request(e.client_message()))?;
        let source = source.to_string();
        self.edit_definition(
            actor,
            "PutRestApi",
            api_id,
            format!("restapis/{api_id}"),
            move |def| {
                let outcome = crate::openapi::import(&source, &opts, Some(def))
                    .map_err(|e| AdminError::bad_request(e.client_message()))?;
                *def = outcome.definition;
                Ok(def.rest_api.clone())
            },
        )
        .await
    }
}
