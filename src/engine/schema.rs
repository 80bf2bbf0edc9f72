//! Request-body models (model.md §13, execution.md §7): each model's JSON Schema (draft 4)
//! compiled once per deployment with `jsonschema`, never per request. `$ref`s to other models
//! (`https://apigateway.amazonaws.com/restapis/{api}/models/{Model}`) are resolved from the
//! deployment's own models by a retriever; nothing is fetched over the network (the crate's
//! network features are off).

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::compiled::CompiledDeployment;

/// The base of a model's URI.
const MODEL_URI_PREFIX: &str = "https://apigateway.amazonaws.com/restapis/";

/// Resolves model URIs from one API's models.
struct ModelRetriever {
    api_id: String,
    schemas: HashMap<String, Value>,
}

impl jsonschema::Retrieve for ModelRetriever {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let text = uri.as_str();
        let name = text
            .strip_prefix(MODEL_URI_PREFIX)
            .and_then(|rest| rest.split_once("/models/"))
            .filter(|(api, _)| *api == self.api_id)
            .map(|(_, name)| name.split('#').next().unwrap_or(name));
        match name.and_then(|n| self.schemas.get(n)) {
            Some(schema) => Ok(schema.clone()),
            None => Err(format!("Invalid model identifier specified: {text}").into()),
        }
    }
}

/// One compiled model.
pub struct ModelValidator {
    pub model_name: String,
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for ModelValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelValidator")
            .field("model_name", &self.model_name)
            .finish()
    }
}

impl ModelValidator {
    /// Compiles one self-contained schema (draft 4); `None` when it does not compile.
    pub fn build(model_name: &str, schema: &Value) -> Option<ModelValidator> {
        let validator = jsonschema::draft4::options().build(schema).ok()?;
        Some(ModelValidator {
            model_name: model_name.to_string(),
            validator,
        })
    }

    /// Validates a request body. An empty body is validated as `{}`; a body that is not JSON
    /// fails. The error is `$context.error.validationErrorString`: the reasons in brackets.
    pub fn check(&self, body: &[u8]) -> Result<(), String> {
        let parsed;
        let instance = if body.iter().all(u8::is_ascii_whitespace) {
            parsed = Value::Object(serde_json::Map::new());
            &parsed
        } else {
            parsed = serde_json::from_slice::<Value>(body)
                .map_err(|e| format!("[Invalid JSON in request body: {e}]"))?;
            &parsed
        };
        let reasons: Vec<String> = self
            .validator
            .iter_errors(instance)
            .map(|e| {
                let at = e.instance_path().to_string();
                if at.is_empty() {
                    e.to_string()
                } else {
                    format!("{e} (at {at})")
                }
            })
            .collect();
        if reasons.is_empty() {
            Ok(())
        } else {
            Err(format!("[{}]", reasons.join(", ")))
        }
    }
}

/// For each method of a deployment (by index), its request models by content type
/// (lowercase MIME, or `$default`).
#[derive(Debug, Default)]
pub struct DeploymentSchemas {
    per_method: Vec<Vec<(String, Arc<ModelValidator>)>>,
}

impl DeploymentSchemas {
    /// Compiles every model a method of `deployment` uses. A model whose schema does not
    /// compile is left out (its methods skip body validation), as is a missing model.
    pub fn compile(deployment: &CompiledDeployment) -> DeploymentSchemas {
        let def = &deployment.definition;
        let schemas: HashMap<String, Value> = def
            .models
            .iter()
            .filter_map(|m| {
                Some((
                    m.name.clone(),
                    serde_json::from_str(m.schema.as_deref()?).ok()?,
                ))
            })
            .collect();
        let mut compiled: HashMap<String, Option<Arc<ModelValidator>>> = HashMap::new();
        let mut per_method = Vec::with_capacity(deployment.methods.len());
        for method in &deployment.methods {
            let mut models = Vec::new();
            for (content_type, model_name) in &method.method.request_models {
                let entry = compiled.entry(model_name.clone()).or_insert_with(|| {
                    let schema = schemas.get(model_name)?;
                    let retriever = ModelRetriever {
                        api_id: deployment.api_id.to_string(),
                        schemas: schemas.clone(),
                    };
                    let validator = jsonschema::draft4::options()
                        .with_retriever(retriever)
                        .with_base_uri(format!(
                            "{MODEL_URI_PREFIX}{}/models/{model_name}",
                            deployment.api_id
                        ))
                        .build(schema)
                        .ok()?;
                    Some(Arc::new(ModelValidator {
                        model_name: model_name.clone(),
                        validator,
                    }))
                });
                if let Some(v) = entry {
                    let key = if content_type == "$default" {
                        content_type.clone()
                    } else {
                        content_type.to_ascii_lowercase()
                    };
                    models.push((key, v.clone()));
                }
            }
            per_method.push(models);
        }
        DeploymentSchemas { per_method }
    }

    /// The model for a request MIME type: the exact entry, else `$default`.
    pub fn model(&self, method_index: usize, mime: &str) -> Option<&ModelValidator> {
        let models = self.per_method.get(method_index)?;
        models
            .iter()
            .find(|(ct, _)| ct == mime)
            .or_else(|| models.iter().find(|(ct, _)| ct == "$default"))
            .map(|(_, v)| &**v)
    }
}
