//! Authorizer, RequestValidator, Model, GatewayResponse (model.md §12–§14).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthorizerType {
    #[default]
    Token,
    Request,
    CognitoUserPools,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Authorizer {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub authorizer_type: AuthorizerType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_credentials: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub provider_a_r_ns: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_validation_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_result_ttl_in_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RequestValidator {
    pub id: String,
    pub name: String,
    pub validate_request_body: bool,
    pub validate_request_parameters: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Model {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The JSON Schema (draft 4) as a string, as the control plane carries it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub content_type: String,
}

impl Model {
    /// The two models AWS creates with every API (model.md §2).
    pub fn defaults(mut new_id: impl FnMut() -> String) -> Vec<Model> {
        vec![
            Model {
                id: new_id(),
                name: "Empty".into(),
                description: Some("This is a default empty schema model".into()),
                schema: Some(
                    r#"{"$schema":"http://json-schema.org/draft-04/schema#","title":"Empty Schema","type":"object"}"#
                        .into(),
                ),
                content_type: "application/json".into(),
            },
            Model {
                id: new_id(),
                name: "Error".into(),
                description: Some("This is a default error schema model".into()),
                schema: Some(
                    r#"{"$schema":"http://json-schema.org/draft-04/schema#","title":"Error Schema","type":"object","properties":{"message":{"type":"string"}}}"#
                        .into(),
                ),
                content_type: "application/json".into(),
            },
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct GatewayResponse {
    pub response_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub response_parameters: IndexMap<String, String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub response_templates: IndexMap<String, String>,
    pub default_response: bool,
}

/// The 21 gateway response types with AWS's default status codes (model.md §14).
pub const GATEWAY_RESPONSE_TYPES: [(&str, Option<u16>); 21] = [
    ("ACCESS_DENIED", Some(403)),
    ("API_CONFIGURATION_ERROR", Some(500)),
    ("AUTHORIZER_CONFIGURATION_ERROR", Some(500)),
    ("AUTHORIZER_FAILURE", Some(500)),
    ("BAD_REQUEST_BODY", Some(400)),
    ("BAD_REQUEST_PARAMETERS", Some(400)),
    ("DEFAULT_4XX", None),
    ("DEFAULT_5XX", None),
    ("EXPIRED_TOKEN", Some(403)),
    ("INTEGRATION_FAILURE", Some(504)),
    ("INTEGRATION_TIMEOUT", Some(504)),
    ("INVALID_API_KEY", Some(403)),
    ("INVALID_SIGNATURE", Some(403)),
    ("MISSING_AUTHENTICATION_TOKEN", Some(403)),
    ("QUOTA_EXCEEDED", Some(429)),
    ("REQUEST_TOO_LARGE", Some(413)),
    ("RESOURCE_NOT_FOUND", Some(404)),
    ("THROTTLED", Some(429)),
    ("UNAUTHORIZED", Some(401)),
    ("UNSUPPORTED_MEDIA_TYPE", Some(415)),
    ("WAF_FILTERED", Some(403)),
];

/// The default template of every un-customised gateway response.
pub const DEFAULT_GATEWAY_RESPONSE_TEMPLATE: &str = "{\"message\":$context.error.messageString}";

impl GatewayResponse {
    /// The default (un-customised) response of `response_type`, as GetGatewayResponse shows it.
    pub fn default_for(response_type: &str) -> Option<GatewayResponse> {
        let (name, status) = GATEWAY_RESPONSE_TYPES
            .iter()
            .find(|(n, _)| *n == response_type)?;
        let mut templates = IndexMap::new();
        templates.insert(
            "application/json".to_string(),
            DEFAULT_GATEWAY_RESPONSE_TEMPLATE.to_string(),
        );
        Some(GatewayResponse {
            response_type: (*name).to_string(),
            status_code: status.map(|s| s.to_string()),
            response_parameters: IndexMap::new(),
            response_templates: templates,
            default_response: true,
        })
    }
}
