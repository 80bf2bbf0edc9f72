//! API Gateway's mapping layer on top of [`crate::vtl`]: `$input`, `$util`, `$context`,
//! `$stageVariables`, JSONPath (Jayway dialect), parameter-mapping expressions and
//! gateway-response substitution (spec: `mapping.md`, `execution.md` §9–§11).
//!
//! # Public API
//! * [`RequestData`] — the method request as templates see it (body text, path params,
//!   query string and headers as `(name, value)` pairs in arrival order, repeats allowed).
//! * [`render_request_template`]`(&Template, &RequestData, &serde_json::Value /*$context*/,
//!   &IndexMap<String, String> /*stage variables*/) -> Result<Rendered, RenderError>`.
//! * [`render_response_template`]`(&Template, integration_body: &str, &RequestData, context,
//!   stage_variables) -> Result<Rendered, RenderError>` — `$input.body/json/path` read the
//!   integration response body, `$input.params()` still the method request.
//! * [`Rendered`]` { body, overrides: `[`Overrides`]` { status, headers, path, querystring } }`.
//! * [`ParamExpr`]`::parse(&str)` + [`ParamExpr::eval`]` / `[`ParamExpr::eval_multi`] over
//!   [`ParamSources`] — `method.request.*`, `integration.response.*`, `stageVariables.x`,
//!   `context.a.b`, `'literal'`.
//! * [`substitute_gateway_template`] — gateway-response templates (not VTL).
//! * [`substitute_stage_variables`] — `${stageVariables.x}` in integration URIs.
//! * [`jsonpath::JaywayPath`] — the JSONPath shim.
//! * [`conformance::render_case`] / [`conformance::render_parts`] — for the CLI and tests.
//!
//! `$context` is supplied by the caller as a JSON object (nested objects, string/number/null
//! leaves); the template may write `$context.requestOverride.*` (request templates) or
//! `$context.responseOverride.*` (response templates), returned in [`Overrides`].
//!
//! # Known gaps
//! * Overriding the same parameter twice is not detected (API Gateway answers 5XX).
//! * `$input.json` prints numbers and escapes strings the serde_json way (`1e21`, `/` not
//!   escaped) where API Gateway's JSON library may differ in such corner cases.
//! * Repeated query keys/headers: `params()`, `querystring.x` and `header.x` use the last
//!   value (AWS's choice is unverified, see mapping.md §3).

pub mod conformance;
mod context;
mod gateway_response;
mod input;
pub mod jsonpath;
pub mod model_template;
mod param_expr;
pub mod util;

use indexmap::IndexMap;

pub use context::{Overrides, carried_response_overrides};
pub use gateway_response::{substitute_gateway_template, substitute_stage_variables};
pub use param_expr::{IntegrationResponseData, ParamExpr, ParamExprError, ParamSources};

use crate::vtl::{Host, HostId, Limits, RenderError, Template, Value};
use context::OverrideKind;
use input::Input;

/// The method request as mapping templates and expressions see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestData {
    /// The payload as text (a binary payload is given base64-encoded, as API Gateway does).
    pub body: String,
    /// Path parameters.
    pub path: Vec<(String, String)>,
    /// Query-string parameters in arrival order (a name may repeat).
    pub querystring: Vec<(String, String)>,
    /// Headers in arrival order, names as sent (a name may repeat).
    pub headers: Vec<(String, String)>,
}

impl RequestData {
    /// Path parameter `name`.
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.path
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Query parameter `name` (the last value when repeated).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.querystring
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// All values of query parameter `name`.
    pub fn query_params(&self, name: &str) -> Vec<&str> {
        self.querystring
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Header `name`, matched case-insensitively (the last value when repeated).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All values of header `name`.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// A rendered mapping template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The output text.
    pub body: String,
    /// What the template wrote into `$context.requestOverride` / `responseOverride`.
    pub overrides: Overrides,
    /// Both override objects after the render, as JSON (`None` when the template never
    /// mentions `$context`): a request template's are carried to the response template.
    pub carried: Option<serde_json::Value>,
}

const INPUT: HostId = 1;
const UTIL: HostId = 2;

/// Host objects of a mapping render: `$input` and `$util`.
struct GatewayHost<'a> {
    input: Input<'a>,
    max_string: usize,
}

impl Host for GatewayHost<'_> {
    fn call(&self, id: HostId, name: &str, args: &[Value]) -> Result<Option<Value>, String> {
        match id {
            INPUT => self.input.call(name, args),
            UTIL => util::call(name, args, self.max_string),
            _ => Ok(None),
        }
    }

    fn write_call(
        &self,
        id: HostId,
        name: &str,
        args: &[Value],
        out: &mut String,
    ) -> Result<bool, String> {
        match id {
            UTIL => util::write_call(name, args, self.max_string, out),
            _ => Ok(false),
        }
    }

    fn write_call_str(
        &self,
        id: HostId,
        name: &str,
        arg: &str,
        out: &mut String,
    ) -> Result<bool, String> {
        match id {
            UTIL => util::write_call_str(name, arg, self.max_string, out),
            _ => Ok(false),
        }
    }

    fn write_call_json_str(
        &self,
        id: HostId,
        name: &str,
        raw: &str,
        out: &mut String,
    ) -> Result<bool, String> {
        match id {
            UTIL => util::write_call_json_str(name, raw, self.max_string, out),
            _ => Ok(false),
        }
    }
}

/// Limits of mapping renders: Velocity's defaults (1000 iterations per `#foreach`), output
/// capped at API Gateway's 10 MB payload size.
pub fn limits() -> Limits {
    Limits::default()
}

fn render(
    template: &Template,
    body: &str,
    request: &RequestData,
    context: &serde_json::Value,
    stage_variables: &IndexMap<String, String>,
    kind: OverrideKind,
) -> Result<Rendered, RenderError> {
    // A template that is only text (`{"statusCode": 200}`, a fixed MOCK response) renders to
    // that text: no scope, no evaluator, one allocation for the output.
    if let Some(body) = literal_text(template) {
        return Ok(Rendered {
            body,
            overrides: Overrides::default(),
            carried: None,
        });
    }
    let limits = limits();
    let host = GatewayHost {
        input: Input::new(body, request),
        max_string: limits.max_output,
    };
    let mut scope = template.new_scope();
    scope.set("input", Value::Host(INPUT));
    scope.set("util", Value::Host(UTIL));
    // Building $context and $stageVariables costs allocations; skip what the template never
    // mentions (it cannot reach them any other way).
    if template.references("context") {
        scope.set("context", context::context_value(context, kind));
    }
    if template.references("stageVariables") {
        scope.set(
            "stageVariables",
            context::stage_variables_value(stage_variables),
        );
    }
    // Mapped output is usually about the size of the payload it maps (or more).
    let expected = body.len().saturating_mul(2);
    let body = template.render_sized(&mut scope, &host, &limits, expected)?;
    let (overrides, carried) = match scope.get("context") {
        Some(c) => (
            context::extract_overrides(c, kind),
            Some(context::carried_overrides(c)),
        ),
        None => (Overrides::default(), None),
    };
    Ok(Rendered {
        body,
        overrides,
        carried,
    })
}

/// The output of a template made of literal text only (it reads nothing and sets nothing).
pub fn literal_text(template: &Template) -> Option<String> {
    let nodes = template.nodes();
    if !nodes
        .iter()
        .all(|n| matches!(n, crate::vtl::ast::Node::Text(_)))
    {
        return None;
    }
    let len: usize = nodes
        .iter()
        .map(|n| match n {
            crate::vtl::ast::Node::Text(t) => t.len(),
            _ => 0,
        })
        .sum();
    if len > limits().max_output {
        return None; // the evaluator reports it
    }
    let mut body = String::with_capacity(len);
    for node in nodes {
        if let crate::vtl::ast::Node::Text(t) = node {
            body.push_str(t);
        }
    }
    Some(body)
}

/// Render an integration request template (`$input` = the method request).
pub fn render_request_template(
    template: &Template,
    request: &RequestData,
    context: &serde_json::Value,
    stage_variables: &IndexMap<String, String>,
) -> Result<Rendered, RenderError> {
    render(
        template,
        &request.body,
        request,
        context,
        stage_variables,
        OverrideKind::Request,
    )
}

/// Render an integration response template: `$input.body/json/path` read
/// `integration_body`; `$input.params()` still reads the method request.
pub fn render_response_template(
    template: &Template,
    integration_body: &str,
    request: &RequestData,
    context: &serde_json::Value,
    stage_variables: &IndexMap<String, String>,
) -> Result<Rendered, RenderError> {
    render(
        template,
        integration_body,
        request,
        context,
        stage_variables,
        OverrideKind::Response,
    )
}

#[cfg(test)]
mod tests;
