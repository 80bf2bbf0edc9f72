//! Deployment, Stage, MethodSetting, CanarySettings, AccessLogSettings (model.md §8–§10).

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Deployment {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created_date: i64,
    /// path → verb → `{authorizationType, apiKeyRequired}`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub api_summary: BTreeMap<String, BTreeMap<String, MethodSnapshot>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct MethodSnapshot {
    pub authorization_type: String,
    pub api_key_required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CacheClusterStatus {
    CreateInProgress,
    Available,
    DeleteInProgress,
    #[default]
    NotAvailable,
    FlushInProgress,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UnauthorizedCacheControlHeaderStrategy {
    /// serde's case rule would spell it `FAIL_WITH403`.
    #[serde(rename = "FAIL_WITH_403")]
    FailWith403,
    #[default]
    SucceedWithResponseHeader,
    SucceedWithoutResponseHeader,
}

/// Cache sizes AWS offers, in GB (model.md §9).
pub const CACHE_CLUSTER_SIZES: [&str; 8] =
    ["0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MethodSetting {
    pub metrics_enabled: bool,
    /// `OFF` | `ERROR` | `INFO`; absent means OFF.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging_level: Option<String>,
    pub data_trace_enabled: bool,
    pub throttling_burst_limit: i64,
    pub throttling_rate_limit: f64,
    pub caching_enabled: bool,
    pub cache_ttl_in_seconds: i64,
    pub cache_data_encrypted: bool,
    pub require_authorization_for_cache_control: bool,
    pub unauthorized_cache_control_header_strategy: UnauthorizedCacheControlHeaderStrategy,
}

impl Default for MethodSetting {
    /// The values AWS reports for a freshly created entry (model.md §9.1).
    fn default() -> Self {
        MethodSetting {
            metrics_enabled: false,
            logging_level: None,
            data_trace_enabled: false,
            throttling_burst_limit: 5000,
            throttling_rate_limit: 10000.0,
            caching_enabled: false,
            cache_ttl_in_seconds: 300,
            cache_data_encrypted: false,
            require_authorization_for_cache_control: true,
            unauthorized_cache_control_header_strategy:
                UnauthorizedCacheControlHeaderStrategy::SucceedWithResponseHeader,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct AccessLogSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct CanarySettings {
    pub percent_traffic: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub stage_variable_overrides: IndexMap<String, String>,
    pub use_stage_cache: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Stage {
    pub stage_name: String,
    pub deployment_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub variables: IndexMap<String, String>,
    /// Always present, `{}` when empty (AWS-recorded, `test_get_stages_filters_by_deployment_id`).
    pub method_settings: BTreeMap<String, MethodSetting>,
    pub cache_cluster_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_cluster_size: Option<String>,
    pub cache_cluster_status: CacheClusterStatus,
    pub tracing_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log_settings: Option<AccessLogSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary_settings: Option<CanarySettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_certificate_id: Option<String>,
    pub created_date: i64,
    pub last_updated_date: i64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

impl Stage {
    /// The effective method setting for `key` (`"pets/{petId}/GET"`): the exact entry, else
    /// `*/*`, else AWS's defaults.
    pub fn method_setting(&self, key: &str) -> MethodSetting {
        self.method_settings
            .get(key)
            .or_else(|| self.method_settings.get("*/*"))
            .cloned()
            .unwrap_or_default()
    }
}

/// Builds the methodSettings key for a resource path and verb: `/pets/{id}` + `GET` →
/// `pets/{id}/GET`; the root `/` gives `/GET`.
pub fn method_setting_key(resource_path: &str, verb: &str) -> String {
    let mut key = String::with_capacity(resource_path.len() + verb.len() + 1);
    write_method_setting_key(&mut key, resource_path, verb);
    key
}

/// Appends [`method_setting_key`]`(resource_path, verb)` to `out`.
pub fn write_method_setting_key(out: &mut String, resource_path: &str, verb: &str) {
    let trimmed = resource_path.strip_prefix('/').unwrap_or(resource_path);
    if trimmed.is_empty() {
        out.push('/');
    } else {
        out.push_str(trimmed);
        out.push('/');
    }
    out.push_str(verb);
}
