//! The engine core over real loopback sockets: MOCK integrations, routing precedence
//! (model.md §3.1), gateway responses, deploy / redeploy / rollback.

mod common;

use common::{TestGateway, actor, init};
use gwtui::engine::{CreateDeployment, Gateway};
use gwtui::model::{
    Integration, IntegrationResponse, IntegrationType, Method, MethodResponse, PassthroughBehavior,
};
use indexmap::IndexMap;

/// Builds an API whose every (path, verb) is a MOCK answering `"{path} {verb}"`.
async fn mock_api(gw: &Gateway, methods: &[(&str, &str)]) -> String {
    let api = gw
        .create_rest_api(
            &actor(),
            gwtui::engine::CreateRestApi {
                name: "routes".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for (path, verb) in methods {
        add_mock(gw, &api.id, path, verb, &format!("{path} {verb}")).await;
    }
    api.id
}

async fn add_mock(gw: &Gateway, api_id: &str, path: &str, verb: &str, body: &str) {
    let def = gw.get_definition(api_id).unwrap();
    let resource_id = match def.resource_by_path(path) {
        Some(r) => r.id.clone(),
        None => {
            let mut parent = def.rest_api.root_resource_id.clone();
            let mut current = String::new();
            for part in path.split('/').filter(|p| !p.is_empty()) {
                current = format!("{current}/{part}");
                let now = gw.get_definition(api_id).unwrap();
                parent = match now.resource_by_path(&current) {
                    Some(r) => r.id.clone(),
                    None => {
                        gw.create_resource(&actor(), api_id, &parent, part)
                            .await
                            .unwrap()
                            .id
                    }
                };
            }
            parent
        }
    };
    gw.put_method(&actor(), api_id, &resource_id, verb, Method::default())
        .await
        .unwrap();
    let mut templates = IndexMap::new();
    templates.insert(
        "application/json".to_string(),
        "{\"statusCode\": 200}".to_string(),
    );
    gw.put_integration(
        &actor(),
        api_id,
        &resource_id,
        verb,
        Integration {
            integration_type: IntegrationType::Mock,
            request_templates: templates,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    gw.put_method_response(
        &actor(),
        api_id,
        &resource_id,
        verb,
        MethodResponse {
            status_code: "200".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut response_templates = IndexMap::new();
    response_templates.insert("application/json".to_string(), body.to_string());
    gw.put_integration_response(
        &actor(),
        api_id,
        &resource_id,
        verb,
        IntegrationResponse {
            status_code: "200".into(),
            response_templates,
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

async fn deploy(gw: &Gateway, api_id: &str, stage: &str) -> String {
    gw.create_deployment(
        &actor(),
        api_id,
        CreateDeployment {
            stage_name: Some(stage.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id
}

async fn call(t: &TestGateway, api: &str, verb: &str, path: &str) -> (u16, String) {
    let resp = t
        .client
        .request(
            reqwest::Method::from_bytes(verb.as_bytes()).unwrap(),
            t.url(api, "test", path),
        )
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

const MISSING: &str = r#"{"message":"Missing Authentication Token"}"#;

#[tokio::test]
async fn routing_precedence_matches_every_row_of_the_aws_table() {
    init();
    let t = TestGateway::start().await;
    // Rows 1–3: /users/{userId} GET, /users/me PATCH.
    let a = mock_api(&t.gw, &[("/users/{userId}", "GET"), ("/users/me", "PATCH")]).await;
    deploy(&t.gw, &a, "test").await;
    assert_eq!(
        call(&t, &a, "GET", "/users/me").await,
        (200, "/users/{userId} GET".into())
    );
    assert_eq!(
        call(&t, &a, "PATCH", "/users/me").await,
        (200, "/users/me PATCH".into())
    );
    assert_eq!(
        call(&t, &a, "POST", "/users/me").await,
        (403, MISSING.into())
    );
    // Row 4: /things/real GET, /things/{proxy+} ANY.
    let b = mock_api(
        &t.gw,
        &[("/things/real", "GET"), ("/things/{proxy+}", "ANY")],
    )
    .await;
    deploy(&t.gw, &b, "test").await;
    assert_eq!(
        call(&t, &b, "POST", "/things/real").await,
        (200, "/things/{proxy+} ANY".into())
    );
    assert_eq!(
        call(&t, &b, "GET", "/things/real").await,
        (200, "/things/real GET".into())
    );
    // Rows 5–6: /{proxy+} ANY, /jobs (no methods), /jobs/{op} GET.
    let c = mock_api(&t.gw, &[("/{proxy+}", "ANY"), ("/jobs/{op}", "GET")]).await;
    deploy(&t.gw, &c, "test").await;
    for (verb, path) in [
        ("GET", "/jobs"),
        ("POST", "/jobs"),
        ("POST", "/jobs/reboot"),
    ] {
        assert_eq!(
            call(&t, &c, verb, path).await,
            (200, "/{proxy+} ANY".into()),
            "{verb} {path}"
        );
    }
    assert_eq!(
        call(&t, &c, "GET", "/jobs/reboot").await,
        (200, "/jobs/{op} GET".into())
    );
    // /{proxy+} does not match the root; a trailing slash is ignored for matching.
    assert_eq!(call(&t, &c, "GET", "/").await, (403, MISSING.into()));
    assert_eq!(
        call(&t, &a, "GET", "/users/me/").await,
        (200, "/users/{userId} GET".into())
    );
    // Exact verb beats ANY on the same resource.
    let d = mock_api(&t.gw, &[("/x", "ANY"), ("/x", "DELETE")]).await;
    deploy(&t.gw, &d, "test").await;
    assert_eq!(
        call(&t, &d, "DELETE", "/x").await,
        (200, "/x DELETE".into())
    );
    assert_eq!(call(&t, &d, "PUT", "/x").await, (200, "/x ANY".into()));
    t.stop().await;
}

#[tokio::test]
async fn core_gateway_responses_are_byte_exact() {
    init();
    let t = TestGateway::start().await;
    let api = mock_api(&t.gw, &[("/pets", "GET")]).await;
    deploy(&t.gw, &api, "test").await;

    let check = |resp: reqwest::Response, status: u16, body: &'static str, kind: &'static str| async move {
        assert_eq!(resp.status().as_u16(), status);
        assert_eq!(resp.headers()["x-amzn-errortype"], kind);
        assert!(resp.headers().contains_key("x-amzn-requestid"));
        assert_eq!(resp.headers()["content-type"], "application/json");
        assert_eq!(resp.text().await.unwrap(), body);
    };
    // Unknown path, unknown verb, unknown API id.
    check(
        t.client
            .get(t.url(&api, "test", "/nope"))
            .send()
            .await
            .unwrap(),
        403,
        MISSING,
        "MissingAuthenticationTokenException",
    )
    .await;
    check(
        t.client
            .delete(t.url(&api, "test", "/pets"))
            .send()
            .await
            .unwrap(),
        403,
        MISSING,
        "MissingAuthenticationTokenException",
    )
    .await;
    check(
        t.client
            .get(t.url("nosuchapi", "test", "/pets"))
            .send()
            .await
            .unwrap(),
        403,
        MISSING,
        "MissingAuthenticationTokenException",
    )
    .await;
    // Unknown stage.
    check(
        t.client
            .get(t.url(&api, "prod", "/pets"))
            .send()
            .await
            .unwrap(),
        403,
        r#"{"message":"Forbidden"}"#,
        "ForbiddenException",
    )
    .await;
    // Unmatched route with a non-SigV4 Authorization header (hash: `printf "Bearer x" | openssl dgst -sha256 -binary | base64`).
    let resp = t
        .client
        .get(t.url(&api, "test", "/nope"))
        .header("authorization", "Bearer x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert_eq!(
        resp.headers()["x-amzn-errortype"],
        "IncompleteSignatureException"
    );
    assert_eq!(
        resp.text().await.unwrap(),
        "{\"message\":\"Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): 'uTem/WB082UJMN2ajD6lH6UChGpTAddMJSx2iu923No='.\"}"
    );
    // Body over 10 MB: the client writes it whole before reading, so the server reads what
    // it refuses (bounded) rather than closing the connection under the client's writes.
    let big = vec![b'a'; 10 * 1024 * 1024 + 1];
    check(
        t.client
            .post(t.url(&api, "test", "/pets"))
            .body(big)
            .send()
            .await
            .unwrap(),
        413,
        r#"{"message":"Request Too Long"}"#,
        "RequestTooLargeException",
    )
    .await;
    // The same sent chunked (no Content-Length: refused once 10 MB have been read).
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(t.addr).await.unwrap();
        let path = format!("/restapis/{api}/test/_user_request_/pets");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            t.addr
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let chunk = vec![b'b'; 64 * 1024];
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(&chunk);
        framed.extend_from_slice(b"\r\n");
        // 24 MiB: past what fits in socket buffers, within what the server reads and discards.
        for _ in 0..(24 * 1024 * 1024 / chunk.len()) {
            stream.write_all(&framed).await.unwrap();
        }
        stream.write_all(b"0\r\n\r\n").await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(
            answer.ends_with(r#"{"message":"Request Too Long"}"#),
            "{answer}"
        );
    }
    // Host-style invoke URL.
    let resp = t
        .client
        .get(format!("{}/test/pets", t.base()))
        .header(
            "host",
            format!("{api}.execute-api.localhost:{}", t.addr.port()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().await.unwrap(), "/pets GET");
    t.stop().await;
}

#[tokio::test]
async fn mock_template_errors_and_passthrough_rules() {
    init();
    let t = TestGateway::start().await;
    let api = mock_api(&t.gw, &[("/pets", "GET")]).await;
    let def = t.gw.get_definition(&api).unwrap();
    let rid = def.resource_by_path("/pets").unwrap().id.clone();
    // A NEVER passthrough with a JSON-only template: text/plain → 415.
    let mut integ = def
        .method(&rid, "GET")
        .unwrap()
        .method_integration
        .clone()
        .unwrap();
    integ.passthrough_behavior = PassthroughBehavior::Never;
    t.gw.put_integration(&actor(), &api, &rid, "GET", integ.clone())
        .await
        .unwrap();
    // A second method whose template has no parsable statusCode → 500.
    add_mock(&t.gw, &api, "/broken", "GET", "x").await;
    let broken =
        t.gw.get_definition(&api)
            .unwrap()
            .resource_by_path("/broken")
            .unwrap()
            .id
            .clone();
    let mut b =
        t.gw.get_definition(&api)
            .unwrap()
            .method(&broken, "GET")
            .unwrap()
            .method_integration
            .clone()
            .unwrap();
    b.request_templates.insert(
        "application/json".into(),
        "{\"statusCode\": \"abc\"}".into(),
    );
    t.gw.put_integration(&actor(), &api, &broken, "GET", b)
        .await
        .unwrap();
    deploy(&t.gw, &api, "test").await;

    let resp = t
        .client
        .get(t.url(&api, "test", "/pets"))
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 415);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"message":"Unsupported Media Type"}"#
    );
    let resp = t
        .client
        .get(t.url(&api, "test", "/pets"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let resp = t
        .client
        .get(t.url(&api, "test", "/broken"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    assert_eq!(
        resp.headers()["x-amzn-errortype"],
        "InternalServerErrorException"
    );
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"message": "Internal server error"}"#
    );
    t.stop().await;
}

#[tokio::test]
async fn deploy_change_redeploy_and_rollback() {
    init();
    let t = TestGateway::start().await;
    let api = mock_api(&t.gw, &[("/v", "GET")]).await;
    let first = deploy(&t.gw, &api, "test").await;
    assert_eq!(call(&t, &api, "GET", "/v").await, (200, "/v GET".into()));
    // Edit the working definition: not live until deployed.
    add_mock(&t.gw, &api, "/v", "GET", "second").await;
    assert_eq!(call(&t, &api, "GET", "/v").await, (200, "/v GET".into()));
    let second = deploy(&t.gw, &api, "test").await;
    assert_ne!(first, second);
    assert_eq!(call(&t, &api, "GET", "/v").await, (200, "second".into()));
    let stage = t.gw.rollback(&actor(), &api, "test", &first).await.unwrap();
    assert_eq!(stage.deployment_id, first);
    assert_eq!(call(&t, &api, "GET", "/v").await, (200, "/v GET".into()));
    assert_eq!(t.gw.list_deployments(&api).unwrap().len(), 2);
    // A deployment a stage uses cannot be deleted; an unused one can.
    let err =
        t.gw.delete_deployment(&actor(), &api, &first)
            .await
            .unwrap_err();
    assert_eq!(
        err.message(),
        "Active stages pointing to this deployment must be moved or deleted"
    );
    t.gw.delete_deployment(&actor(), &api, &second)
        .await
        .unwrap();
    t.stop().await;
}

const GUARDED: &str = r#"
openapi: 3.0.1
info: {title: guarded, version: "1"}
x-amazon-apigateway-request-validators:
  params: {validateRequestBody: false, validateRequestParameters: true}
x-amazon-apigateway-gateway-responses:
  UNAUTHORIZED:
    statusCode: "401"
    responseTemplates:
      application/json: '{"custom": true}'
  DEFAULT_4XX:
    responseParameters:
      gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
      gatewayresponse.header.X-Stage: "stageVariables.color"
    responseTemplates:
      application/json: '{"error": $context.error.messageString, "type": "$context.error.responseType", "stage": "$context.stage", "color": "$stageVariables.color"}'
paths:
  /search/{kind}:
    get:
      x-amazon-apigateway-request-validator: params
      parameters:
        - {name: kind, in: path, required: true, schema: {type: string}}
        - {name: q, in: query, required: true, schema: {type: string}}
        - {name: X-Trace, in: header, required: true, schema: {type: string}}
        - {name: page, in: query, required: false, schema: {type: string}}
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200", responseTemplates: {application/json: 'found'}}}
  /keyed:
    get:
      security: [{api_key: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
"#;

#[tokio::test]
async fn validation_api_key_and_customised_gateway_responses() {
    init();
    let t = TestGateway::start().await;
    let api =
        t.gw.import_rest_api(&actor(), GUARDED, Default::default())
            .await
            .unwrap()
            .id;
    let mut variables = IndexMap::new();
    variables.insert("color".to_string(), "blue".to_string());
    t.gw.create_deployment(
        &actor(),
        &api,
        CreateDeployment {
            stage_name: Some("test".into()),
            variables,
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // Missing parameters: all names in one list, header → path → querystring, customised
    // through DEFAULT_4XX (its template, its headers, the member's own status).
    let resp = t
        .client
        .get(t.url(&api, "test", "/search/books?q="))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    assert_eq!(resp.headers()["x-stage"], "blue");
    assert_eq!(resp.headers()["x-amzn-errortype"], "BadRequestException");
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"error": "Missing required request parameters: [X-Trace, q]", "type": "BAD_REQUEST_PARAMETERS", "stage": "test", "color": "blue"}"#
    );
    let resp = t
        .client
        .get(t.url(&api, "test", "/search/books?q=cats"))
        .header("X-Trace", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().await.unwrap(), "found");

    // A key-required method without a (known) key: 403 Forbidden through DEFAULT_4XX.
    let resp = t
        .client
        .get(t.url(&api, "test", "/keyed"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert_eq!(resp.headers()["x-amzn-errortype"], "ForbiddenException");
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"error": "Forbidden", "type": "INVALID_API_KEY", "stage": "test", "color": "blue"}"#
    );
    // Unknown route: also customised by DEFAULT_4XX.
    let resp = t
        .client
        .get(t.url(&api, "test", "/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"error": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN", "stage": "test", "color": "blue"}"#
    );
    t.stop().await;
}
