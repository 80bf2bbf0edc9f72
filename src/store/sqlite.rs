//! The SQLite backend (the default): one file in the data directory, WAL, `synchronous=FULL`.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::{
    AuditRecord, BUSY_TIMEOUT_MILLIS, Change, CommitHook, DB_FILE, StoreError, StoreState,
    StoredApi, StoredDeployment, change, parse, schema,
};
use crate::model::{AccountSettings, ApiDefinition};

/// Opens (creating if needed) `gwtui.db` in `data_dir` and migrates it.
pub(super) fn open(data_dir: &Path) -> Result<Connection, StoreError> {
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
    Ok(conn)
}

/// Reads everything for boot. A row that no longer deserialises is `Corrupt`, naming it.
pub(super) fn load(conn: &Connection) -> Result<StoreState, StoreError> {
    let mut apis = Vec::new();
    for (id, doc) in rows(conn, "SELECT id, doc FROM rest_apis ORDER BY rowid", [])? {
        let definition: ApiDefinition = parse(&format!("restapis/{id}"), &doc)?;
        let mut deployments = Vec::new();
        let mut stmt = conn.prepare(
            "SELECT id, doc, snapshot FROM deployments WHERE api_id = ?1 ORDER BY rowid",
        )?;
        let rows_iter = stmt.query_map(params![id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows_iter {
            let (dep_id, doc, snapshot) = row?;
            let what = format!("restapis/{id}/deployments/{dep_id}");
            deployments.push(StoredDeployment {
                deployment: parse(&what, &doc)?,
                snapshot: parse(&format!("{what} snapshot"), &snapshot)?,
            });
        }
        let mut stages = Vec::new();
        let sql = "SELECT name, doc FROM stages WHERE api_id = ?1 ORDER BY rowid";
        for (name, doc) in rows(conn, sql, params![id])? {
            stages.push(parse(&format!("restapis/{id}/stages/{name}"), &doc)?);
        }
        apis.push(StoredApi {
            definition,
            deployments,
            stages,
        });
    }
    let usage_plans = rows(conn, "SELECT id, doc FROM usage_plans ORDER BY rowid", [])?
        .into_iter()
        .map(|(id, doc)| parse(&format!("usageplans/{id}"), &doc))
        .collect::<Result<_, _>>()?;
    let api_keys = rows(conn, "SELECT id, doc FROM api_keys ORDER BY rowid", [])?
        .into_iter()
        .map(|(id, doc)| parse(&format!("apikeys/{id}"), &doc))
        .collect::<Result<_, _>>()?;
    let usage_plan_keys = rows(
        conn,
        "SELECT usage_plan_id, key_id FROM usage_plan_keys ORDER BY rowid",
        [],
    )?;
    let functions = rows(conn, "SELECT name, doc FROM functions ORDER BY rowid", [])?;
    let domains = rows(
        conn,
        "SELECT name, doc FROM domain_names ORDER BY rowid",
        [],
    )?
    .into_iter()
    .map(|(name, doc)| parse(&format!("domainnames/{name}"), &doc))
    .collect::<Result<_, _>>()?;
    let account = match rows(conn, "SELECT 'account', doc FROM account WHERE id = 1", [])?.pop() {
        Some((what, doc)) => parse(&what, &doc)?,
        None => AccountSettings::default(),
    };
    let vpc_links = rows(conn, "SELECT id, doc FROM vpc_links ORDER BY rowid", [])?
        .into_iter()
        .map(|(id, doc)| parse(&format!("vpclinks/{id}"), &doc))
        .collect::<Result<_, _>>()?;
    let client_certificates = rows(
        conn,
        "SELECT id, doc FROM client_certificates ORDER BY rowid",
        [],
    )?
    .into_iter()
    .map(|(id, doc)| parse(&format!("clientcertificates/{id}"), &doc))
    .collect::<Result<_, _>>()?;
    Ok(StoreState {
        http_apis: super::v2::load_http_apis(conn)?,
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

pub(super) fn rows(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<(String, String)>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(args, |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Writes `changes` and one audit row in a single transaction; returns the row's `seq` once
/// it is durable.
pub(super) fn commit(
    conn: &mut Connection,
    changes: &[Change],
    audit: &AuditRecord,
    hook: Option<&CommitHook>,
) -> Result<i64, StoreError> {
    let detail =
        serde_json::to_string(&audit.detail).map_err(|e| StoreError::corrupt("audit detail", e))?;
    let tx = conn.transaction()?;
    for change in changes {
        change::apply(&tx, change)?;
    }
    tx.execute(
        "INSERT INTO audit (at_millis, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            audit.at_millis,
            audit.actor,
            audit.action,
            audit.target,
            detail
        ],
    )?;
    let seq = tx.last_insert_rowid();
    if let Some(hook) = hook {
        hook();
    }
    tx.commit()?;
    Ok(seq)
}

const ADD_USAGE: &str =
    "INSERT INTO usage (usage_plan_id, key_id, day, used) VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT(usage_plan_id, key_id, day) DO UPDATE SET used = used + excluded.used";

pub(super) fn add_usage_batch(
    conn: &mut Connection,
    rows: &[(String, String, String, i64)],
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    for (plan, key, day, n) in rows {
        tx.execute(ADD_USAGE, params![plan, key, day, n])?;
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn add_usage(
    conn: &Connection,
    plan: &str,
    key: &str,
    day: &str,
    n: i64,
) -> Result<(), StoreError> {
    conn.execute(ADD_USAGE, params![plan, key, day, n])?;
    Ok(())
}

/// The schema version (`PRAGMA user_version`).
pub(super) fn schema_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}
