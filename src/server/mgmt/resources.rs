//! `/restapis/{id}/resources[/{resource_id}]`: GetResources (`embed=methods`), GetResource,
//! CreateResource, UpdateResource, DeleteResource.

use http::{Method, StatusCode};

use super::{Call, Reply, empty, ok, unknown};
use crate::model::Resource;

#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct CreateResourceBody {
    path_part: String,
}

/// Without `embed=methods` AWS lists each method verb with an empty object.
fn shaped(resource: &Resource, embed: bool) -> serde_json::Value {
    let mut value = serde_json::to_value(resource).unwrap_or_default();
    if !embed
        && let Some(methods) = value
            .get_mut("resourceMethods")
            .and_then(|m| m.as_object_mut())
    {
        for v in methods.values_mut() {
            *v = serde_json::json!({});
        }
    }
    value
}

pub(super) async fn route(call: &Call<'_>, api_id: &str, rest: &[&str]) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    let embed = call
        .query_all("embed")
        .iter()
        .any(|e| e.split(',').any(|p| p == "methods"));
    match rest {
        [] if m == Method::GET => {
            let def = gw.get_definition(api_id)?;
            call.page(
                def.resources
                    .iter()
                    .map(|r| shaped(r, embed))
                    .collect::<Vec<_>>(),
            )
        }
        [rid] if m == Method::GET => ok(
            StatusCode::OK,
            &shaped(&gw.get_resource(api_id, rid)?, embed),
        ),
        [parent] if m == Method::POST => {
            let input: CreateResourceBody = call.json()?;
            ok(
                StatusCode::CREATED,
                &gw.create_resource(actor, api_id, parent, &input.path_part)
                    .await?,
            )
        }
        [rid] if m == Method::PATCH => ok(
            StatusCode::OK,
            &gw.update_resource(actor, api_id, rid, call.patch_ops()?)
                .await?,
        ),
        [rid] if m == Method::DELETE => {
            gw.delete_resource(actor, api_id, rid).await?;
            empty(StatusCode::ACCEPTED)
        }
        _ => Err(unknown(call)),
    }
}
