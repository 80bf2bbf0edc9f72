//! WebSocket APIs: the Connections view (a stage's live connections: id, source IP, when it
//! connected and for how long, last activity, messages in and out, the route of its last
//! message, user agent) and the `:wscat` client (frames sent `→`, received `←`, and what
//! happened to the socket `·`).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table, TableState};

use super::{clip, empty, hit, offset_for, pane, scrolled_rows};
use crate::tui::app::App;
use crate::tui::app::connections_frame_text;
use crate::tui::theme::Role;
use crate::tui::view::ViewKind;
use crate::tui::wscat::WscatFrame;

/// `45s`, `12m03s`, `2h05m`, `3d04h`.
pub fn age(millis: i64) -> String {
    let s = (millis / 1000).max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86400, (s % 86400) / 3600),
    }
}

/// `HH:MM:SS` UTC of epoch milliseconds.
fn clock(millis: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
        .map(|t| format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second()))
        .unwrap_or_else(|_| "-".into())
}

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let Some(c) = &app.connections else {
        let block = pane(t, " connections ", true);
        let inner = block.inner(area);
        f.render_widget(block, area);
        empty(
            f,
            t,
            inner,
            "No WebSocket stage chosen: c on a WebSocket API in the HTTP view (9), or :connections STAGE.",
        );
        return;
    };
    let rows = app.connection_rows();
    let shown = if rows.len() == c.page.total {
        format!("{}", c.page.total)
    } else {
        format!("{}/{}", rows.len(), c.page.total)
    };
    let title = match &c.error {
        Some(e) => format!(
            " connections of {} {} [{shown}] — {e} ",
            c.api_name, c.stage
        ),
        None => format!(" connections of {} {} [{shown}] ", c.api_name, c.stage),
    };
    let block = pane(t, title, true);
    if rows.is_empty() {
        let inner = block.inner(area);
        f.render_widget(block, area);
        let text = if !c.loaded {
            "Loading…".to_string()
        } else if app.filter(ViewKind::Connections).is_some() {
            "No connection matches the filter.".to_string()
        } else {
            format!(
                "No open connections. Connect a client: python -m websockets ws://127.0.0.1:{}/restapis/{}/{}/_user_request_ (or w for the console's own client)",
                app.listener.rsplit(':').next().unwrap_or("4566"),
                c.api_id,
                c.stage
            )
        };
        empty(f, t, inner, &text);
        return;
    }
    let now = c.page.now;
    let sel = app.cursor(ViewKind::Connections, 0).min(rows.len() - 1);
    let height = usize::from(area.height.saturating_sub(3));
    let offset = offset_for(sel, height, rows.len());
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|&i| {
            let r = &c.page.rows[i];
            Row::new(vec![
                Cell::from(r.connection_id.clone()),
                Cell::from(r.source_ip.clone()),
                Cell::from(clock(r.connected_at)),
                Cell::from(age(now - r.connected_at)),
                Cell::from(format!("{} ago", age(now - r.last_active_at))),
                Cell::from(r.messages_in.to_string()),
                Cell::from(r.messages_out.to_string()),
                Cell::from(r.last_route.clone().unwrap_or_else(|| "-".into())),
                Cell::from(r.user_agent.clone().unwrap_or_default()),
            ])
        })
        .collect();
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(18),
            Constraint::Length(15),
            Constraint::Length(9),
            Constraint::Length(7),
            Constraint::Length(11),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(14),
            Constraint::Min(8),
        ],
    )
    .header(
        Row::new(vec![
            "CONNECTION ID",
            "SOURCE IP",
            "CONNECTED",
            "FOR",
            "LAST ACTIVE",
            "IN",
            "OUT",
            "LAST ROUTE",
            "USER AGENT",
        ])
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

pub fn render_wscat(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let Some(w) = &app.wscat else {
        let block = pane(t, " wscat ", true);
        let inner = block.inner(area);
        f.render_widget(block, area);
        empty(
            f,
            t,
            inner,
            "No client open: :wscat [STAGE] on a WebSocket API.",
        );
        return;
    };
    let state = match (&w.session, w.closed) {
        (_, true) => "closed",
        (None, false) => "connecting…",
        (Some(_), false) => "open",
    };
    let title = format!(
        " wscat {} {} — {state} (enter: send line, esc: close) ",
        w.api_name, w.stage
    );
    let block = pane(t, title, true);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let rows = app.wscat_rows();
    if rows.is_empty() {
        empty(f, t, inner, "Connecting…");
        return;
    }
    let width = usize::from(inner.width);
    let style_of = |frame: &WscatFrame| -> Style {
        match frame {
            WscatFrame::Sent(_) => t.get(Role::HeaderKey),
            WscatFrame::Received(_) | WscatFrame::Binary(_) => t.get(Role::Body),
            WscatFrame::Info(_) => t.get(Role::Dim),
        }
    };
    scrolled_rows(f, app, inner, rows.len(), |i, selected| {
        let frame = &w.frames[rows[i]];
        let style = if selected {
            t.get(Role::TableSelected)
        } else {
            style_of(frame)
        };
        Line::from(Span::styled(
            clip(&connections_frame_text(frame), width),
            style,
        ))
    });
}
