//! RestApi, Resource, Method, MethodResponse, Integration, IntegrationResponse in AWS's JSON
//! shapes (model.md §2–§7). Field names are the control plane's camelCase names.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum ApiKeySource {
    #[default]
    Header,
    Authorizer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct EndpointConfiguration {
    pub types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address_type: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vpc_endpoint_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RestApi {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Epoch seconds (the REST-JSON protocol's timestamp form).
    pub created_date: i64,
    pub api_key_source: ApiKeySource,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub binary_media_types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_compression_size: Option<i64>,
    pub endpoint_configuration: EndpointConfiguration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    pub disable_execute_api_endpoint: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    pub root_resource_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Resource {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// The last path segment; absent for the root resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_part: Option<String>,
    /// The full path (derived), e.g. `/pets/{petId}`.
    pub path: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub resource_methods: BTreeMap<String, Method>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthorizationType {
    #[default]
    None,
    AwsIam,
    Custom,
    CognitoUserPools,
}

impl AuthorizationType {
    /// AWS's names, in the order gwtui's messages list them.
    pub const NAMES: [&'static str; 4] = ["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizationType::None => "NONE",
            AuthorizationType::AwsIam => "AWS_IAM",
            AuthorizationType::Custom => "CUSTOM",
            AuthorizationType::CognitoUserPools => "COGNITO_USER_POOLS",
        }
    }

    /// AWS's names, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "NONE" => Some(AuthorizationType::None),
            "AWS_IAM" => Some(AuthorizationType::AwsIam),
            "CUSTOM" => Some(AuthorizationType::Custom),
            "COGNITO_USER_POOLS" => Some(AuthorizationType::CognitoUserPools),
            _ => None,
        }
    }
}

/// A method's `authorizationType` as the client wrote it, with the kind the engine acts on.
///
/// botocore's model types PutMethod's `authorizationType` as a plain string, not an enum:
/// AWS accepts `none` (localstack's AWS-validated tests `test_integration_request_parameters_mapping`
/// and `test_http_integration_status_code_selection` put methods with `authorizationType="none"`
/// and invoke them without credentials) and, per issue 21, echoes the value as sent. So the
/// spelling is kept and answered; the engine reads the kind, matched case-insensitively. That
/// AWS also treats `aws_iam`, `custom` and `cognito_user_pools` case-insensitively is unverified
/// (no recording here); gwtui does, so a method is never stored with a type it ignores. A value
/// that is none of the four names is refused (`AuthorizationTypeValue::parse`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthorizationTypeValue {
    kind: AuthorizationType,
    /// The value as sent, when it is not `kind`'s canonical name.
    spelling: Option<Box<str>>,
}

impl AuthorizationTypeValue {
    /// A value the client sent: one of AWS's four names in any letter case.
    pub fn parse(s: &str) -> Option<Self> {
        let kind = AuthorizationType::parse(s)?;
        let spelling = (s != kind.as_str()).then(|| Box::from(s));
        Some(AuthorizationTypeValue { kind, spelling })
    }

    /// What the engine does with the method.
    pub fn kind(&self) -> AuthorizationType {
        self.kind
    }

    /// The value as stored and answered.
    pub fn as_str(&self) -> &str {
        self.spelling.as_deref().unwrap_or(self.kind.as_str())
    }

    /// The message for a value that is none of AWS's names (gwtui's wording; AWS's is not
    /// recorded here).
    pub fn invalid(value: &str) -> String {
        format!(
            "Invalid authorization type specified: '{value}'. Must be one of: [{}]",
            AuthorizationType::NAMES.join(", ")
        )
    }
}

impl From<AuthorizationType> for AuthorizationTypeValue {
    fn from(kind: AuthorizationType) -> Self {
        AuthorizationTypeValue {
            kind,
            spelling: None,
        }
    }
}

impl PartialEq<AuthorizationType> for AuthorizationTypeValue {
    fn eq(&self, other: &AuthorizationType) -> bool {
        self.kind == *other
    }
}

impl Serialize for AuthorizationTypeValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for AuthorizationTypeValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        AuthorizationTypeValue::parse(&raw)
            .ok_or_else(|| serde::de::Error::custom(AuthorizationTypeValue::invalid(&raw)))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Method {
    pub http_method: String,
    pub authorization_type: AuthorizationTypeValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authorization_scopes: Vec<String>,
    pub api_key_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_validator_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_name: Option<String>,
    /// `method.request.{path|querystring|header}.{name}` → required.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub request_parameters: IndexMap<String, bool>,
    /// content type (or `$default`) → model name.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub request_models: IndexMap<String, String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub method_responses: IndexMap<String, MethodResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method_integration: Option<Integration>,
}

/// A method response. AWS keeps a map sent empty apart from one never sent: PutMethodResponse
/// with `responseParameters: {}` answers (and GetMethodResponse keeps answering) `{}`, one
/// without it omits the member (AWS-recorded, `test_lifecycle_method_response`), and a patch
/// that removes the last entry omits it again (`test_update_method_response`). The two
/// `*_sent_empty` flags carry that through the wire shape (and so through the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(from = "MethodResponseWire", into = "MethodResponseWire")]
pub struct MethodResponse {
    pub status_code: String,
    pub response_parameters: IndexMap<String, bool>,
    pub response_models: IndexMap<String, String>,
    /// `responseParameters` was sent as `{}` (and no patch has touched it since).
    pub parameters_sent_empty: bool,
    /// `responseModels` was sent as `{}` (and no patch has touched it since).
    pub models_sent_empty: bool,
}

/// MethodResponse as AWS's JSON: a member present (even `{}`) or absent.
#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct MethodResponseWire {
    status_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_parameters: Option<IndexMap<String, bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_models: Option<IndexMap<String, String>>,
}

impl From<MethodResponseWire> for MethodResponse {
    fn from(w: MethodResponseWire) -> Self {
        let parameters_sent_empty = w
            .response_parameters
            .as_ref()
            .is_some_and(IndexMap::is_empty);
        let models_sent_empty = w.response_models.as_ref().is_some_and(IndexMap::is_empty);
        MethodResponse {
            status_code: w.status_code,
            response_parameters: w.response_parameters.unwrap_or_default(),
            response_models: w.response_models.unwrap_or_default(),
            parameters_sent_empty,
            models_sent_empty,
        }
    }
}

impl From<MethodResponse> for MethodResponseWire {
    fn from(r: MethodResponse) -> Self {
        let keep = |empty: bool, sent_empty: bool| !empty || sent_empty;
        MethodResponseWire {
            status_code: r.status_code,
            response_parameters: keep(r.response_parameters.is_empty(), r.parameters_sent_empty)
                .then_some(r.response_parameters),
            response_models: keep(r.response_models.is_empty(), r.models_sent_empty)
                .then_some(r.response_models),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IntegrationType {
    #[default]
    Mock,
    Http,
    HttpProxy,
    Aws,
    AwsProxy,
}

impl IntegrationType {
    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationType::Mock => "MOCK",
            IntegrationType::Http => "HTTP",
            IntegrationType::HttpProxy => "HTTP_PROXY",
            IntegrationType::Aws => "AWS",
            IntegrationType::AwsProxy => "AWS_PROXY",
        }
    }

    /// Parses AWS's names, case-insensitively (OpenAPI uses `http_proxy`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "MOCK" => Some(IntegrationType::Mock),
            "HTTP" => Some(IntegrationType::Http),
            "HTTP_PROXY" => Some(IntegrationType::HttpProxy),
            "AWS" => Some(IntegrationType::Aws),
            "AWS_PROXY" => Some(IntegrationType::AwsProxy),
            _ => None,
        }
    }

    pub fn is_proxy(self) -> bool {
        matches!(self, IntegrationType::HttpProxy | IntegrationType::AwsProxy)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PassthroughBehavior {
    #[default]
    WhenNoMatch,
    WhenNoTemplates,
    Never,
}

impl PassthroughBehavior {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "WHEN_NO_MATCH" => Some(PassthroughBehavior::WhenNoMatch),
            "WHEN_NO_TEMPLATES" => Some(PassthroughBehavior::WhenNoTemplates),
            "NEVER" => Some(PassthroughBehavior::Never),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PassthroughBehavior::WhenNoMatch => "WHEN_NO_MATCH",
            PassthroughBehavior::WhenNoTemplates => "WHEN_NO_TEMPLATES",
            PassthroughBehavior::Never => "NEVER",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContentHandling {
    ConvertToBinary,
    ConvertToText,
}

impl ContentHandling {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "CONVERT_TO_BINARY" => Some(ContentHandling::ConvertToBinary),
            "CONVERT_TO_TEXT" => Some(ContentHandling::ConvertToText),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectionType {
    #[default]
    Internet,
    VpcLink,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TlsConfig {
    pub insecure_skip_verification: bool,
}

pub const DEFAULT_TIMEOUT_MILLIS: u32 = 29_000;

fn default_timeout() -> u32 {
    DEFAULT_TIMEOUT_MILLIS
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Integration {
    #[serde(rename = "type")]
    pub integration_type: IntegrationType,
    /// The backend verb (`integrationHttpMethod` on PutIntegration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// As set; AWS answers it only when it was (AWS-recorded, localstack
    /// `test_lifecycle_method_response`: a MOCK integration has no `connectionType`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<ConnectionType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub request_parameters: IndexMap<String, String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub request_templates: IndexMap<String, String>,
    pub passthrough_behavior: PassthroughBehavior,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_handling: Option<ContentHandling>,
    #[serde(default = "default_timeout")]
    pub timeout_in_millis: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_namespace: Option<String>,
    pub cache_key_parameters: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub integration_responses: IndexMap<String, IntegrationResponse>,
}

impl Default for Integration {
    fn default() -> Self {
        Integration {
            integration_type: IntegrationType::Mock,
            http_method: None,
            uri: None,
            connection_type: None,
            connection_id: None,
            credentials: None,
            request_parameters: IndexMap::new(),
            request_templates: IndexMap::new(),
            passthrough_behavior: PassthroughBehavior::WhenNoMatch,
            content_handling: None,
            timeout_in_millis: DEFAULT_TIMEOUT_MILLIS,
            cache_namespace: None,
            cache_key_parameters: Vec::new(),
            tls_config: None,
            integration_responses: IndexMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct IntegrationResponse {
    pub status_code: String,
    /// Java-style regex; absent or empty = the default response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selection_pattern: Option<String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub response_parameters: IndexMap<String, String>,
    /// A template sent as `null` or `""` is kept as `""` and answered as `null`, as AWS does
    /// (AWS-recorded: localstack test_put_integration_response_templates).
    #[serde(
        skip_serializing_if = "IndexMap::is_empty",
        with = "nullable_templates"
    )]
    pub response_templates: IndexMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_handling: Option<ContentHandling>,
}

/// `responseTemplates` of an integration response: `""` ⇄ `null`.
mod nullable_templates {
    use indexmap::IndexMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        map: &IndexMap<String, String>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let out: IndexMap<&str, Option<&str>> = map
            .iter()
            .map(|(k, v)| (k.as_str(), Some(v.as_str()).filter(|v| !v.is_empty())))
            .collect();
        out.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<IndexMap<String, String>, D::Error> {
        let map: Option<IndexMap<String, Option<String>>> = Option::deserialize(d)?;
        Ok(map
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect())
    }
}

impl IntegrationResponse {
    pub fn is_default(&self) -> bool {
        self.selection_pattern.as_deref().is_none_or(str::is_empty)
    }
}

/// The verbs a method may be declared for.
pub const HTTP_METHODS: [&str; 8] = [
    "ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT",
];

/// What `ANY` expands to (model.md §3.1 item 7).
pub const ANY_EXPANSION: [&str; 7] = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS answers a response template sent as `null` or `""` as `null`
    /// (tests/fixtures/aws_recorded/integration_responses.json).
    #[test]
    fn null_and_empty_response_templates_are_answered_as_null() {
        let r: IntegrationResponse = serde_json::from_str(
            r#"{"statusCode": "200", "responseTemplates": {"a/b": null, "c/d": "", "e/f": "x"}}"#,
        )
        .unwrap();
        assert_eq!(r.response_templates["a/b"], "");
        assert_eq!(r.response_templates["c/d"], "");
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v["responseTemplates"],
            serde_json::json!({"a/b": null, "c/d": null, "e/f": "x"})
        );
        let none: IntegrationResponse =
            serde_json::from_str(r#"{"statusCode": "200", "responseTemplates": null}"#).unwrap();
        assert!(none.response_templates.is_empty());
        assert!(
            serde_json::to_value(&none)
                .unwrap()
                .get("responseTemplates")
                .is_none()
        );
    }
}
