//! `/restapis/{id}/documentation/parts[/{partId}]` and `/documentation/versions[/{version}]`:
//! documentation parts (GetDocumentationParts filters by `type`, `name` and `path`;
//! ImportDocumentationParts is `PUT` on the parts with `mode=merge|overwrite`) and
//! documentation versions.

use http::{Method, StatusCode};

use super::{Call, Reply, empty, ok, unknown};
use crate::engine::{CreateDocumentationPart, CreateDocumentationVersion, PartFilter};

pub(super) async fn route(call: &Call<'_>, api_id: &str, rest: &[&str]) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    match rest {
        ["parts"] if m == Method::POST => {
            let input: CreateDocumentationPart = call.json()?;
            ok(
                StatusCode::CREATED,
                &gw.create_documentation_part(actor, api_id, input).await?,
            )
        }
        ["parts"] if m == Method::GET => {
            let filter = PartFilter {
                kind: call.query("type").map(str::to_string),
                name: call.query("name").map(str::to_string),
                path: call.query("path").map(str::to_string),
            };
            call.page(gw.list_documentation_parts(api_id, &filter)?)
        }
        ["parts"] if m == Method::PUT => {
            let overwrite = match call.query("mode") {
                None | Some("merge") => false,
                Some("overwrite") => true,
                Some(other) => {
                    // `mode` is the model's PutMode enum: a validation error naming the
                    // query member (value order unverified).
                    return Err(crate::model::AdminError::enum_violation(
                        other,
                        "mode",
                        &["merge", "overwrite"],
                        false,
                    ));
                }
            };
            let fail = call
                .query("failonwarnings")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let source = std::str::from_utf8(call.body)
                .map_err(|_| crate::model::AdminError::bad_request("The document is not UTF-8"))?
                .to_string();
            ok(
                StatusCode::OK,
                &gw.import_documentation_parts(actor, api_id, source, overwrite, fail)
                    .await?,
            )
        }
        ["parts", id] if m == Method::GET => {
            ok(StatusCode::OK, &gw.get_documentation_part(api_id, id)?)
        }
        ["parts", id] if m == Method::PATCH => ok(
            StatusCode::OK,
            &gw.update_documentation_part(actor, api_id, id, call.patch_ops()?)
                .await?,
        ),
        ["parts", id] if m == Method::DELETE => {
            gw.delete_documentation_part(actor, api_id, id).await?;
            empty(StatusCode::ACCEPTED)
        }
        ["versions"] if m == Method::POST => {
            let input: CreateDocumentationVersion = call.json()?;
            ok(
                StatusCode::CREATED,
                &gw.create_documentation_version(actor, api_id, input)
                    .await?,
            )
        }
        ["versions"] if m == Method::GET => call.page(gw.list_documentation_versions(api_id)?),
        ["versions", v] if m == Method::GET => {
            ok(StatusCode::OK, &gw.get_documentation_version(api_id, v)?)
        }
        ["versions", v] if m == Method::PATCH => ok(
            StatusCode::OK,
            &gw.update_documentation_version(actor, api_id, v, call.patch_ops()?)
                .await?,
        ),
        ["versions", v] if m == Method::DELETE => {
            gw.delete_documentation_version(actor, api_id, v).await?;
            empty(StatusCode::ACCEPTED)
        }
        _ => Err(unknown(call)),
    }
}
