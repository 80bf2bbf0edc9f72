//! Incremental catch-up (docs/CLUSTER.md, "Change propagation"): every commit records, next to
//! its audit row, the scopes its changes touched in `change_scopes` — `rest:<api id>`,
//! `http:<api id>`, or `account` for everything that is not per API (usage plans, API keys and
//! their links, usage grants, functions, domain names, account settings, VPC links, client
//! certificates). A node that has applied up to `seq` P reads the scopes of the audit rows
//! after P and reloads only those APIs (a deleted one comes back absent) and, when `account`
//! is among them, the account-level tables whole (they are small). It is the store, not the
//! notice, that says what changed, so a lost or merged notice loses nothing.
//!
//! The delta is refused (`None`: the node reloads everything, as at boot) when the position is
//! not one (negative), ahead of the store (a restored database), more than [`MAX_BEHIND`]
//! commits behind, or when some audit row in the range has no scope rows (written by an older
//! gwtui). A node's position is the audit head it loaded at boot (0 for an empty store), then
//! what it applied.

use std::collections::BTreeSet;

use postgres::Client;

use super::load;
use crate::store::{Change, StoreError, StoreState, StoredApi, StoredHttpApi, V2Change};

/// The most commits a node catches up on incrementally; further behind, it reloads everything.
pub const MAX_BEHIND: i64 = 1_000;

/// The scope every account-level change records.
const ACCOUNT: &str = "account";

/// What changed in the store after a node's position, read in one snapshot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Delta {
    /// The newest audit sequence number the delta includes.
    pub head: i64,
    /// REST APIs named by the changes: the stored API, or `None` when it was deleted.
    pub apis: Vec<(String, Option<StoredApi>)>,
    /// HTTP (and WebSocket) APIs named by the changes, likewise.
    pub http_apis: Vec<(String, Option<StoredHttpApi>)>,
    /// The account-level tables (APIs left empty), when a change touched one of them.
    pub account: Option<StoreState>,
}

impl Delta {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.apis.is_empty() && self.http_apis.is_empty() && self.account.is_none()
    }
}

/// The scope one change touches.
fn scope(change: &Change) -> String {
    match change {
        Change::PutApi(api) => format!("rest:{}", api.id()),
        Change::DeleteApi(id) => format!("rest:{id}"),
        Change::PutDeployment { api_id, .. }
        | Change::DeleteDeployment { api_id, .. }
        | Change::UpdateDeployment { api_id, .. }
        | Change::PutStage { api_id, .. }
        | Change::DeleteStage { api_id, .. } => format!("rest:{api_id}"),
        Change::V2(v2) => match v2 {
            V2Change::PutApi(def) => format!("http:{}", def.api.api_id),
            V2Change::DeleteApi(id) => format!("http:{id}"),
            V2Change::PutDeployment { api_id, .. }
            | V2Change::UpdateDeployment { api_id, .. }
            | V2Change::DeleteDeployment { api_id, .. }
            | V2Change::PutStage { api_id, .. }
            | V2Change::DeleteStage { api_id, .. } => format!("http:{api_id}"),
        },
        Change::PutAccount(_)
        | Change::PutVpcLink(_)
        | Change::DeleteVpcLink(_)
        | Change::PutUsageGrant { .. }
        | Change::PutDomain(_)
        | Change::DeleteDomain(_)
        | Change::PutClientCertificate(_)
        | Change::DeleteClientCertificate(_)
        | Change::PutUsagePlan(_)
        | Change::DeleteUsagePlan(_)
        | Change::PutApiKey(_)
        | Change::DeleteApiKey(_)
        | Change::PutUsagePlanKey { .. }
        | Change::DeleteUsagePlanKey { .. }
        | Change::PutFunction { .. }
        | Change::DeleteFunction(_) => ACCOUNT.to_string(),
    }
}

/// The scopes of a commit's changes, each once; a commit with no change (audit only) records
/// `account`, so every audit row has at least one scope row.
pub(super) fn scopes(changes: &[Change]) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = changes.iter().map(scope).collect();
    if out.is_empty() {
        out.insert(ACCOUNT.to_string());
    }
    out
}

/// Records the scopes of the commit with audit `seq` (inside its transaction).
pub(super) fn record(
    c: &mut Client,
    seq: i64,
    scopes: &BTreeSet<String>,
) -> Result<(), postgres::Error> {
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    c.execute(
        "INSERT INTO change_scopes (seq, scope) SELECT $1, unnest($2::TEXT[])
         ON CONFLICT DO NOTHING",
        &[&seq, &scopes],
    )?;
    Ok(())
}

/// Whether a node at `since` can catch up incrementally to `head`: its position is valid (a
/// node's position is the head it loaded at boot, 0 for an empty store, then what it applied),
/// not ahead of the store (a restored database), and at most [`MAX_BEHIND`] commits old.
fn position_usable(since: i64, head: i64) -> bool {
    since >= 0 && since <= head && head - since <= MAX_BEHIND
}

/// Whether every one of the `audited` rows in the range has scope rows (`scoped` distinct
/// sequence numbers among them); an older gwtui writes none.
fn fully_scoped(audited: i64, scoped: usize) -> bool {
    i64::try_from(scoped).is_ok_and(|n| n == audited)
}

/// What changed after `since` (see the module's doc for when it is `None`). Run it in one
/// snapshot (a repeatable-read transaction, or the write transaction holding the writers'
/// lock).
pub(super) fn since(c: &mut Client, since: i64) -> load::Rows<Result<Option<Delta>, StoreError>> {
    let head: i64 = c
        .query_one("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM audit", &[])?
        .try_get(0)?;
    if !position_usable(since, head) {
        return Ok(Ok(None));
    }
    let audited: i64 = c
        .query_one(
            "SELECT COUNT(*)::BIGINT FROM audit WHERE seq > $1 AND seq <= $2",
            &[&since, &head],
        )?
        .try_get(0)?;
    let rows = c.query(
        "SELECT seq, scope FROM change_scopes WHERE seq > $1 AND seq <= $2",
        &[&since, &head],
    )?;
    let mut scoped = BTreeSet::new();
    let mut rest = BTreeSet::new();
    let mut http = BTreeSet::new();
    let mut account = false;
    for r in &rows {
        let seq: i64 = r.try_get(0)?;
        let scope: String = r.try_get(1)?;
        scoped.insert(seq);
        match scope.split_once(':') {
            Some(("rest", id)) => {
                rest.insert(id.to_string());
            }
            Some(("http", id)) => {
                http.insert(id.to_string());
            }
            _ if scope == ACCOUNT => account = true,
            // A scope this version does not know: reload everything.
            _ => return Ok(Ok(None)),
        }
    }
    if !fully_scoped(audited, scoped.len()) {
        return Ok(Ok(None));
    }
    let rest: Vec<String> = rest.into_iter().collect();
    let http: Vec<String> = http.into_iter().collect();
    let rest_found = if rest.is_empty() {
        Ok(Vec::new())
    } else {
        load::rest_apis(c, Some(&rest))?
    };
    let http_found = if http.is_empty() {
        Ok(Vec::new())
    } else {
        load::http_apis(c, Some(&http))?
    };
    let account_state = if account {
        Some(load::account_level(c)?)
    } else {
        None
    };
    Ok((|| {
        let mut found = rest_found?;
        // In creation order (new APIs append in that order), then the deleted ones.
        let mut apis: Vec<(String, Option<StoredApi>)> = found
            .drain(..)
            .map(|a| (a.definition.rest_api.id.clone(), Some(a)))
            .collect();
        for id in rest {
            if !apis.iter().any(|(i, _)| *i == id) {
                apis.push((id, None));
            }
        }
        let mut http_apis: Vec<(String, Option<StoredHttpApi>)> = http_found?
            .into_iter()
            .map(|a| (a.definition.api.api_id.clone(), Some(a)))
            .collect();
        for id in http {
            if !http_apis.iter().any(|(i, _)| *i == id) {
                http_apis.push((id, None));
            }
        }
        Ok(Some(Delta {
            head,
            apis,
            http_apis,
            account: account_state.transpose()?,
        }))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_ahead_or_too_old_position_or_an_unscoped_commit_means_a_full_reload() {
        assert!(!position_usable(-1, 5), "not a position");
        assert!(position_usable(0, 5), "loaded an empty store at boot");
        assert!(
            !position_usable(7, 5),
            "ahead of the store (restored database)"
        );
        assert!(!position_usable(1, 2 + MAX_BEHIND), "too far behind");
        assert!(position_usable(2, 2 + MAX_BEHIND));
        assert!(position_usable(5, 5), "up to date: an empty delta");
        assert!(fully_scoped(3, 3));
        assert!(!fully_scoped(3, 2), "a commit without scope rows");
        assert!(fully_scoped(0, 0));
    }

    #[test]
    fn changes_name_their_api_or_the_account() {
        let got = scopes(&[
            Change::DeleteApi("a1".into()),
            Change::DeleteStage {
                api_id: "a1".into(),
                stage_name: "prod".into(),
            },
            Change::V2(V2Change::DeleteApi("h1".into())),
            Change::DeleteUsagePlan("p1".into()),
            Change::DeleteApiKey("k1".into()),
        ]);
        let want: Vec<&str> = vec!["account", "http:h1", "rest:a1"];
        assert_eq!(got.iter().map(String::as_str).collect::<Vec<_>>(), want);
        assert_eq!(
            scopes(&[]).into_iter().collect::<Vec<_>>(),
            vec!["account".to_string()]
        );
    }
}
