//! `/restapis/{id}/resources/{rid}/methods/{verb}/...`: methods, method responses,
//! integrations and integration responses — Put, Get, Update (patch), Delete; and
//! TestInvokeMethod (`POST` on the method).

use http::{Method, StatusCode};

use super::{Call, Reply, empty, ok, unknown};
use crate::model::{
    AdminError, AuthorizationTypeValue, Integration, IntegrationResponse, Method as ApiMethod,
    MethodResponse,
};

/// PutIntegration's body: the integration plus `httpMethod` (the backend verb; botocore's
/// `integrationHttpMethod` is sent under that name, the raw API name is also accepted).
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct PutIntegrationBody {
    #[serde(flatten)]
    integration: Integration,
    integration_http_method: Option<String>,
}

/// PutMethod's `authorizationType`: a plain string in AWS's model, so a value that is none of
/// AWS's names is the service's 400 (`AuthorizationTypeValue::invalid`), not a parser message.
fn check_authorization_type(raw: &serde_json::Value) -> Result<(), AdminError> {
    match raw.get("authorizationType") {
        Some(serde_json::Value::String(t)) if AuthorizationTypeValue::parse(t).is_none() => {
            Err(AdminError::bad_request(AuthorizationTypeValue::invalid(t)))
        }
        _ => Ok(()),
    }
}

pub(super) async fn route(
    call: &Call<'_>,
    api_id: &str,
    rid: &str,
    verb: &str,
    tail: &[&str],
) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    // A method or integration response's status code is checked by AWS's validation layer,
    // before anything exists or not (AWS-recorded, `test_integration_response_invalid_statuscode`,
    // `test_update_method_response_negative_tests`); UpdateMethodResponse/UpdateIntegrationResponse
    // report it after the patch ops' violations (`Call::patch_ops`).
    if let ["responses", code] | ["integration", "responses", code] = tail
        && m != Method::PATCH
        && let Some(violation) = super::errors::status_code_violation(code)
    {
        return Err(AdminError::Validation(format!(
            "1 validation error detected: {violation}"
        )));
    }
    // AWS checks the API and resource before the verb (AWS-recorded `test_put_method_validation`);
    // an integration response under a verb that is none is a missing method, or a missing
    // integration for DeleteIntegrationResponse (AWS-recorded, `test_integration_response_wrong_method`,
    // `test_delete_integration_response_errors`).
    if !crate::model::HTTP_METHODS.contains(&verb.to_ascii_uppercase().as_str()) {
        gw.get_resource(api_id, rid)?;
        if let ["integration", "responses", _] = tail {
            return Err(AdminError::not_found(if m == Method::DELETE {
                "Invalid Integration identifier specified"
            } else {
                "Invalid Method identifier specified"
            }));
        }
    }
    match tail {
        [] if m == Method::PUT => {
            let raw: serde_json::Value = call.json()?;
            check_authorization_type(&raw)?;
            let method: ApiMethod =
                serde_json::from_value(raw).map_err(|e| super::body_error(&e))?;
            ok(
                StatusCode::CREATED,
                &super::shapes::method(
                    &gw.put_method(actor, api_id, rid, verb, method).await?,
                    rid,
                ),
            )
        }
        [] if m == Method::GET => ok(
            StatusCode::OK,
            &super::shapes::method(&gw.get_method(api_id, rid, verb)?, rid),
        ),
        [] if m == Method::PATCH => ok(
            StatusCode::OK,
            &super::shapes::method(
                &gw.update_method(actor, api_id, rid, verb, call.patch_ops()?)
                    .await?,
                rid,
            ),
        ),
        [] if m == Method::DELETE => {
            gw.delete_method(actor, api_id, rid, verb).await?;
            empty(StatusCode::NO_CONTENT)
        }
        [] if m == Method::POST => ok(
            StatusCode::OK,
            &gw.test_invoke_method(api_id, rid, verb, call.json()?)
                .await?,
        ),
        ["responses", code] if m == Method::PUT => {
            let mut response: MethodResponse = call.json()?;
            response.status_code = code.to_string();
            ok(
                StatusCode::CREATED,
                &gw.put_method_response(actor, api_id, rid, verb, response)
                    .await?,
            )
        }
        ["responses", code] if m == Method::GET => ok(
            StatusCode::OK,
            &gw.get_method_response(api_id, rid, verb, code)?,
        ),
        ["responses", code] if m == Method::PATCH => {
            let ops = call.patch_ops()?;
            ok(
                StatusCode::CREATED,
                &gw.update_method_response(actor, api_id, rid, verb, code, ops)
                    .await?,
            )
        }
        ["responses", code] if m == Method::DELETE => {
            gw.delete_method_response(actor, api_id, rid, verb, code)
                .await?;
            empty(StatusCode::NO_CONTENT)
        }
        ["integration"] if m == Method::PUT => {
            let raw: serde_json::Value = call.json()?;
            let input: PutIntegrationBody =
                serde_json::from_value(raw).map_err(|e| super::body_error(&e))?;
            let mut integration = input.integration;
            if input.integration_http_method.is_some() {
                integration.http_method = input.integration_http_method;
            }
            ok(
                StatusCode::CREATED,
                &super::shapes::integration(
                    &gw.put_integration(actor, api_id, rid, verb, integration)
                        .await?,
                    rid,
                ),
            )
        }
        ["integration"] if m == Method::GET => ok(
            StatusCode::OK,
            &super::shapes::integration(&gw.get_integration(api_id, rid, verb)?, rid),
        ),
        ["integration"] if m == Method::PATCH => ok(
            StatusCode::OK,
            &gw.update_integration(actor, api_id, rid, verb, call.patch_ops()?)
                .await?,
        ),
        ["integration"] if m == Method::DELETE => {
            gw.delete_integration(actor, api_id, rid, verb).await?;
            empty(StatusCode::NO_CONTENT)
        }
        ["integration", "responses", code] if m == Method::PUT => {
            let mut response: IntegrationResponse = call.json()?;
            response.status_code = code.to_string();
            ok(
                StatusCode::CREATED,
                &gw.put_integration_response(actor, api_id, rid, verb, response)
                    .await?,
            )
        }
        ["integration", "responses", code] if m == Method::GET => ok(
            StatusCode::OK,
            &gw.get_integration_response(api_id, rid, verb, code)?,
        ),
        ["integration", "responses", code] if m == Method::PATCH => {
            let ops = call.patch_ops()?;
            ok(
                StatusCode::OK,
                &gw.update_integration_response(actor, api_id, rid, verb, code, ops)
                    .await?,
            )
        }
        ["integration", "responses", code] if m == Method::DELETE => {
            gw.delete_integration_response(actor, api_id, rid, verb, code)
                .await?;
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(unknown(call)),
    }
}
