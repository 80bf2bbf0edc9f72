//! Data-plane benches (release, criterion):
//! - metrics + access logging (JSON preset) on vs both off, MOCK through `Gateway::invoke`
//!   and over loopback HTTP (target: within 15 %);
//! - MOCK over loopback vs a bare hyper "hello" server on the same client connections
//!   (target: >= 50 % of bare);
//! - HTTP_PROXY added latency over calling the backend directly (target: < 150 µs median).
//!
//! `cargo bench --bench gateway` (docs/PERFORMANCE.md has the figures). Each section is its
//! own function; other sections (e.g. caching) can be added beside them.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

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
  /proxy:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: http://${stageVariables.backend}/hello
"#;

/// Connections the loopback client keeps open.
const CONNECTIONS: usize = 4;

fn fail<T>(what: &str, e: impl std::fmt::Debug) -> T {
    panic!("{what}: {e:?}")
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail("runtime", e))
}

/// A gateway in a temp dir with the bench API deployed to `stage`, the JSON access-log preset
/// set when `logging`, metrics on or off. `backend` feeds `/proxy`.
async fn gateway(
    logging: bool,
    metrics: bool,
    backend: SocketAddr,
) -> (Gateway, String, tempfile::TempDir) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail("temp dir", e));
    let gw = Gateway::open(EngineConfig {
        data_dir: dir.path().to_path_buf(),
        canary_seed: Some(1),
        ..EngineConfig::default()
    })
    .unwrap_or_else(|e| fail("open", e));
    let actor = Actor::new("bench");
    let api = gw
        .import_rest_api(&actor, API, Default::default())
        .await
        .unwrap_or_else(|e| fail("import", e));
    let mut variables = indexmap::IndexMap::new();
    variables.insert("backend".to_string(), backend.to_string());
    gw.create_deployment(
        &actor,
        &api.id,
        CreateDeployment {
            stage_name: Some("prod".into()),
            variables,
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| fail("deploy", e));
    if logging {
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
        .unwrap_or_else(|e| fail("access log", e));
    }
    gw.set_metrics_enabled(metrics);
    (gw, api.id, dir)
}

/// A bare hyper server answering `hello` to everything (the same server stack gwtui uses).
async fn hello_server() -> SocketAddr {
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
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                        b"hello",
                    ))))
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

async fn serve_gateway(gw: Gateway) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| fail("bind", e));
    let addr = listener.local_addr().unwrap_or_else(|e| fail("addr", e));
    tokio::spawn(async move {
        let _ = gwtui::server::serve(gw, listener, std::future::pending()).await;
    });
    addr
}

/// The small in-repo load client: keep-alive HTTP/1.1 connections on
/// `hyper::client::conn::http1`, each sending its share of requests one after another.
mod loadgen {
    use super::*;

    pub struct Conn {
        sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
        addr: SocketAddr,
        host: String,
        /// Times the connection was found closed and opened again.
        pub reconnects: u64,
    }

    async fn open(addr: SocketAddr) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
        let stream = TcpStream::connect(addr)
            .await
            .unwrap_or_else(|e| fail("connect", e));
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap_or_else(|e| fail("handshake", e));
        tokio::spawn(async move {
            let _ = conn.await;
        });
        sender
    }

    pub async fn connect(addr: SocketAddr) -> Conn {
        Conn {
            sender: open(addr).await,
            addr,
            host: addr.to_string(),
            reconnects: 0,
        }
    }

    impl Conn {
        /// One GET; returns the status after reading the whole body. A request the connection
        /// could not take (closed by the peer) is retried once on a new connection.
        pub async fn get(&mut self, path: &str) -> u16 {
            for attempt in 0..2 {
                let req = hyper::Request::get(path)
                    .header(hyper::header::HOST, &self.host)
                    .body(Full::new(Bytes::new()))
                    .unwrap_or_else(|e| fail("request", e));
                let sent = match self.sender.ready().await {
                    Ok(()) => self.sender.send_request(req).await,
                    Err(e) => Err(e),
                };
                match sent {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let _ = resp.into_body().collect().await;
                        return status;
                    }
                    Err(e) if attempt == 0 && (e.is_canceled() || e.is_closed()) => {
                        self.reconnects += 1;
                        self.sender = open(self.addr).await;
                    }
                    Err(e) => fail::<()>("send", e),
                }
            }
            0
        }
    }

    /// `total` requests for `path` spread over `conns`, concurrently; the wall time.
    pub async fn run(conns: &mut [Conn], path: &str, total: u64) -> Duration {
        let n = conns.len() as u64;
        let started = Instant::now();
        let work = conns.iter_mut().enumerate().map(|(i, c)| async move {
            let share = total / n + u64::from((i as u64) < total % n);
            for _ in 0..share {
                let status = c.get(path).await;
                assert_eq!(status, 200, "{path}");
            }
        });
        futures_util::future::join_all(work).await;
        started.elapsed()
    }
}

fn invoke_request(api: &str) -> InvokeRequest {
    let mut headers = http::HeaderMap::new();
    headers.insert("user-agent", http::HeaderValue::from_static("bench/1.0"));
    InvokeRequest {
        method: http::Method::GET,
        api_id: api.to_string(),
        stage: "prod".into(),
        path: "/pets".into(),
        query: None,
        headers,
        body: Bytes::new(),
        source_ip: std::net::IpAddr::from([127, 0, 0, 1]),
        protocol: "HTTP/1.1",
        context_path: "/prod/pets".into(),
    }
}

/// MOCK through `Gateway::invoke`, metrics + JSON access log on vs both off.
fn observability_overhead_invoke(c: &mut Criterion) {
    let rt = runtime();
    let backend = rt.block_on(hello_server());
    let (on, on_api, _d1) = rt.block_on(gateway(true, true, backend));
    let (off, off_api, _d2) = rt.block_on(gateway(false, false, backend));
    let mut group = c.benchmark_group("invoke MOCK");
    group.throughput(Throughput::Elements(1));
    for (name, gw, api) in [
        ("metrics+access log on", &on, &on_api),
        ("metrics+access log off", &off, &off_api),
    ] {
        let req = invoke_request(api);
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let started = Instant::now();
                    for _ in 0..iters {
                        let resp = gw.invoke(req.clone()).await;
                        debug_assert_eq!(resp.status, 200);
                    }
                    started.elapsed()
                })
            })
        });
    }
    group.finish();
    rt.block_on(on.flush_logs());
    println!(
        "log records dropped (queue full): {}",
        on.log_records_dropped()
    );
}

/// MOCK over loopback HTTP (on vs off) against a bare hyper server, same client connections.
fn loopback_vs_bare(c: &mut Criterion) {
    let rt = runtime();
    let backend = rt.block_on(hello_server());
    let (on, on_api, _d1) = rt.block_on(gateway(true, true, backend));
    let (off, off_api, _d2) = rt.block_on(gateway(false, false, backend));
    let on_addr = rt.block_on(serve_gateway(on.clone()));
    let off_addr = rt.block_on(serve_gateway(off));
    let bare = rt.block_on(hello_server());
    let mut group = c.benchmark_group(format!(
        "loopback GET, {CONNECTIONS} keep-alive connections"
    ));
    group.throughput(Throughput::Elements(1));
    let cases = [
        (
            "gwtui MOCK, metrics+access log on",
            on_addr,
            format!("/restapis/{on_api}/prod/_user_request_/pets"),
        ),
        (
            "gwtui MOCK, metrics+access log off",
            off_addr,
            format!("/restapis/{off_api}/prod/_user_request_/pets"),
        ),
        ("bare hyper hello", bare, "/hello".to_string()),
    ];
    for (name, addr, path) in cases {
        let mut conns = rt.block_on(async {
            let mut v = Vec::new();
            for _ in 0..CONNECTIONS {
                v.push(loadgen::connect(addr).await);
            }
            v
        });
        group.bench_function(name, |b| {
            b.iter_custom(|iters| rt.block_on(loadgen::run(&mut conns, &path, iters)))
        });
        println!(
            "{name}: reconnects {}",
            conns.iter().map(|c| c.reconnects).sum::<u64>()
        );
    }
    group.finish();
    rt.block_on(on.flush_logs());
    println!(
        "log records dropped (queue full): {}",
        on.log_records_dropped()
    );
}

/// One connection, one request at a time: the backend directly vs through HTTP_PROXY.
fn http_proxy_added_latency(c: &mut Criterion) {
    let rt = runtime();
    let backend = rt.block_on(hello_server());
    let (gw, api, _d) = rt.block_on(gateway(false, true, backend));
    let addr = rt.block_on(serve_gateway(gw));
    let mut group = c.benchmark_group("HTTP_PROXY latency, 1 connection");
    let mut direct = rt.block_on(loadgen::connect(backend));
    group.bench_function("backend directly", |b| {
        b.iter_custom(|iters| {
            rt.block_on(loadgen::run(
                std::slice::from_mut(&mut direct),
                "/hello",
                iters,
            ))
        })
    });
    let mut proxied = rt.block_on(loadgen::connect(addr));
    let path = format!("/restapis/{api}/prod/_user_request_/proxy");
    group.bench_function("through the gateway", |b| {
        b.iter_custom(|iters| {
            rt.block_on(loadgen::run(
                std::slice::from_mut(&mut proxied),
                &path,
                iters,
            ))
        })
    });
    group.finish();
}

criterion_group! {
    name = data_plane;
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = observability_overhead_invoke, loopback_vs_bare, http_proxy_added_latency
}
criterion_main!(data_plane);
