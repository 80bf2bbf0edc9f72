//! Cluster mode's incremental reload (docs/CLUSTER.md, "Change propagation"): a node catches
//! up by reading, from the store, the scopes of the commits after its position and reloading
//! only those APIs and, when touched, the account-level tables. Changes to an API, a deletion,
//! a usage-plan change, a new API and a new deployment through node A all appear on node C; a
//! node whose listener connection was killed (so it missed the notices) catches up fully once
//! it reconnects, and a node started later loads everything.
//!
//! Outside CI these tests skip (with a `SKIPPED:` line) when PostgreSQL is not installed; with
//! `CI` set they fail instead.

mod cluster_support;
#[path = "common/mod.rs"]
mod common;

use std::time::Duration;

use cluster_support::postgres::Postgres;
use cluster_support::{Node, call, eventually, http, invoke, mock_api};
use reqwest::Method;
use serde_json::{Value, json};

type Client = reqwest::blocking::Client;

fn ok(c: &Client, method: Method, url: &str, body: Option<Value>) -> Value {
    let (status, kind, body) = call(c, method, url, body);
    assert!(
        (200..300).contains(&status),
        "{url}: {status} {kind:?} {body}"
    );
    body
}

/// Changes API `api`'s MOCK answer to `text` and deploys it to `prod` (a new deployment).
fn redeploy(c: &Client, base: &str, api: &str, text: &str) {
    let resources = ok(
        c,
        Method::GET,
        &format!("{base}/restapis/{api}/resources"),
        None,
    );
    let root = resources["item"]
        .as_array()
        .and_then(|items| items.iter().find(|r| r["path"] == "/"))
        .and_then(|r| r["id"].as_str())
        .expect("root resource")
        .to_string();
    ok(
        c,
        Method::PUT,
        &format!("{base}/restapis/{api}/resources/{root}/methods/GET/integration/responses/200"),
        Some(json!({ "responseTemplates": { "application/json": text } })),
    );
    ok(
        c,
        Method::POST,
        &format!("{base}/restapis/{api}/deployments"),
        Some(json!({ "stageName": "prod" })),
    );
}

/// The state a set of changes through A leaves: `(x, y, z, plan)`.
struct Changed {
    x: String,
    y: String,
    z: String,
    plan: String,
}

/// API X and Y deployed and a usage plan, through `a`; `others` serve them all first.
fn before(c: &Client, a: &Node, others: &[&Node]) -> Changed {
    let x = mock_api(c, &a.url, "x", "x v1");
    let y = mock_api(c, &a.url, "y", "y v1");
    let plan = ok(
        c,
        Method::POST,
        &format!("{}/usageplans", a.url),
        Some(json!({ "name": "plan", "description": "first" })),
    )["id"]
        .as_str()
        .expect("plan id")
        .to_string();
    for node in others {
        assert!(
            eventually(Duration::from_secs(5), || {
                invoke(c, &node.url, &x) == (200, "x v1".to_string())
                    && invoke(c, &node.url, &y) == (200, "y v1".to_string())
                    && plan_description(c, &node.url, &plan).as_deref() == Some("first")
            })
            .is_some(),
            "{} never served the first state",
            node.node_id
        );
    }
    Changed {
        x,
        y,
        z: String::new(),
        plan,
    }
}

/// Through `a`: X changed and redeployed, Y deleted, the plan's description changed, a new
/// API Z deployed.
fn change(c: &Client, a: &Node, state: &mut Changed) {
    redeploy(c, &a.url, &state.x, "x v2");
    let (status, kind, body) = call(
        c,
        Method::DELETE,
        &format!("{}/restapis/{}", a.url, state.y),
        None,
    );
    assert_eq!(status, 202, "{kind:?} {body}");
    ok(
        c,
        Method::PATCH,
        &format!("{}/usageplans/{}", a.url, state.plan),
        Some(
            json!({ "patchOperations": [{ "op": "replace", "path": "/description", "value": "second" }] }),
        ),
    );
    state.z = mock_api(c, &a.url, "z", "z v1");
}

fn plan_description(c: &Client, base: &str, plan: &str) -> Option<String> {
    let (status, _, body) = call(c, Method::GET, &format!("{base}/usageplans/{plan}"), None);
    (status == 200).then(|| body["description"].as_str().unwrap_or_default().to_string())
}

/// Whether `node` shows every change of [`change`].
fn shows_the_changes(c: &Client, node: &Node, s: &Changed) -> bool {
    let (y_status, _, _) = call(
        c,
        Method::GET,
        &format!("{}/restapis/{}", node.url, s.y),
        None,
    );
    invoke(c, &node.url, &s.x) == (200, "x v2".to_string())
        && invoke(c, &node.url, &s.z) == (200, "z v1".to_string())
        && y_status == 404
        && invoke(c, &node.url, &s.y).0 != 200
        && plan_description(c, &node.url, &s.plan).as_deref() == Some("second")
}

fn explain(c: &Client, node: &Node, s: &Changed) -> String {
    format!(
        "{}: x {:?}, z {:?}, y {:?}, plan {:?}",
        node.node_id,
        invoke(c, &node.url, &s.x),
        invoke(c, &node.url, &s.z),
        invoke(c, &node.url, &s.y),
        plan_description(c, &node.url, &s.plan)
    )
}

#[test]
fn api_changes_a_deletion_a_usage_plan_change_and_new_deployments_through_a_appear_on_c() {
    let Some(pg) = Postgres::start() else { return };
    let a = Node::start(&pg.url(), "node-a");
    let c_node = Node::start(&pg.url(), "node-c");
    let client = http();
    let mut state = before(&client, &a, &[&c_node]);
    change(&client, &a, &mut state);
    let took = eventually(Duration::from_secs(5), || {
        shows_the_changes(&client, &c_node, &state)
    });
    let took = took.unwrap_or_else(|| panic!("{}", explain(&client, &c_node, &state)));
    assert!(
        took < Duration::from_secs(1),
        "C showed the changes {took:?} after A acknowledged the last"
    );
    // Every commit recorded what it touched: the incremental path had what it needs.
    let mut db = pg.client();
    let unscoped: i64 = db
        .query_one(
            "SELECT count(*) FROM audit a
             WHERE NOT EXISTS (SELECT 1 FROM change_scopes s WHERE s.seq = a.seq)",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(unscoped, 0, "every audit row has its scopes");
    let y_scope: i64 = db
        .query_one(
            "SELECT count(*) FROM change_scopes WHERE scope = $1",
            &[&format!("rest:{}", state.y)],
        )
        .unwrap()
        .get(0);
    assert!(y_scope >= 2, "Y's creation and deletion name it");
}

#[test]
fn a_node_that_missed_notices_or_started_later_catches_up_fully() {
    let Some(pg) = Postgres::start() else { return };
    let a = Node::start(&pg.url(), "node-a");
    let c_node = Node::start(&pg.url(), "node-c");
    let client = http();
    let mut state = before(&client, &a, &[&c_node]);

    // Kill every listener connection (the only sessions that LISTEN or beat), wait until C
    // says it is not listening, and change things through A while it is away: PostgreSQL
    // does not replay the notices it missed.
    let mut db = pg.client();
    let killed: i64 = db
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE pid <> pg_backend_pid()
               AND (query LIKE 'LISTEN%' OR query LIKE '%cluster_nodes%')) t",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(killed >= 1, "no listener connection found");
    let listening = |node: &Node| {
        let (s, _, body) = call(
            &client,
            Method::GET,
            &format!("{}/gwtui/cluster", node.url),
            None,
        );
        s == 200 && body["listening"] == true
    };
    assert!(
        eventually(Duration::from_secs(5), || !listening(&c_node)).is_some(),
        "C never noticed its listener was gone"
    );
    change(&client, &a, &mut state);
    let took = eventually(Duration::from_secs(10), || {
        shows_the_changes(&client, &c_node, &state)
    });
    assert!(took.is_some(), "{}", explain(&client, &c_node, &state));
    assert!(listening(&c_node), "C listens again");

    // A node started after all of it loads everything.
    let d = Node::start(&pg.url(), "node-d");
    assert!(
        shows_the_changes(&client, &d, &state),
        "{}",
        explain(&client, &d, &state)
    );
}

#[test]
fn commits_without_scope_rows_fall_back_to_the_full_reload_and_lose_nothing() {
    let Some(pg) = Postgres::start() else { return };
    let a = Node::start(&pg.url(), "node-a");
    let c_node = Node::start(&pg.url(), "node-c");
    let client = http();
    let mut state = before(&client, &a, &[&c_node]);
    // An audit row with no scope rows, as a gwtui without `change_scopes` writes: no node can
    // tell what it changed, so the next catch-up over it reloads everything.
    let mut db = pg.client();
    db.execute(
        "INSERT INTO audit (at_millis, actor, action, target, detail)
         VALUES (0, 'older-gwtui', 'UpdateAccount', 'account', '{}')",
        &[],
    )
    .unwrap();
    change(&client, &a, &mut state);
    let took = eventually(Duration::from_secs(5), || {
        shows_the_changes(&client, &c_node, &state)
    });
    assert!(took.is_some(), "{}", explain(&client, &c_node, &state));
    assert!(
        shows_the_changes(&client, &a, &state),
        "{}",
        explain(&client, &a, &state)
    );
}
