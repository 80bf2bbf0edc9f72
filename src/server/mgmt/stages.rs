//! `/restapis/{id}/stages[/{stage}]`: CreateStage, GetStages (`deploymentId` filter), GetStage,
//! UpdateStage (patch operations), DeleteStage; FlushStageCache (`.../cache/data`) and
//! FlushStageAuthorizersCache (`.../cache/authorizers`); GetExport
//! (`.../exports/{oas30|swagger}` with `Accept` and the `extensions` parameter).

use bytes::Bytes;
use http::{Method, StatusCode};

use super::{Call, Reply, empty, ok, unknown, with_body};
use crate::engine::CreateStage;
use crate::model::AdminError;
use crate::openapi::{ExportFormat, ExportOptions, Extensions};

pub(super) async fn route(call: &Call<'_>, api_id: &str, rest: &[&str]) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    match rest {
        [] if m == Method::GET => {
            let stages = gw.list_stages(api_id)?;
            let stages: Vec<_> = match call.query("deploymentId") {
                Some(dep) => stages
                    .into_iter()
                    .filter(|s| s.deployment_id == dep)
                    .collect(),
                None => stages,
            };
            // GetStages is not paginated: `{"item": [...]}`.
            ok(StatusCode::OK, &serde_json::json!({ "item": stages }))
        }
        [] if m == Method::POST => {
            let input: CreateStage = call.json()?;
            ok(
                StatusCode::CREATED,
                &gw.create_stage(actor, api_id, input).await?,
            )
        }
        [stage] if m == Method::GET => ok(StatusCode::OK, &gw.get_stage(api_id, stage)?),
        [stage] if m == Method::PATCH => ok(
            StatusCode::OK,
            &gw.update_stage(actor, api_id, stage, call.patch_ops()?)
                .await?,
        ),
        [stage] if m == Method::DELETE => {
            gw.delete_stage(actor, api_id, stage).await?;
            empty(StatusCode::ACCEPTED)
        }
        [stage, "cache", "data"] if m == Method::DELETE => {
            gw.flush_stage_cache(actor, api_id, stage).await?;
            empty(StatusCode::ACCEPTED)
        }
        [stage, "cache", "authorizers"] if m == Method::DELETE => {
            gw.flush_stage_authorizers_cache(actor, api_id, stage)
                .await?;
            empty(StatusCode::ACCEPTED)
        }
        [stage, "exports", export_type] if m == Method::GET => {
            export(call, api_id, stage, export_type)
        }
        [stage, "sdks", sdk_type] if m == Method::GET => sdk(call, api_id, stage, sdk_type),
        _ => Err(unknown(call)),
    }
}

/// GetExport of the stage's deployment snapshot.
fn export(call: &Call<'_>, api_id: &str, stage_name: &str, export_type: &str) -> Reply {
    let format = match export_type {
        "oas30" => ExportFormat::Oas30,
        "swagger" => ExportFormat::Swagger2,
        other => {
            return Err(AdminError::bad_request(format!(
                "Invalid export type specified: '{other}'. Must be one of: [oas30, swagger]"
            )));
        }
    };
    let accept = call
        .parts
        .headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // The answer's content type: what `accepts` asked for, or, when it names no format (absent,
    // as boto3 sends it, or `*/*`), JSON labelled `application/octet-stream` as AWS labels it
    // (AWS-recorded, localstack `test_export_swagger_openapi`/`test_export_oas30_openapi`).
    let unrendered = accept.trim().is_empty() || accept.contains("*/*");
    let yaml = if accept.contains("yaml") {
        true
    } else if accept.contains("json") || unrendered {
        false
    } else {
        return Err(AdminError::bad_request(format!(
            "Invalid accepts specified: '{accept}'. Must be one of: [application/json, application/yaml]"
        )));
    };
    let extensions = match call
        .query("extensions")
        .or_else(|| call.query("parameters[extensions]"))
    {
        None | Some("") => Extensions::None,
        Some("integrations") => Extensions::Integrations,
        Some("apigateway") => Extensions::Apigateway,
        Some("authorizers") => Extensions::Authorizers,
        Some(other) => {
            return Err(AdminError::bad_request(format!(
                "Invalid extensions specified: '{other}'. Must be one of: [integrations, apigateway, authorizers]"
            )));
        }
    };
    let stage = call.gw.get_stage(api_id, stage_name)?;
    let snapshot = call.gw.deployment_snapshot(api_id, &stage.deployment_id)?;
    let host = match call.local {
        Some(addr) => format!("{api_id}.execute-api.localhost:{}", addr.port()),
        None => format!("{api_id}.execute-api.localhost"),
    };
    // A version the stage names but the API no longer has exports no documentation.
    let documentation = stage.documentation_version.as_ref().and_then(|version| {
        let parts = call.gw.documentation_version_parts(api_id, version).ok()?;
        Some(crate::openapi::ExportedDocumentation {
            version: Some(version.clone()),
            parts,
        })
    });
    let opts = ExportOptions {
        format,
        extensions,
        yaml,
        stage_name: stage_name.to_string(),
        host,
        documentation,
    };
    let text = crate::openapi::export(&snapshot, &opts)
        .map_err(|e| AdminError::bad_request(e.to_string()))?;
    let (content_type, ext) = if yaml {
        ("application/yaml", "yaml")
    } else if unrendered && !accept.contains("json") {
        ("application/octet-stream", "json")
    } else {
        ("application/json", "json")
    };
    let mut response = with_body(StatusCode::OK, Bytes::from(text), content_type);
    // `{exportType}_{info.version}.{ext}` (AWS-recorded: `swagger_1.0.0.json`).
    let disposition = format!(
        "attachment; filename=\"{export_type}_{}.{ext}\"",
        crate::openapi::export_version(&snapshot.rest_api).replace('"', "")
    );
    if let Ok(v) = http::HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(http::header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// GetSdk: the stage's deployment as a client SDK zip (see `crate::sdk`).
fn sdk(call: &Call<'_>, api_id: &str, stage_name: &str, sdk_type: &str) -> Reply {
    let stage = call.gw.get_stage(api_id, stage_name)?;
    let snapshot = call.gw.deployment_snapshot(api_id, &stage.deployment_id)?;
    let invoke_url = match call.local {
        Some(addr) => format!("http://{addr}/restapis/{api_id}/{stage_name}/_user_request_"),
        None => format!("http://{api_id}.execute-api.localhost/{stage_name}"),
    };
    let zip =
        crate::sdk::generate(sdk_type, &snapshot, stage_name, &invoke_url).map_err(
            |e| match e {
                crate::sdk::SdkError::UnknownType(_) | crate::sdk::SdkError::Export(_) => {
                    AdminError::bad_request(e.to_string())
                }
                crate::sdk::SdkError::Zip(_) => AdminError::Internal(e.to_string()),
            },
        )?;
    let mut response = with_body(StatusCode::OK, Bytes::from(zip), "application/octet-stream");
    let disposition = format!("attachment; filename=\"{api_id}-{stage_name}-{sdk_type}.zip\"");
    if let Ok(v) = http::HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(http::header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
