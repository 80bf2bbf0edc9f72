//! The template editor: VTL colouring, line numbers, cursor line, search matches, the
//! parse check's verdict, the editable sample request and the live test output.

use std::ops::Range;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{empty, pane};
use crate::tui::app::{App, PANE_OUTPUT, PANE_SAMPLE, PANE_TEMPLATE};
use crate::tui::effect::TemplateTarget;
use crate::tui::theme::{Role, Theme};
use crate::tui::view::ViewKind;
use crate::tui::widgets::vtl::{Token, highlight};

/// A text buffer as the view paints it.
struct Buffer<'a> {
    lines: &'a [String],
    tokens: Vec<Vec<(Range<usize>, Token)>>,
    cursor: (usize, usize),
    /// The first line the state would show (the view keeps the cursor visible anyway).
    top: usize,
    focused: bool,
    /// 1-based line and column to mark.
    problem: Option<(usize, usize)>,
    search: Option<&'a regex::Regex>,
}

/// Paints a buffer into `inner`: line numbers, colours, cursor line, search matches, the
/// problem mark, and the cursor when focused; scrolls both ways to keep the cursor in view.
fn paint(f: &mut Frame, t: &Theme, b: &Buffer, inner: Rect) {
    let lines = b.lines;
    let (cur_row, cur_col) = b.cursor;
    let gutter = lines.len().to_string().len().max(3);
    let height = usize::from(inner.height).max(1);
    let top = b.top.min(lines.len().saturating_sub(1));
    let top = if cur_row >= top + height {
        cur_row + 1 - height
    } else {
        top.min(cur_row)
    };
    let mut out: Vec<Line> = Vec::with_capacity(height);
    // Scroll sideways so the cursor column stays visible.
    let text_w = usize::from(inner.width).saturating_sub(gutter + 1).max(1);
    let left = if cur_col >= text_w {
        cur_col + 1 - text_w
    } else {
        0
    };
    for (row, line) in lines.iter().enumerate().skip(top).take(height) {
        let mut spans = vec![Span::styled(
            format!("{:>gutter$} ", row + 1),
            t.get(Role::VtlLineNumber),
        )];
        let base = if row == cur_row && b.focused {
            t.get(Role::VtlCursorLine)
        } else {
            Style::default()
        };
        let matches: Vec<(usize, usize)> = b
            .search
            .map(|r| r.find_iter(line).map(|m| (m.start(), m.end())).collect())
            .unwrap_or_default();
        let problem_col = b
            .problem
            .filter(|p| p.0 == row + 1)
            .map(|p| p.1.saturating_sub(1));
        let mut col = 0usize;
        let empty_tokens = Vec::new();
        for (range, tok) in b.tokens.get(row).unwrap_or(&empty_tokens) {
            let role = match tok {
                Token::Text => Role::VtlText,
                Token::Variable => Role::VtlVariable,
                Token::Directive => Role::VtlDirective,
                Token::Comment => Role::VtlComment,
                Token::String => Role::VtlString,
            };
            // split the token by char so the cursor, search matches and problem show
            let mut buf = String::new();
            let mut buf_style = None;
            let Some(text) = line.get(range.clone()) else {
                continue;
            };
            for (off, ch) in text.char_indices() {
                let byte = range.start + off;
                col += 1;
                if col <= left {
                    continue;
                }
                let col = col - 1;
                let mut style = base.patch(t.get(role));
                if matches.iter().any(|(s, e)| byte >= *s && byte < *e) {
                    style = style.patch(t.get(Role::VtlSearch));
                }
                if problem_col == Some(col) {
                    style = style.patch(t.get(Role::VtlError));
                }
                if row == cur_row && col == cur_col && b.focused {
                    style = style.add_modifier(Modifier::REVERSED);
                }
                if buf_style != Some(style) && !buf.is_empty() {
                    spans.push(Span::styled(
                        std::mem::take(&mut buf),
                        buf_style.unwrap_or_default(),
                    ));
                }
                buf_style = Some(style);
                buf.push(ch);
            }
            if !buf.is_empty() {
                spans.push(Span::styled(buf, buf_style.unwrap_or_default()));
            }
        }
        let len = line.chars().count();
        if row == cur_row && cur_col >= len && b.focused {
            spans.push(Span::styled(" ", base.add_modifier(Modifier::REVERSED)));
        } else if problem_col.is_some_and(|c| c >= len) {
            // a problem at the end of the line (e.g. an unclosed block)
            spans.push(Span::styled(" ", t.get(Role::VtlError)));
        }
        out.push(Line::from(spans).style(base));
    }
    f.render_widget(Paragraph::new(out), inner);
}

/// JSON colours for the sample: keys like variables, string values like strings.
fn json_tokens(lines: &[String]) -> Vec<Vec<(Range<usize>, Token)>> {
    lines
        .iter()
        .map(|line| {
            let mut out: Vec<(Range<usize>, Token)> = Vec::new();
            let b = line.as_bytes();
            let mut i = 0;
            let mut text_start = 0;
            while i < b.len() {
                if b[i] != b'"' {
                    i += 1;
                    continue;
                }
                let start = i;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let end = (i + 1).min(b.len());
                i = end;
                let is_key = line[end..].trim_start().starts_with(':');
                if text_start < start {
                    out.push((text_start..start, Token::Text));
                }
                out.push((
                    start..end,
                    if is_key {
                        Token::Variable
                    } else {
                        Token::String
                    },
                ));
                text_start = end;
            }
            if text_start < b.len() {
                out.push((text_start..b.len(), Token::Text));
            }
            out
        })
        .collect()
}

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let Some(ed) = &app.editor else {
        empty(f, t, area, "no template open");
        return;
    };
    let focus = app.focus_of(ViewKind::Editor);
    let wide = area.width >= 120;
    let (main, check, sample, output) = if wide {
        let [main, side] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                .areas(area);
        let [check, sample, output] = Layout::vertical([
            Constraint::Length(3),
            Constraint::Percentage(45),
            Constraint::Min(3),
        ])
        .areas(side);
        (main, check, sample, output)
    } else {
        let [main, check, bottom] = Layout::vertical([
            Constraint::Min(5),
            Constraint::Length(1),
            Constraint::Length(9),
        ])
        .areas(area);
        let [sample, output] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(bottom);
        (main, check, sample, output)
    };

    // the template
    let mut title = format!(
        " {} {} · {} ",
        ed.http_method,
        ed.resource_path,
        ed.target.label()
    );
    if ed.modified() {
        title.push_str("[+] ");
    }
    let note = if ed.saved_once {
        " saved · not live until deployed "
    } else {
        " not live until deployed "
    };
    let block = pane(t, title, focus == PANE_TEMPLATE)
        .title_bottom(Line::from(Span::styled(note, t.get(Role::FlashWarn))));
    let inner = block.inner(main);
    f.render_widget(block, main);
    let tui_textarea::DataCursor(row, col) = ed.textarea.cursor();
    paint(
        f,
        t,
        &Buffer {
            lines: ed.textarea.lines(),
            tokens: highlight(ed.textarea.lines()),
            cursor: (row, col),
            top: ed.top,
            focused: focus == PANE_TEMPLATE,
            problem: ed.problem.as_ref().map(|p| (p.0, p.1)),
            search: ed.textarea.search_pattern(),
        },
        inner,
    );

    // the parse check
    let verdict = match &ed.problem {
        Some((l, c, m)) => Line::from(Span::styled(
            format!("{l}:{c} {m}"),
            t.get(Role::FlashError),
        )),
        None => Line::from(Span::styled("template parses", t.get(Role::FlashInfo))),
    };
    if wide {
        f.render_widget(
            Paragraph::new(verdict).block(pane(t, " check ", false)),
            check,
        );
    } else {
        f.render_widget(Paragraph::new(verdict), check);
    }

    // the sample request
    let sample_title = match ed.target {
        TemplateTarget::Request { .. } | TemplateTarget::HttpMappings { .. } => " sample request ",
        TemplateTarget::Response { .. } => " sample · body = integration response ",
    };
    let block = pane(t, sample_title, focus == PANE_SAMPLE);
    let inner = block.inner(sample);
    f.render_widget(block, sample);
    let tui_textarea::DataCursor(row, col) = ed.sample.cursor();
    paint(
        f,
        t,
        &Buffer {
            lines: ed.sample.lines(),
            tokens: json_tokens(ed.sample.lines()),
            cursor: (row, col),
            top: 0,
            focused: focus == PANE_SAMPLE,
            problem: ed.sample_error.as_ref().map(|e| (e.line, e.column)),
            search: None,
        },
        inner,
    );

    // the output
    let body: Vec<Line> = match &ed.test_output {
        None => vec![Line::from(Span::styled(
            "rendering against the sample…",
            t.get(Role::Dim),
        ))],
        Some(Ok(s)) if s.is_empty() => {
            vec![Line::from(Span::styled("(empty output)", t.get(Role::Dim)))]
        }
        Some(Ok(s)) => s.lines().map(|l| Line::from(l.to_string())).collect(),
        Some(Err(e)) => e
            .lines()
            .map(|l| Line::from(Span::styled(l.to_string(), t.get(Role::FlashError))))
            .collect(),
    };
    let mut title = match &ed.test_output {
        Some(Err(_)) => " output · error ".to_string(),
        _ => " output ".to_string(),
    };
    if ed.rendering() {
        title.push_str("· rendering… ");
    }
    let scroll = u16::try_from(ed.output_scroll).unwrap_or(u16::MAX);
    f.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(pane(t, title, focus == PANE_OUTPUT)),
        output,
    );
}
