//! The SQLite schema, versioned with `PRAGMA user_version`: migration `i` takes the schema
//! from version `i` to `i + 1`. Append new migrations; never edit a released one.

use rusqlite::Connection;

use super::StoreError;

const V1: &str = r#"
CREATE TABLE rest_apis (
    id   TEXT PRIMARY KEY,
    doc  TEXT NOT NULL
) STRICT;

CREATE TABLE deployments (
    api_id   TEXT NOT NULL REFERENCES rest_apis(id) ON DELETE CASCADE,
    id       TEXT NOT NULL,
    doc      TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (api_id, id)
) STRICT;

CREATE TRIGGER deployments_are_immutable BEFORE UPDATE ON deployments
BEGIN
    SELECT RAISE(ABORT, 'deployments are immutable');
END;

CREATE TABLE stages (
    api_id TEXT NOT NULL REFERENCES rest_apis(id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    doc    TEXT NOT NULL,
    PRIMARY KEY (api_id, name)
) STRICT;

CREATE TABLE usage_plans (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL
) STRICT;

CREATE TABLE usage_plan_keys (
    usage_plan_id TEXT NOT NULL REFERENCES usage_plans(id) ON DELETE CASCADE,
    key_id        TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    PRIMARY KEY (usage_plan_id, key_id)
) STRICT;
CREATE INDEX usage_plan_keys_by_key ON usage_plan_keys(key_id);

CREATE TABLE usage (
    usage_plan_id TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    day           TEXT NOT NULL,
    used          INTEGER NOT NULL,
    PRIMARY KEY (usage_plan_id, key_id, day)
) STRICT;

CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    at_millis INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    detail    TEXT NOT NULL
) STRICT;

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
"#;

/// Registered functions (`POST /gwtui/functions`), so they come back after a restart like
/// everything else the management API creates. `doc` is the function's JSON configuration.
const V2: &str = r#"
CREATE TABLE functions (
    name TEXT PRIMARY KEY,
    doc  TEXT NOT NULL
) STRICT;
"#;

/// UpdateDeployment may change a deployment's record (its description); what the deployment
/// froze (`snapshot`) and its identity stay immutable.
const V3: &str = r#"
DROP TRIGGER deployments_are_immutable;

CREATE TRIGGER deployment_snapshots_are_immutable
BEFORE UPDATE OF api_id, id, snapshot ON deployments
BEGIN
    SELECT RAISE(ABORT, 'deployment snapshots are immutable');
END;
"#;

/// Custom domain names, each with its base path mappings in its document (a mapping change
/// rewrites its domain's row).
const V4: &str = r#"
CREATE TABLE domain_names (
    name TEXT PRIMARY KEY,
    doc  TEXT NOT NULL
) STRICT;
"#;

/// The account's settings (UpdateAccount): one row, id 1.
const V5: &str = r#"
CREATE TABLE account (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    doc TEXT NOT NULL
) STRICT;
"#;

/// HTTP APIs (API Gateway v2): the API document (routes, integrations, authorizers),
/// deployments with the definition each froze (immutable), and stages.
const V6: &str = r#"
CREATE TABLE http_apis (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL
) STRICT;

CREATE TABLE http_api_deployments (
    api_id   TEXT NOT NULL REFERENCES http_apis(id) ON DELETE CASCADE,
    id       TEXT NOT NULL,
    doc      TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (api_id, id)
) STRICT;

CREATE TRIGGER http_api_snapshots_are_immutable
BEFORE UPDATE OF api_id, id, snapshot ON http_api_deployments
BEGIN
    SELECT RAISE(ABORT, 'deployment snapshots are immutable');
END;

CREATE TABLE http_api_stages (
    api_id TEXT NOT NULL REFERENCES http_apis(id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    doc    TEXT NOT NULL,
    PRIMARY KEY (api_id, name)
) STRICT;
"#;

/// VPC links (one document each), and UpdateUsage's quota extensions: per (plan, key) and
/// quota period, how many requests are given back (`granted`), so `remaining` survives a
/// restart.
const V7: &str = r#"
CREATE TABLE vpc_links (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL
) STRICT;
CREATE TABLE usage_grants (
    usage_plan_id TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    period_start  TEXT NOT NULL,
    granted       INTEGER NOT NULL,
    PRIMARY KEY (usage_plan_id, key_id, period_start)
) STRICT;
"#;

/// Client certificates (GenerateClientCertificate): `doc` holds the certificate and its key.
const V8: &str = r#"
CREATE TABLE client_certificates (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL
) STRICT;
"#;

pub const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8];

/// Brings the database to the newest schema, each migration in its own transaction.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let newest = MIGRATIONS.len() as i64;
    if current > newest {
        return Err(StoreError::corrupt(
            "schema",
            format!(
                "version {current} was written by a newer gwtui (this one knows up to {newest})"
            ),
        ));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
