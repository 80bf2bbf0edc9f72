//! HTTP APIs (v2): the APIs, then the selected one's routes (route key → integration, auth,
//! throttling per stage, parameter mappings; `Tab` selects a route, `i` tests it, `e` edits
//! its mappings), the selected route's mappings, and the stages (auto-deploy, deployment,
//! last deployment status). Enter opens the API's dashboard.

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
    let [top, routes_area, mapping_area, stages_area] = Layout::vertical([
        Constraint::Length(list_height),
        Constraint::Min(4),
        Constraint::Length(4),
        Constraint::Length(6),
    ])
    .areas(area);
    let focus = app.focus_of(ViewKind::Http);
    let sel = app.cursor(ViewKind::Http, 0).min(rows.len() - 1);
    let height = usize::from(top.height.saturating_sub(3));
    let offset = offset_for(sel, height, rows.len());
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|&i| {
            let a = &app.http_apis[i];
            Row::new(vec![
                Cell::from(a.api_id.clone()),
                Cell::from(if a.websocket { "WS" } else { "HTTP" }),
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
    .block(pane(t, format!(" HTTP APIs [{}] ", rows.len()), focus == 0));
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
                Cell::from(mapping_summary(r)),
            ])
        })
        .collect();
    let routes = Table::new(
        route_rows,
        [
            Constraint::Percentage(22),
            Constraint::Percentage(34),
            Constraint::Percentage(18),
            Constraint::Percentage(14),
            Constraint::Percentage(12),
        ],
    )
    .header(
        Row::new(vec![
            "ROUTE KEY",
            "→ INTEGRATION",
            "AUTH",
            "THROTTLING",
            "MAPPING",
        ])
        .style(t.get(Role::TableHeader)),
    )
    .block(pane(
        t,
        format!(" routes of {} [{}] ", api.name, api.routes.len()),
        focus == 1,
    ));
    let route_sel = app
        .cursor(ViewKind::Http, 1)
        .min(api.routes.len().saturating_sub(1));
    if focus == 1 && !api.routes.is_empty() {
        let routes = routes.row_highlight_style(t.get(Role::TableSelected));
        let height = usize::from(routes_area.height.saturating_sub(3));
        let mut state = TableState::default()
            .with_offset(offset_for(route_sel, height, api.routes.len()))
            .with_selected(Some(route_sel));
        f.render_stateful_widget(routes, routes_area, &mut state);
    } else {
        f.render_widget(routes, routes_area);
    }

    let route = api.routes.get(route_sel);
    let lines: Vec<String> = route.map(mapping_lines).unwrap_or_default();
    let title = match route {
        Some(r) => format!(" mappings of {} (e edits) ", r.route_key),
        None => " mappings ".to_string(),
    };
    let block = pane(t, title, false);
    let inner = block.inner(mapping_area);
    f.render_widget(block, mapping_area);
    let text: Vec<ratatui::text::Line> = lines
        .into_iter()
        .map(|l| ratatui::text::Line::from(clip(&l, usize::from(inner.width))))
        .collect();
    f.render_widget(ratatui::widgets::Paragraph::new(text), inner);

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

/// `2 req · 1 resp`, or `-`.
fn mapping_summary(r: &crate::tui::msg::HttpRouteRow) -> String {
    let req = r.request_parameters.len();
    let resp: usize = r.response_parameters.values().map(|m| m.len()).sum();
    match (req, resp) {
        (0, 0) => "-".into(),
        (q, 0) => format!("{q} req"),
        (0, p) => format!("{p} resp"),
        (q, p) => format!("{q} req · {p} resp"),
    }
}

/// The selected route's mappings, one line per side.
fn mapping_lines(r: &crate::tui::msg::HttpRouteRow) -> Vec<String> {
    if r.request_parameters.is_empty() && r.response_parameters.is_empty() {
        return vec!["no parameter mappings".into()];
    }
    let mut out = Vec::new();
    if !r.request_parameters.is_empty() {
        let list: Vec<String> = r
            .request_parameters
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        out.push(format!("request: {}", list.join("  ")));
    }
    for (status, m) in &r.response_parameters {
        let list: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push(format!("response {status}: {}", list.join("  ")));
    }
    out
}
