//! HTTP APIs (API Gateway v2, `protocolType: HTTP`): the shapes of botocore's `apigatewayv2`
//! service model (`2018-11-29`), camelCase as it names them, serving the management API and
//! the store alike. Pure data plus validation (`route_key`, `validate`); no I/O.

pub mod integration_subtype;
pub mod mapping;
pub mod route_key;
pub mod validate;
pub mod websocket;

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

pub use route_key::RouteKey;
pub use websocket::{IntegrationResponse, Model, RouteResponse};

/// `$default`: the stage served at the URL root, and the catch-all route.
pub const DEFAULT: &str = "$default";

/// An HTTP API (`Api` in the service model).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Api {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_endpoint: Option<String>,
    pub api_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors_configuration: Option<Cors>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub disable_execute_api_endpoint: bool,
    pub name: String,
    pub protocol_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// `corsConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Cors {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_credentials: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_headers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_methods: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow_origins: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose_headers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Route {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub api_gateway_managed: bool,
    pub api_key_required: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorization_scopes: Vec<String>,
    /// `NONE`, `JWT`, `AWS_IAM` or `CUSTOM`.
    pub authorization_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_id: Option<String>,
    /// WebSocket APIs: how a request model is chosen (`requestModels`' keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_name: Option<String>,
    /// WebSocket APIs: model names by selection key.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub request_models: IndexMap<String, String>,
    pub route_id: String,
    pub route_key: String,
    /// WebSocket APIs: `$default` makes the route two-way (the integration's output is
    /// sent back on the socket).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_response_selection_expression: Option<String>,
    /// `integrations/{integrationId}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl Route {
    /// The integration id `target` names.
    pub fn integration_id(&self) -> Option<&str> {
        self.target.as_deref()?.strip_prefix("integrations/")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Integration {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub api_gateway_managed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<String>,
    /// WebSocket APIs: `CONVERT_TO_BINARY` or `CONVERT_TO_TEXT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_handling_strategy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub integration_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_method: Option<String>,
    /// WebSocket APIs: selects an integration response by the backend's status or error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_response_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_subtype: Option<String>,
    /// `AWS_PROXY` or `HTTP_PROXY` (HTTP APIs have no other kinds).
    pub integration_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_uri: Option<String>,
    /// WebSocket APIs: `WHEN_NO_MATCH`, `NEVER` or `WHEN_NO_TEMPLATES`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passthrough_behavior: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_format_version: Option<String>,
    /// `append|overwrite|remove:header.{name}`, `…:querystring.{name}`, `overwrite:path`.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub request_parameters: IndexMap<String, String>,
    /// Keyed by the backend's status code (`"200"`, `"404"`).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub response_parameters: IndexMap<String, IndexMap<String, String>>,
    /// WebSocket APIs: VTL request templates by template selection key.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub request_templates: IndexMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_selection_expression: Option<String>,
    pub timeout_in_millis: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct JwtConfiguration {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audience: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Authorizer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_credentials_arn: Option<String>,
    pub authorizer_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_payload_format_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_result_ttl_in_seconds: Option<i64>,
    /// `JWT` or `REQUEST`.
    pub authorizer_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_simple_responses: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identity_source: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_configuration: Option<JwtConfiguration>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RouteSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_trace_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detailed_metrics_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttling_burst_limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttling_rate_limit: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct AccessLogSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Stage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log_settings: Option<AccessLogSettings>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub api_gateway_managed: bool,
    /// Answered only when true; `routeSettings`, `stageVariables` and `tags` always, `{}` when
    /// empty (AWS's documented CLI outputs of CreateStage, GetStage, GetStages, UpdateStage:
    /// aws/aws-cli awscli/examples/apigatewayv2/*-stage*.rst).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub auto_deploy: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    pub default_route_settings: RouteSettings,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_deployment_status_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_date: Option<String>,
    pub route_settings: IndexMap<String, RouteSettings>,
    pub stage_name: String,
    pub stage_variables: IndexMap<String, String>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Deployment {
    pub auto_deployed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    pub deployment_id: String,
    /// `DEPLOYED` (deployments here never stay pending).
    pub deployment_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `ApiMapping`: a custom domain's `apiMappingKey` → (API, stage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiMapping {
    pub api_id: String,
    pub api_mapping_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_mapping_key: String,
    pub stage: String,
}

/// What a deployment freezes: the API with its routes, integrations and authorizers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct HttpApiDefinition {
    pub api: Api,
    pub routes: Vec<Route>,
    pub integrations: Vec<Integration>,
    pub authorizers: Vec<Authorizer>,
    /// WebSocket APIs: route responses by route id.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub route_responses: IndexMap<String, Vec<RouteResponse>>,
    /// WebSocket APIs: integration responses by integration id.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub integration_responses: IndexMap<String, Vec<IntegrationResponse>>,
    /// Models (WebSocket APIs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<Model>,
}

impl HttpApiDefinition {
    /// `protocolType: WEBSOCKET`.
    pub fn is_websocket(&self) -> bool {
        self.api.protocol_type == "WEBSOCKET"
    }
    pub fn route(&self, id: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.route_id == id)
    }
    pub fn integration(&self, id: &str) -> Option<&Integration> {
        self.integrations.iter().find(|i| i.integration_id == id)
    }
    pub fn authorizer(&self, id: &str) -> Option<&Authorizer> {
        self.authorizers.iter().find(|a| a.authorizer_id == id)
    }
}

/// The control plane's timestamp: ISO 8601 in UTC (`__timestampIso8601`).
pub fn now_iso8601() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
