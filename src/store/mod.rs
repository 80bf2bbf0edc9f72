//! Durable state in SQLite (WAL, `synchronous=FULL`): every API, every deployment with its
//! frozen snapshot (never updated), stages, usage plans, API keys and their links, usage
//! counters, and an append-only audit log. Documents are the model types as JSON text.
//!
//! `Connection` is not `Sync`: the engine owns the `Store` on one thread (or behind
//! `spawn_blocking`) and is its only writer. `commit` returns once the transaction is durable.
//!
//! Cluster mode keeps the same tables in PostgreSQL instead ([`postgres`], selected by
//! [`StoreLocation`]); `Store` is the one interface to both.

mod change;
mod error;
mod lock;
pub mod postgres;
mod reader;
mod schema;
mod sqlite;
mod v2;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::Connection;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use change::Change;
pub use error::StoreError;
pub use lock::LOCK_FILE;
pub use postgres::{PgStore, PgTarget};
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

/// Where the definitions are kept: the embedded SQLite file in the data directory (the
/// default), or a PostgreSQL database shared by the nodes of a cluster.
#[derive(Debug, Clone, Default)]
pub enum StoreLocation {
    #[default]
    Sqlite,
    Postgres(Box<PgTarget>),
}

impl StoreLocation {
    /// `None`/empty: SQLite; `postgres://…` or `postgresql://…`: PostgreSQL.
    pub fn parse(url: Option<&str>) -> Result<StoreLocation, StoreError> {
        StoreLocation::parse_with_ca(url, None)
    }

    /// [`parse`](Self::parse) with `[store] ca_cert` (PostgreSQL over TLS, `sslmode=require`).
    pub fn parse_with_ca(
        url: Option<&str>,
        ca_cert: Option<&Path>,
    ) -> Result<StoreLocation, StoreError> {
        match url.map(str::trim) {
            None | Some("") if ca_cert.is_some() => Err(StoreError::Config(
                "[store] ca_cert is set but [store] url is not (SQLite needs no certificate)"
                    .into(),
            )),
            None | Some("") => Ok(StoreLocation::Sqlite),
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => Ok(
                StoreLocation::Postgres(Box::new(PgTarget::parse_with_ca(u, ca_cert)?)),
            ),
            Some(_) => Err(StoreError::Config(
                "the store URL must start with postgres:// or postgresql://".into(),
            )),
        }
    }

    /// For `gwtui info`: the SQLite file, or PostgreSQL's host, port and database (never the
    /// password).
    pub fn describe(&self, data_dir: &Path) -> String {
        match self {
            StoreLocation::Sqlite => format!("sqlite {}", data_dir.join(DB_FILE).display()),
            StoreLocation::Postgres(t) if t.uses_tls() => format!("postgres {} (TLS)", t.label),
            StoreLocation::Postgres(t) => format!("postgres {}", t.label),
        }
    }
}

enum Backend {
    Sqlite(Connection),
    Postgres(Box<PgStore>),
}

/// The open store; holds the data directory's lock until dropped (the data directory keeps
/// logs and function code, local to each node, whichever backend holds the definitions).
pub struct Store {
    backend: Backend,
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
    /// Opens (creating if needed) the SQLite store in `data_dir`, taking its exclusive lock
    /// first.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Store::open_at(data_dir, &StoreLocation::Sqlite, "local")
    }

    /// Opens the store at `location`, taking `data_dir`'s lock first; `node_id` signs the
    /// change notices a PostgreSQL store sends.
    pub fn open_at(
        data_dir: &Path,
        location: &StoreLocation,
        node_id: &str,
    ) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::io(format!("cannot create {}", data_dir.display()), e))?;
        let lock = lock::DirLock::acquire(data_dir)?;
        let backend = match location {
            StoreLocation::Sqlite => Backend::Sqlite(sqlite::open(data_dir)?),
            StoreLocation::Postgres(target) => {
                Backend::Postgres(Box::new(PgStore::open((**target).clone(), node_id)?))
            }
        };
        Ok(Store {
            backend,
            data_dir: data_dir.to_path_buf(),
            commit_hook: None,
            _lock: lock,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The PostgreSQL backend, in cluster mode.
    pub fn postgres(&self) -> Option<&PgStore> {
        match &self.backend {
            Backend::Postgres(pg) => Some(pg),
            Backend::Sqlite(_) => None,
        }
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
        self.load_with_head().map(|(state, _)| state)
    }

    /// [`Store::load`], with the newest audit sequence number the state includes (what a
    /// cluster node has applied).
    pub fn load_with_head(&self) -> Result<(StoreState, i64), StoreError> {
        match &self.backend {
            Backend::Sqlite(conn) => {
                let head: i64 =
                    conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM audit", [], |r| r.get(0))?;
                Ok((sqlite::load(conn)?, head))
            }
            Backend::Postgres(pg) => pg.load(),
        }
    }

    /// On PostgreSQL, what changed after audit `seq` `since` (a cluster node's incremental
    /// catch-up; `None` when only a full load can catch up). SQLite has no other writer: `None`.
    pub fn delta_since(&self, since: i64) -> Result<Option<postgres::Delta>, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(None),
            Backend::Postgres(pg) => pg.delta_since(since),
        }
    }

    /// Starts a write: on PostgreSQL, opens the transaction and takes the cluster's writers'
    /// lock, returning the newest committed sequence number (a node behind it reloads before
    /// computing its change). SQLite has one writer, the engine: `None`.
    pub fn begin_write(&self) -> Result<Option<i64>, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(None),
            Backend::Postgres(pg) => pg.begin_write().map(Some),
        }
    }

    /// Ends a write [`Store::begin_write`] started and [`Store::commit`] did not finish (the
    /// operation failed): rolls it back.
    pub fn end_write(&self) {
        if let Backend::Postgres(pg) = &self.backend {
            pg.end_write();
        }
    }

    /// Writes `changes` and one audit row in a single transaction and returns the audit
    /// row's `seq` once it is durable. On error nothing is written.
    pub fn commit(&mut self, changes: &[Change], audit: &AuditRecord) -> Result<i64, StoreError> {
        match &mut self.backend {
            Backend::Sqlite(conn) => {
                sqlite::commit(conn, changes, audit, self.commit_hook.as_ref())
            }
            Backend::Postgres(pg) => pg.commit(changes, audit, self.commit_hook.as_ref()),
        }
    }

    /// Up to `limit` audit records, newest first, older than `before_seq` when given.
    pub fn audit(
        &self,
        limit: usize,
        before_seq: Option<i64>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        match &self.backend {
            Backend::Sqlite(conn) => reader::audit(conn, limit, before_seq),
            Backend::Postgres(pg) => pg.audit(limit, before_seq),
        }
    }

    /// UpdateUsage's grants for a plan (one key, or all): `(key_id, period_start, granted)`.
    pub fn usage_grants(
        &self,
        usage_plan_id: &str,
        key_id: Option<&str>,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        match &self.backend {
            Backend::Sqlite(conn) => reader::usage_grants(conn, usage_plan_id, key_id),
            Backend::Postgres(pg) => pg.usage_grants(usage_plan_id, key_id),
        }
    }

    /// Adds `n` requests to a key's counter for `day` (`YYYY-MM-DD`) under a usage plan.
    pub fn add_usage(
        &mut self,
        usage_plan_id: &str,
        key_id: &str,
        day: &str,
        n: i64,
    ) -> Result<(), StoreError> {
        match &mut self.backend {
            Backend::Sqlite(conn) => sqlite::add_usage(conn, usage_plan_id, key_id, day, n),
            Backend::Postgres(pg) => pg.add_usage_batch(&[(
                usage_plan_id.to_string(),
                key_id.to_string(),
                day.to_string(),
                n,
            )]),
        }
    }

    /// Adds many `(usage_plan_id, key_id, day, n)` counts in one durable transaction. On
    /// PostgreSQL the upsert adds to what other nodes stored.
    pub fn add_usage_batch(
        &mut self,
        rows: &[(String, String, String, i64)],
    ) -> Result<(), StoreError> {
        match &mut self.backend {
            Backend::Sqlite(conn) => sqlite::add_usage_batch(conn, rows),
            Backend::Postgres(pg) => pg.add_usage_batch(rows),
        }
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
        match &self.backend {
            Backend::Sqlite(conn) => reader::usage(conn, usage_plan_id, key_id, start_day, end_day),
            Backend::Postgres(pg) => pg.usage(usage_plan_id, key_id, start_day, end_day),
        }
    }

    /// A second connection to the same database for the audit log and usage reads. In WAL
    /// mode its reads do not wait for a commit (or its fsync) in progress.
    pub fn reader(&self) -> Result<StoreReader, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => StoreReader::open(&self.data_dir.join(DB_FILE)),
            Backend::Postgres(pg) => Ok(StoreReader::postgres(pg.reader()?)),
        }
    }

    /// The schema version (`PRAGMA user_version`; PostgreSQL: the newest row of
    /// `schema_version`). Both backends number their migrations alike.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        match &self.backend {
            Backend::Sqlite(conn) => sqlite::schema_version(conn),
            Backend::Postgres(pg) => pg.schema_version(),
        }
    }

    /// The SQLite connection (tests poke at the schema directly).
    #[cfg(test)]
    pub(crate) fn sqlite(&self) -> &Connection {
        match &self.backend {
            Backend::Sqlite(conn) => conn,
            Backend::Postgres(_) => panic!("not a SQLite store"),
        }
    }
}

fn parse<T: DeserializeOwned>(what: &str, doc: &str) -> Result<T, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::corrupt(what, e))
}

#[cfg(test)]
mod tests;
