//! Shared pieces of the appliers: path splitting, op checks, strict value parsing and the
//! error messages, so every entity reports problems the same way.

use indexmap::IndexMap;

use super::{PatchOp, PatchOperation, unescape_segment};
use crate::model::AdminError;

/// The raw (still escaped) segments of `op.path` after the leading `/`.
pub(super) fn segments(op: &PatchOperation) -> Result<Vec<&str>, AdminError> {
    match op.path.strip_prefix('/') {
        Some(rest) if !rest.is_empty() => Ok(rest.split('/').collect()),
        _ => Err(AdminError::bad_request(format!(
            "Invalid patch path '{}' specified for op '{}'. A path must start with '/'",
            op.path, op.op
        ))),
    }
}

/// A map key from the segments after the field name: each unescaped, joined with `/`, so both
/// `application~1json` and the unescaped `application/json` give `application/json`.
pub(super) fn map_key(rest: &[&str]) -> String {
    rest.iter()
        .map(|s| unescape_segment(s))
        .collect::<Vec<_>>()
        .join("/")
}

/// The error for a path the entity does not have, in AWS's words (two spaces included;
/// AWS-recorded for resources, request validators, documentation parts, models and API keys:
/// localstack `test_update_resource_behaviour`, `test_invalid_update_request_validator_operations`,
/// `test_invalid_update_documentation_part`, `test_update_model`,
/// `test_update_api_key_immutable_field`).
pub(super) fn invalid_path(op: &PatchOperation, valid: &[&str]) -> AdminError {
    AdminError::bad_request(format!(
        "Invalid patch path  '{}' specified for op '{}'. Must be one of: [{}]",
        op.path,
        op.op,
        valid.join(", ")
    ))
}

/// The shorter form AWS uses for methods, method responses, REST APIs and gateway responses
/// (AWS-recorded, `test_update_method_validation`, `test_update_gateway_response`).
pub(crate) fn invalid_path_short(path: &str) -> AdminError {
    AdminError::bad_request(format!("Invalid patch path {path}"))
}

/// An op the path does not take, in the short form of `invalid_path_short`.
pub(crate) fn only_replace_short() -> AdminError {
    AdminError::bad_request("Invalid patch operation specified. Must be one of: [replace]")
}

/// Fails unless `op.op` is one of `allowed`, in AWS's words (AWS-recorded, as `invalid_path`).
pub(super) fn expect_ops(op: &PatchOperation, allowed: &[PatchOp]) -> Result<(), AdminError> {
    if allowed.contains(&op.op) {
        return Ok(());
    }
    Err(AdminError::bad_request(format!(
        "Invalid patch path  '{}' specified for op '{}'. Please choose supported operations",
        op.path, op.op
    )))
}

/// Ops that set a scalar (JSON-Patch `add` on an existing member replaces it).
pub(super) const SET: &[PatchOp] = &[PatchOp::Replace, PatchOp::Add];
/// Ops on an optional scalar.
pub(super) const SET_OR_REMOVE: &[PatchOp] = &[PatchOp::Replace, PatchOp::Add, PatchOp::Remove];

/// The value, which the op must carry.
pub(super) fn value(op: &PatchOperation) -> Result<&str, AdminError> {
    op.value.as_deref().ok_or_else(|| {
        AdminError::bad_request(format!(
            "Invalid patch operation '{}' on path '{}': a value is required",
            op.op, op.path
        ))
    })
}

/// Sets an optional string: `remove` (or no value) clears it.
pub(super) fn set_optional(
    op: &PatchOperation,
    field: &mut Option<String>,
) -> Result<(), AdminError> {
    expect_ops(op, SET_OR_REMOVE)?;
    *field = match op.op {
        PatchOp::Remove => None,
        _ => op.value.clone(),
    };
    Ok(())
}

/// Parses `true`/`false` (ASCII case-insensitive), nothing else.
pub(super) fn parse_bool(op: &PatchOperation) -> Result<bool, AdminError> {
    let v = value(op)?;
    if v.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if v.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(AdminError::bad_request(format!(
            "Invalid boolean value '{v}' for '{}'. Must be true or false",
            op.path
        )))
    }
}

/// Reads a boolean as AWS does for some members (Java's `Boolean.parseBoolean`): `true`
/// (any case) is true, anything else false (AWS-recorded, `test_update_method_validation`
/// `wrong-value-type`, `test_update_api_key_invalid_enabled_type`).
pub(super) fn parse_bool_lenient(op: &PatchOperation) -> bool {
    op.value
        .as_deref()
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Parses an integer in `min..=max`; `message` is the out-of-range (and unparsable) error.
pub(super) fn parse_int(
    op: &PatchOperation,
    min: i64,
    max: i64,
    message: &str,
) -> Result<i64, AdminError> {
    let v = value(op)?;
    match v.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(_) => Err(AdminError::bad_request(message)),
        Err(_) => Err(AdminError::bad_request(format!(
            "Invalid integer value '{v}' for '{}'. {message}",
            op.path
        ))),
    }
}

/// Parses a finite number in `min..=max`.
pub(super) fn parse_f64(
    op: &PatchOperation,
    min: f64,
    max: f64,
    message: &str,
) -> Result<f64, AdminError> {
    let v = value(op)?;
    match v.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n >= min && n <= max => Ok(n),
        Ok(_) => Err(AdminError::bad_request(message)),
        Err(_) => Err(AdminError::bad_request(format!(
            "Invalid number value '{v}' for '{}'. {message}",
            op.path
        ))),
    }
}

/// `add`/`replace` insert `parse(op)` under `key`; `remove` deletes it (a missing key is not an
/// error, as on AWS for map entries).
pub(super) fn apply_map_entry<V>(
    map: &mut IndexMap<String, V>,
    op: &PatchOperation,
    key: String,
    parse: impl FnOnce(&PatchOperation) -> Result<V, AdminError>,
) -> Result<(), AdminError> {
    expect_ops(op, SET_OR_REMOVE)?;
    if key.is_empty() {
        return Err(AdminError::bad_request(format!(
            "Invalid patch path '{}' specified for op '{}': the key is empty",
            op.path, op.op
        )));
    }
    if op.op == PatchOp::Remove {
        map.shift_remove(&key);
    } else {
        let v = parse(op)?;
        map.insert(key, v);
    }
    Ok(())
}

/// The value of an op on a string map; a missing value is stored as the empty string.
pub(super) fn string_value(op: &PatchOperation) -> Result<String, AdminError> {
    Ok(op.value.clone().unwrap_or_default())
}

/// The value of an op on a `required` flag map (`method.request.header.x` → bool); a missing
/// value means not required, as AWS treats it.
pub(super) fn flag_value(op: &PatchOperation) -> Result<bool, AdminError> {
    match op.value.as_deref() {
        None | Some("") => Ok(false),
        Some(_) => parse_bool(op),
    }
}

/// `add value` appends to a list (no duplicates); `remove` with a value drops that item, or with
/// the item in the path (`/list/{item}`) drops it; `replace /list/{old}` with a value swaps it.
pub(super) fn apply_list_item(
    list: &mut Vec<String>,
    op: &PatchOperation,
    item_in_path: Option<String>,
) -> Result<(), AdminError> {
    expect_ops(op, SET_OR_REMOVE)?;
    match (op.op, item_in_path) {
        (PatchOp::Remove, Some(item)) => list.retain(|x| *x != item),
        (PatchOp::Remove, None) => match op.value.as_deref() {
            Some(v) => list.retain(|x| x != v),
            None => list.clear(),
        },
        // AWS drops the old item and appends the new one (AWS-recorded,
        // `test_update_rest_api_operation_add_remove`: [png, jpeg] → [jpeg, gif]).
        (PatchOp::Replace, Some(old)) => {
            let new = value(op)?.to_string();
            if !list.contains(&old) {
                return Err(AdminError::bad_request(format!(
                    "Invalid patch path '{}' specified for op 'replace': '{old}' is not in the list",
                    op.path
                )));
            }
            list.retain(|x| *x != old);
            list.push(new);
            dedup(list);
        }
        // The item is the path's last segment, whatever the value says: AWS adds `-` for
        // `add /binaryMediaTypes/-` (AWS-recorded, `test_update_rest_api_behaviour`).
        (_, Some(item)) => {
            if !list.contains(&item) {
                list.push(item);
            }
        }
        (_, None) => {
            let v = value(op)?.to_string();
            if !list.contains(&v) {
                list.push(v);
            }
        }
    }
    Ok(())
}

fn dedup(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|x| seen.insert(x.clone()));
}

/// Parses an AWS enum value (`names` are its wire names, also used in the error).
pub(super) fn parse_enum<T: serde::de::DeserializeOwned>(
    op: &PatchOperation,
    names: &[&str],
    what: &str,
) -> Result<T, AdminError> {
    let v = value(op)?;
    let wire = v.to_ascii_uppercase();
    if names.contains(&wire.as_str())
        && let Ok(parsed) = serde_json::from_value(serde_json::Value::String(wire))
    {
        return Ok(parsed);
    }
    Err(AdminError::bad_request(format!(
        "Invalid {what} specified: '{v}'. Must be one of: [{}]",
        names.join(", ")
    )))
}
