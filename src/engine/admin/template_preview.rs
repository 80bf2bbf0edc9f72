//! Template preview for consoles (in process, or attached over `/gwtui/templates/...`): a
//! mapping template checked, or rendered against a sample request, without saving or
//! deploying anything. Nothing here changes state or is audited.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::engine::Gateway;
use crate::mapping::RequestData;
use crate::model::{AdminError, ApiDefinition, Model};

/// The request a preview renders against. For a response template
/// `integration_response_body` is the integration's answer (`$input` reads it) while the
/// rest is still the method request (`$input.params()`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TemplateSample {
    pub body: String,
    pub headers: Vec<(String, String)>,
    pub querystring: Vec<(String, String)>,
    pub path: Vec<(String, String)>,
    pub stage_variables: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_response_body: Option<String>,
}

/// Why a preview failed: the API or resource does not exist, or the template does not
/// parse or render (the message names line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreviewError {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error("{0}")]
    Template(String),
}

impl Gateway {
    /// Parses a mapping template as a deployment would compile it; the error names line and
    /// column.
    pub fn check_template(source: &str) -> Result<(), String> {
        super::super::template::CompiledTemplate::compile(source).map(|_| ())
    }

    /// Renders `template` for the method `(api_id, resource_id, http_method)` of the working
    /// definition against `sample`, with a `$context` shaped like a test invocation's.
    pub fn render_template_preview(
        &self,
        api_id: &str,
        resource_id: &str,
        http_method: &str,
        template: &str,
        sample: TemplateSample,
    ) -> Result<String, PreviewError> {
        let definition = self.get_definition(api_id)?;
        let resource_path = definition
            .resource(resource_id)
            .map(|r| r.path.clone())
            .ok_or_else(|| AdminError::not_found("Invalid Resource identifier specified"))?;
        Gateway::render_template_sample(
            api_id,
            resource_id,
            http_method,
            &resource_path,
            template,
            sample,
        )
        .map_err(PreviewError::Template)
    }

    /// [`Gateway::render_template_preview`] for a method whose resource path is known (no
    /// engine state is read).
    pub fn render_template_sample(
        api_id: &str,
        resource_id: &str,
        http_method: &str,
        resource_path: &str,
        template: &str,
        sample: TemplateSample,
    ) -> Result<String, String> {
        let context =
            super::super::template::sample_context(api_id, resource_id, http_method, resource_path);
        let stage_variables: IndexMap<String, String> =
            sample.stage_variables.into_iter().collect();
        let request = RequestData {
            body: sample.body,
            path: sample.path,
            querystring: sample.querystring,
            headers: sample.headers,
        };
        super::super::template::render_sample(
            template,
            sample.integration_response_body.as_deref(),
            &request,
            &context,
            &stage_variables,
        )
    }

    /// GetModelTemplate's text for the model `name` of `definition`: a mapping template
    /// generated from its schema (`mapping::model_template`), following `$ref`s to the
    /// definition's other models.
    pub fn model_template(definition: &ApiDefinition, name: &str) -> Result<String, AdminError> {
        let parse = |m: &Model| -> Option<serde_json::Value> {
            serde_json::from_str(m.schema.as_deref()?).ok()
        };
        let model = definition.model_by_name(name).ok_or_else(|| {
            AdminError::not_found(format!("Invalid model name specified: {name}"))
        })?;
        let schema = parse(model).ok_or_else(|| {
            AdminError::bad_request(format!("Model {name} has no valid JSON schema"))
        })?;
        let resolve = |other: &str| definition.model_by_name(other).and_then(parse);
        Ok(crate::mapping::model_template::generate(&schema, &resolve))
    }

    /// The working definition (not a stage's deployment) as OpenAPI 3.0 with the
    /// `x-amazon-apigateway-*` extensions, JSON or YAML, for `host` (the console's `:export`).
    pub fn export_working_definition(
        &self,
        api_id: &str,
        yaml: bool,
        host: &str,
    ) -> Result<String, AdminError> {
        let definition = self.get_definition(api_id)?;
        let options = crate::openapi::ExportOptions {
            format: crate::openapi::ExportFormat::Oas30,
            extensions: crate::openapi::Extensions::Apigateway,
            yaml,
            stage_name: "working".into(),
            host: host.to_string(),
            // The working parts, unversioned (a stage's export carries its version's).
            documentation: (!definition.documentation_parts.is_empty()).then(|| {
                crate::openapi::ExportedDocumentation {
                    version: None,
                    parts: definition.documentation_parts.clone(),
                }
            }),
        };
        crate::openapi::export(&definition, &options)
            .map_err(|e| AdminError::bad_request(e.to_string()))
    }

    /// The quota period containing today (UTC) as GetUsage's `startDate` and `endDate`
    /// (`YYYY-MM-DD`): a plan without a quota counts today only.
    pub fn usage_period(quota: Option<&crate::model::QuotaSettings>) -> (String, String) {
        use super::super::quota::{day_string, period_start};
        let today = time::OffsetDateTime::now_utc().date();
        let start = quota.map_or(today, |q| period_start(q.period, today));
        (day_string(start), day_string(today))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_that_does_not_parse_names_its_line() {
        assert!(Gateway::check_template("#set($a = 1)\n$a").is_ok());
        let err = Gateway::check_template("ok\n#if(").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn the_usage_period_ends_today() {
        let (start, end) = Gateway::usage_period(None);
        assert_eq!(start, end);
        let month = crate::model::QuotaSettings {
            limit: 10,
            offset: 0,
            period: crate::model::QuotaPeriod::Month,
        };
        let (start, end) = Gateway::usage_period(Some(&month));
        assert!(start.ends_with("-01") && start <= end, "{start} {end}");
    }
}
