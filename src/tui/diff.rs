//! What changed between two deployments, computed from their frozen definitions:
//! resources added/removed, methods added/removed/changed (auth, api key, integration),
//! and mapping templates changed.

use crate::model::{ApiDefinition, Method};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub change: Change,
    /// `/pets`, `GET /pets`, `GET /pets request application/json`.
    pub subject: String,
    pub detail: String,
}

fn templates(m: &Method) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(i) = &m.method_integration {
        for (ct, t) in &i.request_templates {
            out.push((format!("request {ct}"), t.clone()));
        }
        for (code, r) in &i.integration_responses {
            for (ct, t) in &r.response_templates {
                out.push((format!("response {code} {ct}"), t.clone()));
            }
        }
    }
    out
}

fn method_changes(path: &str, verb: &str, a: &Method, b: &Method, out: &mut Vec<DiffLine>) {
    let subject = format!("{verb} {path}");
    let mut push = |detail: String| {
        out.push(DiffLine {
            change: Change::Changed,
            subject: subject.clone(),
            detail,
        })
    };
    if a.authorization_type != b.authorization_type {
        push(format!(
            "authorization {} → {}",
            a.authorization_type.as_str(),
            b.authorization_type.as_str()
        ));
    }
    if a.api_key_required != b.api_key_required {
        push(format!(
            "apiKeyRequired {} → {}",
            a.api_key_required, b.api_key_required
        ));
    }
    match (&a.method_integration, &b.method_integration) {
        (Some(x), Some(y)) => {
            if x.integration_type != y.integration_type {
                push(format!(
                    "integration {} → {}",
                    x.integration_type.as_str(),
                    y.integration_type.as_str()
                ));
            }
            if x.uri != y.uri {
                push(format!(
                    "uri {} → {}",
                    x.uri.as_deref().unwrap_or("-"),
                    y.uri.as_deref().unwrap_or("-")
                ));
            }
            if x.timeout_in_millis != y.timeout_in_millis {
                push(format!(
                    "timeout {} → {} ms",
                    x.timeout_in_millis, y.timeout_in_millis
                ));
            }
            if x.request_parameters != y.request_parameters
                || x.passthrough_behavior != y.passthrough_behavior
            {
                push("integration request settings changed".into());
            }
        }
        (None, Some(_)) => push("integration added".into()),
        (Some(_), None) => push("integration removed".into()),
        (None, None) => {}
    }
    if a.method_responses != b.method_responses {
        push("method responses changed".into());
    }
    let ta = templates(a);
    let tb = templates(b);
    for (name, body) in &tb {
        match ta.iter().find(|(n, _)| n == name) {
            None => out.push(DiffLine {
                change: Change::Added,
                subject: format!("{subject} {name}"),
                detail: "template added".into(),
            }),
            Some((_, old)) if old != body => out.push(DiffLine {
                change: Change::Changed,
                subject: format!("{subject} {name}"),
                detail: format!(
                    "template changed ({} → {} lines)",
                    old.lines().count(),
                    body.lines().count()
                ),
            }),
            _ => {}
        }
    }
    for (name, _) in &ta {
        if !tb.iter().any(|(n, _)| n == name) {
            out.push(DiffLine {
                change: Change::Removed,
                subject: format!("{subject} {name}"),
                detail: "template removed".into(),
            });
        }
    }
}

/// Changes from `old` to `new`, ordered by resource path.
pub fn diff(old: &ApiDefinition, new: &ApiDefinition) -> Vec<DiffLine> {
    let mut out = Vec::new();
    let mut paths: Vec<&str> = old
        .resources
        .iter()
        .chain(&new.resources)
        .map(|r| r.path.as_str())
        .collect();
    paths.sort_unstable();
    paths.dedup();
    for path in paths {
        match (old.resource_by_path(path), new.resource_by_path(path)) {
            (None, Some(r)) => {
                out.push(DiffLine {
                    change: Change::Added,
                    subject: path.to_string(),
                    detail: "resource added".into(),
                });
                for verb in r.resource_methods.keys() {
                    out.push(DiffLine {
                        change: Change::Added,
                        subject: format!("{verb} {path}"),
                        detail: "method added".into(),
                    });
                }
            }
            (Some(r), None) => {
                out.push(DiffLine {
                    change: Change::Removed,
                    subject: path.to_string(),
                    detail: "resource removed".into(),
                });
                for verb in r.resource_methods.keys() {
                    out.push(DiffLine {
                        change: Change::Removed,
                        subject: format!("{verb} {path}"),
                        detail: "method removed".into(),
                    });
                }
            }
            (Some(a), Some(b)) => {
                for (verb, mb) in &b.resource_methods {
                    match a.resource_methods.get(verb) {
                        None => out.push(DiffLine {
                            change: Change::Added,
                            subject: format!("{verb} {path}"),
                            detail: "method added".into(),
                        }),
                        Some(ma) => method_changes(path, verb, ma, mb, &mut out),
                    }
                }
                for verb in a.resource_methods.keys() {
                    if !b.resource_methods.contains_key(verb) {
                        out.push(DiffLine {
                            change: Change::Removed,
                            subject: format!("{verb} {path}"),
                            detail: "method removed".into(),
                        });
                    }
                }
            }
            (None, None) => {}
        }
    }
    out
}
