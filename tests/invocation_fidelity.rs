//! Invocation differences against AWS's recordings, over loopback: integration responses that
//! map the headers a gateway owns (`Content-Length`, `Transfer-Encoding`, `Connection`),
//! `$context.responseOverride.status` in a MOCK request template, `$context.requestOverride.*`
//! read back by the response template, and the HTTP_PROXY response headers AWS remaps.

mod common;

use common::{TestGateway, actor, init};
use gwtui::engine::CreateDeployment;

const API: &str = r##"
openapi: 3.0.1
info: {title: fidelity, version: "1"}
paths:
  /length:
    get:
      responses:
        "200":
          description: ok
          headers:
            Content-Length: {schema: {type: string}}
            X-Other: {schema: {type: string}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.Content-Length: "'abc'"
              method.response.header.X-Other: "'kept'"
            responseTemplates: {application/json: '{"ok": true}'}
  /encoding:
    get:
      responses:
        "200":
          description: ok
          headers:
            Transfer-Encoding: {schema: {type: string}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.Transfer-Encoding: "'gzip, chunked'"
            responseTemplates: {application/json: '{"ok": true}'}
  /connection:
    get:
      responses:
        "200":
          description: ok
          headers:
            Connection: {schema: {type: string}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.Connection: "'upgrade'"
            responseTemplates: {application/json: '{"ok": true}'}
  /override/{flag}:
    get:
      parameters: [{name: flag, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: |
            #set($context.responseOverride.status = 444)
            #set($context.responseOverride.header.foo = "bar")
            #set($context.responseOverride.custom = "is also passed around")
            {
              "statusCode": 200
            }
        responses:
          "2\\d{2}":
            statusCode: "200"
            responseTemplates:
              application/json: |
                #set($statusOverride = $context.responseOverride.status)
                #set($fooHeader = $context.responseOverride.header.foo)
                #set($custom = $context.responseOverride.custom)
                {
                    "statusOverride": "$statusOverride",
                    "fooHeader": "$fooHeader",
                    "custom": "$custom"
                }
  /override-no-template:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: |
            #set($context.responseOverride.status = 444)
            #set($context.responseOverride.header.foo = "bar")
            {
              "statusCode": 200
            }
        responses:
          "2\\d{2}": {statusCode: "200"}
  /assign:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: |
            #set($paramName = "foo")
            #set($context.requestOverride.querystring[$paramName] = "bar")
            #set($paramPutName = "putfoo")
            $context.requestOverride.querystring.put($paramPutName, "putBar")
            #set($context["requestOverride"].querystring["nestedfoo"] = "nestedFoo")
            {
              "statusCode": 200
            }
        responses:
          "2\\d{2}":
            statusCode: "200"
            responseTemplates:
              application/json: |
                #set($value = $context.requestOverride.querystring["foo"])
                #set($value2 = $context.requestOverride.querystring["putfoo"])
                #set($value3 = $context.requestOverride.querystring["nestedfoo"])
                {
                    "value": "$value",
                    "value2": "$value2",
                    "value3": "$value3"
                }
  /carry/{testPath}:
    get:
      parameters: [{name: testPath, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: |
            #set($body = $util.base64Decode($input.params('testPath')))
            #set($context.requestOverride.path.body = $body)
            {
              "statusCode": 200
            }
        responses:
          "2\\d{2}":
            statusCode: "200"
            responseTemplates:
              application/json: |
                #set($body = $util.parseJson($context.requestOverride.path.body))
                #set($inputBody = $body.message)
                #if($inputBody == "path1")
                {
                   "response": "path was path one"
                }
                #else
                {
                  "response": "this is the else clause"
                }
                #end
x-amazon-apigateway-gateway-responses:
  MISSING_AUTHENTICATION_TOKEN:
    statusCode: "404"
    responseParameters:
      gatewayresponse.header.Content-Length: "'nine'"
      gatewayresponse.header.Transfer-Encoding: "'chunked'"
    responseTemplates: {application/json: '{"custom": "missing"}'}
"##;

async fn setup(spec: &str) -> (TestGateway, String) {
    init();
    let t = TestGateway::start().await;
    let api =
        t.gw.import_rest_api(&actor(), spec, Default::default())
            .await
            .expect("import")
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
    .expect("deploy");
    (t, api)
}

#[tokio::test]
async fn mapped_framing_headers_still_give_a_well_formed_response() {
    let (t, api) = setup(API).await;
    for (path, remapped) in [
        ("/length", Some(("x-amzn-remapped-content-length", "abc"))),
        ("/encoding", None),
        (
            "/connection",
            Some(("x-amzn-remapped-connection", "upgrade")),
        ),
    ] {
        let resp = t
            .client
            .get(t.url(&api, "test", path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: no response: {e}"));
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        let headers = resp.headers().clone();
        assert_eq!(headers["content-length"], "12", "{path}: {headers:?}");
        assert!(!headers.contains_key("transfer-encoding"), "{path}");
        if let Some((name, value)) = remapped {
            assert_eq!(headers[name], value, "{path}");
        }
        if path == "/length" {
            assert_eq!(headers["x-other"], "kept");
        }
        let body = resp.text().await.expect("body");
        assert_eq!(body, r#"{"ok": true}"#, "{path}");
    }
    // A gateway response mapping them is written too.
    let resp = t
        .client
        .get(t.url(&api, "test", "/nowhere"))
        .send()
        .await
        .expect("gateway response");
    assert_eq!(resp.status().as_u16(), 404);
    assert_eq!(resp.headers()["x-amzn-remapped-content-length"], "nine");
    assert_eq!(resp.text().await.expect("body"), r#"{"custom": "missing"}"#);
    t.stop().await;
}

/// AWS-recorded: `test_integration_mock_with_response_override_in_request_template[True]`
/// and `[False]` (localstack, tests/aws/services/apigateway/test_apigateway_integrations).
#[tokio::test]
async fn a_response_override_set_by_a_mock_request_template_applies() {
    let (t, api) = setup(API).await;
    let resp = t
        .client
        .get(t.url(&api, "test", "/override/x"))
        .send()
        .await
        .expect("override");
    assert_eq!(resp.status().as_u16(), 444);
    assert_eq!(resp.headers()["foo"], "bar");
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(
        body,
        serde_json::json!({"statusOverride": "444", "fooHeader": "bar", "custom": "is also passed around"})
    );
    let resp = t
        .client
        .get(t.url(&api, "test", "/override-no-template"))
        .send()
        .await
        .expect("override without a template");
    assert_eq!(resp.status().as_u16(), 444);
    assert_eq!(resp.headers()["foo"], "bar");
    assert_eq!(resp.text().await.expect("body"), "");
    t.stop().await;
}

/// AWS-recorded: `test_integration_mock_with_vtl_map_assignation` and
/// `test_integration_mock_with_request_overrides_in_response_template` (localstack).
#[tokio::test]
async fn request_overrides_stay_readable_in_the_response_template() {
    use base64::Engine as _;
    let (t, api) = setup(API).await;
    let resp = t
        .client
        .get(t.url(&api, "test", "/assign"))
        .send()
        .await
        .expect("assign");
    assert_eq!(resp.status().as_u16(), 200);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(
        body,
        serde_json::json!({"value": "bar", "value2": "putBar", "value3": "nestedFoo"})
    );
    for (message, want) in [
        ("path1", "path was path one"),
        ("whatever", "this is the else clause"),
    ] {
        let encoded = base64::engine::general_purpose::STANDARD
            .encode(serde_json::json!({ "message": message }).to_string());
        let resp = t
            .client
            .get(t.url(&api, "test", &format!("/carry/{encoded}")))
            .send()
            .await
            .expect("carry");
        assert_eq!(resp.status().as_u16(), 200);
        let body: serde_json::Value = resp.json().await.expect("json");
        assert_eq!(body, serde_json::json!({ "response": want }), "{message}");
    }
    t.stop().await;
}

/// A backend writing exactly the response AWS's recording saw from its Lambda URL backend
/// (`Connection`, `Content-Length`, `Date`, `x-amzn-RequestId`) plus `Server`, then closing.
async fn raw_backend() -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind backend");
    let addr = listener.local_addr().expect("backend addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut buf = [0u8; 1024];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let body = r#"{"ok":true}"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                     Connection: keep-alive\r\nDate: Mon, 07 Dec 2026 10:00:00 GMT\r\n\
                     Server: raw/1\r\nx-amzn-RequestId: 0b5e0a3c-1111-2222-3333-444455556666\r\n\
                     X-Custom: 1\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    addr
}

/// AWS-recorded: `test_http_integration_with_lambda[HTTP_PROXY]` (localstack,
/// tests/aws/services/apigateway/test_apigateway_http.snapshot.json): the backend's
/// `Connection`, `Content-Length`, `Date` and `x-amzn-RequestId` come back as
/// `x-amzn-Remapped-*`, next to the gateway's own.
#[tokio::test]
async fn http_proxy_remaps_the_headers_aws_remaps() {
    let backend = raw_backend().await;
    let spec = format!(
        r#"
openapi: 3.0.1
info: {{title: proxy, version: "1"}}
paths:
  /test:
    get:
      responses: {{"200": {{description: ok}}}}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: http://{backend}/echo
"#
    );
    let (t, api) = setup(&spec).await;
    let resp = t
        .client
        .get(t.url(&api, "test", "/test"))
        .send()
        .await
        .expect("proxy");
    assert_eq!(resp.status().as_u16(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["x-amzn-remapped-connection"], "keep-alive");
    assert_eq!(h["x-amzn-remapped-content-length"], "11");
    assert_eq!(h["x-amzn-remapped-date"], "Mon, 07 Dec 2026 10:00:00 GMT");
    assert_eq!(
        h["x-amzn-remapped-x-amzn-requestid"],
        "0b5e0a3c-1111-2222-3333-444455556666"
    );
    assert_eq!(h["x-amzn-remapped-server"], "raw/1");
    assert_ne!(
        h["x-amzn-requestid"],
        "0b5e0a3c-1111-2222-3333-444455556666"
    );
    assert_eq!(h["content-length"], "11");
    assert_eq!(h["x-custom"], "1");
    assert_eq!(resp.text().await.expect("body"), r#"{"ok":true}"#);
    t.stop().await;
}
