//! What the data plane reads: per (API, stage) the compiled deployments and the stage
//! settings, swapped atomically as a whole map when an admin change lands.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use indexmap::IndexMap;

use crate::model::Stage;

use super::compiled::CompiledDeployment;
use super::schema::DeploymentSchemas;
use super::traffic::{KeyPlan, StageTraffic};
pub use super::types::Variant;

pub mod http_api;
pub mod websocket;

#[derive(Debug)]
pub struct CanaryLive {
    pub percent_traffic: f64,
    pub deployment: Arc<CompiledDeployment>,
    /// Stage variables with the canary overrides merged over them.
    pub variables: Arc<IndexMap<String, String>>,
    pub use_stage_cache: bool,
}

/// One stage as requests see it.
#[derive(Debug)]
pub struct LiveStage {
    pub stage: Stage,
    pub deployment: Arc<CompiledDeployment>,
    pub variables: Arc<IndexMap<String, String>>,
    pub canary: Option<CanaryLive>,
    /// Throttle buckets, caches and request models of this stage's methods.
    pub traffic: StageTraffic,
    /// The API id and stage name logs are written under, and the parsed access-log format.
    pub log: Arc<super::logs::StageLog>,
}

/// Everything the data plane routes to: API id → stage name → live stage, and API keys by
/// value.
#[derive(Debug, Default)]
pub struct Routes {
    pub apis: HashMap<String, HashMap<String, Arc<LiveStage>>>,
    pub api_keys: HashMap<String, LiveApiKey>,
    /// Custom domain names (lower case; wildcards as `*.example.com`) → their mappings.
    pub domains: HashMap<String, Vec<crate::model::BasePathMapping>>,
    /// HTTP APIs (v2) by id.
    pub http_apis: HashMap<String, Arc<http_api::LiveHttpApi>>,
}

/// An API key as the data plane checks it.
#[derive(Debug, Clone)]
pub struct LiveApiKey {
    pub id: String,
    pub enabled: bool,
    /// The key's usage plans (with their API stages, buckets and quota counters).
    pub plans: Vec<Arc<KeyPlan>>,
}

impl Routes {
    pub fn stage(&self, api_id: &str, stage: &str) -> Result<&Arc<LiveStage>, StageLookup> {
        let api = self.apis.get(api_id).ok_or(StageLookup::UnknownApi)?;
        api.get(stage).ok_or(StageLookup::UnknownStage)
    }

    /// The compiled request models of every deployment this map serves, by deployment
    /// (pointer identity: a deployment is compiled once), for a rebuild to reuse.
    pub fn schemas_by_deployment(&self) -> HashMap<usize, Arc<DeploymentSchemas>> {
        let mut schemas = HashMap::new();
        for live in self.apis.values().flat_map(|s| s.values()) {
            schemas.insert(
                Arc::as_ptr(&live.deployment) as usize,
                live.traffic.base.schemas.clone(),
            );
            if let (Some(c), Some(t)) = (&live.canary, &live.traffic.canary) {
                schemas.insert(Arc::as_ptr(&c.deployment) as usize, t.schemas.clone());
            }
        }
        schemas
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageLookup {
    UnknownApi,
    UnknownStage,
}

/// A lock-free, optionally seeded source of uniform draws in [0, 1) for canary routing
/// (splitmix64 over an atomic counter: deterministic for a seed, never blocks).
#[derive(Debug)]
pub struct Draw {
    state: AtomicU64,
}

impl Draw {
    pub fn new(seed: Option<u64>) -> Draw {
        Draw {
            state: AtomicU64::new(seed.unwrap_or_else(rand::random)),
        }
    }

    pub fn next_unit(&self) -> f64 {
        let mut z = self
            .state
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}
