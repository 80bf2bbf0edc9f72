//! TEMPORARY in-memory stand-in with the store's contract (docs/ARCHITECTURE.md); the SQLite
//! store replaces this file.

use std::path::{Path, PathBuf};

use crate::model::{ApiDefinition, ApiKey, Deployment, Stage, UsagePlan};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("data directory {path} is in use by another gwtui process")]
    Locked { path: PathBuf, pid: Option<u32> },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone)]
pub enum Change {
    PutApi(Box<ApiDefinition>),
    DeleteApi(String),
    PutDeployment { api_id: String, deployment: Deployment, snapshot: Box<ApiDefinition> },
    DeleteDeployment { api_id: String, deployment_id: String },
    PutStage { api_id: String, stage: Box<Stage> },
    DeleteStage { api_id: String, stage_name: String },
    PutUsagePlan(Box<UsagePlan>),
    DeleteUsagePlan(String),
    PutApiKey(Box<ApiKey>),
    DeleteApiKey(String),
    PutUsagePlanKey { usage_plan_id: String, key_id: String },
    DeleteUsagePlanKey { usage_plan_id: String, key_id: String },
}

#[derive(Debug, Clone, Default)]
pub struct AuditRecord {
    pub seq: i64,
    pub at_millis: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

#[derive(Debug, Default)]
pub struct StoreState {
    pub apis: Vec<ApiDefinition>,
    pub deployments: Vec<(String, Deployment, ApiDefinition)>,
    pub stages: Vec<(String, Stage)>,
    pub usage_plans: Vec<UsagePlan>,
    pub api_keys: Vec<ApiKey>,
    pub usage_plan_keys: Vec<(String, String)>,
}

pub struct Store {
    audit: Vec<AuditRecord>,
}

impl Store {
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir)?;
        Ok(Store { audit: Vec::new() })
    }

    pub fn load(&self) -> Result<StoreState, StoreError> {
        Ok(StoreState::default())
    }

    pub fn commit(&mut self, _changes: &[Change], audit: &AuditRecord) -> Result<(), StoreError> {
        let mut a = audit.clone();
        a.seq = self.audit.len() as i64 + 1;
        self.audit.push(a);
        Ok(())
    }

    pub fn audit(&self, limit: usize, _before_seq: Option<i64>) -> Result<Vec<AuditRecord>, StoreError> {
        Ok(self.audit.iter().rev().take(limit).cloned().collect())
    }
}
