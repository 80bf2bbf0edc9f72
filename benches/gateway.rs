//! Data-plane benches (release, criterion):
//! - one MOCK `GET /pets?id=N` (`id` is its cache key parameter) with everything off vs
//!   metrics + JSON access log + method caching on, every request a hit (same `id`) or every
//!   request a miss that stores its response (a new `id` each time; the "off" case sends the
//!   same distinct ids), plus observability on with caching off (the MOCK a hit is compared
//!   with); through `Gateway::invoke` and over loopback HTTP (target: on within 15 % of off);
//! - MOCK over loopback vs a bare hyper "hello" server on the same client connections
//!   (target: >= 50 % of bare);
//! - HTTP_PROXY added latency over calling the backend directly (target: < 150 µs median).
//!
//! `cargo bench --bench gateway` (docs/PERFORMANCE.md has the figures);
//! `GW_INTERLEAVE=20 cargo bench --bench gateway` measures the four cases in turns with paired
//! ratios instead. Each section is its own function; other sections can be added beside them.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

use gwtui::engine::ACCESS_LOG_JSON;
use gwtui::engine::{Actor, CreateDeployment, EngineConfig, Gateway, InvokeRequest};
use gwtui::model::PatchOperation;

const API: &str = r#"
openapi: 3.0.1
info: {title: bench, version: "1"}
paths:
  /pets:
    get:
      parameters: [{name: id, in: query, schema: {type: string}}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        cacheKeyParameters: [method.request.querystring.id]
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

/// What a bench gateway has switched on.
#[derive(Clone, Copy)]
struct Observe {
    /// The JSON access-log preset.
    logging: bool,
    metrics: bool,
    /// `cacheClusterEnabled` and caching on for every GET (`/*/*/caching/enabled`).
    caching: bool,
}

const ALL_OFF: Observe = Observe {
    logging: false,
    metrics: false,
    caching: false,
};
const ALL_ON: Observe = Observe {
    logging: true,
    metrics: true,
    caching: true,
};
const NO_CACHE: Observe = Observe {
    caching: false,
    ..ALL_ON
};

/// A gateway in a temp dir with the bench API deployed to stage `prod` with what `observe`
/// switches on. `backend` feeds `/proxy`.
async fn gateway(observe: Observe, backend: SocketAddr) -> (Gateway, String, tempfile::TempDir) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail("temp dir", e));
    let gw = Gateway::open(EngineConfig {
        data_dir: dir.path().to_path_buf(),
        canary_seed: Some(1),
        // Measure the pipeline, not the account throttle (10,000 requests/s by default).
        account_rate_limit: 1e12,
        account_burst_limit: i64::MAX / 2,
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
            cache_cluster_enabled: Some(observe.caching),
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| fail("deploy", e));
    // Stage methods are throttled at 10,000 requests/s by default too.
    let mut ops = vec![
        PatchOperation::replace("/*/*/throttling/rateLimit", "1000000000"),
        PatchOperation::replace("/*/*/throttling/burstLimit", "1000000000"),
    ];
    if observe.logging {
        ops.push(PatchOperation::replace(
            "/accessLogSettings/format",
            ACCESS_LOG_JSON,
        ));
    }
    if observe.caching {
        ops.push(PatchOperation::replace("/*/*/caching/enabled", "true"));
    }
    gw.update_stage(&actor, &api.id, "prod", ops)
        .await
        .unwrap_or_else(|e| fail("stage settings", e));
    gw.set_metrics_enabled(observe.metrics);
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

    /// [`CONNECTIONS`] connections to `addr`.
    pub async fn connect_all(addr: SocketAddr) -> Vec<Conn> {
        let mut conns = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            conns.push(connect(addr).await);
        }
        conns
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

    /// `total` requests for `path` spread over `conns`, concurrently; the wall time. With
    /// `ids`, each request is `{path}?id={ids.next()}` (a new id each time); without,
    /// `{path}?id=0` (the same one).
    pub async fn run(
        conns: &mut [Conn],
        path: &str,
        ids: Option<&AtomicU64>,
        total: u64,
    ) -> Duration {
        let n = conns.len() as u64;
        let started = Instant::now();
        let work = conns.iter_mut().enumerate().map(|(i, c)| async move {
            let share = total / n + u64::from((i as u64) < total % n);
            for _ in 0..share {
                let id = ids.map_or(0, |ids| ids.fetch_add(1, Ordering::Relaxed));
                let status = c.get(&format!("{path}?id={id}")).await;
                assert_eq!(status, 200, "{path}");
            }
        });
        futures_util::future::join_all(work).await;
        started.elapsed()
    }
}

/// `n` MOCK invokes one after another (`GET /pets?id=…`, a new id each time with `ids`,
/// else `id=0`); the wall time.
async fn invoke_batch(
    gw: &Gateway,
    req: &mut InvokeRequest,
    ids: Option<&AtomicU64>,
    n: u64,
) -> Duration {
    let started = Instant::now();
    for _ in 0..n {
        let id = ids.map_or(0, |ids| ids.fetch_add(1, Ordering::Relaxed));
        req.query = Some(format!("id={id}"));
        let resp = gw.invoke(req.clone()).await;
        assert_eq!(resp.status, 200);
    }
    started.elapsed()
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
        base_path_matched: None,
        client_cert: None,
    }
}

/// The cases both sections measure, on one MOCK `GET /pets?id=N` each on its own gateway:
/// (name, what is on, whether every request gets a new `id`).
const CASES: [(&str, Observe, bool); 4] = [
    ("a: all off, new id each request", ALL_OFF, true),
    ("b: metrics+log+cache on, all hits", ALL_ON, false),
    ("c: metrics+log+cache on, all misses", ALL_ON, true),
    ("d: metrics+log on, cache off", NO_CACHE, false),
];

/// MOCK through `Gateway::invoke`, one request at a time from the bench thread.
fn observability_overhead_invoke(c: &mut Criterion) {
    let rt = runtime();
    let backend = rt.block_on(hello_server());
    let mut group = c.benchmark_group("invoke MOCK");
    group.throughput(Throughput::Elements(1));
    for (name, observe, distinct) in CASES {
        let (gw, api, _dir) = rt.block_on(gateway(observe, backend));
        let mut req = invoke_request(&api);
        let ids = AtomicU64::new(1);
        let ids = distinct.then_some(&ids);
        group.bench_function(name, |b| {
            b.iter_custom(|iters| rt.block_on(invoke_batch(&gw, &mut req, ids, iters)))
        });
        rt.block_on(gw.flush_logs());
        println!(
            "{name}: log records dropped (queue full): {}",
            gw.log_records_dropped()
        );
    }
    group.finish();
}

/// MOCK over loopback HTTP, then a bare hyper server, on the same kind of client connections.
fn loopback_vs_bare(c: &mut Criterion) {
    let rt = runtime();
    let backend = rt.block_on(hello_server());
    let mut group = c.benchmark_group(format!(
        "loopback GET, {CONNECTIONS} keep-alive connections"
    ));
    group.throughput(Throughput::Elements(1));
    let bare = rt.block_on(hello_server());
    let mut cases = Vec::new();
    for (name, observe, distinct) in CASES {
        let (gw, api, dir) = rt.block_on(gateway(observe, backend));
        let addr = rt.block_on(serve_gateway(gw.clone()));
        let path = format!("/restapis/{api}/prod/_user_request_/pets");
        cases.push((name, addr, path, distinct, Some((gw, dir))));
    }
    cases.push(("bare hyper hello", bare, "/hello".to_string(), true, None));
    for (name, addr, path, distinct, gw) in cases {
        let mut conns = rt.block_on(loadgen::connect_all(addr));
        let ids = AtomicU64::new(1);
        let ids = distinct.then_some(&ids);
        group.bench_function(name, |b| {
            b.iter_custom(|iters| rt.block_on(loadgen::run(&mut conns, &path, ids, iters)))
        });
        print!(
            "{name}: reconnects {}",
            conns.iter().map(|c| c.reconnects).sum::<u64>()
        );
        if let Some((gw, _dir)) = gw {
            rt.block_on(gw.flush_logs());
            print!(
                ", log records dropped (queue full): {}",
                gw.log_records_dropped()
            );
        }
        println!();
    }
    group.finish();
}

/// One connection, one request at a time: the backend directly vs through HTTP_PROXY.
fn http_proxy_added_latency(c: &mut Criterion) {
    let rt = runtime();
    let backend = rt.block_on(hello_server());
    let (gw, api, _d) = rt.block_on(gateway(
        Observe {
            metrics: true,
            ..ALL_OFF
        },
        backend,
    ));
    let addr = rt.block_on(serve_gateway(gw));
    let mut group = c.benchmark_group("HTTP_PROXY latency, 1 connection");
    let mut direct = rt.block_on(loadgen::connect(backend));
    group.bench_function("backend directly", |b| {
        b.iter_custom(|iters| {
            rt.block_on(loadgen::run(
                std::slice::from_mut(&mut direct),
                "/hello",
                None,
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
                None,
                iters,
            ))
        })
    });
    group.finish();
}

/// `GW_INTERLEAVE=ROUNDS`: the four cases of both sections measured in turns instead of
/// criterion's one-case-after-another. Each round runs a fixed batch of every case (in a
/// rotated order), so a change in the box's load during the run hits all cases alike; each
/// case's time is then compared with case a's *in the same round* (paired ratios), and the
/// median over rounds is printed with the median per-request time.
fn interleaved(rounds: usize) {
    const INVOKE_BATCH: u64 = 40_000;
    const LOOPBACK_BATCH: u64 = 16_000;
    let rt = runtime();
    let backend = rt.block_on(hello_server());
    let bare = rt.block_on(hello_server());
    struct Case {
        name: &'static str,
        gw: Option<Gateway>,
        api: String,
        conns: Vec<loadgen::Conn>,
        path: String,
        distinct: bool,
        ids: AtomicU64,
        invoke: Vec<f64>,
        loopback: Vec<f64>,
        _dir: Option<tempfile::TempDir>,
    }
    let mut cases: Vec<Case> = CASES
        .iter()
        .map(|&(name, observe, distinct)| {
            let (gw, api, dir) = rt.block_on(gateway(observe, backend));
            let addr = rt.block_on(serve_gateway(gw.clone()));
            let conns = rt.block_on(loadgen::connect_all(addr));
            Case {
                name,
                path: format!("/restapis/{api}/prod/_user_request_/pets"),
                gw: Some(gw),
                api,
                conns,
                distinct,
                ids: AtomicU64::new(1),
                invoke: Vec::new(),
                loopback: Vec::new(),
                _dir: Some(dir),
            }
        })
        .collect();
    cases.push(Case {
        name: "bare hyper hello",
        gw: None,
        api: String::new(),
        conns: rt.block_on(loadgen::connect_all(bare)),
        path: "/hello".into(),
        distinct: true,
        ids: AtomicU64::new(1),
        invoke: Vec::new(),
        loopback: Vec::new(),
        _dir: None,
    });
    let n = cases.len();
    // Round 0 warms up (fills caches and connection pools) and is not recorded.
    for round in 0..=rounds {
        for k in 0..n {
            let case = &mut cases[(k + round) % n];
            let ids = case.distinct.then_some(&case.ids);
            if let Some(gw) = &case.gw {
                let mut req = invoke_request(&case.api);
                let took = rt.block_on(invoke_batch(gw, &mut req, ids, INVOKE_BATCH));
                if round > 0 {
                    case.invoke
                        .push(took.as_secs_f64() * 1e6 / INVOKE_BATCH as f64);
                }
            }
            let took = rt.block_on(loadgen::run(
                &mut case.conns,
                &case.path,
                ids,
                LOOPBACK_BATCH,
            ));
            if round > 0 {
                case.loopback
                    .push(took.as_secs_f64() * 1e6 / LOOPBACK_BATCH as f64);
            }
        }
    }
    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }
    let paired = |a: &[f64], x: &[f64]| median(x.iter().zip(a).map(|(x, a)| x / a - 1.0).collect());
    println!(
        "interleaved: {rounds} rounds of {INVOKE_BATCH} invokes and {LOOPBACK_BATCH} loopback GETs \
         ({CONNECTIONS} connections) per case; median µs per request, median of per-round ratios to a"
    );
    for (section, pick) in [
        (
            "invoke MOCK",
            (|c: &Case| c.invoke.clone()) as fn(&Case) -> Vec<f64>,
        ),
        ("loopback", |c: &Case| c.loopback.clone()),
    ] {
        let a = pick(&cases[0]);
        for case in &cases {
            let x = pick(case);
            if x.is_empty() {
                continue;
            }
            println!(
                "{section:12} {:40} {:8.3} µs  {:+6.1} % vs a",
                case.name,
                median(x.clone()),
                100.0 * paired(&a, &x)
            );
        }
    }
    for case in &cases {
        if let Some(gw) = &case.gw {
            rt.block_on(gw.flush_logs());
            if gw.log_records_dropped() > 0 {
                println!(
                    "{}: log records dropped (queue full): {}",
                    case.name,
                    gw.log_records_dropped()
                );
            }
        }
    }
}

criterion_group! {
    name = data_plane;
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    targets = observability_overhead_invoke, loopback_vs_bare, http_proxy_added_latency
}

fn main() {
    match std::env::var("GW_INTERLEAVE")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(rounds) => interleaved(rounds),
        None => {
            data_plane();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
