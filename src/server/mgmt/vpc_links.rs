//! `/vpclinks[/{id}]`: CreateVpcLink (202), GetVpcLinks, GetVpcLink, UpdateVpcLink,
//! DeleteVpcLink (202). As AWS records them, a listed link carries no `tags` member when it
//! has none, while GetVpcLink and UpdateVpcLink show `tags: {}`.

use http::{Method, StatusCode};

use super::{Call, Reply, empty, ok, unknown};
use crate::model::VpcLink;
use crate::model::vpc_link::CreateVpcLink;

fn without_empty_tags(link: VpcLink) -> serde_json::Value {
    let empty = link.tags.is_empty();
    let mut v = serde_json::to_value(link).unwrap_or_default();
    if empty && let Some(map) = v.as_object_mut() {
        map.remove("tags");
    }
    v
}

pub(super) async fn route(call: &Call<'_>, rest: &[&str]) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    match rest {
        [] if m == Method::POST => {
            let input: CreateVpcLink = call.json()?;
            let link = gw.create_vpc_link(actor, input).await?;
            ok(StatusCode::ACCEPTED, &without_empty_tags(link))
        }
        [] if m == Method::GET => call.page(
            gw.get_vpc_links()
                .into_iter()
                .map(without_empty_tags)
                .collect(),
        ),
        [id] if m == Method::GET => ok(StatusCode::OK, &gw.get_vpc_link(id)?),
        [id] if m == Method::PATCH => ok(
            StatusCode::OK,
            &gw.update_vpc_link(actor, id, call.patch_ops()?).await?,
        ),
        [id] if m == Method::DELETE => {
            gw.delete_vpc_link(actor, id).await?;
            empty(StatusCode::ACCEPTED)
        }
        _ => Err(unknown(call)),
    }
}
