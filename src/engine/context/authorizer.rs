//! What an authorizer established for a request (`$context.authorizer.*`), filled by the
//! security services and read by templates, Lambda events and logs.

use serde_json::{Map, Value};

/// `$context.authorizer.*` and `requestContext.authorizer`.
#[derive(Debug, Clone, Default)]
pub struct AuthorizerContext {
    pub principal_id: Option<String>,
    /// Lambda authorizer `context`, values stringified.
    pub context: Vec<(String, String)>,
    /// JWT claims (Cognito-style authorizers).
    pub claims: Option<Map<String, Value>>,
    pub scopes: Option<Vec<String>>,
    /// Milliseconds the authorizer function took (0 for a cache hit).
    pub integration_latency_ms: Option<u64>,
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl AuthorizerContext {
    /// `$context.authorizer.{name}` (name after `authorizer.`).
    pub fn get(&self, name: &str) -> Option<String> {
        if name == "principalId" {
            return self.principal_id.clone();
        }
        if name == "integrationLatency" {
            return self.integration_latency_ms.map(|l| l.to_string());
        }
        if let Some(claim) = name.strip_prefix("claims.").or_else(|| {
            name.strip_prefix("claims[")
                .and_then(|r| r.strip_suffix(']'))
                .map(|r| r.trim_matches(|c| c == '\'' || c == '"'))
        }) {
            return self.claims.as_ref()?.get(claim).map(scalar_text);
        }
        self.context
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// `$context.authorizer` for templates: every value a string (claims under `claims`).
    pub fn to_context_value(&self) -> Value {
        let mut map = Map::new();
        if let Some(p) = &self.principal_id {
            map.insert("principalId".into(), Value::String(p.clone()));
        }
        for (k, v) in &self.context {
            map.insert(k.clone(), Value::String(v.clone()));
        }
        if let Some(claims) = &self.claims {
            map.insert(
                "claims".into(),
                Value::Object(
                    claims
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(scalar_text(v))))
                        .collect(),
                ),
            );
        }
        Value::Object(map)
    }

    /// `requestContext.authorizer` of the proxy event.
    pub fn to_event_value(&self) -> Value {
        let mut map = Map::new();
        if let Some(claims) = &self.claims {
            map.insert(
                "claims".into(),
                Value::Object(
                    claims
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(scalar_text(v))))
                        .collect(),
                ),
            );
            map.insert(
                "scopes".into(),
                self.scopes
                    .as_ref()
                    .map(|s| Value::Array(s.iter().map(|x| Value::String(x.clone())).collect()))
                    .unwrap_or(Value::Null),
            );
            return Value::Object(map);
        }
        if let Some(p) = &self.principal_id {
            map.insert("principalId".into(), Value::String(p.clone()));
        }
        map.insert(
            "integrationLatency".into(),
            Value::from(self.integration_latency_ms.unwrap_or(0)),
        );
        for (k, v) in &self.context {
            map.insert(k.clone(), Value::String(v.clone()));
        }
        Value::Object(map)
    }
}
