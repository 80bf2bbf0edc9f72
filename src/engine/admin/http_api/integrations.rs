//! CreateIntegration, GetIntegration(s), UpdateIntegration, DeleteIntegration. HTTP APIs take
//! AWS_PROXY (Lambda, payload format 1.0 or 2.0) and HTTP_PROXY; `integrationSubtype` (AWS
//! service integrations) is refused until gwtui has them.

use indexmap::IndexMap;
use serde::Deserialize;

use super::{fresh_id, merge_update, not_found, not_found_api};
use crate::engine::functions::parse_function_uri;
use crate::engine::{Actor, Gateway};
use crate::model::AdminError;
use crate::model::v2::{Integration, validate};

/// CreateIntegration's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateIntegration {
    pub connection_type: Option<String>,
    pub credentials_arn: Option<String>,
    pub description: Option<String>,
    pub integration_method: Option<String>,
    pub integration_subtype: Option<String>,
    pub integration_type: String,
    pub integration_uri: Option<String>,
    pub payload_format_version: Option<String>,
    pub request_parameters: IndexMap<String, String>,
    pub response_parameters: IndexMap<String, IndexMap<String, String>>,
    pub timeout_in_millis: Option<i64>,
}

const UPDATABLE: &[&str] = &[
    "connectionType",
    "credentialsArn",
    "description",
    "integrationMethod",
    "integrationSubtype",
    "integrationType",
    "integrationUri",
    "payloadFormatVersion",
    "requestParameters",
    "responseParameters",
    "timeoutInMillis",
];

fn check(i: &mut Integration) -> Result<(), AdminError> {
    if let Some(c) = &i.connection_type
        && c != "INTERNET"
    {
        return Err(AdminError::bad_request(format!(
            "Invalid connection type specified: '{c}'. gwtui supports INTERNET (no VPC links)"
        )));
    }
    validate::integration(i, &|u| parse_function_uri(u).is_some())
}

impl Gateway {
    pub async fn create_http_integration(
        &self,
        actor: &Actor,
        api_id: &str,
        input: CreateIntegration,
    ) -> Result<Integration, AdminError> {
        let mut integration = Integration {
            api_gateway_managed: false,
            connection_type: Some(input.connection_type.unwrap_or_else(|| "INTERNET".into())),
            credentials_arn: input.credentials_arn,
            description: input.description,
            integration_id: String::new(),
            integration_method: input.integration_method,
            integration_subtype: input.integration_subtype,
            integration_type: input.integration_type,
            integration_uri: input.integration_uri,
            payload_format_version: input.payload_format_version,
            request_parameters: input.request_parameters,
            response_parameters: input.response_parameters,
            timeout_in_millis: input.timeout_in_millis.unwrap_or(0),
        };
        if input.timeout_in_millis == Some(0) {
            integration.timeout_in_millis = -1;
        }
        check(&mut integration)?;
        let api_id = api_id.to_string();
        self.admin_op(
            actor,
            "CreateIntegration",
            format!("v2/apis/{api_id}/integrations"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                if api.definition.integrations.len() >= 300 {
                    return Err(AdminError::LimitExceeded(
                        "An HTTP API allows at most 300 integrations".into(),
                    ));
                }
                integration.integration_id =
                    fresh_id(7, |c| api.definition.integration(c).is_some());
                api.definition.integrations.push(integration.clone());
                txn.commit_definition(&api_id)?;
                Ok(integration)
            },
        )
        .await
    }

    pub fn get_http_integration(&self, api_id: &str, id: &str) -> Result<Integration, AdminError> {
        self.read(|a| {
            a.http_apis
                .get(api_id)
                .ok_or_else(|| not_found_api(api_id))?
                .definition
                .integration(id)
                .cloned()
                .ok_or_else(|| not_found("Integration", api_id, id))
        })
    }

    pub fn list_http_integrations(&self, api_id: &str) -> Result<Vec<Integration>, AdminError> {
        self.read(|a| {
            Ok(a.http_apis
                .get(api_id)
                .ok_or_else(|| not_found_api(api_id))?
                .definition
                .integrations
                .clone())
        })
    }

    pub async fn update_http_integration(
        &self,
        actor: &Actor,
        api_id: &str,
        id: &str,
        patch: serde_json::Value,
    ) -> Result<Integration, AdminError> {
        let (api_id, id) = (api_id.to_string(), id.to_string());
        self.admin_op(
            actor,
            "UpdateIntegration",
            format!("v2/apis/{api_id}/integrations/{id}"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                let index = api
                    .definition
                    .integrations
                    .iter()
                    .position(|i| i.integration_id == id)
                    .ok_or_else(|| not_found("Integration", &api_id, &id))?;
                let mut integration: Integration =
                    merge_update(&api.definition.integrations[index], &patch, UPDATABLE)?;
                check(&mut integration)?;
                api.definition.integrations[index] = integration.clone();
                txn.commit_definition(&api_id)?;
                Ok(integration)
            },
        )
        .await
    }

    /// DeleteIntegration; refused while a route targets it.
    pub async fn delete_http_integration(
        &self,
        actor: &Actor,
        api_id: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        let (api_id, id) = (api_id.to_string(), id.to_string());
        self.admin_op(
            actor,
            "DeleteIntegration",
            format!("v2/apis/{api_id}/integrations/{id}"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                if api.definition.integration(&id).is_none() {
                    return Err(not_found("Integration", &api_id, &id));
                }
                if let Some(r) = api
                    .definition
                    .routes
                    .iter()
                    .find(|r| r.integration_id() == Some(id.as_str()))
                {
                    return Err(AdminError::conflict(format!(
                        "Cannot delete integration {id}: route {} ({}) targets it",
                        r.route_id, r.route_key
                    )));
                }
                api.definition
                    .integrations
                    .retain(|i| i.integration_id != id);
                txn.commit_definition(&api_id)
            },
        )
        .await
    }
}
