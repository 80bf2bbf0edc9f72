//! `/restapis/{id}/{authorizers|requestvalidators|models|gatewayresponses}[/{key}]`: full CRUD
//! of authorizers, request validators, models and gateway responses.

use http::{Method, StatusCode};

use super::{Call, Reply, empty, ok, unknown};
use crate::engine::{CreateAuthorizer, CreateModel, CreateRequestValidator, PutGatewayResponse};

pub(super) async fn route(call: &Call<'_>, api_id: &str, kind: &str, rest: &[&str]) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    let get = m == Method::GET;
    let patch = m == Method::PATCH;
    let delete = m == Method::DELETE;
    if let ("gatewayresponses", [response_type]) = (kind, rest) {
        super::enums::check_response_type(response_type)?;
    }
    match (kind, rest) {
        ("authorizers", []) if m == Method::POST => {
            let raw: serde_json::Value = call.json()?;
            // The model's AuthorizerType enum includes JWT, which is an HTTP API authorizer:
            // a REST API has no use for it (gwtui's wording; AWS's answer is not recorded).
            if raw.get("type").and_then(|t| t.as_str()) == Some("JWT") {
                return Err(crate::model::AdminError::bad_request(
                    "Invalid authorizer type specified: JWT authorizers are for HTTP APIs; a REST API's authorizer type is TOKEN, REQUEST or COGNITO_USER_POOLS",
                ));
            }
            let input: CreateAuthorizer =
                serde_json::from_value(raw).map_err(|e| super::body_error(&e))?;
            ok(
                StatusCode::CREATED,
                &gw.create_authorizer(actor, api_id, input).await?,
            )
        }
        ("authorizers", []) if get => call.page(gw.list_authorizers(api_id)?),
        ("authorizers", [id]) if get => ok(StatusCode::OK, &gw.get_authorizer(api_id, id)?),
        ("authorizers", [id]) if patch => ok(
            StatusCode::OK,
            &gw.update_authorizer(actor, api_id, id, call.patch_ops()?)
                .await?,
        ),
        ("authorizers", [id]) if delete => {
            gw.delete_authorizer(actor, api_id, id).await?;
            empty(StatusCode::ACCEPTED)
        }
        ("requestvalidators", []) if m == Method::POST => {
            let input: CreateRequestValidator = call.json()?;
            ok(
                StatusCode::CREATED,
                &gw.create_request_validator(actor, api_id, input).await?,
            )
        }
        ("requestvalidators", []) if get => call.page(gw.list_request_validators(api_id)?),
        ("requestvalidators", [id]) if get => {
            ok(StatusCode::OK, &gw.get_request_validator(api_id, id)?)
        }
        ("requestvalidators", [id]) if patch => ok(
            StatusCode::OK,
            &gw.update_request_validator(actor, api_id, id, call.patch_ops()?)
                .await?,
        ),
        ("requestvalidators", [id]) if delete => {
            gw.delete_request_validator(actor, api_id, id).await?;
            empty(StatusCode::ACCEPTED)
        }
        ("models", []) if m == Method::POST => {
            let input: CreateModel = call.json()?;
            ok(
                StatusCode::CREATED,
                &gw.create_model(actor, api_id, input).await?,
            )
        }
        ("models", []) if get => call.page(gw.list_models(api_id)?),
        ("models", [name]) if get => ok(StatusCode::OK, &gw.get_model(api_id, name)?),
        ("models", [name, "default_template"]) if get => {
            ok(StatusCode::OK, &gw.get_model_template(api_id, name)?)
        }
        ("models", [name]) if patch => ok(
            StatusCode::OK,
            &gw.update_model(actor, api_id, name, call.patch_ops()?)
                .await?,
        ),
        ("models", [name]) if delete => {
            gw.delete_model(actor, api_id, name).await?;
            empty(StatusCode::ACCEPTED)
        }
        ("gatewayresponses", []) if get => call.page(
            gw.list_gateway_responses(api_id)?
                .iter()
                .map(super::shapes::gateway_response)
                .collect(),
        ),
        ("gatewayresponses", [kind]) if get => ok(
            StatusCode::OK,
            &super::shapes::gateway_response(&gw.get_gateway_response(api_id, kind)?),
        ),
        ("gatewayresponses", [kind]) if m == Method::PUT => {
            let input: PutGatewayResponse = call.json()?;
            ok(
                StatusCode::CREATED,
                &super::shapes::gateway_response(
                    &gw.put_gateway_response(actor, api_id, kind, input).await?,
                ),
            )
        }
        ("gatewayresponses", [kind]) if patch => ok(
            StatusCode::OK,
            &super::shapes::gateway_response(
                &gw.update_gateway_response(actor, api_id, kind, call.patch_ops()?)
                    .await?,
            ),
        ),
        ("gatewayresponses", [kind]) if delete => {
            gw.delete_gateway_response(actor, api_id, kind).await?;
            empty(StatusCode::ACCEPTED)
        }
        _ => Err(unknown(call)),
    }
}
