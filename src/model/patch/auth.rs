//! UpdateAuthorizer, UpdateRequestValidator, UpdateModel and UpdateGatewayResponse patch
//! operations (model.md §12–§14).

use super::PatchOperation;
use super::values::{
    SET, apply_list_item, apply_map_entry, expect_ops, invalid_path, map_key, parse_bool,
    parse_enum, parse_int, segments, set_optional, string_value, value,
};
use crate::model::validate::{validate_model, validate_request_validator};
use crate::model::{AdminError, Authorizer, GatewayResponse, Model, RequestValidator};

const AUTHORIZER_PATHS: &[&str] = &[
    "/name",
    "/type",
    "/authorizerUri",
    "/authorizerCredentials",
    "/identitySource",
    "/identityValidationExpression",
    "/authorizerResultTtlInSeconds",
    "/authType",
    "/providerARNs",
];

/// Longest authorizer result TTL (model.md §12).
pub const MAX_AUTHORIZER_TTL: i64 = 3600;

/// Applies UpdateAuthorizer patch operations, then validates the result; all or nothing.
pub fn apply_authorizer_patch(
    authorizer: &mut Authorizer,
    ops: &[PatchOperation],
) -> Result<(), AdminError> {
    let mut next = authorizer.clone();
    for op in ops {
        let segs = segments(op)?;
        match segs.as_slice() {
            ["name"] => {
                expect_ops(op, SET)?;
                next.name = value(op)?.to_string();
            }
            ["type"] => {
                expect_ops(op, SET)?;
                next.authorizer_type = parse_enum(
                    op,
                    &["TOKEN", "REQUEST", "COGNITO_USER_POOLS"],
                    "authorizer type",
                )?;
            }
            ["authorizerUri"] => set_optional(op, &mut next.authorizer_uri)?,
            ["authorizerCredentials"] => set_optional(op, &mut next.authorizer_credentials)?,
            ["identitySource"] => set_optional(op, &mut next.identity_source)?,
            ["identityValidationExpression"] => {
                set_optional(op, &mut next.identity_validation_expression)?
            }
            ["authType"] => set_optional(op, &mut next.auth_type)?,
            ["authorizerResultTtlInSeconds"] => {
                next.authorizer_result_ttl_in_seconds = match op.op {
                    super::PatchOp::Remove => None,
                    _ => {
                        expect_ops(op, SET)?;
                        Some(parse_int(
                            op,
                            0,
                            MAX_AUTHORIZER_TTL,
                            "Authorizer result TTL must be between 0 and 3600 seconds",
                        )?)
                    }
                };
            }
            ["providerARNs"] => apply_list_item(&mut next.provider_a_r_ns, op, None)?,
            ["providerARNs", rest @ ..] => {
                apply_list_item(&mut next.provider_a_r_ns, op, Some(map_key(rest)))?
            }
            _ => return Err(invalid_path(op, AUTHORIZER_PATHS)),
        }
    }
    crate::model::validate::validate_authorizer(&next)?;
    *authorizer = next;
    Ok(())
}

/// AWS's order (AWS-recorded, `test_invalid_update_request_validator_operations`).
const VALIDATOR_PATHS: &[&str] = &[
    "/name",
    "/validateRequestParameters",
    "/validateRequestBody",
];

/// Applies UpdateRequestValidator patch operations; all or nothing.
pub fn apply_request_validator_patch(
    validator: &mut RequestValidator,
    ops: &[PatchOperation],
) -> Result<(), AdminError> {
    let mut next = validator.clone();
    for op in ops {
        // Only `replace`, and a missing name is a blank one (AWS-recorded,
        // `test_invalid_update_request_validator_operations`).
        expect_ops(op, &[crate::model::PatchOp::Replace])?;
        let segs = segments(op)?;
        match segs.as_slice() {
            ["name"] => next.name = op.value.clone().unwrap_or_default(),
            ["validateRequestBody"] => next.validate_request_body = parse_bool(op)?,
            ["validateRequestParameters"] => next.validate_request_parameters = parse_bool(op)?,
            _ => return Err(invalid_path(op, VALIDATOR_PATHS)),
        }
    }
    validate_request_validator(&next)?;
    *validator = next;
    Ok(())
}

const MODEL_PATHS: &[&str] = &["/description", "/schema"];

/// Applies UpdateModel patch operations (name and content type are fixed at creation); the
/// new schema is validated like CreateModel's.
pub fn apply_model_patch(model: &mut Model, ops: &[PatchOperation]) -> Result<(), AdminError> {
    let mut next = model.clone();
    let mut schema_changed = false;
    for op in ops {
        // AWS's wordings, two spaces included (AWS-recorded, localstack `test_update_model`).
        if op.op != crate::model::PatchOp::Replace {
            return Err(AdminError::bad_request(format!(
                "Invalid patch path  '{}' specified for op '{}'. Please choose supported operations",
                op.path, op.op
            )));
        }
        let segs = segments(op)?;
        match segs.as_slice() {
            ["description"] => set_optional(op, &mut next.description)?,
            ["schema"] => {
                next.schema = Some(value(op)?.to_string());
                schema_changed = true;
            }
            _ => {
                return Err(AdminError::bad_request(format!(
                    "Invalid patch path  '{}' specified for op '{}'. Must be one of: [{}]",
                    op.path,
                    op.op,
                    MODEL_PATHS.join(", ")
                )));
            }
        }
    }
    if schema_changed {
        validate_model(&next)?;
    }
    if next.description.as_deref() == Some("") {
        next.description = None;
    }
    *model = next;
    Ok(())
}

/// Applies UpdateGatewayResponse patch operations to the effective response (the default one
/// when it was not customised); the result is customised (`defaultResponse: false`).
pub fn apply_gateway_response_patch(
    response: &mut GatewayResponse,
    ops: &[PatchOperation],
) -> Result<(), AdminError> {
    let mut next = response.clone();
    for op in ops {
        // AWS's rules, recorded (localstack `test_update_gateway_response`): `/statusCode` is
        // replaced only; a replace needs a value; a replaced parameter must exist; any other
        // path is refused naming it.
        let invalid = || AdminError::bad_request(format!("Invalid patch path {}", op.path));
        let segs = segments(op).map_err(|_| invalid())?;
        if op.op == crate::model::PatchOp::Replace && op.value.is_none() {
            match segs.first() {
                Some(&"responseParameters") => {
                    return Err(AdminError::bad_request(
                        "Invalid null or empty value in responseParameters",
                    ));
                }
                Some(&"responseTemplates") => {
                    return Err(AdminError::bad_request(
                        "Invalid null or empty value in responseTemplates",
                    ));
                }
                _ => {}
            }
        }
        match segs.as_slice() {
            ["statusCode"] if op.op != crate::model::PatchOp::Replace => return Err(invalid()),
            ["responseParameters", rest @ ..]
                if op.op == crate::model::PatchOp::Replace
                    && !rest.is_empty()
                    && !next.response_parameters.contains_key(&map_key(rest)) =>
            {
                return Err(AdminError::not_found("Invalid parameter name specified"));
            }
            ["statusCode"] => {
                set_optional(op, &mut next.status_code)?;
                if let Some(code) = next.status_code.as_deref() {
                    crate::model::validate::validate_status_code(code)?;
                }
            }
            ["responseParameters", rest @ ..] if !rest.is_empty() => apply_map_entry(
                &mut next.response_parameters,
                op,
                map_key(rest),
                string_value,
            )?,
            ["responseTemplates", rest @ ..] if !rest.is_empty() => apply_map_entry(
                &mut next.response_templates,
                op,
                map_key(rest),
                string_value,
            )?,
            _ => return Err(invalid()),
        }
    }
    crate::model::validate::validate_gateway_response(&next)?;
    next.default_response = false;
    *response = next;
    Ok(())
}
