//! The management API: AWS API Gateway control-plane paths and JSON shapes (so the AWS CLI
//! and SDKs work with `--endpoint-url`), plus gwtui's own `/gwtui/...` endpoints.
//!
//! `handle` authenticates (SigV4, when admin credentials are configured), then dispatches on
//! the first path segments to one file per area. Each area answers with a JSON value and a
//! status, or an [`AdminError`] that becomes AWS's error shape: status, `x-amzn-ErrorType`,
//! `{"message": ...}`.

mod client_certificates;
mod console;
mod cors;
mod definitions;
mod deployments;
mod documentation;
mod domains;
mod enums;
mod errors;
mod functions;
mod methods;
mod metrics;
mod position;
mod resources;
mod restapis;
mod shapes;
mod stages;
mod tags;
mod usage;
mod v2;
mod vpc_links;
mod websocket_connections;

use std::net::SocketAddr;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Method, Response, StatusCode};
use http_body_util::Full;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Body, ServerOptions};
use crate::auth::credentials::Credentials;
use crate::auth::sigv4::{self, SigV4Error};
use crate::engine::{Actor, Gateway};
use crate::model::{AdminError, PatchOperation};

/// A management answer: a full response, or an AWS-shaped error.
pub(crate) type Reply = Result<Response<Body>, AdminError>;

/// One management request, decoded once.
pub(crate) struct Call<'a> {
    pub gw: &'a Gateway,
    pub parts: &'a Parts,
    pub body: &'a Bytes,
    pub actor: Actor,
    /// The request's SigV4 signature was verified against the configured admin credentials.
    pub verified: bool,
    pub local: Option<SocketAddr>,
    /// Decoded query pairs, in order.
    query: Vec<(String, String)>,
}

pub async fn handle(
    gw: &Gateway,
    parts: Parts,
    body: Bytes,
    local: Option<SocketAddr>,
    options: &ServerOptions,
) -> Response<Body> {
    let path = parts.uri.path().to_string();
    let is_health = path.trim_end_matches('/') == "/gwtui/health";
    if let Some(credentials) = &options.admin_credentials
        && !is_health
        && let Err(e) = authenticate(&parts, &body, credentials)
    {
        return auth_error_response(&e);
    }
    // Past `authenticate`, a request is verified exactly when credentials are configured.
    let verified = options.admin_credentials.is_some() && !is_health;
    let actor = match actor_of(&parts, verified) {
        Ok(actor) => actor,
        Err(message) => return access_denied(&message),
    };
    let call = Call {
        gw,
        parts: &parts,
        body: &body,
        actor,
        verified,
        local,
        query: parse_query(parts.uri.query()),
    };
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match route(&call, &segs).await {
        Ok(response) => response,
        Err(err) => error_response(&errors::for_route(err, &parts.method, &segs)),
    }
}

async fn route(call: &Call<'_>, segs: &[&str]) -> Reply {
    let m = &call.parts.method;
    match segs {
        ["gwtui", "health"] if m == Method::GET => ok(
            StatusCode::OK,
            &serde_json::json!({ "service": "gwtui", "pid": std::process::id(), "listen": call.local.map(|a| a.to_string()) }),
        ),
        ["gwtui", "restapis", id, "resources", rid, "cors"] if m == Method::PUT => {
            cors::enable(call, id, rid).await
        }
        ["gwtui", "metrics"] if m == Method::GET => metrics::metrics(call).await,
        ["gwtui", "executionlog"] if m == Method::GET => metrics::execution_log(call).await,
        ["gwtui", "functions", rest @ ..] => functions::route(call, rest).await,
        ["gwtui", "websocket", rest @ ..] => websocket_connections::route(call, rest).await,
        ["gwtui", rest @ ..] => console::route(call, rest).await,
        ["account"] if m == Method::GET => ok(StatusCode::OK, &call.gw.account()),
        ["account"] if m == Method::PATCH => ok(
            StatusCode::OK,
            &call
                .gw
                .update_account(&call.actor, call.patch_ops()?)
                .await?,
        ),
        ["domainnames", rest @ ..] => domains::route(call, rest).await,
        ["v2", rest @ ..] => v2::route(call, rest).await,
        ["vpclinks", rest @ ..] => vpc_links::route(call, rest).await,
        ["clientcertificates", rest @ ..] => client_certificates::route(call, rest).await,
        ["sdktypes"] if m == Method::GET => call.page(crate::sdk::sdk_types()),
        ["sdktypes", id] if m == Method::GET => {
            match crate::sdk::sdk_types().into_iter().find(|t| t.id == *id) {
                Some(t) => ok(StatusCode::OK, &t),
                None => Err(AdminError::not_found(
                    "Invalid SDK type identifier specified",
                )),
            }
        }
        ["restapis"] | ["restapis", _] => restapis::route(call, segs).await,
        ["restapis", id, "resources", rest @ ..] => match rest {
            [] | [_] => resources::route(call, id, rest).await,
            [rid, "methods", verb, tail @ ..] => methods::route(call, id, rid, verb, tail).await,
            _ => Err(unknown(call)),
        },
        ["restapis", id, "deployments", rest @ ..] => deployments::route(call, id, rest).await,
        ["restapis", id, "stages", rest @ ..] => stages::route(call, id, rest).await,
        ["restapis", id, "documentation", rest @ ..] => documentation::route(call, id, rest).await,
        [
            "restapis",
            id,
            kind @ ("authorizers" | "requestvalidators" | "models" | "gatewayresponses"),
            rest @ ..,
        ] => definitions::route(call, id, kind, rest).await,
        ["usageplans", ..] | ["apikeys", ..] => usage::route(call, segs).await,
        ["tags", rest @ ..] if !rest.is_empty() => tags::route(call, &rest.join("/")).await,
        _ => Err(unknown(call)),
    }
}

/// The error for a path or verb the control plane does not have.
pub(crate) fn unknown(call: &Call<'_>) -> AdminError {
    AdminError::not_found(format!(
        "Unknown management operation: {} {}",
        call.parts.method,
        call.parts.uri.path()
    ))
}

/// What every management request must pass before it is served, for a request answered
/// outside [`handle`] (the event stream): SigV4 with the admin credentials when they are
/// configured, and no unsigned `x-gwtui-actor`. `Some` is the refusal to send.
pub(crate) fn refusal(parts: &Parts, options: &ServerOptions) -> Option<Response<Body>> {
    if let Some(credentials) = &options.admin_credentials
        && let Err(e) = authenticate(parts, &Bytes::new(), credentials)
    {
        return Some(auth_error_response(&e));
    }
    actor_of(parts, options.admin_credentials.is_some())
        .err()
        .map(|m| access_denied(&m))
}

/// Verifies the SigV4 signature against the configured admin credentials, scoped to
/// `apigateway`.
fn authenticate(parts: &Parts, body: &Bytes, credentials: &Credentials) -> Result<(), SigV4Error> {
    let req = sigv4::RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        authority: parts.uri.authority().map(|a| a.as_str()),
        body,
    };
    sigv4::verify(
        &req,
        &sigv4::MANAGEMENT,
        |k| credentials.key_for(k),
        time::OffsetDateTime::now_utc(),
    )
    .map(|_| ())
}

fn auth_error_response(err: &SigV4Error) -> Response<Body> {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::FORBIDDEN);
    aws_error(status, err.error_type(), &err.to_string())
}

/// The caller for the audit log: the access key id of the request's SigV4 `Authorization`
/// (verified when admin credentials are configured; only recorded as claimed otherwise), or
/// `anonymous`. `x-gwtui-actor` names the actor instead only on a verified request that signs
/// it (it is in `SignedHeaders`); anywhere else the request is refused rather than audited
/// under a name nobody vouched for.
fn actor_of(parts: &Parts, verified: bool) -> Result<Actor, String> {
    let authorization = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let key = authorization
        .and_then(|v| v.split("Credential=").nth(1))
        .and_then(|c| c.split('/').next())
        .filter(|k| !k.is_empty());
    let Some(claimed) = parts.headers.get(ACTOR_HEADER) else {
        return Ok(Actor::new(key.unwrap_or("anonymous")));
    };
    let signed = verified
        && authorization
            .and_then(|v| v.split("SignedHeaders=").nth(1))
            .and_then(|rest| rest.split(',').next())
            .is_some_and(|list| {
                list.trim()
                    .split(';')
                    .any(|h| h.eq_ignore_ascii_case(ACTOR_HEADER))
            });
    if !signed {
        return Err(format!(
            "{ACTOR_HEADER} names the audit actor only on a request SigV4-signed with the admin \
             credentials (--admin-credentials KEY:SECRET or [server] admin_credentials) that \
             includes it in SignedHeaders; without them the actor is the request's access key id"
        ));
    }
    match claimed.to_str().ok().map(str::trim) {
        Some(name) if !name.is_empty() && name.len() <= 128 => Ok(Actor::new(name)),
        _ => Err(format!(
            "{ACTOR_HEADER} must be 1-128 characters of visible ASCII"
        )),
    }
}

/// The header a signed client names its audit actor with (`console`, `cli`).
pub const ACTOR_HEADER: &str = "x-gwtui-actor";

/// 403 `AccessDeniedException`: a request the management plane refuses to act on.
pub fn access_denied(message: &str) -> Response<Body> {
    aws_error(StatusCode::FORBIDDEN, "AccessDeniedException", message)
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(&k.replace('+', " ")), decode(&v.replace('+', " ")))
        })
        .collect()
}

impl Call<'_> {
    /// The first value of a query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated query parameter.
    pub fn query_all(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A `true`/`false` query flag.
    pub fn query_flag(&self, name: &str) -> bool {
        self.query(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    /// The JSON body as `T` (an empty body is `{}`); a malformed body names the problem, and
    /// a member the model types as an enum is checked first (`enums.rs`), as AWS's validation
    /// layer does before its service reads the input.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, AdminError> {
        let slice: &[u8] = if self.body.is_empty() {
            b"{}"
        } else {
            self.body
        };
        let raw: serde_json::Value = serde_json::from_slice(slice).map_err(|e| body_error(&e))?;
        let segs = self.segments();
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        if let Some(e) = enums::error(enums::violations(&self.parts.method, &segs, &raw)) {
            return Err(e);
        }
        // Read again from the text, so that a type error names its line and column. The
        // SerializationException wording is apigateway's (recorded); apigatewayv2's is not, so
        // there a wrong type stays gwtui's BadRequestException.
        serde_json::from_slice(slice).map_err(|e| match body_error(&e) {
            AdminError::Serialization(_) if segs.first() == Some(&"v2") => type_error(&e),
            other => other,
        })
    }

    /// The request path's decoded segments.
    fn segments(&self) -> Vec<String> {
        self.parts
            .uri
            .path()
            .split('/')
            .filter(|s| !s.is_empty())
            .map(decode)
            .collect()
    }

    /// The body of an Update* operation: `{"patchOperations": [...]}`.
    pub fn patch_ops(&self) -> Result<Vec<PatchOperation>, AdminError> {
        #[derive(serde::Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct PatchBody {
            patch_operations: Vec<PatchOperation>,
        }
        let raw: serde_json::Value = self.json()?;
        let segs = self.segments();
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        // A method or integration response's status code in the path (`.../responses/{code}`).
        let status = match segs.as_slice() {
            [.., "methods", _, "responses", code]
            | [.., "methods", _, "integration", "responses", code] => {
                errors::status_code_violation(code)
            }
            _ => None,
        };
        errors::check_patch_ops(&raw, errors::update_input(&segs), status)?;
        // An operation without a path is refused naming it as Java prints a missing value
        // (AWS-recorded for UpdateGatewayResponse, localstack `test_update_gateway_response`).
        let no_path = raw
            .get("patchOperations")
            .and_then(|v| v.as_array())
            .is_some_and(|ops| {
                ops.iter()
                    .any(|op| op.get("path").is_none_or(|p| p.is_null()))
            });
        if no_path {
            return Err(AdminError::bad_request("Invalid patch path null"));
        }
        Ok(serde_json::from_value::<PatchBody>(raw)
            .map_err(|e| body_error(&e))?
            .patch_operations)
    }

    /// The body as UTF-8 text (OpenAPI documents).
    pub fn text(&self) -> Result<&str, AdminError> {
        std::str::from_utf8(self.body).map_err(|_| {
            AdminError::bad_request("Invalid OpenAPI input: the document is not UTF-8")
        })
    }

    /// One page of `list` in AWS's list shape: `{"item": [...], "position": "..."}`; `position`
    /// is an opaque token (`position.rs`: the next page's offset, wrapped) and `limit` defaults
    /// to 25, max 500.
    pub fn page<T: Serialize>(&self, list: Vec<T>) -> Reply {
        ok(StatusCode::OK, &self.page_value(list)?)
    }

    /// [`Call::page`]'s answer as JSON, for endpoints that add members to it.
    pub fn page_value<T: Serialize>(&self, list: Vec<T>) -> Result<serde_json::Value, AdminError> {
        // AWS answers `limit=-1` with a page (AWS-recorded, localstack
        // `test_negative_get_usage_plan_api_keys`): a limit below 1 is the default, one above
        // the documented maximum (500) is the maximum (unverified). Only a value that is not
        // an integer (botocore never sends one) is refused.
        let limit = match self.query("limit") {
            None => DEFAULT_PAGE,
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if n < 1 => DEFAULT_PAGE,
                Ok(n) => usize::try_from(n).unwrap_or(MAX_PAGE).min(MAX_PAGE),
                Err(_) => {
                    return Err(AdminError::bad_request(format!(
                        "Invalid limit specified: '{v}'. Must be an integer"
                    )));
                }
            },
        };
        let start = match self.query("position") {
            None | Some("") => 0,
            Some(p) => position::decode(p)
                .filter(|n| *n <= list.len())
                .ok_or_else(|| {
                    AdminError::bad_request(format!("Invalid position specified: '{p}'"))
                })?,
        };
        let end = (start + limit).min(list.len());
        let total = list.len();
        let items: Vec<T> = list.into_iter().skip(start).take(limit).collect();
        let mut out = serde_json::json!({ "item": items });
        if end < total {
            out["position"] = serde_json::Value::String(position::encode(end));
        }
        Ok(out)
    }
}

const DEFAULT_PAGE: usize = 25;
const MAX_PAGE: usize = 500;

/// A JSON answer.
pub(crate) fn ok<T: Serialize>(status: StatusCode, value: &T) -> Reply {
    let body = serde_json::to_vec(value)
        .map_err(|e| AdminError::Internal(format!("cannot serialise the answer: {e}")))?;
    Ok(with_body(status, Bytes::from(body), "application/json"))
}

/// An answer without a body (202 Accepted / 204 No Content).
pub(crate) fn empty(status: StatusCode) -> Reply {
    Ok(with_body(status, Bytes::new(), "application/json"))
}

pub(crate) fn with_body(status: StatusCode, body: Bytes, content_type: &str) -> Response<Body> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    let ct =
        HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/json"));
    r.headers_mut().insert(http::header::CONTENT_TYPE, ct);
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        r.headers_mut().insert("x-amzn-requestid", id);
    }
    r
}

/// A body that does not fit the operation's input, in words that name no parser internals
/// (a serde message never reaches a client).
pub(crate) fn body_error(e: &serde_json::Error) -> AdminError {
    // A number or a boolean where the model has a string is refused by AWS's protocol layer in
    // its own words (AWS-recorded, `test_integration_response_invalid_responsetemplates`,
    // `test_put_integration_request_parameter_bool_type`).
    let text = e.to_string();
    if text.contains("expected a string") {
        let class = if text.contains("invalid type: integer")
            || text.contains("invalid type: floating point")
        {
            Some("com.amazon.coral.value.json.numbers.TruncatingBigNumber")
        } else if text.contains("invalid type: boolean") {
            Some("java.lang.Boolean")
        } else {
            None
        };
        if let Some(class) = class {
            return AdminError::Serialization(format!(
                "class {class} can not be converted to an String"
            ));
        }
    }
    match e.classify() {
        serde_json::error::Category::Data => type_error(e),
        _ => AdminError::bad_request(format!(
            "Could not parse request body into json: the body is not valid JSON ({})",
            position(e)
        )),
    }
}

/// Where in the body a parse error is.
fn position(e: &serde_json::Error) -> String {
    // A value read from an already-parsed document has no position (line 0).
    if e.line() == 0 {
        "at a member of the body".to_string()
    } else {
        format!("line {}, column {}", e.line(), e.column())
    }
}

/// gwtui's message for a value of the wrong type.
fn type_error(e: &serde_json::Error) -> AdminError {
    AdminError::bad_request(format!(
        "Invalid request body: a value does not have the type the operation expects ({})",
        position(e)
    ))
}

fn aws_error(status: StatusCode, error_type: &'static str, message: &str) -> Response<Body> {
    // AWS's validation layer answers `{"Message": ...}`; the service's exceptions `message`.
    let key = if error_type == "ValidationException" || error_type == "SerializationException" {
        "Message"
    } else {
        "message"
    };
    let body = serde_json::json!({ key: message }).to_string();
    let mut r = with_body(status, Bytes::from(body), "application/json");
    r.headers_mut()
        .insert("x-amzn-errortype", HeaderValue::from_static(error_type));
    r
}

/// AWS's control-plane error shape: status, `x-amzn-ErrorType`, `{"message": ...}`.
pub fn error_response(err: &AdminError) -> Response<Body> {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    aws_error(status, err.error_type(), err.message())
}
