//! `/restapis/{id}/deployments[/{deployment_id}]`: CreateDeployment (with `stageName`,
//! `variables`, `canarySettings`), GetDeployments, GetDeployment (`embed=apisummary`),
//! UpdateDeployment (`/description` only), DeleteDeployment (refused while a stage uses it).

use http::{Method, StatusCode};

use super::{Call, Reply, empty, ok, unknown};
use crate::engine::CreateDeployment;
use crate::model::Deployment;

/// AWS includes `apiSummary` only when asked with `embed=apisummary`.
fn shaped(mut d: Deployment, embed: bool) -> Deployment {
    if !embed {
        d.api_summary.clear();
    }
    d
}

pub(super) async fn route(call: &Call<'_>, api_id: &str, rest: &[&str]) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    let embed = call
        .query_all("embed")
        .iter()
        .any(|e| e.eq_ignore_ascii_case("apisummary"));
    match rest {
        [] if m == Method::POST => {
            let input: CreateDeployment = call.json()?;
            // No `apiSummary` in the answer (AWS-recorded, localstack
            // `test_stage_access_log_settings`: `create-deployment` is `id` and `createdDate`).
            ok(
                StatusCode::CREATED,
                &shaped(gw.create_deployment(actor, api_id, input).await?, false),
            )
        }
        [] if m == Method::GET => call.page(
            gw.list_deployments(api_id)?
                .into_iter()
                .map(|d| shaped(d, false))
                .collect::<Vec<_>>(),
        ),
        [dep] if m == Method::GET => ok(
            StatusCode::OK,
            &shaped(gw.get_deployment(api_id, dep)?, embed),
        ),
        [dep] if m == Method::PATCH => ok(
            StatusCode::OK,
            &shaped(
                gw.update_deployment(actor, api_id, dep, call.patch_ops()?)
                    .await?,
                false,
            ),
        ),
        [dep] if m == Method::DELETE => {
            gw.delete_deployment(actor, api_id, dep).await?;
            empty(StatusCode::ACCEPTED)
        }
        _ => Err(unknown(call)),
    }
}
