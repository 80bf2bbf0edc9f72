//! HTTP API vs REST API, same run, in process (`Gateway::invoke`, no HTTP client in the
//! measurement): an HTTP_PROXY route to a local hyper backend, and a Lambda route on a local
//! Python function returning `{"statusCode":200,"body":"{\"ok\":true}"}` — REST AWS_PROXY
//! (event 1.0) vs HTTP API AWS_PROXY with payload format 2.0. Each pair is timed sample by
//! sample, interleaved (REST, HTTP, REST, HTTP, …), and the medians and p90s are printed.
//!
//! Run: `CARGO_TARGET_DIR=... cargo bench --bench http_api` (SAMPLES=5000 by default).

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use gwtui::engine::v2::{CreateApi, CreateIntegration, CreateRoute, CreateStage};
use gwtui::engine::{Actor, CreateDeployment, EngineConfig, Gateway, InvokeRequest};
use gwtui::engine::{FunctionConfig, Runtime};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;

fn lambda_uri(function: &str) -> String {
    format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations"
    )
}

fn rest_doc(backend: SocketAddr) -> String {
    json!({
        "openapi": "3.0.1",
        "info": {"title": "bench-rest", "version": "1"},
        "paths": {
            "/fn": {"get": {"responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": lambda_uri("small")}}},
            "/proxy": {"get": {"responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {"type": "http_proxy", "httpMethod": "GET", "uri": format!("http://{backend}/hello")}}}
        }
    })
    .to_string()
}

fn request(api: &str, stage: &str, path: &str) -> InvokeRequest {
    let mut headers = http::HeaderMap::new();
    headers.insert("host", http::HeaderValue::from_static("127.0.0.1:4567"));
    headers.insert("user-agent", http::HeaderValue::from_static("bench"));
    InvokeRequest {
        method: http::Method::GET,
        api_id: api.to_string(),
        stage: stage.into(),
        path: path.into(),
        query: None,
        headers,
        body: Bytes::new(),
        source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        protocol: "HTTP/1.1",
        context_path: format!("/{stage}{path}"),
        base_path_matched: None,
        client_cert: None,
    }
}

async fn hello_backend() -> SocketAddr {
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => panic!("addr: {e}"),
    };
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(|_req| async {
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                        b"hello",
                    ))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

fn percentile(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1e6
}

fn compare(
    rt: &tokio::runtime::Runtime,
    gw: &Gateway,
    label: &str,
    n: usize,
    rest: (&str, &str, &str),
    http: (&str, &str, &str),
) {
    let mut a = Vec::with_capacity(n);
    let mut b = Vec::with_capacity(n);
    for _ in 0..n {
        for (sink, (api, stage, path)) in [(&mut a, rest), (&mut b, http)] {
            let req = request(api, stage, path);
            let t = Instant::now();
            let resp = rt.block_on(gw.invoke(req));
            sink.push(t.elapsed());
            assert_eq!(resp.status.as_u16(), 200, "{label}: {:?}", resp.body);
        }
    }
    let (ra, rb) = (percentile(&mut a, 0.5), percentile(&mut b, 0.5));
    println!(
        "{label}: REST median {ra:.1} µs (p90 {:.1}) | HTTP API median {rb:.1} µs (p90 {:.1}) | HTTP/REST {:.2}",
        percentile(&mut a, 0.9),
        percentile(&mut b, 0.9),
        rb / ra
    );
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let samples: usize = std::env::var("SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5000);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("runtime: {e}"),
    };
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("temp dir: {e}"),
    };
    // The account throttle (10,000 rps) would cut a long run short: lift it.
    let gw = match Gateway::open(EngineConfig {
        account_rate_limit: 1e9,
        account_burst_limit: 1_000_000_000,
        ..EngineConfig::new(dir.path())
    }) {
        Ok(gw) => gw,
        Err(e) => panic!("gateway: {e}"),
    };
    let actor = Actor::new("bench");
    let code = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/functions/python");
    let setup = rt.block_on(async {
        let backend = hello_backend().await;
        gw.register_function(
            &actor,
            "small",
            FunctionConfig {
                runtime: Some(Runtime::Python3),
                handler: Some("app.small".into()),
                code: Some(code),
                concurrency: Some(1),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        let rest = gw
            .import_rest_api(&actor, &rest_doc(backend), Default::default())
            .await
            .map_err(|e| e.to_string())?;
        gw.create_deployment(
            &actor,
            &rest.id,
            CreateDeployment {
                stage_name: Some("bench".into()),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        let api = gw
            .create_http_api(
                &actor,
                CreateApi {
                    name: "bench-http".into(),
                    protocol_type: "HTTP".into(),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        let integration =
            |t: &str, uri: String, version: &str, method: Option<&str>| CreateIntegration {
                integration_type: t.into(),
                integration_uri: Some(uri),
                payload_format_version: Some(version.into()),
                integration_method: method.map(str::to_string),
                ..Default::default()
            };
        let lambda = gw
            .create_http_integration(
                &actor,
                &api.api_id,
                integration("AWS_PROXY", lambda_uri("small"), "2.0", None),
            )
            .await
            .map_err(|e| e.to_string())?;
        let proxy = gw
            .create_http_integration(
                &actor,
                &api.api_id,
                integration(
                    "HTTP_PROXY",
                    format!("http://{backend}/hello"),
                    "1.0",
                    Some("GET"),
                ),
            )
            .await
            .map_err(|e| e.to_string())?;
        for (key, i) in [("GET /fn", &lambda), ("GET /proxy", &proxy)] {
            gw.create_http_route(
                &actor,
                &api.api_id,
                CreateRoute {
                    route_key: key.into(),
                    target: Some(format!("integrations/{}", i.integration_id)),
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        }
        gw.create_http_stage(
            &actor,
            &api.api_id,
            CreateStage {
                stage_name: "bench".into(),
                auto_deploy: true,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        Ok::<_, String>((rest.id, api.api_id))
    });
    let (rest, http) = match setup {
        Ok(ids) => ids,
        Err(e) => panic!("setup: {e}"),
    };
    for _ in 0..200 {
        for (api, path) in [
            (&rest, "/fn"),
            (&http, "/fn"),
            (&rest, "/proxy"),
            (&http, "/proxy"),
        ] {
            let resp = rt.block_on(gw.invoke(request(api, "bench", path)));
            assert_eq!(resp.status.as_u16(), 200, "warm-up {path}: {:?}", resp.body);
        }
    }
    compare(
        &rt,
        &gw,
        "HTTP_PROXY",
        samples,
        (&rest, "bench", "/proxy"),
        (&http, "bench", "/proxy"),
    );
    compare(
        &rt,
        &gw,
        "Lambda (REST 1.0 / HTTP API 2.0)",
        samples / 5,
        (&rest, "bench", "/fn"),
        (&http, "bench", "/fn"),
    );
    rt.block_on(gw.shutdown_functions());
}
