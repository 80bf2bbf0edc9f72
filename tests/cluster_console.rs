//! Cluster mode as a console sees it (docs/CLUSTER.md, "Live metrics across nodes"): three
//! real `gwtui serve` nodes on a throwaway PostgreSQL, with management credentials. Traffic
//! sent to nodes B and C is counted in the merged metrics node A answers
//! (`GET /gwtui/metrics?node=cluster`, A pulling B's and C's over their signed management API),
//! one node's own view is there on `node=<id>`, and a node that stops answering is listed as
//! missing ("2 of 3") instead of being silently left out. The attached console's backend reads
//! the same endpoint.
//!
//! Outside CI the test skips (with a `SKIPPED:` line) when PostgreSQL is not installed; with
//! `CI` set it fails instead.

mod cluster_support;
#[path = "common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Duration;

use cluster_support::postgres::Postgres;
use cluster_support::{Node, eventually, http, invoke};
use gwtui::auth::credentials::Credentials;
use gwtui::engine::MetricsScope;
use gwtui::tui::backend::Backend;
use gwtui::tui::remote::RemoteBackend;

const KEY: &str = "AKIDCLUSTERVIEW";
const SECRET: &str = "cluster-view-secret";

const OPENAPI: &str = r#"{
  "openapi": "3.0.1",
  "info": { "title": "counted", "version": "1" },
  "paths": {
    "/": {
      "get": {
        "responses": { "200": { "description": "ok" } },
        "x-amazon-apigateway-integration": {
          "type": "mock",
          "requestTemplates": { "application/json": "{\"statusCode\": 200}" },
          "responses": { "default": { "statusCode": "200",
            "responseTemplates": { "application/json": "counted" } } }
        }
      }
    }
  }
}"#;

fn credentials() -> Credentials {
    Credentials {
        access_key_id: KEY.into(),
        secret_access_key: SECRET.into(),
        session_token: None,
    }
}

/// The stage the counted traffic goes to (`prod` only serves the readiness polls).
const COUNTED: &str = "count";

/// Requests and 4XX errors of the `count` stage in a console snapshot, every series and second.
fn figures(m: &gwtui::tui::metrics::MetricsSnapshot) -> (u64, u64) {
    m.series
        .iter()
        .filter(|s| s.key.stage == COUNTED)
        .flat_map(|s| &s.buckets)
        .fold((0, 0), |(n, e), b| (n + b.count, e + b.error_4xx))
}

/// `(included, total)` of a snapshot's coverage.
fn coverage(m: &gwtui::tui::metrics::MetricsSnapshot) -> (usize, usize) {
    m.cluster
        .as_ref()
        .map(|c| (c.included(), c.nodes.len()))
        .unwrap_or((0, 0))
}

#[test]
fn node_a_shows_the_traffic_of_b_and_c_merged_and_says_which_nodes_answered() {
    let Some(pg) = Postgres::start() else { return };
    let server = format!("[server]\nadmin_credentials = \"{KEY}:{SECRET}\"\n");
    let a = Node::start_with(&pg.url(), "node-a", &server);
    let b = Node::start_with(&pg.url(), "node-b", &server);
    let mut c = Node::start_with(&pg.url(), "node-c", &server);
    let client = http();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let console = rt
        .block_on(RemoteBackend::connect(
            &a.url,
            Some(credentials()),
            Arc::new(gwtui::loadgen::Traffic::default()),
        ))
        .expect("attach to node A");

    // The definitions go in through A (signed), and B and C serve them.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("counted.json");
    std::fs::write(&file, OPENAPI).expect("write openapi");
    let api = rt
        .block_on(console.import(file.display().to_string()))
        .expect("import through A");
    // `count` first: once B and C serve `prod`, deployed after it, they have `count` too.
    for stage in [COUNTED, "prod"] {
        rt.block_on(console.deploy(api.clone(), stage.into(), None))
            .expect("deploy through A");
    }
    for node in [&b, &c] {
        assert!(
            eventually(Duration::from_secs(5), || invoke(&client, &node.url, &api)
                .0
                == 200)
            .is_some(),
            "{} never served the API",
            node.node_id
        );
    }

    // Traffic through B and C only, to the `count` stage.
    let (base, base_4xx) = (0, 0);
    let send = |node: &Node, method: reqwest::Method| {
        client
            .request(
                method,
                format!("{}/restapis/{api}/{COUNTED}/_user_request_/", node.url),
            )
            .send()
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    for _ in 0..30 {
        assert_eq!(send(&b, reqwest::Method::GET), 200);
    }
    for _ in 0..20 {
        assert_eq!(send(&c, reqwest::Method::GET), 200);
    }
    for _ in 0..5 {
        let status = client
            .post(format!(
                "{}/restapis/{api}/{COUNTED}/_user_request_/",
                c.url
            ))
            .send()
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        assert!((400..500).contains(&status), "POST / answered {status}");
    }

    // A's merged view counts them once their second has closed on B and C.
    let mut merged = gwtui::tui::metrics::MetricsSnapshot::default();
    let took = eventually(Duration::from_secs(10), || {
        merged = rt
            .block_on(console.metrics(api.clone(), 300, MetricsScope::Cluster))
            .expect("merged metrics");
        figures(&merged) == (base + 55, base_4xx + 5)
    });
    assert!(
        took.is_some(),
        "node A's merged view: {:?}, expected ({}, {}); coverage {:?}",
        figures(&merged),
        base + 55,
        base_4xx + 5,
        merged.cluster
    );
    assert_eq!(coverage(&merged), (3, 3), "{:?}", merged.cluster);
    let latency = merged
        .series
        .iter()
        .flat_map(|s| &s.buckets)
        .any(|b| b.count > 0 && b.latency_ms.p50 > 0.0);
    assert!(latency, "merged buckets keep their latency");

    // A's own view has none of this traffic; B's has its 30 (plus its share of the polls).
    let own = rt
        .block_on(console.metrics(api.clone(), 300, MetricsScope::ThisNode))
        .expect("A's own metrics");
    assert_eq!(own.cluster, None, "a node's own view is its alone");
    let of_b = rt
        .block_on(console.metrics(api.clone(), 300, MetricsScope::Node("node-b".into())))
        .expect("B's metrics through A");
    let b_cov = of_b.cluster.clone().expect("coverage");
    assert_eq!(b_cov.scope, "node-b");
    assert_eq!(b_cov.included(), 1);
    let of_c = rt
        .block_on(console.metrics(api.clone(), 300, MetricsScope::Node("node-c".into())))
        .expect("C's metrics through A");
    assert_eq!(
        figures(&of_b).0 + figures(&of_c).0 + figures(&own).0,
        figures(&merged).0,
        "the merged view is the sum of the nodes' own views"
    );
    assert_eq!(figures(&of_b), (30, 0));
    assert_eq!(figures(&of_c), (25, 5));
    assert_eq!(figures(&own), (0, 0));

    // The endpoint requires the credentials (A signs its pulls from B and C with them).
    let unsigned = client
        .get(format!(
            "{}/gwtui/metrics?restApiId={api}&node=cluster",
            a.url
        ))
        .send()
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    assert_eq!(unsigned, 403);

    // C stops answering: A's merged view says 2 of 3 and why, with B's and A's traffic.
    c.kill();
    let mut partial = merged.clone();
    let started = std::time::Instant::now();
    rt.block_on(async {
        partial = console
            .metrics(api.clone(), 300, MetricsScope::Cluster)
            .await
            .expect("metrics without C");
    });
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "a node that is gone costs at most the pull timeout: {:?}",
        started.elapsed()
    );
    assert_eq!(coverage(&partial), (2, 3), "{:?}", partial.cluster);
    let missing = partial
        .cluster
        .as_ref()
        .and_then(|c| c.nodes.iter().find(|n| !n.included))
        .expect("a missing node");
    assert_eq!(missing.node_id, "node-c");
    assert!(missing.error.is_some(), "{missing:?}");
    assert_eq!(figures(&partial), (30, 0), "B's traffic, not C's");
}
