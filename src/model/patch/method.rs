//! UpdateMethod and UpdateMethodResponse patch operations (model.md §4, §7).

use super::values::{
    apply_list_item, apply_map_entry, flag_value, invalid_path_short, map_key, only_replace_short,
    parse_bool_lenient, segments, set_optional, string_value,
};
use super::{PatchOp, PatchOperation};
use crate::model::validate::validate_request_parameters;
use crate::model::{AdminError, AuthorizationType, AuthorizationTypeValue, Method, MethodResponse};

/// Applies UpdateMethod patch operations; the whole batch or nothing. References to
/// authorizers, validators and models are checked by `validate::validate_method` (it needs
/// the API), which the engine runs on the result.
///
/// AWS's words and leniencies (AWS-recorded, localstack `test_update_method_validation`): an
/// unknown path is `Invalid patch path {path}`; `add` on a scalar is `Invalid patch operation
/// specified. Must be one of: [replace]`; `apiKeyRequired` reads anything but `true` as false;
/// an `authorizerId` on a method whose authorization is neither CUSTOM nor COGNITO_USER_POOLS
/// is dropped.
pub fn apply_method_patch(method: &mut Method, ops: &[PatchOperation]) -> Result<(), AdminError> {
    let mut next = method.clone();
    for op in ops {
        apply_method_op(&mut next, op)?;
    }
    validate_request_parameters(&next.request_parameters)?;
    if !matches!(
        next.authorization_type.kind(),
        AuthorizationType::Custom | AuthorizationType::CognitoUserPools
    ) {
        next.authorizer_id = None;
    }
    *method = next;
    Ok(())
}

/// A scalar member: `replace` sets it, `remove` clears it (unverified), `add` is refused.
fn scalar(op: &PatchOperation) -> Result<(), AdminError> {
    match op.op {
        PatchOp::Replace | PatchOp::Remove => Ok(()),
        _ => Err(only_replace_short()),
    }
}

fn apply_method_op(method: &mut Method, op: &PatchOperation) -> Result<(), AdminError> {
    let segs = segments(op)?;
    match segs.as_slice() {
        ["authorizationType"] => {
            scalar(op)?;
            let v = string_value(op)?;
            method.authorization_type = AuthorizationTypeValue::parse(&v)
                .ok_or_else(|| AdminError::bad_request(AuthorizationTypeValue::invalid(&v)))?;
            Ok(())
        }
        ["authorizerId"] => {
            scalar(op)?;
            set_optional(op, &mut method.authorizer_id)
        }
        ["apiKeyRequired"] => {
            scalar(op)?;
            method.api_key_required = parse_bool_lenient(op);
            Ok(())
        }
        ["requestValidatorId"] => {
            scalar(op)?;
            set_optional(op, &mut method.request_validator_id)
        }
        ["operationName"] => {
            scalar(op)?;
            set_optional(op, &mut method.operation_name)
        }
        ["authorizationScopes"] => apply_list_item(&mut method.authorization_scopes, op, None),
        ["authorizationScopes", rest @ ..] => {
            apply_list_item(&mut method.authorization_scopes, op, Some(map_key(rest)))
        }
        ["requestParameters", key] => apply_map_entry(
            &mut method.request_parameters,
            op,
            map_key(&[key]),
            flag_value,
        ),
        // The content type must be one segment, its `/` escaped as `~1`.
        ["requestModels", key] => apply_map_entry(
            &mut method.request_models,
            op,
            map_key(&[key]),
            string_value,
        ),
        _ => Err(invalid_path_short(&op.path)),
    }
}

/// Applies UpdateMethodResponse patch operations; the whole batch or nothing. AWS's words
/// (AWS-recorded, localstack `test_update_method_wrong_param_names`,
/// `test_update_method_lack_response_parameters_and_models`): replacing or removing a
/// parameter that is not there is 404 `Invalid parameter name specified`, a model `Content-Type
/// specified was not found`; an unknown path is `Invalid patch path {path}`.
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
                if op.op != PatchOp::Add && !next.response_parameters.contains_key(&key) {
                    return Err(AdminError::not_found("Invalid parameter name specified"));
                }
                if !key.starts_with("method.response.header.") {
                    return Err(AdminError::bad_request(format!(
                        "Invalid response parameter specified: {key}. Must be method.response.header.{{name}}"
                    )));
                }
                next.parameters_sent_empty = false;
                apply_map_entry(&mut next.response_parameters, op, key, flag_value)?
            }
            ["responseModels", rest @ ..] if !rest.is_empty() => {
                let key = map_key(rest);
                if op.op != PatchOp::Add && !next.response_models.contains_key(&key) {
                    return Err(AdminError::not_found(
                        "Content-Type specified was not found",
                    ));
                }
                next.models_sent_empty = false;
                apply_map_entry(&mut next.response_models, op, key, string_value)?
            }
            _ => return Err(invalid_path_short(&op.path)),
        }
    }
    *response = next;
    Ok(())
}

#[cfg(test)]
#[path = "method_tests.rs"]
mod tests;
