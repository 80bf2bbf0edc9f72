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

    // 3. One message fanned out through @connections to 1,000 connections.
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
    let host = format!("{api}.execute-api.localhost:{}", t.addr.port());
    let requests: Vec<reqwest::Request> = ids
        .iter()
        .map(|id| {
            let (url, _) = connections_url(&t, &api, "prod", id);
            signed_connections_request(&t, Method::POST, &url, b"fan-out", &host)
        })
        .collect();
    let receivers: Vec<_> = clients
        .into_iter()
        .map(|mut ws| {
            tokio::spawn(async move {
                let m = ws.next().await;
                (Instant::now(), m.is_some())
            })
        })
        .collect();
    let start = Instant::now();
    let sends: Vec<_> = requests
        .into_iter()
        .map(|r| {
            let client = t.client.clone();
            tokio::spawn(async move { client.execute(r).await.map(|r| r.status().as_u16()) })
        })
        .collect();
    for s in sends {
        assert_eq!(s.await.expect("join").expect("post"), 200);
    }
    let mut last = start;
    for r in receivers {
        let (at, got) = r.await.expect("join");
        assert!(got);
        last = last.max(at);
    }
    println!(
        "fan-out: 1 message to 1,000 connections through @connections (1,000 signed POSTs) in {:?}",
        last - start
    );
    t.stop().await;
}
