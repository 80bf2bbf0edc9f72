//! Parameter-mapping expressions (not VTL): the source side of `requestParameters` and
//! `responseParameters` (model.md §5.2, mapping.md §8). Parsed once when a deployment is
//! compiled, evaluated per request against borrowed data.

use indexmap::IndexMap;
use serde_json::Value as Json;

use super::RequestData;
use super::jsonpath::JaywayPath;

type MakeExpr = fn(String) -> ParamExpr;

/// A mapping expression that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid mapping expression {expr:?}: {message}")]
pub struct ParamExprError {
    /// The expression.
    pub expr: String,
    /// Why.
    pub message: String,
}

/// A parsed mapping expression.
#[derive(Debug)]
pub enum ParamExpr {
    /// `method.request.path.NAME`
    RequestPath(String),
    /// `method.request.querystring.NAME` (last value when repeated)
    RequestQuery(String),
    /// `method.request.multivaluequerystring.NAME`
    RequestMultiQuery(String),
    /// `method.request.header.NAME` (case-insensitive; last value when repeated)
    RequestHeader(String),
    /// `method.request.multivalueheader.NAME`
    RequestMultiHeader(String),
    /// `method.request.body` or `method.request.body.JSONPATH`
    RequestBody(Option<JaywayPath>),
    /// `integration.response.header.NAME`
    ResponseHeader(String),
    /// `integration.response.multivalueheader.NAME`
    ResponseMultiHeader(String),
    /// `integration.response.body` or `integration.response.body.JSONPATH`
    ResponseBody(Option<JaywayPath>),
    /// `stageVariables.NAME`
    StageVariable(String),
    /// `context.a.b`
    Context(Vec<String>),
    /// `'literal'`
    Literal(String),
}

/// The integration response as response parameter mappings see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegrationResponseData {
    /// Backend headers in arrival order.
    pub headers: Vec<(String, String)>,
    /// Backend body text.
    pub body: String,
}

/// What an expression can read.
#[derive(Debug, Clone, Copy)]
pub struct ParamSources<'a> {
    /// The method request (`method.request.*`).
    pub request: Option<&'a RequestData>,
    /// The integration response (`integration.response.*`).
    pub response: Option<&'a IntegrationResponseData>,
    /// Stage variables.
    pub stage_variables: &'a IndexMap<String, String>,
    /// `$context` as a JSON object.
    pub context: &'a Json,
}

fn name_after<'e>(expr: &'e str, prefix: &str) -> Option<&'e str> {
    expr.strip_prefix(prefix).filter(|n| !n.is_empty())
}

fn body_path(expr: &str, rest: &str) -> Result<Option<JaywayPath>, ParamExprError> {
    if rest.is_empty() {
        return Ok(None);
    }
    let Some(path) = rest.strip_prefix('.') else {
        return Err(ParamExprError {
            expr: expr.to_string(),
            message: "expected '.' after body".into(),
        });
    };
    let jp = format!("$.{path}");
    JaywayPath::compile(&jp)
        .map(Some)
        .map_err(|e| ParamExprError {
            expr: expr.to_string(),
            message: e.message,
        })
}

impl ParamExpr {
    /// Parse a mapping expression.
    pub fn parse(expr: &str) -> Result<ParamExpr, ParamExprError> {
        let e = expr.trim();
        let bad = |m: &str| ParamExprError {
            expr: expr.to_string(),
            message: m.to_string(),
        };
        if let Some(lit) = e.strip_prefix('\'') {
            return match lit.strip_suffix('\'') {
                Some(inner) => Ok(ParamExpr::Literal(inner.to_string())),
                None => Err(bad("unterminated literal")),
            };
        }
        let simple: [(&str, MakeExpr); 7] = [
            ("method.request.path.", ParamExpr::RequestPath),
            ("method.request.querystring.", ParamExpr::RequestQuery),
            (
                "method.request.multivaluequerystring.",
                ParamExpr::RequestMultiQuery,
            ),
            ("method.request.header.", ParamExpr::RequestHeader),
            (
                "method.request.multivalueheader.",
                ParamExpr::RequestMultiHeader,
            ),
            ("integration.response.header.", ParamExpr::ResponseHeader),
            (
                "integration.response.multivalueheader.",
                ParamExpr::ResponseMultiHeader,
            ),
        ];
        for (prefix, make) in simple {
            if let Some(n) = name_after(e, prefix) {
                return Ok(make(n.to_string()));
            }
        }
        if let Some(rest) = e.strip_prefix("method.request.body") {
            return Ok(ParamExpr::RequestBody(body_path(expr, rest)?));
        }
        if let Some(rest) = e.strip_prefix("integration.response.body") {
            return Ok(ParamExpr::ResponseBody(body_path(expr, rest)?));
        }
        if let Some(n) = name_after(e, "stageVariables.") {
            return Ok(ParamExpr::StageVariable(n.to_string()));
        }
        if let Some(path) = name_after(e, "context.") {
            let parts: Vec<String> = path.split('.').map(str::to_string).collect();
            if parts.iter().any(String::is_empty) {
                return Err(bad("empty context variable segment"));
            }
            return Ok(ParamExpr::Context(parts));
        }
        Err(bad(
            "expected method.request.*, integration.response.*, stageVariables.*, context.* or 'literal'",
        ))
    }

    /// Evaluate to one value (`None`: the source is absent). Multi-value sources are
    /// comma-joined.
    pub fn eval(&self, src: &ParamSources<'_>) -> Option<String> {
        match self {
            ParamExpr::RequestPath(n) => src.request?.path_param(n).map(str::to_string),
            ParamExpr::RequestQuery(n) => src.request?.query_param(n).map(str::to_string),
            ParamExpr::RequestHeader(n) => src.request?.header(n).map(str::to_string),
            ParamExpr::ResponseHeader(n) => src
                .response?
                .headers
                .iter()
                .rev()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone()),
            ParamExpr::RequestMultiQuery(_)
            | ParamExpr::RequestMultiHeader(_)
            | ParamExpr::ResponseMultiHeader(_) => self.eval_multi(src).map(|v| v.join(",")),
            ParamExpr::RequestBody(path) => body_value(&src.request?.body, path.as_ref()),
            ParamExpr::ResponseBody(path) => body_value(&src.response?.body, path.as_ref()),
            ParamExpr::StageVariable(n) => src.stage_variables.get(n).cloned(),
            ParamExpr::Context(parts) => {
                let mut v = src.context;
                for p in parts {
                    v = v.get(p)?;
                }
                json_text(v)
            }
            ParamExpr::Literal(s) => Some(s.clone()),
        }
    }

    /// Evaluate to all values (multi-value sources give each value; others one).
    pub fn eval_multi(&self, src: &ParamSources<'_>) -> Option<Vec<String>> {
        let all = match self {
            ParamExpr::RequestMultiQuery(n) => src
                .request?
                .query_params(n)
                .into_iter()
                .map(str::to_string)
                .collect(),
            ParamExpr::RequestMultiHeader(n) => src
                .request?
                .headers_named(n)
                .into_iter()
                .map(str::to_string)
                .collect(),
            ParamExpr::ResponseMultiHeader(n) => src
                .response?
                .headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone())
                .collect(),
            other => return other.eval(src).map(|v| vec![v]),
        };
        let all: Vec<String> = all;
        (!all.is_empty()).then_some(all)
    }
}

/// Text of a JSON value for a header: strings raw, others compact JSON; null is absent.
fn json_text(v: &Json) -> Option<String> {
    match v {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        other => serde_json::to_string(other).ok(),
    }
}

fn body_value(body: &str, path: Option<&JaywayPath>) -> Option<String> {
    let Some(path) = path else {
        return Some(body.to_string());
    };
    let doc: Json = serde_json::from_str(body).ok()?;
    if let Some(v) = path.read(&doc).to_json() {
        return json_text(&v);
    }
    // Lambda custom errors: `errorMessage` is a JSON string that API Gateway parses for
    // body → header mappings (execution.md §11).
    let parsed = doc
        .get("errorMessage")
        .and_then(Json::as_str)
        .and_then(|s| serde_json::from_str::<Json>(s).ok())?;
    let mut doc = doc;
    if let Some(slot) = doc.get_mut("errorMessage") {
        *slot = parsed;
    }
    path.read(&doc).to_json().as_ref().and_then(json_text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sources<'a>(
        req: &'a RequestData,
        resp: &'a IntegrationResponseData,
        vars: &'a IndexMap<String, String>,
        ctx: &'a Json,
    ) -> ParamSources<'a> {
        ParamSources {
            request: Some(req),
            response: Some(resp),
            stage_variables: vars,
            context: ctx,
        }
    }

    #[test]
    fn parses_and_evaluates_every_source() {
        let req = RequestData {
            body: r#"{"petstore":{"pets":[{"name":"rex"}]}}"#.into(),
            path: vec![("id".into(), "7".into())],
            querystring: vec![("q".into(), "a".into()), ("q".into(), "b".into())],
            headers: vec![("X-Trace".into(), "t1".into())],
        };
        let resp = IntegrationResponseData {
            headers: vec![
                ("Set-Cookie".into(), "a=1".into()),
                ("set-cookie".into(), "b=2".into()),
            ],
            body: r#"{"errorMessage":"{\"code\":42}"}"#.into(),
        };
        let mut vars = IndexMap::new();
        vars.insert("env".to_string(), "prod".to_string());
        let ctx = json!({"requestId": "r1", "authorizer": {"principalId": "u"}});
        let s = sources(&req, &resp, &vars, &ctx);
        let ev = |e: &str| ParamExpr::parse(e).unwrap().eval(&s);
        assert_eq!(ev("method.request.path.id").as_deref(), Some("7"));
        assert_eq!(ev("method.request.querystring.q").as_deref(), Some("b"));
        assert_eq!(
            ev("method.request.multivaluequerystring.q").as_deref(),
            Some("a,b")
        );
        assert_eq!(ev("method.request.header.x-trace").as_deref(), Some("t1"));
        assert_eq!(
            ev("method.request.body.petstore.pets[0].name").as_deref(),
            Some("rex")
        );
        assert_eq!(
            ev("integration.response.multivalueheader.Set-Cookie").as_deref(),
            Some("a=1,b=2")
        );
        assert_eq!(
            ev("integration.response.body.errorMessage.code").as_deref(),
            Some("42")
        );
        assert_eq!(ev("stageVariables.env").as_deref(), Some("prod"));
        assert_eq!(ev("context.authorizer.principalId").as_deref(), Some("u"));
        assert_eq!(ev("'*'").as_deref(), Some("*"));
        assert_eq!(ev("method.request.path.missing"), None);
        assert_eq!(
            ParamExpr::parse("method.request.multivaluequerystring.q")
                .unwrap()
                .eval_multi(&s),
            Some(vec!["a".to_string(), "b".to_string()])
        );
    }

    #[test]
    fn rejects_unknown_sources() {
        assert!(ParamExpr::parse("method.request.cookie.x").is_err());
        assert!(ParamExpr::parse("'open").is_err());
        assert!(ParamExpr::parse("method.request.path.").is_err());
        assert!(ParamExpr::parse("method.request.bodyx").is_err());
    }
}
