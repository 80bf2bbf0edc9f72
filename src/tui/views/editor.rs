//! The template editor: VTL colouring, line numbers, cursor line, search matches, the
//! parse check's verdict and the test panel.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{empty, pane};
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::tui::view::ViewKind;
use crate::tui::widgets::vtl::{Token, highlight};

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let Some(ed) = &app.editor else {
        empty(f, t, area, "no template open");
        return;
    };
    let focus = app.focus_of(ViewKind::Editor);
    let [main, side] = if area.width >= 120 {
        Layout::horizontal([Constraint::Percentage(65), Constraint::Percentage(35)]).areas(area)
    } else {
        Layout::vertical([Constraint::Min(6), Constraint::Length(7)]).areas(area)
    };
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
    let block = pane(t, title, focus == 0)
        .title_bottom(Line::from(Span::styled(note, t.get(Role::FlashWarn))));
    let inner = block.inner(main);
    f.render_widget(block, main);

    let lines = ed.textarea.lines();
    let tokens = highlight(lines);
    let tui_textarea::DataCursor(cur_row, cur_col) = ed.textarea.cursor();
    let gutter = lines.len().to_string().len().max(3);
    let height = usize::from(inner.height);
    let top = ed.top.min(lines.len().saturating_sub(1));
    let top = if cur_row >= top + height {
        cur_row + 1 - height
    } else {
        top.min(cur_row)
    };
    let search = ed.textarea.search_pattern();
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
        let base = if row == cur_row {
            t.get(Role::VtlCursorLine)
        } else {
            Style::default()
        };
        let matches: Vec<(usize, usize)> = search
            .map(|r| r.find_iter(line).map(|m| (m.start(), m.end())).collect())
            .unwrap_or_default();
        let problem_col = ed
            .problem
            .as_ref()
            .filter(|p| p.0 == row + 1)
            .map(|p| p.1.saturating_sub(1));
        let mut col = 0usize;
        for (range, tok) in &tokens[row] {
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
            for (off, ch) in line[range.clone()].char_indices() {
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
                if problem_col == Some(byte) {
                    style = style.patch(t.get(Role::VtlError));
                }
                if row == cur_row && col == cur_col && focus == 0 {
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
        if row == cur_row && cur_col >= line.chars().count() {
            spans.push(Span::styled(" ", base.add_modifier(Modifier::REVERSED)));
        }
        out.push(Line::from(spans).style(base));
    }
    f.render_widget(Paragraph::new(out), inner);

    // side: parse check + test panel
    let [check, test] = Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(side);
    let verdict = match &ed.problem {
        Some((l, c, m)) => Line::from(Span::styled(
            format!("{l}:{c} {m}"),
            t.get(Role::FlashError),
        )),
        None => Line::from(Span::styled("template parses", t.get(Role::FlashInfo))),
    };
    f.render_widget(
        Paragraph::new(verdict).block(pane(t, " check ", false)),
        check,
    );
    let body: Vec<Line> = match &ed.test_output {
        None => vec![Line::from(Span::styled(
            "ctrl-t renders this template against a sample request",
            t.get(Role::Dim),
        ))],
        Some(Ok(s)) => s.lines().map(|l| Line::from(l.to_string())).collect(),
        Some(Err(e)) => vec![Line::from(Span::styled(e.clone(), t.get(Role::FlashError)))],
    };
    f.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .block(pane(t, " test output ", focus == 1)),
        test,
    );
}
