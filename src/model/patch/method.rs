//! UpdateMethod and UpdateMethodResponse patch operations (model.md §4, §7).

use super::PatchOperation;
use super::values::{
    SET, apply_list_item, apply_map_entry, expect_ops, flag_value, invalid_path, map_key,
    parse_bool, segments, set_optional, string_value,
};
use crate::model::validate::validate_request_parameters;
use crate::model::{AdminError, AuthorizationTypeValue, Method, MethodResponse};

const METHOD_PATHS: &[&str] = &[
    "/authorizationType",
    "/authorizerId",
    "/apiKeyRequired",
    "/requestValidatorId",
    "/operationName",
    "/authorizationScopes",
    "/requestParameters/{key}",
    "/requestModels/{contentType}",
];

/// Applies UpdateMethod patch operations; the whole batch or nothing. References to
/// authorizers, validators and models are checked by `validate::validate_method` (it needs
/// the API), which the engine runs on the result.
pub fn apply_method_patch(method: &mut Method, ops: &[PatchOperation]) -> Result<(), AdminError> {
    let mut next = method.clone();
    for op in ops {
        apply_method_op(&mut next, op)?;
    }
    validate_request_parameters(&next.request_parameters)?;
    *method = next;
    Ok(())
}

fn apply_method_op(method: &mut Method, op: &PatchOperation) -> Result<(), AdminError> {
    let segs = segments(op)?;
    match segs.as_slice() {
        ["authorizationType"] => {
            expect_ops(op, SET)?;
            let v = string_value(op)?;
            method.authorization_type = AuthorizationTypeValue::parse(&v)
                .ok_or_else(|| AdminError::bad_request(AuthorizationTypeValue::invalid(&v)))?;
            Ok(())
        }
        ["authorizerId"] => set_optional(op, &mut method.authorizer_id),
        ["apiKeyRequired"] => {
            expect_ops(op, SET)?;
            method.api_key_required = parse_bool(op)?;
            Ok(())
        }
        ["requestValidatorId"] => set_optional(op, &mut method.request_validator_id),
        ["operationName"] => set_optional(op, &mut method.operation_name),
        ["authorizationScopes"] => apply_list_item(&mut method.authorization_scopes, op, None),
        ["authorizationScopes", rest @ ..] => {
            apply_list_item(&mut method.authorization_scopes, op, Some(map_key(rest)))
        }
        ["requestParameters", rest @ ..] if !rest.is_empty() => apply_map_entry(
            &mut method.request_parameters,
            op,
            map_key(rest),
            flag_value,
        ),
        ["requestModels", rest @ ..] if !rest.is_empty() => {
            apply_map_entry(&mut method.request_models, op, map_key(rest), string_value)
        }
        _ => Err(invalid_path(op, METHOD_PATHS)),
    }
}

const METHOD_RESPONSE_PATHS: &[&str] =
    &["/responseParameters/{key}", "/responseModels/{contentType}"];

/// Applies UpdateMethodResponse patch operations; the whole batch or nothing.
pub fn apply_method_response_patch(
    response: &mut MethodResponse,
    ops: &[PatchOperation],
) -> Result<(), AdminError> {
    let mut next = response.clone();
    for op in ops {
        let segs = segments(op)?;
        match segs.as_slice() {
            ["responseParameters", rest @ ..] if !rest.is_empty() => {
                let key = map_key(rest);
                if !key.starts_with("method.response.header.") {
                    return Err(AdminError::bad_request(format!(
                        "Invalid response parameter specified: {key}. Must be method.response.header.{{name}}"
                    )));
                }
                next.parameters_sent_empty = false;
                apply_map_entry(&mut next.response_parameters, op, key, flag_value)?
            }
            ["responseModels", rest @ ..] if !rest.is_empty() => {
                next.models_sent_empty = false;
                apply_map_entry(&mut next.response_models, op, map_key(rest), string_value)?
            }
            _ => return Err(invalid_path(op, METHOD_RESPONSE_PATHS)),
        }
    }
    *response = next;
    Ok(())
}

#[cfg(test)]
#[path = "method_tests.rs"]
mod tests;
