use super::*;
use crate::model::{Authorizer, MethodResponse, RestApi};

fn bad(r: Result<(), AdminError>) -> String {
    match r {
        Err(AdminError::BadRequest(m)) => m,
        other => panic!("expected BadRequest, got {other:?}"),
    }
}

#[test]
fn stage_names() {
    validate_stage_name("prod_v2-a").unwrap();
    validate_stage_name(&"a".repeat(128)).unwrap();
    for name in ["", "a b", "a.b", &"a".repeat(129)] {
        assert!(bad(validate_stage_name(name)).starts_with("Stage name only allows"));
    }
}

#[test]
fn stage_variables() {
    let mut v = IndexMap::new();
    v.insert(
        "url".to_string(),
        "https://x.example:8443/a?b=c&d=e#f,g~h".to_string(),
    );
    validate_stage_variables(&v).unwrap();
    v.insert("bad name".into(), "1".into());
    assert!(bad(validate_stage_variables(&v)).contains("'bad name'"));
}

fn integration(kind: IntegrationType, uri: &str) -> Integration {
    Integration {
        integration_type: kind,
        http_method: Some("POST".into()),
        uri: Some(uri.into()),
        ..Integration::default()
    }
}

#[test]
fn http_uris() {
    for ok in [
        "http://example.com",
        "https://example.com:443/a/{id}?q=1",
        "http://10.0.0.1:8080/x",
        "https://${stageVariables.host}/pets",
        "http://example.com:${stageVariables.port}/x",
        "http://[::1]:3000/x",
    ] {
        validate_integration(&integration(IntegrationType::Http, ok))
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for no in [
        "example.com",
        "ftp://x",
        "http://",
        "http://x:22/",
        "http://x:1024",
        "http://u@x/",
        "http://x:99999",
    ] {
        assert_eq!(
            bad(validate_integration(&integration(
                IntegrationType::HttpProxy,
                no
            ))),
            "Invalid HTTP endpoint specified for URI",
            "{no}"
        );
    }
}

#[test]
fn aws_uris() {
    let lambda = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123:function:f/invocations";
    validate_integration(&integration(IntegrationType::AwsProxy, lambda)).unwrap();
    validate_integration(&integration(IntegrationType::Aws, lambda)).unwrap();
    validate_integration(&integration(
        IntegrationType::Aws,
        "arn:aws:apigateway:us-east-1:sqs:action/SendMessage&QueueUrl=x",
    ))
    .unwrap();
    validate_integration(&integration(
        IntegrationType::AwsProxy,
        "arn:aws:apigateway:us-east-1:firehose:action/PutRecord",
    ))
    .unwrap();
    assert_eq!(
        bad(validate_integration(&integration(
            IntegrationType::Aws,
            "arn:aws:apigateway:us-east-1:s3:bucket"
        ))),
        "AWS ARN for integration must contain path or action"
    );
    assert_eq!(
        bad(validate_integration(&integration(
            IntegrationType::Aws,
            "arn:aws:lambda:us-east-1:1:function:f"
        ))),
        "AWS ARN for integration must contain path or action"
    );
    assert_eq!(
        bad(validate_integration(&integration(
            IntegrationType::Aws,
            "https://x"
        ))),
        "Invalid ARN specified in the request"
    );
    assert_eq!(
        bad(validate_integration(&integration(
            IntegrationType::AwsProxy,
            "arn:aws:apigateway:us-east-1:s3:path/bucket/key"
        ))),
        "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations."
    );
}

#[test]
fn integration_verb_and_timeout() {
    let mut i = integration(IntegrationType::Http, "http://x");
    i.http_method = None;
    assert_eq!(
        bad(validate_integration(&i)),
        "Enumeration value for HttpMethod must be non-empty"
    );
    i.http_method = Some("FETCH".into());
    assert!(bad(validate_integration(&i)).starts_with("Invalid HttpMethod specified"));
    let mut mock = Integration::default();
    validate_integration(&mock).unwrap();
    mock.timeout_in_millis = 30_000;
    assert_eq!(
        bad(validate_integration(&mock)),
        "Timeout should be between 50 ms and 29000 ms"
    );
}

fn api() -> ApiDefinition {
    let mut d = ApiDefinition::new(RestApi {
        id: "abc".into(),
        name: "t".into(),
        ..RestApi::default()
    });
    d.authorizers.push(Authorizer {
        id: "tok".into(),
        name: "tok".into(),
        authorizer_type: AuthorizerType::Token,
        ..Authorizer::default()
    });
    d.request_validators.push(RequestValidator {
        id: "val".into(),
        name: "all".into(),
        validate_request_body: true,
        validate_request_parameters: true,
    });
    d
}

#[test]
fn methods() {
    let d = api();
    let auth_msg = "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.";
    let mut m = Method {
        http_method: "GET".into(),
        authorization_type: AuthorizationType::Custom.into(),
        ..Method::default()
    };
    assert_eq!(bad(validate_method(&m, &d)), auth_msg);
    m.authorizer_id = Some("tok".into());
    validate_method(&m, &d).unwrap();
    m.authorization_type = AuthorizationType::CognitoUserPools.into();
    assert_eq!(bad(validate_method(&m, &d)), auth_msg);
    m.authorization_type = AuthorizationType::None.into();
    m.request_validator_id = Some("nope".into());
    assert_eq!(
        bad(validate_method(&m, &d)),
        "Invalid Request Validator identifier specified"
    );
    m.request_validator_id = Some("val".into());
    m.request_models
        .insert("application/json".into(), "Missing".into());
    assert_eq!(
        bad(validate_method(&m, &d)),
        "Invalid model identifier specified: Missing"
    );
    m.request_models
        .insert("application/json".into(), "Error".into());
    m.request_parameters
        .insert("method.request.header.id".into(), true);
    m.request_parameters
        .insert("method.request.path.id".into(), true);
    assert_eq!(
        bad(validate_method(&m, &d)),
        "Parameter names must be unique across querystring, header and path"
    );
}

#[test]
fn integration_responses_validators_models() {
    let mut m = Method::default();
    m.method_responses.insert(
        "200".into(),
        MethodResponse {
            status_code: "200".into(),
            ..Default::default()
        },
    );
    let mut r = IntegrationResponse {
        status_code: "200".into(),
        ..Default::default()
    };
    validate_integration_response(&r, &m).unwrap();
    // AWS takes a code without a MethodResponse; only the pattern `[1-5]\d\d` is checked.
    r.status_code = "404".into();
    validate_integration_response(&r, &m).unwrap();
    r.status_code = "wrong".into();
    assert_eq!(
        validate_integration_response(&r, &m)
            .err()
            .map(|e| (e.error_type(), e.message().to_string())),
        Some(("ValidationException", "1 validation error detected: Value 'wrong' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d".to_string()))
    );

    let mut v = RequestValidator::default();
    assert_eq!(
        bad(validate_request_validator(&v)),
        "Request Validator name cannot be blank"
    );
    v.name = "body".into();
    validate_request_validator(&v).unwrap();

    let mut model = Model {
        name: "Pet".into(),
        schema: Some(r#"{"type":"object","properties":{"id":{"type":"integer"}}}"#.into()),
        content_type: "application/json".into(),
        ..Default::default()
    };
    validate_model(&model).unwrap();
    model.schema = Some(r#"{"type":"array","items":{"type":"string"}}"#.into());
    validate_model(&model).unwrap();
    // A schema without properties is accepted; a missing or empty one is refused with
    // AWS's "at least 1 property" wording (AWS-recorded, `test_model_validation`).
    model.schema = Some(r#"{"title":"MySchema","type":"object"}"#.into());
    validate_model(&model).unwrap();
    for empty in [None, Some(String::new())] {
        model.schema = empty;
        assert_eq!(
            bad(validate_model(&model)),
            "Model schema must have at least 1 property or array items defined"
        );
    }
    model.name = String::new();
    assert_eq!(bad(validate_model(&model)), "Model name must be non-empty");
    model.name = "Pet".into();
    model.schema = Some("{not json".into());
    assert!(bad(validate_model(&model)).contains("Invalid model schema specified"));
    model.name = "Pet-1".into();
    assert!(bad(validate_model(&model)).contains("alphanumeric"));
}
