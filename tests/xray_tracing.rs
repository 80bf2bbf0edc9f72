//! X-Ray active tracing over loopback (ops.md §7): the `X-Amzn-Trace-Id` format, its
//! propagation to an HTTP backend, to an AWS service integration and to a Python Lambda (whose
//! handler reads `_X_AMZN_TRACE_ID`), continuation of a client's header, the default sampling rule over
//! 1,000 requests, and OTLP export to an in-test collector (one span per phase).

mod common;
mod http_api_support;
mod lambda_support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{TestGateway, actor, init};
use gwtui::engine::Runtime;
use gwtui::engine::TracingConfig;
use gwtui::engine::{CreateDeployment, EngineConfig};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use serde_json::{Value, json};
use tokio::net::TcpListener;

const ACCESS_KEY: &str = "AKIDTRACETEST";
const SECRET: &str = "trace-test-secret";

fn mock(template: &str) -> Value {
    json!({
        "type": "mock",
        "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
        "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": template}}}
    })
}

fn op(security: Value, integration: Value) -> Value {
    json!({"security": security, "responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": integration})
}

fn api_doc(backend: SocketAddr) -> String {
    json!({
        "openapi": "3.0.1",
        "info": {"title": "traced", "version": "1"},
        "components": {"securitySchemes": {
            "sigv4": {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}
        }},
        "paths": {
            "/http": {"get": op(json!([]), json!({
                "type": "http", "httpMethod": "GET", "uri": format!("http://{backend}/http"),
                "responses": {"default": {"statusCode": "200"}}
            }))},
            "/proxy": {"get": op(json!([]), json!({
                "type": "http_proxy", "httpMethod": "GET", "uri": format!("http://{backend}/proxy")
            }))},
            "/mock": {"get": op(json!([]), mock("{\"trace\": \"$context.xrayTraceId\"}"))},
            "/sqs": {"get": op(json!([]), json!({
                "type": "aws", "httpMethod": "POST",
                "uri": "arn:aws:apigateway:us-east-1:sqs:action/SendMessage&MessageBody=traced",
                "responses": {"default": {"statusCode": "200"}}
            }))},
            "/iam": {"get": op(json!([{"sigv4": []}]), json!({
                "type": "http", "httpMethod": "GET", "uri": format!("http://{backend}/iam"),
                "responses": {"default": {"statusCode": "200"}}
            }))},
            "/py": {"get": op(json!([]), json!({
                "type": "aws_proxy", "httpMethod": "POST", "uri": lambda_support::lambda_uri("trace")
            }))}
        }
    })
    .to_string()
}

/// A gateway with the API deployed to `traced` (tracingEnabled) and `plain`.
async fn setup(tracing: TracingConfig) -> (TestGateway, String) {
    init();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = EngineConfig {
        data_dir: dir.path().to_path_buf(),
        tracing,
        ..EngineConfig::default()
    };
    let t = TestGateway::start_with(dir, config).await;
    let backend = http_api_support::echo_backend().await;
    let api =
        t.gw.import_rest_api(&actor(), &api_doc(backend), Default::default())
            .await
            .expect("import");
    for (stage, tracing) in [("traced", true), ("plain", false)] {
        t.gw.create_deployment(
            &actor(),
            &api.id,
            CreateDeployment {
                stage_name: Some(stage.into()),
                tracing_enabled: Some(tracing),
                ..Default::default()
            },
        )
        .await
        .expect("deploy");
    }
    (t, api.id)
}

async fn get(
    t: &TestGateway,
    api: &str,
    stage: &str,
    path: &str,
    header: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = t.client.get(t.url(api, stage, path));
    if let Some(h) = header {
        req = req.header("x-amzn-trace-id", h);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

/// `Root=1-{8 hex}-{24 hex};Parent={16 hex};Sampled={0|1}`, split into its three parts.
fn parts(header: &str) -> (String, String, String) {
    let fields: Vec<&str> = header.split(';').collect();
    assert_eq!(fields.len(), 3, "{header}");
    let root = fields[0].strip_prefix("Root=").expect(header);
    let parent = fields[1].strip_prefix("Parent=").expect(header);
    let sampled = fields[2].strip_prefix("Sampled=").expect(header);
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let r: Vec<&str> = root.split('-').collect();
    assert!(
        r.len() == 3 && r[0] == "1" && hex(r[1], 8) && hex(r[2], 24),
        "{header}"
    );
    assert!(hex(parent, 16), "{header}");
    assert!(sampled == "0" || sampled == "1", "{header}");
    (root.into(), parent.into(), sampled.into())
}

fn backend_trace(body: &Value) -> Option<String> {
    body["headers"]["x-amzn-trace-id"]
        .as_str()
        .map(str::to_string)
}

#[tokio::test]
async fn traced_stages_give_every_request_an_aws_trace_id_passed_to_http_backends() {
    let (t, api) = setup(TracingConfig::default()).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();

    // HTTP integration: the backend gets a header in X-Ray's format, the client the same one.
    let (status, headers, body) = get(&t, &api, "traced", "/http", None).await;
    assert_eq!(status, 200, "{body}");
    let sent = backend_trace(&body).expect("backend saw a trace header");
    let (root, _, _) = parts(&sent);
    let epoch = i64::from_str_radix(&root[2..10], 16).expect("hex epoch");
    assert!((epoch - now).abs() <= 5, "{root} vs {now}");
    assert_eq!(
        headers.get("x-amzn-trace-id").and_then(|v| v.to_str().ok()),
        Some(sent.as_str())
    );
    // The console's trace of that request has the same ids and the phases in order.
    let request_id = headers["x-amzn-requestid"]
        .to_str()
        .expect("id")
        .to_string();
    let trace = wait_for_trace(&t, &request_id).await;
    assert_eq!(trace.header(), sent);
    let names: Vec<&str> = trace.phases.iter().map(|p| p.phase.as_str()).collect();
    assert_eq!(
        names,
        ["Method request", "Integration", "Integration response"]
    );
    let total: Duration = trace.phases.iter().map(|p| p.duration).sum();
    assert!(total <= trace.duration, "{trace:?}");

    // HTTP_PROXY: the client's own header is replaced by the gateway's; not returned.
    let client = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
    let (_, headers, body) = get(&t, &api, "traced", "/proxy", Some(client)).await;
    let sent = backend_trace(&body).expect("proxy backend saw a trace header");
    let (root, _, sampled) = parts(&sent);
    assert_eq!(
        (root.as_str(), sampled.as_str()),
        ("1-5759e988-bd862e3fe1be46a994272793", "1")
    );
    assert!(headers.get("x-amzn-trace-id").is_none());

    // MOCK: `$context.xrayTraceId` is the root; no header on a MOCK response.
    let (_, headers, body) = get(&t, &api, "traced", "/mock", None).await;
    let id = body["trace"].as_str().expect("xrayTraceId");
    assert!(id.starts_with("1-") && id.len() == 35, "{body}");
    assert!(headers.get("x-amzn-trace-id").is_none());

    // A stage without tracing adds nothing.
    let (_, headers, body) = get(&t, &api, "plain", "/http", None).await;
    assert_eq!(backend_trace(&body), None, "{body}");
    assert!(headers.get("x-amzn-trace-id").is_none());
    let (_, _, body) = get(&t, &api, "plain", "/mock", None).await;
    assert_eq!(body["trace"], "", "{body}");
    t.stop().await;
}

async fn wait_for_trace(t: &TestGateway, request_id: &str) -> gwtui::engine::RequestTrace {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(trace) = t.gw.request_trace(request_id) {
            return trace;
        }
        assert!(Instant::now() < deadline, "no trace for {request_id}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn aws_service_integrations_receive_the_trace_header_outside_the_signature() {
    let (t, api) = setup(TracingConfig::default()).await;
    // `[aws]` points every service at a backend that echoes what it receives.
    let service = http_api_support::echo_backend().await;
    t.gw.set_aws_settings(
        gwtui::engine::AwsSettings::resolve(
            &gwtui::engine::AwsConfig {
                endpoint_url: Some(format!("http://{service}")),
                access_key_id: Some(ACCESS_KEY.into()),
                secret_access_key: Some(SECRET.into()),
                ..Default::default()
            },
            |_| None,
            None,
        )
        .expect("aws settings"),
    );

    let (status, headers, body) = get(&t, &api, "traced", "/sqs", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["uri"]
            .as_str()
            .is_some_and(|u| u.contains("Action=SendMessage")),
        "{body}"
    );
    let sent = backend_trace(&body).expect("the service saw a trace header");
    let (root, parent, _) = parts(&sent);
    assert_eq!(
        headers.get("x-amzn-trace-id").and_then(|v| v.to_str().ok()),
        Some(sent.as_str())
    );
    // Signed with SigV4, the trace header left out of the signed headers as the AWS SDKs do.
    let authorization = body["headers"]["authorization"].as_str().expect("signed");
    assert!(authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTRACETEST/"));
    assert!(
        !authorization.contains("x-amzn-trace-id"),
        "{authorization}"
    );

    // A client's trace is continued into the service call, under the gateway's segment.
    let client = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let (_, _, body) = get(&t, &api, "traced", "/sqs", Some(client)).await;
    let (continued, continued_parent, sampled) = parts(&backend_trace(&body).expect("continued"));
    assert_eq!(continued, "1-5759e988-bd862e3fe1be46a994272793");
    assert_eq!(sampled, "1");
    assert_ne!(continued_parent, "53995c3f42cd8ad8");
    assert_ne!((continued, continued_parent), (root, parent));

    // A stage without tracing sends none, even when the client sends one.
    let (status, _, body) = get(&t, &api, "plain", "/sqs", Some(client)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(backend_trace(&body), None, "{body}");
    t.stop().await;
}

#[tokio::test]
async fn a_client_trace_header_is_continued_and_its_sampling_decision_honoured() {
    let (t, api) = setup(TracingConfig {
        reservoir_size: 0,
        fixed_rate: 0.0,
        otlp_endpoint: None,
    })
    .await;
    let root = "1-5759e988-bd862e3fe1be46a994272793";
    for (decision, expect) in [("1", "1"), ("0", "0"), ("?", "0")] {
        let client = format!("Root={root};Parent=53995c3f42cd8ad8;Sampled={decision}");
        let (status, headers, body) = get(&t, &api, "traced", "/http", Some(&client)).await;
        assert_eq!(status, 200);
        let sent = backend_trace(&body).expect("trace header");
        let (r, parent, sampled) = parts(&sent);
        assert_eq!(r, root, "the root is kept");
        assert_ne!(
            parent, "53995c3f42cd8ad8",
            "the gateway's segment is the new parent"
        );
        assert_eq!(sampled, expect, "Sampled={decision} (rule samples nothing)");
        let id = headers["x-amzn-requestid"]
            .to_str()
            .expect("id")
            .to_string();
        let trace = wait_for_trace(&t, &id).await;
        assert_eq!(trace.parent.as_deref(), Some("53995c3f42cd8ad8"));
        assert_eq!(trace.segment_id, parent);
    }
    // A malformed header starts a new trace.
    let (_, _, body) = get(&t, &api, "traced", "/http", Some("Root=1-nothex;Sampled=1")).await;
    let (r, _, sampled) = parts(&backend_trace(&body).expect("trace header"));
    assert_ne!(r, root);
    assert_eq!(sampled, "0");
    t.stop().await;
}

async fn sampled_share(t: &TestGateway, api: &str, n: usize) -> usize {
    let mut sampled = 0;
    for _ in 0..n {
        let (_, _, body) = get(t, api, "traced", "/http", None).await;
        let (_, _, s) = parts(&backend_trace(&body).expect("trace header"));
        sampled += usize::from(s == "1");
    }
    sampled
}

#[tokio::test]
async fn the_default_rule_samples_one_a_second_plus_five_percent() {
    let (t, api) = setup(TracingConfig::default()).await;
    let started = Instant::now();
    let sampled = sampled_share(&t, &api, 1000).await;
    let seconds = started.elapsed().as_secs() as usize + 1;
    // 5 % of 1,000 is 50 (σ ≈ 6.9), plus one per second from the reservoir.
    assert!(
        (25..=80 + seconds).contains(&sampled),
        "{sampled} of 1000 sampled in {seconds} s"
    );
    t.stop().await;

    let (t, api) = setup(TracingConfig {
        reservoir_size: 0,
        fixed_rate: 0.5,
        otlp_endpoint: None,
    })
    .await;
    let sampled = sampled_share(&t, &api, 1000).await;
    assert!((420..=580).contains(&sampled), "{sampled} of 1000 at 50 %");
    t.stop().await;
}

#[tokio::test]
async fn a_python_lambda_reads_the_trace_id_from_its_environment() {
    let Some(_) = common::require_tool("python3") else {
        return;
    };
    let (t, api) = setup(TracingConfig::default()).await;
    t.gw.register_function(
        &actor(),
        "trace",
        lambda_support::local(Runtime::Python3, "python", "app.trace"),
    )
    .await
    .expect("register");
    let mut seen = Vec::new();
    for client in [
        None,
        Some("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"),
    ] {
        let (status, _, body) = get(&t, &api, "traced", "/py", client).await;
        assert_eq!(status, 200, "{body}");
        let env = body["env"]
            .as_str()
            .expect("_X_AMZN_TRACE_ID set")
            .to_string();
        assert_eq!(body["header"].as_str(), Some(env.as_str()), "{body}");
        let (root, _, sampled) = parts(&env);
        if client.is_some() {
            assert_eq!(root, "1-5759e988-bd862e3fe1be46a994272793");
            assert_eq!(sampled, "1");
        }
        seen.push(env);
    }
    // A fresh value per invocation (the same warm worker).
    assert_ne!(seen[0], seen[1]);
    t.gw.shutdown_functions().await;
    t.stop().await;
}

/// An OTLP/HTTP collector: decodes each POSTed `ExportTraceServiceRequest` and forwards its
/// spans.
async fn collector() -> (String, tokio::sync::mpsc::Receiver<Vec<Span>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let tx = tx.clone();
                    async move {
                        let path = req.uri().path().to_string();
                        let ct = req
                            .headers()
                            .get("content-type")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string();
                        let body = req.into_body().collect().await.map(|b| b.to_bytes());
                        let status = match (path.as_str(), ct.as_str(), body) {
                            ("/v1/traces", "application/x-protobuf", Ok(body)) => {
                                match ExportTraceServiceRequest::decode(body) {
                                    Ok(export) => {
                                        let spans: Vec<Span> = export
                                            .resource_spans
                                            .into_iter()
                                            .flat_map(|r| r.scope_spans)
                                            .flat_map(|s| s.spans)
                                            .collect();
                                        let _ = tx.send(spans).await;
                                        200
                                    }
                                    Err(_) => 400,
                                }
                            }
                            _ => 404,
                        };
                        let mut r = hyper::Response::new(Full::new(Bytes::new()));
                        *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
                        r.headers_mut().insert(
                            "content-type",
                            http::HeaderValue::from_static("application/x-protobuf"),
                        );
                        Ok::<_, std::convert::Infallible>(r)
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (format!("http://{addr}/v1/traces"), rx)
}

fn signed_get(t: &TestGateway, url: &str, trace: &str) -> reqwest::RequestBuilder {
    let parsed = reqwest::Url::parse(url).expect("url");
    let amz_date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("date");
    let mut headers = http::HeaderMap::new();
    headers.insert("host", t.addr.to_string().parse().expect("host"));
    headers.insert("x-amz-date", amz_date.parse().expect("date"));
    let parts = gwtui::auth::sigv4::RequestParts {
        method: "GET",
        path: parsed.path(),
        query: None,
        headers: &headers,
        authority: None,
        body: b"",
    };
    let auth = gwtui::auth::sigv4::sign(
        &parts,
        ACCESS_KEY,
        SECRET,
        "us-east-1",
        "execute-api",
        &["host", "x-amz-date"],
    )
    .expect("sign");
    t.client
        .get(url)
        .header("x-amz-date", amz_date)
        .header("authorization", auth)
        .header("x-amzn-trace-id", trace)
}

#[tokio::test]
async fn sampled_traces_are_exported_over_otlp_with_one_span_per_phase() {
    let (endpoint, mut spans_rx) = collector().await;
    let (t, api) = setup(TracingConfig {
        reservoir_size: 0,
        fixed_rate: 0.0,
        otlp_endpoint: Some(endpoint),
    })
    .await;
    t.gw.set_iam_credentials(vec![gwtui::engine::IamCredential {
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: SECRET.into(),
        user: None,
        session_token: None,
    }]);
    // Not sampled (the rule samples nothing): never exported.
    let (status, _, _) = get(&t, &api, "traced", "/http", None).await;
    assert_eq!(status, 200);
    // Sampled by the client, through an authorizer (AWS_IAM) and an HTTP integration.
    let root = "1-5759e988-bd862e3fe1be46a994272793";
    let resp = signed_get(
        &t,
        &t.url(&api, "traced", "/iam"),
        &format!("Root={root};Parent=53995c3f42cd8ad8;Sampled=1"),
    )
    .send()
    .await
    .expect("send");
    assert_eq!(resp.status(), 200);
    let sent: Value = resp.json().await.expect("json");
    let sent = backend_trace(&sent).expect("trace header");
    let (_, segment, _) = parts(&sent);

    let mut spans: Vec<Span> = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while spans.len() < 5 {
        match tokio::time::timeout_at(deadline, spans_rx.recv()).await {
            Ok(Some(batch)) => spans.extend(batch),
            _ => panic!("only {} spans exported: {spans:?}", spans.len()),
        }
    }
    let trace_id = hex::decode("5759e988bd862e3fe1be46a994272793").expect("hex");
    assert!(spans.iter().all(|s| s.trace_id == trace_id), "{spans:?}");
    let request = spans
        .iter()
        .find(|s| s.name == format!("{api}/traced"))
        .expect("request span");
    assert_eq!(hex::encode(&request.span_id), segment);
    assert_eq!(hex::encode(&request.parent_span_id), "53995c3f42cd8ad8");
    let mut phases: Vec<&str> = spans
        .iter()
        .filter(|s| s.parent_span_id == request.span_id)
        .map(|s| s.name.as_str())
        .collect();
    phases.sort();
    assert_eq!(
        phases,
        [
            "Authorizer",
            "Integration",
            "Integration response",
            "Method request"
        ]
    );
    for s in &spans {
        assert!(s.end_time_unix_nano >= s.start_time_unix_nano, "{s:?}");
        assert!(
            s.start_time_unix_nano >= request.start_time_unix_nano,
            "{s:?}"
        );
    }
    assert_eq!(
        spans.len(),
        5,
        "nothing else (the unsampled request) is exported"
    );
    // Nothing more arrives for the unsampled request.
    assert!(
        tokio::time::timeout(Duration::from_millis(1200), spans_rx.recv())
            .await
            .is_err()
    );
    t.stop().await;
}
