//! Profiling driver for the record phase: `N` MOCK requests through `Gateway::invoke` with
//! metrics + the JSON access-log preset on (`on`) or both off (`off`). Run under callgrind and
//! compare instruction counts per request at two `N`s (setup cancels out):
//! `valgrind --tool=callgrind --separate-threads=yes target/release/examples/record_profile on 10000`.

use bytes::Bytes;
use gwtui::engine::logs::ACCESS_LOG_JSON;
use gwtui::engine::{Actor, CreateDeployment, EngineConfig, Gateway, InvokeRequest};
use gwtui::model::PatchOperation;

const API: &str = r#"
openapi: 3.0.1
info: {title: bench, version: "1"}
paths:
  /pets:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"pets":[1,2,3]}'}
"#;

fn main() {
    let mut args = std::env::args().skip(1);
    let on = args.next().as_deref() == Some("on");
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().expect("temp dir");
        let gw = Gateway::open(EngineConfig {
            data_dir: dir.path().to_path_buf(),
            canary_seed: Some(1),
            ..EngineConfig::default()
        })
        .expect("open");
        let actor = Actor::new("bench");
        let api = gw
            .import_rest_api(&actor, API, Default::default())
            .await
            .expect("import");
        gw.create_deployment(
            &actor,
            &api.id,
            CreateDeployment {
                stage_name: Some("prod".into()),
                ..Default::default()
            },
        )
        .await
        .expect("deploy");
        if on {
            gw.update_stage(
                &actor,
                &api.id,
                "prod",
                vec![PatchOperation::replace(
                    "/accessLogSettings/format",
                    ACCESS_LOG_JSON,
                )],
            )
            .await
            .expect("access log");
        }
        gw.set_metrics_enabled(on);
        let mut headers = http::HeaderMap::new();
        headers.insert("user-agent", http::HeaderValue::from_static("bench/1.0"));
        let req = InvokeRequest {
            method: http::Method::GET,
            api_id: api.id.clone(),
            stage: "prod".into(),
            path: "/pets".into(),
            query: None,
            headers,
            body: Bytes::new(),
            source_ip: std::net::IpAddr::from([127, 0, 0, 1]),
            protocol: "HTTP/1.1",
            context_path: "/prod/pets".into(),
        };
        let started = std::time::Instant::now();
        for _ in 0..n {
            let resp = gw.invoke(req.clone()).await;
            assert_eq!(resp.status, 200);
        }
        let took = started.elapsed();
        gw.flush_logs().await;
        eprintln!(
            "{} x{n}: {:.2} µs/request (wall)",
            if on { "on" } else { "off" },
            took.as_secs_f64() * 1e6 / n as f64
        );
    });
}
