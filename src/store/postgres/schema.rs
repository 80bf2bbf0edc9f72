//! The PostgreSQL schema: one translation of each SQLite migration in `store::schema`, with the
//! same version numbers, recorded in `schema_version` (one row per applied version). Documents
//! stay JSON text, as in SQLite; `ord` (a sequence) keeps creation order where SQLite uses
//! `rowid`. Immutable snapshots and the append-only audit log are enforced by triggers, as in
//! SQLite. `cluster_nodes` (heartbeats) and `change_scopes` (what each audited commit touched,
//! for the nodes' incremental reload: `postgres::delta`) are cluster bookkeeping, not versioned
//! definition tables: they are created if missing, so the version numbers stay SQLite's.

use postgres::Client;

use crate::store::StoreError;

/// Raises the trigger's first argument: the triggers below share it.
const V1: &str = r#"
CREATE FUNCTION gwtui_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TABLE rest_apis (
    id   TEXT PRIMARY KEY,
    doc  TEXT NOT NULL,
    ord  BIGSERIAL
);

CREATE TABLE deployments (
    api_id   TEXT NOT NULL REFERENCES rest_apis(id) ON DELETE CASCADE,
    id       TEXT NOT NULL,
    doc      TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    ord      BIGSERIAL,
    PRIMARY KEY (api_id, id)
);

CREATE TRIGGER deployments_are_immutable BEFORE UPDATE ON deployments
FOR EACH ROW EXECUTE FUNCTION gwtui_refuse('deployments are immutable');

CREATE TABLE stages (
    api_id TEXT NOT NULL REFERENCES rest_apis(id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    doc    TEXT NOT NULL,
    ord    BIGSERIAL,
    PRIMARY KEY (api_id, name)
);

CREATE TABLE usage_plans (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    ord BIGSERIAL
);

CREATE TABLE api_keys (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    ord BIGSERIAL
);

CREATE TABLE usage_plan_keys (
    usage_plan_id TEXT NOT NULL REFERENCES usage_plans(id) ON DELETE CASCADE,
    key_id        TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    ord           BIGSERIAL,
    PRIMARY KEY (usage_plan_id, key_id)
);
CREATE INDEX usage_plan_keys_by_key ON usage_plan_keys(key_id);

CREATE TABLE usage (
    usage_plan_id TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    day           TEXT NOT NULL,
    used          BIGINT NOT NULL,
    PRIMARY KEY (usage_plan_id, key_id, day)
);

CREATE TABLE audit (
    seq       BIGSERIAL PRIMARY KEY,
    at_millis BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    detail    TEXT NOT NULL
);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
FOR EACH ROW EXECUTE FUNCTION gwtui_refuse('the audit log is append-only');

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
FOR EACH ROW EXECUTE FUNCTION gwtui_refuse('the audit log is append-only');

CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
FOR EACH STATEMENT EXECUTE FUNCTION gwtui_refuse('the audit log is append-only');
"#;

const V2: &str = r#"
CREATE TABLE functions (
    name TEXT PRIMARY KEY,
    doc  TEXT NOT NULL,
    ord  BIGSERIAL
);
"#;

const V3: &str = r#"
DROP TRIGGER deployments_are_immutable ON deployments;

CREATE TRIGGER deployment_snapshots_are_immutable
BEFORE UPDATE OF api_id, id, snapshot ON deployments
FOR EACH ROW EXECUTE FUNCTION gwtui_refuse('deployment snapshots are immutable');
"#;

const V4: &str = r#"
CREATE TABLE domain_names (
    name TEXT PRIMARY KEY,
    doc  TEXT NOT NULL,
    ord  BIGSERIAL
);
"#;

const V5: &str = r#"
CREATE TABLE account (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    doc TEXT NOT NULL
);
"#;

const V6: &str = r#"
CREATE TABLE http_apis (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    ord BIGSERIAL
);

CREATE TABLE http_api_deployments (
    api_id   TEXT NOT NULL REFERENCES http_apis(id) ON DELETE CASCADE,
    id       TEXT NOT NULL,
    doc      TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    ord      BIGSERIAL,
    PRIMARY KEY (api_id, id)
);

CREATE TRIGGER http_api_snapshots_are_immutable
BEFORE UPDATE OF api_id, id, snapshot ON http_api_deployments
FOR EACH ROW EXECUTE FUNCTION gwtui_refuse('deployment snapshots are immutable');

CREATE TABLE http_api_stages (
    api_id TEXT NOT NULL REFERENCES http_apis(id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    doc    TEXT NOT NULL,
    ord    BIGSERIAL,
    PRIMARY KEY (api_id, name)
);
"#;

const V7: &str = r#"
CREATE TABLE vpc_links (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    ord BIGSERIAL
);
CREATE TABLE usage_grants (
    usage_plan_id TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    period_start  TEXT NOT NULL,
    granted       BIGINT NOT NULL,
    PRIMARY KEY (usage_plan_id, key_id, period_start)
);
"#;

const V8: &str = r#"
CREATE TABLE client_certificates (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    ord BIGSERIAL
);
"#;

pub const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8];

/// The advisory lock migrations take, so nodes starting together migrate one at a time.
const MIGRATE_LOCK: i64 = 0x0067_7774_756d;

const BOOKKEEPING: &str = r#"
CREATE TABLE IF NOT EXISTS schema_version (
    version    BIGINT PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS cluster_nodes (
    node_id    TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    version    TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    seen_ms    BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS change_scopes (
    seq   BIGINT NOT NULL,
    scope TEXT NOT NULL,
    PRIMARY KEY (seq, scope)
);
"#;

/// Brings the database to the newest schema in one transaction (PostgreSQL's DDL is
/// transactional): all of it or none.
pub fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let pg = |e: postgres::Error| StoreError::Postgres(super::describe(&e));
    let mut tx = client.transaction().map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
        .map_err(pg)?;
    tx.batch_execute(BOOKKEEPING).map_err(pg)?;
    let current: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_version",
            &[],
        )
        .map_err(pg)?
        .try_get(0)
        .map_err(pg)?;
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
        tx.batch_execute(sql).map_err(pg)?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&(index as i64 + 1)],
        )
        .map_err(pg)?;
    }
    tx.commit().map_err(pg)
}
