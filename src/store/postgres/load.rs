//! Reading the definitions back (boot, reload) and the audit and usage reads, in the same
//! shapes and orders as SQLite's (`ord` stands for SQLite's `rowid`).

use std::collections::HashMap;

use postgres::Client;

use crate::model::AccountSettings;
use crate::store::{
    AuditRecord, StoreError, StoreState, StoredApi, StoredDeployment, StoredHttpApi, parse,
};

pub(super) type Rows<T> = Result<T, postgres::Error>;

fn pairs(c: &mut Client, sql: &str) -> Rows<Vec<(String, String)>> {
    c.query(sql, &[])?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// `(id, doc)` rows of `table` whose id is in `ids` (all when `None`), in creation order.
fn api_rows(c: &mut Client, table: &str, ids: Option<&[String]>) -> Rows<Vec<(String, String)>> {
    let sql = format!(
        "SELECT id, doc FROM {table} WHERE ($1::TEXT[] IS NULL OR id = ANY($1)) ORDER BY ord"
    );
    let ids = ids.map(<[String]>::to_vec);
    c.query(sql.as_str(), &[&ids])?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// `(id, doc, snapshot)` rows of one API's deployments.
type DeploymentRows = Vec<(String, String, String)>;

/// `(api_id, id, doc, snapshot)` rows grouped by API, in creation order.
fn deployments(
    c: &mut Client,
    table: &str,
    ids: Option<&[String]>,
) -> Rows<HashMap<String, DeploymentRows>> {
    let sql = format!(
        "SELECT api_id, id, doc, snapshot FROM {table}
         WHERE ($1::TEXT[] IS NULL OR api_id = ANY($1)) ORDER BY ord"
    );
    let ids = ids.map(<[String]>::to_vec);
    let mut out: HashMap<String, Vec<_>> = HashMap::new();
    for r in c.query(sql.as_str(), &[&ids])? {
        out.entry(r.try_get(0)?)
            .or_default()
            .push((r.try_get(1)?, r.try_get(2)?, r.try_get(3)?));
    }
    Ok(out)
}

/// `(api_id, name, doc)` rows grouped by API, in creation order.
fn stages(
    c: &mut Client,
    table: &str,
    ids: Option<&[String]>,
) -> Rows<HashMap<String, Vec<(String, String)>>> {
    let sql = format!(
        "SELECT api_id, name, doc FROM {table}
         WHERE ($1::TEXT[] IS NULL OR api_id = ANY($1)) ORDER BY ord"
    );
    let ids = ids.map(<[String]>::to_vec);
    let mut out: HashMap<String, Vec<_>> = HashMap::new();
    for r in c.query(sql.as_str(), &[&ids])? {
        out.entry(r.try_get(0)?)
            .or_default()
            .push((r.try_get(1)?, r.try_get(2)?));
    }
    Ok(out)
}

fn docs<T: serde::de::DeserializeOwned>(
    rows: Vec<(String, String)>,
    prefix: &str,
) -> Result<Vec<T>, StoreError> {
    rows.into_iter()
        .map(|(id, doc)| parse(&format!("{prefix}/{id}"), &doc))
        .collect()
}

/// Everything for boot; the outer error is the client's, the inner a row that no longer reads.
pub(super) fn load(c: &mut Client) -> Rows<Result<StoreState, StoreError>> {
    let apis = rest_apis(c, None)?;
    let http_apis = http_apis(c, None)?;
    let account = account_level(c)?;
    Ok((|| {
        Ok(StoreState {
            apis: apis?,
            http_apis: http_apis?,
            ..account?
        })
    })())
}

/// The REST APIs whose id is in `ids` (all when `None`) with their deployments and stages.
pub(super) fn rest_apis(
    c: &mut Client,
    ids: Option<&[String]>,
) -> Rows<Result<Vec<StoredApi>, StoreError>> {
    let apis = api_rows(c, "rest_apis", ids)?;
    let mut deps = deployments(c, "deployments", ids)?;
    let mut stgs = stages(c, "stages", ids)?;
    Ok((|| {
        let mut out_apis = Vec::new();
        for (id, doc) in apis {
            let mut deployments = Vec::new();
            for (dep_id, doc, snapshot) in deps.remove(&id).unwrap_or_default() {
                let what = format!("restapis/{id}/deployments/{dep_id}");
                deployments.push(StoredDeployment {
                    deployment: parse(&what, &doc)?,
                    snapshot: parse(&format!("{what} snapshot"), &snapshot)?,
                });
            }
            let stages = docs(
                stgs.remove(&id).unwrap_or_default(),
                &format!("restapis/{id}/stages"),
            )?;
            out_apis.push(StoredApi {
                definition: parse(&format!("restapis/{id}"), &doc)?,
                deployments,
                stages,
            });
        }
        Ok(out_apis)
    })())
}

/// The HTTP APIs whose id is in `ids` (all when `None`) with their deployments and stages.
pub(super) fn http_apis(
    c: &mut Client,
    ids: Option<&[String]>,
) -> Rows<Result<Vec<StoredHttpApi>, StoreError>> {
    let http = api_rows(c, "http_apis", ids)?;
    let mut http_deps = deployments(c, "http_api_deployments", ids)?;
    let mut http_stgs = stages(c, "http_api_stages", ids)?;
    Ok((|| {
        let mut http_apis = Vec::new();
        for (id, doc) in http {
            let mut deployments = Vec::new();
            for (dep, doc, snapshot) in http_deps.remove(&id).unwrap_or_default() {
                let what = format!("v2/apis/{id}/deployments/{dep}");
                deployments.push((
                    parse(&what, &doc)?,
                    parse(&format!("{what} snapshot"), &snapshot)?,
                ));
            }
            let stages = docs(
                http_stgs.remove(&id).unwrap_or_default(),
                &format!("v2/apis/{id}/stages"),
            )?;
            http_apis.push(StoredHttpApi {
                definition: parse(&format!("v2/apis/{id}"), &doc)?,
                deployments,
                stages,
            });
        }
        Ok(http_apis)
    })())
}

/// The account-level tables, whole (they are small): usage plans, keys and their links,
/// functions, domain names, account settings, VPC links and client certificates. The APIs
/// are left empty.
pub(super) fn account_level(c: &mut Client) -> Rows<Result<StoreState, StoreError>> {
    let usage_plans = pairs(c, "SELECT id, doc FROM usage_plans ORDER BY ord")?;
    let api_keys = pairs(c, "SELECT id, doc FROM api_keys ORDER BY ord")?;
    let usage_plan_keys = pairs(
        c,
        "SELECT usage_plan_id, key_id FROM usage_plan_keys ORDER BY ord",
    )?;
    let functions = pairs(c, "SELECT name, doc FROM functions ORDER BY ord")?;
    let domains = pairs(c, "SELECT name, doc FROM domain_names ORDER BY ord")?;
    let account = pairs(c, "SELECT 'account', doc FROM account WHERE id = 1")?;
    let vpc_links = pairs(c, "SELECT id, doc FROM vpc_links ORDER BY ord")?;
    let certificates = pairs(c, "SELECT id, doc FROM client_certificates ORDER BY ord")?;
    Ok((|| {
        let account = match account.into_iter().next() {
            Some((what, doc)) => parse(&what, &doc)?,
            None => AccountSettings::default(),
        };
        Ok(StoreState {
            apis: Vec::new(),
            usage_plans: docs(usage_plans, "usageplans")?,
            api_keys: docs(api_keys, "apikeys")?,
            usage_plan_keys,
            functions,
            domains: docs(domains, "domainnames")?,
            account,
            http_apis: Vec::new(),
            vpc_links: docs(vpc_links, "vpclinks")?,
            client_certificates: docs(certificates, "clientcertificates")?,
        })
    })())
}

pub(super) fn audit(
    c: &mut Client,
    limit: usize,
    before_seq: Option<i64>,
) -> Rows<Result<Vec<AuditRecord>, StoreError>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = c.query(
        "SELECT seq, at_millis, actor, action, target, detail FROM audit
         WHERE seq < $1 ORDER BY seq DESC LIMIT $2",
        &[&before_seq.unwrap_or(i64::MAX), &limit],
    )?;
    let mut out = Vec::new();
    for r in &rows {
        let seq: i64 = r.try_get(0)?;
        let detail: String = r.try_get(5)?;
        let detail = match parse(&format!("audit record {seq}"), &detail) {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        out.push(AuditRecord {
            seq,
            at_millis: r.try_get(1)?,
            actor: r.try_get(2)?,
            action: r.try_get(3)?,
            target: r.try_get(4)?,
            detail,
        });
    }
    Ok(Ok(out))
}

pub(super) fn usage_grants(
    c: &mut Client,
    plan: &str,
    key: Option<&str>,
) -> Rows<Vec<(String, String, i64)>> {
    c.query(
        "SELECT key_id, period_start, granted FROM usage_grants
         WHERE usage_plan_id = $1 AND ($2::TEXT IS NULL OR key_id = $2::TEXT) ORDER BY period_start",
        &[&plan, &key],
    )?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
    .collect()
}

pub(super) fn usage(
    c: &mut Client,
    plan: &str,
    key: Option<&str>,
    start_day: &str,
    end_day: &str,
) -> Rows<Vec<(String, String, i64)>> {
    c.query(
        r#"SELECT key_id, day, used FROM usage
         WHERE usage_plan_id = $1 AND ($2::TEXT IS NULL OR key_id = $2::TEXT)
           AND day BETWEEN $3 AND $4
         ORDER BY key_id COLLATE "C", day"#,
        &[&plan, &key, &start_day, &end_day],
    )?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
    .collect()
}
