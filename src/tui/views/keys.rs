//! Usage plans and API keys, with usage against quota.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Cell, Row, Table, TableState};

use super::{empty, hit, offset_for, pane};
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::tui::view::ViewKind;

/// `▇▇▇░░░ 50%` for used/limit in `width` cells.
pub fn bar(used: u64, limit: Option<u64>, width: usize) -> String {
    match limit {
        Some(l) if l > 0 => {
            let frac = (used as f64 / l as f64).clamp(0.0, 1.0);
            let full = (frac * width as f64).round() as usize;
            format!(
                "{}{} {used}/{l}",
                "▇".repeat(full),
                "░".repeat(width - full)
            )
        }
        _ => format!("{used} (no quota)"),
    }
}

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let focus = app.focus_of(ViewKind::Keys);
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
    let plans = app.plan_rows();
    let block = pane(t, format!(" usage plans [{}] ", plans.len()), focus == 0);
    if plans.is_empty() {
        let inner = block.inner(top);
        f.render_widget(block, top);
        empty(f, t, inner, "No usage plans. C creates one.");
    } else {
        let sel = app.cursor(ViewKind::Keys, 0).min(plans.len() - 1);
        let offset = offset_for(sel, usize::from(top.height.saturating_sub(3)), plans.len());
        let rows: Vec<Row> = plans
            .iter()
            .map(|&i| {
                let p = &app.usage.plans[i];
                let throttle = p
                    .throttle
                    .as_ref()
                    .map(|th| {
                        format!(
                            "{}/{}",
                            th.rate_limit.unwrap_or(0.0),
                            th.burst_limit.unwrap_or(0)
                        )
                    })
                    .unwrap_or_else(|| "-".into());
                let quota = p
                    .quota
                    .as_ref()
                    .map(|q| format!("{}/{:?}", q.limit, q.period))
                    .unwrap_or_else(|| "-".into());
                let stages: Vec<String> = p
                    .api_stages
                    .iter()
                    .map(|s| format!("{}:{}", s.api_id, s.stage))
                    .collect();
                Row::new(vec![
                    Cell::from(p.id.clone()),
                    Cell::from(p.name.clone()),
                    Cell::from(throttle),
                    Cell::from(quota),
                    Cell::from(stages.join(", ")),
                ])
            })
            .collect();
        let table = Table::new(
            rows,
            [
                Constraint::Length(10),
                Constraint::Percentage(25),
                Constraint::Length(12),
                Constraint::Length(12),
                Constraint::Min(10),
            ],
        )
        .header(
            Row::new(["ID", "NAME", "RATE/BURST", "QUOTA", "STAGES"])
                .style(t.get(Role::TableHeader)),
        )
        .row_highlight_style(if focus == 0 {
            t.get(Role::TableSelected)
        } else {
            t.get(Role::Body)
        })
        .block(block);
        let mut state = TableState::default()
            .with_offset(offset)
            .with_selected(Some(sel));
        f.render_stateful_widget(table, top, &mut state);
        hit(app, top, 0, 2, offset, false);
    }
    let keys = app.key_rows();
    let block = pane(t, format!(" API keys [{}] ", keys.len()), focus == 1);
    if keys.is_empty() {
        let inner = block.inner(bottom);
        f.render_widget(block, bottom);
        empty(f, t, inner, "No API keys. c creates one.");
        return;
    }
    let sel = app.cursor(ViewKind::Keys, 1).min(keys.len() - 1);
    let offset = offset_for(
        sel,
        usize::from(bottom.height.saturating_sub(3)),
        keys.len(),
    );
    let rows: Vec<Row> = keys
        .iter()
        .map(|&i| {
            let k = &app.usage.keys[i];
            let usages: Vec<String> = app
                .usage
                .usage
                .iter()
                .filter(|u| u.key_id == k.id)
                .map(|u| format!("{} {}", u.usage_plan_id, bar(u.used, u.limit, 10)))
                .collect();
            let row = Row::new(vec![
                Cell::from(k.id.clone()),
                Cell::from(k.name.clone()),
                Cell::from(if k.enabled { "enabled" } else { "disabled" }),
                Cell::from(if usages.is_empty() {
                    "not in a plan".to_string()
                } else {
                    usages.join("; ")
                }),
            ]);
            if k.enabled {
                row
            } else {
                row.style(t.get(Role::Dim))
            }
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(12),
            Constraint::Percentage(25),
            Constraint::Length(9),
            Constraint::Min(20),
        ],
    )
    .header(Row::new(["ID", "NAME", "STATE", "USAGE / QUOTA"]).style(t.get(Role::TableHeader)))
    .row_highlight_style(if focus == 1 {
        t.get(Role::TableSelected)
    } else {
        t.get(Role::Body)
    })
    .block(block);
    let mut state = TableState::default()
        .with_offset(offset)
        .with_selected(Some(sel));
    f.render_stateful_widget(table, bottom, &mut state);
    hit(app, bottom, 1, 2, offset, false);
}
