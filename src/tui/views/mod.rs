//! Views: functions of the app state and its theme that paint a frame. `draw` lays out
//! the chrome (header, crumbs, flash/prompt line, hints) around the active view and puts
//! help and confirmation on top.

mod apis;
mod canary;
mod connections;
mod dashboard;
mod deployments;
mod diff;
mod editor;
mod frame;
mod http;
mod invoke;
mod keys;
mod logs;
mod nodes;
mod resources;
mod stages;
mod trace;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Wrap};

use super::app::{App, HitArea};
use super::theme::{Role, Theme};
use super::view::ViewKind;

pub use dashboard::render_dashboard;

/// The smallest terminal the console lays out for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Where the chrome and the body go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLayout {
    pub header: Rect,
    pub crumbs: Rect,
    pub body: Rect,
    pub status: Rect,
    pub hints: Rect,
}

pub fn layout(area: Rect) -> FrameLayout {
    let [header, crumbs, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(2),
    ])
    .areas(area);
    FrameLayout {
        header,
        crumbs,
        body,
        status,
        hints,
    }
}

pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    app.hits.borrow_mut().clear();
    let body_style = app.theme.get(Role::Body);
    f.render_widget(Block::new().style(body_style), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = vec![
            Line::from("terminal too small"),
            Line::from(format!(
                "{}×{} — need at least {MIN_WIDTH}×{MIN_HEIGHT}",
                area.width, area.height
            )),
        ];
        let y = area.height / 2;
        let r = Rect::new(
            area.x,
            area.y + y.saturating_sub(1),
            area.width,
            2.min(area.height),
        );
        f.render_widget(
            Paragraph::new(msg)
                .style(app.theme.get(Role::FlashError))
                .alignment(ratatui::layout::Alignment::Center),
            r,
        );
        return;
    }
    let l = layout(area);
    frame::header(f, app, l.header);
    frame::crumbs(f, app, l.crumbs);
    match app.view() {
        ViewKind::Apis => apis::render(f, app, l.body),
        ViewKind::Resources => resources::render(f, app, l.body),
        ViewKind::Editor => editor::render(f, app, l.body),
        ViewKind::Stages => stages::render(f, app, l.body),
        ViewKind::Deployments => deployments::render(f, app, l.body),
        ViewKind::Diff => diff::render(f, app, l.body),
        ViewKind::Invoke => invoke::render(f, app, l.body),
        ViewKind::Canary => canary::render(f, app, l.body),
        ViewKind::Dashboard => dashboard::render(f, app, l.body),
        ViewKind::Logs => logs::render(f, app, l.body),
        ViewKind::Keys => keys::render(f, app, l.body),
        ViewKind::Http => http::render(f, app, l.body),
        ViewKind::Trace => trace::render(f, app, l.body),
        ViewKind::Connections => connections::render(f, app, l.body),
        ViewKind::Wscat => connections::render_wscat(f, app, l.body),
        ViewKind::Nodes => nodes::render(f, app, l.body),
    }
    frame::status(f, app, l.status);
    frame::hints(f, app, l.hints);
    if app.help {
        frame::help(f, app, l.body);
    }
    if app.messages_open {
        frame::messages(f, app, l.body);
    }
    if app.confirm.is_some() {
        frame::confirm(f, app, area);
    }
}

/// A bordered block whose border shows focus.
pub(crate) fn pane<'a>(theme: &Theme, title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
    Block::new()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(theme.get(if focused {
            Role::BorderFocus
        } else {
            Role::Border
        }))
        .title(title.into().style(theme.get(Role::Title)))
}

/// Records a list region for mouse clicks.
pub(crate) fn hit(app: &App, rect: Rect, pane: usize, header_rows: u16, offset: usize, tree: bool) {
    app.hits.borrow_mut().push(HitArea {
        rect,
        view: app.view(),
        pane,
        header_rows,
        offset,
        tree,
    });
}

/// A one-pane list of `len` rows that scrolls with the view's cursor (pane 0): `row(i,
/// selected)` draws row `i`. Records the region for mouse clicks.
pub(crate) fn scrolled_rows<'a>(
    f: &mut Frame,
    app: &App,
    inner: Rect,
    len: usize,
    row: impl Fn(usize, bool) -> Line<'a>,
) {
    let sel = app.cursor(app.view(), 0).min(len.saturating_sub(1));
    let height = usize::from(inner.height);
    let offset = offset_for(sel, height, len);
    let out: Vec<Line> = (offset..len)
        .take(height)
        .map(|i| row(i, i == sel))
        .collect();
    f.render_widget(Paragraph::new(out), inner);
    hit(app, inner, 0, 0, offset, false);
}

/// The first row to show so that `selected` is visible in `height` rows.
pub(crate) fn offset_for(selected: usize, height: usize, len: usize) -> usize {
    let height = height.max(1);
    if len <= height {
        0
    } else {
        selected.saturating_sub(height - 1).min(len - height)
    }
}

pub(crate) fn empty(f: &mut Frame, theme: &Theme, area: Rect, text: &str) {
    f.render_widget(
        Paragraph::new(text.to_string())
            .style(theme.get(Role::Dim))
            .wrap(Wrap { trim: true }),
        area,
    );
}

/// Cuts `s` to `width` characters with an ellipsis.
pub(crate) fn clip(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else if width == 0 {
        String::new()
    } else {
        let mut out: String = s.chars().take(width - 1).collect();
        out.push('…');
        out
    }
}
