//! Lambda and authorizer overhead, in process (no HTTP client in the measurement):
//!
//! * warm AWS_PROXY round trip through the gateway (`Gateway::invoke` on a route backed by a
//!   local Python function returning a small JSON) vs. the same handler invoked directly through
//!   its worker's Runtime API loop (`Gateway::invoke_function` with the same event). Target: the
//!   gateway adds < 300 µs at the median.
//! * a MOCK method behind a TOKEN authorizer whose result is cached vs. the same MOCK method
//!   without authorization. Target: a cache hit adds < 5 µs.
//!
//! Besides criterion's estimates, each pair is timed sample by sample and the medians and their
//! difference are printed (`median ...` lines).
//!
//! Run: `CARGO_TARGET_DIR=... cargo bench --bench lambda`

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use gwtui::engine::{Actor, CreateDeployment, EngineConfig, Gateway, InvokeRequest};
use gwtui::engine::{FunctionConfig, Runtime};
use serde_json::json;

fn lambda_uri(function: &str) -> String {
    format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations"
    )
}

fn api_doc() -> String {
    let mock = json!({"type": "mock", "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                      "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": "{\"ok\": true}"}}}});
    json!({
        "openapi": "3.0.1",
        "info": {"title": "bench", "version": "1"},
        "components": {"securitySchemes": {"tok": {"type": "apiKey", "name": "Authorization", "in": "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": lambda_uri("authz"),
                "identitySource": "method.request.header.Authorization", "authorizerResultTtlInSeconds": 3600}}}},
        "paths": {
            "/fn": {"get": {"responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": lambda_uri("small")}}},
            "/open": {"get": {"responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": mock.clone()}},
            "/pets": {"get": {"security": [{"tok": []}], "responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": mock}}
        }
    })
    .to_string()
}

fn request(api: &str, path: &str, token: Option<&str>) -> Box<InvokeRequest> {
    let mut headers = http::HeaderMap::new();
    headers.insert("host", http::HeaderValue::from_static("127.0.0.1:4567"));
    headers.insert("user-agent", http::HeaderValue::from_static("bench"));
    if let Some(t) = token {
        headers.insert(
            "authorization",
            http::HeaderValue::from_str(t).unwrap_or(http::HeaderValue::from_static("x")),
        );
    }
    Box::new(InvokeRequest {
        method: http::Method::GET,
        api_id: api.to_string(),
        stage: "bench".into(),
        path: path.into(),
        query: None,
        headers,
        body: Bytes::new(),
        source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        protocol: "HTTP/1.1",
        context_path: format!("/bench{path}"),
        base_path_matched: None,
        client_cert: None,
    })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Times `n` runs of each closure, interleaved, and prints both medians and the difference.
fn compare(
    rt: &tokio::runtime::Runtime,
    label: &str,
    n: usize,
    mut pair: impl FnMut() -> (Call, Call),
    gw: &Gateway,
) {
    let mut with = Vec::with_capacity(n);
    let mut without = Vec::with_capacity(n);
    for _ in 0..n {
        let (lhs, rhs) = pair();
        let t = Instant::now();
        rt.block_on(run(gw, lhs));
        with.push(t.elapsed());
        let t = Instant::now();
        rt.block_on(run(gw, rhs));
        without.push(t.elapsed());
    }
    let (mw, mo) = (median(with), median(without));
    println!(
        "median {label}: {:.1} µs vs {:.1} µs baseline → adds {:.1} µs",
        mw.as_secs_f64() * 1e6,
        mo.as_secs_f64() * 1e6,
        (mw.as_secs_f64() - mo.as_secs_f64()) * 1e6
    );
}

/// One call to time: through the gateway, or straight to a function.
enum Call {
    Gateway(Box<InvokeRequest>),
    Function(&'static str, Bytes),
}

async fn run(gw: &Gateway, call: Call) {
    match call {
        Call::Gateway(r) => {
            let resp = gw.invoke(*r).await;
            assert_eq!(resp.status.as_u16(), 200, "{:?}", resp.body);
        }
        Call::Function(name, payload) => {
            let inv = gw.invoke_function(name, payload).await;
            assert!(inv.is_ok_and(|i| i.function_error.is_none()));
        }
    }
}

fn benches(c: &mut Criterion) {
    let _ = rustls::crypto::ring::default_provider().install_default();
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
    let gw = match Gateway::open(EngineConfig {
        data_dir: dir.path().to_path_buf(),
        canary_seed: Some(1),
        ..EngineConfig::default()
    }) {
        Ok(gw) => gw,
        Err(e) => panic!("gateway: {e}"),
    };
    let code = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/functions/python");
    let actor = Actor::new("bench");
    let api = rt.block_on(async {
        let f = |handler: &str| FunctionConfig {
            runtime: Some(Runtime::Python3),
            handler: Some(handler.into()),
            code: Some(code.clone()),
            concurrency: Some(1),
            ..Default::default()
        };
        gw.register_function(&actor, "small", f("app.small"))
            .await
            .map_err(|e| e.to_string())?;
        gw.register_function(&actor, "authz", f("authorizer.handler"))
            .await
            .map_err(|e| e.to_string())?;
        let api = gw
            .import_rest_api(&actor, &api_doc(), Default::default())
            .await
            .map_err(|e| e.to_string())?;
        gw.create_deployment(
            &actor,
            &api.id,
            CreateDeployment {
                stage_name: Some("bench".into()),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| e.to_string())?;
        Ok::<_, String>(api.id)
    });
    let api = match api {
        Ok(a) => a,
        Err(e) => panic!("setup: {e}"),
    };
    // The event the gateway would send, for the direct Runtime API baseline.
    let event = Bytes::from(
        json!({"resource": "/fn", "path": "/fn", "httpMethod": "GET", "headers": {"Host": "127.0.0.1:4567", "User-Agent": "bench"},
               "requestContext": {"stage": "bench"}, "body": null, "isBase64Encoded": false})
        .to_string(),
    );
    // Warm both functions (and the authorizer cache).
    for _ in 0..50 {
        rt.block_on(run(&gw, Call::Gateway(request(&api, "/fn", None))));
    }
    rt.block_on(run(
        &gw,
        Call::Gateway(request(&api, "/pets", Some("alice"))),
    ));

    let mut group = c.benchmark_group("lambda");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("AWS_PROXY warm round trip via Gateway::invoke", |b| {
        b.iter(|| {
            rt.block_on(run(
                &gw,
                Call::Gateway(black_box(request(&api, "/fn", None))),
            ))
        })
    });
    group.bench_function("same handler via its Runtime API loop (baseline)", |b| {
        b.iter(|| rt.block_on(run(&gw, Call::Function("small", black_box(event.clone())))))
    });
    group.finish();

    let mut group = c.benchmark_group("authorizer");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("MOCK behind a cached TOKEN authorizer", |b| {
        b.iter(|| {
            rt.block_on(run(
                &gw,
                Call::Gateway(black_box(request(&api, "/pets", Some("alice")))),
            ))
        })
    });
    group.bench_function("MOCK without authorization (baseline)", |b| {
        b.iter(|| {
            rt.block_on(run(
                &gw,
                Call::Gateway(black_box(request(&api, "/open", None))),
            ))
        })
    });
    group.finish();

    compare(
        &rt,
        "AWS_PROXY round trip vs Runtime API loop",
        2000,
        || {
            (
                Call::Gateway(request(&api, "/fn", None)),
                Call::Function("small", event.clone()),
            )
        },
        &gw,
    );
    compare(
        &rt,
        "cached TOKEN authorizer vs no auth (MOCK)",
        20000,
        || {
            (
                Call::Gateway(request(&api, "/pets", Some("alice"))),
                Call::Gateway(request(&api, "/open", None)),
            )
        },
        &gw,
    );
    rt.block_on(gw.shutdown_functions());
}

criterion_group!(lambda, benches);
criterion_main!(lambda);
