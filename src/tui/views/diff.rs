//! The diff between two deployments' definitions.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{empty, pane, scrolled_rows};
use crate::tui::app::App;
use crate::tui::diff::Change;
use crate::tui::theme::Role;

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let (a, b) = app.diff_pair.clone().unwrap_or_default();
    let block = pane(t, format!(" diff {a} → {b} "), true);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(lines) = app.diff_lines() else {
        empty(f, t, inner, "loading the two deployments…");
        return;
    };
    if lines.is_empty() {
        empty(
            f,
            t,
            inner,
            "no differences in resources, methods or templates",
        );
        return;
    }
    scrolled_rows(f, app, inner, lines.len(), |i, selected| {
        let l = &lines[i];
        let (sign, role) = match l.change {
            Change::Added => ("+", Role::DiffAdded),
            Change::Removed => ("-", Role::DiffRemoved),
            Change::Changed => ("~", Role::DiffChanged),
        };
        let mut style = t.get(role);
        if selected {
            style = style.patch(t.get(Role::TableSelected));
        }
        Line::from(vec![
            Span::styled(format!("{sign} {:<40} ", l.subject), style),
            Span::styled(l.detail.clone(), style),
        ])
    });
}
