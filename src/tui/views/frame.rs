//! The chrome: header, breadcrumbs, the flash/prompt line, hints, help, confirmation.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};

use crate::tui::app::{App, Level, PromptKind};
use crate::tui::theme::Role;

pub fn header(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let key = t.get(Role::HeaderKey);
    let val = t.get(Role::HeaderValue);
    let api = app
        .current_api()
        .map(|a| {
            format!(
                "{} ({})",
                a.definition.rest_api.name, a.definition.rest_api.id
            )
        })
        .unwrap_or_else(|| "—".into());
    let mut spans = vec![
        Span::styled(" gwtui ", t.get(Role::Title)),
        Span::styled(" API ", key),
        Span::styled(api, val),
        Span::styled("  stage ", key),
        Span::styled(app.stage.clone().unwrap_or_else(|| "—".into()), val),
        Span::styled("  listen ", key),
        Span::styled(
            if app.listener.is_empty() {
                "—".to_string()
            } else {
                app.listener.clone()
            },
            val,
        ),
    ];
    if app.readonly {
        spans.push(Span::styled("  [read-only]", t.get(Role::FlashWarn)));
    }
    if app.disconnected {
        spans.push(Span::styled(
            "  [disconnected, retrying]",
            t.get(Role::FlashError),
        ));
    }
    // Long operations in progress, with how long they have been running.
    for b in &app.busy {
        let secs = app.now.saturating_duration_since(b.since).as_secs();
        spans.push(Span::styled(
            format!("  ⟳ {}… {secs}s", b.what),
            t.get(Role::FlashWarn),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn crumbs(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut spans = Vec::new();
    let n = app.stack.len();
    for (i, v) in app.stack.iter().enumerate() {
        let role = if i + 1 == n {
            Role::CrumbActive
        } else {
            Role::Crumb
        };
        spans.push(Span::styled(format!(" <{}> ", v.title()), t.get(role)));
        spans.push(Span::raw(" "));
    }
    if let Some(filt) = app.filter(app.view()) {
        spans.push(Span::styled(
            format!(" /{} ", filt.text),
            t.get(Role::PromptFilter),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn status(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    if let Some(p) = &app.prompt {
        let (label, role) = match &p.kind {
            PromptKind::Command => (":".to_string(), Role::PromptCommand),
            PromptKind::Filter => ("/".to_string(), Role::PromptFilter),
            PromptKind::Search => ("search /".to_string(), Role::PromptFilter),
            PromptKind::Input(purpose) => (format!("{}: ", purpose.label()), Role::PromptInput),
        };
        let mut spans = vec![
            Span::styled(label, t.get(role)),
            Span::styled(p.text.clone(), t.get(Role::Body)),
        ];
        spans.push(Span::styled("█", t.get(role)));
        if p.kind == PromptKind::Command {
            let cands = app.completions(&p.text);
            if let Some(first) = cands.first().filter(|c| c.len() > p.text.len()) {
                spans.push(Span::styled(
                    first[p.text.len()..].to_string(),
                    t.get(Role::PromptSuggestion),
                ));
            }
            if cands.len() > 1 {
                spans.push(Span::styled(
                    format!("  ({} matches, Tab)", cands.len()),
                    t.get(Role::PromptSuggestion),
                ));
            }
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    if let Some(fl) = &app.flash {
        let role = match fl.level {
            Level::Info => Role::FlashInfo,
            Level::Warn => Role::FlashWarn,
            Level::Error => Role::FlashError,
        };
        f.render_widget(
            Paragraph::new(Span::styled(fl.text.clone(), t.get(role))),
            area,
        );
    }
}

pub fn hints(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut lines: Vec<Line> = vec![Line::default()];
    let width = usize::from(area.width);
    let mut used = 0usize;
    for (key, desc) in app.keymap.hints(app.view()) {
        let chunk = key.chars().count() + desc.chars().count() + 4;
        if used + chunk > width {
            if lines.len() as u16 >= area.height {
                break;
            }
            lines.push(Line::default());
            used = 0;
        }
        if let Some(line) = lines.last_mut() {
            line.spans
                .push(Span::styled(format!("<{key}>"), t.get(Role::HintKey)));
            line.spans
                .push(Span::styled(format!(" {desc} "), t.get(Role::HintDesc)));
        }
        used += chunk;
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

pub fn confirm(f: &mut Frame, app: &App, area: Rect) {
    let Some(p) = &app.confirm else { return };
    let t = &app.theme;
    let width = (p.question.chars().count() as u16 + 6).clamp(40, area.width.saturating_sub(4));
    let r = centered(area, width, 6);
    f.render_widget(Clear, r);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(t.get(Role::DialogBorder))
        .title(Span::styled(
            format!(" {} ", p.action.description()),
            t.get(Role::DialogDanger),
        ));
    let text = vec![
        Line::from(Span::styled(p.question.clone(), t.get(Role::DialogText))),
        Line::default(),
        Line::from(vec![
            Span::styled("<y>", t.get(Role::HintKey)),
            Span::styled(" yes   ", t.get(Role::HintDesc)),
            Span::styled("<n>", t.get(Role::HintKey)),
            Span::styled(" no", t.get(Role::HintDesc)),
        ]),
    ];
    f.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: true }),
        r,
    );
}

/// The message history (`:messages`, `M`): every flashed message, newest at the bottom.
pub fn messages(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    f.render_widget(Clear, area);
    let block = super::pane(
        t,
        format!(" messages [{}] (esc closes) ", app.messages.len()),
        true,
    );
    let height = usize::from(block.inner(area).height);
    let first = app.messages.len().saturating_sub(height);
    let lines: Vec<Line> = app
        .messages
        .iter()
        .skip(first)
        .map(|m| {
            let (role, tag) = match m.level {
                Level::Info => (Role::FlashInfo, "info "),
                Level::Warn => (Role::FlashWarn, "warn "),
                Level::Error => (Role::FlashError, "error"),
            };
            let ago = app.now.saturating_duration_since(m.at).as_secs();
            Line::from(vec![
                Span::styled(format!("{ago:>5}s ago {tag} "), t.get(Role::HintDesc)),
                Span::styled(m.text.clone(), t.get(role)),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines).block(block), area);
}

pub fn help(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    f.render_widget(Clear, area);
    let sections = app.keymap.help(app.view());
    let cols = Layout::horizontal(vec![
        Constraint::Ratio(1, sections.len().max(1) as u32);
        sections.len().max(1)
    ])
    .split(area);
    for ((title, rows), col) in sections.iter().zip(cols.iter()) {
        let key_w = rows
            .iter()
            .map(|r| r.0.chars().count())
            .max()
            .unwrap_or(4)
            .min(18);
        let lines: Vec<Line> = rows
            .iter()
            .map(|(keys, desc, danger)| {
                let mut spans = vec![
                    Span::styled(
                        format!("{:<key_w$} ", super::clip(keys, key_w)),
                        t.get(Role::HintKey),
                    ),
                    Span::styled(desc.to_string(), t.get(Role::Body)),
                ];
                if *danger {
                    spans.push(Span::styled(" !", t.get(Role::DialogDanger)));
                }
                Line::from(spans)
            })
            .collect();
        let block = super::pane(t, format!(" {title} "), false);
        f.render_widget(Paragraph::new(lines).block(block), *col);
    }
}
