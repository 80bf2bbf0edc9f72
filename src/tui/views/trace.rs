//! The trace of one request (`x` on a log line in Logs): X-Ray ids, then the pipeline phases
//! as a waterfall with their offsets and durations.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{clip, empty, pane};
use crate::tui::app::{App, waterfall};
use crate::tui::theme::Role;

/// Columns before the bars: name, offset and duration.
const LABEL_COLUMNS: usize = 44;

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let title = match &app.trace {
        Some(ui) => format!(" trace {} ", ui.request_id),
        None => " trace ".to_string(),
    };
    let block = pane(t, title, true);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let message = match app.trace.as_ref().and_then(|ui| ui.result.as_ref()) {
        None if app.trace.is_none() => "No request chosen: x on a log line in Logs.",
        None => "Loading…",
        Some(Err(e)) => e.as_str(),
        Some(Ok(None)) => {
            "No trace kept for this request: its stage has no tracingEnabled, or it is older than the newest 1,024 traced requests."
        }
        Some(Ok(Some(_))) => "",
    };
    let Some(Some(Ok(Some(trace)))) = app.trace.as_ref().map(|ui| ui.result.as_ref()) else {
        empty(f, t, inner, message);
        return;
    };
    let width = usize::from(inner.width);
    let key = t.get(Role::HeaderKey);
    let body = t.get(Role::Body);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("request  ", key),
            Span::styled(
                format!(
                    "{} {} → {} in {:.2} ms ({}/{})",
                    trace.http_method,
                    trace.path,
                    trace.status,
                    trace.duration.as_secs_f64() * 1000.0,
                    trace.rest_api_id,
                    trace.stage
                ),
                body,
            ),
        ]),
        Line::from(vec![
            Span::styled("trace    ", key),
            Span::styled(clip(&trace.header(), width.saturating_sub(9)), body),
        ]),
        Line::from(vec![
            Span::styled("parent   ", key),
            Span::styled(
                trace
                    .parent
                    .clone()
                    .unwrap_or_else(|| "— (a new trace)".into()),
                body,
            ),
            Span::styled(
                if trace.sampled {
                    "   sampled (exported when [tracing] otlp_endpoint is set)"
                } else {
                    "   not sampled (kept here, not exported)"
                },
                t.get(Role::Dim),
            ),
        ]),
        Line::default(),
        Line::from(Span::styled(
            format!(
                "{:<22}{:>10}{:>12}  waterfall",
                "phase", "start ms", "took ms"
            ),
            t.get(Role::TableHeader),
        )),
    ];
    let bar_width = width.saturating_sub(LABEL_COLUMNS).max(1);
    for row in waterfall(trace, bar_width) {
        let name = if row.nested {
            format!("  {}", row.name)
        } else {
            row.name.clone()
        };
        let (col, len) = row.bar;
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "{:<22}{:>10.3}{:>12.3}  ",
                    name, row.offset_ms, row.duration_ms
                ),
                body,
            ),
            Span::raw(" ".repeat(col)),
            Span::styled("█".repeat(len), t.get(Role::TableSelected)),
        ]));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
