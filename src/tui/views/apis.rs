//! APIs: id, type (REST or HTTP), name, description, endpoint URL, last deployment. REST APIs
//! come first (the cursor selects among them); HTTP APIs follow and open in the HTTP view (9).
//! Below them, the live pane: per REST API and stage, requests per second, error rate, p99
//! and a sparkline of the last minute (polled each second while this view shows).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Cell, Row, Table, TableState};

use super::{empty, hit, offset_for, pane};
use crate::tui::app::{App, PULSE_APIS, PULSE_RATE_SECONDS, PULSE_WINDOW};
use crate::tui::metrics::sparkline;
use crate::tui::theme::Role;
use crate::tui::view::ViewKind;

/// Columns of the live pane's sparkline (2 s each over the minute).
const TREND_COLUMNS: usize = 30;

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    if app.apis.is_empty() || area.height < 12 {
        return render_table(f, app, area);
    }
    let live = live_rows(app);
    let height = (live.len().max(1) as u16 + 3).min(area.height / 2);
    let [top, bottom] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(height)]).areas(area);
    render_table(f, app, top);
    render_live(f, app, bottom, live);
}

/// One live row: API name, stage, req/s, error %, p99 ms, sparkline.
type LiveRow = (String, String, f64, f64, f64, String);

fn live_rows(app: &App) -> Vec<LiveRow> {
    let mut out = Vec::new();
    for a in app.apis.iter().take(PULSE_APIS) {
        let r = &a.definition.rest_api;
        let Some(snapshot) = app.pulse.get(&r.id) else {
            continue;
        };
        for s in snapshot.pulse(PULSE_WINDOW, PULSE_RATE_SECONDS, TREND_COLUMNS) {
            out.push((
                format!("{} ({})", r.name, r.id),
                s.stage,
                s.requests_per_second,
                s.error_percent,
                s.p99_ms,
                sparkline(&s.trend),
            ));
        }
    }
    out
}

fn render_live(f: &mut Frame, app: &App, area: Rect, live: Vec<LiveRow>) {
    let t = &app.theme;
    let block = pane(t, " live: last minute ", false);
    if live.is_empty() {
        let inner = block.inner(area);
        f.render_widget(block, area);
        empty(f, t, inner, "No requests in the last minute.");
        return;
    }
    let rows: Vec<Row> = live
        .into_iter()
        .map(|(api, stage, rps, err, p99, trend)| {
            Row::new(vec![
                Cell::from(api),
                Cell::from(stage),
                Cell::from(format!("{rps:>7.1}")),
                Cell::from(format!("{err:>5.1}")),
                Cell::from(format!("{p99:>7.1}")),
                Cell::from(trend),
            ])
        })
        .collect();
    let widths = vec![
        Constraint::Max(34),
        Constraint::Length(12),
        Constraint::Length(7),
        Constraint::Length(5),
        Constraint::Length(7),
        Constraint::Min(TREND_COLUMNS as u16),
    ];
    let header = Row::new(vec![
        "API", "STAGE", "  REQ/S", "ERR %", "P99 ms", "REQUESTS",
    ])
    .style(t.get(Role::TableHeader));
    f.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

fn render_table(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let rows = app.api_rows();
    let http = app.http_rows();
    let block = pane(t, format!(" APIs [{}] ", rows.len() + http.len()), true);
    if rows.is_empty() && http.is_empty() {
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
    let sel = app
        .cursor(ViewKind::Apis, 0)
        .min(rows.len().saturating_sub(1));
    let height = usize::from(area.height.saturating_sub(3));
    let offset = offset_for(sel, height, rows.len() + http.len());
    let wide = area.width >= 120;
    let mut table_rows: Vec<Row> = rows
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
                Cell::from("REST"),
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
    for &i in &http {
        let a = &app.http_apis[i];
        let deployed = a
            .stages
            .iter()
            .filter(|s| s.deployment_id.is_some())
            .map(|s| {
                if s.auto_deploy {
                    format!("{} (auto)", s.stage_name)
                } else {
                    s.stage_name.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        let mut cells = vec![
            Cell::from(format!(" {}", a.api_id)),
            Cell::from(if a.websocket { "WS" } else { "HTTP" }),
            Cell::from(a.name.clone()),
        ];
        if wide {
            cells.push(Cell::from(a.description.clone().unwrap_or_default()));
        }
        cells.push(Cell::from(a.endpoint_url.clone()));
        cells.push(Cell::from(if deployed.is_empty() {
            "never".into()
        } else {
            deployed
        }));
        table_rows.push(Row::new(cells));
    }
    let (widths, header) = if wide {
        (
            vec![
                Constraint::Length(12),
                Constraint::Length(5),
                Constraint::Length(18),
                Constraint::Percentage(25),
                Constraint::Min(20),
                Constraint::Length(23),
            ],
            vec![
                "ID",
                "TYPE",
                "NAME",
                "DESCRIPTION",
                "ENDPOINT",
                "LAST DEPLOYMENT",
            ],
        )
    } else {
        (
            vec![
                Constraint::Length(12),
                Constraint::Length(5),
                Constraint::Length(14),
                Constraint::Min(10),
                Constraint::Length(23),
            ],
            vec!["ID", "TYPE", "NAME", "ENDPOINT", "LAST DEPLOYMENT"],
        )
    };
    let table = Table::new(table_rows, widths)
        .header(Row::new(header).style(t.get(Role::TableHeader)))
        .row_highlight_style(t.get(Role::TableSelected))
        .block(block);
    let mut state = TableState::default()
        .with_offset(offset)
        .with_selected((!rows.is_empty()).then_some(sel));
    f.render_stateful_widget(table, area, &mut state);
    hit(app, area, 0, 2, offset, false);
}
