//! `/v2/domainnames[/{name}[/apimappings[/{apiMappingId}]]]`.

use http::{Method, StatusCode};

use super::page;
use crate::engine::admin::http_api::CreateApiMapping;
use crate::engine::admin::http_api::domains::CreateDomainNameV2;
use crate::server::mgmt::{Call, Reply, empty, ok, unknown};

pub(super) async fn route(call: &Call<'_>, rest: &[&str]) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    match rest {
        [] if m == Method::POST => {
            let input: CreateDomainNameV2 = call.json()?;
            ok(
                StatusCode::CREATED,
                &gw.create_domain_name_v2(actor, input).await?,
            )
        }
        [] if m == Method::GET => page(call, gw.list_domain_names_v2()?),
        [name] if m == Method::GET => ok(StatusCode::OK, &gw.get_domain_name_v2(name)?),
        [name] if m == Method::DELETE => {
            gw.delete_domain_name(actor, name).await?;
            empty(StatusCode::NO_CONTENT)
        }
        [name, "apimappings"] if m == Method::POST => {
            let input: CreateApiMapping = call.json()?;
            ok(
                StatusCode::CREATED,
                &gw.create_api_mapping(actor, name, input).await?,
            )
        }
        [name, "apimappings"] if m == Method::GET => page(call, gw.list_api_mappings(name)?),
        [name, "apimappings", id] if m == Method::GET => {
            ok(StatusCode::OK, &gw.get_api_mapping(name, id)?)
        }
        [name, "apimappings", id] if m == Method::DELETE => {
            gw.delete_api_mapping(actor, name, id).await?;
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(unknown(call)),
    }
}
