//! WebSocket figures for docs/PERFORMANCE.md, run by hand (ignored in CI):
//! `cargo test --release --test websocket_perf -- --ignored --nocapture websocket_performance`.
//! 10,000 idle connections (held by a child process, so the gateway's resident memory is
//! this process's), a MOCK two-way echo's round trip, and one message fanned out through
//! `@connections` to 1,000 connections.

mod common;
mod http_api_support;
mod websocket_support;

use std::time::{Duration, Instant};

use common::{TestGateway, init};
use futures_util::StreamExt;
use reqwest::Method;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use websocket_support::*;

/// The keep-alive connections (and concurrent sender tasks) of the warm fan-out.
const FANOUT_SENDERS: usize = 32;

/// Starts a receiver on each client, runs `send`, and returns the clients with the time from
/// the start of `send` until the last client received its message.
async fn fan_out_round<F, Fut>(clients: Vec<Ws>, send: F) -> (Vec<Ws>, Duration)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let receivers: Vec<_> = clients
        .into_iter()
        .map(|mut ws| {
            tokio::spawn(async move {
                let m = ws.next().await;
                (ws, Instant::now(), matches!(m, Some(Ok(_))))
            })
        })
        .collect();
    // Every receiver is parked on its socket before the clock starts.
    tokio::task::yield_now().await;
    let start = Instant::now();
    let sending = send();
    tokio::spawn(sending).await.expect("send");
    let mut last = start;
    let mut back = Vec::with_capacity(receivers.len());
    for r in receivers {
        let (ws, at, got) = r.await.expect("join");
        assert!(got, "a client did not receive the fan-out");
        last = last.max(at);
        back.push(ws);
    }
    (back, last - start)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The child: opens `WS_PERF_N` connections to `WS_PERF_ADDR` (API `WS_PERF_API`, stage
/// `prod`), prints READY, holds them until its stdin closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn hold_connections() {
    let (Ok(addr), Ok(api), Ok(n)) = (
        std::env::var("WS_PERF_ADDR"),
        std::env::var("WS_PERF_API"),
        std::env::var("WS_PERF_N"),
    ) else {
        panic!("run by websocket_performance (WS_PERF_ADDR, WS_PERF_API, WS_PERF_N)");
    };
    let n: usize = n.parse().expect("WS_PERF_N");
    let mut held = Vec::with_capacity(n);
    for _ in 0..n {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{addr}/prod")
            .into_client_request()
            .expect("request");
        request.headers_mut().insert(
            "host",
            format!("{api}.execute-api.localhost")
                .parse()
                .expect("host"),
        );
        let stream = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        let (ws, _) = tokio_tungstenite::client_async(request, stream)
            .await
            .expect("handshake");
        held.push(ws);
    }
    println!("READY");
    let _ = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    })
    .await;
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn websocket_performance() {
    init();
    let t = TestGateway::start().await;
    allow_iam(&t);
    let api = ws_api(&t, "$request.body.action").await;
    let echo = integration(
        &t,
        &api,
        serde_json::json!({"integrationType": "MOCK",
            "requestTemplates": {"$default": "{\"statusCode\": 200, \"m\": $input.json('$')}"},
            "templateSelectionExpression": "\\$default"}),
    )
    .await;
    http_api_support::v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{api}/integrations/{echo}/integrationresponses"),
        Some(serde_json::json!({"integrationResponseKey": "$default",
            "responseTemplates": {"$default": "$input.json('$.m')"},
            "templateSelectionExpression": "\\$default"})),
        201,
    )
    .await;
    route(&t, &api, "$default", &echo, true).await;
    stage(&t, &api, "prod").await;

    // 1. Idle connections.
    let n = 10_000;
    let before = rss_kib();
    let mut child = tokio::process::Command::new(std::env::current_exe().expect("exe"))
        .args(["--ignored", "--exact", "hold_connections", "--nocapture"])
        .env("WS_PERF_ADDR", t.addr.to_string())
        .env("WS_PERF_API", &api)
        .env("WS_PERF_N", n.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("child");
    let started = Instant::now();
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    loop {
        let line = lines
            .next_line()
            .await
            .expect("read")
            .expect("child output");
        if line.contains("READY") {
            break;
        }
    }
    let connect_time = started.elapsed();
    assert_eq!(t.gw.websocket_connection_count(), n);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib();
    println!(
        "idle connections: {n} in {:.1} s; VmRSS {before} KiB -> {after} KiB (+{} KiB, {} bytes per connection)",
        connect_time.as_secs_f64(),
        after.saturating_sub(before),
        after.saturating_sub(before) * 1024 / n as u64
    );
    // The target (under 200 MB for 10,000 connections) is for release builds; a debug
    // build's futures are larger.
    if !cfg!(debug_assertions) {
        assert!(after < 200 * 1024, "resident memory {after} KiB");
    }
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"done\n").await;
    }
    let _ = child.wait().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while t.gw.websocket_connection_count() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // 2. MOCK two-way echo round trips.
    let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");
    for _ in 0..200 {
        send_text(&mut ws, r#"{"hello": "world"}"#).await;
        next_text(&mut ws).await;
    }
    let mut samples = Vec::with_capacity(5000);
    for _ in 0..5000 {
        let start = Instant::now();
        send_text(&mut ws, r#"{"hello": "world"}"#).await;
        next_text(&mut ws).await;
        samples.push(start.elapsed());
    }
    samples.sort();
    println!(
        "MOCK two-way echo round trip (client to client, loopback): p50 {:?}, p90 {:?}, p99 {:?}",
        samples[samples.len() / 2],
        samples[samples.len() * 9 / 10],
        samples[samples.len() * 99 / 100]
    );
    drop(ws);

    // 3. One message fanned out through `@connections` to 1,000 connections, three ways, so
    //    the figure says where the time goes:
    //    a. in process: 1,000 `websocket_connection_op` calls (no HTTP, no SigV4) — the
    //       engine's share (registry lookup, queueing, the writers' frames);
    //    b. warm: 1,000 signed POSTs over FANOUT_SENDERS keep-alive connections opened before
    //       the clock starts (one sender task per connection, each posting its share in
    //       turn), as a long-lived broadcaster with a connection pool sends them — the
    //       headline figure;
    //    c. cold: 1,000 signed POSTs all at once from a fresh client, so each opens its own
    //       TCP connection (1,000 connects and accepts inside the measured time).
    //    Each is timed from the first send to the last of the 1,000 clients receiving.
    let mut clients = Vec::new();
    for _ in 0..1000 {
        clients.push(connect(&t, &api, "prod", &[]).await.expect("connected"));
    }
    let ids: Vec<String> =
        t.gw.websocket_connections(&api, Some("prod"))
            .into_iter()
            .map(|c| c.connection_id)
            .collect();
    assert_eq!(ids.len(), 1000);
    let (clients, in_process) = fan_out_round(clients, || {
        let gw = t.gw.clone();
        let api = api.clone();
        let ids = ids.clone();
        async move {
            let body = bytes::Bytes::from_static(b"fan-out");
            for id in &ids {
                let r = gw.websocket_connection_op(&Method::POST, &api, "prod", id, &body);
                assert_eq!(r.status.as_u16(), 200);
            }
        }
    })
    .await;
    println!(
        "fan-out a (in process, 1,000 websocket_connection_op calls, no HTTP): {in_process:?}"
    );

    let host = format!("{api}.execute-api.localhost:{}", t.addr.port());
    let senders = FANOUT_SENDERS;
    let pool = reqwest::Client::builder()
        .pool_max_idle_per_host(senders)
        .build()
        .expect("client");
    // Open the pool's connections: `senders` concurrent signed GETs.
    let warmups: Vec<_> = (0..senders)
        .map(|i| {
            let (url, _) = connections_url(&t, &api, "prod", &ids[i]);
            let r = signed_connections_request(&t.client, Method::GET, &url, b"", &host);
            let pool = pool.clone();
            tokio::spawn(async move { pool.execute(r).await.map(|r| r.status().as_u16()) })
        })
        .collect();
    for w in warmups {
        assert_eq!(w.await.expect("join").expect("get"), 200);
    }
    let shares: Vec<Vec<reqwest::Request>> = (0..senders)
        .map(|s| {
            ids.iter()
                .skip(s)
                .step_by(senders)
                .map(|id| {
                    let (url, _) = connections_url(&t, &api, "prod", id);
                    signed_connections_request(&t.client, Method::POST, &url, b"fan-out", &host)
                })
                .collect()
        })
        .collect();
    let (clients, warm) = fan_out_round(clients, || {
        let pool = pool.clone();
        async move {
            let tasks: Vec<_> = shares
                .into_iter()
                .map(|share| {
                    let pool = pool.clone();
                    tokio::spawn(async move {
                        for r in share {
                            let status = pool.execute(r).await.map(|r| r.status().as_u16());
                            assert_eq!(status.expect("post"), 200);
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.expect("join");
            }
        }
    })
    .await;
    println!(
        "fan-out b (warm: 1,000 signed POSTs over {senders} keep-alive connections, {senders} concurrent): {warm:?}"
    );

    let cold_client = reqwest::Client::new();
    let requests: Vec<reqwest::Request> = ids
        .iter()
        .map(|id| {
            let (url, _) = connections_url(&t, &api, "prod", id);
            signed_connections_request(&t.client, Method::POST, &url, b"fan-out", &host)
        })
        .collect();
    let (_clients, cold) = fan_out_round(clients, || async move {
        let sends: Vec<_> = requests
            .into_iter()
            .map(|r| {
                let client = cold_client.clone();
                tokio::spawn(async move { client.execute(r).await.map(|r| r.status().as_u16()) })
            })
            .collect();
        for s in sends {
            assert_eq!(s.await.expect("join").expect("post"), 200);
        }
    })
    .await;
    println!(
        "fan-out c (cold: 1,000 signed POSTs at once from a fresh client, a new TCP connection each): {cold:?}"
    );
    if !cfg!(debug_assertions) {
        assert!(
            warm < Duration::from_millis(100),
            "fan-out to 1,000 connections took {warm:?} (target: 100 ms)"
        );
    }
    t.stop().await;
}
