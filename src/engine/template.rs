//! Mapping templates as a deployment holds them: parsed once when the deployment is compiled
//! (a syntax error refuses the deployment with line and column), rendered per request.

use crate::vtl::Template;

#[derive(Debug)]
pub struct CompiledTemplate {
    template: Template,
}

impl CompiledTemplate {
    /// Parses `source`; the error names the line and column.
    pub fn compile(source: &str) -> Result<CompiledTemplate, String> {
        Template::parse(source)
            .map(|template| CompiledTemplate { template })
            .map_err(|e| format!("line {}, column {}: {}", e.line, e.column, e.message))
    }

    pub fn template(&self) -> &Template {
        &self.template
    }

    /// Whether rendering needs `$context` built.
    pub fn reads_context(&self) -> bool {
        self.template.references("context")
    }
}

/// Renders `source` as a request template against a sample request (the console's test
/// panel); parse and render errors come back as messages with line and column.
pub fn render_sample(source: &str) -> Result<String, String> {
    let compiled = CompiledTemplate::compile(source)?;
    let request = crate::mapping::RequestData {
        body: r#"{"name": "Rex", "type": "dog", "price": 249.99, "tags": ["good", "boy"]}"#.into(),
        path: vec![("petId".into(), "1".into())],
        querystring: vec![("limit".into(), "10".into())],
        headers: vec![("Content-Type".into(), "application/json".into()), ("User-Agent".into(), "gwtui-console".into())],
    };
    let context = serde_json::json!({
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        "httpMethod": "POST",
        "resourcePath": "/pets/{petId}",
        "stage": "dev",
        "identity": {"sourceIp": "127.0.0.1", "userAgent": "gwtui-console"}
    });
    let mut vars = indexmap::IndexMap::new();
    vars.insert("backend".to_string(), "127.0.0.1:9000".to_string());
    crate::mapping::render_request_template(compiled.template(), &request, &context, &vars)
        .map(|r| r.body)
        .map_err(|e| e.to_string())
}
