//! Resources: the tree of resources, methods and templates, and the selected method's
//! execution path laid out as AWS's console does (method request → integration request →
//! integration → integration response → method response).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use tui_tree_widget::Tree;

use super::{empty, hit, pane};
use crate::engine::AwsSettings;
use crate::model::{Integration, IntegrationType, Method, Resource};
use crate::tui::app::App;
use crate::tui::theme::{Role, Theme};
use crate::tui::tree::{self, NodeRef};
use crate::tui::view::ViewKind;

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let focus = app.focus_of(ViewKind::Resources);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
    let Some(def) = app.definition() else {
        let block = pane(t, " resources ", true);
        let inner = block.inner(area);
        f.render_widget(block, area);
        empty(
            f,
            t,
            inner,
            "No API selected. 1 lists the APIs; Enter picks one.",
        );
        return;
    };
    let items = tree::build(def, app.filter(ViewKind::Resources));
    let block = pane(
        t,
        format!(
            " {} resources [{}] ",
            def.rest_api.name,
            def.resources.len()
        ),
        focus == 0,
    );
    match Tree::new(&items) {
        Ok(widget) => {
            let widget = widget
                .block(block)
                .highlight_style(t.get(Role::TableSelected))
                .style(t.get(Role::Body))
                .node_closed_symbol("▸ ")
                .node_open_symbol("▾ ")
                .node_no_children_symbol("  ");
            let mut state = app.tree.borrow_mut();
            f.render_stateful_widget(widget, left, &mut state);
        }
        Err(e) => {
            let inner = block.inner(left);
            f.render_widget(block, left);
            empty(f, t, inner, &format!("cannot draw the tree: {e}"));
        }
    }
    hit(app, left, 0, 1, 0, true);
    let detail = pane(t, " execution path ", focus == 1);
    let lines = match app.tree_selection() {
        Some(NodeRef::Resource { resource_id }) => match def.resource(&resource_id) {
            Some(r) => resource_lines(t, r),
            None => Vec::new(),
        },
        Some(node) => {
            let verb = node.http_method().unwrap_or_default().to_string();
            match def.method(node.resource_id(), &verb) {
                Ok(m) => {
                    let path = def
                        .resource(node.resource_id())
                        .map(|r| r.path.clone())
                        .unwrap_or_default();
                    method_lines(t, &path, m, &app.aws)
                }
                Err(_) => Vec::new(),
            }
        }
        None => vec![Line::from("Select a resource or method (j/k, l opens).")],
    };
    f.render_widget(
        Paragraph::new(lines)
            .block(detail)
            .wrap(Wrap { trim: false }),
        right,
    );
}

fn resource_lines<'a>(t: &Theme, r: &Resource) -> Vec<Line<'a>> {
    let key = t.get(Role::HeaderKey);
    let mut out = vec![
        Line::from(vec![
            Span::styled("path     ", key),
            Span::raw(r.path.clone()),
        ]),
        Line::from(vec![
            Span::styled("id       ", key),
            Span::raw(r.id.clone()),
        ]),
    ];
    let verbs: Vec<&str> = r.resource_methods.keys().map(String::as_str).collect();
    out.push(Line::from(vec![
        Span::styled("methods  ", key),
        Span::raw(if verbs.is_empty() {
            "none".to_string()
        } else {
            verbs.join(" ")
        }),
    ]));
    out
}

fn stage_title<'a>(t: &Theme, title: &str) -> Line<'a> {
    Line::from(Span::styled(format!("▌{title}"), t.get(Role::Title)))
}

/// An AWS service integration: the service, what it calls, where the call goes and with
/// which credentials (the integration's role is recorded; no STS runs locally).
fn aws_lines<'a>(t: &Theme, i: &Integration, aws: &AwsSettings) -> Vec<Line<'a>> {
    let Some(d) = i.uri.as_deref().and_then(|u| aws.describe_integration(u)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match d.service {
        Ok(service) => out.push(item(t, "service", service)),
        Err(e) => out.push(item(t, "service", e)),
    }
    if let Some(sends_to) = d.sends_to {
        out.push(item(t, "sends to", sends_to));
    }
    out.push(item(t, "credentials", d.credentials));
    if let Some(role) = &i.credentials {
        out.push(item(
            t,
            "role",
            format!("{role} (recorded; no STS locally)"),
        ));
    }
    out
}

fn arrow<'a>(t: &Theme) -> Line<'a> {
    Line::from(Span::styled("   ↓", t.get(Role::Dim)))
}

fn item<'a>(t: &Theme, k: &str, v: String) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("  {k:<13}"), t.get(Role::HeaderKey)),
        Span::raw(v),
    ])
}

/// The five boxes of a method's execution path.
pub fn method_lines<'a>(t: &Theme, path: &str, m: &Method, aws: &AwsSettings) -> Vec<Line<'a>> {
    let mut out = vec![Line::from(Span::styled(
        format!("{} {path}", m.http_method),
        t.get(Role::HeaderValue),
    ))];
    out.push(stage_title(t, "Method request"));
    out.push(item(t, "auth", m.authorization_type.as_str().to_string()));
    out.push(item(
        t,
        "API key",
        if m.api_key_required {
            "required"
        } else {
            "not required"
        }
        .to_string(),
    ));
    if let Some(v) = &m.request_validator_id {
        out.push(item(t, "validator", v.clone()));
    }
    for (p, req) in &m.request_parameters {
        out.push(item(
            t,
            "param",
            format!("{p}{}", if *req { " (required)" } else { "" }),
        ));
    }
    for (ct, model) in &m.request_models {
        out.push(item(t, "model", format!("{ct} → {model}")));
    }
    out.push(arrow(t));
    out.push(stage_title(t, "Integration request"));
    let Some(i) = &m.method_integration else {
        out.push(item(t, "", "no integration".into()));
        return out;
    };
    out.push(item(t, "type", i.integration_type.as_str().to_string()));
    out.push(item(
        t,
        "passthrough",
        i.passthrough_behavior.as_str().to_string(),
    ));
    for (to, from) in &i.request_parameters {
        out.push(item(t, "mapping", format!("{to} ← {from}")));
    }
    for (ct, body) in &i.request_templates {
        out.push(item(
            t,
            "template",
            format!("{ct} ({} lines, Enter edits)", body.lines().count().max(1)),
        ));
    }
    out.push(arrow(t));
    out.push(stage_title(t, "Integration"));
    let target = match (&i.http_method, &i.uri) {
        (Some(verb), Some(uri)) => format!("{verb} {uri}"),
        (None, Some(uri)) => uri.clone(),
        _ => "(mock)".to_string(),
    };
    out.push(item(t, "endpoint", target));
    if i.integration_type == IntegrationType::Aws {
        out.extend(aws_lines(t, i, aws));
    }
    out.push(item(t, "timeout", format!("{} ms", i.timeout_in_millis)));
    if !i.cache_key_parameters.is_empty() {
        out.push(item(t, "cache keys", i.cache_key_parameters.join(", ")));
    }
    out.push(arrow(t));
    out.push(stage_title(t, "Integration response"));
    if i.integration_type.is_proxy() {
        out.push(item(t, "", "passed through (proxy)".into()));
    }
    for (code, r) in &i.integration_responses {
        let pattern = if r.is_default() {
            "default".to_string()
        } else {
            format!("/{}/", r.selection_pattern.clone().unwrap_or_default())
        };
        let templates: Vec<&str> = r.response_templates.keys().map(String::as_str).collect();
        let extra = if templates.is_empty() {
            String::new()
        } else {
            format!(" · templates {}", templates.join(", "))
        };
        out.push(item(t, code, format!("{pattern}{extra}")));
    }
    out.push(arrow(t));
    out.push(stage_title(t, "Method response"));
    for (code, r) in &m.method_responses {
        let headers: Vec<&str> = r.response_parameters.keys().map(String::as_str).collect();
        let models: Vec<String> = r
            .response_models
            .iter()
            .map(|(k, v)| format!("{k} → {v}"))
            .collect();
        out.push(item(
            t,
            code,
            format!("{} {}", headers.join(", "), models.join(", "))
                .trim()
                .to_string(),
        ));
    }
    if m.method_responses.is_empty() {
        out.push(item(t, "", "none declared".into()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::AwsConfig;

    fn text(lines: &[Line<'_>]) -> String {
        lines
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn an_aws_method_shows_its_service_destination_and_credentials() {
        let method = Method {
            http_method: "POST".into(),
            method_integration: Some(Integration {
                integration_type: IntegrationType::Aws,
                http_method: Some("POST".into()),
                uri: Some("arn:aws:apigateway:eu-west-1:sqs:path/123456789012/orders".into()),
                credentials: Some("arn:aws:iam::123456789012:role/apigw".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let t = Theme::default();
        let unconfigured = text(&method_lines(
            &t,
            "/orders",
            &method,
            &AwsSettings::default(),
        ));
        assert!(
            unconfigured.contains("service      sqs in eu-west-1 · path /123456789012/orders"),
            "{unconfigured}"
        );
        assert!(
            unconfigured.contains("sends to     not configured: set [aws] endpoint_url"),
            "{unconfigured}"
        );
        assert!(unconfigured.contains("credentials  none"), "{unconfigured}");
        assert!(
            unconfigured
                .contains("arn:aws:iam::123456789012:role/apigw (recorded; no STS locally)")
        );
        let settings = AwsSettings::resolve(
            &AwsConfig {
                endpoint_url: Some("http://127.0.0.1:5000".into()),
                access_key_id: Some("AKID".into()),
                secret_access_key: Some("S".into()),
                ..Default::default()
            },
            |_| None,
            None,
        )
        .unwrap();
        let configured = text(&method_lines(&t, "/orders", &method, &settings));
        assert!(
            configured.contains("sends to     http://127.0.0.1:5000 ([aws] endpoint_url)"),
            "{configured}"
        );
        assert!(
            configured.contains("signed with AKID (config file [aws])"),
            "{configured}"
        );
    }
}
