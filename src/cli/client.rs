//! The admin commands' view of the gateway: the store opened in this process, or — when a
//! gwtui process is serving the same data dir (it holds the lock and wrote `server.json`) —
//! that process's management API.

use std::path::Path;

use anyhow::{Context as _, bail};
use indexmap::IndexMap;

use super::Settings;
use crate::engine::{Actor, CreateDeployment, EngineConfig, Gateway, OpenError};
use crate::model::{Deployment, PatchOperation, RestApi, Stage};
use crate::openapi::{ImportMode, ImportOptions};
use crate::store::StoreError;

/// The file a serving process writes into its data dir.
pub const SERVER_FILE: &str = "server.json";

pub enum Client {
    Local(Gateway),
    Remote { base: String, http: reqwest::Client },
}

/// The URL of the gwtui process serving `data_dir`, if `server.json` names one.
pub fn running_server(data_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(data_dir.join(SERVER_FILE)).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(format!("http://{}", v.get("listen")?.as_str()?))
}

fn actor() -> Actor {
    Actor::new("cli")
}

impl Client {
    pub async fn connect(s: &Settings) -> anyhow::Result<Client> {
        match Gateway::open(EngineConfig { data_dir: s.paths.data_dir.clone(), canary_seed: None, ..EngineConfig::default() }) {
            Ok(gw) => Ok(Client::Local(gw)),
            Err(OpenError::Store(locked @ StoreError::Locked { .. })) => {
                let Some(base) = running_server(&s.paths.data_dir) else {
                    bail!("{locked}");
                };
                let http = reqwest::Client::builder().no_proxy().build().context("cannot build an HTTP client")?;
                let health = http.get(format!("{base}/gwtui/health")).send().await;
                if !health.is_ok_and(|r| r.status().is_success()) {
                    bail!("{locked} (and it does not answer at {base})");
                }
                Ok(Client::Remote { base, http })
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn remote<T: serde::de::DeserializeOwned>(http: &reqwest::Client, req: reqwest::RequestBuilder) -> anyhow::Result<T> {
        let _ = http;
        let resp = req.header("x-gwtui-actor", "cli").send().await.context("the serving gwtui process did not answer")?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
                .unwrap_or(text);
            bail!("{message}");
        }
        serde_json::from_str(&text).with_context(|| format!("unexpected answer from the serving process: {text}"))
    }

    pub async fn import(&self, source: &str, opts: ImportOptions, rest_api_id: Option<&str>) -> anyhow::Result<RestApi> {
        match (self, rest_api_id) {
            (Client::Local(gw), None) => Ok(gw.import_rest_api(&actor(), source, opts).await?),
            (Client::Local(gw), Some(id)) => Ok(gw.put_rest_api(&actor(), id, source, opts).await?),
            (Client::Remote { base, http }, id) => {
                let fail = if opts.fail_on_warnings { "&failonwarnings=true" } else { "" };
                let req = match id {
                    None => http.post(format!("{base}/restapis?mode=import{fail}")),
                    Some(id) => {
                        let mode = if opts.mode == ImportMode::Overwrite { "overwrite" } else { "merge" };
                        http.put(format!("{base}/restapis/{id}?mode={mode}{fail}"))
                    }
                };
                Self::remote(http, req.body(source.to_string())).await
            }
        }
    }

    pub async fn deploy(&self, api: &str, stage: &str, description: Option<String>, variables: IndexMap<String, String>) -> anyhow::Result<Deployment> {
        let input = CreateDeployment { stage_name: Some(stage.to_string()), description, variables, ..Default::default() };
        match self {
            Client::Local(gw) => Ok(gw.create_deployment(&actor(), api, input).await?),
            Client::Remote { base, http } => {
                let body = serde_json::json!({
                    "stageName": input.stage_name, "description": input.description, "variables": input.variables,
                });
                Self::remote(http, http.post(format!("{base}/restapis/{api}/deployments")).json(&body)).await
            }
        }
    }

    pub async fn stages(&self, api: &str) -> anyhow::Result<Vec<Stage>> {
        match self {
            Client::Local(gw) => Ok(gw.list_stages(api)?),
            Client::Remote { base, http } => {
                #[derive(serde::Deserialize)]
                struct Items {
                    #[serde(default)]
                    item: Vec<Stage>,
                }
                let items: Items = Self::remote(http, http.get(format!("{base}/restapis/{api}/stages"))).await?;
                Ok(items.item)
            }
        }
    }

    pub async fn rollback(&self, api: &str, stage: &str, deployment_id: &str) -> anyhow::Result<Stage> {
        match self {
            Client::Local(gw) => Ok(gw.rollback(&actor(), api, stage, deployment_id).await?),
            Client::Remote { base, http } => {
                let body = serde_json::json!({ "patchOperations": [PatchOperation::replace("/deploymentId", deployment_id)] });
                Self::remote(http, http.patch(format!("{base}/restapis/{api}/stages/{stage}")).json(&body)).await
            }
        }
    }
}
