//! Admin operations. Each one is validated on a copy of the state, committed to the store
//! (with its audit row), and only then installed and made live by swapping the route map.

mod account;
mod api_key_import;
mod apis;
mod authorizers;
mod cache;
mod canary;
mod client_certificates;
mod cluster_delta;
mod cors;
mod deployments;
mod documentation;
mod domains;
pub mod http_api;
mod methods;
mod quota;
mod responses;
mod tags;
mod template_preview;
mod test_invoke;
mod update_usage;
mod usage;
mod validators;
mod vpc_links;

#[cfg(test)]
mod pruning_tests;

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;

pub use apis::CreateRestApi;
pub use authorizers::CreateAuthorizer;
pub use client_certificates::GenerateClientCertificate;
pub use cors::CorsOptions;
pub use deployments::{CreateDeployment, CreateStage, DeploymentCanarySettings};
pub use documentation::{
    CreateDocumentationPart, CreateDocumentationVersion, PartFilter, properties_text,
};
pub use domains::{CreateBasePathMapping, CreateDomainName, DomainMatch, match_base_path};
pub use responses::PutGatewayResponse;
pub use template_preview::{PreviewError, TemplateSample};
pub use usage::{CreateApiKey, CreateUsagePlan, CreateUsagePlanKey};
pub use validators::{CreateModel, CreateRequestValidator};

use super::compiled::CompiledDeployment;
use super::live::{CanaryLive, LiveApiKey, LiveStage, Routes};
use super::traffic::{StageTraffic, Traffic, TrafficBuild};
use super::{Gateway, GatewayEvent, OpenError};
use crate::model::{
    AccountSettings, AdminError, ApiDefinition, ApiKey, Deployment, Stage, StoredClientCertificate,
    StoredDomain, UsagePlan,
};
use crate::store::{AuditRecord, Change, Store, StoreError, StoreState};
use http_api::HttpApiState;

/// Who made a change, for the audit log: `console`, `cli`, `demo`, or an access key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(pub String);

impl Actor {
    pub fn new(name: impl Into<String>) -> Actor {
        Actor(name.into())
    }
}

/// A deployment with its frozen definition and compiled form.
#[derive(Debug, Clone)]
pub(crate) struct DeploymentRecord {
    pub deployment: Deployment,
    pub snapshot: Arc<ApiDefinition>,
    pub compiled: Arc<CompiledDeployment>,
}

/// One API's control-plane state.
#[derive(Debug, Clone)]
pub(crate) struct ApiState {
    pub definition: ApiDefinition,
    pub deployments: IndexMap<String, DeploymentRecord>,
    pub stages: IndexMap<String, Stage>,
}

/// The committed control-plane state: immutable once published. Readers hold an
/// `Arc<Admin>` snapshot; an admin operation builds the next one (APIs it did not touch are
/// shared, not copied) and swaps it in after its commit.
#[derive(Debug, Clone)]
pub(crate) struct Admin {
    pub apis: IndexMap<String, Arc<ApiState>>,
    pub usage_plans: IndexMap<String, UsagePlan>,
    pub api_keys: IndexMap<String, ApiKey>,
    pub usage_plan_keys: Vec<(String, String)>,
    /// Custom domain names with their base path mappings, by name.
    pub domains: IndexMap<String, StoredDomain>,
    /// UpdateAccount's settings.
    pub account: AccountSettings,
    /// HTTP APIs (v2), by id.
    pub http_apis: IndexMap<String, HttpApiState>,
    /// Client certificates with their keys, by id.
    pub client_certificates: IndexMap<String, StoredClientCertificate>,
}

impl Admin {
    pub fn from_state(state: StoreState) -> Result<Admin, OpenError> {
        Admin::from_state_reusing(state, None)
    }

    /// [`Admin::from_state`], taking each deployment's compiled form from `previous` when it
    /// holds the same deployment with the same snapshot (snapshots never change), so that a
    /// cluster node's reload compiles only what is new.
    pub(crate) fn from_state_reusing(
        state: StoreState,
        previous: Option<&Admin>,
    ) -> Result<Admin, OpenError> {
        let mut apis: IndexMap<String, Arc<ApiState>> = IndexMap::new();
        for stored in state.apis {
            let api_id = stored.definition.rest_api.id.clone();
            let before = previous.and_then(|p| p.apis.get(&api_id));
            let mut deployments = IndexMap::new();
            for d in stored.deployments {
                let reused = before
                    .and_then(|a| a.deployments.get(&d.deployment.id))
                    .filter(|r| *r.snapshot == d.snapshot);
                let (snapshot, compiled) = match reused {
                    Some(r) => (r.snapshot.clone(), r.compiled.clone()),
                    None => {
                        let snapshot = Arc::new(d.snapshot);
                        let compiled =
                            CompiledDeployment::compile(&d.deployment.id, snapshot.clone())
                                .map_err(|e| OpenError::Compile {
                                    api_id: api_id.clone(),
                                    deployment_id: d.deployment.id.clone(),
                                    reason: e.0,
                                })?;
                        (snapshot, Arc::new(compiled))
                    }
                };
                deployments.insert(
                    d.deployment.id.clone(),
                    DeploymentRecord {
                        deployment: d.deployment,
                        snapshot,
                        compiled,
                    },
                );
            }
            let stages = stored
                .stages
                .into_iter()
                .map(|s| (s.stage_name.clone(), s))
                .collect();
            apis.insert(
                api_id,
                Arc::new(ApiState {
                    definition: stored.definition,
                    deployments,
                    stages,
                }),
            );
        }
        Ok(Admin {
            http_apis: http_api::from_stored(state.http_apis)?,
            apis,
            account: state.account,
            client_certificates: state
                .client_certificates
                .into_iter()
                .map(|c| (c.certificate.client_certificate_id.clone(), c))
                .collect(),
            usage_plans: state
                .usage_plans
                .into_iter()
                .map(|p| (p.id.clone(), p))
                .collect(),
            api_keys: state
                .api_keys
                .into_iter()
                .map(|k| (k.id.clone(), k))
                .collect(),
            usage_plan_keys: state.usage_plan_keys,
            domains: state
                .domains
                .into_iter()
                .map(|d| (d.domain.domain_name.clone(), d))
                .collect(),
        })
    }

    pub fn api(&self, id: &str) -> Result<&ApiState, AdminError> {
        self.apis
            .get(id)
            .map(Arc::as_ref)
            .ok_or_else(|| AdminError::not_found("Invalid API identifier specified"))
    }

    /// Builds the whole data-plane route map from the current state, handing over the
    /// `previous` map's caches, buckets and compiled models where their settings are unchanged.
    /// New quota counters start from the `store`'s usage: call it with the writers' lock held,
    /// on a blocking thread.
    pub fn build_routes(&self, traffic: &Traffic, previous: &Routes, store: &Store) -> Routes {
        let mut build = traffic.build(previous.schemas_by_deployment());
        let mut routes = Routes::default();
        for (api_id, api) in &self.apis {
            let mut stages = HashMap::new();
            for (name, stage) in &api.stages {
                let before = previous.stage(api_id, name).ok().map(|l| &l.traffic);
                if let Some(live) = live_stage(api, stage, before, &mut build) {
                    stages.insert(name.clone(), Arc::new(live));
                }
            }
            routes.apis.insert(api_id.clone(), stages);
        }
        for key in self.api_keys.values() {
            let Some(value) = key.value.clone() else {
                continue;
            };
            let plans = self
                .usage_plan_keys
                .iter()
                .filter(|(_, k)| *k == key.id)
                .filter_map(|(plan, _)| self.usage_plans.get(plan))
                .map(|p| Arc::new(build.key_plan(p, &key.id, store)))
                .collect();
            routes.api_keys.insert(
                value,
                LiveApiKey {
                    id: key.id.clone(),
                    enabled: key.enabled,
                    plans,
                },
            );
        }
        routes.domains = self
            .domains
            .iter()
            .map(|(name, d)| (name.clone(), d.mappings.clone()))
            .collect();
        build.finish();
        routes.http_apis = http_api::build_live(&self.http_apis, traffic, previous);
        routes
    }
}

fn live_stage(
    api: &ApiState,
    stage: &Stage,
    previous: Option<&StageTraffic>,
    build: &mut TrafficBuild<'_>,
) -> Option<LiveStage> {
    let deployment = api.deployments.get(&stage.deployment_id)?.compiled.clone();
    let variables = Arc::new(stage.variables.clone());
    let canary = stage.canary_settings.as_ref().and_then(|c| {
        let id = c.deployment_id.as_deref()?;
        let record = api.deployments.get(id)?;
        let mut merged = stage.variables.clone();
        for (k, v) in &c.stage_variable_overrides {
            merged.insert(k.clone(), v.clone());
        }
        Some(CanaryLive {
            percent_traffic: c.percent_traffic,
            deployment: record.compiled.clone(),
            variables: Arc::new(merged),
            use_stage_cache: c.use_stage_cache,
        })
    });
    let traffic = build.stage(
        &api.definition.rest_api.id,
        stage,
        &deployment,
        canary.as_ref().map(|c| (&c.deployment, c.use_stage_cache)),
        previous,
    );
    Some(LiveStage {
        log: Arc::new(crate::engine::logs::StageLog::new(
            &api.definition.rest_api.id,
            stage,
        )),
        stage: stage.clone(),
        deployment,
        variables,
        canary,
        traffic,
    })
}

/// Writes `changes` and the audit row in one durable transaction.
fn commit(
    store: &mut Store,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: serde_json::Value,
    changes: &[Change],
) -> Result<i64, AdminError> {
    let audit = AuditRecord::new(actor.0.clone(), action, target, detail);
    store.commit(changes, &audit).map_err(admin_error)
}

/// How an admin operation's store error reaches the client: an unreachable PostgreSQL is a
/// 503 that says so; anything else a 500.
pub(crate) fn admin_error(e: StoreError) -> AdminError {
    match e {
        StoreError::Unavailable { .. } => AdminError::ServiceUnavailable(e.to_string()),
        e => AdminError::Internal(format!("the change could not be stored: {e}")),
    }
}

impl Gateway {
    /// Runs one admin operation on a blocking thread, holding the writers' lock (the store):
    /// `f` computes, from the committed snapshot, the new state of what it touches (on copies)
    /// and the store changes; they are committed (durable), then the route map is rebuilt and
    /// swapped in, then the next snapshot is published, then subscribers hear of it. Readers
    /// keep reading the previous snapshot meanwhile and never wait for the commit.
    pub(crate) async fn admin_op<T, F>(
        &self,
        actor: &Actor,
        action: &str,
        target: String,
        api_id: Option<String>,
        f: F,
    ) -> Result<T, AdminError>
    where
        T: Send + 'static,
        F: FnOnce(&mut AdminTxn<'_>) -> Result<T, AdminError> + Send + 'static,
    {
        let gw = self.clone();
        let actor = actor.clone();
        let action_owned = action.to_string();
        let target_owned = target.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut store = gw.lock_store();
            // Cluster mode: take the cluster's writers' lock; a node behind the store's newest
            // change reloads first, so the change is computed from the latest state.
            if let Some(head) = store.begin_write().map_err(admin_error)?
                && gw.inner.nodes.as_ref().is_some_and(|c| head > c.applied())
                && let Err(e) = gw.reload_locked(&store)
            {
                store.end_write();
                return Err(e);
            }
            let result = run_locked(&gw, &mut store, f, actor, action_owned, target_owned);
            store.end_write();
            result
        })
        .await
        .map_err(|e| AdminError::Internal(format!("admin operation failed: {e}")))?;
        if result.is_ok() {
            self.publish(GatewayEvent::Changed {
                api_id,
                action: action.to_string(),
                target,
            });
        }
        result
    }
}

/// The part of [`Gateway::admin_op`] under the writers' lock.
fn run_locked<T, F>(
    gw: &Gateway,
    store: &mut Store,
    f: F,
    actor: Actor,
    action_owned: String,
    target_owned: String,
) -> Result<T, AdminError>
where
    F: FnOnce(&mut AdminTxn<'_>) -> Result<T, AdminError>,
{
    {
        {
            // Only holders of the writers' lock replace the snapshot, so this one stays the
            // latest until we publish ours.
            let admin = gw.snapshot();
            let mut txn = AdminTxn {
                admin: &admin,
                changes: Vec::new(),
                apis: IndexMap::new(),
                removed_apis: Vec::new(),
                usage: None,
                domains: None,
                client_certificates: None,
                account: None,
                http_apis: None,
                detail: serde_json::Value::Null,
            };
            let value = f(&mut txn)?;
            let AdminTxn {
                changes,
                apis,
                removed_apis,
                usage,
                domains,
                client_certificates,
                account,
                detail,
                http_apis,
                ..
            } = txn;
            let seq = commit(
                store,
                &actor,
                &action_owned,
                &target_owned,
                detail,
                &changes,
            )?;
            if let Some(nodes) = &gw.inner.nodes {
                nodes.set_applied(seq);
            }
            let mut next = Admin::clone(&admin);
            for (id, state) in apis {
                next.apis.insert(id, Arc::new(state));
            }
            for id in removed_apis {
                next.apis.shift_remove(&id);
            }
            if let Some(domains) = domains {
                next.domains = domains;
            }
            if let Some(http_apis) = http_apis {
                next.http_apis = http_apis;
            }
            if let Some(certificates) = client_certificates {
                next.client_certificates = certificates;
            }
            if let Some(account) = account {
                gw.apply_account_throttle(&account);
                next.account = account;
            }
            if let Some(usage) = usage {
                next.usage_plans = usage.usage_plans;
                next.api_keys = usage.api_keys;
                next.usage_plan_keys = usage.usage_plan_keys;
            }
            let routes = next.build_routes(&gw.inner.traffic, &gw.inner.routes.load(), store);
            gw.inner.routes.store(Arc::new(routes));
            gw.inner.admin.store(Arc::new(next));
            Ok(value)
        }
    }
}

impl Gateway {
    /// Reads the committed control-plane state (a snapshot: never waits for a write).
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Admin) -> Result<T, AdminError>,
    ) -> Result<T, AdminError> {
        f(&self.inner.admin.load())
    }

    /// The newest audit records, newest first. A small SQLite read on the calling thread
    /// through the read-only connection: it does not wait for a commit in progress. (Neither
    /// the server nor the console calls it.)
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, AdminError> {
        self.lock_reader()
            .audit(limit, None)
            .map_err(|e| AdminError::Internal(e.to_string()))
    }
}

/// The working set of one admin operation: copies of the APIs it changes and the store
/// changes that describe them.
pub(crate) struct AdminTxn<'a> {
    admin: &'a Admin,
    pub changes: Vec<Change>,
    apis: IndexMap<String, ApiState>,
    removed_apis: Vec<String>,
    usage: Option<UsageState>,
    domains: Option<IndexMap<String, StoredDomain>>,
    client_certificates: Option<IndexMap<String, StoredClientCertificate>>,
    account: Option<AccountSettings>,
    http_apis: Option<IndexMap<String, HttpApiState>>,
    pub detail: serde_json::Value,
}

/// Read access to usage plans, keys and links.
pub(crate) struct UsageView<'a> {
    pub usage_plans: &'a IndexMap<String, UsagePlan>,
    pub api_keys: &'a IndexMap<String, ApiKey>,
    pub usage_plan_keys: &'a [(String, String)],
}

/// A working copy of the account-wide usage plans, API keys and their links.
#[derive(Debug, Clone)]
pub(crate) struct UsageState {
    pub usage_plans: IndexMap<String, UsagePlan>,
    pub api_keys: IndexMap<String, ApiKey>,
    pub usage_plan_keys: Vec<(String, String)>,
}

impl AdminTxn<'_> {
    pub fn admin(&self) -> &Admin {
        self.admin
    }

    /// Replaces the account's settings when the operation commits.
    pub fn set_account(&mut self, settings: AccountSettings) {
        self.account = Some(settings);
    }

    /// A mutable copy of the HTTP APIs (copied on first use).
    pub(crate) fn http_apis_mut(&mut self) -> &mut IndexMap<String, HttpApiState> {
        self.http_apis
            .get_or_insert_with(|| self.admin.http_apis.clone())
    }

    /// The HTTP APIs as this operation sees them.
    pub(crate) fn http_apis(&self) -> &IndexMap<String, HttpApiState> {
        self.http_apis.as_ref().unwrap_or(&self.admin.http_apis)
    }

    /// Whether `api_id` is a WebSocket API with a stage `stage` (a usage plan may name it).
    pub(crate) fn websocket_stage_exists(&self, api_id: &str, stage: &str) -> bool {
        self.http_apis()
            .get(api_id)
            .is_some_and(|a| a.definition.is_websocket() && a.stages.contains_key(stage))
    }

    /// A mutable copy of the custom domains (copied on first use).
    pub fn domains_mut(&mut self) -> &mut IndexMap<String, StoredDomain> {
        self.domains
            .get_or_insert_with(|| self.admin.domains.clone())
    }

    /// A mutable copy of the client certificates (copied on first use).
    pub fn client_certificates_mut(&mut self) -> &mut IndexMap<String, StoredClientCertificate> {
        self.client_certificates
            .get_or_insert_with(|| self.admin.client_certificates.clone())
    }

    /// A mutable copy of an API's state (copied on first use).
    pub fn api_mut(&mut self, id: &str) -> Result<&mut ApiState, AdminError> {
        if !self.apis.contains_key(id) {
            let state = ApiState::clone(self.admin.api(id)?);
            self.apis.insert(id.to_string(), state);
        }
        self.apis
            .get_mut(id)
            .ok_or_else(|| AdminError::not_found("Invalid API identifier specified"))
    }

    /// A mutable copy of the usage plans, API keys and plan-key links (copied on first use);
    /// installed together with the API copies when the operation commits.
    pub fn usage_mut(&mut self) -> &mut UsageState {
        let admin = self.admin;
        self.usage.get_or_insert_with(|| UsageState {
            usage_plans: admin.usage_plans.clone(),
            api_keys: admin.api_keys.clone(),
            usage_plan_keys: admin.usage_plan_keys.clone(),
        })
    }

    /// The usage state as this operation sees it (its working copy, else the committed one).
    pub fn usage(&self) -> UsageView<'_> {
        match &self.usage {
            Some(u) => UsageView {
                usage_plans: &u.usage_plans,
                api_keys: &u.api_keys,
                usage_plan_keys: &u.usage_plan_keys,
            },
            None => UsageView {
                usage_plans: &self.admin.usage_plans,
                api_keys: &self.admin.api_keys,
                usage_plan_keys: &self.admin.usage_plan_keys,
            },
        }
    }

    /// An API's state as this operation sees it (its working copy, else the committed one).
    pub fn api(&self, id: &str) -> Result<&ApiState, AdminError> {
        match self.apis.get(id) {
            Some(api) => Ok(api),
            None if self.removed_apis.iter().any(|r| r == id) => {
                Err(AdminError::not_found("Invalid API identifier specified"))
            }
            None => self.admin.api(id),
        }
    }

    pub fn insert_api(&mut self, state: ApiState) {
        self.apis
            .insert(state.definition.rest_api.id.clone(), state);
    }

    pub fn remove_api(&mut self, id: &str) {
        self.apis.shift_remove(id);
        self.removed_apis.push(id.to_string());
    }

    /// Runs `f` on a copy of the API's working definition and records the new definition.
    pub fn edit_definition<T>(
        &mut self,
        api_id: &str,
        f: impl FnOnce(&mut ApiDefinition) -> Result<T, AdminError>,
    ) -> Result<T, AdminError> {
        let api = self.api_mut(api_id)?;
        let mut def = api.definition.clone();
        let value = f(&mut def)?;
        api.definition = def.clone();
        self.changes.push(Change::PutApi(Box::new(def)));
        Ok(value)
    }
}
