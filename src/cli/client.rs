//! The admin commands' view of the gateway: the store opened in this process, or — when a
//! gwtui process is serving the same data dir (it holds the lock and wrote `server.json`) —
//! that process's management API.

use std::path::Path;

use anyhow::{Context as _, bail};
use indexmap::IndexMap;

use super::Settings;
use crate::engine::{Actor, CreateDeployment, Gateway, OpenError};
use crate::model::{Deployment, PatchOperation, RestApi, Stage};
use crate::openapi::{ImportMode, ImportOptions};
use crate::store::StoreError;

/// The file a serving process writes into its data dir.
pub const SERVER_FILE: &str = "server.json";

pub enum Client {
    Local(Gateway),
    Remote(Remote),
}

/// The management API of the serving process, SigV4-signing requests when admin credentials
/// are configured.
pub struct Remote {
    base: String,
    http: reqwest::Client,
    credentials: Option<crate::auth::credentials::Credentials>,
}

/// The URL of the gwtui process serving `data_dir`, if `server.json` names one. A process
/// listening on every address (`0.0.0.0`, `[::]`) is reached on loopback, a `Host` its
/// management API accepts without `allowed_hosts`.
pub fn running_server(data_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(data_dir.join(SERVER_FILE)).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let listen = v.get("listen")?.as_str()?;
    let addr = match listen.parse::<std::net::SocketAddr>() {
        Ok(mut addr) if addr.ip().is_unspecified() => {
            let loopback: std::net::IpAddr = if addr.is_ipv4() {
                std::net::Ipv4Addr::LOCALHOST.into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            };
            addr.set_ip(loopback);
            addr.to_string()
        }
        _ => listen.to_string(),
    };
    Some(format!("http://{addr}"))
}

fn actor() -> Actor {
    Actor::new("cli")
}

impl Client {
    pub async fn connect(s: &Settings) -> anyhow::Result<Client> {
        match Gateway::open(s.engine_config()?) {
            Ok(gw) => Ok(Client::Local(gw)),
            Err(OpenError::Store(locked @ StoreError::Locked { .. })) => {
                let Some(base) = running_server(&s.paths.data_dir) else {
                    bail!("{locked}");
                };
                let http = reqwest::Client::builder()
                    .no_proxy()
                    .build()
                    .context("cannot build an HTTP client")?;
                let health = http.get(format!("{base}/gwtui/health")).send().await;
                if !health.is_ok_and(|r| r.status().is_success()) {
                    bail!("{locked} (and it does not answer at {base})");
                }
                let credentials = s
                    .config
                    .server
                    .admin_credentials
                    .as_deref()
                    .map(crate::auth::credentials::Credentials::parse)
                    .transpose()
                    .context("server.admin_credentials")?;
                Ok(Client::Remote(Remote {
                    base,
                    http,
                    credentials,
                }))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn import(
        &self,
        source: &str,
        opts: ImportOptions,
        rest_api_id: Option<&str>,
    ) -> anyhow::Result<RestApi> {
        match (self, rest_api_id) {
            (Client::Local(gw), None) => Ok(gw.import_rest_api(&actor(), source, opts).await?),
            (Client::Local(gw), Some(id)) => {
                Ok(gw.put_rest_api(&actor(), id, source, opts).await?)
            }
            (Client::Remote(remote), id) => {
                let fail = if opts.fail_on_warnings {
                    "&failonwarnings=true"
                } else {
                    ""
                };
                match id {
                    None => {
                        remote
                            .call(
                                "POST",
                                "/restapis",
                                &format!("mode=import{fail}"),
                                source.as_bytes(),
                            )
                            .await
                    }
                    Some(id) => {
                        let mode = if opts.mode == ImportMode::Overwrite {
                            "overwrite"
                        } else {
                            "merge"
                        };
                        remote
                            .call(
                                "PUT",
                                &format!("/restapis/{id}"),
                                &format!("mode={mode}{fail}"),
                                source.as_bytes(),
                            )
                            .await
                    }
                }
            }
        }
    }

    pub async fn deploy(
        &self,
        api: &str,
        stage: &str,
        description: Option<String>,
        variables: IndexMap<String, String>,
    ) -> anyhow::Result<Deployment> {
        let input = CreateDeployment {
            stage_name: Some(stage.to_string()),
            description,
            variables,
            ..Default::default()
        };
        match self {
            Client::Local(gw) => Ok(gw.create_deployment(&actor(), api, input).await?),
            Client::Remote(remote) => {
                let body = serde_json::json!({
                    "stageName": input.stage_name, "description": input.description, "variables": input.variables,
                });
                remote
                    .call(
                        "POST",
                        &format!("/restapis/{api}/deployments"),
                        "",
                        body.to_string().as_bytes(),
                    )
                    .await
            }
        }
    }

    pub async fn stages(&self, api: &str) -> anyhow::Result<Vec<Stage>> {
        match self {
            Client::Local(gw) => Ok(gw.list_stages(api)?),
            Client::Remote(remote) => {
                #[derive(serde::Deserialize)]
                struct Items {
                    #[serde(default)]
                    item: Vec<Stage>,
                }
                let items: Items = remote
                    .call("GET", &format!("/restapis/{api}/stages"), "", b"")
                    .await?;
                Ok(items.item)
            }
        }
    }

    pub async fn rollback(
        &self,
        api: &str,
        stage: &str,
        deployment_id: &str,
    ) -> anyhow::Result<Stage> {
        match self {
            Client::Local(gw) => Ok(gw.rollback(&actor(), api, stage, deployment_id).await?),
            Client::Remote(remote) => {
                let body = serde_json::json!({ "patchOperations": [PatchOperation::replace("/deploymentId", deployment_id)] });
                remote
                    .call(
                        "PATCH",
                        &format!("/restapis/{api}/stages/{stage}"),
                        "",
                        body.to_string().as_bytes(),
                    )
                    .await
            }
        }
    }
}

impl Remote {
    /// Sends one management request (signed when credentials are set) and decodes the answer,
    /// turning AWS-shaped errors into their message.
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> anyhow::Result<T> {
        use http::{HeaderMap, HeaderValue};
        let url = if query.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{query}", self.base)
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(credentials) = &self.credentials {
            let authority = self.base.trim_start_matches("http://").to_string();
            let now = time::OffsetDateTime::now_utc();
            let amz_date = now
                .format(time::macros::format_description!(
                    "[year][month][day]T[hour][minute][second]Z"
                ))
                .context("cannot format the signing time")?;
            headers.insert(
                http::header::HOST,
                HeaderValue::from_str(&authority).context("bad server address")?,
            );
            headers.insert(
                "x-amz-date",
                HeaderValue::from_str(&amz_date).context("bad signing time")?,
            );
            // The body's hash, so the server checks the payload it received.
            headers.insert(
                "x-amz-content-sha256",
                HeaderValue::from_str(&crate::auth::sigv4::hex_sha256(body))
                    .context("bad body hash")?,
            );
            let mut signed = vec!["host", "x-amz-content-sha256", "x-amz-date"];
            if let Some(token) = &credentials.session_token {
                headers.insert(
                    "x-amz-security-token",
                    HeaderValue::from_str(token).context("bad session token")?,
                );
                signed.push("x-amz-security-token");
            }
            // The audit actor is honoured only when signed (unsigned, the server refuses it).
            headers.insert(
                crate::server::mgmt::ACTOR_HEADER,
                HeaderValue::from_static("cli"),
            );
            signed.push(crate::server::mgmt::ACTOR_HEADER);
            let parts = crate::auth::sigv4::RequestParts {
                method,
                path,
                query: (!query.is_empty()).then_some(query),
                headers: &headers,
                authority: Some(&authority),
                body,
            };
            let authorization = crate::auth::sigv4::sign(
                &parts,
                &credentials.access_key_id,
                &credentials.secret_access_key,
                crate::engine::REGION,
                crate::auth::sigv4::MANAGEMENT.service,
                &signed,
            )
            .map_err(|e| anyhow::anyhow!("cannot sign the request: {e}"))?;
            headers.insert(
                http::header::AUTHORIZATION,
                HeaderValue::from_str(&authorization).context("bad signature")?,
            );
        }
        let method = reqwest::Method::from_bytes(method.as_bytes()).context("bad method")?;
        let resp = self
            .http
            .request(method, url)
            .headers(headers)
            .body(body.to_vec())
            .send()
            .await
            .context("the serving gwtui process did not answer")?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            let message = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                })
                .unwrap_or(text);
            bail!("{message}");
        }
        serde_json::from_str(&text)
            .with_context(|| format!("unexpected answer from the serving process: {text}"))
    }
}
