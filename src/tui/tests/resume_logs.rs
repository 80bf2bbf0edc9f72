//! Log lines and metrics across a cut event stream: the attached console behind a proxy
//! that these tests cut while real requests run. The lines written while the stream was
//! down are replayed after the reconnect (the server numbers log batches with the changes),
//! or, past the server's log ring, a `WARN` line says which minutes were missed; the
//! dashboard's counters come from the server's snapshot and match its totals.

use std::collections::BTreeSet;
use std::time::Duration;

use tokio::sync::mpsc::Receiver;

use super::Harness;
use super::resume::{attached_behind_proxy, resyncs, wait_for};
use super::served::{Served, World};
use crate::server::ServerOptions;
use crate::tui::app::WINDOWS;
use crate::tui::effect::Effect;
use crate::tui::msg::{DataUpdate, Msg};
use crate::tui::remote::RemoteBackend;

/// `n` requests to the MOCK `POST /pets` of `dev`, straight to the server (not through the
/// proxy): their request ids.
fn traffic(h: &Harness<RemoteBackend>, s: &Served, w: &World, n: usize) -> Vec<String> {
    let url = format!(
        "http://{}/restapis/{}/dev/_user_request_/pets",
        s.addr, w.api
    );
    let client = reqwest::Client::new();
    h.block_on(async {
        let mut ids = Vec::new();
        for _ in 0..n {
            let response = client
                .post(&url)
                .header("content-type", "application/json")
                .body(r#"{"name":"Rex"}"#)
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 200);
            let id = response
                .headers()
                .get("x-amzn-requestid")
                .and_then(|v| v.to_str().ok())
                .expect("request id")
                .to_string();
            ids.push(id);
        }
        ids
    })
}

/// The request ids of the request summaries (`REQUEST` lines) the updates carried.
fn logged(seen: &[DataUpdate]) -> BTreeSet<String> {
    seen.iter()
        .filter_map(|u| match u {
            DataUpdate::Logs(lines) => Some(lines),
            _ => None,
        })
        .flatten()
        .filter(|l| l.level == "REQUEST")
        .map(|l| l.request_id.clone())
        .collect()
}

fn markers(seen: &[DataUpdate]) -> Vec<String> {
    seen.iter()
        .filter_map(|u| match u {
            DataUpdate::Logs(lines) => Some(lines),
            _ => None,
        })
        .flatten()
        .filter(|l| l.message.contains("were missed"))
        .map(|l| l.message.clone())
        .collect()
}

/// Waits until every id in `ids` was logged.
fn until_logged(
    h: &Harness<RemoteBackend>,
    rx: &mut Receiver<DataUpdate>,
    seen: &mut Vec<DataUpdate>,
    ids: &[String],
) {
    while !ids.iter().all(|id| logged(seen).contains(id)) {
        let missing = ids.iter().filter(|id| !logged(seen).contains(*id)).count();
        assert!(
            wait_for(h, rx, seen, |u| matches!(u, DataUpdate::Logs(_))),
            "{missing} of {} request lines never arrived",
            ids.len()
        );
    }
}

/// The console's count of requests in its dashboard window (every series).
fn dashboard_count(h: &mut Harness<RemoteBackend>, api: &str) -> u64 {
    h.settle(vec![Effect::LoadMetrics {
        rest_api_id: api.into(),
        window_seconds: WINDOWS[1],
        scope: crate::engine::MetricsScope::Cluster,
    }]);
    h.app
        .metrics
        .series
        .iter()
        .flat_map(|s| s.buckets.iter())
        .map(|b| b.count)
        .sum()
}

/// Requests before, during and after an outage of the stream: every request's line reaches
/// the console's log view, none twice, without a reload; the dashboard then counts exactly
/// the requests made.
#[test]
fn log_lines_written_while_the_stream_is_down_are_replayed_and_the_dashboard_matches() {
    let (s, w) = Served::sample();
    let (proxy, mut h, mut rx) = attached_behind_proxy(&s);
    let mut seen = Vec::new();
    let before = traffic(&h, &s, &w, 10);
    until_logged(&h, &mut rx, &mut seen, &before);
    proxy.cut();
    assert!(
        wait_for(&h, &mut rx, &mut seen, |u| matches!(
            u,
            DataUpdate::Connection(false)
        )),
        "the cut stream was not reported down"
    );
    let during = traffic(&h, &s, &w, 25);
    proxy.open();
    assert!(
        wait_for(&h, &mut rx, &mut seen, |u| matches!(
            u,
            DataUpdate::Connection(true)
        )),
        "the console did not reconnect"
    );
    let after = traffic(&h, &s, &w, 10);
    let all: Vec<String> = [before, during, after].concat();
    until_logged(&h, &mut rx, &mut seen, &all);
    assert_eq!(resyncs(&seen), 0, "{seen:?}");
    assert!(markers(&seen).is_empty(), "{:?}", markers(&seen));
    // Each line once: the replay starts after the last line the console saw.
    let requests: Vec<&String> = seen
        .iter()
        .filter_map(|u| match u {
            DataUpdate::Logs(lines) => Some(lines),
            _ => None,
        })
        .flatten()
        .filter(|l| l.level == "REQUEST")
        .map(|l| &l.request_id)
        .collect();
    assert_eq!(requests.len(), all.len(), "a line came twice");
    // The log view has them all.
    for u in seen.drain(..) {
        h.app.update(Msg::Data(u));
    }
    let in_view: BTreeSet<&str> = h
        .app
        .logs
        .lines
        .iter()
        .map(|l| l.request_id.as_str())
        .collect();
    assert!(all.iter().all(|id| in_view.contains(id.as_str())));
    // The dashboard's counters are the server's: once the last request's second has
    // closed, they count every request, those of the outage included.
    let made = all.len() as u64;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut count = dashboard_count(&mut h, &w.api);
    while count < made && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        count = dashboard_count(&mut h, &w.api);
    }
    assert_eq!(count, made);
    let server: u64 =
        s.gw.metrics_snapshot(&w.api, Duration::from_secs(WINDOWS[1] as u64))
            .series
            .iter()
            .flat_map(|s| s.buckets.iter())
            .map(|b| b.count)
            .sum();
    assert_eq!(count, server);
}

/// More log lines during the outage than the server keeps: the console shows a `WARN` line
/// naming the missed stretch, then the lines that were kept, and reloads nothing.
#[test]
fn log_lines_past_the_servers_ring_leave_a_visible_marker() {
    let (s, w) = Served::sample_with(ServerOptions {
        log_replay: Some(4),
        ..ServerOptions::default()
    });
    let (proxy, mut h, mut rx) = attached_behind_proxy(&s);
    let mut seen = Vec::new();
    proxy.cut();
    assert!(wait_for(&h, &mut rx, &mut seen, |u| matches!(
        u,
        DataUpdate::Connection(false)
    )));
    // Six groups of five requests, each group's log batch out (and numbered) before the
    // next: more batches than the ring of 4 lines keeps (a batch is never split).
    let mut engine = s.gw.subscribe();
    let mut during = Vec::new();
    for _ in 0..6 {
        let group = traffic(&h, &s, &w, 5);
        let last = group.last().cloned().unwrap_or_default();
        during.extend(group);
        let out = s.rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), async {
                loop {
                    match engine.recv().await {
                        Ok(crate::engine::GatewayEvent::Logs(batch))
                            if batch.iter().any(|l| l.request_id == last) =>
                        {
                            return true;
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return false,
                        _ => {}
                    }
                }
            })
            .await
            .unwrap_or(false)
        });
        assert!(out, "the engine never logged {last}");
    }
    let last = during.last().cloned().unwrap_or_default();
    proxy.open();
    assert!(
        wait_for(&h, &mut rx, &mut seen, |u| matches!(
            u,
            DataUpdate::Logs(lines) if lines.iter().any(|l| l.message.contains("were missed"))
        )),
        "no marker: {seen:?}"
    );
    let marker = markers(&seen).pop().unwrap_or_default();
    assert!(
        marker.starts_with("logs from ") && marker.ends_with("(no longer kept by the server)"),
        "{marker}"
    );
    // What the server kept follows: the last request's line.
    until_logged(&h, &mut rx, &mut seen, std::slice::from_ref(&last));
    assert!(
        logged(&seen).len() < during.len(),
        "the ring of 4 lines kept them all?"
    );
    assert_eq!(resyncs(&seen), 0);
    for u in seen.drain(..) {
        h.app.update(Msg::Data(u));
    }
    let marked = h
        .app
        .logs
        .lines
        .iter()
        .find(|l| l.message.contains("were missed"))
        .map(|l| l.level.clone());
    assert_eq!(marked.as_deref(), Some("WARN"), "the log view shows it");
}
