//! AWS PatchOperation (`op`/`path`/`value`/`from`), as UpdateStage, UpdateMethod,
//! UpdateIntegration and friends take it, and the appliers for each entity.
//!
//! Every applier works on a clone and swaps it in only when the whole batch succeeded, so a
//! failing operation leaves the target unchanged. Values arrive as strings (AWS's wire form) and
//! are parsed strictly; errors are `AdminError::BadRequest` with AWS's message where it is known.

mod account;
mod auth;
mod integration;
mod method;
mod plan;
mod rest_api;
mod stage;
mod values;
mod vpc_link;

use serde::{Deserialize, Serialize};

pub use account::apply_account_patch;
pub use auth::{
    MAX_AUTHORIZER_TTL, apply_authorizer_patch, apply_gateway_response_patch, apply_model_patch,
    apply_request_validator_patch,
};
pub use integration::{apply_integration_patch, apply_integration_response_patch};
pub use method::{apply_method_patch, apply_method_response_patch};
pub use plan::{
    MAX_METHOD_THROTTLES, apply_api_key_patch, apply_usage_plan_patch, check_api_key_description,
    validate_usage_plan,
};
pub use rest_api::{ResourceUpdate, apply_resource_patch, apply_rest_api_patch, patch_resource};
pub use stage::{apply_deployment_patch, apply_stage_patch, parse_method_setting_path};
pub use vpc_link::apply_vpc_link_patch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchOp {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
}

impl PatchOp {
    pub fn as_str(self) -> &'static str {
        match self {
            PatchOp::Add => "add",
            PatchOp::Remove => "remove",
            PatchOp::Replace => "replace",
            PatchOp::Move => "move",
            PatchOp::Copy => "copy",
            PatchOp::Test => "test",
        }
    }
}

impl std::fmt::Display for PatchOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchOperation {
    pub op: PatchOp,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

impl PatchOperation {
    pub fn replace(path: impl Into<String>, value: impl Into<String>) -> Self {
        PatchOperation {
            op: PatchOp::Replace,
            path: path.into(),
            value: Some(value.into()),
            from: None,
        }
    }

    pub fn add(path: impl Into<String>, value: impl Into<String>) -> Self {
        PatchOperation {
            op: PatchOp::Add,
            path: path.into(),
            value: Some(value.into()),
            from: None,
        }
    }

    pub fn remove(path: impl Into<String>) -> Self {
        PatchOperation {
            op: PatchOp::Remove,
            path: path.into(),
            value: None,
            from: None,
        }
    }

    pub fn copy(from: impl Into<String>, path: impl Into<String>) -> Self {
        PatchOperation {
            op: PatchOp::Copy,
            path: path.into(),
            value: None,
            from: Some(from.into()),
        }
    }
}

/// Unescapes one JSON-Pointer segment (`~1` → `/`, `~0` → `~`).
pub fn unescape_segment(s: &str) -> String {
    s.replace("~1", "/").replace("~0", "~")
}

/// Escapes a string for use as one JSON-Pointer segment (`~` → `~0`, `/` → `~1`).
pub fn escape_segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}
