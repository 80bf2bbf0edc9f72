use super::*;
use crate::model::{ConnectionType, IntegrationType, PassthroughBehavior, PatchOperation as Op};

fn http() -> Integration {
    Integration {
        integration_type: IntegrationType::Http,
        http_method: Some("GET".into()),
        uri: Some("https://example.com/pets".into()),
        ..Integration::default()
    }
}

fn failing(i: &mut Integration, ops: &[Op]) -> String {
    let before = i.clone();
    let err = apply_integration_patch(i, ops).unwrap_err();
    assert_eq!(
        *i, before,
        "a failing batch must leave the integration unchanged"
    );
    err.message().to_string()
}

#[test]
fn integration_paths() {
    let mut i = http();
    apply_integration_patch(
        &mut i,
        &[
            Op::replace("/uri", "http://${stageVariables.host}:8080/pets/{id}"),
            Op::replace("/httpMethod", "post"),
            Op::replace("/credentials", "arn:aws:iam::123:role/r"),
            Op::replace("/connectionType", "VPC_LINK"),
            Op::replace("/connectionId", "${stageVariables.link}"),
            Op::replace("/passthroughBehavior", "NEVER"),
            Op::replace("/contentHandling", "CONVERT_TO_TEXT"),
            Op::replace("/timeoutInMillis", "50"),
            Op::replace("/cacheNamespace", "ns"),
            Op::add("/cacheKeyParameters/method.request.path.id", ""),
            Op::add(
                "/requestParameters/integration.request.path.id",
                "method.request.path.id",
            ),
            Op::add(
                "/requestTemplates/application~1json",
                "{\"id\": \"$input.params('id')\"}",
            ),
            Op::replace("/tlsConfig/insecureSkipVerification", "true"),
        ],
    )
    .unwrap();
    assert_eq!(i.http_method.as_deref(), Some("POST"));
    assert_eq!(i.connection_type, Some(ConnectionType::VpcLink));
    assert_eq!(i.passthrough_behavior, PassthroughBehavior::Never);
    assert_eq!(i.content_handling, Some(ContentHandling::ConvertToText));
    assert_eq!(i.timeout_in_millis, 50);
    assert_eq!(i.cache_key_parameters, ["method.request.path.id"]);
    assert_eq!(
        i.request_parameters["integration.request.path.id"],
        "method.request.path.id"
    );
    assert!(i.request_templates.contains_key("application/json"));
    assert!(i.tls_config.as_ref().unwrap().insecure_skip_verification);
    apply_integration_patch(
        &mut i,
        &[
            Op::remove("/contentHandling"),
            Op::remove("/cacheKeyParameters/method.request.path.id"),
            Op::remove("/requestTemplates/application~1json"),
            Op::remove("/credentials"),
        ],
    )
    .unwrap();
    assert_eq!(i.content_handling, None);
    assert!(i.cache_key_parameters.is_empty() && i.request_templates.is_empty());
    assert_eq!(i.credentials, None);
}

#[test]
fn integration_errors() {
    let mut i = http();
    assert_eq!(
        failing(&mut i, &[Op::replace("/timeoutInMillis", "29001")]),
        "Timeout should be between 50 ms and 29000 ms"
    );
    assert_eq!(
        failing(&mut i, &[Op::replace("/timeoutInMillis", "49")]),
        "Timeout should be between 50 ms and 29000 ms"
    );
    assert_eq!(
        failing(&mut i, &[Op::replace("/uri", "ftp://example.com")]),
        "Invalid HTTP endpoint specified for URI"
    );
    assert!(
        failing(&mut i, &[Op::replace("/passthroughBehavior", "SOMETIMES")])
            .contains("WHEN_NO_MATCH")
    );
    assert!(
        failing(&mut i, &[Op::replace("/contentHandling", "BASE64")]).contains("CONVERT_TO_BINARY")
    );
    assert!(
        failing(
            &mut i,
            &[Op::add("/requestParameters/method.request.path.id", "x")]
        )
        .starts_with("Invalid mapping expression specified")
    );
    assert!(
        failing(&mut i, &[Op::replace("/type", "MOCK")]).starts_with("Invalid patch path  '/type'")
    );
    assert!(
        failing(
            &mut i,
            &[
                Op::replace("/timeoutInMillis", "100"),
                Op::replace("/httpMethod", "FETCH")
            ]
        )
        .starts_with("Invalid HttpMethod specified")
    );
}

#[test]
fn integration_response_paths() {
    let mut r = IntegrationResponse {
        status_code: "200".into(),
        ..IntegrationResponse::default()
    };
    apply_integration_response_patch(
        &mut r,
        &[
            Op::replace("/selectionPattern", "4\\d{2}"),
            Op::replace("/contentHandling", "CONVERT_TO_BINARY"),
            Op::add(
                "/responseParameters/method.response.header.X-Id",
                "integration.response.header.id",
            ),
            Op::add("/responseTemplates/application~1xml", "<a/>"),
        ],
    )
    .unwrap();
    assert_eq!(r.selection_pattern.as_deref(), Some("4\\d{2}"));
    assert_eq!(r.content_handling, Some(ContentHandling::ConvertToBinary));
    assert_eq!(
        r.response_parameters["method.response.header.X-Id"],
        "integration.response.header.id"
    );
    assert_eq!(r.response_templates["application/xml"], "<a/>");
    let before = r.clone();
    let err = apply_integration_response_patch(
        &mut r,
        &[
            Op::remove("/selectionPattern"),
            Op::add("/responseParameters/integration.response.header.x", "'a'"),
        ],
    )
    .unwrap_err();
    assert!(
        err.message()
            .starts_with("Invalid mapping expression specified")
    );
    assert_eq!(r, before);
    let err =
        apply_integration_response_patch(&mut r, &[Op::replace("/statusCode", "500")]).unwrap_err();
    assert!(
        err.message()
            .starts_with("Invalid patch path  '/statusCode' specified for op 'replace'")
    );
}
