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
            Row::new(vec![
                Cell::from(format!("{marker}{}", r.id)),
                Cell::from(r.name.clone()),
                Cell::from(r.description.clone().unwrap_or_default()),
                Cell::from(a.endpoint_url.clone()),
                Cell::from(last),
            ])
        })
        .collect();
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(12),
            Constraint::Percentage(18),
            Constraint::Percentage(25),
            Constraint::Percentage(35),
            Constraint::Min(14),
        ],
    )
    .header(
        Row::new(["ID", "NAME", "DESCRIPTION", "ENDPOINT", "LAST DEPLOYMENT"])
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
