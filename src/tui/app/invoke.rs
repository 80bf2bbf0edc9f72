//! Test invocations (`i` on a method in Resources): TestInvokeMethod with the method's sample
//! request (the one the template editor's test panel edits, else a prefilled one), shown in
//! the `Invoke` view as request, response and execution log lines.

use super::{App, InputPurpose, Level, PromptKind};
use crate::model::TestInvokeResult;
use crate::tui::effect::{Effect, TemplateTarget};
use crate::tui::sample::SampleRequest;
use crate::tui::view::ViewKind;

/// The method a test ran and what came back.
#[derive(Debug, Clone, PartialEq)]
pub struct InvokeUi {
    pub rest_api_id: String,
    pub resource_id: String,
    pub http_method: String,
    pub resource_path: String,
    pub sample: SampleRequest,
    /// `None` while the test runs.
    pub result: Option<Result<TestInvokeResult, String>>,
    /// For an HTTP API route's test (`rest_api_id` the API, `resource_id` the route key,
    /// `resource_path` its path): the stage it is sent to.
    pub http_stage: Option<String>,
}

/// What a line of the Invoke view is, for its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvokeLineKind {
    Heading,
    Field,
    Body,
    Log,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeLine {
    pub kind: InvokeLineKind,
    pub text: String,
}

impl App {
    /// The method `i` and `e` act on: the one on screen in the Invoke view, else the tree's.
    fn invoke_target(&self) -> Option<(String, String)> {
        match (self.view(), &self.invoke) {
            (ViewKind::Invoke, Some(ui)) => Some((ui.resource_id.clone(), ui.http_method.clone())),
            _ => self.tree_selection().and_then(|node| {
                let verb = node.http_method()?.to_string();
                Some((node.resource_id().to_string(), verb))
            }),
        }
    }

    /// The sample request text of a method: the one edited in the template editor or with
    /// `e`, else one prefilled from the method (`true` when prefilled).
    fn sample_text(&self, resource_id: &str, verb: &str) -> Result<(String, bool), String> {
        let def = self.definition().ok_or("no API selected")?;
        let method = def
            .method(resource_id, verb)
            .map_err(|_| "select a method first".to_string())?;
        let integration = method
            .method_integration
            .as_ref()
            .ok_or_else(|| format!("{verb} has no integration to test"))?;
        let key = (
            def.rest_api.id.clone(),
            resource_id.to_string(),
            verb.to_string(),
        );
        if let Some(text) = self.samples.get(&key) {
            return Ok((text.clone(), false));
        }
        let content_type = integration
            .request_templates
            .keys()
            .next()
            .cloned()
            .unwrap_or_else(|| "application/json".into());
        let vars = self
            .current_stage()
            .map(|s| s.variables.clone())
            .unwrap_or_default();
        let path = def
            .resource(resource_id)
            .map(|r| r.path.as_str())
            .unwrap_or_default();
        let mut text = SampleRequest::prefill(
            method,
            path,
            &TemplateTarget::Request { content_type },
            &vars,
        );
        // The prefill's body is for request templates; a GET sent from it should not carry
        // one (an edited sample is sent as the user wrote it).
        if matches!(verb, "GET" | "HEAD" | "DELETE" | "OPTIONS")
            && let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(obj) = doc.as_object_mut()
        {
            obj.insert("body".into(), serde_json::Value::String(String::new()));
            text = serde_json::to_string_pretty(&doc).unwrap_or(text);
        }
        Ok((text, true))
    }

    /// `i`: tests the selected method (in the Invoke view: runs the same test again).
    pub(super) fn test_invoke(&mut self) -> Vec<Effect> {
        if self.view() == ViewKind::Http {
            return self.http_test_invoke();
        }
        if self.view() == ViewKind::Invoke && self.invoke_is_http() {
            return self.http_rerun();
        }
        match self.invoke_target() {
            Some((resource_id, verb)) => self.test_invoke_method(resource_id, verb),
            None => {
                self.flash(Level::Warn, "select a method first".into());
                Vec::new()
            }
        }
    }

    /// `e`: edits the request a test of the method sends, starting from its path and query
    /// (`/pets/7?type=dog`); a whole sample in JSON (`{"body": …, "headers": …}`) replaces
    /// the sample instead. Enter sends it.
    pub(super) fn edit_test_request(&mut self) {
        if self.view() == ViewKind::Invoke
            && let Some(ui) = self.invoke.as_ref().filter(|u| u.http_stage.is_some())
        {
            let line = ui.sample.path_with_query(&ui.resource_path);
            let purpose = InputPurpose::TestRequest {
                resource_id: ui.resource_id.clone(),
                http_method: ui.http_method.clone(),
            };
            self.open_prompt(PromptKind::Input(purpose), line);
            return;
        }
        let Some((resource_id, http_method)) = self.invoke_target() else {
            self.flash(Level::Warn, "select a method first".into());
            return;
        };
        let current = self
            .sample_text(&resource_id, &http_method)
            .and_then(|(text, _)| SampleRequest::parse(&text).map_err(|e| e.to_string()));
        let path = self
            .definition()
            .and_then(|d| d.resource(&resource_id))
            .map(|r| r.path.clone())
            .unwrap_or_default();
        match current {
            Ok(sample) => {
                let line = sample.path_with_query(&path);
                self.open_prompt(
                    PromptKind::Input(InputPurpose::TestRequest {
                        resource_id,
                        http_method,
                    }),
                    line,
                );
            }
            Err(e) => self.flash(Level::Warn, e),
        }
    }

    /// What the `e` prompt's answer makes of the method's sample: `/path?query` keeps its
    /// body, headers and stage variables; `{…}` is a whole sample.
    pub(super) fn edited_sample(
        &self,
        resource_id: &str,
        http_method: &str,
        text: &str,
    ) -> Result<SampleRequest, String> {
        if text.starts_with('{') {
            return SampleRequest::parse(text).map_err(|e| e.to_string());
        }
        if !text.starts_with('/') {
            return Err("start with / (a path) or { (a whole sample)".into());
        }
        let (current, _) = self.sample_text(resource_id, http_method)?;
        let mut sample = SampleRequest::parse(&current).map_err(|e| e.to_string())?;
        let path = self
            .definition()
            .and_then(|d| d.resource(resource_id))
            .map(|r| r.path.clone())
            .ok_or("select a method first")?;
        sample.set_path_with_query(&path, text)?;
        Ok(sample)
    }

    /// Sends the method's sample request and shows the Invoke view.
    pub(super) fn test_invoke_method(&mut self, resource_id: String, verb: String) -> Vec<Effect> {
        let (text, _) = match self.sample_text(&resource_id, &verb) {
            Ok(t) => t,
            Err(e) => {
                self.flash(Level::Warn, e);
                return Vec::new();
            }
        };
        let sample = match SampleRequest::parse(&text) {
            Ok(s) => s,
            Err(e) => {
                self.flash(Level::Error, format!("{e} (e edits it)"));
                return Vec::new();
            }
        };
        let Some(def) = self.definition() else {
            return Vec::new();
        };
        let api_id = def.rest_api.id.clone();
        let resource_path = def
            .resource(&resource_id)
            .map(|r| r.path.clone())
            .unwrap_or_default();
        self.invoke = Some(InvokeUi {
            rest_api_id: api_id.clone(),
            resource_id: resource_id.clone(),
            http_method: verb.clone(),
            resource_path,
            sample: sample.clone(),
            result: None,
            http_stage: None,
        });
        if self.view() != ViewKind::Invoke {
            self.stack.push(ViewKind::Invoke);
        }
        self.cursors.insert((ViewKind::Invoke, 0), 0);
        vec![Effect::TestInvoke {
            rest_api_id: api_id,
            resource_id,
            http_method: verb,
            sample,
        }]
    }

    /// A test's outcome: kept if it is for the method on screen.
    pub(super) fn on_test_invoked(
        &mut self,
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        result: Result<TestInvokeResult, String>,
    ) {
        let Some(ui) = self.invoke.as_mut() else {
            return;
        };
        if (
            ui.rest_api_id.as_str(),
            ui.resource_id.as_str(),
            ui.http_method.as_str(),
        ) != (
            rest_api_id.as_str(),
            resource_id.as_str(),
            http_method.as_str(),
        ) {
            return;
        }
        let summary = match &result {
            Ok(r) => format!(
                "test {http_method} {} → {} in {} ms",
                ui.resource_path, r.status, r.latency
            ),
            Err(e) => format!("test {http_method} {} failed: {e}", ui.resource_path),
        };
        let level = match &result {
            Ok(r) if r.status < 400 => Level::Info,
            Ok(_) => Level::Warn,
            Err(_) => Level::Error,
        };
        ui.result = Some(result);
        self.flash(level, summary);
    }

    /// The Invoke view's lines (filtered by `/`): the request, the response, the log.
    pub fn invoke_lines(&self) -> Vec<InvokeLine> {
        let Some(ui) = &self.invoke else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut push = |kind, text: String| out.push(InvokeLine { kind, text });
        let s = &ui.sample;
        push(
            InvokeLineKind::Heading,
            format!(
                "request  {} {}",
                ui.http_method,
                s.path_with_query(&ui.resource_path)
            ),
        );
        for (k, v) in &s.headers {
            push(InvokeLineKind::Field, format!("  {k}: {v}"));
        }
        if !s.stage_variables.is_empty() {
            let vars: Vec<String> = s
                .stage_variables
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            push(
                InvokeLineKind::Field,
                format!("  stage variables: {}", vars.join(", ")),
            );
        }
        for line in s.body.lines() {
            push(InvokeLineKind::Body, format!("  {line}"));
        }
        match &ui.result {
            None => push(InvokeLineKind::Heading, "response  running…".into()),
            Some(Err(e)) => {
                push(InvokeLineKind::Heading, "response".into());
                push(InvokeLineKind::Error, format!("  {e}"));
            }
            Some(Ok(r)) => {
                push(
                    InvokeLineKind::Heading,
                    format!("response  {} · {} ms", r.status, r.latency),
                );
                for (k, vs) in &r.multi_value_headers {
                    for v in vs {
                        push(InvokeLineKind::Field, format!("  {k}: {v}"));
                    }
                }
                let body = serde_json::from_str::<serde_json::Value>(&r.body)
                    .ok()
                    .filter(|v| v.is_object() || v.is_array())
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or_else(|| r.body.clone());
                for line in body.lines() {
                    push(InvokeLineKind::Body, format!("  {line}"));
                }
                let mut log = r.log.lines();
                let title = log
                    .next()
                    .and_then(|l| l.strip_prefix("Execution log for request "))
                    .map(|id| format!("execution log  request {id}"))
                    .unwrap_or_else(|| "execution log".into());
                push(InvokeLineKind::Heading, title);
                for line in log {
                    // `Sun Nov 22 08:00:00 UTC 2026 : message` → `08:00:00 message`.
                    let shown = match line.split_once(" : ") {
                        Some((stamp, msg)) => {
                            let time = stamp.split(' ').nth(3).unwrap_or(stamp);
                            format!("  {time} {msg}")
                        }
                        None => format!("  {line}"),
                    };
                    push(InvokeLineKind::Log, shown);
                }
            }
        }
        let kept: Vec<InvokeLine> = match self.filter(ViewKind::Invoke) {
            Some(f) => out.into_iter().filter(|l| f.matches(&l.text)).collect(),
            None => out,
        };
        // Long lines (bodies, log lines with headers) wrap to the pane's width rather than
        // being cut: the pane has a border on each side.
        let width = usize::from(self.size.0.saturating_sub(2)).max(20);
        kept.into_iter().flat_map(|l| wrap(l, width)).collect()
    }
}

/// Splits a line into rows of at most `width` characters; continuation rows keep the
/// line's indentation plus two spaces.
fn wrap(line: InvokeLine, width: usize) -> Vec<InvokeLine> {
    if line.text.chars().count() <= width {
        return vec![line];
    }
    let indent = line.text.len() - line.text.trim_start().len() + 2;
    let room = width.saturating_sub(indent).max(1);
    let mut chars = line.text.chars();
    let mut rows = vec![InvokeLine {
        kind: line.kind,
        text: chars.by_ref().take(width).collect(),
    }];
    loop {
        let rest: String = chars.by_ref().take(room).collect();
        if rest.is_empty() {
            return rows;
        }
        rows.push(InvokeLine {
            kind: line.kind,
            text: format!("{}{rest}", " ".repeat(indent)),
        });
    }
}
