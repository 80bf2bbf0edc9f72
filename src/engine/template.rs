//! Mapping templates as a deployment holds them: parsed once when the deployment is compiled
//! (a syntax error refuses the deployment with line and column), rendered per request.

use crate::vtl::Template;

#[derive(Debug)]
pub struct CompiledTemplate {
    template: Template,
    /// The output, when the template is literal text only (a fixed MOCK template): rendering
    /// it needs no request data, scope or evaluator, and the response shares these bytes.
    literal: Option<bytes::Bytes>,
}

impl CompiledTemplate {
    /// Parses `source`; the error names the line and column.
    pub fn compile(source: &str) -> Result<CompiledTemplate, String> {
        Template::parse(source)
            .map(|template| CompiledTemplate {
                literal: crate::mapping::literal_text(&template).map(bytes::Bytes::from),
                template,
            })
            .map_err(|e| format!("line {}, column {}: {}", e.line, e.column, e.message))
    }

    pub fn template(&self) -> &Template {
        &self.template
    }

    /// What every render outputs, when the template is literal text only.
    pub fn literal(&self) -> Option<&bytes::Bytes> {
        self.literal.as_ref()
    }

    /// Whether rendering needs `$context` built.
    pub fn reads_context(&self) -> bool {
        self.template.references("context")
    }
}

/// The `$context` of a console test render: fixed, realistic defaults (no clock, no
/// randomness) with the method's own identity filled in.
pub fn sample_context(
    rest_api_id: &str,
    resource_id: &str,
    http_method: &str,
    resource_path: &str,
) -> serde_json::Value {
    serde_json::json!({
        "accountId": "123456789012",
        "apiId": rest_api_id,
        "domainName": format!("{rest_api_id}.execute-api.localhost"),
        "domainPrefix": rest_api_id,
        "extendedRequestId": "AbCdEfGhIjKlMnO=",
        "httpMethod": http_method,
        "identity": {"sourceIp": "127.0.0.1", "userAgent": "gwtui-console"},
        "path": format!("/test-invoke-stage{resource_path}"),
        "protocol": "HTTP/1.1",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "requestTime": "01/Jan/2026:00:00:00 +0000",
        "requestTimeEpoch": 1_767_225_600_000i64,
        "resourceId": resource_id,
        "resourcePath": resource_path,
        "stage": "test-invoke-stage"
    })
}

/// Renders `source` against a sample (the console's test panel): as a request template
/// (`$input` reads `request`), or as a response template (`$input` reads
/// `response_body`, `$input.params()` still `request`). Parse and render errors come back
/// as messages with line and column.
pub fn render_sample(
    source: &str,
    response_body: Option<&str>,
    request: &crate::mapping::RequestData,
    context: &serde_json::Value,
    stage_variables: &indexmap::IndexMap<String, String>,
) -> Result<String, String> {
    let compiled = CompiledTemplate::compile(source)?;
    let rendered = match response_body {
        None => crate::mapping::render_request_template(
            compiled.template(),
            request,
            context,
            stage_variables,
        ),
        Some(body) => crate::mapping::render_response_template(
            compiled.template(),
            body,
            request,
            context,
            stage_variables,
        ),
    };
    rendered.map(|r| r.body).map_err(|e| e.to_string())
}
