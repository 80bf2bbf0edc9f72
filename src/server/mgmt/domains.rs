//! `/domainnames[/{name}[/basepathmappings[/{basePath}]]]`: custom domain names and their
//! base path mappings. A base path may come percent-encoded (`v1%2Forders`, as botocore sends
//! it) or as plain segments.

use http::{Method, StatusCode};

use super::{Call, Reply, empty, ok, unknown};
use crate::engine::{CreateBasePathMapping, CreateDomainName};

pub(super) async fn route(call: &Call<'_>, rest: &[&str]) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    match rest {
        [] if m == Method::POST => {
            let input: CreateDomainName = call.json()?;
            ok(
                StatusCode::CREATED,
                &gw.create_domain_name(actor, input).await?,
            )
        }
        [] if m == Method::GET => call.page(gw.list_domain_names()?),
        [name] if m == Method::GET => ok(StatusCode::OK, &gw.get_domain_name(name)?),
        [name] if m == Method::DELETE => {
            gw.delete_domain_name(actor, name).await?;
            empty(StatusCode::ACCEPTED)
        }
        [name, "basepathmappings"] if m == Method::POST => {
            let input: CreateBasePathMapping = call.json()?;
            ok(
                StatusCode::CREATED,
                &gw.create_base_path_mapping(actor, name, input).await?,
            )
        }
        [name, "basepathmappings"] if m == Method::GET => {
            call.page(gw.list_base_path_mappings(name)?)
        }
        [name, "basepathmappings", base @ ..] if !base.is_empty() => {
            let base = base.join("/");
            match *m {
                Method::GET => ok(StatusCode::OK, &gw.get_base_path_mapping(name, &base)?),
                Method::PATCH => ok(
                    StatusCode::OK,
                    &gw.update_base_path_mapping(actor, name, &base, call.patch_ops()?)
                        .await?,
                ),
                Method::DELETE => {
                    gw.delete_base_path_mapping(actor, name, &base).await?;
                    empty(StatusCode::ACCEPTED)
                }
                _ => Err(unknown(call)),
            }
        }
        _ => Err(unknown(call)),
    }
}
