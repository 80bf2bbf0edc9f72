//! HTTP APIs (v2) in the store (schema v6): one row per API (its routes, integrations and
//! authorizers in the document), deployments with their frozen definition (never rewritten),
//! and stages.

use rusqlite::{Transaction, params};

use rusqlite::Connection;

use super::{StoreError, parse};
use crate::model::v2::{Deployment, HttpApiDefinition, Stage};

/// One durable change to an HTTP API.
#[derive(Debug, Clone, PartialEq)]
pub enum V2Change {
    /// Inserts or replaces the API's definition (deployments and stages are kept).
    PutApi(Box<HttpApiDefinition>),
    /// Deletes the API with its deployments and stages.
    DeleteApi(String),
    /// Inserts a deployment and what it froze; an existing id is a conflict.
    PutDeployment {
        api_id: String,
        deployment: Deployment,
        snapshot: Box<HttpApiDefinition>,
    },
    /// Replaces a deployment's record (its description), never its snapshot.
    UpdateDeployment {
        api_id: String,
        deployment: Deployment,
    },
    DeleteDeployment {
        api_id: String,
        deployment_id: String,
    },
    PutStage {
        api_id: String,
        stage: Box<Stage>,
    },
    DeleteStage {
        api_id: String,
        stage_name: String,
    },
}

/// An HTTP API as loaded at boot.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredHttpApi {
    pub definition: HttpApiDefinition,
    /// In creation order, each with the definition it froze.
    pub deployments: Vec<(Deployment, HttpApiDefinition)>,
    pub stages: Vec<Stage>,
}

fn json<T: serde::Serialize>(what: &str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::corrupt(what, e))
}

fn deleted(rows: usize, what: impl FnOnce() -> String) -> Result<(), StoreError> {
    if rows == 0 {
        Err(StoreError::Conflict(format!("{} does not exist", what())))
    } else {
        Ok(())
    }
}

pub(super) fn apply(tx: &Transaction<'_>, change: &V2Change) -> Result<(), StoreError> {
    match change {
        V2Change::PutApi(def) => {
            tx.execute(
                "INSERT INTO http_apis (id, doc) VALUES (?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                params![def.api.api_id, json("http api", def)?],
            )?;
        }
        V2Change::DeleteApi(id) => {
            let rows = tx.execute("DELETE FROM http_apis WHERE id = ?1", params![id])?;
            deleted(rows, || format!("v2/apis/{id}"))?;
        }
        V2Change::PutDeployment {
            api_id,
            deployment,
            snapshot,
        } => {
            tx.execute(
                "INSERT INTO http_api_deployments (api_id, id, doc, snapshot) VALUES (?1, ?2, ?3, ?4)",
                params![
                    api_id,
                    deployment.deployment_id,
                    json("deployment", deployment)?,
                    json("deployment snapshot", snapshot)?
                ],
            )
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Conflict(format!(
                    "cannot create v2/apis/{api_id}/deployments/{}: {e}",
                    deployment.deployment_id
                )),
                _ => StoreError::Sqlite(e),
            })?;
        }
        V2Change::UpdateDeployment { api_id, deployment } => {
            let rows = tx.execute(
                "UPDATE http_api_deployments SET doc = ?3 WHERE api_id = ?1 AND id = ?2",
                params![
                    api_id,
                    deployment.deployment_id,
                    json("deployment", deployment)?
                ],
            )?;
            deleted(rows, || {
                format!("v2/apis/{api_id}/deployments/{}", deployment.deployment_id)
            })?;
        }
        V2Change::DeleteDeployment {
            api_id,
            deployment_id,
        } => {
            let rows = tx.execute(
                "DELETE FROM http_api_deployments WHERE api_id = ?1 AND id = ?2",
                params![api_id, deployment_id],
            )?;
            deleted(rows, || {
                format!("v2/apis/{api_id}/deployments/{deployment_id}")
            })?;
        }
        V2Change::PutStage { api_id, stage } => {
            tx.execute(
                "INSERT INTO http_api_stages (api_id, name, doc) VALUES (?1, ?2, ?3)
                 ON CONFLICT(api_id, name) DO UPDATE SET doc = excluded.doc",
                params![api_id, stage.stage_name, json("stage", stage)?],
            )?;
        }
        V2Change::DeleteStage { api_id, stage_name } => {
            let rows = tx.execute(
                "DELETE FROM http_api_stages WHERE api_id = ?1 AND name = ?2",
                params![api_id, stage_name],
            )?;
            deleted(rows, || format!("v2/apis/{api_id}/stages/{stage_name}"))?;
        }
    }
    Ok(())
}

/// Every HTTP API with its deployments and stages.
pub(super) fn load_http_apis(conn: &Connection) -> Result<Vec<StoredHttpApi>, StoreError> {
    {
        let mut out = Vec::new();
        for (id, doc) in
            super::sqlite::rows(conn, "SELECT id, doc FROM http_apis ORDER BY rowid", [])?
        {
            let definition: HttpApiDefinition = parse(&format!("v2/apis/{id}"), &doc)?;
            let mut deployments = Vec::new();
            let mut stmt = conn.prepare(
                "SELECT id, doc, snapshot FROM http_api_deployments WHERE api_id = ?1 ORDER BY rowid",
            )?;
            let rows = stmt.query_map(params![id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            for row in rows {
                let (dep, doc, snapshot) = row?;
                let what = format!("v2/apis/{id}/deployments/{dep}");
                deployments.push((
                    parse(&what, &doc)?,
                    parse(&format!("{what} snapshot"), &snapshot)?,
                ));
            }
            let mut stages = Vec::new();
            for (name, doc) in super::sqlite::rows(
                conn,
                "SELECT name, doc FROM http_api_stages WHERE api_id = ?1 ORDER BY rowid",
                params![id],
            )? {
                stages.push(parse(&format!("v2/apis/{id}/stages/{name}"), &doc)?);
            }
            out.push(StoredHttpApi {
                definition,
                deployments,
                stages,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::v2::{Api, Route};
    use crate::store::{AuditRecord, Change, Store};

    #[test]
    fn http_apis_survive_a_reopen_and_snapshots_stay_frozen() {
        let dir = tempfile::tempdir().expect("dir");
        let def = HttpApiDefinition {
            api: Api {
                api_id: "a1".into(),
                name: "n".into(),
                protocol_type: "HTTP".into(),
                ..Api::default()
            },
            routes: vec![Route {
                route_id: "r1".into(),
                route_key: "$default".into(),
                ..Route::default()
            }],
            ..HttpApiDefinition::default()
        };
        let deployment = Deployment {
            deployment_id: "d1".into(),
            deployment_status: "DEPLOYED".into(),
            ..Deployment::default()
        };
        let stage = Stage {
            stage_name: "$default".into(),
            deployment_id: Some("d1".into()),
            auto_deploy: true,
            ..Stage::default()
        };
        {
            let mut store = Store::open(dir.path()).expect("open");
            assert_eq!(
                store.schema_version().expect("version"),
                crate::store::schema::MIGRATIONS.len() as i64
            );
            let audit = AuditRecord::new("t", "CreateApi", "v2/apis/a1", serde_json::Value::Null);
            store
                .commit(
                    &[
                        Change::V2(V2Change::PutApi(Box::new(def.clone()))),
                        Change::V2(V2Change::PutDeployment {
                            api_id: "a1".into(),
                            deployment: deployment.clone(),
                            snapshot: Box::new(def.clone()),
                        }),
                        Change::V2(V2Change::PutStage {
                            api_id: "a1".into(),
                            stage: Box::new(stage.clone()),
                        }),
                    ],
                    &audit,
                )
                .expect("commit");
            let again = store.commit(
                &[Change::V2(V2Change::PutDeployment {
                    api_id: "a1".into(),
                    deployment: deployment.clone(),
                    snapshot: Box::new(HttpApiDefinition::default()),
                })],
                &audit,
            );
            assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
            let updated = store.sqlite().execute(
                "UPDATE http_api_deployments SET snapshot = '{}' WHERE id = 'd1'",
                [],
            );
            assert!(updated.is_err(), "snapshots are immutable");
        }
        let store = Store::open(dir.path()).expect("reopen");
        let state = store.load().expect("load");
        assert_eq!(
            state.http_apis,
            vec![StoredHttpApi {
                definition: def.clone(),
                deployments: vec![(deployment, def)],
                stages: vec![stage],
            }]
        );
    }
}
