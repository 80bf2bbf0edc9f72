//! `0` (or `:nodes`): the cluster's nodes with their health, loaded through the backend.

use super::{Harness, screen};
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
