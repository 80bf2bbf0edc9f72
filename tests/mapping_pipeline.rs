//! The mapping layer inside the pipeline, over loopback: passthrough behaviours, selection
//! patterns, every parameter-mapping source, overrides, binary conversions and `$context`.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use common::{TestGateway, actor, init};
use gwtui::engine::CreateDeployment;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// Echoes the request as JSON; `/status/N` answers status N with a JSON error body; `/bin`
/// answers 4 raw bytes as image/png.
async fn backend() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let svc = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    let (parts, body) = req.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    let mut resp = if parts.uri.path() == "/bin" {
                        let mut r = hyper::Response::new(Full::new(Bytes::from_static(&[
                            0, 159, 146, 150,
                        ])));
                        r.headers_mut()
                            .insert("content-type", "image/png".parse().unwrap());
                        r
                    } else {
                        let headers: serde_json::Map<String, serde_json::Value> = parts
                            .headers
                            .iter()
                            .map(|(k, v)| {
                                (
                                    k.to_string(),
                                    serde_json::Value::String(
                                        String::from_utf8_lossy(v.as_bytes()).into(),
                                    ),
                                )
                            })
                            .collect();
                        let echo = serde_json::json!({
                            "method": parts.method.as_str(), "path": parts.uri.path(), "query": parts.uri.query(),
                            "headers": headers, "body": String::from_utf8_lossy(&body), "bodyBase64": base64_of(&body),
                            "errorMessage": "pet not found: 7",
                        });
                        let mut r = hyper::Response::new(Full::new(Bytes::from(echo.to_string())));
                        r.headers_mut()
                            .insert("content-type", "application/json".parse().unwrap());
                        r.headers_mut()
                            .insert("x-backend-id", "b-1".parse().unwrap());
                        r.headers_mut().append("x-multi", "one".parse().unwrap());
                        r.headers_mut().append("x-multi", "two".parse().unwrap());
                        r
                    };
                    if let Some(code) = parts
                        .uri
                        .path()
                        .strip_prefix("/status/")
                        .and_then(|c| c.parse::<u16>().ok())
                    {
                        *resp.status_mut() = hyper::StatusCode::from_u16(code).unwrap();
                    }
                    Ok::<_, Infallible>(resp)
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

fn base64_of(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

const API: &str = r##"
openapi: 3.0.1
info: {title: mapping, version: "1"}
x-amazon-apigateway-binary-media-types: [image/png, application/octet-stream]
paths:
  /ctx:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '#set($code = 200){"statusCode": $code}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"stage":"$context.stage","method":"$context.httpMethod","resourcePath":"$context.resourcePath","path":"$context.path","apiId":"$context.apiId","ip":"$context.identity.sourceIp","ua":"$context.identity.userAgent","protocol":"$context.protocol","hasId":#if($context.requestId.length() == 36)true#{else}false#end,"color":"$stageVariables.color"}'
  /pass/{mode}:
    post:
      parameters: [{name: mode, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: http://${stageVariables.backend}/echo
        passthroughBehavior: when_no_match
        requestTemplates: {application/json: '{"templated": $input.json("$.a")}'}
        responses: {default: {statusCode: "200"}}
  /never:
    post:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: http://${stageVariables.backend}/echo
        passthroughBehavior: never
        requestTemplates: {application/json: '{}'}
        responses: {default: {statusCode: "200"}}
  /notemplates:
    post:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: http://${stageVariables.backend}/echo
        passthroughBehavior: when_no_templates
        responses: {default: {statusCode: "200"}}
  /sometemplates:
    post:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: http://${stageVariables.backend}/echo
        passthroughBehavior: when_no_templates
        requestTemplates: {application/xml: '<x/>'}
        responses: {default: {statusCode: "200"}}
  /select/{code}:
    get:
      parameters: [{name: code, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}, "404": {description: nf}, "502": {description: bad}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: http://${stageVariables.backend}/status/{code}
        requestParameters: {integration.request.path.code: method.request.path.code}
        responses:
          "404":
            statusCode: "404"
            responseTemplates: {application/json: '{"missing": "$input.path(''$.errorMessage'')"}'}
          "5\\d{2}":
            statusCode: "502"
            responseTemplates: {application/json: '{"upstream": "failed"}'}
          default:
            statusCode: "200"
            responseTemplates: {application/json: 'ok'}
  /map/{id}:
    post:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: q, in: query, schema: {type: string}}
        - {name: tag, in: query, schema: {type: string}}
        - {name: X-In, in: header, schema: {type: string}}
      responses:
        "200":
          description: ok
          headers:
            X-From-Header: {schema: {type: string}}
            X-From-Multi: {schema: {type: string}}
            X-From-Body: {schema: {type: string}}
            X-Literal: {schema: {type: string}}
            X-Stage-Var: {schema: {type: string}}
            X-Context: {schema: {type: string}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: http://${stageVariables.backend}/items/{itemId}
        requestParameters:
          integration.request.path.itemId: method.request.path.id
          integration.request.querystring.search: method.request.querystring.q
          integration.request.querystring.tags: method.request.multivaluequerystring.tag
          integration.request.header.X-Out: method.request.header.X-In
          integration.request.header.X-Body-Name: method.request.body.pet.name
          integration.request.header.X-Stage: stageVariables.color
          integration.request.header.X-Req: context.requestId
          integration.request.header.X-Lit: "'fixed'"
        requestTemplates:
          application/json: |
            #set($context.requestOverride.header.X-Override = "from-template")
            #set($context.requestOverride.querystring.extra = "yes")
            $input.body
        responses:
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.X-From-Header: integration.response.header.X-Backend-Id
              method.response.header.X-From-Multi: integration.response.multivalueheader.X-Multi
              method.response.header.X-From-Body: integration.response.body.method
              method.response.header.X-Literal: "'lit'"
              method.response.header.X-Stage-Var: stageVariables.color
              method.response.header.X-Context: context.stage
            responseTemplates:
              application/json: |
                #set($root = $input.path('$'))
                {"backendSaw": $input.json('$')}
                #if($root.query.contains("search=cats"))#set($context.responseOverride.status = 201)#set($context.responseOverride.header.X-Reason = "override")#end
  /bin:
    get:
      parameters: [{name: mode, in: query, schema: {type: string}}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: http://${stageVariables.backend}/bin
        responses: {default: {statusCode: "200"}}
  /bin-text:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: http://${stageVariables.backend}/bin
        responses: {default: {statusCode: "200", contentHandling: CONVERT_TO_TEXT}}
  /upload:
    post:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: http://${stageVariables.backend}/echo
        contentHandling: CONVERT_TO_TEXT
        responses: {default: {statusCode: "200"}}
  /decode:
    post:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: http://${stageVariables.backend}/echo
        contentHandling: CONVERT_TO_BINARY
        responses: {default: {statusCode: "200"}}
"##;

async fn setup() -> (TestGateway, String) {
    init();
    let t = TestGateway::start().await;
    let backend = backend().await;
    let api =
        t.gw.import_rest_api(&actor(), API, Default::default())
            .await
            .unwrap()
            .id;
    let mut variables = indexmap::IndexMap::new();
    variables.insert("backend".to_string(), backend.to_string());
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
    (t, api)
}

async fn json(resp: reqwest::Response) -> serde_json::Value {
    let text = resp.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[tokio::test]
async fn context_variables_in_a_mock_template() {
    let (t, api) = setup().await;
    let resp = t
        .client
        .get(t.url(&api, "test", "/ctx"))
        .header("user-agent", "ua/1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let v = json(resp).await;
    assert_eq!(v["stage"], "test");
    assert_eq!(v["method"], "GET");
    assert_eq!(v["resourcePath"], "/ctx");
    assert_eq!(v["path"], "/test/ctx");
    assert_eq!(v["apiId"], api.as_str());
    assert_eq!(v["ip"], "127.0.0.1");
    assert_eq!(v["ua"], "ua/1");
    assert_eq!(v["protocol"], "HTTP/1.1");
    assert_eq!(v["hasId"], true);
    assert_eq!(v["color"], "blue");
    t.stop().await;
}

#[tokio::test]
async fn passthrough_behaviours() {
    let (t, api) = setup().await;
    let post = |path: &'static str, ct: &'static str, body: &'static str| {
        t.client
            .post(t.url(&api, "test", path))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    // WHEN_NO_MATCH: a matching template transforms, another type passes through.
    let v = json(
        post("/pass/x", "application/json", r#"{"a": [1, 2]}"#)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["body"], r#"{"templated": [1,2]}"#);
    let v = json(post("/pass/x", "text/plain", "raw text").await.unwrap()).await;
    assert_eq!(v["body"], "raw text");
    // Missing Content-Type counts as application/json.
    let v = json(
        t.client
            .post(t.url(&api, "test", "/pass/x"))
            .body(r#"{"a": "s"}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["body"], r#"{"templated": "s"}"#);
    // NEVER: no template for the type → 415.
    let resp = post("/never", "text/plain", "x").await.unwrap();
    assert_eq!(resp.status().as_u16(), 415);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"message":"Unsupported Media Type"}"#
    );
    assert_eq!(
        post("/never", "application/json", "{}")
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    // WHEN_NO_TEMPLATES: no templates at all → passthrough; templates but none matching → 415.
    let v = json(post("/notemplates", "text/plain", "as is").await.unwrap()).await;
    assert_eq!(v["body"], "as is");
    assert_eq!(
        post("/sometemplates", "text/plain", "x")
            .await
            .unwrap()
            .status()
            .as_u16(),
        415
    );
    let v = json(
        post("/sometemplates", "application/xml", "<a/>")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(v["body"], "<x/>");
    t.stop().await;
}

#[tokio::test]
async fn selection_patterns_pick_the_integration_response() {
    let (t, api) = setup().await;
    let get = |code: &'static str| {
        t.client
            .get(t.url(&api, "test", &format!("/select/{code}")))
            .send()
    };
    let resp = get("200").await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().await.unwrap(), "ok");
    let resp = get("404").await.unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"missing": "pet not found: 7"}"#
    );
    for code in ["500", "503"] {
        let resp = get(code).await.unwrap();
        assert_eq!(resp.status().as_u16(), 502);
        assert_eq!(resp.text().await.unwrap(), r#"{"upstream": "failed"}"#);
    }
    // 418 matches no pattern: the default response.
    assert_eq!(get("418").await.unwrap().status().as_u16(), 200);
    t.stop().await;
}

#[tokio::test]
async fn every_parameter_mapping_source_and_the_overrides() {
    let (t, api) = setup().await;
    let resp = t
        .client
        .post(t.url(&api, "test", "/map/42?q=cats&tag=a&tag=b"))
        .header("content-type", "application/json")
        .header("X-In", "inbound")
        .body(r#"{"pet": {"name": "Rex"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201, "responseOverride.status");
    let h = resp.headers().clone();
    assert_eq!(h["x-reason"], "override");
    assert_eq!(h["x-from-header"], "b-1");
    assert_eq!(h["x-from-multi"], "one,two");
    assert_eq!(h["x-from-body"], "POST");
    assert_eq!(h["x-literal"], "lit");
    assert_eq!(h["x-stage-var"], "blue");
    assert_eq!(h["x-context"], "test");
    let v = json(resp).await;
    let saw = &v["backendSaw"];
    assert_eq!(saw["path"], "/items/42");
    let query = saw["query"].as_str().unwrap();
    assert!(query.contains("search=cats"), "{query}");
    assert!(query.contains("tags=a%2Cb"), "{query}");
    assert!(query.contains("extra=yes"), "{query}");
    let headers = &saw["headers"];
    assert_eq!(headers["x-out"], "inbound");
    assert_eq!(headers["x-body-name"], "Rex");
    assert_eq!(headers["x-stage"], "blue");
    assert_eq!(headers["x-req"].as_str().unwrap().len(), 36);
    assert_eq!(headers["x-lit"], "fixed");
    assert_eq!(headers["x-override"], "from-template");
    // Only mapped headers reach an HTTP (non-proxy) backend.
    assert!(headers.get("x-in").is_none());
    assert_eq!(
        saw["body"].as_str().unwrap().trim(),
        r#"{"pet": {"name": "Rex"}}"#
    );
    t.stop().await;
}

#[tokio::test]
async fn binary_conversions() {
    let (t, api) = setup().await;
    // Binary payload, Accept binary: bytes as they are.
    let resp = t
        .client
        .get(t.url(&api, "test", "/bin"))
        .header("accept", "image/png")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &[0, 159, 146, 150]);
    // Binary payload, Accept text: base64 text.
    let resp = t
        .client
        .get(t.url(&api, "test", "/bin"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "AJ+Slg==");
    // CONVERT_TO_TEXT on the response: base64 even when binary is accepted.
    let resp = t
        .client
        .get(t.url(&api, "test", "/bin-text"))
        .header("accept", "image/png")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "AJ+Slg==");
    // Request CONVERT_TO_TEXT: a binary upload reaches the backend as base64 text.
    let resp = t
        .client
        .post(t.url(&api, "test", "/upload"))
        .header("content-type", "application/octet-stream")
        .body(vec![0u8, 159, 146, 150])
        .send()
        .await
        .unwrap();
    assert_eq!(json(resp).await["body"], "AJ+Slg==");
    // Request CONVERT_TO_BINARY: base64 text reaches the backend as bytes.
    let resp = t
        .client
        .post(t.url(&api, "test", "/decode"))
        .header("content-type", "text/plain")
        .body("AJ+Slg==")
        .send()
        .await
        .unwrap();
    assert_eq!(json(resp).await["bodyBase64"], "AJ+Slg==");
    let resp = t
        .client
        .post(t.url(&api, "test", "/decode"))
        .header("content-type", "text/plain")
        .body("%%%")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    t.stop().await;
}

#[tokio::test]
async fn a_template_syntax_error_refuses_the_deployment_with_line_and_column() {
    init();
    let t = TestGateway::start().await;
    let api =
        t.gw.import_rest_api(&actor(), API, Default::default())
            .await
            .unwrap()
            .id;
    let def = t.gw.get_definition(&api).unwrap();
    let rid = def.resource_by_path("/ctx").unwrap().id.clone();
    let mut integration = def
        .method(&rid, "GET")
        .unwrap()
        .method_integration
        .clone()
        .unwrap();
    integration
        .request_templates
        .insert("application/json".into(), "{\n  #if($x\n}".into());
    t.gw.put_integration(&actor(), &api, &rid, "GET", integration)
        .await
        .unwrap();
    let err =
        t.gw.create_deployment(
            &actor(),
            &api,
            CreateDeployment {
                stage_name: Some("s".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        err.message().contains(
            "request template application/json: line 3, column 1: expected ')' to close #if"
        ),
        "{}",
        err.message()
    );
    t.stop().await;
}
