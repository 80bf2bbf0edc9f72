//! The changes a commit writes, and how each one becomes SQL.

use rusqlite::{Transaction, params};
use serde::Serialize;

use super::StoreError;
use crate::model::{
    AccountSettings, ApiDefinition, ApiKey, Deployment, Stage, StoredClientCertificate,
    StoredDomain, UsagePlan, VpcLink,
};

/// One durable change. A batch of them is written in one transaction by `Store::commit`.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Inserts or replaces the API's definition (its deployments and stages are kept).
    PutApi(Box<ApiDefinition>),
    /// Deletes the API with its deployments and stages.
    DeleteApi(String),
    /// Inserts a deployment and its frozen snapshot; an existing id is a conflict (snapshots
    /// are immutable).
    PutDeployment {
        api_id: String,
        deployment: Deployment,
        snapshot: Box<ApiDefinition>,
    },
    DeleteDeployment {
        api_id: String,
        deployment_id: String,
    },
    /// Inserts or replaces a custom domain name with its base path mappings.
    PutDomain(Box<StoredDomain>),
    DeleteDomain(String),
    /// Inserts or replaces a client certificate.
    PutClientCertificate(Box<StoredClientCertificate>),
    DeleteClientCertificate(String),
    /// Replaces a deployment's record (UpdateDeployment: its description); the frozen
    /// snapshot is never rewritten.
    UpdateDeployment {
        api_id: String,
        deployment: Deployment,
    },
    /// Inserts or replaces a stage (keyed by its `stage_name`).
    PutStage {
        api_id: String,
        stage: Box<Stage>,
    },
    DeleteStage {
        api_id: String,
        stage_name: String,
    },
    PutUsagePlan(Box<UsagePlan>),
    /// Deletes the plan, its key links and its usage counters.
    DeleteUsagePlan(String),
    PutApiKey(Box<ApiKey>),
    /// Deletes the key and its links to usage plans.
    DeleteApiKey(String),
    PutUsagePlanKey {
        usage_plan_id: String,
        key_id: String,
    },
    DeleteUsagePlanKey {
        usage_plan_id: String,
        key_id: String,
    },
    /// Inserts or replaces a registered function; `doc` is its configuration as JSON (the
    /// store does not interpret it).
    PutFunction {
        name: String,
        doc: String,
    },
    /// Deletes a registered function's row, if it has one (functions from the config file
    /// have none).
    DeleteFunction(String),
    /// Replaces the account's settings (UpdateAccount).
    PutAccount(Box<AccountSettings>),
    /// A change to an HTTP API (v2).
    V2(super::v2::V2Change),
    /// Inserts or replaces a VPC link.
    PutVpcLink(Box<VpcLink>),
    DeleteVpcLink(String),
    /// UpdateUsage: sets how many requests are given back to a key's quota for the period
    /// starting `period_start` (`YYYY-MM-DD`).
    PutUsageGrant {
        usage_plan_id: String,
        key_id: String,
        period_start: String,
        granted: i64,
    },
}

fn to_json<T: Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::corrupt(what, e))
}

/// Maps a constraint violation (duplicate key, missing parent) to `Conflict` with `what`.
fn conflict_on_constraint(e: rusqlite::Error, what: impl FnOnce() -> String) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => {
            StoreError::Conflict(format!("{}: {e}", what()))
        }
        _ => StoreError::Sqlite(e),
    }
}

/// Fails with `Conflict` when a delete touched no row.
fn expect_deleted(rows: usize, what: impl FnOnce() -> String) -> Result<(), StoreError> {
    if rows == 0 {
        Err(StoreError::Conflict(format!("{} does not exist", what())))
    } else {
        Ok(())
    }
}

pub(super) fn apply(tx: &Transaction<'_>, change: &Change) -> Result<(), StoreError> {
    match change {
        Change::PutApi(api) => {
            let id = api.id();
            let doc = to_json("rest api", api)?;
            tx.execute(
                "INSERT INTO rest_apis (id, doc) VALUES (?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                params![id, doc],
            )?;
        }
        Change::DeleteApi(id) => {
            let rows = tx.execute("DELETE FROM rest_apis WHERE id = ?1", params![id])?;
            expect_deleted(rows, || format!("restapis/{id}"))?;
        }
        Change::PutDeployment {
            api_id,
            deployment,
            snapshot,
        } => {
            let doc = to_json("deployment", deployment)?;
            let snapshot = to_json("deployment snapshot", snapshot)?;
            tx.execute(
                "INSERT INTO deployments (api_id, id, doc, snapshot) VALUES (?1, ?2, ?3, ?4)",
                params![api_id, deployment.id, doc, snapshot],
            )
            .map_err(|e| {
                conflict_on_constraint(e, || {
                    format!(
                        "cannot create restapis/{api_id}/deployments/{} (it exists, or the API does not)",
                        deployment.id
                    )
                })
            })?;
        }
        Change::DeleteDeployment {
            api_id,
            deployment_id,
        } => {
            let rows = tx.execute(
                "DELETE FROM deployments WHERE api_id = ?1 AND id = ?2",
                params![api_id, deployment_id],
            )?;
            expect_deleted(rows, || {
                format!("restapis/{api_id}/deployments/{deployment_id}")
            })?;
        }
        Change::PutAccount(settings) => {
            let doc = to_json("account", settings)?;
            tx.execute(
                "INSERT INTO account (id, doc) VALUES (1, ?1)
                 ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                params![doc],
            )?;
        }
        Change::PutVpcLink(link) => {
            let doc = to_json("vpc link", link)?;
            tx.execute(
                "INSERT INTO vpc_links (id, doc) VALUES (?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                params![link.id, doc],
            )?;
        }
        Change::DeleteVpcLink(id) => {
            let rows = tx.execute("DELETE FROM vpc_links WHERE id = ?1", params![id])?;
            expect_deleted(rows, || format!("vpclinks/{id}"))?;
        }
        Change::PutUsageGrant {
            usage_plan_id,
            key_id,
            period_start,
            granted,
        } => {
            tx.execute(
                "INSERT INTO usage_grants (usage_plan_id, key_id, period_start, granted)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(usage_plan_id, key_id, period_start)
                 DO UPDATE SET granted = excluded.granted",
                params![usage_plan_id, key_id, period_start, granted],
            )?;
        }
        Change::PutDomain(d) => {
            let doc = to_json("domain name", d)?;
            tx.execute(
                "INSERT INTO domain_names (name, doc) VALUES (?1, ?2)
                 ON CONFLICT(name) DO UPDATE SET doc = excluded.doc",
                params![d.domain.domain_name, doc],
            )?;
        }
        Change::PutClientCertificate(c) => {
            let doc = to_json("client certificate", c)?;
            tx.execute(
                "INSERT INTO client_certificates (id, doc) VALUES (?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                params![c.certificate.client_certificate_id, doc],
            )?;
        }
        Change::DeleteClientCertificate(id) => {
            let rows = tx.execute("DELETE FROM client_certificates WHERE id = ?1", params![id])?;
            expect_deleted(rows, || format!("clientcertificates/{id}"))?;
        }
        Change::DeleteDomain(name) => {
            let rows = tx.execute("DELETE FROM domain_names WHERE name = ?1", params![name])?;
            expect_deleted(rows, || format!("domainnames/{name}"))?;
        }
        Change::UpdateDeployment { api_id, deployment } => {
            let doc = to_json("deployment", deployment)?;
            let rows = tx.execute(
                "UPDATE deployments SET doc = ?3 WHERE api_id = ?1 AND id = ?2",
                params![api_id, deployment.id, doc],
            )?;
            expect_deleted(rows, || {
                format!("restapis/{api_id}/deployments/{}", deployment.id)
            })?;
        }
        Change::PutStage { api_id, stage } => {
            let doc = to_json("stage", stage)?;
            tx.execute(
                "INSERT INTO stages (api_id, name, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT(api_id, name) DO UPDATE SET doc = excluded.doc",
                params![api_id, stage.stage_name, doc],
            )
            .map_err(|e| {
                conflict_on_constraint(e, || {
                    format!("cannot store a stage of restapis/{api_id} (no such API)")
                })
            })?;
        }
        Change::DeleteStage { api_id, stage_name } => {
            let rows = tx.execute(
                "DELETE FROM stages WHERE api_id = ?1 AND name = ?2",
                params![api_id, stage_name],
            )?;
            expect_deleted(rows, || format!("restapis/{api_id}/stages/{stage_name}"))?;
        }
        Change::PutUsagePlan(plan) => {
            let doc = to_json("usage plan", plan)?;
            tx.execute(
                "INSERT INTO usage_plans (id, doc) VALUES (?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                params![plan.id, doc],
            )?;
        }
        Change::DeleteUsagePlan(id) => {
            let rows = tx.execute("DELETE FROM usage_plans WHERE id = ?1", params![id])?;
            expect_deleted(rows, || format!("usageplans/{id}"))?;
            tx.execute("DELETE FROM usage WHERE usage_plan_id = ?1", params![id])?;
            tx.execute(
                "DELETE FROM usage_grants WHERE usage_plan_id = ?1",
                params![id],
            )?;
        }
        Change::PutApiKey(key) => {
            let doc = to_json("api key", key)?;
            tx.execute(
                "INSERT INTO api_keys (id, doc) VALUES (?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                params![key.id, doc],
            )?;
        }
        Change::DeleteApiKey(id) => {
            let rows = tx.execute("DELETE FROM api_keys WHERE id = ?1", params![id])?;
            expect_deleted(rows, || format!("apikeys/{id}"))?;
        }
        Change::PutUsagePlanKey {
            usage_plan_id,
            key_id,
        } => {
            tx.execute(
                "INSERT INTO usage_plan_keys (usage_plan_id, key_id) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
                params![usage_plan_id, key_id],
            )
            .map_err(|e| {
                conflict_on_constraint(e, || {
                    format!("cannot link usageplans/{usage_plan_id} and apikeys/{key_id} (one does not exist)")
                })
            })?;
        }
        Change::DeleteUsagePlanKey {
            usage_plan_id,
            key_id,
        } => {
            let rows = tx.execute(
                "DELETE FROM usage_plan_keys WHERE usage_plan_id = ?1 AND key_id = ?2",
                params![usage_plan_id, key_id],
            )?;
            expect_deleted(rows, || format!("usageplans/{usage_plan_id}/keys/{key_id}"))?;
        }
        Change::PutFunction { name, doc } => {
            tx.execute(
                "INSERT INTO functions (name, doc) VALUES (?1, ?2) \
                 ON CONFLICT(name) DO UPDATE SET doc = excluded.doc",
                params![name, doc],
            )?;
        }
        Change::DeleteFunction(name) => {
            tx.execute("DELETE FROM functions WHERE name = ?1", params![name])?;
        }
        Change::V2(change) => super::v2::apply(tx, change)?,
    }
    Ok(())
}
