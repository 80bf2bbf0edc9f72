//! CreateIntegration, GetIntegration(s), UpdateIntegration, DeleteIntegration. HTTP APIs take
//! AWS_PROXY (Lambda, payload format 1.0 or 2.0; or an AWS service action named by
//! `integrationSubtype`, checked by `model::v2::integration_subtype`) and HTTP_PROXY.

use indexmap::IndexMap;
use serde::Deserialize;

use crate::engine::functions::parse_function_uri;
use crate::engine::{Actor, Gateway};
use crate::model::AdminError;
use crate::model::v2::{Integration, validate};

/// CreateIntegration's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateIntegration {
    pub connection_type: Option<String>,
    pub content_handling_strategy: Option<String>,
    pub credentials_arn: Option<String>,
    pub description: Option<String>,
    pub integration_method: Option<String>,
    pub integration_response_selection_expression: Option<String>,
    pub integration_subtype: Option<String>,
    pub integration_type: String,
    pub integration_uri: Option<String>,
    pub passthrough_behavior: Option<String>,
    pub payload_format_version: Option<String>,
    pub request_parameters: IndexMap<String, String>,
    pub request_templates: IndexMap<String, String>,
    pub response_parameters: IndexMap<String, IndexMap<String, String>>,
    pub template_selection_expression: Option<String>,
    pub timeout_in_millis: Option<i64>,
}

const UPDATABLE: &[&str] = &[
    "connectionType",
    "contentHandlingStrategy",
    "integrationResponseSelectionExpression",
    "passthroughBehavior",
    "requestTemplates",
    "templateSelectionExpression",
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

fn check(i: &mut Integration, websocket: bool) -> Result<(), AdminError> {
    if websocket {
        if let Some(c) = &i.connection_type
            && c != "INTERNET"
        {
            return Err(AdminError::bad_request(format!(
                "Invalid connection type specified: '{c}'. gwtui supports INTERNET (no VPC links)"
            )));
        }
        return crate::model::v2::websocket::integration(i, &|u| parse_function_uri(u).is_some());
    }
    if i.integration_response_selection_expression.is_some()
        || i.template_selection_expression.is_some()
        || !i.request_templates.is_empty()
        || i.passthrough_behavior.is_some()
        || i.content_handling_strategy.is_some()
    {
        return Err(AdminError::bad_request(
            "Templates, template and integration response selection, passthrough behavior and content handling are only supported for WebSocket APIs",
        ));
    }
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
            content_handling_strategy: input.content_handling_strategy,
            integration_response_selection_expression: input
                .integration_response_selection_expression,
            passthrough_behavior: input.passthrough_behavior,
            request_templates: input.request_templates,
            template_selection_expression: input.template_selection_expression,
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
        self.create_child(actor, api_id, move |api, id| {
            check(&mut integration, api.definition.is_websocket())?;
            integration.integration_id = id;
            Ok(integration)
        })
        .await
    }

    pub fn get_http_integration(&self, api_id: &str, id: &str) -> Result<Integration, AdminError> {
        self.get_child(api_id, id)
    }

    pub fn list_http_integrations(&self, api_id: &str) -> Result<Vec<Integration>, AdminError> {
        self.list_children(api_id)
    }

    pub async fn update_http_integration(
        &self,
        actor: &Actor,
        api_id: &str,
        id: &str,
        patch: serde_json::Value,
    ) -> Result<Integration, AdminError> {
        self.update_child(
            actor,
            api_id,
            id,
            patch,
            UPDATABLE,
            |api, i: &mut Integration| check(i, api.definition.is_websocket()),
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
        self.delete_child::<Integration>(actor, api_id, id).await
    }
}
