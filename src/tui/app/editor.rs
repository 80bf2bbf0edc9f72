//! The template editor: a ratatui-textarea buffer (editing, undo/redo, search) that the
//! view paints with VTL colours and line numbers.

use crossterm::event::KeyEvent;
use tui_textarea::TextArea;

use super::{App, Level, ParseCheck, PromptKind};
use crate::tui::effect::{Effect, TemplateTarget};
use crate::tui::tree::NodeRef;
use crate::tui::view::ViewKind;

pub struct EditorState {
    pub textarea: TextArea<'static>,
    pub rest_api_id: String,
    pub resource_id: String,
    pub resource_path: String,
    pub http_method: String,
    pub target: TemplateTarget,
    /// The text as last saved (or loaded).
    pub saved: String,
    /// Saved into the working definition since it was opened (not live until deployed).
    pub saved_once: bool,
    pub problem: Option<(usize, usize, String)>,
    pub test_output: Option<Result<String, String>>,
    /// First line shown (kept so the cursor stays visible).
    pub top: usize,
    /// `Esc` pressed once with unsaved changes.
    pub discard_armed: bool,
    pub search: Option<String>,
}

impl EditorState {
    pub fn text(&self) -> String {
        self.textarea.lines().join("\n")
    }

    pub fn modified(&self) -> bool {
        self.text() != self.saved
    }

    pub fn after_edit(&mut self, check: ParseCheck) {
        self.problem = check(&self.text());
        self.discard_armed = false;
    }

    /// Keeps the cursor line within `height` visible rows.
    pub fn scroll_to_cursor(&mut self, height: usize) {
        let row = self.textarea.cursor().0;
        let height = height.max(1);
        if row < self.top {
            self.top = row;
        } else if row >= self.top + height {
            self.top = row + 1 - height;
        }
    }
}

impl App {
    /// Opens the editor on a template (an empty request template when the method has none).
    pub(super) fn open_editor(&mut self, node: NodeRef) {
        let Some(def) = self.definition() else { return };
        let api_id = def.rest_api.id.clone();
        let (resource_id, verb, target) = match node {
            NodeRef::Template {
                resource_id,
                http_method,
                target,
            } => (resource_id, http_method, target),
            NodeRef::Method {
                resource_id,
                http_method,
            } => {
                let first = def
                    .method(&resource_id, &http_method)
                    .ok()
                    .and_then(|m| crate::tui::tree::templates(m).into_iter().next())
                    .unwrap_or(TemplateTarget::Request {
                        content_type: "application/json".into(),
                    });
                (resource_id, http_method, first)
            }
            NodeRef::Resource { .. } => return,
        };
        let Ok(method) = def.method(&resource_id, &verb) else {
            return;
        };
        let Some(integration) = method.method_integration.as_ref() else {
            self.flash(
                Level::Warn,
                format!("{verb} has no integration to template"),
            );
            return;
        };
        if integration.integration_type.is_proxy() {
            self.flash(
                Level::Warn,
                "proxy integrations pass requests through; no templates".into(),
            );
            return;
        }
        let text = match &target {
            TemplateTarget::Request { content_type } => {
                integration.request_templates.get(content_type).cloned()
            }
            TemplateTarget::Response {
                status_code,
                content_type,
            } => integration
                .integration_responses
                .get(status_code)
                .and_then(|r| r.response_templates.get(content_type).cloned()),
        }
        .unwrap_or_default();
        let resource_path = def
            .resource(&resource_id)
            .map(|r| r.path.clone())
            .unwrap_or_default();
        let lines: Vec<String> = if text.is_empty() {
            vec![String::new()]
        } else {
            text.lines().map(str::to_string).collect()
        };
        let mut textarea = TextArea::new(lines);
        textarea.set_max_histories(200);
        let mut ed = EditorState {
            textarea,
            rest_api_id: api_id,
            resource_id,
            resource_path,
            http_method: verb,
            target,
            saved: text,
            saved_once: false,
            problem: None,
            test_output: None,
            top: 0,
            discard_armed: false,
            search: None,
        };
        ed.saved = ed.text();
        ed.after_edit(self.parse_check);
        self.editor = Some(ed);
        self.stack.push(ViewKind::Editor);
    }

    pub(super) fn editor_input(&mut self, key: KeyEvent) {
        let height = usize::from(self.size.1.saturating_sub(12));
        let check = self.parse_check;
        if let Some(ed) = self.editor.as_mut() {
            if ed.textarea.input(key) {
                ed.after_edit(check);
            }
            ed.scroll_to_cursor(height);
        }
    }

    /// `Ctrl-s`: saves into the working definition (and asks the engine to store it).
    pub(super) fn editor_save(&mut self) -> Vec<Effect> {
        let Some(ed) = self.editor.as_mut() else {
            return Vec::new();
        };
        let template = ed.text();
        ed.saved = template.clone();
        ed.saved_once = true;
        let effect = Effect::SaveTemplate {
            rest_api_id: ed.rest_api_id.clone(),
            resource_id: ed.resource_id.clone(),
            http_method: ed.http_method.clone(),
            target: ed.target.clone(),
            template: template.clone(),
        };
        let (rid, verb, target) = (
            ed.resource_id.clone(),
            ed.http_method.clone(),
            ed.target.clone(),
        );
        let problem = ed.problem.clone();
        if let Some(api) = self.api_id.clone()
            && let Some(summary) = self
                .apis
                .iter_mut()
                .find(|a| a.definition.rest_api.id == api)
            && let Ok(m) = summary.definition.method_mut(&rid, &verb)
            && let Some(i) = m.method_integration.as_mut()
        {
            match &target {
                TemplateTarget::Request { content_type } => {
                    i.request_templates.insert(content_type.clone(), template);
                }
                TemplateTarget::Response {
                    status_code,
                    content_type,
                } => {
                    if let Some(r) = i.integration_responses.get_mut(status_code) {
                        r.response_templates.insert(content_type.clone(), template);
                    }
                }
            }
        }
        match problem {
            Some((l, c, m)) => self.flash(
                Level::Warn,
                format!("saved with a problem at {l}:{c}: {m} — not live until deployed"),
            ),
            None => self.flash(
                Level::Info,
                "saved to the working definition — not live until deployed".into(),
            ),
        }
        vec![effect]
    }

    pub(super) fn editor_back(&mut self) {
        let Some(ed) = self.editor.as_mut() else {
            self.stack.pop();
            return;
        };
        if ed.modified() && !ed.discard_armed {
            ed.discard_armed = true;
            self.flash(
                Level::Warn,
                "unsaved changes: Esc again discards, ctrl-s saves".into(),
            );
            return;
        }
        self.editor = None;
        self.stack.pop();
    }

    pub(super) fn editor_search(&mut self, pattern: &str) {
        let height = usize::from(self.size.1.saturating_sub(12));
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        if pattern.is_empty() {
            ed.search = None;
            let _ = ed.textarea.set_search_pattern("");
            return;
        }
        match ed.textarea.set_search_pattern(pattern) {
            Ok(()) => {
                ed.search = Some(pattern.to_string());
                let found = ed.textarea.search_forward(true);
                ed.scroll_to_cursor(height);
                if !found {
                    self.flash(Level::Warn, format!("no match for /{pattern}/"));
                }
            }
            Err(e) => self.flash(Level::Error, format!("bad search pattern: {e}")),
        }
    }

    pub(super) fn editor_command(&mut self, action: crate::tui::action::Action) -> Vec<Effect> {
        use crate::tui::action::Action;
        let height = usize::from(self.size.1.saturating_sub(12));
        let check = self.parse_check;
        let Some(ed) = self.editor.as_mut() else {
            return Vec::new();
        };
        match action {
            Action::Undo if ed.textarea.undo() => {
                ed.after_edit(check);
            }
            Action::Redo if ed.textarea.redo() => {
                ed.after_edit(check);
            }
            Action::SearchNext => {
                ed.textarea.search_forward(false);
            }
            Action::SearchPrev => {
                ed.textarea.search_back(false);
            }
            Action::Search => {
                let text = ed.search.clone().unwrap_or_default();
                self.open_prompt(PromptKind::Search, text);
                return Vec::new();
            }
            Action::TestRender => {
                ed.test_output = None;
                return vec![Effect::RenderTemplate {
                    rest_api_id: ed.rest_api_id.clone(),
                    resource_id: ed.resource_id.clone(),
                    http_method: ed.http_method.clone(),
                    target: ed.target.clone(),
                    template: ed.text(),
                }];
            }
            _ => {}
        }
        ed.scroll_to_cursor(height);
        Vec::new()
    }
}
