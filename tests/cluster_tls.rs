//! Cluster mode over TLS (docs/CLUSTER.md, "TLS to PostgreSQL and Redis"): a real PostgreSQL
//! with `ssl=on` that refuses plain TCP (`hostssl`), and a real `redis-server` listening on
//! its TLS port only, both with certificates from gwtui's own development CA. A node given
//! that CA (`[store] ca_cert`, `[cluster] redis_ca_cert`) works over TLS; a node given
//! another CA does not start, and says why.
//!
//! Outside CI the tests skip (with a `SKIPPED:` line) when PostgreSQL or redis-server is not
//! installed; with `CI` set they fail instead.

mod cluster_support;
#[path = "common/mod.rs"]
mod common;
#[path = "cluster_support/nodes.rs"]
mod nodes;
#[path = "cluster_support/redis.rs"]
mod redis_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cluster_support::postgres::Postgres;
use cluster_support::{BIN, Node, http, invoke, mock_api};
use gwtui::tls::ca::DevCa;
use redis_support::RedisServer;

/// A CA in its own temp dir: `(dir, CA certificate file)`.
fn new_ca() -> (tempfile::TempDir, DevCa, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = DevCa::load_or_create(dir.path()).expect("dev CA");
    let path = ca.cert_path().to_path_buf();
    (dir, ca, path)
}

/// Runs `gwtui serve` expecting it to refuse to start: its stderr.
fn refused_start(config: &str, store: Option<&str>) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("config.toml");
    std::fs::write(&file, config).expect("write config");
    let mut cmd = Command::new(BIN);
    cmd.arg("--data-dir")
        .arg(dir.path())
        .arg("--config")
        .arg(&file);
    if let Some(store) = store {
        cmd.args(["--store", store]);
    }
    let mut child = cmd
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn gwtui serve");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("gwtui serve did not refuse to start within 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(!status.success(), "gwtui serve started: {stderr}");
    stderr
}

fn toml_path(p: &Path) -> String {
    p.display().to_string().replace('\\', "\\\\")
}

#[test]
fn a_node_uses_postgres_over_tls_with_its_ca_and_refuses_another_ca() {
    let (_dir, ca, ca_file) = new_ca();
    let issued = ca
        .issue_server(&["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("server certificate");
    let Some(pg) = Postgres::start_tls(&issued.cert_pem, &issued.key_pem) else {
        return;
    };
    let url = format!("{}?sslmode=require", pg.url());
    let store = format!("[store]\nca_cert = \"{}\"\n", toml_path(&ca_file));
    // The node prints `(store: postgres …/postgres (TLS))` (checked by `Node::start_with`).
    let node = Node::start_with(&url, "node-tls", &store);
    let client = http();
    let api = mock_api(&client, &node.url, "over-tls", "stored over TLS");
    assert_eq!(
        invoke(&client, &node.url, &api),
        (200, "stored over TLS".to_string())
    );
    // PostgreSQL's own view: gwtui's sessions are encrypted (plain TCP is refused anyway).
    let mut db = pg.client();
    let row = db
        .query_one(
            "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_activity a \
             JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'gwtui'",
            &[],
        )
        .expect("pg_stat_ssl");
    let (tls, all): (i64, i64) = (row.get(0), row.get(1));
    assert!(
        all >= 1 && tls == all,
        "{tls} of {all} gwtui sessions over TLS"
    );

    // `sslrootcert` in the URL does the same as `[store] ca_cert`.
    let with_root = format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        pg.url(),
        toml_path(&ca_file)
    );
    let second = Node::start(&with_root, "node-root");
    assert_eq!(invoke(&client, &second.url, &api).0, 200);

    // Another CA: a clear startup error, not a plain connection.
    let (_other_dir, _other, other_file) = new_ca();
    let stderr = refused_start(
        &format!("[store]\nca_cert = \"{}\"\n", toml_path(&other_file)),
        Some(&url),
    );
    assert!(
        stderr.contains("not trusted") && stderr.contains("ca_cert"),
        "{stderr}"
    );
    // A CA with a URL that does not ask for TLS is refused, not ignored.
    let stderr = refused_start(&store, Some(&pg.url()));
    assert!(stderr.contains("sslmode=require"), "{stderr}");
}

#[test]
fn a_node_shares_state_in_redis_over_tls_with_its_ca_and_refuses_another_ca() {
    let (_dir, ca, ca_file) = new_ca();
    let issued = ca
        .issue_server(&["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("server certificate");
    let Some(redis) = RedisServer::start_tls(&issued.cert_pem, &issued.key_pem) else {
        return;
    };
    assert!(redis.url().starts_with("rediss://"));
    let dir = tempfile::tempdir().expect("temp dir");
    let config = format!(
        "[demo]\nenabled = false\n\n[cluster]\nredis = \"{}\"\nredis_ca_cert = \"{}\"\nredis_timeout_ms = 1000\n",
        redis.url(),
        toml_path(&ca_file)
    );
    let node = nodes::Node::start(dir.path(), &config);
    let client = http();
    let api = mock_api(&client, &node.base, "redis-tls", "cached");
    // A stage throttle: its token leases come from Redis.
    let patched = client
        .patch(format!("{}/restapis/{api}/stages/prod", node.base))
        .header("content-type", "application/json")
        .body(
            r#"{"patchOperations":[{"op":"replace","path":"/*/*/throttling/rateLimit","value":"1000"},{"op":"replace","path":"/*/*/throttling/burstLimit","value":"100"}]}"#,
        )
        .send()
        .expect("UpdateStage");
    assert_eq!(patched.status().as_u16(), 200, "{:?}", patched.text());
    for _ in 0..5 {
        assert_eq!(invoke(&client, &node.base, &api).0, 200);
    }
    let metrics = client
        .get(format!("{}/metrics", node.base))
        .send()
        .and_then(|r| r.text())
        .expect("/metrics");
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .map(|v| v as u64)
            .unwrap_or_else(|| panic!("{name} not in /metrics"))
    };
    assert!(value("gwtui_redis_calls_total") >= 1);
    assert_eq!(value("gwtui_redis_failures_total"), 0);
    node.stop();

    // Another CA: the node refuses to start and says what to set.
    let (_other_dir, _other, other_file) = new_ca();
    let stderr = refused_start(
        &format!(
            "[demo]\nenabled = false\n\n[cluster]\nredis = \"{}\"\nredis_ca_cert = \"{}\"\n",
            redis.url(),
            toml_path(&other_file)
        ),
        None,
    );
    assert!(
        stderr.contains("not trusted") && stderr.contains("redis_ca_cert"),
        "{stderr}"
    );
    // A CA for a plain redis:// URL is refused rather than ignored.
    let stderr = refused_start(
        &format!(
            "[demo]\nenabled = false\n\n[cluster]\nredis = \"redis://127.0.0.1:{}\"\nredis_ca_cert = \"{}\"\n",
            redis.port,
            toml_path(&ca_file)
        ),
        None,
    );
    assert!(stderr.contains("rediss://"), "{stderr}");
}
