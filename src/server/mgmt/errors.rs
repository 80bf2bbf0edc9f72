//! How AWS words a missing REST API: it depends on the operation, not only on the missing
//! identifier (AWS-recorded, localstack `test_apigateway_api.snapshot.json`): an operation on
//! something inside a resource says `Invalid Resource identifier specified`, one on a request
//! validator or documentation part names that, CreateRequestValidator answers 400 `Invalid
//! REST API identifier specified`, CreateAuthorizer a 409, and the rest
//! `Invalid API identifier specified {account}:{restApiId}`. The engine reports a missing API
//! one way ([`API_NOT_FOUND`]); this translates it for the route that was called.

use http::Method;

use crate::engine::ACCOUNT_ID;
use crate::model::AdminError;

/// The engine's message for a REST API id it does not know.
pub const API_NOT_FOUND: &str = "Invalid API identifier specified";

pub(super) fn for_route(err: AdminError, method: &Method, segs: &[&str]) -> AdminError {
    if !matches!(&err, AdminError::NotFound(m) if m == API_NOT_FOUND) {
        return err;
    }
    let ["restapis", api, rest @ ..] = segs else {
        return err;
    };
    match rest {
        ["resources", _, ..] => AdminError::not_found("Invalid Resource identifier specified"),
        ["requestvalidators"] if method == Method::POST => {
            AdminError::bad_request("Invalid REST API identifier specified")
        }
        ["requestvalidators", _] => {
            AdminError::not_found("Invalid Request Validator identifier specified")
        }
        ["documentation", "parts", _] if method != Method::DELETE => {
            AdminError::not_found("Invalid Documentation part identifier specified")
        }
        // A model's own operations name the model (AWS-recorded, localstack
        // `test_model_validation`, `test_update_model`).
        ["models", name] => AdminError::not_found(format!("Invalid model name specified: {name}")),
        ["authorizers"] if method == Method::POST => AdminError::conflict(
            "Unable to complete operation due to concurrent modification. Please try again later.",
        ),
        _ => AdminError::not_found(format!("{API_NOT_FOUND} {ACCOUNT_ID}:{api}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing() -> AdminError {
        AdminError::not_found(API_NOT_FOUND)
    }

    #[test]
    fn each_route_gets_the_recorded_wording() {
        let cases: &[(Method, &[&str], u16, &str)] = &[
            (
                Method::PATCH,
                &["restapis", "api_id"],
                404,
                "Invalid API identifier specified 123456789012:api_id",
            ),
            (
                Method::GET,
                &[
                    "restapis",
                    "x",
                    "resources",
                    "r",
                    "methods",
                    "GET",
                    "integration",
                ],
                404,
                "Invalid Resource identifier specified",
            ),
            (
                Method::POST,
                &["restapis", "x", "requestvalidators"],
                400,
                "Invalid REST API identifier specified",
            ),
            (
                Method::GET,
                &["restapis", "x", "requestvalidators"],
                404,
                "Invalid API identifier specified 123456789012:x",
            ),
            (
                Method::DELETE,
                &["restapis", "x", "requestvalidators", "v"],
                404,
                "Invalid Request Validator identifier specified",
            ),
            (
                Method::GET,
                &["restapis", "x", "documentation", "parts", "p"],
                404,
                "Invalid Documentation part identifier specified",
            ),
            (
                Method::DELETE,
                &["restapis", "x", "documentation", "parts", "p"],
                404,
                "Invalid API identifier specified 123456789012:x",
            ),
            (
                Method::POST,
                &["restapis", "x", "authorizers"],
                409,
                "Unable to complete operation due to concurrent modification. Please try again later.",
            ),
        ];
        for (method, segs, status, message) in cases {
            let e = for_route(missing(), method, segs);
            assert_eq!(
                (e.status(), e.message()),
                (*status, *message),
                "{method} {segs:?}"
            );
        }
        let other = AdminError::not_found("Invalid Method identifier specified");
        assert_eq!(
            for_route(other.clone(), &Method::GET, &["restapis", "x"]),
            other
        );
    }
}

/// The model's input name of the Update* operation a PATCH path calls (AWS names it in
/// validation messages: `updateRestApiInput.patchOperations.1.member.op`).
pub(super) fn update_input(segs: &[&str]) -> &'static str {
    match segs {
        ["account"] => "updateAccountInput",
        ["restapis", _] => "updateRestApiInput",
        ["restapis", _, "resources", _] => "updateResourceInput",
        ["restapis", _, "resources", _, "methods", _] => "updateMethodInput",
        ["restapis", _, "resources", _, "methods", _, "responses", _] => {
            "updateMethodResponseInput"
        }
        ["restapis", _, "resources", _, "methods", _, "integration"] => "updateIntegrationInput",
        [
            "restapis",
            _,
            "resources",
            _,
            "methods",
            _,
            "integration",
            "responses",
            _,
        ] => "updateIntegrationResponseInput",
        ["restapis", _, "stages", _] => "updateStageInput",
        ["restapis", _, "deployments", _] => "updateDeploymentInput",
        ["restapis", _, "authorizers", _] => "updateAuthorizerInput",
        ["restapis", _, "requestvalidators", _] => "updateRequestValidatorInput",
        ["restapis", _, "models", _] => "updateModelInput",
        ["restapis", _, "gatewayresponses", _] => "updateGatewayResponseInput",
        ["restapis", _, "documentation", "parts", _] => "updateDocumentationPartInput",
        ["restapis", _, "documentation", "versions", _] => "updateDocumentationVersionInput",
        ["usageplans", _] => "updateUsagePlanInput",
        ["usageplans", _, "keys", _, "usage"] => "updateUsageInput",
        ["apikeys", _] => "updateApiKeyInput",
        ["domainnames", _] => "updateDomainNameInput",
        ["domainnames", _, "basepathmappings", _] => "updateBasePathMappingInput",
        ["vpclinks", _] => "updateVpcLinkInput",
        _ => "updateInput",
    }
}

/// AWS's JSON-Patch operation names, in the order its validation message lists them.
const PATCH_OPS: &[&str] = &["add", "remove", "move", "test", "replace", "copy"];

/// A method or integration response status code outside AWS's pattern `[1-5]\d\d`, as AWS's
/// validation layer words it (AWS-recorded, `test_integration_response_invalid_statuscode`).
pub(super) fn status_code_violation(code: &str) -> Option<String> {
    let b = code.as_bytes();
    let valid =
        b.len() == 3 && (b'1'..=b'5').contains(&b[0]) && b[1..].iter().all(u8::is_ascii_digit);
    (!valid).then(|| {
        format!(
            "Value '{code}' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d"
        )
    })
}

/// Checks every `op` of a `patchOperations` list against the model's enum, reporting all
/// violations at once as AWS does (`N validation errors detected: ...; ...`), followed by
/// `extra` (a path member's violation, which AWS lists after the ops': AWS-recorded,
/// `test_update_method_response_negative_tests`).
pub(super) fn check_patch_ops(
    body: &serde_json::Value,
    input: &str,
    extra: Option<String>,
) -> Result<(), AdminError> {
    let ops = body
        .get("patchOperations")
        .and_then(|v| v.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    let problems: Vec<String> = ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| {
            let value = op.get("op")?.as_str()?;
            (!PATCH_OPS.contains(&value)).then(|| {
                format!(
                    "Value '{value}' at '{input}.patchOperations.{}.member.op' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                    i + 1,
                    PATCH_OPS.join(", ")
                )
            })
        })
        .chain(extra)
        .collect();
    match problems.len() {
        0 => Ok(()),
        1 => Err(AdminError::Validation(format!(
            "1 validation error detected: {}",
            problems[0]
        ))),
        n => Err(AdminError::Validation(format!(
            "{n} validation errors detected: {}",
            problems.join("; ")
        ))),
    }
}

#[cfg(test)]
mod patch_tests {
    use super::*;

    #[test]
    fn wrong_ops_are_all_reported_as_aws_does() {
        let body = serde_json::json!({"patchOperations": [
            {"op": "wrong", "path": "/a"}, {"op": "replace", "path": "/b"}, {"op": "wrong", "path": "/c"}
        ]});
        let e = check_patch_ops(&body, "updateRestApiInput", None).err();
        assert_eq!(
            e.as_ref().map(|e| (e.error_type(), e.message().to_string())),
            Some((
                "ValidationException",
                "2 validation errors detected: Value 'wrong' at 'updateRestApiInput.patchOperations.1.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]; Value 'wrong' at 'updateRestApiInput.patchOperations.3.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]".to_string()
            ))
        );
        assert_eq!(
            update_input(&["restapis", "a", "stages", "s"]),
            "updateStageInput"
        );
    }
}
