//! Cluster-mode harness: a throwaway PostgreSQL ([`postgres::Postgres`]) and real `gwtui
//! serve` processes sharing it, each with its own temp data dir; plus small management-API
//! helpers (blocking reqwest, `Content-Type: application/json` on every write).
#![allow(dead_code)]

pub mod postgres;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_gwtui");

/// One `gwtui serve` node.
pub struct Node {
    child: Child,
    pub url: String,
    pub node_id: String,
    pub dir: tempfile::TempDir,
}

impl Node {
    /// Starts a node with id `node_id` on the store `store_url`; returns once it listens.
    pub fn start(store_url: &str, node_id: &str) -> Node {
        Node::start_with(store_url, node_id, "")
    }

    /// [`Node::start`] with `extra` appended to the config file, right after the `[cluster]`
    /// section's `node_id` line (so it may add `[cluster]` settings, then other sections).
    pub fn start_with(store_url: &str, node_id: &str, extra: &str) -> Node {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!("[demo]\nenabled = false\n\n[cluster]\nnode_id = \"{node_id}\"\n{extra}\n"),
        )
        .expect("write config");
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--config")
            .arg(&config)
            .args(["--store", store_url, "serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn gwtui serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        assert_eq!(
            first,
            format!(
                "cluster node {node_id} (store: postgres {})",
                label(store_url)
            ),
            "serve's first line names the node and the store"
        );
        let second = lines.next().and_then(Result::ok).unwrap_or_default();
        let url = second
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected line {second:?}"))
            .to_string();
        // Keep draining stdout so the node never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Node {
            child,
            url,
            node_id: node_id.to_string(),
            dir,
        }
    }

    /// The process id (to signal it: `kill -STOP` freezes the node).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `host:port/db` of a `postgres://user@host:port/db` URL, as `gwtui` prints it.
fn label(url: &str) -> String {
    let rest = url.split_once('@').map_or(url, |(_, r)| r);
    let label = rest.split('?').next().unwrap_or(rest).to_string();
    if [
        "sslmode=require",
        "sslmode=verify-full",
        "sslmode=verify-ca",
    ]
    .iter()
    .any(|m| url.contains(m))
    {
        format!("{label} (TLS)")
    } else {
        label
    }
}

pub fn http() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

/// A management call: `(status, x-amzn-ErrorType, body)`.
pub fn call(
    c: &reqwest::blocking::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> (u16, Option<String>, Value) {
    let mut req = c.request(method, url);
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let resp = req.send().unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = resp.text().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, kind, body)
}

fn ok(c: &reqwest::blocking::Client, method: reqwest::Method, url: &str, body: Value) -> Value {
    let (status, kind, body) = call(c, method, url, Some(body));
    assert!(
        (200..300).contains(&status),
        "{url}: {status} {kind:?} {body}"
    );
    body
}

/// Creates a MOCK API answering `GET /` with `text` and deploys it to `prod` through `base`;
/// returns the API id.
pub fn mock_api(c: &reqwest::blocking::Client, base: &str, name: &str, text: &str) -> String {
    use reqwest::Method;
    let api = ok(
        c,
        Method::POST,
        &format!("{base}/restapis"),
        json!({ "name": name }),
    );
    let id = api["id"].as_str().expect("api id").to_string();
    let root = api["rootResourceId"].as_str().expect("root").to_string();
    let method = format!("{base}/restapis/{id}/resources/{root}/methods/GET");
    ok(
        c,
        Method::PUT,
        &method,
        json!({ "authorizationType": "NONE" }),
    );
    ok(
        c,
        Method::PUT,
        &format!("{method}/integration"),
        json!({ "type": "MOCK", "requestTemplates": { "application/json": "{\"statusCode\": 200}" } }),
    );
    ok(
        c,
        Method::PUT,
        &format!("{method}/responses/200"),
        json!({}),
    );
    ok(
        c,
        Method::PUT,
        &format!("{method}/integration/responses/200"),
        json!({ "responseTemplates": { "application/json": text } }),
    );
    ok(
        c,
        Method::POST,
        &format!("{base}/restapis/{id}/deployments"),
        json!({ "stageName": "prod" }),
    );
    id
}

/// `GET /` of the API's `prod` stage on a node: `(status, body)`.
pub fn invoke(c: &reqwest::blocking::Client, base: &str, api: &str) -> (u16, String) {
    match c
        .get(format!("{base}/restapis/{api}/prod/_user_request_/"))
        .send()
    {
        Ok(r) => (r.status().as_u16(), r.text().unwrap_or_default()),
        Err(e) => (0, e.to_string()),
    }
}

/// Polls `f` until it is true or `within` passes; returns how long it took.
pub fn eventually(within: Duration, mut f: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if f() {
            return Some(start.elapsed());
        }
        if start.elapsed() > within {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
