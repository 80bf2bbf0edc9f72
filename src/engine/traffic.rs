//! The stage traffic controls as the data plane reads them, resolved when the route map is
//! built (never per request): per method of a stage's deployment, its stage/method token
//! bucket, its cache settings and its request-body models; per API key, its usage plans'
//! buckets and quota counter. [`Traffic`] owns what must outlive a route-map rebuild (the
//! bucket registry, the quota ledger, the account bucket); a rebuild hands each stage the
//! same buckets, caches and compiled models as before unless their settings changed.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};
use std::time::Duration;

use time::OffsetDateTime;

use super::cache::StageCache;
use super::cache::shared::SharedCache;
use super::clock::Clock;
use super::cluster::Cluster;
use super::compiled::{CompiledDeployment, CompiledMethod};
use super::quota::{DayCounts, LoadedUsage, QuotaCounter, QuotaLedger, day_string};
use super::schema::DeploymentSchemas;
use super::throttle::{BucketRegistry, Limits, TokenBucket};
use super::types::Variant;
use super::{EngineConfig, Inner};
use crate::model::{
    MethodSetting, QuotaPeriod, Stage, ThrottleSettings, UnauthorizedCacheControlHeaderStrategy,
    UsagePlan, method_setting_key,
};
use crate::store::{Store, StoreError};

/// Engine-wide traffic state.
#[derive(Debug)]
pub struct Traffic {
    pub clock: Arc<dyn Clock>,
    /// The account-level bucket (ops.md §2.2 row 4).
    pub account: Arc<TokenBucket>,
    /// The account bucket's limits (what a usage-plan throttle's missing half is).
    pub account_limits: Limits,
    buckets: BucketRegistry,
    pub quotas: QuotaLedger,
    cache_bytes_per_gb: u64,
    /// Cluster mode (`[cluster] redis`): buckets, quotas and caches shared through Redis.
    pub cluster: Option<Arc<Cluster>>,
}

/// A method's cache settings when caching applies to it.
#[derive(Debug, Clone, Copy)]
pub struct MethodCaching {
    pub ttl: Duration,
    pub require_authorization: bool,
    pub strategy: UnauthorizedCacheControlHeaderStrategy,
}

/// One method of a live stage's deployment.
#[derive(Debug)]
pub struct MethodTraffic {
    /// The stage/method bucket (`methodSettings` `path/VERB`, else `*/*`, else the defaults).
    pub bucket: Arc<TokenBucket>,
    pub caching: Option<MethodCaching>,
    /// The method's key in a usage plan's per-method throttle map: `/path/VERB`.
    pub usage_plan_key: Arc<str>,
}

/// The traffic view of one deployment serving a stage (base or canary).
#[derive(Debug)]
pub struct VariantTraffic {
    /// By method index of the deployment.
    pub methods: Vec<MethodTraffic>,
    pub schemas: Arc<DeploymentSchemas>,
    pub cache: Option<Arc<StageCache>>,
}

#[derive(Debug)]
pub struct StageTraffic {
    pub base: VariantTraffic,
    pub canary: Option<VariantTraffic>,
}

impl StageTraffic {
    pub fn variant(&self, variant: Variant) -> &VariantTraffic {
        match (variant, &self.canary) {
            (Variant::Canary, Some(c)) => c,
            _ => &self.base,
        }
    }

    /// Empties the stage's cache and the canary's own cache, if any (in cluster mode, on
    /// every node: the error when Redis could not be told).
    pub async fn flush_caches(&self) -> Result<(), super::cluster::ClusterError> {
        let mut result = Ok(());
        for c in [
            self.base.cache.as_ref(),
            self.canary.as_ref().and_then(|c| c.cache.as_ref()),
        ]
        .into_iter()
        .flatten()
        {
            c.flush();
            if let Some(shared) = &c.shared
                && let Err(e) = shared.flush().await
            {
                result = Err(e);
            }
        }
        result
    }
}

/// One usage plan of an API key: the per-method buckets of each API stage, the key's
/// plan-wide bucket and its quota counter.
#[derive(Debug)]
pub struct KeyPlan {
    pub stages: Vec<KeyPlanStage>,
    pub key_bucket: Option<Arc<TokenBucket>>,
    pub counter: Arc<QuotaCounter>,
}

#[derive(Debug)]
pub struct KeyPlanStage {
    pub api_id: String,
    pub stage: String,
    /// `/path/VERB` → bucket.
    pub method_buckets: HashMap<String, Arc<TokenBucket>>,
}

impl KeyPlan {
    pub fn stage(&self, api_id: &str, stage: &str) -> Option<&KeyPlanStage> {
        self.stages
            .iter()
            .find(|s| s.api_id == api_id && s.stage == stage)
    }
}

/// `/path/VERB` with the root written `//VERB`; a plan's `"/GET"` also means the root.
fn normalise_plan_method_key(key: &str) -> String {
    match key.rsplit_once('/') {
        Some(("", verb)) | Some(("/", verb)) => format!("//{verb}"),
        Some((path, verb)) => format!("{path}/{verb}"),
        None => key.to_string(),
    }
}

/// The limits of a usage-plan throttle (plan-wide or per method), with a missing half taken
/// from the account-level limits.
///
/// AWS's references make both `rateLimit` and `burstLimit` optional (the REST API's
/// `ThrottleSettings`, CloudFormation's "Required: No") and say usage-plan limits cannot exceed
/// the account-level ones, but do not say what a plan with only one of them enforces; the
/// emulator could not verify AWS's answer. Reading the missing half as 0 would reject every
/// request (burst 0) or allow only the first `burstLimit` ever (rate 0), which a plan that
/// names only one limit clearly does not ask for. So a missing half does not limit at this
/// scope: it is the account's (the cap the documentation gives), and only the half that was
/// set narrows the plan. GetUsagePlan still reports what was set.
pub fn plan_limits(t: &ThrottleSettings, account: Limits) -> Limits {
    Limits {
        rate: t.rate_limit.map_or(account.rate, |r| r.max(0.0)),
        burst: t.burst_limit.map_or(account.burst, |b| b.max(0) as f64),
    }
}

fn throttle_limits(setting: Option<&MethodSetting>) -> Limits {
    let default = MethodSetting::default();
    let s = setting.unwrap_or(&default);
    Limits::new(s.throttling_rate_limit, s.throttling_burst_limit)
}

impl Traffic {
    pub fn new(config: &EngineConfig) -> Traffic {
        let clock = config.clock.clone();
        let account_limits = Limits::new(config.account_rate_limit, config.account_burst_limit);
        let buckets = BucketRegistry::new(config.cluster.clone());
        let account = Arc::new(buckets.standalone("account", account_limits, clock.now()));
        Traffic {
            clock,
            account,
            account_limits,
            buckets,
            cluster: config.cluster.clone(),
            quotas: QuotaLedger::default(),
            cache_bytes_per_gb: config.cache_bytes_per_gb,
        }
    }

    /// A bucket outside the registry (an HTTP API route's), shared under `scope` in cluster
    /// mode.
    pub fn standalone_bucket(&self, scope: &str, limits: Limits, now: Duration) -> TokenBucket {
        self.buckets.standalone(scope, limits, now)
    }

    /// Starts a route-map rebuild that reuses `schemas`, the compiled models of the
    /// deployments the previous map served (`Routes::schemas_by_deployment`).
    pub fn build(&self, schemas: HashMap<usize, Arc<DeploymentSchemas>>) -> TrafficBuild<'_> {
        TrafficBuild {
            traffic: self,
            used: HashSet::new(),
            links: HashSet::new(),
            schemas,
            now: self.clock.now(),
            utc: self.clock.utc(),
        }
    }
}

/// A method's key in a usage plan's per-method throttle map: `/path/VERB` (`//VERB` for the
/// root).
fn usage_plan_key(m: &CompiledMethod) -> Arc<str> {
    let path = if &*m.resource_path == "/" {
        "/"
    } else {
        &m.resource_path
    };
    Arc::from(format!("{path}/{}", m.http_method))
}

impl Traffic {
    /// The traffic view of the stage TestInvokeMethod builds for one call: no cache, and
    /// buckets of its own that no other request shares (the throttle phase is skipped there
    /// anyway, as on AWS).
    pub fn test_stage(&self, deployment: &Arc<CompiledDeployment>) -> StageTraffic {
        let now = self.clock.now();
        let methods = deployment
            .methods
            .iter()
            .map(|m| MethodTraffic {
                bucket: Arc::new(TokenBucket::new(throttle_limits(None), now)),
                caching: None,
                usage_plan_key: usage_plan_key(m),
            })
            .collect();
        StageTraffic {
            base: VariantTraffic {
                methods,
                schemas: Arc::new(DeploymentSchemas::compile(deployment)),
                cache: None,
            },
            canary: None,
        }
    }
}

/// One route-map rebuild.
pub struct TrafficBuild<'a> {
    traffic: &'a Traffic,
    used: HashSet<String>,
    /// The (usage plan, API key) links served: the quota ledger keeps only their counters.
    links: HashSet<(String, String)>,
    /// Compiled models by deployment (pointer identity: a deployment is compiled once).
    schemas: HashMap<usize, Arc<DeploymentSchemas>>,
    now: Duration,
    utc: OffsetDateTime,
}

impl TrafficBuild<'_> {
    fn schemas(&mut self, deployment: &Arc<CompiledDeployment>) -> Arc<DeploymentSchemas> {
        self.schemas
            .entry(Arc::as_ptr(deployment) as usize)
            .or_insert_with(|| Arc::new(DeploymentSchemas::compile(deployment)))
            .clone()
    }

    fn variant(
        &mut self,
        api_id: &str,
        stage: &Stage,
        deployment: &Arc<CompiledDeployment>,
        cache: Option<Arc<StageCache>>,
    ) -> VariantTraffic {
        let mut methods = Vec::with_capacity(deployment.methods.len());
        for m in &deployment.methods {
            let key = method_setting_key(&m.resource_path, &m.http_method);
            let explicit = stage.method_settings.get(&key);
            let setting = explicit.or_else(|| stage.method_settings.get("*/*"));
            let bucket = self.traffic.buckets.bucket(
                format!("stage/{api_id}/{}/{key}", stage.stage_name),
                throttle_limits(setting),
                self.now,
                &mut self.used,
            );
            // `*/*` turns caching on for GET only; other verbs need their own entry (ops.md §1.1).
            let caching = match (explicit, setting) {
                (Some(s), _) => Some(s),
                (None, Some(s)) if &*m.http_method == "GET" => Some(s),
                _ => None,
            }
            .filter(|s| cache.is_some() && s.caching_enabled && s.cache_ttl_in_seconds > 0)
            .map(|s| MethodCaching {
                ttl: Duration::from_secs(s.cache_ttl_in_seconds.clamp(0, 3600) as u64),
                require_authorization: s.require_authorization_for_cache_control,
                strategy: s.unauthorized_cache_control_header_strategy,
            });
            methods.push(MethodTraffic {
                bucket,
                caching,
                usage_plan_key: usage_plan_key(m),
            });
        }
        VariantTraffic {
            methods,
            schemas: self.schemas(deployment),
            cache,
        }
    }

    /// The traffic view of a stage: its caches are the `previous` ones while the cluster
    /// size and switch are unchanged. `canary`: the canary's deployment and whether it uses
    /// the stage's cache.
    pub fn stage(
        &mut self,
        api_id: &str,
        stage: &Stage,
        deployment: &Arc<CompiledDeployment>,
        canary: Option<(&Arc<CompiledDeployment>, bool)>,
        previous: Option<&StageTraffic>,
    ) -> StageTraffic {
        let size = stage.cache_cluster_size.as_deref().unwrap_or("0.5");
        let reuse = |c: Option<&Arc<StageCache>>| c.filter(|c| c.size == size).cloned();
        let shared = |suffix: &str| {
            self.traffic.cluster.as_ref().map(|c| {
                SharedCache::new(c.clone(), &format!("{api_id}/{}{suffix}", stage.stage_name))
            })
        };
        let base_cache = stage.cache_cluster_enabled.then(|| {
            reuse(previous.and_then(|p| p.base.cache.as_ref())).unwrap_or_else(|| {
                Arc::new(
                    StageCache::new(
                        Some(size),
                        self.traffic.cache_bytes_per_gb,
                        self.traffic.clock.clone(),
                    )
                    .with_shared(shared("")),
                )
            })
        });
        let canary = canary.map(|(canary_deployment, use_stage_cache)| {
            let cache = match &base_cache {
                None => None,
                Some(base) if use_stage_cache => Some(base.clone()),
                Some(_) => {
                    let own = previous
                        .and_then(|p| p.canary.as_ref())
                        .and_then(|t| t.cache.as_ref())
                        .filter(|pc| {
                            previous
                                .and_then(|p| p.base.cache.as_ref())
                                .is_none_or(|pb| !Arc::ptr_eq(pb, pc))
                        });
                    Some(reuse(own).unwrap_or_else(|| {
                        Arc::new(
                            StageCache::new(
                                Some(size),
                                self.traffic.cache_bytes_per_gb,
                                self.traffic.clock.clone(),
                            )
                            .with_shared(shared("/canary")),
                        )
                    }))
                }
            };
            self.variant(api_id, stage, canary_deployment, cache)
        });
        StageTraffic {
            base: self.variant(api_id, stage, deployment, base_cache),
            canary,
        }
    }

    /// The traffic view of an API key in a usage plan.
    pub fn key_plan(&mut self, plan: &UsagePlan, key_id: &str, store: &Store) -> KeyPlan {
        let stages = plan
            .api_stages
            .iter()
            .map(|s| KeyPlanStage {
                api_id: s.api_id.clone(),
                stage: s.stage.clone(),
                method_buckets: s
                    .throttle
                    .iter()
                    .map(|(method, t)| {
                        let method = normalise_plan_method_key(method);
                        let limits = plan_limits(t, self.traffic.account_limits);
                        let key = format!(
                            "plan-method/{}/{key_id}/{}/{}/{method}",
                            plan.id, s.api_id, s.stage
                        );
                        (
                            method,
                            self.traffic
                                .buckets
                                .bucket(key, limits, self.now, &mut self.used),
                        )
                    })
                    .collect(),
            })
            .collect();
        let key_bucket = plan.throttle.as_ref().map(|t| {
            let limits = plan_limits(t, self.traffic.account_limits);
            self.traffic.buckets.bucket(
                format!("plan-key/{}/{key_id}", plan.id),
                limits,
                self.now,
                &mut self.used,
            )
        });
        let today = self.utc.date();
        self.links.insert((plan.id.clone(), key_id.to_string()));
        let counter = self.traffic.quotas.counter(
            &plan.id,
            key_id,
            plan.quota.as_ref(),
            self.utc,
            |_period: QuotaPeriod, start| load_usage(store, &plan.id, key_id, start, today),
        );
        KeyPlan {
            stages,
            key_bucket,
            counter,
        }
    }

    /// Ends the rebuild: buckets of scopes that are gone are dropped, and so are the quota
    /// counters of (plan, key) links that are gone (once their counts are stored).
    pub fn finish(self) {
        self.traffic.buckets.retain(&self.used);
        self.traffic.quotas.retain(&self.links);
    }
}

/// The store's count for a key from `start` to `today`, and whether it has older usage.
fn load_usage(
    store: &Store,
    plan_id: &str,
    key_id: &str,
    start: time::Date,
    today: time::Date,
) -> LoadedUsage {
    let used_in_period = store
        .usage(
            plan_id,
            Some(key_id),
            &day_string(start),
            &day_string(today),
        )
        .map(|rows| rows.iter().map(|(_, _, n)| n).sum())
        .unwrap_or(0);
    let used_before = start
        .previous_day()
        .and_then(|d| {
            store
                .usage(plan_id, Some(key_id), "0000-01-01", &day_string(d))
                .ok()
        })
        .is_some_and(|rows| rows.iter().any(|(_, _, n)| *n > 0));
    let granted = store
        .usage_grants(plan_id, Some(key_id))
        .ok()
        .and_then(|rows| {
            let start = day_string(start);
            rows.into_iter()
                .find(|(_, period, _)| *period == start)
                .map(|(_, _, g)| g)
        })
        .unwrap_or(0);
    LoadedUsage {
        granted,
        used_in_period,
        used_before,
    }
}

/// Moves the pending usage counts into the store in one transaction; on failure they are put
/// back for the next attempt.
pub(crate) fn flush_usage(inner: &Inner) -> Result<(), StoreError> {
    let mut taken: Vec<(Arc<QuotaCounter>, DayCounts)> = Vec::new();
    for counter in inner.traffic.quotas.all() {
        let pending = counter.take_pending();
        if !pending.is_empty() {
            taken.push((counter, pending));
        }
    }
    if taken.is_empty() {
        inner.traffic.quotas.prune_retired();
        return Ok(());
    }
    let rows: Vec<(String, String, String, i64)> = taken
        .iter()
        .flat_map(|(c, p)| {
            p.iter().map(|(d, n)| {
                (
                    c.usage_plan_id.clone(),
                    c.key_id.clone(),
                    day_string(*d),
                    *n,
                )
            })
        })
        .collect();
    // The writers' lock: this runs on the flusher thread, in `Drop`, or in GetUsage's
    // blocking task, never on a runtime worker.
    let result = inner.lock_store().add_usage_batch(&rows);
    if result.is_err() {
        for (counter, pending) in taken {
            counter.restore_pending(pending);
        }
    } else {
        inner.traffic.quotas.prune_retired();
    }
    result
}

/// Flushes usage every `interval` until the engine is gone.
pub(crate) fn start_usage_flusher(inner: Weak<Inner>, interval: Duration) {
    let spawned = std::thread::Builder::new()
        .name("gwtui-usage-flush".into())
        .spawn(move || {
            loop {
                std::thread::sleep(interval);
                let Some(inner) = inner.upgrade() else { return };
                let _ = flush_usage(&inner);
            }
        });
    // Without the thread, usage is still flushed on shutdown and on every get-usage call.
    drop(spawned);
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = flush_usage(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_throttle_with_one_half_takes_the_other_from_the_account() {
        let account = Limits::new(10_000.0, 5_000);
        let only_rate = ThrottleSettings {
            rate_limit: Some(2.5),
            burst_limit: None,
        };
        assert_eq!(plan_limits(&only_rate, account), Limits::new(2.5, 5_000));
        let only_burst = ThrottleSettings {
            rate_limit: None,
            burst_limit: Some(3),
        };
        assert_eq!(plan_limits(&only_burst, account), Limits::new(10_000.0, 3));
        let both = ThrottleSettings {
            rate_limit: Some(0.0),
            burst_limit: Some(0),
        };
        assert_eq!(plan_limits(&both, account), Limits::new(0.0, 0));
    }
}
