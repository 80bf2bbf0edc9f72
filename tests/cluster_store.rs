//! Cluster mode, definitions in PostgreSQL (docs/CLUSTER.md): a throwaway PostgreSQL and real
//! `gwtui serve` nodes over loopback. An admin change through one node is served by another
//! within a second; writes through any node are seen by all and concurrent ones are all kept;
//! a node SIGKILLed mid-stream loses no acknowledged change; with PostgreSQL down, admin
//! writes are refused with a clear 503 while invokes keep being served, and writes work again
//! once it is back. The PostgreSQL store itself matches SQLite change for change.
//!
//! Outside CI these tests skip (with a `SKIPPED:` line) when PostgreSQL is not installed; with
//! `CI` set they fail instead.

mod cluster_support;
#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cluster_support::postgres::Postgres;
use cluster_support::{Node, call, eventually, http, invoke, mock_api};
use gwtui::model::{
    AccountSettings, ApiDefinition, ApiKey, Deployment, RestApi, Stage, UsagePlan, VpcLink,
};
use gwtui::store::{AuditRecord, Change, Store, StoreError, StoreLocation, StoreState, V2Change};
use reqwest::Method;
use serde_json::json;

fn api_names(c: &reqwest::blocking::Client, base: &str) -> BTreeSet<String> {
    let (status, _, body) = call(c, Method::GET, &format!("{base}/restapis?limit=500"), None);
    assert_eq!(status, 200, "{body}");
    body["item"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_change_through_one_node_is_served_by_the_others_and_concurrent_writes_are_all_kept() {
    let Some(pg) = Postgres::start() else { return };
    let a = Node::start(&pg.url(), "node-a");
    let b = Node::start(&pg.url(), "node-b");
    let c = Node::start(&pg.url(), "node-c");
    let client = http();

    // Deploy a MOCK API through A; C serves it within a second of the acknowledgement.
    let api = mock_api(&client, &a.url, "hello", "hello from the cluster");
    let took = eventually(Duration::from_secs(5), || {
        invoke(&client, &c.url, &api) == (200, "hello from the cluster".to_string())
    });
    let took = took.unwrap_or_else(|| {
        panic!(
            "node C never served the API: {:?}",
            invoke(&client, &c.url, &api)
        )
    });
    assert!(
        took < Duration::from_secs(1),
        "C served the deployment {took:?} after A acknowledged it"
    );
    println!("propagation A -> C: {took:?}");

    // A write through B is read through A.
    let (status, kind, body) = call(
        &client,
        Method::PATCH,
        &format!("{}/restapis/{api}", b.url),
        Some(
            json!({ "patchOperations": [{ "op": "replace", "path": "/description", "value": "via B" }] }),
        ),
    );
    assert_eq!(status, 200, "{kind:?} {body}");
    assert!(
        eventually(Duration::from_secs(1), || {
            let (s, _, body) = call(
                &client,
                Method::GET,
                &format!("{}/restapis/{api}", a.url),
                None,
            );
            s == 200 && body["description"] == "via B"
        })
        .is_some(),
        "A never showed B's change"
    );

    // Concurrent creates through A and B: every one is kept, and C lists them all.
    let created = Arc::new(Mutex::new(BTreeSet::new()));
    std::thread::scope(|s| {
        for (node, prefix) in [(&a, "a"), (&b, "b")] {
            let created = created.clone();
            let client = http();
            s.spawn(move || {
                for i in 0..15 {
                    let name = format!("{prefix}-{i}");
                    let (status, kind, body) = call(
                        &client,
                        Method::POST,
                        &format!("{}/restapis", node.url),
                        Some(json!({ "name": name })),
                    );
                    assert_eq!(status, 201, "{kind:?} {body}");
                    created.lock().unwrap().insert(name);
                }
            });
        }
    });
    let expected = created.lock().unwrap().clone();
    assert_eq!(expected.len(), 30);
    assert!(
        eventually(Duration::from_secs(2), || {
            [&a, &b, &c]
                .iter()
                .all(|n| api_names(&client, &n.url).is_superset(&expected))
        })
        .is_some(),
        "some node misses a concurrent write: {:?}",
        [&a, &b, &c].map(|n| expected.difference(&api_names(&client, &n.url)).count())
    );
    let mut db = pg.client();
    let audited: i64 = db
        .query_one(
            "SELECT count(*) FROM audit WHERE action = 'CreateRestApi'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(audited, 31, "one audit row per acknowledged create");
}

#[test]
fn a_node_killed_during_admin_changes_loses_no_acknowledged_change() {
    let Some(pg) = Postgres::start() else { return };
    let mut a = Node::start(&pg.url(), "node-a");
    let b = Node::start(&pg.url(), "node-b");
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let writer = {
        let acked = acked.clone();
        let url = a.url.clone();
        std::thread::spawn(move || {
            let client = http();
            for i in 0.. {
                let name = format!("k-{i}");
                let resp = client
                    .post(format!("{url}/restapis"))
                    .header("content-type", "application/json")
                    .body(json!({ "name": name }).to_string())
                    .send();
                match resp {
                    Ok(r) if r.status().as_u16() == 201 => acked.lock().unwrap().push(name),
                    _ => return,
                }
            }
        })
    };
    assert!(
        eventually(Duration::from_secs(30), || acked.lock().unwrap().len()
            >= 20)
        .is_some(),
        "the writer never got going"
    );
    a.kill();
    writer.join().unwrap();
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 20);
    // Durable: every acknowledged create is in PostgreSQL...
    let stored: BTreeSet<String> = pg
        .client()
        .query("SELECT doc FROM rest_apis", &[])
        .unwrap()
        .iter()
        .filter_map(|r| {
            let doc: String = r.get(0);
            serde_json::from_str::<serde_json::Value>(&doc).ok()?["restApi"]["name"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    let missing: Vec<_> = acked.iter().filter(|n| !stored.contains(*n)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not stored: {missing:?}"
    );
    // ...and the surviving node serves them all once its listener has caught up.
    let client = http();
    assert!(
        eventually(Duration::from_secs(2), || {
            let on_b = api_names(&client, &b.url);
            acked.iter().all(|n| on_b.contains(n))
        })
        .is_some(),
        "node B never showed every acknowledged change"
    );
    // And a node started afterwards loads them all.
    let c = Node::start(&pg.url(), "node-c");
    let on_c = api_names(&client, &c.url);
    assert!(acked.iter().all(|n| on_c.contains(n)));
}

#[test]
fn with_postgres_down_admin_writes_are_refused_and_invokes_served_until_it_returns() {
    let Some(mut pg) = Postgres::start() else {
        return;
    };
    let a = Node::start(&pg.url(), "node-a");
    let b = Node::start(&pg.url(), "node-b");
    let client = http();
    let api = mock_api(&client, &a.url, "steady", "still here");
    assert!(
        eventually(Duration::from_secs(2), || invoke(&client, &b.url, &api).0
            == 200)
        .is_some()
    );

    pg.stop_server();
    let started = Instant::now();
    let (status, kind, body) = call(
        &client,
        Method::POST,
        &format!("{}/restapis", a.url),
        Some(json!({ "name": "during the outage" })),
    );
    let refused_in = started.elapsed();
    assert_eq!(status, 503, "{body}");
    assert_eq!(kind.as_deref(), Some("ServiceUnavailableException"));
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(&format!(
            "The definitions store (PostgreSQL at 127.0.0.1:{}) is unreachable",
            pg.port
        )),
        "{message}"
    );
    assert!(
        refused_in < Duration::from_secs(5),
        "refused after {refused_in:?}"
    );
    for node in [&a, &b] {
        assert_eq!(
            invoke(&client, &node.url, &api),
            (200, "still here".to_string())
        );
        let (s, _, _) = call(
            &client,
            Method::GET,
            &format!("{}/restapis/{api}", node.url),
            None,
        );
        assert_eq!(s, 200, "reads keep being served");
    }

    pg.start_server();
    let back = eventually(Duration::from_secs(10), || {
        call(
            &client,
            Method::POST,
            &format!("{}/restapis", a.url),
            Some(json!({ "name": "after the outage" })),
        )
        .0 == 201
    });
    assert!(back.is_some(), "admin writes never worked again");
    assert!(
        eventually(Duration::from_secs(5), || api_names(&client, &b.url)
            .contains("after the outage"))
        .is_some(),
        "B's listener never caught up after the outage"
    );
    assert!(!api_names(&client, &b.url).contains("during the outage"));
}

#[test]
fn cluster_endpoint_lists_the_nodes_with_their_health() {
    let Some(pg) = Postgres::start() else { return };
    let a = Node::start(&pg.url(), "node-a");
    let mut b = Node::start(&pg.url(), "node-b");
    let client = http();
    let nodes = |base: &str| {
        let (s, _, body) = call(&client, Method::GET, &format!("{base}/gwtui/cluster"), None);
        assert_eq!(s, 200, "{body}");
        body
    };
    // Each node's first heartbeat with its URL comes within a second of it listening.
    assert!(
        eventually(Duration::from_secs(3), || nodes(&a.url)["nodes"]
            .as_array()
            .is_some_and(|n| n.len() == 2))
        .is_some(),
        "both nodes listed: {}",
        nodes(&a.url)
    );
    let body = nodes(&a.url);
    assert_eq!(body["nodeId"], "node-a");
    assert_eq!(body["listening"], true);
    let listed: Vec<_> = body["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["nodeId"].as_str().unwrap().to_string(),
                n["health"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            ("node-a".to_string(), "up".to_string()),
            ("node-b".to_string(), "up".to_string())
        ]
    );
    assert_eq!(body["nodes"][1]["url"], b.url.as_str());
    b.kill();
    assert!(
        eventually(
            Duration::from_secs(8),
            || nodes(&a.url)["nodes"][1]["health"] == "stale"
        )
        .is_some(),
        "a killed node turns stale"
    );
    let metrics = client
        .get(format!("{}/metrics", a.url))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(metrics.contains("node=\"node-a\""), "{metrics}");
}

// ---- The store itself: PostgreSQL matches SQLite change for change. ----

fn api(id: &str) -> ApiDefinition {
    ApiDefinition::new(RestApi {
        id: id.into(),
        name: format!("api {id}"),
        ..RestApi::default()
    })
}

fn deployment(id: &str) -> Deployment {
    Deployment {
        id: id.into(),
        description: Some(format!("deployment {id}")),
        created_date: 1,
        ..Deployment::default()
    }
}

fn stage(name: &str, dep: &str) -> Stage {
    Stage {
        stage_name: name.into(),
        deployment_id: dep.into(),
        ..Stage::default()
    }
}

fn audit(action: &str) -> AuditRecord {
    AuditRecord::new("test", action, "restapis/x", json!({ "action": action }))
}

/// Batches that exercise every kind of change, each committed on its own.
fn batches() -> Vec<Vec<Change>> {
    let a = api("a1");
    let key = |id: &str| ApiKey {
        id: id.into(),
        name: id.into(),
        value: Some(format!("{id}-value-0123456789012345678901234567890")),
        enabled: true,
        ..ApiKey::default()
    };
    let v2 = gwtui::model::v2::HttpApiDefinition {
        api: gwtui::model::v2::Api {
            api_id: "h1".into(),
            name: "http".into(),
            protocol_type: "HTTP".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    vec![
        vec![
            Change::PutApi(Box::new(a.clone())),
            Change::PutApi(Box::new(api("a2"))),
            Change::PutDeployment {
                api_id: "a1".into(),
                deployment: deployment("d1"),
                snapshot: Box::new(a.clone()),
            },
            Change::PutDeployment {
                api_id: "a1".into(),
                deployment: deployment("d2"),
                snapshot: Box::new(a.clone()),
            },
            Change::PutStage {
                api_id: "a1".into(),
                stage: Box::new(stage("prod", "d1")),
            },
            Change::PutStage {
                api_id: "a1".into(),
                stage: Box::new(stage("dev", "d2")),
            },
        ],
        vec![
            Change::PutUsagePlan(Box::new(UsagePlan {
                id: "p1".into(),
                name: "gold".into(),
                ..UsagePlan::default()
            })),
            Change::PutApiKey(Box::new(key("k1"))),
            Change::PutApiKey(Box::new(key("k2"))),
            Change::PutUsagePlanKey {
                usage_plan_id: "p1".into(),
                key_id: "k1".into(),
            },
            Change::PutUsagePlanKey {
                usage_plan_id: "p1".into(),
                key_id: "k2".into(),
            },
            Change::PutUsagePlanKey {
                usage_plan_id: "p1".into(),
                key_id: "k2".into(),
            },
            Change::PutUsageGrant {
                usage_plan_id: "p1".into(),
                key_id: "k1".into(),
                period_start: "2026-12-01".into(),
                granted: 5,
            },
            Change::PutAccount(Box::new(AccountSettings {
                throttle_rate_limit: Some(2.5),
                ..AccountSettings::default()
            })),
            Change::PutVpcLink(Box::new(VpcLink {
                id: "vl1".into(),
                name: "one".into(),
                ..VpcLink::default()
            })),
            Change::PutVpcLink(Box::new(VpcLink {
                id: "vl2".into(),
                name: "two".into(),
                ..VpcLink::default()
            })),
            Change::PutFunction {
                name: "f1".into(),
                doc: "{\"endpoint\":\"http://127.0.0.1:1\"}".into(),
            },
        ],
        vec![
            Change::V2(V2Change::PutApi(Box::new(v2.clone()))),
            Change::V2(V2Change::PutDeployment {
                api_id: "h1".into(),
                deployment: gwtui::model::v2::Deployment {
                    deployment_id: "hd1".into(),
                    ..Default::default()
                },
                snapshot: Box::new(v2.clone()),
            }),
            Change::V2(V2Change::PutStage {
                api_id: "h1".into(),
                stage: Box::new(gwtui::model::v2::Stage {
                    stage_name: "$default".into(),
                    ..Default::default()
                }),
            }),
        ],
        vec![
            Change::UpdateDeployment {
                api_id: "a1".into(),
                deployment: Deployment {
                    description: Some("renamed".into()),
                    ..deployment("d1")
                },
            },
            Change::DeleteStage {
                api_id: "a1".into(),
                stage_name: "dev".into(),
            },
            Change::DeleteDeployment {
                api_id: "a1".into(),
                deployment_id: "d2".into(),
            },
            Change::DeleteUsagePlanKey {
                usage_plan_id: "p1".into(),
                key_id: "k2".into(),
            },
            Change::DeleteApiKey("k2".into()),
            Change::DeleteVpcLink("vl1".into()),
            Change::DeleteApi("a2".into()),
            Change::DeleteFunction("f1".into()),
            Change::PutApi(Box::new(ApiDefinition::new(RestApi {
                id: "a1".into(),
                name: "renamed".into(),
                ..RestApi::default()
            }))),
        ],
    ]
}

/// Changes that must fail as a conflict on both backends, leaving nothing behind.
fn conflicts() -> Vec<Change> {
    vec![
        Change::PutDeployment {
            api_id: "a1".into(),
            deployment: deployment("d1"),
            snapshot: Box::new(api("a1")),
        },
        Change::PutDeployment {
            api_id: "nope".into(),
            deployment: deployment("d9"),
            snapshot: Box::new(api("nope")),
        },
        Change::PutStage {
            api_id: "nope".into(),
            stage: Box::new(stage("s", "d")),
        },
        Change::DeleteApi("nope".into()),
        Change::DeleteStage {
            api_id: "a1".into(),
            stage_name: "nope".into(),
        },
        Change::UpdateDeployment {
            api_id: "a1".into(),
            deployment: deployment("nope"),
        },
        Change::PutUsagePlanKey {
            usage_plan_id: "p1".into(),
            key_id: "nope".into(),
        },
        Change::V2(V2Change::DeleteApi("nope".into())),
    ]
}

fn run(store: &mut Store, batches: &[Vec<Change>]) -> (StoreState, Vec<String>) {
    for (i, batch) in batches.iter().enumerate() {
        store
            .commit(batch, &audit(&format!("batch{i}")))
            .unwrap_or_else(|e| panic!("batch {i}: {e}"));
    }
    let mut outcomes = Vec::new();
    for change in conflicts() {
        let before = store.load().unwrap();
        match store.commit(std::slice::from_ref(&change), &audit("conflict")) {
            Err(StoreError::Conflict(_)) => outcomes.push("conflict".to_string()),
            other => outcomes.push(format!("{change:?}: {other:?}")),
        }
        assert_eq!(
            store.load().unwrap(),
            before,
            "a refused change leaves nothing"
        );
    }
    (store.load().unwrap(), outcomes)
}

#[test]
fn the_postgres_store_matches_sqlite_change_for_change() {
    let Some(pg) = Postgres::start() else { return };
    let location = StoreLocation::parse(Some(&pg.url())).unwrap();
    let lite_dir = tempfile::tempdir().unwrap();
    let mut lite = Store::open(lite_dir.path()).unwrap();
    let pg_dir = tempfile::tempdir().unwrap();
    let mut pgs = Store::open_at(pg_dir.path(), &location, "n1").unwrap();
    assert_eq!(
        pgs.schema_version().unwrap(),
        lite.schema_version().unwrap()
    );
    // The same batches (ids inside definitions are random) on both.
    let batches = batches();
    let (lite_state, lite_outcomes) = run(&mut lite, &batches);
    let (pg_state, pg_outcomes) = run(&mut pgs, &batches);
    assert!(
        lite_outcomes.iter().all(|o| o == "conflict"),
        "{lite_outcomes:?}"
    );
    assert_eq!(pg_outcomes, lite_outcomes);
    assert_eq!(pg_state, lite_state);
    assert_eq!(
        pgs.audit(100, None)
            .unwrap()
            .iter()
            .map(|r| r.action.clone())
            .collect::<Vec<_>>(),
        lite.audit(100, None)
            .unwrap()
            .iter()
            .map(|r| r.action.clone())
            .collect::<Vec<_>>()
    );

    // Usage is additive across nodes: a second store (another node) adds, never overwrites.
    let other_dir = tempfile::tempdir().unwrap();
    let mut other = Store::open_at(other_dir.path(), &location, "n2").unwrap();
    let row = |n| {
        vec![(
            "p1".to_string(),
            "k1".to_string(),
            "2026-12-07".to_string(),
            n,
        )]
    };
    pgs.add_usage_batch(&row(3)).unwrap();
    other.add_usage_batch(&row(4)).unwrap();
    assert_eq!(
        pgs.reader()
            .unwrap()
            .usage("p1", Some("k1"), "2026-12-01", "2026-12-31")
            .unwrap(),
        vec![("k1".to_string(), "2026-12-07".to_string(), 7)]
    );
    assert_eq!(
        pgs.usage_grants("p1", None).unwrap(),
        vec![("k1".to_string(), "2026-12-01".to_string(), 5)]
    );

    // Snapshots are immutable and the audit log append-only, by trigger.
    let mut db = pg.client();
    for sql in [
        "UPDATE deployments SET snapshot = '{}' WHERE id = 'd1'",
        "UPDATE http_api_deployments SET snapshot = '{}'",
        "UPDATE audit SET actor = 'x'",
        "DELETE FROM audit",
        "TRUNCATE audit",
    ] {
        assert!(db.batch_execute(sql).is_err(), "{sql} must be refused");
    }
    db.batch_execute("UPDATE deployments SET doc = doc WHERE id = 'd1'")
        .expect("a deployment's record may change");
    let versions: Vec<i64> = db
        .query("SELECT version FROM schema_version ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        versions,
        (1..=lite.schema_version().unwrap()).collect::<Vec<_>>()
    );
}

#[test]
fn an_unreachable_store_is_refused_promptly_with_its_address() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://gwtui:secret@127.0.0.1:{port}/defs");
    let location = StoreLocation::parse(Some(&url)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        location.describe(dir.path()),
        format!("postgres 127.0.0.1:{port}/defs")
    );
    let started = Instant::now();
    let err = Store::open_at(dir.path(), &location, "n1").unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "The definitions store (PostgreSQL at 127.0.0.1:{port}) is unreachable"
        )),
        "{text}"
    );
    assert!(!text.contains("secret"));
    assert!(matches!(
        StoreLocation::parse(Some("mysql://x")),
        Err(StoreError::Config(_))
    ));
}
