//! Reads that must not wait for a writer: the audit log and usage counters, through a second
//! connection (`query_only`) to the same WAL database. A WAL reader sees the last committed
//! transaction and takes no lock a committing writer holds, so a slow commit (fsync) does
//! not hold these reads up.

use std::path::Path;

use rusqlite::{Connection, params};

use super::postgres::PgReader;
use super::postgres::listen::NodeRow;
use super::{AuditRecord, BUSY_TIMEOUT_MILLIS, StoreError, parse};

/// A read-only connection; opened by [`super::Store::reader`] after the store (so the schema
/// exists and the database is already in WAL mode). On PostgreSQL, a second connection.
#[derive(Debug)]
pub struct StoreReader {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Sqlite(Connection),
    Postgres(Box<PgReader>),
}

impl StoreReader {
    pub(super) fn open(db: &Path) -> Result<StoreReader, StoreError> {
        let conn = Connection::open(db)?;
        conn.pragma_update(None, "busy_timeout", BUSY_TIMEOUT_MILLIS)?;
        conn.pragma_update(None, "query_only", "ON")?;
        Ok(StoreReader {
            kind: Kind::Sqlite(conn),
        })
    }

    pub(super) fn postgres(reader: PgReader) -> StoreReader {
        StoreReader {
            kind: Kind::Postgres(Box::new(reader)),
        }
    }

    /// The SQLite connection (tests check it cannot write).
    #[cfg(test)]
    pub(crate) fn sqlite(&self) -> &Connection {
        match &self.kind {
            Kind::Sqlite(conn) => conn,
            Kind::Postgres(_) => panic!("not a SQLite reader"),
        }
    }

    /// The cluster's nodes (`cluster_nodes`); empty on SQLite (no cluster).
    pub fn nodes(&self) -> Result<Vec<NodeRow>, StoreError> {
        match &self.kind {
            Kind::Sqlite(_) => Ok(Vec::new()),
            Kind::Postgres(pg) => pg.nodes(),
        }
    }

    /// Up to `limit` audit records, newest first, older than `before_seq` when given.
    pub fn audit(
        &self,
        limit: usize,
        before_seq: Option<i64>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        match &self.kind {
            Kind::Sqlite(conn) => audit(conn, limit, before_seq),
            Kind::Postgres(pg) => pg.audit(limit, before_seq),
        }
    }

    /// `(key_id, day, used)` for days in `start_day..=end_day`; see [`super::Store::usage`].
    pub fn usage(
        &self,
        usage_plan_id: &str,
        key_id: Option<&str>,
        start_day: &str,
        end_day: &str,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        match &self.kind {
            Kind::Sqlite(conn) => usage(conn, usage_plan_id, key_id, start_day, end_day),
            Kind::Postgres(pg) => pg.usage(usage_plan_id, key_id, start_day, end_day),
        }
    }

    /// UpdateUsage's grants for a plan (one key, or all): `(key_id, period_start, granted)`.
    pub fn usage_grants(
        &self,
        usage_plan_id: &str,
        key_id: Option<&str>,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        match &self.kind {
            Kind::Sqlite(conn) => usage_grants(conn, usage_plan_id, key_id),
            Kind::Postgres(pg) => pg.usage_grants(usage_plan_id, key_id),
        }
    }
}

pub(super) fn usage_grants(
    conn: &Connection,
    usage_plan_id: &str,
    key_id: Option<&str>,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT key_id, period_start, granted FROM usage_grants
         WHERE usage_plan_id = ?1 AND (?2 IS NULL OR key_id = ?2) ORDER BY period_start",
    )?;
    let rows = stmt.query_map(params![usage_plan_id, key_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn audit(
    conn: &Connection,
    limit: usize,
    before_seq: Option<i64>,
) -> Result<Vec<AuditRecord>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT seq, at_millis, actor, action, target, detail FROM audit
         WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![before_seq.unwrap_or(i64::MAX), limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, at_millis, actor, action, target, detail) = row?;
        out.push(AuditRecord {
            seq,
            at_millis,
            actor,
            action,
            target,
            detail: parse(&format!("audit record {seq}"), &detail)?,
        });
    }
    Ok(out)
}

pub(super) fn usage(
    conn: &Connection,
    usage_plan_id: &str,
    key_id: Option<&str>,
    start_day: &str,
    end_day: &str,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT key_id, day, used FROM usage
         WHERE usage_plan_id = ?1 AND (?2 IS NULL OR key_id = ?2) AND day BETWEEN ?3 AND ?4
         ORDER BY key_id, day",
    )?;
    let rows = stmt.query_map(params![usage_plan_id, key_id, start_day, end_day], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
