//! `/v2/apis[/{apiId}[/routes|integrations|authorizers|stages|deployments|cors|exports…]]`.

use http::{Method, StatusCode};

use super::{body_value, page, text};
use crate::engine::admin::http_api::{
    CreateApi, CreateAuthorizer, CreateDeployment, CreateIntegration, CreateRoute, CreateStage,
};
use crate::model::AdminError;
use crate::model::v2::Api;
use crate::server::mgmt::{Call, Reply, empty, ok, unknown};

/// `apiEndpoint`: the host-style invoke URL on this listener.
fn with_endpoint(call: &Call<'_>, mut api: Api) -> Api {
    let port = call.local.map(|a| a.port()).unwrap_or(4567);
    api.api_endpoint = Some(format!(
        "http://{}.execute-api.localhost:{port}",
        api.api_id
    ));
    api
}

pub(super) async fn route(call: &Call<'_>, segs: &[&str]) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    match segs {
        [] if m == Method::POST => {
            let input: CreateApi = call.json()?;
            let api = gw.create_http_api(actor, input).await?;
            ok(StatusCode::CREATED, &with_endpoint(call, api))
        }
        [] if m == Method::GET => {
            let apis: Vec<Api> = gw
                .list_http_apis()?
                .into_iter()
                .map(|a| with_endpoint(call, a))
                .collect();
            page(call, apis)
        }
        [] if m == Method::PUT => {
            #[derive(serde::Deserialize, Default)]
            #[serde(default)]
            struct Body {
                body: String,
            }
            let input: Body = call.json()?;
            if call.query("basepath").is_some() {
                return Err(AdminError::bad_request(
                    "basepath is not supported for HTTP API imports by gwtui",
                ));
            }
            let (mut api, warnings) = gw
                .import_http_api(actor, &input.body, call.query_flag("failOnWarnings"))
                .await?;
            api = with_endpoint(call, api);
            let mut value =
                serde_json::to_value(&api).map_err(|e| AdminError::Internal(e.to_string()))?;
            if !warnings.is_empty() {
                value["warnings"] = serde_json::json!(warnings);
            }
            ok(StatusCode::CREATED, &value)
        }
        [id] if m == Method::PUT => {
            #[derive(serde::Deserialize, Default)]
            #[serde(default)]
            struct Body {
                body: String,
            }
            let input: Body = call.json()?;
            if call.query("basepath").is_some() {
                return Err(AdminError::bad_request(
                    "basepath is not supported for HTTP API imports by gwtui",
                ));
            }
            let (api, warnings) = gw
                .reimport_http_api(actor, id, &input.body, call.query_flag("failOnWarnings"))
                .await?;
            let mut value = serde_json::to_value(with_endpoint(call, api))
                .map_err(|e| AdminError::Internal(e.to_string()))?;
            if !warnings.is_empty() {
                value["warnings"] = serde_json::json!(warnings);
            }
            ok(StatusCode::CREATED, &value)
        }
        [id] => match *m {
            Method::GET => ok(StatusCode::OK, &with_endpoint(call, gw.get_http_api(id)?)),
            Method::PATCH => {
                let api = gw.update_http_api(actor, id, body_value(call)?).await?;
                ok(StatusCode::OK, &with_endpoint(call, api))
            }
            Method::DELETE => {
                gw.delete_http_api(actor, id).await?;
                empty(StatusCode::NO_CONTENT)
            }
            _ => Err(unknown(call)),
        },
        [id, "cors"] if m == Method::DELETE => {
            gw.delete_http_cors(actor, id).await?;
            empty(StatusCode::NO_CONTENT)
        }
        [id, "exports", spec] if m == Method::GET => {
            let output = call.query("outputType").unwrap_or("JSON");
            let doc = gw.export_http_api(
                id,
                spec,
                output,
                call.query("stageName"),
                call.query("includeExtensions")
                    .is_none_or(|v| v.eq_ignore_ascii_case("true")),
            )?;
            let ct = if output == "YAML" {
                "application/yaml"
            } else {
                "application/json"
            };
            text(doc, ct)
        }
        [id, "routes"] => match *m {
            Method::POST => {
                let input: CreateRoute = call.json()?;
                ok(
                    StatusCode::CREATED,
                    &gw.create_http_route(actor, id, input).await?,
                )
            }
            Method::GET => page(call, gw.list_http_routes(id)?),
            _ => Err(unknown(call)),
        },
        [id, "routes", rid] => match *m {
            Method::GET => ok(StatusCode::OK, &gw.get_http_route(id, rid)?),
            Method::PATCH => ok(
                StatusCode::OK,
                &gw.update_http_route(actor, id, rid, body_value(call)?)
                    .await?,
            ),
            Method::DELETE => {
                gw.delete_http_route(actor, id, rid).await?;
                empty(StatusCode::NO_CONTENT)
            }
            _ => Err(unknown(call)),
        },
        [id, "integrations"] => match *m {
            Method::POST => {
                let input: CreateIntegration = call.json()?;
                ok(
                    StatusCode::CREATED,
                    &gw.create_http_integration(actor, id, input).await?,
                )
            }
            Method::GET => page(call, gw.list_http_integrations(id)?),
            _ => Err(unknown(call)),
        },
        [id, "integrations", iid] => match *m {
            Method::GET => ok(StatusCode::OK, &gw.get_http_integration(id, iid)?),
            Method::PATCH => ok(
                StatusCode::OK,
                &gw.update_http_integration(actor, id, iid, body_value(call)?)
                    .await?,
            ),
            Method::DELETE => {
                gw.delete_http_integration(actor, id, iid).await?;
                empty(StatusCode::NO_CONTENT)
            }
            _ => Err(unknown(call)),
        },
        [id, "authorizers"] => match *m {
            Method::POST => {
                let input: CreateAuthorizer = call.json()?;
                ok(
                    StatusCode::CREATED,
                    &gw.create_http_authorizer(actor, id, input).await?,
                )
            }
            Method::GET => page(call, gw.list_http_authorizers(id)?),
            _ => Err(unknown(call)),
        },
        [id, "authorizers", aid] => match *m {
            Method::GET => ok(StatusCode::OK, &gw.get_http_authorizer(id, aid)?),
            Method::PATCH => ok(
                StatusCode::OK,
                &gw.update_http_authorizer(actor, id, aid, body_value(call)?)
                    .await?,
            ),
            Method::DELETE => {
                gw.delete_http_authorizer(actor, id, aid).await?;
                empty(StatusCode::NO_CONTENT)
            }
            _ => Err(unknown(call)),
        },
        [id, "stages"] => match *m {
            Method::POST => {
                let input: CreateStage = call.json()?;
                ok(
                    StatusCode::CREATED,
                    &gw.create_http_stage(actor, id, input).await?,
                )
            }
            Method::GET => page(call, gw.list_http_stages(id)?),
            _ => Err(unknown(call)),
        },
        [id, "stages", name] => match *m {
            Method::GET => ok(StatusCode::OK, &gw.get_http_stage(id, name)?),
            Method::PATCH => ok(
                StatusCode::OK,
                &gw.update_http_stage(actor, id, name, body_value(call)?)
                    .await?,
            ),
            Method::DELETE => {
                gw.delete_http_stage(actor, id, name).await?;
                empty(StatusCode::NO_CONTENT)
            }
            _ => Err(unknown(call)),
        },
        [id, "stages", name, "accesslogsettings"] if m == Method::DELETE => {
            gw.delete_http_stage_setting(actor, id, name, None).await?;
            empty(StatusCode::NO_CONTENT)
        }
        [id, "stages", name, "routesettings", key @ ..]
            if m == Method::DELETE && !key.is_empty() =>
        {
            gw.delete_http_stage_setting(actor, id, name, Some(&key.join("/")))
                .await?;
            empty(StatusCode::NO_CONTENT)
        }
        [id, "deployments"] => match *m {
            Method::POST => {
                let input: CreateDeployment = call.json()?;
                ok(
                    StatusCode::CREATED,
                    &gw.create_http_deployment(actor, id, input).await?,
                )
            }
            Method::GET => page(call, gw.list_http_deployments(id)?),
            _ => Err(unknown(call)),
        },
        [id, "deployments", did] => match *m {
            Method::GET => ok(StatusCode::OK, &gw.get_http_deployment(id, did)?),
            Method::PATCH => ok(
                StatusCode::OK,
                &gw.update_http_deployment(actor, id, did, body_value(call)?)
                    .await?,
            ),
            Method::DELETE => {
                gw.delete_http_deployment(actor, id, did).await?;
                empty(StatusCode::NO_CONTENT)
            }
            _ => Err(unknown(call)),
        },
        _ => Err(unknown(call)),
    }
}
