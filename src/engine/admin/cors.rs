//! Enable CORS on a resource, as the AWS console's "Enable CORS" action does it:
//!
//! * an `OPTIONS` method (no auth, no API key) with a MOCK integration whose request template is
//!   `{"statusCode": 200}`, a 200 method response declaring the `Access-Control-Allow-*`
//!   headers and a 200 integration response mapping them as literals;
//! * `Access-Control-Allow-Origin` (and `-Allow-Credentials` / `-Expose-Headers` when asked
//!   for) declared on the 200 method response of every other method of the resource and mapped
//!   on its 200 integration response (proxy integrations pass the backend's headers through,
//!   so only the method response is declared there);
//! * the `DEFAULT_4XX` and `DEFAULT_5XX` gateway responses carry `Access-Control-Allow-Origin`
//!   and `-Allow-Headers`, so a browser can read gateway errors too.
//!
//! It changes the working definition: deploy to make it live.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::Actor;
use crate::engine::Gateway;
use crate::model::{
    AdminError, ApiDefinition, AuthorizationType, GatewayResponse, Integration,
    IntegrationResponse, IntegrationType, Method, MethodResponse, PassthroughBehavior, Resource,
};

/// The console's CORS form. Empty lists take the console's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CorsOptions {
    /// `Access-Control-Allow-Origin`, default `*`.
    pub allow_origin: String,
    /// Default: `Content-Type, X-Amz-Date, Authorization, X-Api-Key, X-Amz-Security-Token`.
    pub allow_headers: Vec<String>,
    /// Default: the resource's methods and `OPTIONS`.
    pub allow_methods: Vec<String>,
    pub expose_headers: Vec<String>,
    /// `Access-Control-Max-Age` in seconds.
    pub max_age: Option<u32>,
    pub allow_credentials: bool,
}

impl Default for CorsOptions {
    fn default() -> Self {
        CorsOptions {
            allow_origin: "*".into(),
            allow_headers: Vec::new(),
            allow_methods: Vec::new(),
            expose_headers: Vec::new(),
            max_age: None,
            allow_credentials: false,
        }
    }
}

const DEFAULT_ALLOW_HEADERS: &str =
    "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token";
const ALL_METHODS: &str = "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT";

fn header_value_ok(v: &str) -> bool {
    !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii() && !c.is_ascii_control() && c != '\'')
}

impl CorsOptions {
    fn check(&self) -> Result<(), AdminError> {
        let all = std::iter::once(&self.allow_origin)
            .chain(&self.allow_headers)
            .chain(&self.allow_methods)
            .chain(&self.expose_headers);
        for v in all {
            if !header_value_ok(v) {
                return Err(AdminError::bad_request(format!(
                    "Invalid CORS value '{v}': header values must be non-empty printable ASCII without quotes"
                )));
            }
        }
        Ok(())
    }

    fn allow_methods(&self, resource: &Resource) -> String {
        if !self.allow_methods.is_empty() {
            return self
                .allow_methods
                .iter()
                .map(|m| m.to_ascii_uppercase())
                .collect::<Vec<_>>()
                .join(",");
        }
        if resource.resource_methods.contains_key("ANY") {
            return ALL_METHODS.to_string();
        }
        let mut verbs: Vec<&str> = resource
            .resource_methods
            .keys()
            .map(String::as_str)
            .chain(["OPTIONS"])
            .collect();
        verbs.sort_unstable();
        verbs.dedup();
        verbs.join(",")
    }

    fn allow_headers(&self) -> String {
        if self.allow_headers.is_empty() {
            DEFAULT_ALLOW_HEADERS.to_string()
        } else {
            self.allow_headers.join(",")
        }
    }

    /// Headers of the preflight (OPTIONS) response.
    fn preflight_headers(&self, resource: &Resource) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("Access-Control-Allow-Headers", self.allow_headers()),
            ("Access-Control-Allow-Methods", self.allow_methods(resource)),
            ("Access-Control-Allow-Origin", self.allow_origin.clone()),
        ];
        if let Some(age) = self.max_age {
            h.push(("Access-Control-Max-Age", age.to_string()));
        }
        if self.allow_credentials {
            h.push(("Access-Control-Allow-Credentials", "true".into()));
        }
        h
    }

    /// Headers added to the other methods' 200 responses.
    fn actual_headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![("Access-Control-Allow-Origin", self.allow_origin.clone())];
        if self.allow_credentials {
            h.push(("Access-Control-Allow-Credentials", "true".into()));
        }
        if !self.expose_headers.is_empty() {
            h.push((
                "Access-Control-Expose-Headers",
                self.expose_headers.join(","),
            ));
        }
        h
    }
}

fn literal(v: &str) -> String {
    format!("'{v}'")
}

fn options_method(headers: &[(&'static str, String)]) -> Method {
    let mut method_response = MethodResponse {
        status_code: "200".into(),
        ..Default::default()
    };
    let mut integration_response = IntegrationResponse {
        status_code: "200".into(),
        ..Default::default()
    };
    for (name, value) in headers {
        method_response
            .response_parameters
            .insert(format!("method.response.header.{name}"), false);
        integration_response
            .response_parameters
            .insert(format!("method.response.header.{name}"), literal(value));
    }
    method_response
        .response_models
        .insert("application/json".into(), "Empty".into());
    integration_response
        .response_templates
        .insert("application/json".into(), String::new());
    let mut request_templates = IndexMap::new();
    request_templates.insert(
        "application/json".to_string(),
        "{\"statusCode\": 200}".to_string(),
    );
    let mut integration_responses = IndexMap::new();
    integration_responses.insert("200".to_string(), integration_response);
    let mut method_responses = IndexMap::new();
    method_responses.insert("200".to_string(), method_response);
    Method {
        http_method: "OPTIONS".into(),
        authorization_type: AuthorizationType::None.into(),
        api_key_required: false,
        method_responses,
        method_integration: Some(Integration {
            integration_type: IntegrationType::Mock,
            request_templates,
            passthrough_behavior: PassthroughBehavior::WhenNoMatch,
            integration_responses,
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn add_to_method(method: &mut Method, headers: &[(&'static str, String)]) {
    let response = method
        .method_responses
        .entry("200".into())
        .or_insert_with(|| MethodResponse {
            status_code: "200".into(),
            ..Default::default()
        });
    for (name, _) in headers {
        response
            .response_parameters
            .insert(format!("method.response.header.{name}"), false);
    }
    let Some(integration) = method.method_integration.as_mut() else {
        return;
    };
    if matches!(
        integration.integration_type,
        IntegrationType::HttpProxy | IntegrationType::AwsProxy
    ) {
        return;
    }
    if let Some(ir) = integration.integration_responses.get_mut("200") {
        for (name, value) in headers {
            ir.response_parameters
                .insert(format!("method.response.header.{name}"), literal(value));
        }
    }
}

fn add_to_gateway_responses(def: &mut ApiDefinition, origin: &str, allow_headers: &str) {
    for kind in ["DEFAULT_4XX", "DEFAULT_5XX"] {
        let mut response = def
            .gateway_response(kind)
            .unwrap_or_else(|| GatewayResponse {
                response_type: kind.into(),
                ..Default::default()
            });
        response.default_response = false;
        response.response_parameters.insert(
            "gatewayresponse.header.Access-Control-Allow-Origin".into(),
            literal(origin),
        );
        response.response_parameters.insert(
            "gatewayresponse.header.Access-Control-Allow-Headers".into(),
            literal(allow_headers),
        );
        match def
            .gateway_responses
            .iter_mut()
            .find(|g| g.response_type == kind)
        {
            Some(existing) => *existing = response,
            None => def.gateway_responses.push(response),
        }
    }
}

impl Gateway {
    /// Enables CORS on a resource of the working definition (see the module docs) and returns
    /// the resource.
    pub async fn enable_cors(
        &self,
        actor: &Actor,
        api_id: &str,
        resource_id: &str,
        options: CorsOptions,
    ) -> Result<Resource, AdminError> {
        options.check()?;
        let (id, rid) = (api_id.to_string(), resource_id.to_string());
        let target = format!("restapis/{api_id}/resources/{resource_id}/cors");
        self.admin_op(actor, "EnableCors", target, Some(id.clone()), move |txn| {
            let resource = txn.edit_definition(&id, |def| {
                let resource = def.require_resource_mut(&rid)?;
                let preflight = options.preflight_headers(resource);
                let actual = options.actual_headers();
                for (verb, method) in resource.resource_methods.iter_mut() {
                    if verb != "OPTIONS" {
                        add_to_method(method, &actual);
                    }
                }
                resource
                    .resource_methods
                    .insert("OPTIONS".into(), options_method(&preflight));
                let resource = resource.clone();
                add_to_gateway_responses(def, &options.allow_origin, &options.allow_headers());
                Ok(resource)
            })?;
            txn.detail = serde_json::to_value(&options).unwrap_or_default();
            Ok(resource)
        })
        .await
    }
}
