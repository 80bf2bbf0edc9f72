//! `/restapis` and `/restapis/{id}`: CreateRestApi, GetRestApis, GetRestApi, UpdateRestApi,
//! DeleteRestApi, ImportRestApi (`POST ?mode=import`) and PutRestApi (`PUT ?mode=merge|overwrite`).

use http::{Method, StatusCode};

use super::{Call, Reply, empty, ok, unknown};
use crate::engine::CreateRestApi;
use crate::model::AdminError;
use crate::openapi::{BasePathMode, ImportMode, ImportOptions};

pub(super) async fn route(call: &Call<'_>, segs: &[&str]) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    match segs {
        ["restapis"] if m == Method::GET => call.page(gw.list_rest_apis()),
        ["restapis"] if m == Method::POST => {
            if call.query("mode") == Some("import") {
                let api = gw
                    .import_rest_api(actor, call.text()?, import_options(call, true)?)
                    .await?;
                return ok(StatusCode::CREATED, &api);
            }
            let input: CreateRestApi = call.json()?;
            ok(
                StatusCode::CREATED,
                &gw.create_rest_api(actor, input).await?,
            )
        }
        ["restapis", id] if m == Method::GET => ok(StatusCode::OK, &gw.get_rest_api(id)?),
        ["restapis", id] if m == Method::PUT => {
            let opts = import_options(call, false)?;
            ok(
                StatusCode::OK,
                &gw.put_rest_api(actor, id, call.text()?, opts).await?,
            )
        }
        ["restapis", id] if m == Method::PATCH => ok(
            StatusCode::OK,
            &gw.update_rest_api(actor, id, call.patch_ops()?).await?,
        ),
        ["restapis", id] if m == Method::DELETE => {
            gw.delete_rest_api(actor, id).await?;
            empty(StatusCode::ACCEPTED)
        }
        _ => Err(unknown(call)),
    }
}

/// `mode`, `failonwarnings` and the `parameters` map (sent by the CLI as plain query
/// parameters: `basepath=prepend`, `ignore=documentation`; `parameters[basepath]` also works).
fn import_options(call: &Call<'_>, importing: bool) -> Result<ImportOptions, AdminError> {
    let mode = match call.query("mode") {
        Some("import") if importing => ImportMode::Merge,
        None | Some("merge") => ImportMode::Merge,
        Some("overwrite") => ImportMode::Overwrite,
        Some(other) => {
            return Err(AdminError::bad_request(format!(
                "Invalid mode: {other}. Must be one of [merge, overwrite]"
            )));
        }
    };
    let basepath = match call
        .query("basepath")
        .or_else(|| call.query("parameters[basepath]"))
    {
        None | Some("ignore") => BasePathMode::Ignore,
        Some("prepend") => BasePathMode::Prepend,
        Some("split") => BasePathMode::Split,
        Some(other) => {
            return Err(AdminError::bad_request(format!(
                "Invalid basepath: {other}. Must be one of [ignore, prepend, split]"
            )));
        }
    };
    Ok(ImportOptions {
        mode,
        fail_on_warnings: call.query_flag("failonwarnings"),
        basepath,
    })
}
