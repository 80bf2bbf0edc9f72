//! How each [`Change`] becomes SQL on PostgreSQL: the same effects as SQLite's
//! (`store::change`, `store::v2`), including which failures are a `Conflict`.

use postgres::Client;
use postgres::types::ToSql;
use serde::Serialize;

use crate::store::{Change, StoreError, V2Change};

#[derive(Debug, Clone)]
enum Param {
    Text(String),
    Int(i64),
}

/// One statement and how its outcome is judged.
#[derive(Debug)]
struct Step {
    sql: &'static str,
    params: Vec<Param>,
    /// Touching no row is a `Conflict`: "{this} does not exist".
    must_touch: Option<String>,
    /// A constraint violation is a `Conflict` with this message.
    conflict: Option<String>,
}

/// The statements of one change, run in the commit's transaction.
#[derive(Debug)]
pub(super) struct Sql(Vec<Step>);

fn step(sql: &'static str, params: Vec<Param>) -> Step {
    Step {
        sql,
        params,
        must_touch: None,
        conflict: None,
    }
}

fn t(s: &str) -> Param {
    Param::Text(s.to_string())
}

fn json<T: Serialize>(what: &str, value: &T) -> Result<Param, StoreError> {
    serde_json::to_string(value)
        .map(Param::Text)
        .map_err(|e| StoreError::corrupt(what, e))
}

impl Step {
    fn must_touch(mut self, what: String) -> Step {
        self.must_touch = Some(what);
        self
    }

    fn conflict(mut self, message: String) -> Step {
        self.conflict = Some(message);
        self
    }
}

impl Sql {
    /// Runs the statements; the outer error is the client's, the inner a `Conflict`.
    pub(super) fn run(
        &self,
        client: &mut Client,
    ) -> Result<Result<(), StoreError>, postgres::Error> {
        for step in &self.0 {
            let params: Vec<&(dyn ToSql + Sync)> = step
                .params
                .iter()
                .map(|p| match p {
                    Param::Text(s) => s as &(dyn ToSql + Sync),
                    Param::Int(i) => i as &(dyn ToSql + Sync),
                })
                .collect();
            let rows = match client.execute(step.sql, &params) {
                Ok(rows) => rows,
                Err(e) => {
                    let constraint = e.code().is_some_and(|c| c.code().starts_with("23"));
                    return match (&step.conflict, constraint) {
                        (Some(message), true) => {
                            Ok(Err(StoreError::Conflict(format!("{message}: {e}"))))
                        }
                        _ => Err(e),
                    };
                }
            };
            if rows == 0
                && let Some(what) = &step.must_touch
            {
                return Ok(Err(StoreError::Conflict(format!("{what} does not exist"))));
            }
        }
        Ok(Ok(()))
    }
}

const UPSERT_API: &str = "INSERT INTO rest_apis (id, doc) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET doc = excluded.doc";

pub(super) fn statements(change: &Change) -> Result<Sql, StoreError> {
    let steps = match change {
        Change::PutApi(api) => vec![step(UPSERT_API, vec![t(api.id()), json("rest api", api)?])],
        Change::DeleteApi(id) => vec![
            step("DELETE FROM rest_apis WHERE id = $1", vec![t(id)])
                .must_touch(format!("restapis/{id}")),
        ],
        Change::PutDeployment {
            api_id,
            deployment,
            snapshot,
        } => vec![
            step(
                "INSERT INTO deployments (api_id, id, doc, snapshot) VALUES ($1, $2, $3, $4)",
                vec![
                    t(api_id),
                    t(&deployment.id),
                    json("deployment", deployment)?,
                    json("deployment snapshot", snapshot)?,
                ],
            )
            .conflict(format!(
                "cannot create restapis/{api_id}/deployments/{} (it exists, or the API does not)",
                deployment.id
            )),
        ],
        Change::DeleteDeployment {
            api_id,
            deployment_id,
        } => vec![
            step(
                "DELETE FROM deployments WHERE api_id = $1 AND id = $2",
                vec![t(api_id), t(deployment_id)],
            )
            .must_touch(format!("restapis/{api_id}/deployments/{deployment_id}")),
        ],
        Change::UpdateDeployment { api_id, deployment } => vec![
            step(
                "UPDATE deployments SET doc = $3 WHERE api_id = $1 AND id = $2",
                vec![
                    t(api_id),
                    t(&deployment.id),
                    json("deployment", deployment)?,
                ],
            )
            .must_touch(format!("restapis/{api_id}/deployments/{}", deployment.id)),
        ],
        Change::PutAccount(settings) => vec![step(
            "INSERT INTO account (id, doc) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
            vec![json("account", settings)?],
        )],
        Change::PutVpcLink(link) => vec![step(
            "INSERT INTO vpc_links (id, doc) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
            vec![t(&link.id), json("vpc link", link)?],
        )],
        Change::DeleteVpcLink(id) => vec![
            step("DELETE FROM vpc_links WHERE id = $1", vec![t(id)])
                .must_touch(format!("vpclinks/{id}")),
        ],
        Change::PutUsageGrant {
            usage_plan_id,
            key_id,
            period_start,
            granted,
        } => vec![step(
            "INSERT INTO usage_grants (usage_plan_id, key_id, period_start, granted)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (usage_plan_id, key_id, period_start)
             DO UPDATE SET granted = excluded.granted",
            vec![
                t(usage_plan_id),
                t(key_id),
                t(period_start),
                Param::Int(*granted),
            ],
        )],
        Change::PutDomain(d) => vec![step(
            "INSERT INTO domain_names (name, doc) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET doc = excluded.doc",
            vec![t(&d.domain.domain_name), json("domain name", d)?],
        )],
        Change::DeleteDomain(name) => vec![
            step("DELETE FROM domain_names WHERE name = $1", vec![t(name)])
                .must_touch(format!("domainnames/{name}")),
        ],
        Change::PutClientCertificate(c) => vec![step(
            "INSERT INTO client_certificates (id, doc) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
            vec![
                t(&c.certificate.client_certificate_id),
                json("client certificate", c)?,
            ],
        )],
        Change::DeleteClientCertificate(id) => vec![
            step("DELETE FROM client_certificates WHERE id = $1", vec![t(id)])
                .must_touch(format!("clientcertificates/{id}")),
        ],
        Change::PutStage { api_id, stage } => vec![
            step(
                "INSERT INTO stages (api_id, name, doc) VALUES ($1, $2, $3)
                 ON CONFLICT (api_id, name) DO UPDATE SET doc = excluded.doc",
                vec![t(api_id), t(&stage.stage_name), json("stage", stage)?],
            )
            .conflict(format!(
                "cannot store a stage of restapis/{api_id} (no such API)"
            )),
        ],
        Change::DeleteStage { api_id, stage_name } => vec![
            step(
                "DELETE FROM stages WHERE api_id = $1 AND name = $2",
                vec![t(api_id), t(stage_name)],
            )
            .must_touch(format!("restapis/{api_id}/stages/{stage_name}")),
        ],
        Change::PutUsagePlan(plan) => vec![step(
            "INSERT INTO usage_plans (id, doc) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
            vec![t(&plan.id), json("usage plan", plan)?],
        )],
        Change::DeleteUsagePlan(id) => vec![
            step("DELETE FROM usage_plans WHERE id = $1", vec![t(id)])
                .must_touch(format!("usageplans/{id}")),
            step("DELETE FROM usage WHERE usage_plan_id = $1", vec![t(id)]),
            step(
                "DELETE FROM usage_grants WHERE usage_plan_id = $1",
                vec![t(id)],
            ),
        ],
        Change::PutApiKey(key) => vec![step(
            "INSERT INTO api_keys (id, doc) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
            vec![t(&key.id), json("api key", key)?],
        )],
        Change::DeleteApiKey(id) => vec![
            step("DELETE FROM api_keys WHERE id = $1", vec![t(id)])
                .must_touch(format!("apikeys/{id}")),
        ],
        Change::PutUsagePlanKey {
            usage_plan_id,
            key_id,
        } => vec![
            step(
                "INSERT INTO usage_plan_keys (usage_plan_id, key_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
                vec![t(usage_plan_id), t(key_id)],
            )
            .conflict(format!(
                "cannot link usageplans/{usage_plan_id} and apikeys/{key_id} (one does not exist)"
            )),
        ],
        Change::DeleteUsagePlanKey {
            usage_plan_id,
            key_id,
        } => vec![
            step(
                "DELETE FROM usage_plan_keys WHERE usage_plan_id = $1 AND key_id = $2",
                vec![t(usage_plan_id), t(key_id)],
            )
            .must_touch(format!("usageplans/{usage_plan_id}/keys/{key_id}")),
        ],
        Change::PutFunction { name, doc } => vec![step(
            "INSERT INTO functions (name, doc) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET doc = excluded.doc",
            vec![t(name), t(doc)],
        )],
        Change::DeleteFunction(name) => {
            vec![step("DELETE FROM functions WHERE name = $1", vec![t(name)])]
        }
        Change::V2(change) => v2(change)?,
    };
    Ok(Sql(steps))
}

fn v2(change: &V2Change) -> Result<Vec<Step>, StoreError> {
    Ok(match change {
        V2Change::PutApi(def) => vec![step(
            "INSERT INTO http_apis (id, doc) VALUES ($1, $2)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc",
            vec![t(&def.api.api_id), json("http api", def)?],
        )],
        V2Change::DeleteApi(id) => vec![
            step("DELETE FROM http_apis WHERE id = $1", vec![t(id)])
                .must_touch(format!("v2/apis/{id}")),
        ],
        V2Change::PutDeployment {
            api_id,
            deployment,
            snapshot,
        } => vec![
            step(
                "INSERT INTO http_api_deployments (api_id, id, doc, snapshot) VALUES ($1, $2, $3, $4)",
                vec![
                    t(api_id),
                    t(&deployment.deployment_id),
                    json("deployment", deployment)?,
                    json("deployment snapshot", snapshot)?,
                ],
            )
            .conflict(format!(
                "cannot create v2/apis/{api_id}/deployments/{}",
                deployment.deployment_id
            )),
        ],
        V2Change::UpdateDeployment { api_id, deployment } => vec![
            step(
                "UPDATE http_api_deployments SET doc = $3 WHERE api_id = $1 AND id = $2",
                vec![
                    t(api_id),
                    t(&deployment.deployment_id),
                    json("deployment", deployment)?,
                ],
            )
            .must_touch(format!(
                "v2/apis/{api_id}/deployments/{}",
                deployment.deployment_id
            )),
        ],
        V2Change::DeleteDeployment {
            api_id,
            deployment_id,
        } => vec![
            step(
                "DELETE FROM http_api_deployments WHERE api_id = $1 AND id = $2",
                vec![t(api_id), t(deployment_id)],
            )
            .must_touch(format!("v2/apis/{api_id}/deployments/{deployment_id}")),
        ],
        V2Change::PutStage { api_id, stage } => vec![step(
            "INSERT INTO http_api_stages (api_id, name, doc) VALUES ($1, $2, $3)
             ON CONFLICT (api_id, name) DO UPDATE SET doc = excluded.doc",
            vec![t(api_id), t(&stage.stage_name), json("stage", stage)?],
        )],
        V2Change::DeleteStage { api_id, stage_name } => vec![
            step(
                "DELETE FROM http_api_stages WHERE api_id = $1 AND name = $2",
                vec![t(api_id), t(stage_name)],
            )
            .must_touch(format!("v2/apis/{api_id}/stages/{stage_name}")),
        ],
    })
}
