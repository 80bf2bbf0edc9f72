//! A test invocation: the request sent, the response (status, latency, headers, body) and
//! the execution log, one scrollable list (`/` filters it, `i` runs the test again).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{clip, empty, pane, scrolled_rows};
use crate::tui::app::{App, InvokeLineKind};
use crate::tui::theme::Role;

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let title = match &app.invoke {
        Some(ui) => format!(" test {} {} ", ui.http_method, ui.resource_path),
        None => " test ".to_string(),
    };
    let block = pane(t, title, true);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let lines = app.invoke_lines();
    if lines.is_empty() {
        empty(
            f,
            t,
            inner,
            "No test yet: i on a method in Resources runs one.",
        );
        return;
    }
    let width = usize::from(inner.width);
    scrolled_rows(f, app, inner, lines.len(), |i, selected| {
        let l = &lines[i];
        let mut style = t.get(match l.kind {
            InvokeLineKind::Heading => Role::TableHeader,
            InvokeLineKind::Field => Role::HeaderKey,
            InvokeLineKind::Body => Role::Body,
            InvokeLineKind::Log => Role::Dim,
            InvokeLineKind::Error => Role::FlashError,
        });
        if selected {
            style = style.patch(t.get(Role::TableSelected));
        }
        Line::from(Span::styled(clip(&l.text, width), style))
    });
}
