//! APIs: id, name, description, endpoint URL, last deployment.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Table, TableState};

use super::{empty, hit, offset_for, pane};
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::tui::view::ViewKind;

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let rows = app.api_rows();
    let block = pane(t, format!(" APIs [{}] ", rows.len()), true);
    if rows.is_empty() {
        let inner = block.inner(area);
        f.render_widget(block, area);
        empty(
            f,
            t,
            inner,
            "No APIs. Press i to import an OpenAPI file, or create one through the management API.",
        );
        return;
    }
    let sel = app.cursor(ViewKind::Apis, 0).min(rows.len() - 1);
    let height = usize::from(area.height.saturating_sub(3));
    let offset = offset_for(sel, height, rows.len());
    let wide = area.width >= 120;
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|&i| {
            let a = &app.apis[i];
            let r = &a.definition.rest_api;
            let last = a
                .last_deployment
                .as_ref()
                .map(|d| format!("{} {}", d.id, super::deployments::when(d.created_date)))
                .unwrap_or_else(|| "never".into());
            let marker = if app.api_id.as_deref() == Some(r.id.as_str()) {
                "●"
            } else {
                " "
            };
            let mut cells = vec![
                Cell::from(format!("{marker}{}", r.id)),
                Cell::from(r.name.clone()),
            ];
            if wide {
                cells.push(Cell::from(r.description.clone().unwrap_or_default()));
            }
            cells.push(Cell::from(a.endpoint_url.clone()));
            cells.push(Cell::from(last));
            Row::new(cells)
        })
        .collect();
    let (widths, header) = if wide {
        (
            vec![
                Constraint::Length(12),
                Constraint::Length(18),
                Constraint::Percentage(25),
                Constraint::Min(20),
                Constraint::Length(23),
            ],
            vec!["ID", "NAME", "DESCRIPTION", "ENDPOINT", "LAST DEPLOYMENT"],
        )
    } else {
        (
            vec![
                Constraint::Length(12),
                Constraint::Length(14),
                Constraint::Min(10),
                Constraint::Length(23),
            ],
            vec!["ID", "NAME", "ENDPOINT", "LAST DEPLOYMENT"],
        )
    };
    let table = Table::new(table_rows, widths)
        .header(Row::new(header).style(t.get(Role::TableHeader)))
        .row_highlight_style(t.get(Role::TableSelected))
        .block(block);
    let mut state = TableState::default()
        .with_offset(offset)
        .with_selected(Some(sel));
    f.render_stateful_widget(table, area, &mut state);
    hit(app, area, 0, 2, offset, false);
}
