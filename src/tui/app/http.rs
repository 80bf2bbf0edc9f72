//! The HTTP view's actions on HTTP APIs (v2): Enter makes the selected API the console's
//! current one (the dashboard and its stages follow it), `i` test-invokes the selected route
//! through the engine (the request a client would send to the stage), `e` edits the route
//! integration's parameter mappings (`requestParameters` / `responseParameters`) in the
//! template editor.

use super::{App, Level, PANE_TEMPLATE};
use crate::tui::app::invoke::InvokeUi;
use crate::tui::effect::{Effect, TemplateTarget};
use crate::tui::msg::{HttpApiSummary, HttpRouteRow};
use crate::tui::sample::SampleRequest;
use crate::tui::view::ViewKind;

/// `(verb, path template)` a test of a route key sends: `ANY` and `$default` as `GET`, the
/// `$default` route at `/`.
pub fn route_request(route_key: &str) -> (String, String) {
    match route_key.split_once(' ') {
        Some((verb, path)) if verb != "ANY" => (verb.to_string(), path.to_string()),
        Some((_, path)) => ("GET".into(), path.to_string()),
        None => ("GET".into(), "/".into()),
    }
}

/// A first sample for a route: every path parameter filled, a JSON body for verbs that
/// carry one.
pub fn route_sample(path: &str, verb: &str) -> SampleRequest {
    let params = path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let greedy = name.ends_with('+');
            let value = if greedy { "example/path" } else { "1" };
            (name.trim_end_matches('+').to_string(), value.to_string())
        })
        .collect();
    let with_body = !matches!(verb, "GET" | "HEAD" | "DELETE" | "OPTIONS");
    SampleRequest {
        body: if with_body {
            r#"{"name": "Rex"}"#.into()
        } else {
            String::new()
        },
        headers: if with_body {
            vec![("content-type".into(), "application/json".into())]
        } else {
            Vec::new()
        },
        querystring: Vec::new(),
        path: params,
        stage_variables: Vec::new(),
    }
}

/// The editor's text for a route's mappings.
pub fn mappings_text(route: &HttpRouteRow) -> String {
    let doc = serde_json::json!({
        "requestParameters": route.request_parameters,
        "responseParameters": route.response_parameters,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

impl App {
    /// The API under the HTTP view's cursor.
    pub fn selected_http_api(&self) -> Option<&HttpApiSummary> {
        let rows = self.http_rows();
        let last = rows.len().checked_sub(1)?;
        let i = *rows.get(self.cursor(ViewKind::Http, 0).min(last))?;
        self.http_apis.get(i)
    }

    /// The route under the routes pane's cursor.
    pub fn selected_http_route(&self) -> Option<&HttpRouteRow> {
        let api = self.selected_http_api()?;
        let last = api.routes.len().checked_sub(1)?;
        api.routes.get(self.cursor(ViewKind::Http, 1).min(last))
    }

    /// Enter: the API becomes the current one and its dashboard opens.
    pub(super) fn http_select(&mut self) -> Vec<Effect> {
        let Some(api) = self.selected_http_api() else {
            return Vec::new();
        };
        let (id, name) = (api.api_id.clone(), api.name.clone());
        if self.api_id.as_deref() != Some(id.as_str()) {
            self.choose_api(id);
        }
        let out = self.open_view(ViewKind::Dashboard);
        self.flash(
            Level::Info,
            format!("dashboard of HTTP API {name} (s: stage, m: route; 7: logs)"),
        );
        out
    }

    /// `i`: sends the selected route's test request to its `$default` stage (else its first).
    pub(super) fn http_test_invoke(&mut self) -> Vec<Effect> {
        let found = (|| {
            let api = self.selected_http_api().ok_or("no HTTP API selected")?;
            let route = self
                .selected_http_route()
                .ok_or_else(|| format!("{} has no routes to test", api.name))?;
            let stage = api
                .stages
                .iter()
                .find(|s| s.stage_name == crate::model::v2::DEFAULT)
                .or(api.stages.first())
                .ok_or_else(|| {
                    format!(
                        "{} has no stage: create one ($default with autoDeploy) to test its routes",
                        api.name
                    )
                })?;
            Ok::<_, String>((
                api.api_id.clone(),
                stage.stage_name.clone(),
                route.route_key.clone(),
            ))
        })();
        let (api_id, stage, route_key) = match found {
            Ok(f) => f,
            Err(e) => {
                self.flash(Level::Warn, e);
                return Vec::new();
            }
        };
        let (verb, path) = route_request(&route_key);
        let sample = route_sample(&path, &verb);
        self.start_http_invoke(InvokeUi {
            rest_api_id: api_id,
            resource_id: route_key,
            http_method: verb,
            resource_path: path,
            sample,
            result: None,
            http_stage: Some(stage),
        })
    }

    /// Shows the Invoke view for `ui` and asks for its request.
    fn start_http_invoke(&mut self, ui: InvokeUi) -> Vec<Effect> {
        let effect = Effect::TestInvokeHttp {
            api_id: ui.rest_api_id.clone(),
            stage: ui.http_stage.clone().unwrap_or_default(),
            route_key: ui.resource_id.clone(),
            method: ui.http_method.clone(),
            path: ui.sample.path_with_query(&ui.resource_path),
            sample: ui.sample.clone(),
        };
        self.invoke = Some(ui);
        if self.view() != ViewKind::Invoke {
            self.stack.push(ViewKind::Invoke);
        }
        self.cursors.insert((ViewKind::Invoke, 0), 0);
        vec![effect]
    }

    /// Whether the Invoke view shows an HTTP API route's test.
    pub(super) fn invoke_is_http(&self) -> bool {
        self.invoke
            .as_ref()
            .is_some_and(|ui| ui.http_stage.is_some())
    }

    /// `i` in the Invoke view of a route's test: the same request again.
    pub(super) fn http_rerun(&mut self) -> Vec<Effect> {
        match self.invoke.clone() {
            Some(ui) if ui.http_stage.is_some() => {
                self.start_http_invoke(InvokeUi { result: None, ..ui })
            }
            _ => Vec::new(),
        }
    }

    /// The `e` prompt's answer for a route's test: `/path?query` against the route's path,
    /// or a whole sample (`{"body": …}`).
    pub(super) fn http_retest(&mut self, text: &str) -> Result<Vec<Effect>, String> {
        let Some(ui) = self.invoke.clone() else {
            return Ok(Vec::new());
        };
        let sample = if text.starts_with('{') {
            SampleRequest::parse(text).map_err(|e| e.to_string())?
        } else {
            let mut s = ui.sample.clone();
            s.set_path_with_query(&ui.resource_path, text)?;
            s
        };
        Ok(self.start_http_invoke(InvokeUi {
            sample,
            result: None,
            ..ui
        }))
    }

    /// `e`: edits the selected route integration's parameter mappings as JSON.
    pub(super) fn http_edit_mappings(&mut self) -> Vec<Effect> {
        let found = (|| {
            let api = self.selected_http_api().ok_or("no HTTP API selected")?;
            let route = self.selected_http_route().ok_or("select a route first")?;
            let integration = route
                .integration_id
                .clone()
                .ok_or_else(|| format!("{} has no integration to map", route.route_key))?;
            Ok::<_, String>((api.api_id.clone(), route.clone(), integration))
        })();
        let (api_id, route, integration_id) = match found {
            Ok(f) => f,
            Err(e) => {
                self.flash(Level::Warn, e);
                return Vec::new();
            }
        };
        let (verb, path) = route_request(&route.route_key);
        let sample = route_sample(&path, &verb).to_json_text();
        let effects = self.open_text_editor(
            api_id,
            route.route_key.clone(),
            path,
            verb,
            TemplateTarget::HttpMappings { integration_id },
            mappings_text(&route),
            sample,
        );
        self.focus.insert(ViewKind::Editor, PANE_TEMPLATE);
        effects
    }
}
