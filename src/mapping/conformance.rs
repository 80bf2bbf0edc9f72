//! Rendering of conformance cases (`shared/conformance/vtl` format) and of ad-hoc parts, for
//! the `gwtui template render` command and the conformance tests.
//!
//! * [`render_case`]`(json) -> Result<String, CaseError>` renders one case file.
//! * [`render_parts`]`(template, body, headers, query, path, stage_vars, flavour)` renders a
//!   template against the given request with [`default_context`] as `$context`.
//!
//! A [`CaseError`] prints with the template's line and column for syntax errors.

use indexmap::IndexMap;
use serde_json::Value as Json;

use super::{RequestData, render_request_template, render_response_template};
use crate::vtl::{ParseError, RenderError, Template};

/// Which kind of template a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavour {
    /// Integration request template (`$input` is the method request).
    #[default]
    Request,
    /// Integration response template (`$input` body is the backend response).
    Response,
}

impl std::str::FromStr for Flavour {
    type Err = CaseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "request" => Ok(Flavour::Request),
            "response" => Ok(Flavour::Response),
            other => Err(CaseError::Invalid(format!(
                "flavour must be \"request\" or \"response\", not {other:?}"
            ))),
        }
    }
}

/// Why a case could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The case file is not valid JSON or lacks a field.
    #[error("invalid case: {0}")]
    Invalid(String),
    /// The template has a syntax error.
    #[error("template syntax error at {0}")]
    Parse(#[from] ParseError),
    /// Rendering failed.
    #[error("template render failed: {0}")]
    Render(#[from] RenderError),
}

fn string_pairs(v: Option<&Json>, field: &str) -> Result<Vec<(String, String)>, CaseError> {
    match v {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::Object(o)) => o
            .iter()
            .map(|(k, v)| match v {
                Json::String(s) => Ok((k.clone(), s.clone())),
                other => Ok((k.clone(), other.to_string())),
            })
            .collect(),
        Some(_) => Err(CaseError::Invalid(format!("{field} must be an object"))),
    }
}

/// Render one case file (the JSON text of `cases/<name>.json`).
pub fn render_case(json: &str) -> Result<String, CaseError> {
    let case: Json = serde_json::from_str(json).map_err(|e| CaseError::Invalid(e.to_string()))?;
    let template = case
        .get("template")
        .and_then(Json::as_str)
        .ok_or_else(|| CaseError::Invalid("missing \"template\"".into()))?;
    let flavour = match case.get("flavour").and_then(Json::as_str) {
        Some(f) => f.parse()?,
        None => Flavour::Request,
    };
    let input = case.get("input");
    let body = input
        .and_then(|i| i.get("body"))
        .and_then(Json::as_str)
        .unwrap_or("");
    let request = RequestData {
        body: String::new(),
        path: string_pairs(input.and_then(|i| i.get("path")), "input.path")?,
        querystring: string_pairs(
            input.and_then(|i| i.get("querystring")),
            "input.querystring",
        )?,
        headers: string_pairs(input.and_then(|i| i.get("headers")), "input.headers")?,
    };
    let stage: IndexMap<String, String> =
        string_pairs(case.get("stageVariables"), "stageVariables")?
            .into_iter()
            .collect();
    let context = case
        .get("context")
        .cloned()
        .unwrap_or_else(|| Json::Object(Default::default()));
    render_with(template, body, request, &context, &stage, flavour)
}

fn render_with(
    template: &str,
    body: &str,
    mut request: RequestData,
    context: &Json,
    stage: &IndexMap<String, String>,
    flavour: Flavour,
) -> Result<String, CaseError> {
    let t = Template::parse(template)?;
    let rendered = match flavour {
        Flavour::Request => {
            request.body = body.to_string();
            render_request_template(&t, &request, context, stage)?
        }
        Flavour::Response => render_response_template(&t, body, &request, context, stage)?,
    };
    Ok(rendered.body)
}

/// The `$context` [`render_parts`] uses: fixed, realistic values (no clock, no randomness).
pub fn default_context() -> Json {
    serde_json::json!({
        "accountId": "123456789012",
        "apiId": "abcdef1234",
        "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "abcdef1234",
        "extendedRequestId": "AbCdEfGhIjKlMnO=",
        "httpMethod": "POST",
        "identity": {"sourceIp": "127.0.0.1", "userAgent": "gwtui"},
        "path": "/test/",
        "protocol": "HTTP/1.1",
        "requestId": "00000000-0000-0000-0000-000000000000",
        "requestTime": "01/Jan/2025:00:00:00 +0000",
        "requestTimeEpoch": 1735689600000i64,
        "resourceId": "abc123",
        "resourcePath": "/",
        "stage": "test"
    })
}

/// Render `template` against the given request parts (pairs in arrival order), with
/// [`default_context`] as `$context`.
pub fn render_parts(
    template: &str,
    body: &str,
    headers: &[(String, String)],
    query: &[(String, String)],
    path: &[(String, String)],
    stage_vars: &[(String, String)],
    flavour: Flavour,
) -> Result<String, CaseError> {
    let request = RequestData {
        body: String::new(),
        path: path.to_vec(),
        querystring: query.to_vec(),
        headers: headers.to_vec(),
    };
    let stage: IndexMap<String, String> = stage_vars.iter().cloned().collect();
    render_with(template, body, request, &default_context(), &stage, flavour)
}

/// Parse and render arbitrary bytes: the template is the text before the first NUL byte, the
/// request/response body the text after it. Used by the fuzz target and by the test that
/// replays committed fuzz inputs; it must never panic, and rendering stays within small caps.
pub fn exercise(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (template, body) = text
        .split_once('\0')
        .unwrap_or((&text, "{\"a\":[1,{\"b\":\"c\"}]}"));
    let Ok(t) = Template::parse(template) else {
        return;
    };
    let request = RequestData {
        body: body.to_string(),
        path: vec![("id".into(), "1".into())],
        querystring: vec![("q".into(), "x".into()), ("q".into(), "y".into())],
        headers: vec![("Accept".into(), "*/*".into())],
    };
    let mut stage = IndexMap::new();
    stage.insert("s".to_string(), "v".to_string());
    let context = default_context();
    let _ = render_request_template(&t, &request, &context, &stage);
    let _ = render_response_template(&t, body, &request, &context, &stage);
}

/// Templates [`exercise_json`] renders over a fuzzed body through `$input.path('$')` (the
/// lazy document): reads, iteration, conditions, escaping and mutation.
const JSON_TEMPLATES: &[&str] = &[
    "#set($d = $input.path('$'))$d",
    "#set($d = $input.path('$'))#foreach($e in $d)[$e.id $e.name $util.escapeJavaScript($e.name)]#if($e.n > 0)+#end#if($foreach.hasNext),#end#end",
    "#set($d = $input.path('$'))#foreach($e in $d)#foreach($f in $e)<$f>#end;#end",
    "#set($d = $input.path('$'))$d.size() $d.a $d['b'] $d.keySet() $d.values() $d.entrySet()",
    "#set($d = $input.path('$'))#set($x = $d.put('k', $d))#set($y = $d.add(1))$d.remove('a') $d",
    "#set($d = $util.parseJson($input.body))$d.equals($input.path('$')) $d == $input.path('$')",
];

/// Differential check of the lazy JSON document against the eager reader on arbitrary
/// bytes: where the tape parser takes the text, both print the same (Java and JSON forms,
/// type name), and the tape never takes what the eager reader refuses; then a few templates
/// render over the same body (which must not panic). Used by the `vtl_json` fuzz target and
/// the regression replay test; panics on a disagreement.
pub fn exercise_json(data: &[u8]) {
    use crate::vtl::json::JsonDoc;
    use crate::vtl::value::parse_json;
    let text = String::from_utf8_lossy(data);
    match (JsonDoc::parse(&text), parse_json(&text)) {
        (Some(lazy), Ok(eager)) => {
            let java = |v: &crate::vtl::Value| v.to_java_string(usize::MAX).ok();
            let json = |v: &crate::vtl::Value| {
                let mut s = String::new();
                v.write_json(&mut s, usize::MAX, 0).ok().map(|()| s)
            };
            assert_eq!(java(&lazy), java(&eager), "Java form of {text:?}");
            assert_eq!(json(&lazy), json(&eager), "JSON form of {text:?}");
            assert_eq!(lazy.type_name(), eager.type_name(), "type of {text:?}");
        }
        (Some(lazy), Err(e)) => {
            panic!("{text:?}: the tape took it as {lazy:?}, the eager reader refused it: {e}")
        }
        (None, _) => {}
    }
    let request = RequestData {
        body: text.to_string(),
        path: Vec::new(),
        querystring: Vec::new(),
        headers: Vec::new(),
    };
    let context = default_context();
    let stage = IndexMap::new();
    for src in JSON_TEMPLATES {
        if let Ok(t) = Template::parse(src) {
            let _ = render_request_template(&t, &request, &context, &stage);
        }
    }
}
