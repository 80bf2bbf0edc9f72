use super::*;
use crate::auth::sigv4::{Expected, KeyMaterial, RequestParts, verify};

fn settings(endpoint: Option<&str>) -> AwsSettings {
    AwsSettings::resolve(
        &AwsConfig {
            endpoint_url: endpoint.map(str::to_string),
            access_key_id: Some("AKID".into()),
            secret_access_key: Some("SECRET".into()),
            ..Default::default()
        },
        |_| None,
        None,
    )
    .unwrap()
}

fn build_for(
    settings: &AwsSettings,
    uri: &str,
    verb: &str,
    params: &[(ParamLocation, String, String)],
    body: &'static str,
) -> Result<ServiceRequest, GatewayError> {
    let target = parse_uri(uri).unwrap();
    build(
        settings,
        &target,
        Parts {
            verb,
            params,
            client_content_type: Some(&HeaderValue::from_static("image/png")),
            body: Bytes::from_static(body.as_bytes()),
            trace: None,
        },
        OffsetDateTime::now_utc(),
    )
}

/// The request verifies against the secret, as the service would check it.
fn assert_verifies(req: &ServiceRequest, service: &str) {
    let url = reqwest::Url::parse(&req.url).unwrap();
    let parts = RequestParts {
        method: req.method.as_str(),
        path: url.path(),
        query: url.query(),
        headers: &req.headers,
        authority: None,
        body: &req.body,
    };
    let key = KeyMaterial {
        secret: "SECRET",
        session_token: None,
    };
    let auth = verify(
        &parts,
        &Expected { service },
        |k| (k == "AKID").then_some(key),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    assert_eq!(auth.service, service);
}

#[test]
fn parses_both_uri_forms() {
    let t = parse_uri("arn:aws:apigateway:eu-west-1:sqs:path/123456789012/orders").unwrap();
    assert_eq!(
        (t.region, t.service, t.subdomain, t.kind),
        ("eu-west-1", "sqs", None, Kind::Path("123456789012/orders"))
    );
    let t = parse_uri("arn:aws:apigateway:us-east-1:states:action/StartExecution").unwrap();
    assert_eq!(
        t.kind,
        Kind::Action {
            action: "StartExecution",
            params: ""
        }
    );
    let t = parse_uri("arn:aws:apigateway:us-east-1:sqs:action/SendMessage&QueueUrl=x").unwrap();
    assert_eq!(
        t.kind,
        Kind::Action {
            action: "SendMessage",
            params: "QueueUrl=x"
        }
    );
    let t = parse_uri("arn:aws:apigateway:us-east-1:media.s3:path/{key}").unwrap();
    assert_eq!((t.service, t.subdomain), ("s3", Some("media")));
    assert_eq!(
        parse_uri("arn:aws:apigateway:us-east-1:sqs:queue/x").unwrap_err(),
        "AWS ARN for integration must contain path or action"
    );
    assert!(parse_uri("arn:aws:apigateway:us-east-1").is_err());
    assert!(parse_uri("http://example.com").is_err());
    assert!(is_lambda(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f/invocations"
    ));
    assert!(is_lambda("arn:aws:lambda:us-east-1:1:function:f"));
    assert!(!is_lambda("arn:aws:apigateway:us-east-1:sqs:path/1/q"));
}

#[test]
fn json_services_get_their_target_and_content_type() {
    let s = settings(Some("http://127.0.0.1:5000"));
    let req = build_for(
        &s,
        "arn:aws:apigateway:us-east-1:states:action/StartExecution",
        "post",
        &[],
        "{}",
    )
    .unwrap();
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.url, "http://127.0.0.1:5000/");
    assert_eq!(
        req.headers["x-amz-target"],
        "AWSStepFunctions.StartExecution"
    );
    assert_eq!(req.headers["content-type"], "application/x-amz-json-1.0");
    assert_verifies(&req, "states");
    let req = build_for(
        &s,
        "arn:aws:apigateway:us-east-1:kinesis:action/PutRecord",
        "POST",
        &[],
        "{}",
    )
    .unwrap();
    assert_eq!(req.headers["x-amz-target"], "Kinesis_20131202.PutRecord");
    assert_eq!(req.headers["content-type"], "application/x-amz-json-1.1");
}

#[test]
fn query_services_take_the_action_in_the_query_string() {
    let s = settings(Some("http://127.0.0.1:5000/base/"));
    let req = build_for(
        &s,
        "arn:aws:apigateway:us-east-1:sqs:action/SendMessage&QueueUrl=http%3A%2F%2Fq",
        "POST",
        &[(ParamLocation::Query, "DelaySeconds".into(), "0".into())],
        "MessageBody=hi",
    )
    .unwrap();
    assert_eq!(
        req.url,
        "http://127.0.0.1:5000/base/?Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Fq&DelaySeconds=0"
    );
    assert_eq!(
        req.headers["content-type"],
        "application/x-www-form-urlencoded; charset=utf-8"
    );
    assert!(req.headers.get("x-amz-target").is_none());
    assert_verifies(&req, "sqs");
}

#[test]
fn a_mapped_content_type_wins_and_forbidden_headers_are_refused() {
    let s = settings(Some("http://127.0.0.1:5000"));
    let params = [(
        ParamLocation::Header,
        "Content-Type".to_string(),
        "application/x-www-form-urlencoded".to_string(),
    )];
    let req = build_for(
        &s,
        "arn:aws:apigateway:us-east-1:sqs:path/123456789012/orders",
        "POST",
        &params,
        "Action=SendMessage&MessageBody=x",
    )
    .unwrap();
    assert_eq!(req.url, "http://127.0.0.1:5000/123456789012/orders");
    assert_eq!(
        req.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let params = [(
        ParamLocation::Header,
        "Authorization".to_string(),
        "x".to_string(),
    )];
    let err = build_for(
        &s,
        "arn:aws:apigateway:us-east-1:sqs:path/1/q",
        "POST",
        &params,
        "",
    )
    .unwrap_err();
    assert_eq!(
        err,
        GatewayError::Configuration {
            reason: "Authorization header already present".into()
        }
    );
}

#[test]
fn s3_paths_are_filled_encoded_and_signed_single_encoded() {
    let s = settings(Some("http://127.0.0.1:5000"));
    let params = [
        (
            ParamLocation::Path,
            "bucket".to_string(),
            "media".to_string(),
        ),
        (
            ParamLocation::Path,
            "key".to_string(),
            "a b/c.png".to_string(),
        ),
    ];
    let req = build_for(
        &s,
        "arn:aws:apigateway:us-east-1:s3:path/{bucket}/{key}",
        "PUT",
        &params,
        "bytes",
    )
    .unwrap();
    assert_eq!(req.url, "http://127.0.0.1:5000/media/a%20b/c.png");
    assert_eq!(req.headers["content-type"], "image/png");
    assert!(req.headers.contains_key("x-amz-content-sha256"));
    // Subdomain form against an emulator: the bucket becomes the first path segment.
    let req = build_for(
        &s,
        "arn:aws:apigateway:us-east-1:media.s3:path/{key}",
        "GET",
        &params,
        "",
    )
    .unwrap();
    assert_eq!(req.url, "http://127.0.0.1:5000/media/a%20b/c.png");
}

#[test]
fn real_aws_uses_the_regional_https_endpoint_and_missing_settings_are_named() {
    let real = AwsSettings::resolve(
        &AwsConfig {
            real: true,
            access_key_id: Some("AKID".into()),
            secret_access_key: Some("SECRET".into()),
            ..Default::default()
        },
        |_| None,
        None,
    )
    .unwrap();
    let req = build_for(
        &real,
        "arn:aws:apigateway:eu-central-1:dynamodb:action/PutItem",
        "POST",
        &[],
        "{}",
    )
    .unwrap();
    assert_eq!(req.url, "https://dynamodb.eu-central-1.amazonaws.com/");
    assert_eq!(req.headers["host"], "dynamodb.eu-central-1.amazonaws.com");
    let req = build_for(
        &real,
        "arn:aws:apigateway:eu-central-1:media.s3:path/k",
        "GET",
        &[],
        "",
    )
    .unwrap();
    assert_eq!(req.url, "https://media.s3.eu-central-1.amazonaws.com/k");
    let req = build_for(
        &real,
        "arn:aws:apigateway:eu-central-1:states:action/StartSyncExecution",
        "POST",
        &[],
        "{}",
    )
    .unwrap();
    assert_eq!(req.url, "https://sync-states.eu-central-1.amazonaws.com/");
    assert_eq!(
        req.headers["host"],
        "sync-states.eu-central-1.amazonaws.com"
    );

    let err = build_for(
        &AwsSettings::default(),
        "arn:aws:apigateway:us-east-1:sqs:path/1/q",
        "POST",
        &[],
        "",
    )
    .unwrap_err();
    let GatewayError::Configuration { reason } = err else {
        panic!("{err:?}")
    };
    assert!(reason.contains("[aws] endpoint_url"), "{reason}");
    let mut no_credentials = settings(Some("http://127.0.0.1:5000"));
    no_credentials.credentials = None;
    let err = build_for(
        &no_credentials,
        "arn:aws:apigateway:us-east-1:sqs:path/1/q",
        "POST",
        &[],
        "",
    )
    .unwrap_err();
    let GatewayError::Configuration { reason } = err else {
        panic!("{err:?}")
    };
    assert!(reason.starts_with("No AWS credentials"), "{reason}");
}

#[test]
fn a_traced_request_carries_its_trace_header_unsigned() {
    let s = settings(Some("http://127.0.0.1:5000"));
    let target = parse_uri("arn:aws:apigateway:us-east-1:sqs:action/SendMessage").unwrap();
    let trace = HeaderValue::from_static(
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    );
    let req = build(
        &s,
        &target,
        Parts {
            verb: "POST",
            params: &[],
            client_content_type: None,
            body: Bytes::from_static(b"MessageBody=x"),
            trace: Some(&trace),
        },
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    assert_eq!(req.headers["x-amzn-trace-id"], trace);
    // Left out of the signature, as the AWS SDKs leave it, and the request still verifies.
    let authorization = req.headers["authorization"].to_str().unwrap();
    let signed = authorization
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap();
    assert!(!signed.contains("x-amzn-trace-id"), "{authorization}");
    assert_verifies(&req, "sqs");
    // Untraced: no header.
    let req = build_for(
        &s,
        "arn:aws:apigateway:us-east-1:sqs:action/SendMessage",
        "POST",
        &[],
        "",
    )
    .unwrap();
    assert!(!req.headers.contains_key("x-amzn-trace-id"));
}
