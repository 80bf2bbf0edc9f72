//! Bad input answers with AWS's exception type, status and a message naming the problem, and
//! changes nothing: the audit log and the working definition are compared before and after.
//! Also: SigV4 enforcement when admin credentials are configured.

mod common;
mod mgmt_support;

use common::TestGateway;
use gwtui::engine::{EngineConfig, Gateway};
use mgmt_support::mgmt;
use reqwest::Method;

struct Case {
    method: Method,
    path: String,
    body: Option<&'static str>,
    status: u16,
    kind: &'static str,
    message: &'static str,
}

fn case(
    method: Method,
    path: String,
    body: Option<&'static str>,
    status: u16,
    kind: &'static str,
    message: &'static str,
) -> Case {
    Case {
        method,
        path,
        body,
        status,
        kind,
        message,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_aws_errors_and_changes_nothing() {
    common::init();
    let t = TestGateway::start().await;
    let base = t.base();
    let c = &t.client;
    let (_, _, api) = mgmt(
        c,
        &base,
        Method::POST,
        "/restapis",
        Some(r#"{"name":"errs"}"#),
    )
    .await;
    let id = api["id"].as_str().expect("id").to_string();
    let root = api["rootResourceId"].as_str().expect("root").to_string();
    let (_, _, res) = mgmt(
        c,
        &base,
        Method::POST,
        &format!("/restapis/{id}/resources/{root}"),
        Some(r#"{"pathPart":"pets"}"#),
    )
    .await;
    let rid = res["id"].as_str().expect("rid").to_string();
    let m = format!("/restapis/{id}/resources/{rid}/methods/GET");
    mgmt(
        c,
        &base,
        Method::PUT,
        &m,
        Some(r#"{"authorizationType":"NONE"}"#),
    )
    .await;
    mgmt(
        c,
        &base,
        Method::PUT,
        &format!("{m}/integration"),
        Some(r#"{"type":"MOCK","requestTemplates":{"application/json":"{\"statusCode\":200}"}}"#),
    )
    .await;
    let (status, _, _) = mgmt(
        c,
        &base,
        Method::POST,
        &format!("/restapis/{id}/deployments"),
        Some(r#"{"stageName":"prod"}"#),
    )
    .await;
    assert_eq!(status, 201);

    let before_def = t.gw.get_definition(&id).expect("definition");
    let before_stage = t.gw.get_stage(&id, "prod").expect("stage");
    let before_audit = t.gw.audit_log(1000).expect("audit").len();

    let stage = format!("/restapis/{id}/stages/prod");
    let cases = vec![
        // Unknown ids → 404 with AWS's "Invalid X identifier specified".
        case(
            Method::GET,
            "/restapis/nope".into(),
            None,
            404,
            "NotFoundException",
            "Invalid API identifier specified",
        ),
        case(
            Method::DELETE,
            "/restapis/nope".into(),
            None,
            404,
            "NotFoundException",
            "Invalid API identifier specified",
        ),
        case(
            Method::GET,
            format!("/restapis/{id}/resources/nope"),
            None,
            404,
            "NotFoundException",
            "Invalid Resource identifier specified",
        ),
        case(
            Method::PUT,
            format!("/restapis/{id}/resources/nope/methods/GET"),
            Some(r#"{"authorizationType":"NONE"}"#),
            404,
            "NotFoundException",
            "Invalid Resource identifier specified",
        ),
        case(
            Method::GET,
            format!("/restapis/{id}/resources/{rid}/methods/POST"),
            None,
            404,
            "NotFoundException",
            "Invalid Method identifier specified",
        ),
        case(
            Method::GET,
            format!("/restapis/{id}/deployments/nope"),
            None,
            404,
            "NotFoundException",
            "Invalid Deployment identifier specified",
        ),
        case(
            Method::PATCH,
            format!("/restapis/{id}/stages/nope"),
            Some(r#"{"patchOperations":[]}"#),
            404,
            "NotFoundException",
            "Invalid Stage identifier specified",
        ),
        case(
            Method::DELETE,
            format!("/restapis/{id}/stages/nope/cache/data"),
            None,
            404,
            "NotFoundException",
            "Invalid Stage identifier specified",
        ),
        case(
            Method::GET,
            format!("/restapis/{id}/authorizers/nope"),
            None,
            404,
            "NotFoundException",
            "Invalid Authorizer identifier specified",
        ),
        case(
            Method::GET,
            format!("/restapis/{id}/models/Nope"),
            None,
            404,
            "NotFoundException",
            "Invalid model name specified: Nope",
        ),
        case(
            Method::GET,
            "/usageplans/nope".into(),
            None,
            404,
            "NotFoundException",
            "Invalid Usage Plan ID specified",
        ),
        case(
            Method::DELETE,
            "/apikeys/nope".into(),
            None,
            404,
            "NotFoundException",
            "Invalid API Key identifier specified",
        ),
        // Malformed JSON → 400 naming the problem.
        case(
            Method::POST,
            "/restapis".into(),
            Some(r#"{"name": "#),
            400,
            "BadRequestException",
            "Could not parse request body into json: the body is not valid JSON (line 1, column 9)",
        ),
        case(
            Method::POST,
            format!("/restapis/{id}/deployments"),
            // A number where the model has a string: AWS's protocol layer (AWS-recorded,
            // localstack `test_integration_response_invalid_responsetemplates`).
            Some(r#"{"stageName": 5}"#),
            400,
            "SerializationException",
            "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String",
        ),
        case(
            Method::POST,
            format!("/restapis/{id}/deployments"),
            Some(r#"{"stageName": ["a"]}"#),
            400,
            "BadRequestException",
            "Invalid request body: a value does not have the type the operation expects (line 1, column 14)",
        ),
        case(
            Method::PATCH,
            stage.clone(),
            Some(r#"{"patchOperations":[{"op":"frobnicate","path":"/description"}]}"#),
            400,
            "ValidationException",
            "1 validation error detected: Value 'frobnicate' at 'updateStageInput.patchOperations.1.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]",
        ),
        // Invalid patch paths → 400.
        case(
            Method::PATCH,
            stage.clone(),
            Some(r#"{"patchOperations":[{"op":"replace","path":"/bogus","value":"1"}]}"#),
            400,
            "BadRequestException",
            "Invalid method setting path: /bogus. Must be one of: [/deploymentId, ",
        ),
        case(
            Method::PATCH,
            format!("/restapis/{id}"),
            Some(r#"{"patchOperations":[{"op":"replace","path":"/rootResourceId","value":"x"}]}"#),
            400,
            "BadRequestException",
            "Invalid patch path  '/rootResourceId'",
        ),
        case(
            Method::PATCH,
            m.clone(),
            Some(r#"{"patchOperations":[{"op":"replace","path":"/nothing","value":"x"}]}"#),
            400,
            "BadRequestException",
            "Invalid patch path /nothing",
        ),
        case(
            Method::PATCH,
            stage.clone(),
            Some(
                r#"{"patchOperations":[{"op":"replace","path":"/accessLogSettings/bogus","value":"x"}]}"#,
            ),
            400,
            "BadRequestException",
            "Invalid accessLogSettings path. Must be one of : [/accessLogSettings/destinationArn, /accessLogSettings/format]",
        ),
        // A valid op followed by a bad one: the whole batch is refused.
        case(
            Method::PATCH,
            stage.clone(),
            Some(
                r#"{"patchOperations":[{"op":"replace","path":"/description","value":"x"},{"op":"replace","path":"/cacheClusterSize","value":"3"}]}"#,
            ),
            400,
            "BadRequestException",
            "Invalid cache cluster size specified: '3'",
        ),
        // Invalid stage variable names and values → 400.
        case(
            Method::PATCH,
            stage.clone(),
            Some(
                r#"{"patchOperations":[{"op":"replace","path":"/variables/bad-name","value":"x"}]}"#,
            ),
            400,
            "BadRequestException",
            "Stage variable name 'bad-name' must be 1 to 64 characters of a-zA-Z0-9_",
        ),
        case(
            Method::POST,
            format!("/restapis/{id}/deployments"),
            Some(r#"{"stageName":"prod","variables":{"ok":"has space"}}"#),
            400,
            "BadRequestException",
            "Stage variable value for 'ok' must be",
        ),
        case(
            Method::POST,
            format!("/restapis/{id}/stages"),
            Some(r#"{"stageName":"beta","deploymentId":"x","variables":{"a.b":"1"}}"#),
            400,
            "BadRequestException",
            "Stage variable name 'a.b'",
        ),
        // Other refusals.
        case(
            Method::DELETE,
            format!("/restapis/{id}/deployments/{}", before_stage.deployment_id),
            None,
            400,
            "BadRequestException",
            "Active stages pointing to this deployment must be moved or deleted",
        ),
        case(
            Method::POST,
            format!("/restapis/{id}/resources/{root}"),
            Some(r#"{"pathPart":"pets"}"#),
            409,
            "ConflictException",
            "Another resource with the same parent already has this name: pets",
        ),
        case(
            Method::PUT,
            format!("{m}/integration"),
            Some(r#"{"type":"HTTP","httpMethod":"GET","uri":"not a url"}"#),
            400,
            "BadRequestException",
            "Invalid HTTP endpoint specified for URI",
        ),
        case(
            Method::POST,
            format!("/restapis/{id}/models"),
            Some(r#"{"name":"Bad","contentType":"application/json","schema":""}"#),
            400,
            "BadRequestException",
            "Model schema must have at least 1 property or array items defined",
        ),
        case(
            Method::POST,
            format!("/restapis/{id}/requestvalidators"),
            Some(r#"{"name":" "}"#),
            400,
            "BadRequestException",
            "Request Validator name cannot be blank",
        ),
        case(
            Method::PUT,
            format!("/restapis/{id}/gatewayresponses/NOT_A_TYPE"),
            Some("{}"),
            400,
            "ValidationException",
            "1 validation error detected: Value 'NOT_A_TYPE' at 'responseType' failed to satisfy constraint: Member must satisfy enum value set: [REQUEST_TOO_LARGE, RESOURCE_NOT_FOUND, ",
        ),
        // Members the model types as enums → ValidationException, all of them at once.
        case(
            Method::PUT,
            format!("{m}/integration"),
            Some(r#"{"type":"MOCK","contentHandling":"CONVERT_TO_JSON","connectionType":"VPN"}"#),
            400,
            "ValidationException",
            "2 validation errors detected: Value 'VPN' at 'putIntegrationInput.connectionType' failed to satisfy constraint: Member must satisfy enum value set: [INTERNET, VPC_LINK]; Value 'CONVERT_TO_JSON' at 'putIntegrationInput.contentHandling' failed to satisfy constraint: Member must satisfy enum value set: [CONVERT_TO_BINARY, CONVERT_TO_TEXT]",
        ),
        case(
            Method::POST,
            "/usageplans".into(),
            Some(r#"{"name":"p","quota":{"limit":5,"period":"YEAR"}}"#),
            400,
            "ValidationException",
            "1 validation error detected: Value 'YEAR' at 'createUsagePlanInput.quota.period' failed to satisfy constraint: Member must satisfy enum value set: [DAY, WEEK, MONTH]",
        ),
        case(
            Method::POST,
            format!("/restapis/{id}/deployments"),
            Some(r#"{"stageName":"prod","cacheClusterSize":"2"}"#),
            400,
            "ValidationException",
            "1 validation error detected: Value '2' at 'createDeploymentInput.cacheClusterSize' failed to satisfy constraint: Member must satisfy enum value set: [0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237]",
        ),
        case(
            Method::POST,
            format!("/restapis/{id}/authorizers"),
            Some(r#"{"name":"a","type":"LAMBDA"}"#),
            400,
            "ValidationException",
            "1 validation error detected: Value 'LAMBDA' at 'createAuthorizerInput.type' failed to satisfy constraint: Member must satisfy enum value set: [TOKEN, REQUEST, COGNITO_USER_POOLS, JWT]",
        ),
        case(
            Method::POST,
            format!("/restapis/{id}/authorizers"),
            Some(r#"{"name":"a","type":"JWT"}"#),
            400,
            "BadRequestException",
            "Invalid authorizer type specified: JWT authorizers are for HTTP APIs",
        ),
        case(
            Method::PUT,
            m.clone(),
            Some(r#"{"authorizationType":"OPEN"}"#),
            400,
            "BadRequestException",
            "Invalid authorization type specified: 'OPEN'",
        ),
        case(
            Method::PUT,
            format!("/restapis/{id}?mode=replace"),
            Some("openapi: 3.0.1"),
            400,
            "ValidationException",
            "1 validation error detected: Value 'replace' at 'mode' failed to satisfy constraint: Member must satisfy enum value set: [merge, overwrite]",
        ),
        case(
            Method::POST,
            "/usageplans".into(),
            Some(r#"{"name":"p","apiStages":[{"apiId":"nope","stage":"prod"}]}"#),
            400,
            "BadRequestException",
            "Invalid API Stage {api: nope, stage: prod} specified for usageplan",
        ),
        case(
            Method::GET,
            "/restapis?limit=ten".into(),
            None,
            400,
            "BadRequestException",
            "Invalid limit specified: 'ten'",
        ),
        case(
            Method::PUT,
            "/tags/arn%3Aaws%3As3%3A%3A%3Abucket".into(),
            Some(r#"{"tags":{"a":"b"}}"#),
            400,
            "BadRequestException",
            "Invalid resource ARN specified",
        ),
        case(
            Method::POST,
            "/restapis?mode=import".into(),
            Some("openapi: [unclosed"),
            400,
            "BadRequestException",
            "Invalid OpenAPI input",
        ),
    ];
    for c in &cases {
        let (status, kind, body) = mgmt(&t.client, &base, c.method.clone(), &c.path, c.body).await;
        // AWS's validation layer answers `{"Message": ...}`, its exceptions `{"message": ...}`.
        let key = if c.kind == "ValidationException" || c.kind == "SerializationException" {
            "Message"
        } else {
            "message"
        };
        let message = body[key].as_str().unwrap_or_default();
        assert_eq!(
            (status, kind.as_deref()),
            (c.status, Some(c.kind)),
            "{} {}: {body}",
            c.method,
            c.path
        );
        assert!(
            message.starts_with(c.message),
            "{} {}: expected {:?}, got {message:?}",
            c.method,
            c.path,
            c.message
        );
    }

    assert_eq!(
        t.gw.audit_log(1000).expect("audit").len(),
        before_audit,
        "no error wrote an audit row"
    );
    assert_eq!(
        t.gw.get_definition(&id).expect("definition"),
        before_def,
        "no error changed the definition"
    );
    assert_eq!(
        t.gw.get_stage(&id, "prod").expect("stage"),
        before_stage,
        "no error changed the stage"
    );
    assert!(t.gw.list_usage_plans(None).is_empty());
    t.stop().await;
}

/// A management request signed with `key`/`secret` at the current time.
async fn signed(
    client: &reqwest::Client,
    addr: std::net::SocketAddr,
    path: &str,
    key: &str,
    secret: &str,
) -> reqwest::Response {
    let mut headers = http::HeaderMap::new();
    let host = addr.to_string();
    let amz_date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("date");
    headers.insert("host", host.parse().expect("host"));
    headers.insert("x-amz-date", amz_date.parse().expect("date"));
    let (p, q) = path
        .split_once('?')
        .map_or((path, None), |(p, q)| (p, Some(q)));
    let parts = gwtui::auth::sigv4::RequestParts {
        method: "GET",
        path: p,
        query: q,
        headers: &headers,
        authority: None,
        body: b"",
    };
    let auth = gwtui::auth::sigv4::sign(
        &parts,
        key,
        secret,
        "us-east-1",
        "apigateway",
        &["host", "x-amz-date"],
    )
    .expect("sign");
    client
        .get(format!("http://{host}{path}"))
        .header("x-amz-date", amz_date)
        .header("authorization", auth)
        .send()
        .await
        .expect("signed call")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_credentials_require_a_valid_signature() {
    common::init();
    let dir = tempfile::tempdir().expect("dir");
    let gw = Gateway::open(EngineConfig {
        data_dir: dir.path().to_path_buf(),
        canary_seed: None,
        ..EngineConfig::default()
    })
    .expect("open");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let options = gwtui::server::ServerOptions {
        admin_credentials: Some(
            gwtui::auth::credentials::Credentials::parse("AKIDADMIN:s3cret").expect("credentials"),
        ),
        ..Default::default()
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(gwtui::server::serve_with(
        gw.clone(),
        listener,
        options,
        async {
            let _ = rx.await;
        },
    ));
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");

    let good = signed(&client, addr, "/restapis?limit=5", "AKIDADMIN", "s3cret").await;
    assert_eq!(good.status().as_u16(), 200);
    let bad = signed(&client, addr, "/restapis", "AKIDADMIN", "wrong").await;
    assert_eq!(bad.status().as_u16(), 403);
    assert_eq!(
        bad.headers()["x-amzn-errortype"],
        "InvalidSignatureException"
    );
    let body: serde_json::Value = bad.json().await.expect("json");
    assert_eq!(body["message"], gwtui::auth::sigv4::SIGNATURE_MISMATCH);
    let unknown = signed(&client, addr, "/restapis", "AKIDOTHER", "s3cret").await;
    assert_eq!(unknown.status().as_u16(), 403);
    assert_eq!(
        unknown.headers()["x-amzn-errortype"],
        "UnrecognizedClientException"
    );
    let unsigned = client
        .get(format!("http://{addr}/restapis"))
        .send()
        .await
        .expect("unsigned");
    assert_eq!(unsigned.status().as_u16(), 403);
    assert_eq!(
        unsigned.headers()["x-amzn-errortype"],
        "MissingAuthenticationTokenException"
    );
    let health = client
        .get(format!("http://{addr}/gwtui/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(
        health.status().as_u16(),
        200,
        "health stays open for local tooling"
    );

    let _ = tx.send(());
    let _ = task.await;
}

#[test]
fn check_bind_refuses_public_addresses_without_credentials() {
    let public: std::net::SocketAddr = "0.0.0.0:4567".parse().expect("addr");
    let err = gwtui::server::check_bind(public, false).unwrap_err();
    assert!(err.contains("refusing to listen on 0.0.0.0:4567"), "{err}");
    assert!(gwtui::server::check_bind(public, true).is_ok());
    assert!(gwtui::server::check_bind("127.0.0.1:0".parse().expect("addr"), false).is_ok());
    assert!(gwtui::server::check_bind("[::1]:0".parse().expect("addr"), false).is_ok());
}
