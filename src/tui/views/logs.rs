//! Logs: a tail that follows unless scrolled or paused.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{empty, hit, offset_for, pane};
use crate::tui::app::App;
use crate::tui::app::ops_format_log_line;
use crate::tui::theme::Role;
use crate::tui::view::ViewKind;

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let rows = app.log_rows();
    let mut title = format!(" logs [{}] ", rows.len());
    if app.logs.paused {
        title.push_str(&format!("⏸ paused (+{} held) ", app.logs.held.len()));
    } else if app.logs.follow {
        title.push_str("following ");
    }
    if app.logs.dropped > 0 {
        // The subscription dropped lines because the console fell behind: say so.
        title.push_str(&format!("⚠ {} dropped ", app.logs.dropped));
    }
    let block = pane(t, title, true);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if rows.is_empty() {
        empty(
            f,
            t,
            inner,
            "No log lines yet. Requests to the gateway show up here.",
        );
        return;
    }
    let height = usize::from(inner.height);
    let sel = if app.logs.follow {
        rows.len() - 1
    } else {
        app.cursor(ViewKind::Logs, 0).min(rows.len() - 1)
    };
    let offset = offset_for(sel, height, rows.len());
    let lines: Vec<Line> = rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(pos, &i)| {
            let l = &app.logs.lines[i];
            let role = match l.level.as_str() {
                "ERROR" => Role::LogError,
                "WARN" => Role::LogWarn,
                "ACCESS" => Role::LogAccess,
                _ => Role::LogInfo,
            };
            let mut style = t.get(role);
            if pos == sel && !app.logs.follow {
                style = style.patch(t.get(Role::TableSelected));
            }
            Line::from(Span::styled(ops_format_log_line(l), style))
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
    hit(app, inner, 0, 0, offset, false);
}
