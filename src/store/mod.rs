//! Durable state in SQLite (WAL, `synchronous=FULL`): every API, every deployment with its
//! frozen snapshot (never updated), stages, usage plans, API keys and their links, usage
//! counters, and an append-only audit log. Documents are the model types as JSON text.
//!
//! `Connection` is not `Sync`: the engine owns the `Store` on one thread (or behind
//! `spawn_blocking`) and is its only writer. `commit` returns once the transaction is durable.

mod change;
mod error;
mod lock;
mod reader;
mod schema;
mod v2;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use change::Change;
pub use error::StoreError;
pub use lock::LOCK_FILE;
pub use reader::StoreReader;
pub use v2::{StoredHttpApi, V2Change};

use crate::model::{
    AccountSettings, ApiDefinition, ApiKey, Deployment, Stage, StoredClientCertificate,
    StoredDomain, UsagePlan, VpcLink,
};

/// The database file inside the data directory.
pub const DB_FILE: &str = "gwtui.db";

pub(crate) const BUSY_TIMEOUT_MILLIS: i64 = 5000;

/// One entry of the audit log. `seq` is assigned by the store (ignored on input).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    pub seq: i64,
    pub at_millis: i64,
    /// Who: `console`, `cli`, or an access key id.
    pub actor: String,
    /// The admin operation, e.g. `CreateDeployment`.
    pub action: String,
    /// What it touched, e.g. `restapis/abc/stages/prod`.
    pub target: String,
    pub detail: serde_json::Value,
}

impl AuditRecord {
    pub fn new(
        actor: impl Into<String>,
        action: impl Into<String>,
        target: impl Into<String>,
        detail: serde_json::Value,
    ) -> AuditRecord {
        let at_millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        AuditRecord {
            seq: 0,
            at_millis,
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            detail,
        }
    }
}

/// A deployment with the definition it froze.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDeployment {
    pub deployment: Deployment,
    pub snapshot: ApiDefinition,
}

/// An API with its deployments (in creation order) and stages.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredApi {
    pub definition: ApiDefinition,
    pub deployments: Vec<StoredDeployment>,
    pub stages: Vec<Stage>,
}

/// Everything the engine needs at boot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoreState {
    pub apis: Vec<StoredApi>,
    pub usage_plans: Vec<UsagePlan>,
    pub api_keys: Vec<ApiKey>,
    /// `(usage_plan_id, key_id)` links.
    pub usage_plan_keys: Vec<(String, String)>,
    /// Registered functions: `(name, JSON configuration)`, in registration order.
    pub functions: Vec<(String, String)>,
    /// Custom domain names with their base path mappings, in creation order.
    pub domains: Vec<StoredDomain>,
    /// The account's settings (UpdateAccount); default when never changed.
    pub account: AccountSettings,
    /// HTTP APIs (v2), in creation order.
    pub http_apis: Vec<StoredHttpApi>,
    /// VPC links, in creation order.
    pub vpc_links: Vec<VpcLink>,
    /// Client certificates with their keys, in creation order.
    pub client_certificates: Vec<StoredClientCertificate>,
}

/// Runs inside [`Store::commit`] just before the transaction commits (the fsync): a test
/// hook that simulates a slow disk (see [`Store::set_commit_hook`]).
pub type CommitHook = Arc<dyn Fn() + Send + Sync>;

/// The open store; holds the data directory's lock until dropped.
pub struct Store {
    conn: Connection,
    data_dir: PathBuf,
    commit_hook: Option<CommitHook>,
    _lock: lock::DirLock,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("data_dir", &self.data_dir)
            .field("commit_hook", &self.commit_hook.is_some())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the store in `data_dir`, taking its exclusive lock first.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::io(format!("cannot create {}", data_dir.display()), e))?;
        let lock = lock::DirLock::acquire(data_dir)?;
        let mut conn = Connection::open(data_dir.join(DB_FILE))?;
        // Not `Connection::busy_timeout`: rusqlite implements it with sqlite3_set_clientdata,
        // which the system libsqlite3 (3.40) lacks, so the pragma keeps us linkable.
        conn.pragma_update(None, "busy_timeout", BUSY_TIMEOUT_MILLIS)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::corrupt(
                "database",
                format!("cannot switch to WAL journal mode (got {mode})"),
            ));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&mut conn)?;
        Ok(Store {
            conn,
            data_dir: data_dir.to_path_buf(),
            commit_hook: None,
            _lock: lock,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Installs (or with `None` removes) a hook that every [`Store::commit`] runs just before
    /// its transaction commits, with the writer's lock held: tests use it to hold a commit
    /// in progress, as a slow fsync would. Nothing in production sets it.
    #[doc(hidden)]
    pub fn set_commit_hook(&mut self, hook: Option<CommitHook>) {
        self.commit_hook = hook;
    }

    /// Reads everything for boot. A row that no longer deserialises is `Corrupt`, naming it.
    pub fn load(&self) -> Result<StoreState, StoreError> {
        let mut apis = Vec::new();
        for (id, doc) in self.rows("SELECT id, doc FROM rest_apis ORDER BY rowid", [])? {
            let definition: ApiDefinition = parse(&format!("restapis/{id}"), &doc)?;
            let mut deployments = Vec::new();
            let mut stmt = self.conn.prepare(
                "SELECT id, doc, snapshot FROM deployments WHERE api_id = ?1 ORDER BY rowid",
            )?;
            let rows = stmt.query_map(params![id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            for row in rows {
                let (dep_id, doc, snapshot) = row?;
                let what = format!("restapis/{id}/deployments/{dep_id}");
                deployments.push(StoredDeployment {
                    deployment: parse(&what, &doc)?,
                    snapshot: parse(&format!("{what} snapshot"), &snapshot)?,
                });
            }
            let mut stages = Vec::new();
            let sql = "SELECT name, doc FROM stages WHERE api_id = ?1 ORDER BY rowid";
            for (name, doc) in self.rows(sql, params![id])? {
                stages.push(parse(&format!("restapis/{id}/stages/{name}"), &doc)?);
            }
            apis.push(StoredApi {
                definition,
                deployments,
                stages,
            });
        }
        let usage_plans = self
            .rows("SELECT id, doc FROM usage_plans ORDER BY rowid", [])?
            .into_iter()
            .map(|(id, doc)| parse(&format!("usageplans/{id}"), &doc))
            .collect::<Result<_, _>>()?;
        let api_keys = self
            .rows("SELECT id, doc FROM api_keys ORDER BY rowid", [])?
            .into_iter()
            .map(|(id, doc)| parse(&format!("apikeys/{id}"), &doc))
            .collect::<Result<_, _>>()?;
        let usage_plan_keys = self.rows(
            "SELECT usage_plan_id, key_id FROM usage_plan_keys ORDER BY rowid",
            [],
        )?;
        let functions = self.rows("SELECT name, doc FROM functions ORDER BY rowid", [])?;
        let domains = self
            .rows("SELECT name, doc FROM domain_names ORDER BY rowid", [])?
            .into_iter()
            .map(|(name, doc)| parse(&format!("domainnames/{name}"), &doc))
            .collect::<Result<_, _>>()?;
        let account = match self
            .rows("SELECT 'account', doc FROM account WHERE id = 1", [])?
            .pop()
        {
            Some((what, doc)) => parse(&what, &doc)?,
            None => AccountSettings::default(),
        };
        let vpc_links = self
            .rows("SELECT id, doc FROM vpc_links ORDER BY rowid", [])?
            .into_iter()
            .map(|(id, doc)| parse(&format!("vpclinks/{id}"), &doc))
            .collect::<Result<_, _>>()?;
        let client_certificates = self
            .rows("SELECT id, doc FROM client_certificates ORDER BY rowid", [])?
            .into_iter()
            .map(|(id, doc)| parse(&format!("clientcertificates/{id}"), &doc))
            .collect::<Result<_, _>>()?;
        Ok(StoreState {
            http_apis: self.load_http_apis()?,
            vpc_links,
            client_certificates,
            account,
            domains,
            apis,
            usage_plans,
            api_keys,
            usage_plan_keys,
            functions,
        })
    }

    fn rows(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare(sql)?;
        let rows = stmt.query_map(args, |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Writes `changes` and one audit row in a single transaction and returns the audit
    /// row's `seq` once it is durable. On error nothing is written.
    pub fn commit(&mut self, changes: &[Change], audit: &AuditRecord) -> Result<i64, StoreError> {
        let detail = serde_json::to_string(&audit.detail)
            .map_err(|e| StoreError::corrupt("audit detail", e))?;
        let tx = self.conn.transaction()?;
        for change in changes {
            change::apply(&tx, change)?;
        }
        tx.execute(
            "INSERT INTO audit (at_millis, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![audit.at_millis, audit.actor, audit.action, audit.target, detail],
        )?;
        let seq = tx.last_insert_rowid();
        if let Some(hook) = &self.commit_hook {
            hook();
        }
        tx.commit()?;
        Ok(seq)
    }

    /// Up to `limit` audit records, newest first, older than `before_seq` when given.
    pub fn audit(
        &self,
        limit: usize,
        before_seq: Option<i64>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        reader::audit(&self.conn, limit, before_seq)
    }

    /// UpdateUsage's grants for a plan (one key, or all): `(key_id, period_start, granted)`.
    pub fn usage_grants(
        &self,
        usage_plan_id: &str,
        key_id: Option<&str>,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        reader::usage_grants(&self.conn, usage_plan_id, key_id)
    }

    /// Adds `n` requests to a key's counter for `day` (`YYYY-MM-DD`) under a usage plan.
    pub fn add_usage(
        &mut self,
        usage_plan_id: &str,
        key_id: &str,
        day: &str,
        n: i64,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO usage (usage_plan_id, key_id, day, used) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(usage_plan_id, key_id, day) DO UPDATE SET used = used + excluded.used",
            params![usage_plan_id, key_id, day, n],
        )?;
        Ok(())
    }

    /// Adds many `(usage_plan_id, key_id, day, n)` counts in one durable transaction.
    pub fn add_usage_batch(
        &mut self,
        rows: &[(String, String, String, i64)],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for (plan, key, day, n) in rows {
            tx.execute(
                "INSERT INTO usage (usage_plan_id, key_id, day, used) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(usage_plan_id, key_id, day) DO UPDATE SET used = used + excluded.used",
                params![plan, key, day, n],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// `(key_id, day, used)` for days in `start_day..=end_day` (inclusive, `YYYY-MM-DD`),
    /// ordered by key then day; only `key_id`'s rows when given.
    pub fn usage(
        &self,
        usage_plan_id: &str,
        key_id: Option<&str>,
        start_day: &str,
        end_day: &str,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        reader::usage(&self.conn, usage_plan_id, key_id, start_day, end_day)
    }

    /// A second, read-only connection to the same database for the audit log and usage
    /// reads. In WAL mode its reads do not wait for a commit (or its fsync) in progress.
    pub fn reader(&self) -> Result<StoreReader, StoreError> {
        StoreReader::open(&self.data_dir.join(DB_FILE))
    }

    /// The schema version (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }
}

fn parse<T: DeserializeOwned>(what: &str, doc: &str) -> Result<T, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::corrupt(what, e))
}

#[cfg(test)]
mod tests;
