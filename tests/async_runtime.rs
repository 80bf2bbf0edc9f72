//! The async runtime never blocks on the disk: while an admin write is held inside its store
//! commit (a slow fsync, simulated with the store's commit hook), invokes and management reads
//! are still answered within a bound, over loopback, by a server whose runtime has only two
//! worker threads; and the held change is neither visible nor live until it is durable.

mod common;
mod mgmt_support;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::TestGateway;
use reqwest::Method;
use serde_json::{Value, json};

/// What an invoke or a management read may take while a commit is held.
const BOUND: Duration = Duration::from_millis(200);
/// Requests each client thread makes while the commit is held.
const ROUNDS: usize = 5;

async fn call(t: &TestGateway, method: Method, path: &str, body: Value, want: u16) -> Value {
    mgmt_support::expect(&t.client, &t.base(), method, path, &body, want).await
}

/// An API whose `GET /pets` is a MOCK answering `{"ok":true}`, deployed to `prod`; its id.
async fn deployed_api(t: &TestGateway) -> String {
    let api = call(t, Method::POST, "/restapis", json!({"name": "steady"}), 201).await;
    let id = api["id"].as_str().expect("id").to_string();
    let root = api["rootResourceId"].as_str().expect("root").to_string();
    let pets = call(
        t,
        Method::POST,
        &format!("/restapis/{id}/resources/{root}"),
        json!({"pathPart": "pets"}),
        201,
    )
    .await;
    let m = format!(
        "/restapis/{id}/resources/{}/methods/GET",
        pets["id"].as_str().expect("pets id")
    );
    mgmt_support::put_mock_method(&t.client, &t.base(), &m).await;
    call(
        t,
        Method::PUT,
        &format!("{m}/responses/200"),
        json!({}),
        201,
    )
    .await;
    call(
        t,
        Method::PUT,
        &format!("{m}/integration/responses/200"),
        json!({"selectionPattern": "", "responseTemplates": {"application/json": "{\"ok\":true}"}}),
        201,
    )
    .await;
    call(
        t,
        Method::POST,
        &format!("/restapis/{id}/deployments"),
        json!({"stageName": "prod"}),
        201,
    )
    .await;
    id
}

/// One timed request from a plain thread (not on the server's runtime): latency, status, body.
fn timed_get(
    client: &reqwest::blocking::Client,
    url: &str,
) -> (Duration, Result<(u16, String), String>) {
    let started = Instant::now();
    let result = client
        .get(url)
        .send()
        .and_then(|r| {
            let status = r.status().as_u16();
            r.text().map(|body| (status, body))
        })
        .map_err(|e| e.to_string());
    (started.elapsed(), result)
}

#[test]
fn invokes_and_management_reads_are_answered_while_a_commit_is_held() {
    common::init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (t, api_id) = rt.block_on(async {
        let t = TestGateway::start().await;
        let id = deployed_api(&t).await;
        (t, id)
    });

    // Every commit from now on stops before its transaction commits until released.
    let (entered_tx, entered_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Mutex::new(release_rx);
    t.gw.set_commit_hook(Some(Arc::new(move || {
        let _ = entered_tx.send(());
        if let Ok(rx) = release_rx.lock() {
            let _ = rx.recv_timeout(Duration::from_secs(20));
        }
    })));
    let (client, base) = (t.client.clone(), t.base());
    let write = rt.spawn(async move {
        mgmt_support::mgmt(
            &client,
            &base,
            Method::POST,
            "/restapis",
            Some(r#"{"name":"held"}"#),
        )
        .await
    });
    entered_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the CreateRestApi commit reached the store");

    let base = t.base();
    let urls = [
        t.url(&api_id, "prod", "/pets"),
        format!("{base}/restapis"),
        t.url(&api_id, "prod", "/pets"),
        format!("{base}/restapis/{api_id}/stages"),
        t.url(&api_id, "prod", "/pets"),
        format!("{base}/restapis/{api_id}/resources"),
        format!("{base}/apikeys"),
        format!("{base}/usageplans"),
    ];
    let threads: Vec<_> = urls
        .iter()
        .cloned()
        .map(|url| {
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::builder()
                    .no_proxy()
                    .timeout(Duration::from_secs(2))
                    .build()
                    .expect("blocking client");
                (0..ROUNDS)
                    .map(|_| timed_get(&client, &url))
                    .map(|(took, r)| (url.clone(), took, r))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut results = Vec::new();
    for th in threads {
        results.extend(th.join().expect("client thread"));
    }
    // Still held: the write is neither acknowledged nor visible.
    assert!(!write.is_finished(), "the write waited for its commit");
    let release = || {
        let _ = release_tx.send(());
        t.gw.set_commit_hook(None);
    };
    let mut worst = Duration::ZERO;
    let mut failures = Vec::new();
    for (url, took, result) in &results {
        worst = worst.max(*took);
        match result {
            Ok((200, body)) if url.ends_with("/pets") && body != r#"{"ok":true}"# => {
                failures.push(format!("{url}: body {body}"))
            }
            Ok((200, body)) if url.ends_with("/restapis") && body.contains("\"held\"") => {
                failures.push(format!("{url}: the uncommitted API is visible: {body}"))
            }
            Ok((200, _)) if *took < BOUND => {}
            Ok((status, _)) => failures.push(format!("{url}: {status} after {took:?}")),
            Err(e) => failures.push(format!("{url}: {e} after {took:?}")),
        }
    }
    if !failures.is_empty() {
        release();
        panic!(
            "while a commit was held ({} requests, worst {worst:?}):\n{}",
            results.len(),
            failures.join("\n")
        );
    }
    let mut invokes: Vec<Duration> = results
        .iter()
        .filter(|(url, _, _)| url.ends_with("/pets"))
        .map(|(_, took, _)| *took)
        .collect();
    let mut reads: Vec<Duration> = results
        .iter()
        .filter(|(url, _, _)| !url.ends_with("/pets"))
        .map(|(_, took, _)| *took)
        .collect();
    invokes.sort();
    reads.sort();
    eprintln!(
        "while a commit was held: {} invokes (median {:?}, worst {:?}), {} management reads \
         (median {:?}, worst {:?})",
        invokes.len(),
        invokes[invokes.len() / 2],
        invokes[invokes.len() - 1],
        reads.len(),
        reads[reads.len() / 2],
        reads[reads.len() - 1],
    );

    release();
    let (status, kind, body) = rt.block_on(write).expect("write task");
    assert_eq!(status, 201, "{kind:?} {body}");
    let listed = rt.block_on(call(&t, Method::GET, "/restapis", Value::Null, 200));
    assert!(
        listed.to_string().contains("\"held\""),
        "the change is visible once committed: {listed}"
    );
}
