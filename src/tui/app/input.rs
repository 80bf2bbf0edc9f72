//! Keys, mouse and paste: confirmation first, then the prompt, then help, then the keymap;
//! in the template editor, unbound keys are text.

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Position;

use super::{App, Prompt, PromptKind};
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::filter::Filter;
use crate::tui::keymap::Key;
use crate::tui::view::ViewKind;

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if self.confirm.is_some() {
            return match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => self.accept(),
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                    self.cancel();
                    Vec::new()
                }
                _ => Vec::new(),
            };
        }
        if self.prompt.is_some() {
            return self.on_prompt_key(key);
        }
        let k = Key::from_event(&key);
        if self.messages_open {
            let action = self.keymap.lookup(self.view(), k);
            if matches!(
                action,
                Some(Action::Messages | Action::Back | Action::Quit | Action::Help)
            ) || key.code == KeyCode::Esc
            {
                self.messages_open = false;
            }
            return Vec::new();
        }
        if self.help {
            let action = self.keymap.lookup(self.view(), k);
            if matches!(action, Some(Action::Help | Action::Back | Action::Quit))
                || key.code == KeyCode::Esc
            {
                self.help = false;
            }
            return Vec::new();
        }
        match self.keymap.lookup(self.view(), k) {
            Some(action) => self.perform(action, Vec::new()),
            None if self.view() == ViewKind::Editor => self.editor_input(key),
            None => Vec::new(),
        }
    }

    fn on_prompt_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(prompt) = self.prompt.as_mut() else {
            return Vec::new();
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => {
                let kind = prompt.kind.clone();
                self.prompt = None;
                if kind == PromptKind::Filter {
                    let view = self.view();
                    self.filters.remove(&view);
                    self.cursors.insert((view, 0), 0);
                }
                Vec::new()
            }
            KeyCode::Enter => {
                let Prompt { kind, text, .. } = prompt.clone();
                self.prompt = None;
                self.submit(kind, text)
            }
            KeyCode::Tab if prompt.kind == PromptKind::Command => {
                self.complete();
                Vec::new()
            }
            KeyCode::Backspace => {
                prompt.text.pop();
                prompt.cycle = 0;
                self.after_prompt_edit();
                Vec::new()
            }
            KeyCode::Char('u') if ctrl => {
                prompt.text.clear();
                self.after_prompt_edit();
                Vec::new()
            }
            KeyCode::Char('c') if ctrl => {
                self.prompt = None;
                Vec::new()
            }
            KeyCode::Char(c) if !ctrl => {
                prompt.text.push(c);
                prompt.cycle = 0;
                self.after_prompt_edit();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The filter applies while it is typed.
    fn after_prompt_edit(&mut self) {
        if let Some(Prompt {
            kind: PromptKind::Filter,
            text,
            ..
        }) = &self.prompt
        {
            let view = self.view();
            self.filters.insert(view, Filter::new(text));
            self.cursors.insert((view, 0), 0);
        }
    }

    pub(super) fn open_prompt(&mut self, kind: PromptKind, text: String) {
        self.prompt = Some(Prompt {
            kind,
            text,
            cycle: 0,
        });
    }

    pub(super) fn on_paste(&mut self, text: &str) -> Vec<Effect> {
        if let Some(p) = self.prompt.as_mut() {
            p.text.push_str(&text.replace(['\n', '\r'], " "));
            self.after_prompt_edit();
        } else if self.view() == ViewKind::Editor && self.confirm.is_none() {
            return self.editor_paste(text);
        }
        Vec::new()
    }

    pub(super) fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        if self.confirm.is_some() || self.prompt.is_some() || self.help {
            return Vec::new();
        }
        match m.kind {
            MouseEventKind::ScrollDown => self.perform(Action::Down, Vec::new()),
            MouseEventKind::ScrollUp => self.perform(Action::Up, Vec::new()),
            MouseEventKind::Down(MouseButton::Left) => {
                let pos = Position::new(m.column, m.row);
                let hit = self
                    .hits
                    .borrow()
                    .iter()
                    .copied()
                    .find(|h| h.rect.contains(pos));
                let Some(hit) = hit else { return Vec::new() };
                if hit.view != self.view() {
                    return Vec::new();
                }
                self.focus.insert(hit.view, hit.pane);
                if hit.tree {
                    self.tree.borrow_mut().click_at(pos);
                    return Vec::new();
                }
                let top = hit.rect.y + hit.header_rows;
                if m.row < top {
                    return Vec::new();
                }
                let row = hit.offset + usize::from(m.row - top);
                let len = self.list_len(hit.view, hit.pane);
                if row < len {
                    self.set_cursor(hit.view, hit.pane, row);
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}
