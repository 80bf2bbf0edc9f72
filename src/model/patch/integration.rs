//! UpdateIntegration and UpdateIntegrationResponse patch operations (model.md §5, §6).

use super::values::{
    SET, SET_OR_REMOVE, apply_list_item, apply_map_entry, expect_ops, invalid_path, map_key,
    parse_bool, parse_enum, parse_int, segments, set_optional, string_value, value,
};
use super::{PatchOp, PatchOperation};
use crate::model::validate::{MAX_TIMEOUT_MILLIS, MIN_TIMEOUT_MILLIS, validate_integration};
use crate::model::{AdminError, ContentHandling, Integration, IntegrationResponse, TlsConfig};

const INTEGRATION_PATHS: &[&str] = &[
    "/uri",
    "/httpMethod",
    "/credentials",
    "/connectionType",
    "/connectionId",
    "/passthroughBehavior",
    "/contentHandling",
    "/timeoutInMillis",
    "/cacheNamespace",
    "/cacheKeyParameters/{name}",
    "/requestParameters/{key}",
    "/requestTemplates/{contentType}",
    "/tlsConfig/insecureSkipVerification",
];

const CONTENT_HANDLING: [&str; 2] = ["CONVERT_TO_BINARY", "CONVERT_TO_TEXT"];

/// Applies UpdateIntegration patch operations, then validates the result
/// (`validate::validate_integration`); the whole batch or nothing.
pub fn apply_integration_patch(
    integration: &mut Integration,
    ops: &[PatchOperation],
) -> Result<(), AdminError> {
    let mut next = integration.clone();
    for op in ops {
        apply_integration_op(&mut next, op)?;
    }
    validate_integration(&next)?;
    *integration = next;
    Ok(())
}

fn apply_integration_op(
    integration: &mut Integration,
    op: &PatchOperation,
) -> Result<(), AdminError> {
    let segs = segments(op)?;
    match segs.as_slice() {
        ["uri"] => set_optional(op, &mut integration.uri),
        ["httpMethod"] => {
            expect_ops(op, SET)?;
            integration.http_method = Some(value(op)?.to_ascii_uppercase());
            Ok(())
        }
        ["credentials"] => set_optional(op, &mut integration.credentials),
        ["connectionType"] => {
            expect_ops(op, SET)?;
            integration.connection_type = Some(parse_enum(
                op,
                &["INTERNET", "VPC_LINK"],
                "connection type",
            )?);
            Ok(())
        }
        ["connectionId"] => set_optional(op, &mut integration.connection_id),
        ["passthroughBehavior"] => {
            expect_ops(op, SET)?;
            integration.passthrough_behavior = parse_enum(
                op,
                &["WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"],
                "passthrough behavior",
            )?;
            Ok(())
        }
        ["contentHandling"] => set_content_handling(op, &mut integration.content_handling),
        ["timeoutInMillis"] => {
            expect_ops(op, SET)?;
            let ms = parse_int(
                op,
                i64::from(MIN_TIMEOUT_MILLIS),
                i64::from(MAX_TIMEOUT_MILLIS),
                "Timeout should be between 50 ms and 29000 ms",
            )?;
            integration.timeout_in_millis = u32::try_from(ms).unwrap_or(MAX_TIMEOUT_MILLIS);
            Ok(())
        }
        ["cacheNamespace"] => set_optional(op, &mut integration.cache_namespace),
        ["cacheKeyParameters", rest @ ..] if !rest.is_empty() => apply_list_item(
            &mut integration.cache_key_parameters,
            op,
            Some(map_key(rest)),
        ),
        ["requestParameters", rest @ ..] if !rest.is_empty() => {
            let key = map_key(rest);
            let valid = ["path", "querystring", "header"].iter().any(|loc| {
                key.strip_prefix("integration.request.")
                    .and_then(|r| r.strip_prefix(loc))
                    .and_then(|r| r.strip_prefix('.'))
                    .is_some_and(|name| !name.is_empty())
            });
            if !valid {
                return Err(AdminError::bad_request(format!(
                    "Invalid mapping expression specified: {key}. Must be integration.request.{{path|querystring|header}}.{{name}}"
                )));
            }
            apply_map_entry(&mut integration.request_parameters, op, key, |op| {
                Ok(value(op)?.to_string())
            })
        }
        ["requestTemplates", rest @ ..] if !rest.is_empty() => apply_map_entry(
            &mut integration.request_templates,
            op,
            map_key(rest),
            string_value,
        ),
        ["tlsConfig", "insecureSkipVerification"] => {
            expect_ops(op, SET)?;
            let skip = parse_bool(op)?;
            integration
                .tls_config
                .get_or_insert_with(TlsConfig::default)
                .insecure_skip_verification = skip;
            Ok(())
        }
        _ => Err(invalid_path(op, INTEGRATION_PATHS)),
    }
}

/// `remove` or an empty value unsets contentHandling (pass through).
fn set_content_handling(
    op: &PatchOperation,
    slot: &mut Option<ContentHandling>,
) -> Result<(), AdminError> {
    expect_ops(op, SET_OR_REMOVE)?;
    *slot = match (op.op, op.value.as_deref()) {
        (PatchOp::Remove, _) | (_, None | Some("")) => None,
        _ => Some(parse_enum(op, &CONTENT_HANDLING, "content handling")?),
    };
    Ok(())
}

const INTEGRATION_RESPONSE_PATHS: &[&str] = &[
    "/selectionPattern",
    "/contentHandling",
    "/responseParameters/{key}",
    "/responseTemplates/{contentType}",
];

/// Applies UpdateIntegrationResponse patch operations; the whole batch or nothing.
pub fn apply_integration_response_patch(
    response: &mut IntegrationResponse,
    ops: &[PatchOperation],
) -> Result<(), AdminError> {
    let mut next = response.clone();
    for op in ops {
        let segs = segments(op)?;
        match segs.as_slice() {
            ["selectionPattern"] => set_optional(op, &mut next.selection_pattern)?,
            ["contentHandling"] => set_content_handling(op, &mut next.content_handling)?,
            ["responseParameters", rest @ ..] if !rest.is_empty() => {
                let key = map_key(rest);
                if !key.starts_with("method.response.header.") {
                    return Err(AdminError::bad_request(format!(
                        "Invalid mapping expression specified: {key}. Must be method.response.header.{{name}}"
                    )));
                }
                apply_map_entry(&mut next.response_parameters, op, key, |op| {
                    Ok(value(op)?.to_string())
                })?
            }
            ["responseTemplates", rest @ ..] if !rest.is_empty() => apply_map_entry(
                &mut next.response_templates,
                op,
                map_key(rest),
                string_value,
            )?,
            _ => return Err(invalid_path(op, INTEGRATION_RESPONSE_PATHS)),
        }
    }
    *response = next;
    Ok(())
}

#[cfg(test)]
#[path = "integration_tests.rs"]
mod tests;
