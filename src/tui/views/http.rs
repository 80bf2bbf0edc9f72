//! HTTP APIs (v2): the APIs, then the selected one's routes (route key → integration, auth,
//! throttling per stage) and stages (auto-deploy, deployment, last deployment status).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Cell, Row, Table, TableState};

use super::{clip, empty, hit, offset_for, pane};
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::tui::view::ViewKind;

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let rows = app.http_rows();
    if rows.is_empty() {
        let block = pane(t, " HTTP APIs [0] ", true);
        let inner = block.inner(area);
        f.render_widget(block, area);
        empty(
            f,
            t,
            inner,
            "No HTTP APIs. Create one with `aws apigatewayv2 create-api --protocol-type HTTP … --endpoint-url` against this listener.",
        );
        return;
    }
    let list_height = (rows.len() as u16 + 3).min(area.height / 3).max(4);
    let [top, routes_area, stages_area] = Layout::vertical([
        Constraint::Length(list_height),
        Constraint::Min(4),
        Constraint::Length(6),
    ])
    .areas(area);
    let sel = app.cursor(ViewKind::Http, 0).min(rows.len() - 1);
    let height = usize::from(top.height.saturating_sub(3));
    let offset = offset_for(sel, height, rows.len());
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|&i| {
            let a = &app.http_apis[i];
            Row::new(vec![
                Cell::from(a.api_id.clone()),
                Cell::from("HTTP"),
                Cell::from(a.name.clone()),
                Cell::from(a.endpoint_url.clone()),
                Cell::from(format!("{} routes", a.routes.len())),
                Cell::from(if a.cors { "CORS" } else { "" }),
            ])
        })
        .collect();
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(12),
            Constraint::Length(5),
            Constraint::Length(18),
            Constraint::Min(20),
            Constraint::Length(10),
            Constraint::Length(5),
        ],
    )
    .header(
        Row::new(vec!["ID", "TYPE", "NAME", "ENDPOINT", "ROUTES", ""])
            .style(t.get(Role::TableHeader)),
    )
    .row_highlight_style(t.get(Role::TableSelected))
    .block(pane(t, format!(" HTTP APIs [{}] ", rows.len()), true));
    let mut state = TableState::default()
        .with_offset(offset)
        .with_selected(Some(sel));
    f.render_stateful_widget(table, top, &mut state);
    hit(app, top, 0, 2, offset, false);

    let api = &app.http_apis[rows[sel]];
    let width = usize::from(routes_area.width.saturating_sub(4));
    let route_rows: Vec<Row> = api
        .routes
        .iter()
        .map(|r| {
            Row::new(vec![
                Cell::from(r.route_key.clone()),
                Cell::from(clip(&r.integration, width / 3)),
                Cell::from(r.auth.clone()),
                Cell::from(r.throttling.clone()),
            ])
        })
        .collect();
    let routes = Table::new(
        route_rows,
        [
            Constraint::Percentage(25),
            Constraint::Percentage(40),
            Constraint::Percentage(20),
            Constraint::Percentage(15),
        ],
    )
    .header(
        Row::new(vec!["ROUTE KEY", "→ INTEGRATION", "AUTH", "THROTTLING"])
            .style(t.get(Role::TableHeader)),
    )
    .block(pane(
        t,
        format!(" routes of {} [{}] ", api.name, api.routes.len()),
        false,
    ));
    f.render_widget(routes, routes_area);

    let stage_rows: Vec<Row> = api
        .stages
        .iter()
        .map(|s| {
            Row::new(vec![
                Cell::from(s.stage_name.clone()),
                Cell::from(if s.auto_deploy {
                    "auto-deploy"
                } else {
                    "manual"
                }),
                Cell::from(s.deployment_id.clone().unwrap_or_else(|| "(none)".into())),
                Cell::from(s.last_deployment_status.clone().unwrap_or_default()),
            ])
        })
        .collect();
    let stages = Table::new(
        stage_rows,
        [
            Constraint::Length(14),
            Constraint::Length(12),
            Constraint::Length(12),
            Constraint::Min(10),
        ],
    )
    .header(
        Row::new(vec!["STAGE", "DEPLOY", "DEPLOYMENT", "LAST STATUS"])
            .style(t.get(Role::TableHeader)),
    )
    .block(pane(t, format!(" stages [{}] ", api.stages.len()), false));
    f.render_widget(stages, stages_area);
}
