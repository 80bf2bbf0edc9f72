//! Writing a definition as OpenAPI 3.0.1 or Swagger 2.0 (openapi.md §4).

use serde_json::{Map, Value, json};

use super::extensions::{
    API_KEY_SOURCE, BINARY_MEDIA_TYPES, DOCUMENTATION, ENDPOINT_CONFIGURATION, GATEWAY_RESPONSES,
    INTEGRATION, MINIMUM_COMPRESSION_SIZE, POLICY, VALIDATOR, VALIDATORS, execute_api_arn_prefix,
};
use super::import::ANY_METHOD_KEY;
use super::pointer::escape;
use super::{ExportError, ExportFormat, ExportOptions, schema, security};
use crate::model::{ApiDefinition, ApiKeySource, ConnectionType, Integration, Method, Resource};

pub(crate) fn run(def: &ApiDefinition, opts: &ExportOptions) -> Result<String, ExportError> {
    let document = build(def, opts)?;
    if opts.yaml {
        serde_saphyr::to_string(&document).map_err(|e| ExportError::Serialize(e.to_string()))
    } else {
        serde_json::to_string_pretty(&document).map_err(|e| ExportError::Serialize(e.to_string()))
    }
}

struct Writer<'a> {
    def: &'a ApiDefinition,
    opts: &'a ExportOptions,
    oas3: bool,
    prefix: &'static str,
}

fn build(def: &ApiDefinition, opts: &ExportOptions) -> Result<Value, ExportError> {
    let oas3 = opts.format == ExportFormat::Oas30;
    let w = Writer {
        def,
        opts,
        oas3,
        prefix: if oas3 {
            "#/components/schemas/"
        } else {
            "#/definitions/"
        },
    };
    let mut root = Map::new();
    if oas3 {
        root.insert("openapi".into(), json!("3.0.1"));
    } else {
        root.insert("swagger".into(), json!("2.0"));
    }
    root.insert("info".into(), w.info());
    w.server(&mut root);
    root.insert("paths".into(), Value::Object(w.paths()));
    let schemas = w.schemas()?;
    let schemes = security::export_schemes(def, opts.extensions.authorizers());
    if oas3 {
        let mut components = Map::new();
        if !schemas.is_empty() {
            components.insert("schemas".into(), Value::Object(schemas));
        }
        if !schemes.is_empty() {
            components.insert("securitySchemes".into(), Value::Object(schemes));
        }
        // Present even when empty (AWS-recorded, `test_export_oas30_openapi`).
        root.insert("components".into(), Value::Object(components));
    } else {
        if !schemes.is_empty() {
            root.insert("securityDefinitions".into(), Value::Object(schemes));
        }
        if !schemas.is_empty() {
            root.insert("definitions".into(), Value::Object(schemas));
        }
    }
    if opts.extensions.apigateway() {
        w.root_extensions(&mut root)?;
    }
    Ok(Value::Object(root))
}

impl Writer<'_> {
    fn info(&self) -> Value {
        let api = &self.def.rest_api;
        let mut info = Map::new();
        if let Some(d) = &api.description {
            info.insert("description".into(), json!(d));
        }
        info.insert("title".into(), json!(api.name));
        info.insert("version".into(), json!(info_version(api)));
        Value::Object(info)
    }

    /// OAS 3 `servers` / Swagger 2 `host` + `basePath` + `schemes`.
    fn server(&self, root: &mut Map<String, Value>) {
        let host = if self.opts.host.is_empty() {
            format!(
                "{}.execute-api.{}.amazonaws.com",
                self.def.rest_api.id,
                super::AWS_REGION
            )
        } else {
            self.opts.host.clone()
        };
        // AWS always exports `https` (AWS-recorded, localstack `test_export_swagger_openapi`
        // and `test_export_oas30_openapi`), whatever the host; gwtui does the same, with its
        // own host (its `tls_listen` serves that scheme; the plain listener is `http`).
        let scheme = "https";
        let stage = self.opts.stage_name.trim_matches('/');
        let endpoint = self.endpoint_configuration();
        if self.oas3 {
            let mut server = Map::new();
            if stage.is_empty() {
                server.insert("url".into(), json!(format!("{scheme}://{host}/")));
            } else {
                server.insert(
                    "url".into(),
                    json!(format!("{scheme}://{host}/{{basePath}}")),
                );
                server.insert("variables".into(), json!({"basePath": {"default": stage}}));
            }
            if let Some(e) = endpoint {
                server.insert(ENDPOINT_CONFIGURATION.into(), e);
            }
            root.insert("servers".into(), json!([server]));
        } else {
            root.insert("host".into(), json!(host));
            root.insert("basePath".into(), json!(format!("/{stage}")));
            root.insert("schemes".into(), json!([scheme]));
            if let Some(e) = endpoint {
                root.insert(ENDPOINT_CONFIGURATION.into(), e);
            }
        }
    }

    fn endpoint_configuration(&self) -> Option<Value> {
        let api = &self.def.rest_api;
        let vpc = &api.endpoint_configuration.vpc_endpoint_ids;
        if !self.opts.extensions.apigateway()
            || (!api.disable_execute_api_endpoint && vpc.is_empty())
        {
            return None;
        }
        let mut e = Map::new();
        e.insert(
            "disableExecuteApiEndpoint".into(),
            json!(api.disable_execute_api_endpoint),
        );
        if !vpc.is_empty() {
            e.insert("vpcEndpointIds".into(), json!(vpc));
        }
        Some(Value::Object(e))
    }

    fn paths(&self) -> Map<String, Value> {
        let mut resources: Vec<&Resource> = self.def.resources.iter().collect();
        resources.sort_by(|a, b| a.path.cmp(&b.path));
        let mut paths = Map::new();
        for r in resources {
            let is_leaf = self.def.children(&r.id).next().is_none();
            let is_root = r.parent_id.is_none();
            if r.resource_methods.is_empty() && (is_root || !is_leaf) {
                continue;
            }
            let mut item = Map::new();
            for (verb, method) in &r.resource_methods {
                let key = if verb == "ANY" {
                    ANY_METHOD_KEY.to_string()
                } else {
                    verb.to_ascii_lowercase()
                };
                item.insert(key, self.operation(method));
            }
            paths.insert(r.path.clone(), Value::Object(item));
        }
        paths
    }

    fn model_ref(&self, model: &str) -> Value {
        json!({"$ref": format!("{}{}", self.prefix, escape(model))})
    }

    fn operation(&self, m: &Method) -> Value {
        let mut op = Map::new();
        if let Some(id) = &m.operation_name {
            op.insert("operationId".into(), json!(id));
        }
        if !self.oas3 {
            // `consumes`: the request models' and the integration's request templates'
            // content types; `produces`: the method responses' models' and the integration
            // responses' templates' (AWS-recorded, localstack
            // `test_export_swagger_openapi[TEST_IMPORT_PETSTORE_SWAGGER]`: a MOCK `GET /`
            // with an `application/json` request template and a `text/html` response
            // template exports both, in every export).
            let integration = m.method_integration.as_ref();
            let mut consumes: Vec<&String> = m.request_models.keys().collect();
            for mime in integration
                .into_iter()
                .flat_map(|i| i.request_templates.keys())
            {
                if !consumes.contains(&mime) {
                    consumes.push(mime);
                }
            }
            if !consumes.is_empty() {
                op.insert("consumes".into(), json!(consumes));
            }
            let mut produces: Vec<&String> = Vec::new();
            let response_templates = integration
                .into_iter()
                .flat_map(|i| i.integration_responses.values())
                .flat_map(|r| r.response_templates.keys());
            for mime in m
                .method_responses
                .values()
                .flat_map(|mr| mr.response_models.keys())
                .chain(response_templates)
            {
                if !produces.contains(&mime) {
                    produces.push(mime);
                }
            }
            if !produces.is_empty() {
                op.insert("produces".into(), json!(produces));
            }
        }
        let mut parameters = self.parameters(m);
        if !m.request_models.is_empty() {
            if self.oas3 {
                let content: Map<String, Value> = m
                    .request_models
                    .iter()
                    .map(|(mime, model)| (mime.clone(), json!({"schema": self.model_ref(model)})))
                    .collect();
                op.insert(
                    "requestBody".into(),
                    json!({"content": content, "required": true}),
                );
            } else if let Some(model) = m.request_models.values().next() {
                parameters.push(json!({"in": "body", "name": model, "required": true, "schema": self.model_ref(model)}));
            }
        }
        if !parameters.is_empty() {
            op.insert("parameters".into(), Value::Array(parameters));
        }
        op.insert("responses".into(), self.responses(m));
        let security =
            security::export_operation_security(self.def, m, self.opts.extensions.authorizers());
        if !security.is_empty() {
            op.insert("security".into(), Value::Array(security));
        }
        if self.opts.extensions.apigateway()
            && let Some(v) = m
                .request_validator_id
                .as_deref()
                .and_then(|id| self.def.request_validator(id))
        {
            op.insert(VALIDATOR.into(), json!(v.name));
        }
        if self.opts.extensions.integrations()
            && let Some(i) = &m.method_integration
        {
            op.insert(INTEGRATION.into(), export_integration(i));
        }
        Value::Object(op)
    }

    fn string_schema(&self, mut object: Map<String, Value>) -> Value {
        if self.oas3 {
            object.insert("schema".into(), json!({"type": "string"}));
        } else {
            object.insert("type".into(), json!("string"));
        }
        Value::Object(object)
    }

    fn parameters(&self, m: &Method) -> Vec<Value> {
        let mut out = Vec::new();
        for (key, required) in &m.request_parameters {
            let Some(rest) = key.strip_prefix("method.request.") else {
                continue;
            };
            let Some((kind, name)) = rest.split_once('.') else {
                continue;
            };
            let location = match kind {
                "path" => "path",
                "querystring" => "query",
                "header" => "header",
                _ => continue,
            };
            let mut p = Map::new();
            p.insert("name".into(), json!(name));
            p.insert("in".into(), json!(location));
            // OAS 3 leaves out `required: false` (AWS-recorded, localstack
            // `test_export_oas30_openapi[TEST_IMPORT_PETSTORE_SWAGGER]`); Swagger 2 writes it.
            let required = *required || location == "path";
            if required || !self.oas3 {
                p.insert("required".into(), json!(required));
            }
            out.push(self.string_schema(p));
        }
        out
    }

    fn responses(&self, m: &Method) -> Value {
        let mut responses = Map::new();
        for (code, mr) in &m.method_responses {
            let mut r = Map::new();
            r.insert("description".into(), json!(format!("{code} response")));
            let mut headers = Map::new();
            for (key, required) in &mr.response_parameters {
                let Some(name) = key.strip_prefix("method.response.header.") else {
                    continue;
                };
                let mut h = Map::new();
                if *required {
                    h.insert("required".into(), json!(true));
                }
                headers.insert(name.to_string(), self.string_schema(h));
            }
            if !headers.is_empty() {
                r.insert("headers".into(), Value::Object(headers));
            }
            if self.oas3 {
                // `content: {}` when the response has no model (AWS-recorded,
                // `test_export_oas30_openapi`).
                let content: Map<String, Value> = mr
                    .response_models
                    .iter()
                    .map(|(mime, model)| (mime.clone(), json!({"schema": self.model_ref(model)})))
                    .collect();
                r.insert("content".into(), Value::Object(content));
            } else if let Some(model) = mr.response_models.values().next() {
                r.insert("schema".into(), self.model_ref(model));
            }
            responses.insert(code.clone(), Value::Object(r));
        }
        Value::Object(responses)
    }

    fn schemas(&self) -> Result<Map<String, Value>, ExportError> {
        let mut out = Map::new();
        for model in &self.def.models {
            if !model.content_type.to_ascii_lowercase().contains("json") {
                let referenced = self
                    .def
                    .resources
                    .iter()
                    .flat_map(|r| r.resource_methods.values())
                    .any(|m| {
                        m.request_models.values().any(|n| *n == model.name)
                            || m.method_responses
                                .values()
                                .any(|r| r.response_models.values().any(|n| *n == model.name))
                    });
                if referenced {
                    return Err(ExportError::NonJsonModel(model.name.clone()));
                }
                continue;
            }
            out.insert(
                model.name.clone(),
                schema::export_schema(model, self.prefix)?,
            );
        }
        Ok(out)
    }

    fn root_extensions(&self, root: &mut Map<String, Value>) -> Result<(), ExportError> {
        let def = self.def;
        let api = &def.rest_api;
        if !def.request_validators.is_empty() {
            let validators: Map<String, Value> = def
                .request_validators
                .iter()
                .map(|v| {
                    (
                        v.name.clone(),
                        json!({"validateRequestBody": v.validate_request_body, "validateRequestParameters": v.validate_request_parameters}),
                    )
                })
                .collect();
            root.insert(VALIDATORS.into(), Value::Object(validators));
        }
        if !def.gateway_responses.is_empty() {
            let mut responses = Map::new();
            for g in &def.gateway_responses {
                let mut r = Map::new();
                if let Some(s) = &g.status_code {
                    r.insert("statusCode".into(), json!(s));
                }
                if !g.response_parameters.is_empty() {
                    r.insert("responseParameters".into(), json!(g.response_parameters));
                }
                if !g.response_templates.is_empty() {
                    r.insert("responseTemplates".into(), json!(g.response_templates));
                }
                responses.insert(g.response_type.clone(), Value::Object(r));
            }
            root.insert(GATEWAY_RESPONSES.into(), Value::Object(responses));
        }
        // The default source (HEADER) is not exported (AWS-recorded, localstack
        // `test_export_swagger_openapi` with `extensions=apigateway`); AUTHORIZER is.
        if api.api_key_source == ApiKeySource::Authorizer {
            root.insert(API_KEY_SOURCE.into(), json!("AUTHORIZER"));
        }
        if !api.binary_media_types.is_empty() {
            root.insert(BINARY_MEDIA_TYPES.into(), json!(api.binary_media_types));
        }
        if let Some(size) = api.minimum_compression_size {
            root.insert(MINIMUM_COMPRESSION_SIZE.into(), json!(size));
        }
        if let Some(doc) = &self.opts.documentation {
            let parts: Vec<Value> = doc
                .parts
                .iter()
                .map(|p| {
                    let properties: Value =
                        serde_json::from_str(&p.properties).unwrap_or_else(|_| json!({}));
                    json!({"location": p.location, "properties": properties})
                })
                .collect();
            let mut value = json!({ "documentationParts": parts });
            if let Some(version) = &doc.version {
                value["version"] = json!(version);
            }
            root.insert(DOCUMENTATION.into(), value);
        }
        if let Some(policy) = &api.policy {
            let shorthand = policy.replace(&execute_api_arn_prefix(&api.id), "execute-api:/");
            let value: Value = serde_json::from_str(&shorthand)
                .map_err(|e| ExportError::InvalidPolicy(e.to_string()))?;
            root.insert(POLICY.into(), value);
        }
        Ok(())
    }
}

fn export_integration(i: &Integration) -> Value {
    let mut out = Map::new();
    out.insert(
        "type".into(),
        json!(i.integration_type.as_str().to_ascii_lowercase()),
    );
    if let Some(v) = &i.http_method {
        out.insert("httpMethod".into(), json!(v));
    }
    if let Some(v) = &i.uri {
        out.insert("uri".into(), json!(v));
    }
    if let Some(v) = &i.credentials {
        out.insert("credentials".into(), json!(v));
    }
    if i.connection_type == Some(ConnectionType::VpcLink) {
        out.insert("connectionType".into(), json!("VPC_LINK"));
    }
    if let Some(v) = &i.connection_id {
        out.insert("connectionId".into(), json!(v));
    }
    if !i.request_parameters.is_empty() {
        out.insert("requestParameters".into(), json!(i.request_parameters));
    }
    if !i.request_templates.is_empty() {
        out.insert("requestTemplates".into(), json!(i.request_templates));
    }
    out.insert(
        "passthroughBehavior".into(),
        json!(i.passthrough_behavior.as_str().to_ascii_lowercase()),
    );
    if let Some(c) = i.content_handling {
        out.insert("contentHandling".into(), json!(c));
    }
    // The default (29000) is omitted, as AWS's export omits it (AWS-recorded, localstack
    // `test_export_swagger_openapi`).
    if i.timeout_in_millis != 29_000 {
        out.insert("timeoutInMillis".into(), json!(i.timeout_in_millis));
    }
    if let Some(v) = &i.cache_namespace {
        out.insert("cacheNamespace".into(), json!(v));
    }
    if !i.cache_key_parameters.is_empty() {
        out.insert("cacheKeyParameters".into(), json!(i.cache_key_parameters));
    }
    if let Some(tls) = &i.tls_config {
        out.insert(
            "tlsConfig".into(),
            json!({"insecureSkipVerification": tls.insecure_skip_verification}),
        );
    }
    if !i.integration_responses.is_empty() {
        let mut responses = Map::new();
        for ir in i.integration_responses.values() {
            let key = ir
                .selection_pattern
                .clone()
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "default".into());
            let mut r = Map::new();
            r.insert("statusCode".into(), json!(ir.status_code));
            if !ir.response_parameters.is_empty() {
                r.insert("responseParameters".into(), json!(ir.response_parameters));
            }
            if !ir.response_templates.is_empty() {
                r.insert("responseTemplates".into(), json!(ir.response_templates));
            }
            if let Some(c) = ir.content_handling {
                r.insert("contentHandling".into(), json!(c));
            }
            responses.insert(key, Value::Object(r));
        }
        out.insert("responses".into(), Value::Object(responses));
    }
    Value::Object(out)
}

/// The export's `info.version`: the API's version, or its creation time when it has none.
pub(crate) fn info_version(api: &crate::model::RestApi) -> String {
    api.version
        .clone()
        .unwrap_or_else(|| timestamp(api.created_date))
}

/// Epoch seconds as RFC 3339 (`info.version` when the API has none, like AWS exports).
fn timestamp(epoch: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}
