//! AWS PatchOperation (`op`/`path`/`value`/`from`), as UpdateStage, UpdateMethod,
//! UpdateIntegration and friends take it.

use serde::{Deserialize, Serialize};

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
