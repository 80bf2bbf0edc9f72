//! What a prompt's answer does: validated, then the effects (`App::commit`).

use super::ops::format_log_line;
use super::{App, InputPurpose};
use crate::model::{IntegrationType, PatchOperation};
use crate::tui::effect::Effect;
use crate::tui::validate;

impl App {
    /// A prompt was answered: validate, then the effects.
    pub(super) fn commit(
        &mut self,
        purpose: &InputPurpose,
        text: &str,
    ) -> Result<Vec<Effect>, String> {
        let api = || {
            self.api_id
                .clone()
                .ok_or_else(|| "no API selected".to_string())
        };
        let stage = || {
            self.stage
                .clone()
                .ok_or_else(|| "no stage selected".to_string())
        };
        let nonempty = |what: &str| {
            if text.is_empty() {
                Err(format!("{what} is required"))
            } else {
                Ok(text.to_string())
            }
        };
        Ok(match purpose {
            InputPurpose::ImportPath => vec![Effect::Import {
                path: nonempty("a file path")?,
            }],
            // Both are confirmed before they run (`App::confirm_first`).
            InputPurpose::ExportPath => vec![Effect::Export {
                rest_api_id: api()?,
                path: nonempty("a file path")?,
            }],
            InputPurpose::DeployDescription { stage } => vec![Effect::Deploy {
                rest_api_id: api()?,
                stage_name: stage.clone(),
                description: (!text.is_empty()).then(|| text.to_string()),
            }],
            InputPurpose::VarAdd | InputPurpose::VarEdit { .. } => {
                let (name, value) = validate::stage_variable(text)?;
                let mut ops = Vec::new();
                if let InputPurpose::VarEdit { name: old } = purpose
                    && *old != name
                {
                    ops.push(PatchOperation::remove(format!(
                        "/variables/{}",
                        validate::escape_segment(old)
                    )));
                }
                ops.push(PatchOperation::replace(
                    format!("/variables/{}", validate::escape_segment(&name)),
                    value,
                ));
                vec![Effect::PatchStage {
                    rest_api_id: api()?,
                    stage_name: stage()?,
                    ops,
                }]
            }
            InputPurpose::CanaryOverride => {
                let (name, value) = validate::stage_variable(text)?;
                vec![Effect::PatchStage {
                    rest_api_id: api()?,
                    stage_name: stage()?,
                    ops: vec![PatchOperation::replace(
                        format!(
                            "/canarySettings/stageVariableOverrides/{}",
                            validate::escape_segment(&name)
                        ),
                        value,
                    )],
                }]
            }
            InputPurpose::MethodSetting => {
                let words: Vec<&str> = text.split_whitespace().collect();
                let [path, verb, setting, value] = words.as_slice() else {
                    return Err(
                        "expected PATH VERB SETTING VALUE, e.g. /pets GET caching/ttlInSeconds 60"
                            .into(),
                    );
                };
                const SETTINGS: [&str; 9] = [
                    "throttling/rateLimit",
                    "throttling/burstLimit",
                    "caching/enabled",
                    "caching/ttlInSeconds",
                    "caching/dataEncrypted",
                    "metrics/enabled",
                    "logging/loglevel",
                    "logging/dataTrace",
                    "caching/requireAuthorizationForCacheControl",
                ];
                if !SETTINGS.contains(setting) {
                    return Err(format!(
                        "unknown setting '{setting}' (one of {})",
                        SETTINGS.join(", ")
                    ));
                }
                let res = if *path == "*" {
                    "*".to_string()
                } else {
                    validate::escape_segment(path)
                };
                let verb = if *verb == "*" {
                    "*".to_string()
                } else {
                    verb.to_ascii_uppercase()
                };
                let escaped = format!("{res}/{verb}");
                vec![Effect::PatchStage {
                    rest_api_id: api()?,
                    stage_name: stage()?,
                    ops: vec![PatchOperation::replace(
                        format!("/{escaped}/{setting}"),
                        value.to_string(),
                    )],
                }]
            }
            InputPurpose::Integration => {
                let node = self.tree_selection().ok_or("select a method first")?;
                let verb = node
                    .http_method()
                    .ok_or("select a method first")?
                    .to_string();
                let mut ops = Vec::new();
                for word in text.split_whitespace() {
                    let (k, v) = word
                        .split_once('=')
                        .ok_or_else(|| format!("'{word}': expected key=value"))?;
                    match k {
                        "type" => {
                            let t = IntegrationType::parse(v)
                                .ok_or_else(|| format!("unknown integration type '{v}'"))?;
                            let current = self
                                .definition()
                                .and_then(|d| d.method(node.resource_id(), &verb).ok())
                                .and_then(|m| m.method_integration.as_ref())
                                .map(|i| i.integration_type);
                            // UpdateIntegration has no `/type` path (AWS's, and so the
                            // engine's): the type stays what PutIntegration made it.
                            if current != Some(t) {
                                return Err(format!(
                                    "the integration type cannot be changed in place ({} to {}): UpdateIntegration has no /type; re-create the integration",
                                    current.map_or("none", |c| c.as_str()),
                                    t.as_str()
                                ));
                            }
                        }
                        "uri" if v.is_empty() => ops.push(PatchOperation::remove("/uri")),
                        "uri" => ops.push(PatchOperation::replace("/uri", v)),
                        "timeout" => {
                            let ms = validate::timeout_millis(v)?;
                            ops.push(PatchOperation::replace("/timeoutInMillis", ms.to_string()));
                        }
                        other => {
                            return Err(format!("unknown field '{other}' (type, uri, timeout)"));
                        }
                    }
                }
                if ops.is_empty() {
                    return Err("nothing to change".into());
                }
                vec![Effect::UpdateIntegration {
                    rest_api_id: api()?,
                    resource_id: node.resource_id().to_string(),
                    http_method: verb,
                    ops,
                }]
            }
            InputPurpose::TestRequest { .. } if self.invoke_is_http() => self.http_retest(text)?,
            InputPurpose::TestRequest {
                resource_id,
                http_method,
            } => {
                let api_id = api()?;
                let sample = self.edited_sample(resource_id, http_method, text)?;
                self.samples.insert(
                    (api_id, resource_id.clone(), http_method.clone()),
                    sample.to_json_text(),
                );
                self.test_invoke_method(resource_id.clone(), http_method.clone())
            }
            InputPurpose::ConnSend { connection_id } => self.conn_send(connection_id, text)?,
            InputPurpose::WscatLine => self.wscat_send(text)?,
            InputPurpose::KeyCreate => vec![Effect::CreateApiKey {
                name: nonempty("a name")?,
            }],
            InputPurpose::PlanCreate => vec![Effect::CreateUsagePlan {
                name: nonempty("a name")?,
            }],
            InputPurpose::SaveLogs => {
                let path = nonempty("a file path")?;
                let contents: String = self
                    .log_rows()
                    .iter()
                    .map(|&i| format_log_line(&self.logs.lines[i]))
                    .collect::<Vec<_>>()
                    .join("\n");
                vec![Effect::WriteFile {
                    path,
                    contents: contents + "\n",
                }]
            }
        })
    }
}
