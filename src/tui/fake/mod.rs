//! An in-memory [`Backend`] for tests and demos: one sample API (`/pets`), two stages,
//! deployments that freeze the definition, usage plans and keys, and synthetic metrics.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use crate::model::{
    ApiDefinition, ApiKey, BasePathMapping, CanarySettings, Deployment, Integration, PatchOp,
    PatchOperation, Stage, TestInvokeResult, UsagePlan,
};

mod sample_world;
mod websocket;

pub use websocket::{CHAT_API, CHAT_STAGE};

pub use sample_world::{SAMPLE_API, SAMPLE_NOW, sample_definition, sample_metrics};

use crate::tui::backend::{BResult, Backend};
use crate::tui::effect::TemplateTarget;
use crate::tui::metrics::MetricsSnapshot;
use crate::tui::msg::{ApiSummary, DataUpdate, UsageData};
use crate::tui::sample::SampleRequest;

#[derive(Debug, Default)]
pub struct FakeState {
    pub apis: Vec<ApiDefinition>,
    pub stages: Vec<(String, Stage)>,
    /// `(api id, deployment, frozen definition)`.
    pub deployments: Vec<(String, Deployment, ApiDefinition)>,
    pub usage: UsageData,
    pub now: i64,
    pub next_id: u64,
    /// Every mutating call, for assertions: `"deploy abc prod"`.
    pub calls: Vec<String>,
    /// Make the next mutating call fail with this message.
    pub fail_next: Option<String>,
    /// Custom domain mappings: `(domain name, mapping)`.
    pub domains: Vec<(String, BasePathMapping)>,
    /// `list_apis` calls: the start-up load and one per reload.
    pub api_loads: u64,
    /// HTTP APIs (v2) as `list_http_apis` returns them.
    pub http_apis: Vec<crate::tui::msg::HttpApiSummary>,
    /// Open WebSocket connections: `(api id, connection)`.
    pub connections: Vec<(String, crate::engine::ConnectionSummary)>,
    /// `:wscat` clients by connection id: where a post to them arrives.
    pub wscat_clients:
        std::collections::HashMap<String, mpsc::Sender<crate::tui::wscat::WscatFrame>>,
    /// What `cluster` returns (default: a single node, no cluster).
    pub cluster: crate::engine::ClusterView,
}

#[derive(Debug, Clone, Default)]
pub struct FakeBackend {
    pub state: Arc<Mutex<FakeState>>,
    events: Arc<Mutex<Vec<mpsc::Sender<DataUpdate>>>>,
}

impl FakeBackend {
    /// The sample world: PetStore with `dev` and `prod` (prod has a 10 % canary), two
    /// deployments, one usage plan with two keys.
    pub fn sample() -> FakeBackend {
        FakeBackend {
            state: Arc::new(Mutex::new(sample_world::sample_state())),
            events: Arc::default(),
        }
    }

    /// Sends an event to every subscriber.
    pub fn emit(&self, d: DataUpdate) {
        if let Ok(mut subs) = self.events.lock() {
            subs.retain(|s| {
                !matches!(
                    s.try_send(d.clone()),
                    Err(mpsc::error::TrySendError::Closed(_))
                )
            });
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut FakeState) -> BResult<T>) -> BResult<T> {
        let mut s = self
            .state
            .lock()
            .map_err(|_| "fake backend poisoned".to_string())?;
        f(&mut s)
    }

    fn mutate<T>(&self, call: String, f: impl FnOnce(&mut FakeState) -> BResult<T>) -> BResult<T> {
        let r = self.with(|s| {
            s.calls.push(call);
            if let Some(e) = s.fail_next.take() {
                return Err(e);
            }
            f(s)
        });
        if r.is_ok() {
            self.emit(DataUpdate::Changed);
        }
        r
    }
}

fn stage_mut<'a>(s: &'a mut FakeState, api: &str, stage: &str) -> BResult<&'a mut Stage> {
    s.stages
        .iter_mut()
        .find(|(a, st)| a == api && st.stage_name == stage)
        .map(|(_, st)| st)
        .ok_or_else(|| "Invalid stage identifier specified".to_string())
}

fn new_deployment(s: &mut FakeState, api: &str, description: Option<String>) -> BResult<String> {
    let def = s
        .apis
        .iter()
        .find(|d| d.rest_api.id == api)
        .cloned()
        .ok_or("Invalid API identifier specified")?;
    let id = format!("dep{:03}", s.next_id);
    s.next_id += 1;
    s.now += 60;
    let d = Deployment {
        id: id.clone(),
        description,
        created_date: s.now,
        ..Default::default()
    };
    s.deployments.push((api.to_string(), d, def));
    Ok(id)
}

fn unescape(seg: &str) -> String {
    crate::model::patch::unescape_segment(seg)
}

impl Backend for FakeBackend {
    fn listener(&self) -> String {
        "127.0.0.1:4566".into()
    }

    fn subscribe(&self) -> mpsc::Receiver<DataUpdate> {
        let (tx, rx) = mpsc::channel(crate::tui::backend::EVENT_QUEUE);
        if let Ok(mut subs) = self.events.lock() {
            subs.push(tx);
        }
        rx
    }

    async fn list_http_apis(&self) -> BResult<Vec<crate::tui::msg::HttpApiSummary>> {
        self.with(|s| Ok(s.http_apis.clone()))
    }

    async fn list_apis(&self) -> BResult<Vec<ApiSummary>> {
        self.with(|s| {
            s.api_loads += 1;
            Ok(s.apis
                .iter()
                .map(|d| ApiSummary {
                    definition: d.clone(),
                    endpoint_url: format!(
                        "http://127.0.0.1:4566/restapis/{}/{{stage}}/_user_request_",
                        d.rest_api.id
                    ),
                    last_deployment: s
                        .deployments
                        .iter()
                        .filter(|(a, _, _)| *a == d.rest_api.id)
                        .map(|(_, dep, _)| dep.clone())
                        .max_by_key(|dep| dep.created_date),
                    domains: s
                        .domains
                        .iter()
                        .filter(|(_, m)| m.rest_api_id == d.rest_api.id)
                        .cloned()
                        .collect(),
                })
                .collect())
        })
    }

    async fn stages(&self, rest_api_id: String) -> BResult<(Vec<Stage>, Vec<Deployment>)> {
        self.with(|s| {
            Ok((
                s.stages
                    .iter()
                    .filter(|(a, _)| *a == rest_api_id)
                    .map(|(_, st)| st.clone())
                    .collect(),
                s.deployments
                    .iter()
                    .filter(|(a, _, _)| *a == rest_api_id)
                    .map(|(_, d, _)| d.clone())
                    .collect(),
            ))
        })
    }

    async fn deployment_definition(
        &self,
        rest_api_id: String,
        deployment_id: String,
    ) -> BResult<ApiDefinition> {
        self.with(|s| {
            s.deployments
                .iter()
                .find(|(a, d, _)| *a == rest_api_id && d.id == deployment_id)
                .map(|(_, _, def)| def.clone())
                .ok_or_else(|| "Invalid Deployment identifier specified".into())
        })
    }

    async fn metrics(
        &self,
        rest_api_id: String,
        window_seconds: i64,
        scope: crate::engine::MetricsScope,
    ) -> BResult<MetricsSnapshot> {
        let (now, http_api, websocket, cluster) = self.with(|s| {
            let api = s.http_apis.iter().find(|a| a.api_id == rest_api_id);
            Ok((
                s.now,
                api.is_some(),
                api.is_some_and(|a| a.websocket),
                s.cluster.clone(),
            ))
        })?;
        let mut snap = sample_metrics(&rest_api_id, now, window_seconds.clamp(1, 86_400) as usize);
        snap.http_api = http_api;
        snap.websocket = websocket;
        if !cluster.nodes.is_empty() {
            sample_world::as_cluster(&mut snap, &cluster, &scope);
        }
        Ok(snap)
    }

    async fn cluster(&self) -> BResult<crate::engine::ClusterView> {
        self.with(|s| Ok(s.cluster.clone()))
    }

    async fn usage(&self) -> BResult<UsageData> {
        self.with(|s| Ok(s.usage.clone()))
    }

    async fn deploy(
        &self,
        rest_api_id: String,
        stage_name: String,
        description: Option<String>,
    ) -> BResult<String> {
        self.mutate(format!("deploy {rest_api_id} {stage_name}"), |s| {
            // As the engine does: a stage with a canary is not moved to another deployment.
            if stage_mut(s, &rest_api_id, &stage_name).is_ok_and(|st| st.canary_settings.is_some())
            {
                return Err("Stage has an active canary: promote or delete the canary before pointing the stage at another deployment".into());
            }
            let id = new_deployment(s, &rest_api_id, description)?;
            match stage_mut(s, &rest_api_id, &stage_name) {
                Ok(st) => st.deployment_id = id.clone(),
                Err(_) => s.stages.push((
                    rest_api_id.clone(),
                    Stage {
                        stage_name: stage_name.clone(),
                        deployment_id: id.clone(),
                        ..Default::default()
                    },
                )),
            }
            Ok(id)
        })
    }

    async fn patch_stage(
        &self,
        rest_api_id: String,
        stage_name: String,
        ops: Vec<PatchOperation>,
    ) -> BResult<()> {
        let call = format!(
            "patch {stage_name} {}",
            ops.iter()
                .map(|o| format!("{} {}", o.op.as_str(), o.path))
                .collect::<Vec<_>>()
                .join(",")
        );
        self.mutate(call, |s| {
            let st = stage_mut(s, &rest_api_id, &stage_name)?;
            for op in ops {
                let value = op.value.clone().unwrap_or_default();
                if let Some(name) = op.path.strip_prefix("/variables/") {
                    match op.op {
                        PatchOp::Remove => {
                            st.variables.shift_remove(&unescape(name));
                        }
                        _ => {
                            st.variables.insert(unescape(name), value);
                        }
                    }
                } else if op.path == "/canarySettings/percentTraffic" {
                    let c = st.canary_settings.as_mut().ok_or("Stage has no canary")?;
                    c.percent_traffic = value.parse().map_err(|_| "Invalid percentTraffic")?;
                } else if let Some(name) = op
                    .path
                    .strip_prefix("/canarySettings/stageVariableOverrides/")
                {
                    let c = st.canary_settings.as_mut().ok_or("Stage has no canary")?;
                    c.stage_variable_overrides.insert(unescape(name), value);
                } else if op.path == "/canarySettings" && op.op == PatchOp::Remove {
                    st.canary_settings = None;
                } else {
                    // method settings: /{path}/{verb}/{section}/{key}
                    let parts: Vec<&str> = op.path.trim_start_matches('/').splitn(3, '/').collect();
                    let [res, verb, setting] = parts.as_slice() else {
                        return Err(format!("Invalid patch path {}", op.path));
                    };
                    let key = if *res == "*" {
                        "*/*".to_string()
                    } else {
                        crate::model::method_setting_key(&unescape(res), verb)
                    };
                    let ms = st.method_settings.entry(key).or_default();
                    match *setting {
                        "throttling/rateLimit" => {
                            ms.throttling_rate_limit =
                                value.parse().map_err(|_| "Invalid rateLimit")?
                        }
                        "throttling/burstLimit" => {
                            ms.throttling_burst_limit =
                                value.parse().map_err(|_| "Invalid burstLimit")?
                        }
                        "caching/enabled" => ms.caching_enabled = value == "true",
                        "caching/ttlInSeconds" => {
                            ms.cache_ttl_in_seconds = value.parse().map_err(|_| "Invalid ttl")?
                        }
                        "metrics/enabled" => ms.metrics_enabled = value == "true",
                        "logging/loglevel" => ms.logging_level = Some(value),
                        _ => {}
                    }
                }
            }
            Ok(())
        })
    }

    async fn rollback(
        &self,
        rest_api_id: String,
        stage_name: String,
        deployment_id: String,
    ) -> BResult<()> {
        self.mutate(format!("rollback {stage_name} {deployment_id}"), |s| {
            if !s
                .deployments
                .iter()
                .any(|(a, d, _)| *a == rest_api_id && d.id == deployment_id)
            {
                return Err("Invalid Deployment identifier specified".into());
            }
            stage_mut(s, &rest_api_id, &stage_name)?.deployment_id = deployment_id;
            Ok(())
        })
    }

    async fn flush_cache(&self, rest_api_id: String, stage_name: String) -> BResult<()> {
        self.mutate(format!("flush {stage_name}"), |s| {
            stage_mut(s, &rest_api_id, &stage_name).map(|_| ())
        })
    }

    async fn create_canary(
        &self,
        rest_api_id: String,
        stage_name: String,
        percent_traffic: f64,
    ) -> BResult<String> {
        self.mutate(format!("canary {stage_name} {percent_traffic}"), |s| {
            stage_mut(s, &rest_api_id, &stage_name)?;
            let id = new_deployment(s, &rest_api_id, Some("canary".into()))?;
            let st = stage_mut(s, &rest_api_id, &stage_name)?;
            st.canary_settings = Some(CanarySettings {
                percent_traffic,
                deployment_id: Some(id.clone()),
                ..Default::default()
            });
            Ok(id)
        })
    }

    async fn promote_canary(&self, rest_api_id: String, stage_name: String) -> BResult<()> {
        self.mutate(format!("promote {stage_name}"), |s| {
            let st = stage_mut(s, &rest_api_id, &stage_name)?;
            let c = st.canary_settings.take().ok_or("Stage has no canary")?;
            if let Some(d) = c.deployment_id {
                st.deployment_id = d;
            }
            for (k, v) in c.stage_variable_overrides {
                st.variables.insert(k, v);
            }
            Ok(())
        })
    }

    async fn delete_canary(&self, rest_api_id: String, stage_name: String) -> BResult<()> {
        self.mutate(format!("delete-canary {stage_name}"), |s| {
            stage_mut(s, &rest_api_id, &stage_name)?.canary_settings = None;
            Ok(())
        })
    }

    async fn save_template(
        &self,
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        target: TemplateTarget,
        template: String,
    ) -> BResult<()> {
        self.mutate(
            format!(
                "save-template {resource_id} {http_method} {}",
                target.label()
            ),
            |s| {
                if let TemplateTarget::HttpMappings { integration_id } = &target {
                    return super::fake_http::save_mappings(
                        s,
                        &rest_api_id,
                        integration_id,
                        &template,
                    );
                }
                // As the engine does: a template that does not parse is not saved.
                crate::engine::Gateway::check_template(&template)?;
                let def = s
                    .apis
                    .iter_mut()
                    .find(|d| d.rest_api.id == rest_api_id)
                    .ok_or("Invalid API identifier specified")?;
                let m = def
                    .method_mut(&resource_id, &http_method)
                    .map_err(|e| e.message().to_string())?;
                let i = m
                    .method_integration
                    .as_mut()
                    .ok_or("No integration defined for method")?;
                match target {
                    TemplateTarget::HttpMappings { .. } => {}
                    TemplateTarget::Request { content_type } => {
                        i.request_templates.insert(content_type, template);
                    }
                    TemplateTarget::Response {
                        status_code,
                        content_type,
                    } => {
                        let r = i
                            .integration_responses
                            .get_mut(&status_code)
                            .ok_or("Invalid Response status code specified")?;
                        r.response_templates.insert(content_type, template);
                    }
                }
                Ok(())
            },
        )
    }

    async fn update_integration(
        &self,
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        ops: Vec<PatchOperation>,
    ) -> BResult<()> {
        self.mutate(
            format!("update-integration {resource_id} {http_method}"),
            |s| {
                let def = s
                    .apis
                    .iter_mut()
                    .find(|d| d.rest_api.id == rest_api_id)
                    .ok_or("Invalid API identifier specified")?;
                let m = def
                    .method_mut(&resource_id, &http_method)
                    .map_err(|e| e.message().to_string())?;
                let i = m
                    .method_integration
                    .get_or_insert_with(Integration::default);
                // The model's own patch rules, as the engine applies them.
                crate::model::patch::apply_integration_patch(i, &ops)
                    .map_err(|e| e.message().to_string())?;
                Ok(())
            },
        )
    }

    /// The fake does not run a pipeline: it checks the method exists, records the call
    /// with the request path the sample makes, and answers 200 with a two-line log.
    async fn test_invoke(
        &self,
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        sample: SampleRequest,
    ) -> BResult<TestInvokeResult> {
        let path = self.with(|s| {
            let def = s
                .apis
                .iter()
                .find(|d| d.rest_api.id == rest_api_id)
                .ok_or("Invalid API identifier specified")?;
            def.method(&resource_id, &http_method)
                .map_err(|e| e.to_string())?;
            let resource = def
                .resource(&resource_id)
                .ok_or("Invalid Resource identifier specified")?;
            Ok(sample.path_with_query(&resource.path))
        })?;
        self.with(|s| {
            s.calls
                .push(format!("test-invoke {rest_api_id} {http_method} {path}"));
            Ok(())
        })?;
        let stamp = "Sun Nov 22 08:00:00 UTC 2026";
        Ok(TestInvokeResult {
            status: 200,
            body: sample.body,
            headers: [("content-type".to_string(), "application/json".to_string())].into(),
            multi_value_headers: [(
                "content-type".to_string(),
                vec!["application/json".to_string()],
            )]
            .into(),
            log: format!(
                "Execution log for request fake\n{stamp} : HTTP Method: {http_method}, Resource Path: {path}\n{stamp} : Method completed with status: 200\n"
            ),
            latency: 3,
        })
    }

    async fn render_template(
        &self,
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        target: TemplateTarget,
        template: String,
        sample: SampleRequest,
    ) -> BResult<String> {
        // The mapping layer is pure; the fake renders with it like the engine does, with
        // the sample's own context defaults.
        let resource_path = self.with(|s| {
            Ok(s.apis
                .iter()
                .find(|d| d.rest_api.id == rest_api_id)
                .and_then(|d| d.resource(&resource_id))
                .map(|r| r.path.clone())
                .unwrap_or_else(|| "/".into()))
        })?;
        crate::engine::Gateway::render_template_sample(
            &rest_api_id,
            &resource_id,
            &http_method,
            &resource_path,
            &template,
            sample.into_template_sample(&target),
        )
    }

    async fn model_template(&self, rest_api_id: String, model_name: String) -> BResult<String> {
        let definition = self.with(|s| {
            s.apis
                .iter()
                .find(|d| d.rest_api.id == rest_api_id)
                .cloned()
                .ok_or_else(|| "Invalid API identifier specified".to_string())
        })?;
        crate::engine::Gateway::model_template(&definition, &model_name).map_err(|e| e.to_string())
    }

    async fn test_invoke_http(
        &self,
        api_id: String,
        stage: String,
        method: String,
        path: String,
        sample: SampleRequest,
    ) -> BResult<TestInvokeResult> {
        self.with(|s| {
            super::fake_http::test_invoke_http(s, &api_id, &stage, &method, &path, sample)
        })
    }

    async fn import(&self, path: String) -> BResult<String> {
        let src = tokio::fs::read_to_string(&path)
            .await
            .map_err(|e| format!("{path}: {e}"))?;
        let def: ApiDefinition = serde_json::from_str(&src).map_err(|e| format!("{path}: {e}"))?;
        let id = def.rest_api.id.clone();
        self.mutate(format!("import {path}"), |s| {
            s.apis.retain(|d| d.rest_api.id != id);
            s.apis.push(def);
            Ok(id)
        })
    }

    async fn export(&self, rest_api_id: String, path: String) -> BResult<()> {
        let def = self.with(|s| {
            s.calls.push(format!("export {rest_api_id} {path}"));
            s.apis
                .iter()
                .find(|d| d.rest_api.id == rest_api_id)
                .cloned()
                .ok_or_else(|| "Invalid API identifier specified".to_string())
        })?;
        let json = serde_json::to_string_pretty(&def).map_err(|e| e.to_string())?;
        tokio::fs::write(&path, json)
            .await
            .map_err(|e| format!("{path}: {e}"))
    }

    async fn set_traffic(
        &self,
        _rest_api_id: String,
        stage_name: String,
        rate: f64,
    ) -> BResult<()> {
        self.with(|s| {
            s.calls.push(format!("traffic {stage_name} {rate}"));
            Ok(())
        })
    }

    async fn create_api_key(&self, name: String) -> BResult<String> {
        self.mutate(format!("create-key {name}"), |s| {
            let id = format!("key{:03}", s.next_id);
            s.next_id += 1;
            s.usage.keys.push(ApiKey {
                id: id.clone(),
                name,
                enabled: true,
                ..Default::default()
            });
            Ok(id)
        })
    }

    async fn create_usage_plan(&self, name: String) -> BResult<String> {
        self.mutate(format!("create-plan {name}"), |s| {
            let id = format!("plan{:02}", s.next_id);
            s.next_id += 1;
            s.usage.plans.push(UsagePlan {
                id: id.clone(),
                name,
                ..Default::default()
            });
            Ok(id)
        })
    }

    async fn update_api_key(&self, api_key_id: String, ops: Vec<PatchOperation>) -> BResult<()> {
        self.mutate(format!("update-key {api_key_id}"), |s| {
            let k = s
                .usage
                .keys
                .iter_mut()
                .find(|k| k.id == api_key_id)
                .ok_or("Invalid API Key identifier specified")?;
            for op in ops {
                if op.path == "/enabled" {
                    k.enabled = op.value.as_deref() == Some("true");
                }
            }
            Ok(())
        })
    }

    async fn delete_api_key(&self, api_key_id: String) -> BResult<()> {
        self.mutate(format!("delete-key {api_key_id}"), |s| {
            let before = s.usage.keys.len();
            s.usage.keys.retain(|k| k.id != api_key_id);
            if s.usage.keys.len() == before {
                Err("Invalid API Key identifier specified".into())
            } else {
                Ok(())
            }
        })
    }

    /// The fake engine serves no requests, so it keeps no traces.
    async fn request_trace(
        &self,
        _request_id: String,
    ) -> BResult<Option<crate::engine::RequestTrace>> {
        Ok(None)
    }
    async fn websocket_connections(
        &self,
        api_id: String,
        stage: String,
    ) -> BResult<crate::tui::msg::ConnectionsPage> {
        self.ws_connections(&api_id, &stage)
    }

    async fn post_to_connection(
        &self,
        api_id: String,
        stage: String,
        connection_id: String,
        data: String,
    ) -> BResult<()> {
        self.ws_post(&api_id, &stage, &connection_id, data)
    }

    async fn delete_connection(
        &self,
        api_id: String,
        stage: String,
        connection_id: String,
    ) -> BResult<()> {
        self.ws_delete(&api_id, &stage, &connection_id)
    }

    async fn wscat_open(
        &self,
        api_id: String,
        stage: String,
    ) -> BResult<crate::tui::wscat::WscatSession> {
        self.ws_wscat(&api_id, &stage)
    }
}
