//! Each console operation as management calls.

use std::sync::Arc;

use http::Method;
use serde_json::json;
use tokio::sync::mpsc;

use super::{RemoteBackend, encode};
use crate::engine::{AwsSettings, Gateway};
use crate::model::{
    ApiDefinition, ApiKey, BasePathMapping, Deployment, DomainName, PatchOperation, RestApi, Stage,
    TestInvokeResult, UsagePlan,
};
use crate::tui::backend::{BResult, Backend};
use crate::tui::effect::TemplateTarget;
use crate::tui::metrics::MetricsSnapshot;
use crate::tui::msg::{ApiSummary, DataUpdate, HttpApiSummary, HttpStageRow, KeyUsage, UsageData};
use crate::tui::sample::SampleRequest;

use super::NONE;

fn api_path(rest_api_id: &str) -> String {
    format!("/restapis/{}", encode(rest_api_id))
}

fn stage_path(rest_api_id: &str, stage_name: &str) -> String {
    format!("{}/stages/{}", api_path(rest_api_id), encode(stage_name))
}

fn method_path(rest_api_id: &str, resource_id: &str, http_method: &str) -> String {
    format!(
        "{}/resources/{}/methods/{}",
        api_path(rest_api_id),
        encode(resource_id),
        encode(http_method)
    )
}

fn patch(ops: &[PatchOperation]) -> serde_json::Value {
    json!({ "patchOperations": ops })
}

impl RemoteBackend {
    async fn definition(&self, rest_api_id: &str) -> BResult<ApiDefinition> {
        self.call_json(
            Method::GET,
            &format!("/gwtui/restapis/{}/definition", encode(rest_api_id)),
            "",
            NONE,
        )
        .await
    }

    async fn patch_stage_ops(
        &self,
        rest_api_id: &str,
        stage_name: &str,
        ops: &[PatchOperation],
    ) -> BResult<()> {
        self.call(
            Method::PATCH,
            &stage_path(rest_api_id, stage_name),
            "",
            Some(&patch(ops)),
        )
        .await
        .map(|_| ())
    }

    async fn create_deployment(
        &self,
        rest_api_id: &str,
        body: serde_json::Value,
    ) -> BResult<String> {
        let d: Deployment = self
            .call_json(
                Method::POST,
                &format!("{}/deployments", api_path(rest_api_id)),
                "",
                Some(&body),
            )
            .await?;
        Ok(d.id)
    }
}

impl Backend for RemoteBackend {
    fn listener(&self) -> String {
        self.inner.authority.clone()
    }

    fn aws_settings(&self) -> Arc<AwsSettings> {
        self.aws()
    }

    fn subscribe(&self) -> mpsc::Receiver<DataUpdate> {
        super::stream::subscribe(self.clone())
    }

    async fn list_apis(&self) -> BResult<Vec<ApiSummary>> {
        let mut mappings = Vec::new();
        for d in self.list::<DomainName>("/domainnames").await? {
            let path = format!("/domainnames/{}/basepathmappings", encode(&d.domain_name));
            for m in self.list::<BasePathMapping>(&path).await? {
                mappings.push((d.domain_name.clone(), m));
            }
        }
        let mut out = Vec::new();
        for api in self.list::<RestApi>("/restapis").await? {
            let definition = self.definition(&api.id).await?;
            let last = self
                .list::<Deployment>(&format!("{}/deployments", api_path(&api.id)))
                .await?
                .into_iter()
                .max_by_key(|d| d.created_date);
            // GetDeployments leaves out `apiSummary`; GetDeployment embeds it when asked.
            let last_deployment = match last {
                Some(d) => Some(
                    self.call_json(
                        Method::GET,
                        &format!("{}/deployments/{}", api_path(&api.id), encode(&d.id)),
                        "embed=apisummary",
                        NONE,
                    )
                    .await?,
                ),
                None => None,
            };
            out.push(ApiSummary {
                endpoint_url: format!(
                    "{}/restapis/{}/{{stage}}/_user_request_",
                    self.inner.base, api.id
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
        use crate::model::v2;
        let mut out = Vec::new();
        for api in self.list_v2::<v2::Api>("/v2/apis").await? {
            let id = encode(&api.api_id);
            let integrations: Vec<v2::Integration> =
                self.list_v2(&format!("/v2/apis/{id}/integrations")).await?;
            let authorizers: Vec<v2::Authorizer> =
                self.list_v2(&format!("/v2/apis/{id}/authorizers")).await?;
            let stages: Vec<v2::Stage> = self.list_v2(&format!("/v2/apis/{id}/stages")).await?;
            let routes = self
                .list_v2::<v2::Route>(&format!("/v2/apis/{id}/routes"))
                .await?
                .into_iter()
                .map(|r| {
                    crate::tui::gateway_http::http_route_row(
                        &r,
                        &integrations,
                        &authorizers,
                        &stages,
                    )
                })
                .collect();
            out.push(HttpApiSummary {
                endpoint_url: format!(
                    "{}://{}.execute-api.localhost:{}",
                    if self.inner.base.starts_with("https://") {
                        "https"
                    } else {
                        "http"
                    },
                    api.api_id,
                    self.inner.addr.port()
                ),
                api_id: api.api_id,
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
        #[derive(serde::Deserialize)]
        struct Stages {
            #[serde(default)]
            item: Vec<Stage>,
        }
        let stages: Stages = self
            .call_json(
                Method::GET,
                &format!("{}/stages", api_path(&rest_api_id)),
                "",
                NONE,
            )
            .await?;
        let mut deployments: Vec<Deployment> = self
            .list(&format!("{}/deployments", api_path(&rest_api_id)))
            .await?;
        deployments.sort_by_key(|d| d.created_date);
        Ok((stages.item, deployments))
    }

    async fn deployment_definition(
        &self,
        rest_api_id: String,
        deployment_id: String,
    ) -> BResult<ApiDefinition> {
        self.call_json(
            Method::GET,
            &format!(
                "/gwtui/restapis/{}/deployments/{}/definition",
                encode(&rest_api_id),
                encode(&deployment_id)
            ),
            "",
            NONE,
        )
        .await
    }

    async fn metrics(
        &self,
        rest_api_id: String,
        window_seconds: i64,
        scope: crate::engine::MetricsScope,
    ) -> BResult<MetricsSnapshot> {
        let mut query = format!(
            "restApiId={}&window={}s",
            encode(&rest_api_id),
            window_seconds.clamp(1, 86_400)
        );
        match scope {
            crate::engine::MetricsScope::ThisNode => {}
            crate::engine::MetricsScope::Cluster => {
                query.push_str("&node=");
                query.push_str(crate::engine::CLUSTER_SCOPE);
            }
            crate::engine::MetricsScope::Node(id) => {
                query.push_str("&node=");
                query.push_str(&encode(&id));
            }
        }
        let wire: super::wire::Snapshot = self
            .call_json(Method::GET, "/gwtui/metrics", &query, NONE)
            .await?;
        let mut snapshot = wire.into_console();
        let v2: Option<crate::model::v2::Api> = self
            .call_json(
                Method::GET,
                &format!("/v2/apis/{}", encode(&rest_api_id)),
                "",
                NONE,
            )
            .await
            .ok();
        snapshot.http_api = v2.is_some();
        snapshot.websocket = v2.is_some_and(|a| a.protocol_type == "WEBSOCKET");
        Ok(snapshot)
    }

    async fn request_trace(
        &self,
        request_id: String,
    ) -> BResult<Option<crate::engine::RequestTrace>> {
        self.call_json(
            Method::GET,
            &format!("/gwtui/traces/{}", encode(&request_id)),
            "",
            NONE,
        )
        .await
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

    async fn cluster(&self) -> BResult<crate::engine::ClusterView> {
        self.call_json(Method::GET, "/gwtui/cluster", "", NONE)
            .await
    }

    async fn usage(&self) -> BResult<UsageData> {
        #[derive(serde::Deserialize)]
        struct PlanKey {
            id: String,
        }
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct Usage {
            values: std::collections::BTreeMap<String, Vec<Vec<i64>>>,
        }
        let plans: Vec<UsagePlan> = self.list("/usageplans").await?;
        let keys: Vec<ApiKey> = self.list("/apikeys").await?;
        let mut plan_keys = Vec::new();
        let mut usage = Vec::new();
        for plan in &plans {
            let (start, end) = Gateway::usage_period(plan.quota.as_ref());
            let plan_path = format!("/usageplans/{}", encode(&plan.id));
            for key in self.list::<PlanKey>(&format!("{plan_path}/keys")).await? {
                plan_keys.push((plan.id.clone(), key.id.clone()));
                let query = format!("keyId={}&startDate={start}&endDate={end}", encode(&key.id));
                let report: Usage = self
                    .call_json(Method::GET, &format!("{plan_path}/usage"), &query, NONE)
                    .await?;
                usage.push(KeyUsage::from_days(
                    plan,
                    key.id.clone(),
                    report
                        .values
                        .get(&key.id)
                        .into_iter()
                        .flatten()
                        .map(|d| d.first().copied().unwrap_or(0)),
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
        self.create_deployment(
            &rest_api_id,
            json!({ "stageName": stage_name, "description": description }),
        )
        .await
    }

    async fn patch_stage(
        &self,
        rest_api_id: String,
        stage_name: String,
        ops: Vec<PatchOperation>,
    ) -> BResult<()> {
        self.patch_stage_ops(&rest_api_id, &stage_name, &ops).await
    }

    async fn rollback(
        &self,
        rest_api_id: String,
        stage_name: String,
        deployment_id: String,
    ) -> BResult<()> {
        // GetDeployment first, so that an unknown deployment is named as such.
        self.call(
            Method::GET,
            &format!(
                "{}/deployments/{}",
                api_path(&rest_api_id),
                encode(&deployment_id)
            ),
            "",
            NONE,
        )
        .await?;
        let ops = [PatchOperation::replace("/deploymentId", deployment_id)];
        self.patch_stage_ops(&rest_api_id, &stage_name, &ops).await
    }

    async fn flush_cache(&self, rest_api_id: String, stage_name: String) -> BResult<()> {
        self.call(
            Method::DELETE,
            &format!("{}/cache/data", stage_path(&rest_api_id, &stage_name)),
            "",
            NONE,
        )
        .await
        .map(|_| ())
    }

    async fn create_canary(
        &self,
        rest_api_id: String,
        stage_name: String,
        percent_traffic: f64,
    ) -> BResult<String> {
        self.create_deployment(
            &rest_api_id,
            json!({
                "stageName": stage_name,
                "description": format!("canary at {percent_traffic}%"),
                "canarySettings": { "percentTraffic": percent_traffic },
            }),
        )
        .await
    }

    async fn promote_canary(&self, rest_api_id: String, stage_name: String) -> BResult<()> {
        // AWS's documented promotion, as `Gateway::promote_canary` applies it.
        let ops = [
            PatchOperation::copy("/canarySettings/stageVariableOverrides", "/variables"),
            PatchOperation::copy("/canarySettings/deploymentId", "/deploymentId"),
            PatchOperation::replace("/canarySettings/percentTraffic", "0.0"),
        ];
        self.patch_stage_ops(&rest_api_id, &stage_name, &ops).await
    }

    async fn delete_canary(&self, rest_api_id: String, stage_name: String) -> BResult<()> {
        let ops = [PatchOperation::remove("/canarySettings")];
        self.patch_stage_ops(&rest_api_id, &stage_name, &ops).await
    }

    async fn save_template(
        &self,
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        target: TemplateTarget,
        template: String,
    ) -> BResult<()> {
        if let TemplateTarget::HttpMappings { integration_id } = &target {
            return self
                .save_http_mappings(&rest_api_id, integration_id, &template)
                .await;
        }
        self.call(
            Method::POST,
            "/gwtui/templates/check",
            "",
            Some(&json!({ "template": template })),
        )
        .await?;
        let escaped = crate::model::patch::escape_segment(target.content_type());
        let base = method_path(&rest_api_id, &resource_id, &http_method);
        let (path, op_path) = match &target {
            TemplateTarget::Request { .. } => (
                format!("{base}/integration"),
                format!("/requestTemplates/{escaped}"),
            ),
            TemplateTarget::Response { status_code, .. } => (
                format!("{base}/integration/responses/{}", encode(status_code)),
                format!("/responseTemplates/{escaped}"),
            ),
            // Saved with UpdateIntegration above.
            TemplateTarget::HttpMappings { .. } => return Ok(()),
        };
        let ops = [PatchOperation::add(op_path, template)];
        self.call(Method::PATCH, &path, "", Some(&patch(&ops)))
            .await
            .map(|_| ())
    }

    async fn update_integration(
        &self,
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        ops: Vec<PatchOperation>,
    ) -> BResult<()> {
        let path = format!(
            "{}/integration",
            method_path(&rest_api_id, &resource_id, &http_method)
        );
        self.call(Method::PATCH, &path, "", Some(&patch(&ops)))
            .await
            .map(|_| ())
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
            return self
                .check_http_mappings(&rest_api_id, integration_id, &template)
                .await;
        }
        #[derive(serde::Deserialize)]
        struct Rendered {
            output: String,
        }
        let path = format!(
            "/gwtui{}/render",
            method_path(&rest_api_id, &resource_id, &http_method)
        );
        let body = json!({
            "template": template,
            "sample": sample.into_template_sample(&target),
        });
        let r: Rendered = self.call_json(Method::POST, &path, "", Some(&body)).await?;
        Ok(r.output)
    }

    async fn model_template(&self, rest_api_id: String, model_name: String) -> BResult<String> {
        #[derive(serde::Deserialize)]
        struct Template {
            value: String,
        }
        let path = format!(
            "{}/models/{}/default_template",
            api_path(&rest_api_id),
            encode(&model_name)
        );
        let t: Template = self.call_json(Method::GET, &path, "", NONE).await?;
        Ok(t.value)
    }

    async fn test_invoke(
        &self,
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        sample: SampleRequest,
    ) -> BResult<TestInvokeResult> {
        let def = self.definition(&rest_api_id).await?;
        let path = def
            .resource(&resource_id)
            .map(|r| r.path.clone())
            .ok_or_else(|| "Invalid Resource identifier specified".to_string())?;
        self.call_json(
            Method::POST,
            &method_path(&rest_api_id, &resource_id, &http_method),
            "",
            Some(&sample.to_test_invoke(&path)),
        )
        .await
    }

    async fn import(&self, path: String) -> BResult<String> {
        let source = tokio::fs::read(&path)
            .await
            .map_err(|e| format!("cannot read {path}: {e}"))?;
        let bytes = self
            .send(Method::POST, "/restapis", "mode=import", source)
            .await
            .map_err(|(_, m)| m)?;
        let api: RestApi = serde_json::from_slice(&bytes)
            .map_err(|e| format!("unexpected answer to ImportRestApi: {e}"))?;
        Ok(api.id)
    }

    async fn export(&self, rest_api_id: String, path: String) -> BResult<()> {
        let yaml = path.ends_with(".yaml") || path.ends_with(".yml");
        let text = self
            .call(
                Method::GET,
                &format!("/gwtui/restapis/{}/export", encode(&rest_api_id)),
                if yaml { "yaml=true" } else { "yaml=false" },
                NONE,
            )
            .await?;
        tokio::fs::write(&path, text)
            .await
            .map_err(|e| format!("cannot write {path}: {e}"))
    }

    async fn set_traffic(&self, rest_api_id: String, stage_name: String, rate: f64) -> BResult<()> {
        if self.inner.base.starts_with("https://") && rate > 0.0 {
            return Err(
                "the load generator speaks plain HTTP: attach over the server's http:// listener to run :traffic"
                    .into(),
            );
        }
        let stage: Stage = self
            .call_json(
                Method::GET,
                &stage_path(&rest_api_id, &stage_name),
                "",
                NONE,
            )
            .await?;
        let def = self
            .deployment_definition(rest_api_id.clone(), stage.deployment_id)
            .await?;
        self.inner.traffic.set(
            self.inner.addr,
            &rest_api_id,
            &stage_name,
            rate,
            crate::loadgen::default_mix(&def),
        )
    }

    async fn create_api_key(&self, name: String) -> BResult<String> {
        let key: ApiKey = self
            .call_json(
                Method::POST,
                "/apikeys",
                "",
                Some(&json!({ "name": name, "enabled": true })),
            )
            .await?;
        Ok(key.id)
    }

    async fn create_usage_plan(&self, name: String) -> BResult<String> {
        let plan: UsagePlan = self
            .call_json(
                Method::POST,
                "/usageplans",
                "",
                Some(&json!({ "name": name })),
            )
            .await?;
        Ok(plan.id)
    }

    async fn update_api_key(&self, api_key_id: String, ops: Vec<PatchOperation>) -> BResult<()> {
        self.call(
            Method::PATCH,
            &format!("/apikeys/{}", encode(&api_key_id)),
            "",
            Some(&patch(&ops)),
        )
        .await
        .map(|_| ())
    }

    async fn delete_api_key(&self, api_key_id: String) -> BResult<()> {
        self.call(
            Method::DELETE,
            &format!("/apikeys/{}", encode(&api_key_id)),
            "",
            NONE,
        )
        .await
        .map(|_| ())
    }
    async fn websocket_connections(
        &self,
        api_id: String,
        stage: String,
    ) -> BResult<crate::tui::msg::ConnectionsPage> {
        self.ws_connections(&api_id, &stage).await
    }

    async fn post_to_connection(
        &self,
        api_id: String,
        stage: String,
        connection_id: String,
        data: String,
    ) -> BResult<()> {
        self.ws_op(
            Method::POST,
            &api_id,
            &stage,
            &connection_id,
            data.into_bytes(),
        )
        .await
    }

    async fn delete_connection(
        &self,
        api_id: String,
        stage: String,
        connection_id: String,
    ) -> BResult<()> {
        self.ws_op(Method::DELETE, &api_id, &stage, &connection_id, Vec::new())
            .await
    }

    async fn wscat_open(
        &self,
        api_id: String,
        stage: String,
    ) -> BResult<crate::tui::wscat::WscatSession> {
        self.ws_wscat(&api_id, &stage).await
    }
}
