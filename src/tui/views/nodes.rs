//! Cluster mode: the nodes sharing the definitions store, each with its health (from its last
//! heartbeat's age), URL and version. Ctrl-R reloads.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Table};

use super::{empty, pane};
use crate::tui::app::App;
use crate::tui::theme::Role;

/// `1.2s`, `45s`, `3m`, `2h` for a heartbeat's age.
pub fn age(ms: i64) -> String {
    match ms {
        ms if ms < 10_000 => format!("{:.1}s", ms as f64 / 1000.0),
        ms if ms < 120_000 => format!("{}s", ms / 1000),
        ms if ms < 7_200_000 => format!("{}m", ms / 60_000),
        ms => format!("{}h", ms / 3_600_000),
    }
}

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let Some(view) = &app.nodes else {
        let block = pane(t, " nodes ", true);
        let inner = block.inner(area);
        f.render_widget(block, area);
        empty(f, t, inner, "Loading the cluster's nodes…");
        return;
    };
    let title = format!(" nodes [{}] · store {} ", view.nodes.len(), view.store);
    let block = pane(t, title, true);
    if view.nodes.is_empty() {
        let inner = block.inner(area);
        f.render_widget(block, area);
        empty(
            f,
            t,
            inner,
            "Single node (SQLite store): no cluster. Set [store] url to a PostgreSQL database to run several nodes.",
        );
        return;
    }
    let rows: Vec<Row> = view
        .nodes
        .iter()
        .map(|n| {
            let role = match n.health.as_str() {
                "up" => Role::FlashInfo,
                "stale" => Role::FlashWarn,
                _ => Role::FlashError,
            };
            let id = if n.this_node {
                format!("{} (this)", n.node_id)
            } else {
                n.node_id.clone()
            };
            Row::new(vec![
                Cell::from(id),
                Cell::from(n.health.clone()).style(t.get(role)),
                Cell::from(age(n.age_ms)),
                Cell::from(n.url.clone()),
                Cell::from(n.version.clone()),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Percentage(25),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Percentage(45),
            Constraint::Length(10),
        ],
    )
    .header(
        Row::new(vec!["node", "health", "seen", "url", "version"]).style(t.get(Role::TableHeader)),
    )
    .block(block);
    f.render_widget(table, area);
}
