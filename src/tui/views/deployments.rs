//! Deployments of the selected API, newest first; `space` marks two for a diff.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Table, TableState};

use super::{empty, hit, offset_for, pane};
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::tui::view::ViewKind;

/// `YYYY-MM-DD HH:MM` (UTC) for an epoch-seconds timestamp.
pub fn when(epoch: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(epoch) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
        Err(_) => "-".into(),
    }
}

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let rows = app.deployment_rows();
    let block = pane(t, format!(" deployments [{}] ", rows.len()), true);
    if rows.is_empty() {
        let inner = block.inner(area);
        f.render_widget(block, area);
        empty(
            f,
            t,
            inner,
            "No deployments. D deploys the working definition to the selected stage.",
        );
        return;
    }
    let sel = app.cursor(ViewKind::Deployments, 0).min(rows.len() - 1);
    let offset = offset_for(sel, usize::from(area.height.saturating_sub(3)), rows.len());
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|&i| {
            let d = &app.deployments[i];
            let stages: Vec<String> = app
                .stages
                .iter()
                .filter_map(|s| {
                    if s.deployment_id == d.id {
                        Some(s.stage_name.clone())
                    } else if s
                        .canary_settings
                        .as_ref()
                        .and_then(|c| c.deployment_id.as_deref())
                        == Some(d.id.as_str())
                    {
                        Some(format!("{} (canary)", s.stage_name))
                    } else {
                        None
                    }
                })
                .collect();
            let mark = match app.marked.iter().position(|m| *m == d.id) {
                Some(0) => "A",
                Some(_) => "B",
                None => " ",
            };
            let row = Row::new(vec![
                Cell::from(mark),
                Cell::from(d.id.clone()),
                Cell::from(when(d.created_date)),
                Cell::from(stages.join(", ")),
                Cell::from(d.description.clone().unwrap_or_default()),
            ]);
            if mark != " " {
                row.style(t.get(Role::TableMarked))
            } else {
                row
            }
        })
        .collect();
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(1),
            Constraint::Length(10),
            Constraint::Length(16),
            Constraint::Percentage(30),
            Constraint::Min(10),
        ],
    )
    .header(
        Row::new(["", "ID", "CREATED (UTC)", "STAGES", "DESCRIPTION"])
            .style(t.get(Role::TableHeader)),
    )
    .row_highlight_style(t.get(Role::TableSelected))
    .block(block);
    let mut state = TableState::default()
        .with_offset(offset)
        .with_selected(Some(sel));
    f.render_stateful_widget(table, area, &mut state);
    hit(app, area, 0, 2, offset, false);
}
