//! The management API: AWS API Gateway control-plane paths and JSON shapes (so the AWS CLI
//! and SDKs work with `--endpoint-url`), plus gwtui's own `/gwtui/...` endpoints.

use std::net::SocketAddr;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Method, Response, StatusCode};
use http_body_util::Full;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Body;
use crate::engine::{Actor, CreateDeployment, CreateRestApi, CreateStage, Gateway};
use crate::model::{AdminError, Integration, IntegrationResponse, Method as ApiMethod, MethodResponse, PatchOperation};

/// A management response: a JSON value with a status, or an AWS-shaped error.
type Reply = Result<(StatusCode, serde_json::Value), AdminError>;

pub async fn handle(gw: &Gateway, parts: Parts, body: Bytes, local: Option<SocketAddr>) -> Response<Body> {
    let actor = actor_of(&parts);
    let reply = route(gw, &parts, &body, &actor, local).await;
    match reply {
        Ok((status, value)) => json_response(status, &value),
        Err(err) => error_response(&err),
    }
}

/// The caller for the audit log: the SigV4 access key id when the request is signed.
fn actor_of(parts: &Parts) -> Actor {
    let key = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .and_then(|c| c.split('/').next())
        .filter(|k| !k.is_empty());
    match key {
        Some(k) => Actor::new(k),
        None => Actor::new(
            parts.headers.get("x-gwtui-actor").and_then(|v| v.to_str().ok()).unwrap_or("anonymous").to_string(),
        ),
    }
}

fn query_param<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.uri.query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then_some(v)
    })
}

/// `mode`, `failonwarnings` and `basepath` (also as `parameters[basepath]`) query options.
fn import_options(parts: &Parts) -> Result<crate::openapi::ImportOptions, AdminError> {
    use crate::openapi::{BasePathMode, ImportMode, ImportOptions};
    let mode = match query_param(parts, "mode") {
        None | Some("import") | Some("merge") => ImportMode::Merge,
        Some("overwrite") => ImportMode::Overwrite,
        Some(other) => return Err(AdminError::bad_request(format!("Invalid mode: {other}. Must be one of [merge, overwrite]"))),
    };
    let basepath = match query_param(parts, "basepath").or_else(|| query_param(parts, "parameters%5Bbasepath%5D")) {
        None | Some("ignore") => BasePathMode::Ignore,
        Some("prepend") => BasePathMode::Prepend,
        Some("split") => BasePathMode::Split,
        Some(other) => return Err(AdminError::bad_request(format!("Invalid basepath: {other}. Must be one of [ignore, prepend, split]"))),
    };
    let fail_on_warnings = query_param(parts, "failonwarnings").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    Ok(ImportOptions { mode, fail_on_warnings, basepath })
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, AdminError> {
    let slice: &[u8] = if body.is_empty() { b"{}" } else { body };
    serde_json::from_slice(slice).map_err(|e| AdminError::bad_request(format!("Invalid request body: {e}")))
}

fn to_json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// AWS list shape: `{"item": [...]}`.
fn items<T: Serialize>(list: &[T]) -> serde_json::Value {
    serde_json::json!({ "item": list })
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PatchBody {
    patch_operations: Vec<PatchOperation>,
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct CreateResourceBody {
    path_part: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PutIntegrationBody {
    #[serde(flatten)]
    integration: Integration,
    integration_http_method: Option<String>,
}

async fn route(gw: &Gateway, parts: &Parts, body: &Bytes, actor: &Actor, local: Option<SocketAddr>) -> Reply {
    let path = parts.uri.path().trim_end_matches('/');
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let m = &parts.method;
    match segs.as_slice() {
        ["gwtui", "health"] if m == Method::GET => Ok((
            StatusCode::OK,
            serde_json::json!({ "service": "gwtui", "pid": std::process::id(), "listen": local.map(|a| a.to_string()) }),
        )),
        ["restapis"] if m == Method::GET => Ok((StatusCode::OK, items(&gw.list_rest_apis()))),
        ["restapis"] if m == Method::POST => {
            if query_param(parts, "mode") == Some("import") {
                let source = std::str::from_utf8(body).map_err(|_| AdminError::bad_request("Invalid OpenAPI input: the document is not UTF-8"))?;
                let api = gw.import_rest_api(actor, source, import_options(parts)?).await?;
                return Ok((StatusCode::CREATED, to_json(&api)));
            }
            let input: CreateRestApi = parse(body)?;
            Ok((StatusCode::CREATED, to_json(&gw.create_rest_api(actor, input).await?)))
        }
        ["restapis", id] if m == Method::GET => Ok((StatusCode::OK, to_json(&gw.get_rest_api(id)?))),
        ["restapis", id] if m == Method::PUT => {
            let source = std::str::from_utf8(body).map_err(|_| AdminError::bad_request("Invalid OpenAPI input: the document is not UTF-8"))?;
            Ok((StatusCode::OK, to_json(&gw.put_rest_api(actor, id, source, import_options(parts)?).await?)))
        }
        ["restapis", id] if m == Method::DELETE => {
            gw.delete_rest_api(actor, id).await?;
            Ok((StatusCode::ACCEPTED, serde_json::json!({})))
        }
        ["restapis", id, "resources"] if m == Method::GET => {
            let def = gw.get_definition(id)?;
            let embed = query_param(parts, "embed").is_some_and(|e| e.contains("methods"));
            let list: Vec<serde_json::Value> = def
                .resources
                .iter()
                .map(|r| {
                    let mut r = r.clone();
                    if !embed {
                        r.resource_methods.clear();
                    }
                    to_json(&r)
                })
                .collect();
            Ok((StatusCode::OK, items(&list)))
        }
        ["restapis", id, "resources", rid] if m == Method::GET => {
            Ok((StatusCode::OK, to_json(gw.get_definition(id)?.require_resource(rid)?)))
        }
        ["restapis", id, "resources", parent] if m == Method::POST => {
            let input: CreateResourceBody = parse(body)?;
            Ok((StatusCode::CREATED, to_json(&gw.create_resource(actor, id, parent, &input.path_part).await?)))
        }
        ["restapis", id, "resources", rid] if m == Method::DELETE => {
            gw.delete_resource(actor, id, rid).await?;
            Ok((StatusCode::ACCEPTED, serde_json::json!({})))
        }
        ["restapis", id, "resources", rid, "methods", verb] if m == Method::PUT => {
            let method: ApiMethod = parse(body)?;
            Ok((StatusCode::CREATED, to_json(&gw.put_method(actor, id, rid, verb, method).await?)))
        }
        ["restapis", id, "resources", rid, "methods", verb] if m == Method::GET => {
            let def = gw.get_definition(id)?;
            Ok((StatusCode::OK, to_json(def.method(rid, &verb.to_ascii_uppercase())?)))
        }
        ["restapis", id, "resources", rid, "methods", verb] if m == Method::DELETE => {
            gw.delete_method(actor, id, rid, verb).await?;
            Ok((StatusCode::NO_CONTENT, serde_json::json!({})))
        }
        ["restapis", id, "resources", rid, "methods", verb, "integration"] if m == Method::PUT => {
            let input: PutIntegrationBody = parse(body)?;
            let mut integration = input.integration;
            if input.integration_http_method.is_some() {
                integration.http_method = input.integration_http_method;
            }
            Ok((StatusCode::CREATED, to_json(&gw.put_integration(actor, id, rid, verb, integration).await?)))
        }
        ["restapis", id, "resources", rid, "methods", verb, "responses", code] if m == Method::PUT => {
            let mut response: MethodResponse = parse(body)?;
            response.status_code = code.to_string();
            Ok((StatusCode::CREATED, to_json(&gw.put_method_response(actor, id, rid, verb, response).await?)))
        }
        ["restapis", id, "resources", rid, "methods", verb, "integration", "responses", code] if m == Method::PUT => {
            let mut response: IntegrationResponse = parse(body)?;
            response.status_code = code.to_string();
            Ok((StatusCode::CREATED, to_json(&gw.put_integration_response(actor, id, rid, verb, response).await?)))
        }
        ["restapis", id, "deployments"] if m == Method::POST => {
            let input: CreateDeployment = parse(body)?;
            Ok((StatusCode::CREATED, to_json(&gw.create_deployment(actor, id, input).await?)))
        }
        ["restapis", id, "deployments"] if m == Method::GET => Ok((StatusCode::OK, items(&gw.list_deployments(id)?))),
        ["restapis", id, "deployments", dep] if m == Method::GET => Ok((StatusCode::OK, to_json(&gw.get_deployment(id, dep)?))),
        ["restapis", id, "deployments", dep] if m == Method::DELETE => {
            gw.delete_deployment(actor, id, dep).await?;
            Ok((StatusCode::ACCEPTED, serde_json::json!({})))
        }
        ["restapis", id, "stages"] if m == Method::GET => Ok((StatusCode::OK, items(&gw.list_stages(id)?))),
        ["restapis", id, "stages"] if m == Method::POST => {
            let input: CreateStage = parse(body)?;
            Ok((StatusCode::CREATED, to_json(&gw.create_stage(actor, id, input).await?)))
        }
        ["restapis", id, "stages", stage] if m == Method::GET => Ok((StatusCode::OK, to_json(&gw.get_stage(id, stage)?))),
        ["restapis", id, "stages", stage] if m == Method::PATCH => {
            let input: PatchBody = parse(body)?;
            Ok((StatusCode::OK, to_json(&gw.update_stage(actor, id, stage, input.patch_operations).await?)))
        }
        ["restapis", id, "stages", stage] if m == Method::DELETE => {
            gw.delete_stage(actor, id, stage).await?;
            Ok((StatusCode::ACCEPTED, serde_json::json!({})))
        }
        _ => Err(AdminError::not_found(format!("Unknown management path: {} {}", m, parts.uri.path()))),
    }
}

fn json_response(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let bytes = if status == StatusCode::NO_CONTENT || status == StatusCode::ACCEPTED && value.as_object().is_some_and(|o| o.is_empty()) {
        Bytes::new()
    } else {
        Bytes::from(value.to_string())
    };
    let mut r = Response::new(Full::new(bytes));
    *r.status_mut() = status;
    r.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut().insert("x-amzn-requestid", HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).unwrap_or(HeaderValue::from_static("-")));
    r
}

/// AWS's control-plane error shape: status, `x-amzn-ErrorType`, `{"message": ...}`.
pub fn error_response(err: &AdminError) -> Response<Body> {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::json!({ "message": err.message() }).to_string();
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut().insert("x-amzn-errortype", HeaderValue::from_static(err.error_type()));
    r
}
