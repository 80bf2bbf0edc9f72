//! The template editor: a ratatui-textarea buffer (editing, undo/redo, search) that the
//! view paints with VTL colours and line numbers, beside an editable sample request and
//! the live test output.
//!
//! Live rendering is debounced the Elm way: every edit bumps `edit_seq` and asks for a
//! `RenderAfter` timer; when a timer fires (`RenderDue(seq)`) and no edit came since, the
//! app asks for the render. Results carry their `seq`, so a slow older render never
//! replaces a newer one. Nothing here waits: typing never blocks on a render.

use std::time::Duration;

use crossterm::event::KeyEvent;
use tui_textarea::TextArea;

use super::{App, Level, ParseCheck, PromptKind};
use crate::tui::action::Action;
use crate::tui::effect::{Effect, TemplateTarget};
use crate::tui::keymap::{Key, Scope};
use crate::tui::sample::{SampleError, SampleRequest};
use crate::tui::tree::NodeRef;
use crate::tui::view::ViewKind;

/// How long after the last keystroke the test panel renders.
pub const RENDER_DEBOUNCE: Duration = Duration::from_millis(150);

/// The editor's panes, in `focus` order (`f6` cycles them).
pub const PANE_TEMPLATE: usize = 0;
pub const PANE_SAMPLE: usize = 1;
pub const PANE_OUTPUT: usize = 2;

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
    /// The sample request (JSON, see `tui::sample`).
    pub sample: TextArea<'static>,
    pub sample_error: Option<SampleError>,
    /// The last test render shown.
    pub test_output: Option<Result<String, String>>,
    /// Bumped by every edit of the template or the sample.
    pub edit_seq: u64,
    /// The `seq` of the render in `test_output`.
    pub shown_seq: u64,
    /// First output line shown.
    pub output_scroll: usize,
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

    pub fn sample_text(&self) -> String {
        self.sample.lines().join("\n")
    }

    /// Whether the output lags the latest edit (a render is due or running).
    pub fn rendering(&self) -> bool {
        self.shown_seq < self.edit_seq
    }

    pub fn after_edit(&mut self, check: ParseCheck) {
        self.problem = check(&self.text());
        self.discard_armed = false;
    }

    /// An edit of the template or the sample: the output is due again in a moment.
    fn edited(&mut self) -> Effect {
        self.edit_seq += 1;
        Effect::RenderAfter {
            delay: RENDER_DEBOUNCE,
            seq: self.edit_seq,
        }
    }

    /// The render of the current text (`None` when the sample does not parse: the
    /// output then shows where).
    fn render_now(&mut self) -> Option<Effect> {
        let sample_text = self.sample_text();
        match SampleRequest::parse(&sample_text) {
            Ok(sample) => {
                self.sample_error = None;
                Some(Effect::RenderTemplate {
                    rest_api_id: self.rest_api_id.clone(),
                    resource_id: self.resource_id.clone(),
                    http_method: self.http_method.clone(),
                    target: self.target.clone(),
                    template: self.text(),
                    sample,
                    seq: self.edit_seq,
                })
            }
            Err(e) => {
                self.test_output = Some(Err(e.to_string()));
                self.sample_error = Some(e);
                self.shown_seq = self.edit_seq;
                None
            }
        }
    }

    /// A render result arrived; an older one than what is shown is dropped.
    pub fn accept_render(&mut self, seq: u64, result: Result<String, String>) {
        if seq < self.shown_seq || seq > self.edit_seq {
            return;
        }
        self.shown_seq = seq;
        let lines = match &result {
            Ok(s) | Err(s) => s.lines().count(),
        };
        self.output_scroll = self.output_scroll.min(lines.saturating_sub(1));
        self.test_output = Some(result);
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
    pub(super) fn open_editor(&mut self, node: NodeRef) -> Vec<Effect> {
        let Some(def) = self.definition() else {
            return Vec::new();
        };
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
            NodeRef::Resource { .. } => return Vec::new(),
        };
        let Ok(method) = def.method(&resource_id, &verb) else {
            return Vec::new();
        };
        let Some(integration) = method.method_integration.as_ref() else {
            self.flash(
                Level::Warn,
                format!("{verb} has no integration to template"),
            );
            return Vec::new();
        };
        if integration.integration_type.is_proxy() {
            self.flash(
                Level::Warn,
                "proxy integrations pass requests through; no templates".into(),
            );
            return Vec::new();
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
            TemplateTarget::HttpMappings { .. } => None,
        }
        .unwrap_or_default();
        let resource_path = def
            .resource(&resource_id)
            .map(|r| r.path.clone())
            .unwrap_or_default();
        let sample_key = (api_id.clone(), resource_id.clone(), verb.clone());
        let sample_text = self.samples.get(&sample_key).cloned().unwrap_or_else(|| {
            let vars = self
                .current_stage()
                .map(|s| s.variables.clone())
                .unwrap_or_default();
            SampleRequest::prefill(method, &resource_path, &target, &vars)
        });
        self.open_text_editor(
            api_id,
            resource_id,
            resource_path,
            verb,
            target,
            text,
            sample_text,
        )
    }

    /// Opens the editor on `text` (a template, or an HTTP API route's parameter mappings)
    /// with a sample request.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn open_text_editor(
        &mut self,
        api_id: String,
        resource_id: String,
        resource_path: String,
        verb: String,
        target: TemplateTarget,
        text: String,
        sample_text: String,
    ) -> Vec<Effect> {
        let mut textarea = TextArea::new(text_lines(&text));
        textarea.set_max_histories(200);
        let mut sample = TextArea::new(text_lines(&sample_text));
        sample.set_max_histories(200);
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
            sample,
            sample_error: None,
            test_output: None,
            edit_seq: 1,
            shown_seq: 0,
            output_scroll: 0,
            top: 0,
            discard_armed: false,
            search: None,
        };
        ed.saved = ed.text();
        ed.after_edit(self.parse_check);
        let first = ed.render_now();
        self.editor = Some(ed);
        self.focus.insert(ViewKind::Editor, PANE_TEMPLATE);
        self.stack.push(ViewKind::Editor);
        first.into_iter().collect()
    }

    /// A key no binding claimed: text for the focused buffer, or scrolling in the output.
    pub(super) fn editor_input(&mut self, key: KeyEvent) -> Vec<Effect> {
        let height = usize::from(self.size.1.saturating_sub(12));
        let check = self.parse_check;
        let focus = self.focus_of(ViewKind::Editor);
        let scroll = self
            .keymap
            .lookup_in(Scope::EditorOutput, Key::from_event(&key));
        let Some(ed) = self.editor.as_mut() else {
            return Vec::new();
        };
        match focus {
            PANE_SAMPLE => {
                if ed.sample.input(key) {
                    ed.discard_armed = false;
                    return vec![ed.edited()];
                }
            }
            PANE_OUTPUT => {
                let page = height.max(1);
                // The keys come from the keymap's output-pane scope (`?` lists them).
                ed.output_scroll = match scroll {
                    Some(Action::Down) => ed.output_scroll + 1,
                    Some(Action::Up) => ed.output_scroll.saturating_sub(1),
                    Some(Action::PageDown) => ed.output_scroll + page,
                    Some(Action::PageUp) => ed.output_scroll.saturating_sub(page),
                    Some(Action::Top) => 0,
                    Some(Action::Bottom) => usize::MAX / 2,
                    _ => ed.output_scroll,
                };
                let lines = match &ed.test_output {
                    Some(Ok(s) | Err(s)) => s.lines().count(),
                    None => 0,
                };
                ed.output_scroll = ed.output_scroll.min(lines.saturating_sub(1));
            }
            _ => {
                let changed = ed.textarea.input(key);
                ed.scroll_to_cursor(height);
                if changed {
                    ed.after_edit(check);
                    return vec![ed.edited()];
                }
            }
        }
        Vec::new()
    }

    /// Pasted text goes to the focused buffer.
    pub(super) fn editor_paste(&mut self, text: &str) -> Vec<Effect> {
        let check = self.parse_check;
        let focus = self.focus_of(ViewKind::Editor);
        let Some(ed) = self.editor.as_mut() else {
            return Vec::new();
        };
        match focus {
            PANE_SAMPLE => {
                ed.sample.insert_str(text);
            }
            PANE_TEMPLATE => {
                ed.textarea.insert_str(text);
                ed.after_edit(check);
            }
            _ => return Vec::new(),
        }
        vec![ed.edited()]
    }

    /// The debounce timer of edit `seq` fired: render if nothing was typed since.
    pub(super) fn editor_render_due(&mut self, seq: u64) -> Vec<Effect> {
        match self.editor.as_mut() {
            Some(ed) if ed.edit_seq == seq => ed.render_now().into_iter().collect(),
            _ => Vec::new(),
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
                TemplateTarget::HttpMappings { .. } => {}
            }
        }
        if matches!(target, TemplateTarget::HttpMappings { .. }) {
            self.flash(
                Level::Info,
                "mappings saved: live on auto-deploy stages, others at the next deployment".into(),
            );
            return vec![effect];
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
        if let Some(ed) = self.editor.take() {
            let key = (
                ed.rest_api_id.clone(),
                ed.resource_id.clone(),
                ed.http_method.clone(),
            );
            self.samples.insert(key, ed.sample_text());
        }
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

    /// `ctrl-g`: asks the backend (GetModelTemplate) for a template generated from the model
    /// the method declares for the template's content type (its request model, or the
    /// response model of the status the template belongs to); [`App::on_template_generated`]
    /// puts it in the editor.
    pub(super) fn editor_generate(&mut self) -> Vec<Effect> {
        let wanted = (|| {
            let ed = self.editor.as_ref().ok_or("no template open")?;
            let def = self.definition().ok_or("no API selected")?;
            let method = def
                .method(&ed.resource_id, &ed.http_method)
                .map_err(|e| e.to_string())?;
            let (models, place) = match &ed.target {
                TemplateTarget::Request { .. } => {
                    (Some(&method.request_models), "method request".to_string())
                }
                TemplateTarget::HttpMappings { .. } => {
                    return Err("parameter mappings have no model to generate from".to_string());
                }
                TemplateTarget::Response { status_code, .. } => (
                    method
                        .method_responses
                        .get(status_code)
                        .map(|r| &r.response_models),
                    format!("method response {status_code}"),
                ),
            };
            let content_type = ed.target.content_type();
            let name = models.and_then(|m| m.get(content_type)).ok_or_else(|| {
                format!("the {place} has no {content_type} model to generate from")
            })?;
            Ok::<_, String>(Effect::GenerateTemplate {
                rest_api_id: ed.rest_api_id.clone(),
                resource_id: ed.resource_id.clone(),
                http_method: ed.http_method.clone(),
                target: ed.target.clone(),
                model_name: name.clone(),
            })
        })();
        match wanted {
            Ok(effect) => vec![effect],
            Err(e) => {
                self.flash(Level::Warn, e);
                Vec::new()
            }
        }
    }

    /// A generated template arrived: it replaces the open template if that is still the one
    /// it was asked for. The replacement is two edits (clear, insert), so two undos restore
    /// the old template; nothing is saved until `ctrl-s`.
    pub(super) fn on_template_generated(
        &mut self,
        generated: crate::tui::msg::GeneratedTemplate,
    ) -> Vec<Effect> {
        let template = match generated.result {
            Ok(t) => t,
            Err(e) => {
                self.flash(
                    Level::Warn,
                    format!("generating from model {}: {e}", generated.model_name),
                );
                return Vec::new();
            }
        };
        let check = self.parse_check;
        let Some(ed) = self.editor.as_mut().filter(|ed| {
            ed.rest_api_id == generated.rest_api_id
                && ed.resource_id == generated.resource_id
                && ed.http_method == generated.http_method
                && ed.target == generated.target
        }) else {
            return Vec::new();
        };
        ed.textarea.select_all();
        ed.textarea.insert_str(template.trim_end());
        ed.after_edit(check);
        let effect = ed.edited();
        self.focus.insert(ViewKind::Editor, PANE_TEMPLATE);
        self.flash(
            Level::Info,
            format!(
                "generated from model {} (ctrl-z twice undoes, ctrl-s saves)",
                generated.model_name
            ),
        );
        vec![effect]
    }

    pub(super) fn editor_command(&mut self, action: crate::tui::action::Action) -> Vec<Effect> {
        use crate::tui::action::Action;
        let height = usize::from(self.size.1.saturating_sub(12));
        let check = self.parse_check;
        let on_sample = self.focus_of(ViewKind::Editor) == PANE_SAMPLE;
        let Some(ed) = self.editor.as_mut() else {
            return Vec::new();
        };
        match action {
            Action::Undo | Action::Redo if on_sample => {
                let changed = if action == Action::Undo {
                    ed.sample.undo()
                } else {
                    ed.sample.redo()
                };
                return if changed {
                    vec![ed.edited()]
                } else {
                    Vec::new()
                };
            }
            Action::Undo if ed.textarea.undo() => {
                ed.after_edit(check);
                ed.scroll_to_cursor(height);
                return vec![ed.edited()];
            }
            Action::Redo if ed.textarea.redo() => {
                ed.after_edit(check);
                ed.scroll_to_cursor(height);
                return vec![ed.edited()];
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
            Action::TestRender => return ed.render_now().into_iter().collect(),
            _ => {}
        }
        ed.scroll_to_cursor(height);
        Vec::new()
    }
}

fn text_lines(text: &str) -> Vec<String> {
    if text.is_empty() {
        vec![String::new()]
    } else {
        text.lines().map(str::to_string).collect()
    }
}
