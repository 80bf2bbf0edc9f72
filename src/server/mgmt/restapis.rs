//! `/restapis` and `/restapis/{id}`: CreateRestApi, GetRestApis, GetRestApi, UpdateRestApi,
//! DeleteRestApi, ImportRestApi (`POST ?mode=import`) and PutRestApi (`PUT ?mode=merge|overwrite`).

use http::{Method, StatusCode};

use super::{Call, Reply, empty, ok, shapes, unknown};
use crate::engine::CreateRestApi;
use crate::model::AdminError;
use crate::openapi::{BasePathMode, ImportMode, ImportOptions};

pub(super) async fn route(call: &Call<'_>, segs: &[&str]) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    match segs {
        ["restapis"] if m == Method::GET => call.page(shapes::rest_apis(gw.list_rest_apis())),
        ["restapis"] if m == Method::POST => {
            if call.query("mode") == Some("import") {
                let api = gw
                    .import_rest_api(actor, call.text()?, import_options(call, true)?)
                    .await?;
                return ok(StatusCode::CREATED, &shapes::rest_api(&api));
            }
            let raw: serde_json::Value = call.json()?;
            check_create_rest_api(&raw)?;
            let input: CreateRestApi =
                serde_json::from_value(raw).map_err(|e| super::body_error(&e))?;
            ok(
                StatusCode::CREATED,
                &shapes::rest_api(&gw.create_rest_api(actor, input).await?),
            )
        }
        // GetRestApi and PutRestApi answer `tags: {}` when there are none, as UpdateRestApi
        // does; CreateRestApi and GetRestApis do not (AWS-recorded, localstack
        // `test_put_rest_api_mode_binary_media_types`).
        ["restapis", id] if m == Method::GET => ok(
            StatusCode::OK,
            &shapes::with_tags(shapes::rest_api(&gw.get_rest_api(id)?)),
        ),
        ["restapis", id] if m == Method::PUT => {
            let opts = import_options(call, false)?;
            ok(
                StatusCode::OK,
                &shapes::with_tags(shapes::rest_api(
                    &gw.put_rest_api(actor, id, call.text()?, opts).await?,
                )),
            )
        }
        ["restapis", id] if m == Method::PATCH => ok(
            StatusCode::OK,
            &shapes::with_tags(shapes::rest_api(
                &gw.update_rest_api(actor, id, call.patch_ops()?).await?,
            )),
        ),
        ["restapis", id] if m == Method::DELETE => {
            gw.delete_rest_api(actor, id).await?;
            empty(StatusCode::ACCEPTED)
        }
        _ => Err(unknown(call)),
    }
}

/// CreateRestApi's checks on the raw body, in AWS's words (AWS-recorded,
/// `test_create_rest_api_with_optional_params` and `test_create_rest_api_verify_defaults`):
/// an empty description, a compression size that is not a number in range, the endpoint types
/// (the model's enums, such as endpoint types, are checked before, by `Call::json`).
fn check_create_rest_api(raw: &serde_json::Value) -> Result<(), AdminError> {
    if raw.get("description").and_then(|d| d.as_str()) == Some("") {
        return Err(AdminError::bad_request(
            "Description cannot be an empty string",
        ));
    }
    if let Some(size) = raw.get("minimumCompressionSize")
        && !size.is_null()
        && !size.as_i64().is_some_and(|n| (0..=10_485_760).contains(&n))
    {
        return Err(AdminError::bad_request(
            "Invalid minimum compression size, must be between 0 and 10485760",
        ));
    }
    // Endpoint types: exactly one, and a PRIVATE API is dualstack (AWS-recorded,
    // `test_create_rest_api_with_endpoint_configuration`, `test_create_rest_api_private_type`).
    if let Some(types) = raw
        .pointer("/endpointConfiguration/types")
        .and_then(|t| t.as_array())
    {
        match types.as_slice() {
            [] => {
                return Err(AdminError::bad_request(
                    "REGIONAL Configuration and EDGE Configuration cannot be both DISABLED.",
                ));
            }
            [one] => {
                let ip = raw.pointer("/endpointConfiguration/ipAddressType");
                if one.as_str() == Some("PRIVATE") && ip.and_then(|v| v.as_str()) == Some("ipv4") {
                    return Err(AdminError::bad_request(
                        "Only dualstack ipAddressType is supported for Private APIs.",
                    ));
                }
            }
            _ => {
                return Err(AdminError::bad_request(
                    "Cannot create an api with multiple Endpoint Types.",
                ));
            }
        }
    }
    Ok(())
}

/// `mode`, `failonwarnings` and the `parameters` map (sent by the CLI as plain query
/// parameters: `basepath=prepend`, `ignore=documentation`; `parameters[basepath]` also works).
fn import_options(call: &Call<'_>, importing: bool) -> Result<ImportOptions, AdminError> {
    let mode = match call.query("mode") {
        Some("import") if importing => ImportMode::Merge,
        None | Some("merge") => ImportMode::Merge,
        Some("overwrite") => ImportMode::Overwrite,
        // PutRestApi's `mode` is the model's PutMode enum (value order unverified).
        Some(other) => {
            return Err(AdminError::enum_violation(
                other,
                "mode",
                &["merge", "overwrite"],
                false,
            ));
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
