//! The PostgreSQL backend (cluster mode, docs/CLUSTER.md): the same tables, schema versions,
//! durability and audit log as SQLite, shared by every node. A commit takes a transaction-level
//! advisory lock (writers are serialised across the cluster), writes its changes and audit row,
//! and sends `NOTIFY gwtui_changes, '<node id>:<seq>'`, which PostgreSQL delivers only when the
//! transaction commits; every node's listener ([`listen`]) reloads on another node's notice.
//!
//! The client is the blocking `postgres` crate: each client runs its own small runtime, so a
//! call must not run on a tokio worker. [`off_runtime`] moves it to a scoped thread when the
//! caller is inside a runtime context. Connect and statement timeouts are bounded, and a lost
//! connection is re-made on the next call, so an unreachable server refuses writes promptly
//! ([`StoreError::Unavailable`]) and the node recovers by itself when it returns.

mod change;
mod delta;
pub mod listen;
mod load;
mod schema;
mod tls;

use std::cell::{Cell, RefCell};
use std::time::Duration;

use postgres::{Client, NoTls};

use super::{AuditRecord, Change, StoreError, StoreState};

pub use delta::{Delta, MAX_BEHIND};
pub use schema::MIGRATIONS;

/// The channel every commit notifies and every node listens on.
pub const CHANNEL: &str = "gwtui_changes";
/// The advisory lock key writers take (`pg_advisory_xact_lock`): "gwtui" in ASCII.
pub(crate) const WRITE_LOCK: i64 = 0x0067_7774_7569;
/// How long connecting may take before the server counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest a statement (including waiting for the writers' lock) may run.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the definitions live: the parsed URL and a printable label without the password.
#[derive(Clone)]
pub struct PgTarget {
    config: postgres::Config,
    /// `sslmode=require`: the rustls connector (see [`tls`]); `None`: plain.
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    /// `host:port`, for error messages.
    pub endpoint: String,
    /// `host:port/dbname`, for `gwtui info`.
    pub label: String,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTarget")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl PgTarget {
    /// Parses a `postgres://user[:password]@host[:port]/db[?…]` URL (or a libpq key=value
    /// string), bounding connect and statement time. The error never repeats the URL (it may
    /// hold a password).
    pub fn parse(url: &str) -> Result<PgTarget, StoreError> {
        PgTarget::parse_with_ca(url, None)
    }

    /// [`parse`](Self::parse) with `[store] ca_cert`: the CA to trust for `sslmode=require`
    /// (the URL's `sslrootcert=FILE` otherwise, else the system's roots).
    pub fn parse_with_ca(
        url: &str,
        ca_cert: Option<&std::path::Path>,
    ) -> Result<PgTarget, StoreError> {
        let (url, root) = tls::preprocess(url);
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Config(format!("invalid PostgreSQL URL: {e}")))?;
        let tls = tls::connector(&mut config, ca_cert.or(root.as_deref()))?;
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(5))
            .tcp_user_timeout(STATEMENT_TIMEOUT)
            .application_name("gwtui")
            .options(&format!(
                "-c statement_timeout={} -c lock_timeout={}",
                STATEMENT_TIMEOUT.as_millis(),
                STATEMENT_TIMEOUT.as_millis()
            ));
        let host = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".to_string(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let endpoint = format!("{host}:{port}");
        let db = config
            .get_dbname()
            .or(config.get_user())
            .unwrap_or("postgres");
        let label = format!("{endpoint}/{db}");
        Ok(PgTarget {
            config,
            tls,
            endpoint,
            label,
        })
    }

    /// Opens a client, off any tokio worker.
    pub(crate) fn connect(&self) -> Result<Client, StoreError> {
        off_runtime(|| match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(NoTls),
        })
        .map_err(|e| self.unavailable(&tls::explain(describe(&e))))
    }

    /// Whether connections use TLS (`sslmode=require`).
    pub fn uses_tls(&self) -> bool {
        self.tls.is_some()
    }

    pub(crate) fn unavailable(&self, e: &dyn std::fmt::Display) -> StoreError {
        StoreError::Unavailable {
            endpoint: self.endpoint.clone(),
            reason: e.to_string(),
        }
    }
}

/// Runs `f` where a blocking PostgreSQL client may run: inline on a plain thread (or a
/// `spawn_blocking` one, which is not a runtime worker... but cannot be told apart), else on
/// a scoped thread of its own, so the client's own runtime never nests in tokio's.
pub(crate) fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|s| match s.spawn(f).join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// A client error in words: the server's message for a database error (the client's own
/// `Display` says only "db error"), else the error and its cause.
pub(crate) fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// A client that is re-made on the next call after its connection broke.
pub(crate) struct Conn {
    target: PgTarget,
    client: Option<Client>,
}

impl Conn {
    pub(crate) fn new(target: PgTarget, client: Client) -> Conn {
        Conn {
            target,
            client: Some(client),
        }
    }

    /// The client, reconnecting when the previous one broke.
    pub(crate) fn client(&mut self) -> Result<&mut Client, StoreError> {
        if self.client.as_ref().is_some_and(|c| c.is_closed()) {
            self.drop_client();
        }
        if self.client.is_none() {
            self.client = Some(self.target.connect()?);
        }
        self.client
            .as_mut()
            .ok_or_else(|| self.target.unavailable(&"not connected"))
    }

    /// Maps a client error: a broken connection is `Unavailable` (and the client is dropped so
    /// the next call reconnects), a constraint violation `Conflict`, the rest `Postgres`.
    pub(crate) fn fail(&mut self, e: postgres::Error) -> StoreError {
        let lost = e.is_closed()
            || e.as_db_error().is_none() && e.code().is_none()
            || e.code().is_some_and(|c| {
                c.code().starts_with("08") || c.code().starts_with("57P") || c.code() == "53300"
            });
        if lost {
            self.drop_client();
            return self.target.unavailable(&describe(&e));
        }
        StoreError::Postgres(describe(&e))
    }

    fn drop_client(&mut self) {
        if let Some(client) = self.client.take() {
            drop_off_runtime(client);
        }
    }

    pub(crate) fn target(&self) -> &PgTarget {
        &self.target
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.drop_client();
    }
}

/// A client owns a runtime, which must not be dropped on a tokio worker.
fn drop_off_runtime(client: Client) {
    if tokio::runtime::Handle::try_current().is_err() {
        drop(client);
    } else {
        let _ = std::thread::Builder::new()
            .name("gwtui-pg-drop".into())
            .spawn(move || drop(client));
    }
}

/// The PostgreSQL store: one connection for writes and boot/reload reads, used under the
/// engine's writers' lock (like SQLite's).
pub struct PgStore {
    /// In a `RefCell` so the store's read methods keep `&self` (the engine's writers' lock
    /// already makes every use exclusive).
    conn: RefCell<Conn>,
    node_id: String,
    /// A write transaction (BEGIN + the writers' advisory lock) is open on `conn`.
    in_write: Cell<bool>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.conn.borrow().target)
            .field("node_id", &self.node_id)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects and brings the schema to the newest version (one migrating node at a time).
    pub fn open(target: PgTarget, node_id: &str) -> Result<PgStore, StoreError> {
        let mut client = target.connect()?;
        off_runtime(|| schema::migrate(&mut client))?;
        Ok(PgStore {
            conn: RefCell::new(Conn::new(target, client)),
            node_id: node_id.to_string(),
            in_write: Cell::new(false),
        })
    }

    pub fn target(&self) -> PgTarget {
        self.conn.borrow().target().clone()
    }

    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// Runs `f` with the client, off the runtime, mapping its error.
    fn with<T: Send>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, postgres::Error> + Send,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.borrow_mut();
        let client = conn.client()?;
        match off_runtime(|| f(client)) {
            Ok(v) => Ok(v),
            Err(e) => Err(conn.fail(e)),
        }
    }

    /// Opens the write transaction and takes the cluster's writers' lock; returns the newest
    /// committed change (the audit log's head), so a node that is behind can reload first.
    pub fn begin_write(&self) -> Result<i64, StoreError> {
        if self.in_write.get() {
            return self.head();
        }
        // A connection that broke while idle (the server restarted) is only found out by
        // using it: nothing has been done yet, so try once more on a new one.
        match self.try_begin_write() {
            Err(StoreError::Unavailable { .. }) => self.try_begin_write(),
            other => other,
        }
    }

    fn try_begin_write(&self) -> Result<i64, StoreError> {
        let head = self.with(|c| {
            c.batch_execute("BEGIN")?;
            c.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
            let row = c.query_one("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM audit", &[])?;
            row.try_get::<_, i64>(0)
        });
        match head {
            Ok(h) => {
                self.in_write.set(true);
                Ok(h)
            }
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    /// Rolls back a write transaction still open (the operation failed before committing).
    pub fn end_write(&self) {
        if self.in_write.get() {
            self.rollback();
        }
    }

    fn rollback(&self) {
        self.in_write.set(false);
        let mut conn = self.conn.borrow_mut();
        if let Some(client) = conn.client.as_mut()
            && !client.is_closed()
        {
            let _ = off_runtime(|| client.batch_execute("ROLLBACK"));
        }
    }

    fn head(&self) -> Result<i64, StoreError> {
        self.with(|c| {
            let row = c.query_one("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM audit", &[])?;
            row.try_get::<_, i64>(0)
        })
    }

    /// Writes `changes`, the audit row and the notice in one transaction (the one
    /// [`PgStore::begin_write`] opened, or a new one), and returns the audit row's `seq` once
    /// PostgreSQL has committed it (`synchronous_commit` as the server sets it; on by default).
    pub fn commit(
        &self,
        changes: &[Change],
        audit: &AuditRecord,
        hook: Option<&super::CommitHook>,
    ) -> Result<i64, StoreError> {
        if !self.in_write.get() {
            self.begin_write()?;
        }
        let detail = serde_json::to_string(&audit.detail)
            .map_err(|e| StoreError::corrupt("audit detail", e))?;
        let node = self.node_id.clone();
        let scopes = delta::scopes(changes);
        let result = (|| {
            for change in changes {
                let sql = change::statements(change)?;
                self.with(|c| sql.run(c))??;
            }
            let seq = self.with(|c| {
                let row = c.query_one(
                    "INSERT INTO audit (at_millis, actor, action, target, detail)
                     VALUES ($1, $2, $3, $4, $5) RETURNING seq",
                    &[
                        &audit.at_millis,
                        &audit.actor,
                        &audit.action,
                        &audit.target,
                        &detail,
                    ],
                )?;
                let seq: i64 = row.try_get(0)?;
                delta::record(c, seq, &scopes)?;
                c.execute(
                    "SELECT pg_notify($1, $2)",
                    &[&CHANNEL, &format!("{node}:{seq}")],
                )?;
                Ok(seq)
            })?;
            if let Some(hook) = hook {
                hook();
            }
            self.with(|c| c.batch_execute("COMMIT"))?;
            Ok(seq)
        })();
        self.in_write.set(false);
        if result.is_err() {
            self.rollback();
        }
        result
    }

    /// Everything for boot or a reload, read in one snapshot, with the audit log's head at
    /// that snapshot (what the loaded state includes).
    pub fn load(&self) -> Result<(StoreState, i64), StoreError> {
        if self.in_write.get() {
            let head = self.head()?;
            return Ok((self.with(load::load)??, head));
        }
        match self.try_load() {
            Err(StoreError::Unavailable { .. }) => self.try_load(),
            other => other,
        }
    }

    fn try_load(&self) -> Result<(StoreState, i64), StoreError> {
        let result = self.with(|c| {
            c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
            let head: i64 = c
                .query_one("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM audit", &[])?
                .try_get(0)?;
            let state = load::load(c)?;
            c.batch_execute("COMMIT")?;
            Ok((state, head))
        });
        if result.is_err() {
            self.rollback();
        }
        result.and_then(|(state, head)| Ok((state?, head)))
    }

    /// What changed after audit `seq` `since`, read in one snapshot (see [`delta`]): `None`
    /// when only a full [`PgStore::load`] can catch up.
    pub fn delta_since(&self, since: i64) -> Result<Option<Delta>, StoreError> {
        if self.in_write.get() {
            return self.with(|c| delta::since(c, since))?;
        }
        // A connection that broke while idle (the server restarted) is only found out by
        // using it: nothing has been read yet, so try once more on a new one.
        match self.try_delta_since(since) {
            Err(StoreError::Unavailable { .. }) => self.try_delta_since(since),
            other => other,
        }
    }

    fn try_delta_since(&self, since: i64) -> Result<Option<Delta>, StoreError> {
        let result = self.with(|c| {
            c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
            let delta = delta::since(c, since)?;
            c.batch_execute("COMMIT")?;
            Ok(delta)
        });
        if result.is_err() {
            self.rollback();
        }
        result?
    }

    pub fn audit(
        &self,
        limit: usize,
        before_seq: Option<i64>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.with(|c| load::audit(c, limit, before_seq))?
    }

    pub fn usage_grants(
        &self,
        plan: &str,
        key: Option<&str>,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        self.with(|c| load::usage_grants(c, plan, key))
    }

    pub fn usage(
        &self,
        plan: &str,
        key: Option<&str>,
        start_day: &str,
        end_day: &str,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        self.with(|c| load::usage(c, plan, key, start_day, end_day))
    }

    /// Adds counts (additive upsert: every node adds its own, none overwrites another's).
    pub fn add_usage_batch(
        &self,
        rows: &[(String, String, String, i64)],
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            for (plan, key, day, n) in rows {
                tx.execute(
                    "INSERT INTO usage (usage_plan_id, key_id, day, used) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (usage_plan_id, key_id, day) DO UPDATE SET used = usage.used + excluded.used",
                    &[plan, key, day, n],
                )?;
            }
            tx.commit()
        })
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.with(|c| {
            c.query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_version",
                &[],
            )?
            .try_get(0)
        })
    }

    /// A second connection for audit and usage reads.
    pub fn reader(&self) -> Result<PgReader, StoreError> {
        let target = self.target();
        let client = target.connect()?;
        Ok(PgReader {
            conn: RefCell::new(Conn::new(target, client)),
        })
    }
}

/// The read-only side: audit log and usage reads on a connection of their own.
pub struct PgReader {
    conn: RefCell<Conn>,
}

impl std::fmt::Debug for PgReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgReader").finish_non_exhaustive()
    }
}

impl PgReader {
    /// Runs a read; once more on a new connection when the old one turns out broken.
    fn with<T: Send>(
        &self,
        f: impl Fn(&mut Client) -> Result<T, postgres::Error> + Send + Sync,
    ) -> Result<T, StoreError> {
        match self.try_with(&f) {
            Err(StoreError::Unavailable { .. }) => self.try_with(&f),
            other => other,
        }
    }

    fn try_with<T: Send>(
        &self,
        f: &(impl Fn(&mut Client) -> Result<T, postgres::Error> + Send + Sync),
    ) -> Result<T, StoreError> {
        let mut conn = self.conn.borrow_mut();
        let client = conn.client()?;
        match off_runtime(|| f(client)) {
            Ok(v) => Ok(v),
            Err(e) => Err(conn.fail(e)),
        }
    }

    pub fn audit(
        &self,
        limit: usize,
        before_seq: Option<i64>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        self.with(|c| load::audit(c, limit, before_seq))?
    }

    pub fn usage_grants(
        &self,
        plan: &str,
        key: Option<&str>,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        self.with(|c| load::usage_grants(c, plan, key))
    }

    pub fn usage(
        &self,
        plan: &str,
        key: Option<&str>,
        start_day: &str,
        end_day: &str,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        self.with(|c| load::usage(c, plan, key, start_day, end_day))
    }
}
