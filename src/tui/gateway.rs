//! [`Backend`] for the real engine: every console operation is a [`Gateway`] call made as the
//! `console` actor, and engine events become console data.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::backend::{BResult, Backend};
use super::effect::TemplateTarget;
use super::metrics::MetricsSnapshot;
use super::msg::{
    ApiSummary, DataUpdate, HttpApiSummary, HttpStageRow, KeyUsage, LogLine, UsageData,
};
use super::sample::SampleRequest;
use crate::engine::{
    Actor, CreateApiKey, CreateDeployment, CreateUsagePlan, DeploymentCanarySettings, Gateway,
    GatewayEvent,
};
use crate::loadgen::Traffic;
use crate::model::{ApiDefinition, Deployment, PatchOp, PatchOperation, Stage, TestInvokeResult};

#[derive(Clone)]
pub struct GatewayBackend {
    pub(super) gw: Gateway,
    pub(super) listener: SocketAddr,
    traffic: Arc<Traffic>,
}

impl GatewayBackend {
    pub fn new(gw: Gateway, listener: SocketAddr, traffic: Arc<Traffic>) -> GatewayBackend {
        GatewayBackend {
            gw,
            listener,
            traffic,
        }
    }
}

pub(super) fn actor() -> Actor {
    Actor::new("console")
}

pub(super) fn msg<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

impl Backend for GatewayBackend {
    fn listener(&self) -> String {
        self.listener.to_string()
    }

    fn aws_settings(&self) -> Arc<crate::engine::AwsSettings> {
        self.gw.aws_settings()
    }

    fn subscribe(&self) -> mpsc::Receiver<DataUpdate> {
        let (tx, rx) = mpsc::channel(crate::tui::backend::EVENT_QUEUE);
        let mut events = self.gw.subscribe();
        tokio::spawn(async move {
            // Log lines dropped since the last report: sent as one count as soon as the
            // console has room again, so the operator sees that lines are missing.
            let mut dropped: u64 = 0;
            loop {
                let event = if dropped > 0 {
                    tokio::select! {
                        permit = tx.reserve() => match permit {
                            Ok(p) => {
                                p.send(DataUpdate::LogsDropped(std::mem::take(&mut dropped)));
                                continue;
                            }
                            Err(_) => break,
                        },
                        e = events.recv() => e,
                    }
                } else {
                    events.recv().await
                };
                let update = match event {
                    Ok(GatewayEvent::Changed { .. }) => DataUpdate::Changed,
                    Ok(GatewayEvent::Logs(batch)) => DataUpdate::Logs(
                        batch
                            .iter()
                            .map(|l| LogLine {
                                epoch_millis: l.epoch_millis,
                                level: l.kind.as_str().into(),
                                rest_api_id: l.rest_api_id.clone(),
                                stage: l.stage.clone(),
                                request_id: l.request_id.clone(),
                                message: l.message.clone(),
                            })
                            .collect(),
                    ),
                    // The console polls `metrics` on its own 1 s tick.
                    Ok(GatewayEvent::MetricsTick(_)) => continue,
                    // A local function's worker output: shown in the log pane.
                    Ok(GatewayEvent::FunctionLog { function, line }) => {
                        DataUpdate::Logs(vec![LogLine {
                            epoch_millis: (time::OffsetDateTime::now_utc().unix_timestamp_nanos()
                                / 1_000_000) as i64,
                            level: "FUNCTION".into(),
                            rest_api_id: String::new(),
                            stage: String::new(),
                            request_id: String::new(),
                            message: format!("[{function}] {line}"),
                        }])
                    }
                    // Events were missed, changes perhaps among them: reload to be sure.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => DataUpdate::Resync,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                };
                let sent = match update {
                    // A console that falls behind loses log lines, never the engine's time.
                    DataUpdate::Logs(lines) => {
                        let n = lines.len() as u64;
                        match tx.try_send(DataUpdate::Logs(lines)) {
                            Err(mpsc::error::TrySendError::Closed(_)) => Err(()),
                            Err(mpsc::error::TrySendError::Full(_)) => {
                                dropped = dropped.saturating_add(n);
                                Ok(())
                            }
                            Ok(()) => Ok(()),
                        }
                    }
                    other => tx.send(other).await.map_err(|_| ()),
                };
                if sent.is_err() {
                    break;
                }
            }
        });
        rx
    }

    async fn list_apis(&self) -> BResult<Vec<ApiSummary>> {
        let mut mappings = Vec::new();
        for d in self.gw.list_domain_names().map_err(msg)? {
            for m in self
                .gw
                .list_base_path_mappings(&d.domain_name)
                .map_err(msg)?
            {
                mappings.push((d.domain_name.clone(), m));
            }
        }
        let mut out = Vec::new();
        for api in self.gw.list_rest_apis() {
            let definition = self.gw.get_definition(&api.id).map_err(msg)?;
            let last_deployment = self.gw.list_deployments(&api.id).map_err(msg)?.pop();
            out.push(ApiSummary {
                endpoint_url: format!(
                    "http://{}/restapis/{}/{{stage}}/_user_request_",
                    self.listener, api.id
                ),
                domains: mappings
                    .iter()
                    .filter(|(_, m)| m.rest_api_id == api.id)
                    .cloned()
                    .collect(),
                definition,
                last_deployment,
            });
        }
        Ok(out)
    }

    async fn list_http_apis(&self) -> BResult<Vec<HttpApiSummary>> {
        let mut out = Vec::new();
        for api in self.gw.list_http_apis().map_err(msg)? {
            let id = api.api_id.clone();
            let integrations = self.gw.list_http_integrations(&id).map_err(msg)?;
            let authorizers = self.gw.list_http_authorizers(&id).map_err(msg)?;
            let stages = self.gw.list_http_stages(&id).map_err(msg)?;
            let routes = self
                .gw
                .list_http_routes(&id)
                .map_err(msg)?
                .into_iter()
                .map(|r| {
                    super::gateway_http::http_route_row(&r, &integrations, &authorizers, &stages)
                })
                .collect();
            out.push(HttpApiSummary {
                endpoint_url: format!("http://{id}.execute-api.localhost:{}", self.listener.port()),
                api_id: id,
                name: api.name,
                description: api.description,
                cors: api.cors_configuration.is_some(),
                websocket: api.protocol_type == "WEBSOCKET",
                routes,
                stages: stages
                    .into_iter()
                    .map(|s| HttpStageRow {
                        stage_name: s.stage_name,
                        auto_deploy: s.auto_deploy,
                        deployment_id: s.deployment_id,
                        last_deployment_status: s.last_deployment_status_message,
                    })
                    .collect(),
            });
        }
        Ok(out)
    }

    async fn stages(&self, rest_api_id: String) -> BResult<(Vec<Stage>, Vec<Deployment>)> {
        Ok((
            self.gw.list_stages(&rest_api_id).map_err(msg)?,
            self.gw.list_deployments(&rest_api_id).map_err(msg)?,
        ))
    }

    async fn deployment_definition(
        &self,
        rest_api_id: String,
        deployment_id: String,
    ) -> BResult<ApiDefinition> {
        Ok((*self
            .gw
            .deployment_snapshot(&rest_api_id, &deployment_id)
            .map_err(msg)?)
        .clone())
    }

    async fn metrics(
        &self,
        rest_api_id: String,
        window_seconds: i64,
        scope: crate::engine::MetricsScope,
    ) -> BResult<MetricsSnapshot> {
        let window = std::time::Duration::from_secs(window_seconds.max(1) as u64);
        let mut snap = console_snapshot(
            self.gw
                .cluster_metrics_snapshot(&rest_api_id, window, None, &scope)
                .await,
        );
        snap.http_api = self.gw.get_http_api(&rest_api_id).is_ok();
        snap.websocket = self.gw.is_websocket_api(&rest_api_id);
        Ok(snap)
    }

    async fn cluster(&self) -> BResult<crate::engine::ClusterView> {
        // A PostgreSQL read in cluster mode: off the async workers.
        let gw = self.gw.clone();
        tokio::task::spawn_blocking(move || gw.cluster_view())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    }

    async fn usage(&self) -> BResult<UsageData> {
        let plans = self.gw.list_usage_plans(None);
        let keys = self.gw.list_api_keys();
        let mut plan_keys = Vec::new();
        let mut usage = Vec::new();
        for plan in &plans {
            // Usage in the quota's current period (today when the plan has no quota).
            let (start, end) = Gateway::usage_period(plan.quota.as_ref());
            for key in self.gw.list_usage_plan_keys(&plan.id).map_err(msg)? {
                plan_keys.push((plan.id.clone(), key.id.clone()));
                let report = self
                    .gw
                    .get_usage(&plan.id, Some(&key.id), &start, &end)
                    .await
                    .map_err(msg)?;
                usage.push(KeyUsage::from_days(
                    plan,
                    key.id.clone(),
                    report
                        .items
                        .get(&key.id)
                        .into_iter()
                        .flatten()
                        .map(|d| d[0]),
                ));
            }
        }
        Ok(UsageData {
            plans,
            keys,
            usage,
            plan_keys,
        })
    }

    async fn deploy(
        &self,
        rest_api_id: String,
        stage_name: String,
        description: Option<String>,
    ) -> BResult<String> {
        let input = CreateDeployment {
            stage_name: Some(stage_name),
            description,
            ..Default::default()
        };
        Ok(self
            .gw
            .create_deployment(&actor(), &rest_api_id, input)
            .await
            .map_err(msg)?
            .id)
    }

    async fn patch_stage(
        &self,
        rest_api_id: String,
        stage_name: String,
        ops: Vec<PatchOperation>,
    ) -> BResult<()> {
        self.gw
            .update_stage(&actor(), &rest_api_id, &stage_name, ops)
            .await
            .map(|_| ())
            .map_err(msg)
    }

    async fn rollback(
        &self,
        rest_api_id: String,
        stage_name: String,
        deployment_id: String,
    ) -> BResult<()> {
        self.gw
            .rollback(&actor(), &rest_api_id, &stage_name, &deployment_id)
            .await
            .map(|_| ())
            .map_err(msg)
    }

    async fn flush_cache(&self, rest_api_id: String, stage_name: String) -> BResult<()> {
        self.gw
            .flush_stage_cache(&actor(), &rest_api_id, &stage_name)
            .await
            .map_err(msg)
    }

    async fn create_canary(
        &self,
        rest_api_id: String,
        stage_name: String,
        percent_traffic: f64,
    ) -> BResult<String> {
        let input = CreateDeployment {
            stage_name: Some(stage_name),
            description: Some(format!("canary at {percent_traffic}%")),
            canary_settings: Some(DeploymentCanarySettings {
                percent_traffic,
                ..Default::default()
            }),
            ..Default::default()
        };
        Ok(self
            .gw
            .create_deployment(&actor(), &rest_api_id, input)
            .await
            .map_err(msg)?
            .id)
    }

    async fn promote_canary(&self, rest_api_id: String, stage_name: String) -> BResult<()> {
        self.gw
            .promote_canary(&actor(), &rest_api_id, &stage_name)
            .await
            .map(|_| ())
            .map_err(msg)
    }

    async fn delete_canary(&self, rest_api_id: String, stage_name: String) -> BResult<()> {
        self.gw
            .delete_canary(&actor(), &rest_api_id, &stage_name)
            .await
            .map(|_| ())
            .map_err(msg)
    }

    async fn save_template(
        &self,
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        target: TemplateTarget,
        template: String,
    ) -> BResult<()> {
        if !matches!(target, TemplateTarget::HttpMappings { .. }) {
            Gateway::check_template(&template)?;
        }
        let escaped = crate::model::patch::escape_segment(target.content_type());
        match target {
            TemplateTarget::HttpMappings { integration_id } => {
                self.save_http_mappings(&rest_api_id, &integration_id, &template)
                    .await
            }
            TemplateTarget::Request { .. } => {
                let op = PatchOperation {
                    op: PatchOp::Add,
                    path: format!("/requestTemplates/{escaped}"),
                    value: Some(template),
                    from: None,
                };
                self.gw
                    .update_integration(
                        &actor(),
                        &rest_api_id,
                        &resource_id,
                        &http_method,
                        vec![op],
                    )
                    .await
                    .map(|_| ())
                    .map_err(msg)
            }
            TemplateTarget::Response { status_code, .. } => {
                let op = PatchOperation {
                    op: PatchOp::Add,
                    path: format!("/responseTemplates/{escaped}"),
                    value: Some(template),
                    from: None,
                };
                self.gw
                    .update_integration_response(
                        &actor(),
                        &rest_api_id,
                        &resource_id,
                        &http_method,
                        &status_code,
                        vec![op],
                    )
                    .await
                    .map(|_| ())
                    .map_err(msg)
            }
        }
    }

    async fn update_integration(
        &self,
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        ops: Vec<PatchOperation>,
    ) -> BResult<()> {
        self.gw
            .update_integration(&actor(), &rest_api_id, &resource_id, &http_method, ops)
            .await
            .map(|_| ())
            .map_err(msg)
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
        if let TemplateTarget::HttpMappings { integration_id } = &target {
            return self.check_http_mappings(&rest_api_id, integration_id, &template);
        }
        self.gw
            .render_template_preview(
                &rest_api_id,
                &resource_id,
                &http_method,
                &template,
                sample.into_template_sample(&target),
            )
            .map_err(msg)
    }

    async fn model_template(&self, rest_api_id: String, model_name: String) -> BResult<String> {
        let definition = self.gw.get_definition(&rest_api_id).map_err(msg)?;
        Gateway::model_template(&definition, &model_name).map_err(msg)
    }

    async fn test_invoke(
        &self,
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        sample: SampleRequest,
    ) -> BResult<TestInvokeResult> {
        let def = self.gw.get_definition(&rest_api_id).map_err(msg)?;
        let path = def
            .resource(&resource_id)
            .map(|r| r.path.clone())
            .ok_or_else(|| "Invalid Resource identifier specified".to_string())?;
        self.gw
            .test_invoke_method(
                &rest_api_id,
                &resource_id,
                &http_method,
                sample.to_test_invoke(&path),
            )
            .await
            .map_err(msg)
    }

    async fn test_invoke_http(
        &self,
        api_id: String,
        stage: String,
        method: String,
        path: String,
        sample: SampleRequest,
    ) -> BResult<TestInvokeResult> {
        self.invoke_http(api_id, stage, method, path, sample).await
    }

    async fn import(&self, path: String) -> BResult<String> {
        let source = tokio::fs::read_to_string(&path)
            .await
            .map_err(|e| format!("cannot read {path}: {e}"))?;
        Ok(self
            .gw
            .import_rest_api(&actor(), &source, Default::default())
            .await
            .map_err(msg)?
            .id)
    }

    async fn export(&self, rest_api_id: String, path: String) -> BResult<()> {
        let yaml = path.ends_with(".yaml") || path.ends_with(".yml");
        let host = format!(
            "{rest_api_id}.execute-api.localhost:{}",
            self.listener.port()
        );
        let text = self
            .gw
            .export_working_definition(&rest_api_id, yaml, &host)
            .map_err(msg)?;
        tokio::fs::write(&path, text)
            .await
            .map_err(|e| format!("cannot write {path}: {e}"))
    }

    async fn set_traffic(&self, rest_api_id: String, stage_name: String, rate: f64) -> BResult<()> {
        let stage = self.gw.get_stage(&rest_api_id, &stage_name).map_err(msg)?;
        let def = self
            .gw
            .deployment_snapshot(&rest_api_id, &stage.deployment_id)
            .map_err(msg)?;
        self.traffic.set(
            self.listener,
            &rest_api_id,
            &stage_name,
            rate,
            crate::loadgen::default_mix(&def),
        )
    }

    async fn create_api_key(&self, name: String) -> BResult<String> {
        let input = CreateApiKey {
            name: Some(name),
            enabled: true,
            ..Default::default()
        };
        Ok(self
            .gw
            .create_api_key(&actor(), input)
            .await
            .map_err(msg)?
            .id)
    }

    async fn create_usage_plan(&self, name: String) -> BResult<String> {
        let input = CreateUsagePlan {
            name,
            ..Default::default()
        };
        Ok(self
            .gw
            .create_usage_plan(&actor(), input)
            .await
            .map_err(msg)?
            .id)
    }

    async fn update_api_key(&self, api_key_id: String, ops: Vec<PatchOperation>) -> BResult<()> {
        self.gw
            .update_api_key(&actor(), &api_key_id, ops)
            .await
            .map(|_| ())
            .map_err(msg)
    }

    async fn delete_api_key(&self, api_key_id: String) -> BResult<()> {
        self.gw
            .delete_api_key(&actor(), &api_key_id)
            .await
            .map_err(msg)
    }

    async fn request_trace(
        &self,
        request_id: String,
    ) -> BResult<Option<crate::engine::RequestTrace>> {
        Ok(self.gw.request_trace(&request_id))
    }

    async fn websocket_connections(
        &self,
        api_id: String,
        stage: String,
    ) -> BResult<super::msg::ConnectionsPage> {
        self.ws_connections(&api_id, &stage)
    }

    async fn post_to_connection(
        &self,
        api_id: String,
        stage: String,
        connection_id: String,
        data: String,
    ) -> BResult<()> {
        self.ws_op(
            http::Method::POST,
            &api_id,
            &stage,
            &connection_id,
            bytes::Bytes::from(data),
        )
    }

    async fn delete_connection(
        &self,
        api_id: String,
        stage: String,
        connection_id: String,
    ) -> BResult<()> {
        self.ws_op(
            http::Method::DELETE,
            &api_id,
            &stage,
            &connection_id,
            bytes::Bytes::new(),
        )
    }

    async fn wscat_open(
        &self,
        api_id: String,
        stage: String,
    ) -> BResult<super::wscat::WscatSession> {
        self.ws_wscat(&api_id, &stage).await
    }
}

/// The engine's snapshot in the console's shape. Minute buckets (windows over an hour) sit at
/// their minute's first second with the other 59 left empty, which `fold` sums and weights
/// correctly.
fn console_snapshot(snap: crate::engine::MetricsSnapshot) -> MetricsSnapshot {
    use super::metrics::{Bucket, MetricSeries, Percentiles, SeriesKey, Variant};
    let step = snap.step_seconds.max(1) as usize;
    let percentiles = |p: crate::engine::Percentiles| Percentiles {
        p50: p.p50,
        p90: p.p90,
        p99: p.p99,
    };
    let series = snap
        .series
        .into_iter()
        .map(|s| {
            let mut buckets = vec![Bucket::default(); s.buckets.len() * step];
            for (i, b) in s.buckets.iter().enumerate() {
                buckets[i * step] = Bucket {
                    count: b.count,
                    error_4xx: b.error_4xx,
                    error_5xx: b.error_5xx,
                    cache_hit: b.cache_hit,
                    cache_miss: b.cache_miss,
                    data_processed: b.data_processed,
                    latency_ms: percentiles(b.latency_ms),
                    integration_latency_ms: percentiles(b.integration_latency_ms),
                };
            }
            MetricSeries {
                key: SeriesKey {
                    stage: s.key.stage,
                    variant: match s.key.variant {
                        crate::engine::Variant::Base => Variant::Base,
                        crate::engine::Variant::Canary => Variant::Canary,
                    },
                    resource_path: s.key.resource_path,
                    http_method: s.key.http_method,
                },
                start_epoch_second: s.start_epoch_second,
                buckets,
            }
        })
        .collect();
    MetricsSnapshot {
        rest_api_id: snap.rest_api_id,
        end_epoch_second: snap.end_epoch_second,
        series,
        http_api: false,
        websocket: false,
        cluster: snap.cluster,
    }
}

#[cfg(test)]
mod relay_tests {
    use super::*;

    /// A console that stops reading holds at most `EVENT_QUEUE` updates: log lines past it are
    /// dropped, and a change made after the flood still reaches it.
    #[tokio::test]
    async fn a_console_that_falls_behind_loses_log_lines_not_changes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let gw = Gateway::open(crate::engine::EngineConfig::new(dir.path())).expect("open");
        let backend = GatewayBackend::new(
            gw.clone(),
            "127.0.0.1:0".parse().expect("addr"),
            Arc::new(Traffic::default()),
        );
        let mut rx = backend.subscribe();
        for i in 0..3 * crate::tui::backend::EVENT_QUEUE {
            gw.publish(GatewayEvent::FunctionLog {
                function: "f".into(),
                line: format!("line {i}"),
            });
            tokio::task::yield_now().await;
        }
        gw.publish(GatewayEvent::Changed {
            api_id: None,
            action: "Test".into(),
            target: "t".into(),
        });
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        let (mut logs, mut lines, mut dropped, mut changed) = (0, 0u64, 0u64, false);
        let total = 3 * crate::tui::backend::EVENT_QUEUE as u64;
        while !changed || lines + dropped < total {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(DataUpdate::Logs(batch))) => {
                    logs += 1;
                    lines += batch.len() as u64;
                }
                Ok(Some(DataUpdate::LogsDropped(n))) => dropped += n,
                Ok(Some(DataUpdate::Changed)) => changed = true,
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        assert!(changed, "the change after the flood was lost");
        // Every line either arrived or was counted as dropped, and the console was told.
        assert!(dropped > 0, "nothing was reported dropped");
        assert_eq!(lines + dropped, total, "{lines} shown + {dropped} dropped");
        assert!(
            logs <= crate::tui::backend::EVENT_QUEUE,
            "{logs} log batches were queued for a console that was not reading"
        );
    }
}
