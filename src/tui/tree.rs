//! The resource tree of an API for tui-tree-widget: resources nest by parent, each holds
//! its methods, each method its mapping templates. Identifiers: `r:ID` (resource),
//! `m:VERB` (method), `q:CONTENT_TYPE` (request template), `s:STATUS:CONTENT_TYPE`
//! (response template). Under a filter the matching resources are listed flat.

use ratatui::text::Line;
use tui_tree_widget::TreeItem;

use crate::model::{ApiDefinition, Method, Resource};

use super::effect::TemplateTarget;
use super::filter::Filter;

/// What a tree identifier points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeRef {
    Resource {
        resource_id: String,
    },
    Method {
        resource_id: String,
        http_method: String,
    },
    Template {
        resource_id: String,
        http_method: String,
        target: TemplateTarget,
    },
}

impl NodeRef {
    pub fn resource_id(&self) -> &str {
        match self {
            NodeRef::Resource { resource_id }
            | NodeRef::Method { resource_id, .. }
            | NodeRef::Template { resource_id, .. } => resource_id,
        }
    }

    pub fn http_method(&self) -> Option<&str> {
        match self {
            NodeRef::Resource { .. } => None,
            NodeRef::Method { http_method, .. } | NodeRef::Template { http_method, .. } => {
                Some(http_method)
            }
        }
    }
}

/// The templates of a method, in display order.
pub fn templates(m: &Method) -> Vec<TemplateTarget> {
    let mut out = Vec::new();
    if let Some(i) = &m.method_integration {
        for ct in i.request_templates.keys() {
            out.push(TemplateTarget::Request {
                content_type: ct.clone(),
            });
        }
        for (code, r) in &i.integration_responses {
            for ct in r.response_templates.keys() {
                out.push(TemplateTarget::Response {
                    status_code: code.clone(),
                    content_type: ct.clone(),
                });
            }
        }
    }
    out
}

pub fn template_id(t: &TemplateTarget) -> String {
    match t {
        TemplateTarget::Request { content_type } => format!("q:{content_type}"),
        TemplateTarget::Response {
            status_code,
            content_type,
        } => format!("s:{status_code}:{content_type}"),
        TemplateTarget::HttpMappings { integration_id } => format!("m:{integration_id}"),
    }
}

fn method_item(verb: &str, m: &Method) -> TreeItem<'static, String> {
    let kind = m
        .method_integration
        .as_ref()
        .map(|i| i.integration_type.as_str())
        .unwrap_or("no integration");
    let children: Vec<TreeItem<'static, String>> = templates(m)
        .iter()
        .map(|t| TreeItem::new_leaf(template_id(t), format!("⎘ {}", t.label())))
        .collect();
    let text = Line::from(format!("{verb:<7} → {kind}"));
    TreeItem::new(format!("m:{verb}"), text, children)
        .unwrap_or_else(|_| TreeItem::new_leaf(format!("m:{verb}"), format!("{verb} → {kind}")))
}

fn resource_item(def: &ApiDefinition, r: &Resource, depth: usize) -> TreeItem<'static, String> {
    let mut children: Vec<TreeItem<'static, String>> = r
        .resource_methods
        .iter()
        .map(|(verb, m)| method_item(verb, m))
        .collect();
    if depth < 64 {
        for child in def
            .resources
            .iter()
            .filter(|c| c.parent_id.as_deref() == Some(r.id.as_str()))
        {
            children.push(resource_item(def, child, depth + 1));
        }
    }
    let label = match &r.path_part {
        Some(p) => format!("/{p}"),
        None => "/".to_string(),
    };
    let id = format!("r:{}", r.id);
    TreeItem::new(id.clone(), label.clone(), children)
        .unwrap_or_else(|_| TreeItem::new_leaf(id, label))
}

/// The tree items for an API, honouring a filter.
pub fn build(def: &ApiDefinition, filter: Option<&Filter>) -> Vec<TreeItem<'static, String>> {
    match filter {
        Some(f) => def
            .resources
            .iter()
            .filter(|r| {
                let verbs: Vec<&str> = r.resource_methods.keys().map(String::as_str).collect();
                f.matches(&format!("{} {}", r.path, verbs.join(" ")))
            })
            .map(|r| {
                let children = r
                    .resource_methods
                    .iter()
                    .map(|(v, m)| method_item(v, m))
                    .collect();
                let id = format!("r:{}", r.id);
                TreeItem::new(id.clone(), r.path.clone(), children)
                    .unwrap_or_else(|_| TreeItem::new_leaf(id, r.path.clone()))
            })
            .collect(),
        None => def
            .root()
            .map(|r| vec![resource_item(def, r, 0)])
            .unwrap_or_default(),
    }
}

/// Resolves a selected identifier path to what it names.
pub fn resolve(def: &ApiDefinition, ident: &[String]) -> Option<NodeRef> {
    let resource_id = ident
        .iter()
        .rev()
        .find_map(|s| s.strip_prefix("r:"))?
        .to_string();
    let resource = def.resource(&resource_id)?;
    let verb = ident.iter().rev().find_map(|s| s.strip_prefix("m:"));
    let Some(verb) = verb else {
        return Some(NodeRef::Resource { resource_id });
    };
    let method = resource.resource_methods.get(verb)?;
    let last = ident.last()?;
    let target = if let Some(ct) = last.strip_prefix("q:") {
        Some(TemplateTarget::Request {
            content_type: ct.to_string(),
        })
    } else if let Some(rest) = last.strip_prefix("s:") {
        rest.split_once(':')
            .map(|(code, ct)| TemplateTarget::Response {
                status_code: code.into(),
                content_type: ct.into(),
            })
    } else {
        None
    };
    match target {
        Some(target) if templates(method).contains(&target) => Some(NodeRef::Template {
            resource_id,
            http_method: verb.to_string(),
            target,
        }),
        Some(_) => None,
        None => Some(NodeRef::Method {
            resource_id,
            http_method: verb.to_string(),
        }),
    }
}
