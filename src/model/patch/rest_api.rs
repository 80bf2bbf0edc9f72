//! UpdateRestApi and UpdateResource patch operations (model.md §2, §3).

use super::PatchOperation;
use super::values::{
    SET, apply_list_item, expect_ops, invalid_path, map_key, parse_bool, parse_enum, segments,
    set_optional, value,
};
use crate::model::{AdminError, ApiDefinition, RestApi};

/// Largest `minimumCompressionSize` (10 MiB).
pub const MAX_MINIMUM_COMPRESSION_SIZE: i64 = 10_485_760;
/// Longest resource policy (model.md §16).
pub const MAX_POLICY_LENGTH: usize = 8192;
const ENDPOINT_TYPES: [&str; 3] = ["EDGE", "REGIONAL", "PRIVATE"];

// AWS-recorded messages (localstack `test_update_rest_api_ip_address_type`).
const INVALID_ENDPOINT_TYPES: &str =
    "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE";
const PRIVATE_NEEDS_DUALSTACK: &str = "Only dualstack ipAddressType is supported for Private APIs.";

const REST_API_PATHS: &[&str] = &[
    "/name",
    "/description",
    "/version",
    "/apiKeySource",
    "/binaryMediaTypes/{mediaType}",
    "/minimumCompressionSize",
    "/policy",
    "/disableExecuteApiEndpoint",
    "/endpointConfiguration/types/{type}",
    "/endpointConfiguration/ipAddressType",
    "/endpointConfiguration/vpcEndpointIds",
];

/// Applies UpdateRestApi patch operations; the whole batch or nothing.
pub fn apply_rest_api_patch(api: &mut RestApi, ops: &[PatchOperation]) -> Result<(), AdminError> {
    let mut next = api.clone();
    for op in ops {
        apply_rest_api_op(&mut next, op)?;
    }
    if next
        .endpoint_configuration
        .types
        .iter()
        .any(|t| !ENDPOINT_TYPES.contains(&t.as_str()))
    {
        return Err(AdminError::bad_request(INVALID_ENDPOINT_TYPES));
    }
    *api = next;
    Ok(())
}

fn apply_rest_api_op(api: &mut RestApi, op: &PatchOperation) -> Result<(), AdminError> {
    let segs = segments(op)?;
    match segs.as_slice() {
        ["name"] => {
            expect_ops(op, SET)?;
            let name = value(op)?;
            if name.trim().is_empty() {
                return Err(AdminError::bad_request("RestApi name must not be blank"));
            }
            api.name = name.to_string();
            Ok(())
        }
        ["description"] => set_optional(op, &mut api.description),
        ["version"] => set_optional(op, &mut api.version),
        ["apiKeySource"] => {
            expect_ops(op, SET)?;
            api.api_key_source = parse_enum(op, &["HEADER", "AUTHORIZER"], "API key source")?;
            Ok(())
        }
        ["binaryMediaTypes", rest @ ..] if !rest.is_empty() => {
            apply_list_item(&mut api.binary_media_types, op, Some(map_key(rest)))
        }
        // AWS-recorded (`test_update_rest_api_behaviour`): the list itself is no path.
        ["binaryMediaTypes"] => Err(AdminError::bad_request(
            "Invalid patch path /binaryMediaTypes",
        )),
        // AWS-recorded (`test_update_rest_api_compression`): only `replace`; an empty value
        // turns compression off; anything but an integer in range is the one message.
        ["minimumCompressionSize"] => {
            const MESSAGE: &str =
                "Invalid minimum compression size, must be between 0 and 10485760";
            if op.op != super::PatchOp::Replace {
                return Err(AdminError::bad_request(
                    "Invalid patch operation specified. Must be one of: [replace]",
                ));
            }
            api.minimum_compression_size = match op.value.as_deref() {
                None | Some("") => None,
                Some(v) => Some(
                    v.trim()
                        .parse::<i64>()
                        .ok()
                        .filter(|n| (0..=MAX_MINIMUM_COMPRESSION_SIZE).contains(n))
                        .ok_or_else(|| AdminError::bad_request(MESSAGE))?,
                ),
            };
            Ok(())
        }
        ["policy"] => {
            set_optional(op, &mut api.policy)?;
            if api
                .policy
                .as_ref()
                .is_some_and(|p| p.len() > MAX_POLICY_LENGTH)
            {
                return Err(AdminError::bad_request(format!(
                    "Resource policy must be at most {MAX_POLICY_LENGTH} characters"
                )));
            }
            Ok(())
        }
        ["disableExecuteApiEndpoint"] => {
            expect_ops(op, SET)?;
            api.disable_execute_api_endpoint = parse_bool(op)?;
            Ok(())
        }
        // `/endpointConfiguration/types/{index or type}`: the item is addressed by its index
        // (`types/0`) or its name; a PRIVATE API only takes `dualstack`, so switching to PRIVATE
        // makes it so (AWS-recorded, `test_update_rest_api_ip_address_type`).
        ["endpointConfiguration", "types", rest @ ..] if !rest.is_empty() => {
            use super::PatchOp;
            if !matches!(op.op, PatchOp::Add | PatchOp::Remove | PatchOp::Replace) {
                return Err(AdminError::bad_request(
                    "Invalid patch operation specified. Must be 'add'|'remove'|'replace'",
                ));
            }
            let key = map_key(rest);
            let types = &mut api.endpoint_configuration.types;
            let slot = key
                .parse::<usize>()
                .ok()
                .filter(|i| *i < types.len())
                .or_else(|| types.iter().position(|t| t.eq_ignore_ascii_case(&key)));
            match (op.op, slot) {
                (PatchOp::Replace, Some(i)) => {
                    let v = value(op)?.to_ascii_uppercase();
                    if !ENDPOINT_TYPES.contains(&v.as_str()) {
                        return Err(AdminError::bad_request(INVALID_ENDPOINT_TYPES));
                    }
                    types[i] = v;
                }
                (PatchOp::Remove, Some(i)) => {
                    types.remove(i);
                }
                _ => apply_list_item(types, op, Some(key.to_ascii_uppercase()))?,
            }
            for t in types.iter_mut() {
                t.make_ascii_uppercase();
            }
            if types.iter().any(|t| t == "PRIVATE") {
                api.endpoint_configuration.ip_address_type = Some("dualstack".into());
            }
            Ok(())
        }
        ["endpointConfiguration", "ipAddressType"] => {
            if op.op != super::PatchOp::Replace {
                return Err(AdminError::bad_request(
                    "Invalid patch operation specified. Must be one of: [replace]",
                ));
            }
            let v = value(op)?;
            if !matches!(v, "ipv4" | "dualstack") {
                return Err(AdminError::bad_request(
                    "ipAddressType must be either ipv4 or dualstack.",
                ));
            }
            if v == "ipv4"
                && api
                    .endpoint_configuration
                    .types
                    .iter()
                    .any(|t| t == "PRIVATE")
            {
                return Err(AdminError::bad_request(PRIVATE_NEEDS_DUALSTACK));
            }
            api.endpoint_configuration.ip_address_type = Some(v.to_string());
            Ok(())
        }
        ["endpointConfiguration", "vpcEndpointIds"] => {
            apply_list_item(&mut api.endpoint_configuration.vpc_endpoint_ids, op, None)
        }
        _ => Err(invalid_path(op, REST_API_PATHS)),
    }
}

/// What an UpdateResource batch asks to change; `ApiDefinition::update_resource` validates the
/// tree (names, siblings, cycles, root).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceUpdate {
    pub path_part: Option<String>,
    pub parent_id: Option<String>,
}

/// Reads UpdateResource patch operations (`/pathPart`, `/parentId`, both `replace`).
pub fn apply_resource_patch(ops: &[PatchOperation]) -> Result<ResourceUpdate, AdminError> {
    let mut update = ResourceUpdate::default();
    for op in ops {
        let segs = segments(op)?;
        let slot = match segs.as_slice() {
            ["pathPart"] => &mut update.path_part,
            ["parentId"] => &mut update.parent_id,
            _ => return Err(invalid_path(op, &["/parentId", "/pathPart"])),
        };
        expect_ops(op, &[super::PatchOp::Replace])?;
        *slot = Some(value(op)?.to_string());
    }
    Ok(update)
}

/// UpdateResource on a definition: reads the batch and applies it with the tree rules.
pub fn patch_resource(
    definition: &mut ApiDefinition,
    resource_id: &str,
    ops: &[PatchOperation],
) -> Result<(), AdminError> {
    let update = apply_resource_patch(ops)?;
    definition.update_resource(
        resource_id,
        update.path_part.as_deref(),
        update.parent_id.as_deref(),
    )
}

#[cfg(test)]
#[path = "rest_api_tests.rs"]
mod tests;
