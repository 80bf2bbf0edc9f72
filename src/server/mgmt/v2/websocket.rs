//! `/v2/apis/{apiId}/routes/{routeId}/routeresponses[/{id}]`,
//! `/v2/apis/{apiId}/integrations/{integrationId}/integrationresponses[/{id}]` and
//! `/v2/apis/{apiId}/models[/{modelId}[/template]]`: WebSocket APIs' own resources.

use http::{Method, StatusCode};

use super::{body_value, page};
use crate::engine::v2::{CreateIntegrationResponse, CreateModel, CreateRouteResponse};
use crate::server::mgmt::{Call, Reply, empty, ok, unknown};

pub(super) async fn route(call: &Call<'_>, segs: &[&str]) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    match segs {
        [id, "routes", rid, "routeresponses"] => match *m {
            Method::POST => {
                let input: CreateRouteResponse = call.json()?;
                ok(
                    StatusCode::CREATED,
                    &gw.create_v2_route_response(actor, id, rid, input).await?,
                )
            }
            Method::GET => page(call, gw.list_v2_route_responses(id, rid)?),
            _ => Err(unknown(call)),
        },
        [id, "routes", rid, "routeresponses", rrid] => match *m {
            Method::GET => ok(StatusCode::OK, &gw.get_v2_route_response(id, rid, rrid)?),
            Method::PATCH => ok(
                StatusCode::OK,
                &gw.update_v2_route_response(actor, id, rid, rrid, body_value(call)?)
                    .await?,
            ),
            Method::DELETE => {
                gw.delete_v2_route_response(actor, id, rid, rrid).await?;
                empty(StatusCode::NO_CONTENT)
            }
            _ => Err(unknown(call)),
        },
        [id, "integrations", iid, "integrationresponses"] => match *m {
            Method::POST => {
                let input: CreateIntegrationResponse = call.json()?;
                ok(
                    StatusCode::CREATED,
                    &gw.create_v2_integration_response(actor, id, iid, input)
                        .await?,
                )
            }
            Method::GET => page(call, gw.list_v2_integration_responses(id, iid)?),
            _ => Err(unknown(call)),
        },
        [id, "integrations", iid, "integrationresponses", irid] => match *m {
            Method::GET => ok(
                StatusCode::OK,
                &gw.get_v2_integration_response(id, iid, irid)?,
            ),
            Method::PATCH => ok(
                StatusCode::OK,
                &gw.update_v2_integration_response(actor, id, iid, irid, body_value(call)?)
                    .await?,
            ),
            Method::DELETE => {
                gw.delete_v2_integration_response(actor, id, iid, irid)
                    .await?;
                empty(StatusCode::NO_CONTENT)
            }
            _ => Err(unknown(call)),
        },
        [id, "models"] => match *m {
            Method::POST => {
                let input: CreateModel = call.json()?;
                ok(
                    StatusCode::CREATED,
                    &gw.create_v2_model(actor, id, input).await?,
                )
            }
            Method::GET => page(call, gw.list_v2_models(id)?),
            _ => Err(unknown(call)),
        },
        [id, "models", mid] => match *m {
            Method::GET => ok(StatusCode::OK, &gw.get_v2_model(id, mid)?),
            Method::PATCH => ok(
                StatusCode::OK,
                &gw.update_v2_model(actor, id, mid, body_value(call)?)
                    .await?,
            ),
            Method::DELETE => {
                gw.delete_v2_model(actor, id, mid).await?;
                empty(StatusCode::NO_CONTENT)
            }
            _ => Err(unknown(call)),
        },
        [id, "models", mid, "template"] if m == Method::GET => ok(
            StatusCode::OK,
            &serde_json::json!({ "value": gw.get_v2_model_template(id, mid)? }),
        ),
        _ => Err(unknown(call)),
    }
}
