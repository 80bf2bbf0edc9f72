use super::*;
use crate::model::{AuthorizationType, PatchOperation as Op};

fn fails<T: Clone + PartialEq + std::fmt::Debug>(
    target: &mut T,
    apply: impl Fn(&mut T) -> Result<(), AdminError>,
) -> String {
    let before = target.clone();
    let err = apply(target).unwrap_err();
    assert_eq!(
        *target, before,
        "a failing batch must leave the target unchanged"
    );
    err.message().to_string()
}

#[test]
fn method_paths() {
    let mut m = Method {
        http_method: "GET".into(),
        ..Method::default()
    };
    apply_method_patch(
        &mut m,
        &[
            Op::replace("/authorizationType", "cognito_user_pools"),
            Op::replace("/authorizerId", "auth1"),
            Op::replace("/apiKeyRequired", "true"),
            Op::replace("/requestValidatorId", "val1"),
            Op::replace("/operationName", "GetPet"),
            Op::add("/authorizationScopes", "read"),
            Op::add("/authorizationScopes", "write"),
            Op::add("/requestParameters/method.request.querystring.q", "true"),
            Op::add("/requestParameters/method.request.header.x-id", ""),
            Op::add("/requestModels/application~1json", "Pet"),
        ],
    )
    .unwrap();
    assert_eq!(m.authorization_type, AuthorizationType::CognitoUserPools);
    assert_eq!(m.authorizer_id.as_deref(), Some("auth1"));
    assert!(m.api_key_required);
    assert_eq!(m.request_validator_id.as_deref(), Some("val1"));
    assert_eq!(m.operation_name.as_deref(), Some("GetPet"));
    assert_eq!(m.authorization_scopes, ["read", "write"]);
    assert!(m.request_parameters["method.request.querystring.q"]);
    assert!(!m.request_parameters["method.request.header.x-id"]);
    assert_eq!(m.request_models["application/json"], "Pet");

    let mut remove_scope = Op::remove("/authorizationScopes");
    remove_scope.value = Some("read".into());
    apply_method_patch(
        &mut m,
        &[
            remove_scope,
            Op::remove("/requestParameters/method.request.querystring.q"),
            Op::remove("/requestModels/application~1json"),
            Op::remove("/authorizerId"),
        ],
    )
    .unwrap();
    assert_eq!(m.authorization_scopes, ["write"]);
    assert!(
        !m.request_parameters
            .contains_key("method.request.querystring.q")
    );
    assert!(m.request_models.is_empty());
    assert_eq!(m.authorizer_id, None);
}

#[test]
fn method_errors() {
    let mut m = Method::default();
    let msg = fails(&mut m, |m| {
        apply_method_patch(
            m,
            &[
                Op::add("/requestParameters/method.request.path.id", "true"),
                Op::add("/requestParameters/method.request.querystring.id", "false"),
            ],
        )
    });
    assert_eq!(
        msg,
        "Parameter names must be unique across querystring, header and path"
    );
    let msg = fails(&mut m, |m| {
        apply_method_patch(
            m,
            &[Op::add("/requestParameters/method.request.body.x", "true")],
        )
    });
    assert!(
        msg.starts_with("Invalid method request parameter specified"),
        "{msg}"
    );
    let msg = fails(&mut m, |m| {
        apply_method_patch(m, &[Op::replace("/authorizationType", "JWT")])
    });
    assert!(
        msg.contains("NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS"),
        "{msg}"
    );
    let msg = fails(&mut m, |m| {
        apply_method_patch(m, &[Op::replace("/httpMethod", "PUT")])
    });
    assert!(msg == "Invalid patch path /httpMethod");
    // AWS reads anything but `true` as false, and takes only `replace` on a scalar.
    apply_method_patch(&mut m, &[Op::replace("/apiKeyRequired", "1")]).unwrap();
    assert!(!m.api_key_required);
    let msg = fails(&mut m, |m| {
        apply_method_patch(m, &[Op::add("/operationName", "op")])
    });
    assert_eq!(
        msg,
        "Invalid patch operation specified. Must be one of: [replace]"
    );
    let msg = fails(&mut m, |m| {
        apply_method_patch(m, &[Op::add("/requestModels/application/json", "Empty")])
    });
    assert_eq!(msg, "Invalid patch path /requestModels/application/json");
}

#[test]
fn an_authorizer_id_on_a_method_without_an_authorizer_is_dropped() {
    let mut m = Method {
        http_method: "GET".into(),
        ..Method::default()
    };
    apply_method_patch(&mut m, &[Op::replace("/authorizerId", "abc123")]).unwrap();
    assert_eq!(m.authorizer_id, None);
    apply_method_patch(
        &mut m,
        &[
            Op::replace("/authorizationType", "CUSTOM"),
            Op::replace("/authorizerId", "abc123"),
        ],
    )
    .unwrap();
    assert_eq!(m.authorizer_id.as_deref(), Some("abc123"));
}

#[test]
fn method_response_paths() {
    let mut r = MethodResponse {
        status_code: "200".into(),
        ..MethodResponse::default()
    };
    apply_method_response_patch(
        &mut r,
        &[
            Op::add("/responseParameters/method.response.header.X-Id", "true"),
            Op::add("/responseModels/application~1json", "Empty"),
        ],
    )
    .unwrap();
    assert!(r.response_parameters["method.response.header.X-Id"]);
    assert_eq!(r.response_models["application/json"], "Empty");
    apply_method_response_patch(&mut r, &[Op::remove("/responseModels/application~1json")])
        .unwrap();
    assert!(r.response_models.is_empty());
    let msg = fails(&mut r, |r| {
        apply_method_response_patch(r, &[Op::add("/responseParameters/header.X", "true")])
    });
    assert!(msg.starts_with("Invalid response parameter specified"));
    // Replacing or removing what is not there is AWS's 404.
    let err = apply_method_response_patch(
        &mut r,
        &[Op::remove(
            "/responseParameters/method.response.header.Nope",
        )],
    )
    .unwrap_err();
    assert_eq!(
        (err.status(), err.message()),
        (404, "Invalid parameter name specified")
    );
    let err = apply_method_response_patch(
        &mut r,
        &[Op::replace("/responseModels/text~1plain", "Empty")],
    )
    .unwrap_err();
    assert_eq!(
        (err.status(), err.message()),
        (404, "Content-Type specified was not found")
    );
    let msg = fails(&mut r, |r| {
        apply_method_response_patch(r, &[Op::replace("/statusCode", "201")])
    });
    assert!(msg == "Invalid patch path /statusCode");
}
