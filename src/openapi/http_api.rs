//! OpenAPI 3 for HTTP APIs (ExportApi / ImportApi of apigatewayv2): each route is a path
//! operation (`x-amazon-apigateway-any-method` for `ANY`, the path `$default` for the
//! default route) with its `x-amazon-apigateway-integration` in the v2 form
//! (`type: aws_proxy|http_proxy`, `payloadFormatVersion`, `uri`, `httpMethod`,
//! `integrationSubtype`, `credentials`, `connectionType`, `timeoutInMillis`,
//! `requestParameters`, `responseParameters`);
//! JWT authorizers are security schemes with `x-amazon-apigateway-authorizer`;
//! `x-amazon-apigateway-cors` holds the CORS configuration.

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use crate::model::v2::{
    Authorizer, Cors, DEFAULT, HttpApiDefinition, Integration, JwtConfiguration, Route,
};

const ANY: &str = "x-amazon-apigateway-any-method";
const INTEGRATION: &str = "x-amazon-apigateway-integration";
const AUTHORIZER: &str = "x-amazon-apigateway-authorizer";
const CORS: &str = "x-amazon-apigateway-cors";

fn integration_json(i: &Integration) -> Value {
    let mut v = json!({
        "type": i.integration_type.to_ascii_lowercase(),
        "payloadFormatVersion": i.payload_format_version,
        "connectionType": i.connection_type.clone().unwrap_or_else(|| "INTERNET".into()),
        "timeoutInMillis": i.timeout_in_millis,
    });
    // An AWS service integration names its action by subtype: it has no URI or method.
    match &i.integration_subtype {
        Some(subtype) => v["integrationSubtype"] = json!(subtype),
        None => {
            v["uri"] = json!(i.integration_uri);
            v["httpMethod"] = json!(i.integration_method.clone().unwrap_or_else(|| "ANY".into()));
        }
    }
    if let Some(role) = &i.credentials_arn {
        v["credentials"] = json!(role);
    }
    if !i.request_parameters.is_empty() {
        v["requestParameters"] = json!(i.request_parameters);
    }
    if !i.response_parameters.is_empty() {
        v["responseParameters"] = json!(i.response_parameters);
    }
    v
}

/// The document for `def` (`stage` names the server URL and `info.version`).
pub fn export(
    def: &HttpApiDefinition,
    stage: Option<&str>,
    extensions: bool,
    yaml: bool,
) -> Result<String, String> {
    let mut paths: IndexMap<String, Map<String, Value>> = IndexMap::new();
    for r in &def.routes {
        let (verb, path) = match r.route_key.split_once(' ') {
            Some((v, p)) => (v, p),
            None => ("ANY", DEFAULT),
        };
        let key = if verb == "ANY" {
            ANY.to_string()
        } else {
            verb.to_ascii_lowercase()
        };
        let mut op = Map::new();
        op.insert(
            "responses".into(),
            json!({"default": {"description": format!("Default response for {}", r.route_key)}}),
        );
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(|p| json!({"name": p.trim_end_matches('+'), "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if !params.is_empty() {
            op.insert("parameters".into(), Value::Array(params));
        }
        if let Some(a) = r.authorizer_id.as_deref().and_then(|id| def.authorizer(id)) {
            op.insert(
                "security".into(),
                json!([{ a.name.clone(): r.authorization_scopes }]),
            );
        }
        if extensions && let Some(i) = r.integration_id().and_then(|id| def.integration(id)) {
            op.insert(INTEGRATION.into(), integration_json(i));
        }
        paths
            .entry(path.to_string())
            .or_default()
            .insert(key, Value::Object(op));
    }
    let mut doc = json!({
        "openapi": "3.0.1",
        "info": {
            "title": def.api.name,
            "version": def.api.version.clone().unwrap_or_else(|| def.api.created_date.clone().unwrap_or_else(|| "1.0".into())),
        },
        "paths": paths,
    });
    if let Some(d) = &def.api.description {
        doc["info"]["description"] = json!(d);
    }
    if let Some(s) = stage {
        let base = if s == DEFAULT {
            String::new()
        } else {
            format!("/{s}")
        };
        doc["servers"] = json!([{
            "url": format!("https://{}.execute-api.{}.amazonaws.com/{{basePath}}", def.api.api_id, crate::engine::REGION),
            "variables": {"basePath": {"default": base}}
        }]);
    }
    let mut schemes = Map::new();
    for a in &def.authorizers {
        let mut scheme = json!({"type": "oauth2", "flows": {}});
        if extensions {
            let mut ext = json!({
                "type": a.authorizer_type.to_ascii_lowercase(),
                "identitySource": a.identity_source.join(","),
            });
            if let Some(j) = &a.jwt_configuration {
                ext["jwtConfiguration"] = json!({"issuer": j.issuer, "audience": j.audience});
            }
            if let Some(uri) = &a.authorizer_uri {
                scheme = json!({"type": "apiKey", "name": "Unused", "in": "header"});
                ext["authorizerUri"] = json!(uri);
                ext["authorizerPayloadFormatVersion"] = json!(a.authorizer_payload_format_version);
                ext["authorizerResultTtlInSeconds"] = json!(a.authorizer_result_ttl_in_seconds);
                ext["enableSimpleResponses"] = json!(a.enable_simple_responses.unwrap_or(false));
            }
            scheme[AUTHORIZER] = ext;
        }
        schemes.insert(a.name.clone(), scheme);
    }
    if !schemes.is_empty() {
        doc["components"] = json!({"securitySchemes": schemes});
    }
    if extensions {
        if let Some(c) = &def.api.cors_configuration {
            doc[CORS] = json!(c);
        }
        if def.api.disable_execute_api_endpoint {
            doc["x-amazon-apigateway-disable-execute-api-endpoint"] = json!(true);
        }
    }
    if yaml {
        serde_saphyr::to_string(&doc).map_err(|e| e.to_string())
    } else {
        serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())
    }
}

/// A route of an imported document: the route, its integration, and the security scheme it
/// names with its scopes.
pub type ImportedRoute = (Route, Option<Integration>, Option<(String, Vec<String>)>);

/// What ImportApi reads from a document: name, description, CORS, and each operation as a
/// route (key, integration, authorizer name and scopes) plus the authorizers.
#[derive(Debug, Default)]
pub struct Imported {
    pub name: String,
    pub description: Option<String>,
    pub version: Option<String>,
    pub cors: Option<Cors>,
    pub routes: Vec<ImportedRoute>,
    pub authorizers: Vec<Authorizer>,
    pub warnings: Vec<String>,
}

/// Parses an OpenAPI 3 document (JSON or YAML).
pub fn import(text: &str) -> Result<Imported, String> {
    let doc: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => serde_saphyr::from_str(text)
            .map_err(|e| format!("the document is neither JSON nor YAML: {e}"))?,
    };
    if !doc
        .get("openapi")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with('3'))
    {
        return Err("only OpenAPI 3.x documents can be imported into HTTP APIs".into());
    }
    let mut out = Imported {
        name: doc
            .pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        description: doc
            .pointer("/info/description")
            .and_then(Value::as_str)
            .map(str::to_string),
        version: doc
            .pointer("/info/version")
            .and_then(Value::as_str)
            .map(str::to_string),
        ..Imported::default()
    };
    if out.name.is_empty() {
        return Err("info.title is required (it becomes the API's name)".into());
    }
    if let Some(c) = doc.get(CORS) {
        out.cors = Some(serde_json::from_value(c.clone()).map_err(|e| format!("{CORS}: {e}"))?);
    }
    if let Some(Value::Object(schemes)) = doc.pointer("/components/securitySchemes") {
        for (name, scheme) in schemes {
            let Some(ext) = scheme.get(AUTHORIZER) else {
                out.warnings.push(format!(
                    "security scheme {name} has no {AUTHORIZER}; ignored"
                ));
                continue;
            };
            let kind = ext
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_ascii_uppercase();
            out.authorizers.push(Authorizer {
                name: name.clone(),
                authorizer_type: kind,
                identity_source: ext
                    .get("identitySource")
                    .and_then(Value::as_str)
                    .map(|s| {
                        s.split(',')
                            .map(|p| p.trim().to_string())
                            .filter(|p| !p.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
                jwt_configuration: ext.get("jwtConfiguration").map(|j| JwtConfiguration {
                    issuer: j.get("issuer").and_then(Value::as_str).map(str::to_string),
                    audience: j
                        .get("audience")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default(),
                }),
                authorizer_uri: ext
                    .get("authorizerUri")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                authorizer_payload_format_version: ext
                    .get("authorizerPayloadFormatVersion")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                authorizer_result_ttl_in_seconds: ext
                    .get("authorizerResultTtlInSeconds")
                    .and_then(Value::as_i64),
                enable_simple_responses: ext.get("enableSimpleResponses").and_then(Value::as_bool),
                ..Authorizer::default()
            });
        }
    }
    let Some(Value::Object(paths)) = doc.get("paths") else {
        return Ok(out);
    };
    for (path, item) in paths {
        let Value::Object(ops) = item else { continue };
        for (verb, op) in ops {
            let verb_upper = if verb == ANY {
                "ANY".to_string()
            } else if ["get", "post", "put", "delete", "patch", "head", "options"]
                .contains(&verb.as_str())
            {
                verb.to_ascii_uppercase()
            } else {
                continue;
            };
            let route_key = if path == DEFAULT {
                DEFAULT.to_string()
            } else {
                format!("{verb_upper} {path}")
            };
            let integration = match op.get(INTEGRATION) {
                None => None,
                Some(x) => Some(Integration {
                    integration_type: x
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_ascii_uppercase(),
                    integration_uri: x.get("uri").and_then(Value::as_str).map(str::to_string),
                    integration_method: x
                        .get("httpMethod")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    payload_format_version: x
                        .get("payloadFormatVersion")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    connection_type: x
                        .get("connectionType")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    timeout_in_millis: x
                        .get("timeoutInMillis")
                        .and_then(Value::as_i64)
                        .unwrap_or(0),
                    credentials_arn: x
                        .get("credentials")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    integration_subtype: x
                        .get("integrationSubtype")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    request_parameters: x
                        .get("requestParameters")
                        .map(|v| serde_json::from_value(v.clone()))
                        .transpose()
                        .map_err(|e| format!("{path} {verb}: requestParameters: {e}"))?
                        .unwrap_or_default(),
                    response_parameters: x
                        .get("responseParameters")
                        .map(|v| serde_json::from_value(v.clone()))
                        .transpose()
                        .map_err(|e| format!("{path} {verb}: responseParameters: {e}"))?
                        .unwrap_or_default(),
                    ..Integration::default()
                }),
            };
            let security = op
                .get("security")
                .and_then(Value::as_array)
                .and_then(|s| s.first())
                .and_then(Value::as_object)
                .and_then(|m| m.iter().next())
                .map(|(name, scopes)| {
                    (
                        name.clone(),
                        scopes
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default(),
                    )
                });
            out.routes.push((
                Route {
                    route_key,
                    authorization_type: "NONE".into(),
                    ..Route::default()
                },
                integration,
                security,
            ));
        }
    }
    Ok(out)
}
