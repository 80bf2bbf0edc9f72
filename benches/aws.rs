//! AWS service integration overhead: the same SQS-style method (`POST` with the canonical
//! `Action=SendMessage&MessageBody=$util.urlEncode($input.body)` template and a mapped
//! `Content-Type`) once as an HTTP integration to a local stub service and once as an AWS
//! integration (`arn:aws:apigateway:us-east-1:sqs:path/...`) whose `[aws] endpoint_url` is the
//! same stub, so the difference is what the AWS path adds: parsing the ARN, choosing the
//! endpoint and signing (SigV4). Both run through `Gateway::invoke` (no client in the
//! measurement), interleaved in rounds in one process so both see the same machine load.
//! Target: the AWS path adds at most 25 µs median.
//!
//! `cargo bench --bench aws` (`AWS_BENCH_ROUNDS`, default 40 rounds of 500 requests each).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

use gwtui::engine::{Actor, CreateDeployment, EngineConfig, Gateway, InvokeRequest};
use gwtui::engine::{AwsConfig, AwsSettings};

const SEND_MESSAGE_RESPONSE: &[u8] = b"<SendMessageResponse><SendMessageResult><MessageId>5fea7756-0ea4-451a-a703-a558b933e274</MessageId></SendMessageResult></SendMessageResponse>";

fn fail<T>(what: &str, e: impl std::fmt::Debug) -> T {
    panic!("{what}: {e:?}")
}

fn api(stub: SocketAddr) -> String {
    let method = |kind: &str, uri: &str| {
        format!(
            r#"
    post:
      responses: {{"200": {{description: ok}}}}
      x-amazon-apigateway-integration:
        type: {kind}
        httpMethod: POST
        uri: {uri}
        requestParameters:
          integration.request.header.Content-Type: "'application/x-www-form-urlencoded'"
        requestTemplates:
          application/json: "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
        responses:
          default: {{statusCode: "200"}}"#
        )
    };
    format!(
        "openapi: 3.0.1\ninfo: {{title: aws-bench, version: \"1\"}}\npaths:\n  /http:{}\n  /aws:{}\n",
        method("http", &format!("http://{stub}/123456789012/orders")),
        method(
            "aws",
            "arn:aws:apigateway:us-east-1:sqs:path/123456789012/orders"
        ),
    )
}

/// A stub service answering every request with a SendMessage response.
async fn stub() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| fail("bind", e));
    let addr = listener.local_addr().unwrap_or_else(|e| fail("addr", e));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(|_req: hyper::Request<hyper::body::Incoming>| async {
                    let mut resp =
                        hyper::Response::new(Full::new(Bytes::from_static(SEND_MESSAGE_RESPONSE)));
                    resp.headers_mut().insert(
                        "content-type",
                        hyper::header::HeaderValue::from_static("text/xml"),
                    );
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

fn request(api: &str, path: &str) -> InvokeRequest {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    InvokeRequest {
        method: http::Method::POST,
        api_id: api.to_string(),
        stage: "prod".into(),
        path: path.into(),
        query: None,
        headers,
        body: Bytes::from_static(br#"{"item":"book","qty":2}"#),
        source_ip: std::net::IpAddr::from([127, 0, 0, 1]),
        protocol: "HTTP/1.1",
        context_path: format!("/prod{path}"),
        base_path_matched: None,
        client_cert: None,
    }
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::var("AWS_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let per_round = 500;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail("runtime", e));
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap_or_else(|e| fail("temp dir", e));
        // The account throttle (10,000 requests/s) would answer 429s faster than either
        // integration; the bench measures integrations, so it is lifted.
        let gw = Gateway::open(EngineConfig {
            account_rate_limit: 1e9,
            account_burst_limit: 1_000_000_000,
            ..EngineConfig::new(dir.path())
        })
        .unwrap_or_else(|e| fail("open", e));
        let stub = stub().await;
        gw.set_aws_settings(
            AwsSettings::resolve(
                &AwsConfig {
                    endpoint_url: Some(format!("http://{stub}")),
                    access_key_id: Some("AKIDEXAMPLE".into()),
                    secret_access_key: Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into()),
                    ..Default::default()
                },
                |_| None,
                None,
            )
            .unwrap_or_else(|e| fail("settings", e)),
        );
        let actor = Actor::new("bench");
        let created = gw
            .import_rest_api(&actor, &api(stub), Default::default())
            .await
            .unwrap_or_else(|e| fail("import", e));
        gw.create_deployment(
            &actor,
            &created.id,
            CreateDeployment {
                stage_name: Some("prod".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| fail("deploy", e));
        let cases = ["/http", "/aws"];
        for path in cases {
            let r = gw.invoke(request(&created.id, path)).await;
            assert_eq!(r.status.as_u16(), 200, "{path}: {:?}", r.body);
            assert!(
                r.body.starts_with(b"<SendMessageResponse>"),
                "{path} reached the stub"
            );
            for _ in 0..2_000 {
                let r = gw.invoke(request(&created.id, path)).await;
                assert_eq!(r.status.as_u16(), 200, "{path}: {:?}", r.body);
            }
        }
        let mut samples: Vec<Vec<Duration>> = vec![Vec::new(), Vec::new()];
        for round in 0..rounds {
            // Alternate which case goes first so neither always runs on a warmer cache.
            let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for i in order {
                for _ in 0..per_round {
                    let req = request(&created.id, cases[i]);
                    let started = Instant::now();
                    let r = gw.invoke(req).await;
                    samples[i].push(started.elapsed());
                    assert_eq!(r.status.as_u16(), 200, "{}: {:?}", cases[i], r.body);
                }
            }
        }
        let http = median(&mut samples[0]);
        let aws = median(&mut samples[1]);
        let p90 = |v: &[Duration]| v[v.len() * 9 / 10];
        println!(
            "HTTP integration to the stub:        median {:>7.1} µs  p90 {:>7.1} µs  ({} requests)",
            http.as_secs_f64() * 1e6,
            p90(&samples[0]).as_secs_f64() * 1e6,
            samples[0].len()
        );
        println!(
            "AWS integration (sqs) to the stub:   median {:>7.1} µs  p90 {:>7.1} µs  ({} requests)",
            aws.as_secs_f64() * 1e6,
            p90(&samples[1]).as_secs_f64() * 1e6,
            samples[1].len()
        );
        println!(
            "AWS path adds (median difference):   {:>7.1} µs  (target <= 25 µs)",
            (aws.as_secs_f64() - http.as_secs_f64()) * 1e6
        );
    });
}
