//! `0` (or `:nodes`): the cluster's nodes with their health, loaded through the backend.

use super::{Harness, screen};
use crate::engine::MetricsScope;
use crate::engine::{ClusterNode, ClusterView};
use crate::tui::effect::Effect;
use crate::tui::msg::{DataUpdate, Msg};
use crate::tui::view::ViewKind;

fn node(id: &str, age_ms: i64, health: &str, this_node: bool) -> ClusterNode {
    ClusterNode {
        node_id: id.into(),
        url: format!("http://127.0.0.1:46{}", id.len()),
        version: "0.1.0".into(),
        started_ms: 1,
        last_seen_ms: 2,
        age_ms,
        health: health.into(),
        this_node,
    }
}

#[test]
fn the_nodes_view_lists_each_node_with_its_health() {
    let mut h = Harness::new();
    assert_eq!(h.press("0"), [Effect::LoadNodes]);
    assert_eq!(h.app.view(), ViewKind::Nodes);
    assert!(screen(&h.render(100, 24)).contains("Loading the cluster's nodes"));

    h.app.update(Msg::Data(DataUpdate::Nodes(ClusterView {
        node_id: Some("node-a".into()),
        store: "postgres 127.0.0.1:5432/gwtui".into(),
        listening: true,
        nodes: vec![
            node("node-a", 400, "up", true),
            node("node-b", 5_000, "stale", false),
            node("node-c", 600_000, "down", false),
        ],
    })));
    let text = screen(&h.render(110, 24));
    assert!(
        text.contains("nodes [3] · store postgres 127.0.0.1:5432/gwtui"),
        "{text}"
    );
    for row in [
        ["node-a (this)", "up", "0.4s"],
        ["node-b", "stale", "5.0s"],
        ["node-c", "down", "10m"],
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("{} ", row[0])))
            .unwrap_or_else(|| panic!("no row for {}:\n{text}", row[0]));
        assert!(line.contains(row[1]) && line.contains(row[2]), "{line}");
    }
    // Ctrl-R reloads them.
    assert!(h.press("ctrl-r").contains(&Effect::LoadNodes));
}

#[test]
fn a_single_node_says_there_is_no_cluster() {
    let mut h = Harness::new();
    let effects = h.command("nodes");
    h.settle(effects);
    assert_eq!(h.app.view(), ViewKind::Nodes);
    let text = screen(&h.render(120, 24));
    assert!(
        text.contains("Single node (SQLite store): no cluster"),
        "{text}"
    );
}

/// The fake cluster: this node, a second one up and a third that no longer answers.
fn three_nodes() -> ClusterView {
    ClusterView {
        node_id: Some("node-a".into()),
        store: "postgres 127.0.0.1:5432/gwtui".into(),
        listening: true,
        nodes: vec![
            node("node-a", 400, "up", true),
            node("node-b", 800, "up", false),
            node("node-c", 12_000, "down", false),
        ],
    }
}

fn requests(h: &Harness) -> u64 {
    h.app
        .metrics
        .series
        .iter()
        .flat_map(|s| &s.buckets)
        .map(|b| b.count)
        .sum()
}

#[test]
fn the_dashboard_of_a_cluster_shows_every_node_merged_and_one_node_on_n() {
    let mut h = Harness::new();
    if let Ok(mut s) = h.backend.state.lock() {
        s.cluster = three_nodes();
    }
    let effects = h.press("6");
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::LoadMetrics {
                scope: MetricsScope::Cluster,
                ..
            }
        )),
        "{effects:?}"
    );
    h.settle(effects);
    let merged = requests(&h);
    assert!(merged > 0);
    let text = screen(&h.render(160, 48));
    assert!(
        text.contains("nodes 2 of 3 · node-c: no answer within 1000 ms"),
        "{text}"
    );
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(
            "dashboard_cluster_160x48",
            super::snapshots::scrub(&text)
        );
    });

    // `n`: node-a alone (half the merged traffic: the fake's two answering nodes serve the
    // same sample), then node-b, then node-c (which does not answer), then the cluster again.
    let e = h.press("n");
    assert!(
        e.iter().any(|e| matches!(
            e,
            Effect::LoadMetrics { scope: MetricsScope::Node(id), .. } if id == "node-a"
        )),
        "{e:?}"
    );
    h.settle(e);
    assert_eq!(requests(&h) * 2, merged);
    assert!(screen(&h.render(160, 48)).contains("node node-a"));
    let e = h.press("n");
    h.settle(e);
    assert!(screen(&h.render(160, 48)).contains("node node-b"));
    let e = h.press("n");
    h.settle(e);
    let text = screen(&h.render(160, 48));
    assert!(
        text.contains("node node-c · no answer within 1000 ms"),
        "{text}"
    );
    assert_eq!(requests(&h), 0);
    let e = h.press("n");
    h.settle(e);
    assert_eq!(requests(&h), merged);
    assert!(screen(&h.render(160, 48)).contains("nodes 2 of 3"));
}

#[test]
fn n_on_a_single_node_says_there_is_no_cluster() {
    let mut h = Harness::new();
    let e = h.press("6");
    h.settle(e);
    assert!(h.press("n").is_empty());
    let text = screen(&h.render(160, 48));
    assert!(text.contains("no cluster to choose a node from"), "{text}");
    assert!(!text.contains("nodes "), "{text}");
}
