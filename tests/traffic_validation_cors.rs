//! Request validation (execution.md §7) with byte-exact failures, JSON-schema draft 4 models
//! referencing each other, and a browser-shaped CORS preflight after "Enable CORS" over the
//! management API.

mod common;

use common::{TestGateway, actor, init};
use gwtui::engine::CreateDeployment;

const MOCK: &str = r#"
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default: {statusCode: "200", responseTemplates: {application/json: '{"ok":true}'}}"#;

fn api_doc() -> String {
    format!(
        r##"swagger: "2.0"
info: {{title: pets, version: "1"}}
x-amazon-apigateway-request-validators:
  all: {{validateRequestBody: true, validateRequestParameters: true}}
  body: {{validateRequestBody: true, validateRequestParameters: false}}
definitions:
  Tag:
    type: object
    required: [label]
    properties: {{label: {{type: string}}}}
  Pet:
    type: object
    required: [name]
    properties:
      name: {{type: string, minLength: 1}}
      age: {{type: integer, minimum: 0}}
      tag: {{$ref: "#/definitions/Tag"}}
paths:
  /pets:
    post:
      x-amazon-apigateway-request-validator: all
      consumes: [application/json]
      parameters:
        - {{name: x-trace, in: header, required: true, type: string}}
        - {{name: mode, in: query, required: true, type: string}}
        - {{name: body, in: body, required: true, schema: {{$ref: "#/definitions/Pet"}}}}
      responses: {{"200": {{description: ok}}}}{MOCK}
    put:
      x-amazon-apigateway-request-validator: body
      parameters:
        - {{name: body, in: body, required: true, schema: {{$ref: "#/definitions/Pet"}}}}
      responses: {{"200": {{description: ok}}}}{MOCK}
  /open:
    get:
      responses: {{"200": {{description: ok}}}}{MOCK}
"##
    )
}

async fn send(
    t: &TestGateway,
    api: &str,
    verb: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, reqwest::header::HeaderMap) {
    let mut req = t
        .client
        .request(
            reqwest::Method::from_bytes(verb.as_bytes()).unwrap(),
            t.url(api, "test", path),
        )
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, resp.text().await.unwrap(), headers)
}

const INVALID_BODY: &str = r#"{"message":"Invalid request body"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_then_body_against_draft4_models() {
    init();
    let t = TestGateway::start().await;
    let api =
        t.gw.import_rest_api(&actor(), &api_doc(), Default::default())
            .await
            .unwrap()
            .id;
    t.gw.create_deployment(
        &actor(),
        &api,
        CreateDeployment {
            stage_name: Some("test".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let json = ("content-type", "application/json");
    let trace = ("x-trace", "t1");

    // Missing parameters win over a bad body, listed header → querystring.
    let (status, body, headers) = send(&t, &api, "POST", "/pets", &[json], r#"{"age": -1}"#).await;
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            r#"{"message":"Missing required request parameters: [x-trace, mode]"}"#
        )
    );
    assert_eq!(headers["x-amzn-errortype"], "BadRequestException");
    // Blank counts as missing.
    let (status, body, _) = send(
        &t,
        &api,
        "POST",
        "/pets?mode=",
        &[json, trace],
        r#"{"name":"rex"}"#,
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            r#"{"message":"Missing required request parameters: [mode]"}"#
        )
    );

    for bad in [
        r#"{"age": -1}"#,
        r#"{"name": ""}"#,
        r#"{"name": "rex", "age": "old"}"#,
        r#"{"name":"rex","tag":{}}"#,
        "not json",
        "",
    ] {
        let (status, body, headers) =
            send(&t, &api, "POST", "/pets?mode=x", &[json, trace], bad).await;
        assert_eq!((status, body.as_str()), (400, INVALID_BODY), "body {bad:?}");
        assert_eq!(headers["x-amzn-errortype"], "BadRequestException");
    }
    let (status, body, _) = send(
        &t,
        &api,
        "POST",
        "/pets?mode=x",
        &[json, trace],
        r#"{"name":"rex","age":3,"tag":{"label":"good"}}"#,
    )
    .await;
    assert_eq!((status, body.as_str()), (200, r#"{"ok":true}"#));
    // Missing Content-Type means application/json; parameters: charset is ignored.
    let (status, ..) = send(&t, &api, "POST", "/pets?mode=x", &[trace], r#"{"age":1}"#).await;
    assert_eq!(status, 400);
    let (status, ..) = send(
        &t,
        &api,
        "POST",
        "/pets?mode=x",
        &[("content-type", "application/json; charset=utf-8"), trace],
        "{}",
    )
    .await;
    assert_eq!(status, 400);
    // No model for text/plain and no $default: the body is not validated.
    let (status, ..) = send(
        &t,
        &api,
        "POST",
        "/pets?mode=x",
        &[("content-type", "text/plain"), trace],
        "anything",
    )
    .await;
    assert_eq!(status, 200);
    // A body-only validator ignores parameters; an empty body is still validated.
    let (status, body, _) = send(&t, &api, "PUT", "/pets", &[], "").await;
    assert_eq!((status, body.as_str()), (400, INVALID_BODY));
    let (status, ..) = send(&t, &api, "PUT", "/pets", &[], r#"{"name":"a"}"#).await;
    assert_eq!(status, 200);

    // The reason is in $context.error.validationErrorString.
    let mut templates = indexmap::IndexMap::new();
    templates.insert(
        "application/json".to_string(),
        "{\"reason\": \"$context.error.validationErrorString\"}".to_string(),
    );
    t.gw.put_gateway_response(
        &actor(),
        &api,
        "BAD_REQUEST_BODY",
        gwtui::engine::PutGatewayResponse {
            response_templates: templates,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    t.gw.create_deployment(
        &actor(),
        &api,
        CreateDeployment {
            stage_name: Some("test".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (status, body, _) = send(&t, &api, "PUT", "/pets", &[], r#"{"age":2}"#).await;
    assert_eq!(status, 400);
    assert!(body.contains("name") && body.contains("required"), "{body}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_preflight_passes_after_enable_cors() {
    init();
    let t = TestGateway::start().await;
    let api =
        t.gw.import_rest_api(&actor(), &api_doc(), Default::default())
            .await
            .unwrap()
            .id;
    let def = t.gw.get_definition(&api).unwrap();
    let open = def.resource_by_path("/open").unwrap().id.clone();
    let origin = "http://localhost:3000";
    let resp = t
        .client
        .put(format!("{}/gwtui/restapis/{api}/resources/{open}/cors", t.base()))
        .json(&serde_json::json!({ "allowOrigin": origin, "allowHeaders": ["Content-Type", "X-Trace"], "maxAge": 600 }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let resource: serde_json::Value = resp.json().await.unwrap();
    assert!(resource["resourceMethods"]["OPTIONS"].is_object());
    let audit = t.gw.audit_log(1).unwrap();
    assert_eq!(
        (audit[0].action.as_str(), audit[0].actor.as_str()),
        ("EnableCors", "anonymous")
    );
    // Unknown resources are AWS's NotFoundException.
    let missing = t
        .client
        .put(format!(
            "{}/gwtui/restapis/{api}/resources/nope/cors",
            t.base()
        ))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);

    t.gw.create_deployment(
        &actor(),
        &api,
        CreateDeployment {
            stage_name: Some("test".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // What a browser sends before a cross-origin GET with a custom header.
    let (status, body, headers) = send(
        &t,
        &api,
        "OPTIONS",
        "/open",
        &[
            ("origin", origin),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "content-type,x-trace"),
        ],
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // The browser's checks: origin matches, method and every requested header allowed.
    assert_eq!(headers["access-control-allow-origin"], origin);
    let list = |name: &str| -> Vec<String> {
        headers[name]
            .to_str()
            .unwrap()
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .collect()
    };
    assert!(list("access-control-allow-methods").contains(&"get".to_string()));
    for requested in ["content-type", "x-trace"] {
        assert!(
            list("access-control-allow-headers").contains(&requested.to_string()),
            "{requested}"
        );
    }
    assert_eq!(headers["access-control-max-age"], "600");

    // The actual request carries Access-Control-Allow-Origin.
    let (status, body, headers) = send(&t, &api, "GET", "/open", &[("origin", origin)], "").await;
    assert_eq!((status, body.as_str()), (200, r#"{"ok":true}"#));
    assert_eq!(headers["access-control-allow-origin"], origin);
    // So do gateway errors (DEFAULT_4XX), with the default body.
    let (status, body, headers) =
        send(&t, &api, "GET", "/nothing-here", &[("origin", origin)], "").await;
    assert_eq!(
        (status, body.as_str()),
        (403, r#"{"message":"Missing Authentication Token"}"#)
    );
    assert_eq!(headers["access-control-allow-origin"], origin);
    t.stop().await;
}
