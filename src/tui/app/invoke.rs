//! Test invocations (`i` on a method in Resources): TestInvokeMethod with the method's sample
//! request (the one the template editor's test panel edits, else a prefilled one), shown in
//! the `Invoke` view as request, response and execution log lines.

use super::{App, Level};
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
    /// `i`: tests the selected method (in the Invoke view: runs the same test again).
    pub(super) fn test_invoke(&mut self) -> Vec<Effect> {
        let target = match (self.view(), &self.invoke) {
            (ViewKind::Invoke, Some(ui)) => Some((ui.resource_id.clone(), ui.http_method.clone())),
            _ => self.tree_selection().and_then(|node| {
                let verb = node.http_method()?.to_string();
                Some((node.resource_id().to_string(), verb))
            }),
        };
        let Some((resource_id, verb)) = target else {
            self.flash(Level::Warn, "select a method first".into());
            return Vec::new();
        };
        let Some(def) = self.definition() else {
            return Vec::new();
        };
        let api_id = def.rest_api.id.clone();
        let Ok(method) = def.method(&resource_id, &verb) else {
            self.flash(Level::Warn, "select a method first".into());
            return Vec::new();
        };
        let Some(integration) = method.method_integration.as_ref() else {
            self.flash(Level::Warn, format!("{verb} has no integration to test"));
            return Vec::new();
        };
        let resource_path = def
            .resource(&resource_id)
            .map(|r| r.path.clone())
            .unwrap_or_default();
        let key = (api_id.clone(), resource_id.clone(), verb.clone());
        let edited = self.samples.get(&key).cloned();
        let prefilled = edited.is_none();
        let text = match edited {
            Some(text) => text,
            None => {
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
                SampleRequest::prefill(
                    method,
                    &resource_path,
                    &TemplateTarget::Request { content_type },
                    &vars,
                )
            }
        };
        let sample = match SampleRequest::parse(&text) {
            // A prefilled sample carries a body for request templates; a GET sent from it
            // should not (an edited sample is sent as the user wrote it).
            Ok(mut s)
                if prefilled && matches!(verb.as_str(), "GET" | "HEAD" | "DELETE" | "OPTIONS") =>
            {
                s.body.clear();
                s
            }
            Ok(s) => s,
            Err(e) => {
                self.flash(
                    Level::Error,
                    format!("{e} (edit it in the template editor)"),
                );
                return Vec::new();
            }
        };
        self.invoke = Some(InvokeUi {
            rest_api_id: api_id.clone(),
            resource_id: resource_id.clone(),
            http_method: verb.clone(),
            resource_path,
            sample: sample.clone(),
            result: None,
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
