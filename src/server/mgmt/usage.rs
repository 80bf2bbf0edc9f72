//! `/usageplans[/{id}[/keys[/{keyId}]]]` and `/apikeys[/{id}]`: usage plans, API keys and usage
//! plan keys (account-wide). Key values are shown only on creation and with
//! `includeValue(s)=true`, as on AWS.

use http::{Method, StatusCode};

use super::{Call, Reply, empty, ok, shapes, unknown};
use crate::engine::{CreateApiKey, CreateUsagePlan, CreateUsagePlanKey};
use crate::model::{AdminError, ApiKey};

fn without_value(mut key: ApiKey, include: bool) -> serde_json::Value {
    if !include {
        key.value = None;
    }
    shapes::api_key(&key)
}

pub(super) async fn route(call: &Call<'_>, segs: &[&str]) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    match segs {
        ["usageplans"] if m == Method::POST => {
            let input: CreateUsagePlan = call.json()?;
            ok(
                StatusCode::CREATED,
                &shapes::usage_plan(&gw.create_usage_plan(actor, input).await?, false),
            )
        }
        ["usageplans"] if m == Method::GET => call.page(
            gw.list_usage_plans(call.query("keyId"))
                .iter()
                .map(|p| shapes::usage_plan(p, false))
                .collect(),
        ),
        ["usageplans", id] if m == Method::GET => ok(
            StatusCode::OK,
            &shapes::usage_plan(&gw.get_usage_plan(id)?, true),
        ),
        ["usageplans", id] if m == Method::PATCH => ok(
            StatusCode::OK,
            &shapes::usage_plan(
                &gw.update_usage_plan(actor, id, call.patch_ops()?).await?,
                true,
            ),
        ),
        ["usageplans", id] if m == Method::DELETE => {
            gw.delete_usage_plan(actor, id).await?;
            empty(StatusCode::ACCEPTED)
        }
        ["usageplans", id, "usage"] if m == Method::GET => {
            let start = call.query("startDate").unwrap_or_default();
            let end = call.query("endDate").unwrap_or_default();
            ok(
                StatusCode::OK,
                &gw.get_usage(id, call.query("keyId"), start, end).await?,
            )
        }
        ["usageplans", id, "keys"] if m == Method::POST => {
            let input: CreateUsagePlanKey = call.json()?;
            ok(
                StatusCode::CREATED,
                &gw.create_usage_plan_key(actor, id, input).await?,
            )
        }
        ["usageplans", id, "keys"] if m == Method::GET => {
            // An unknown plan has no keys: AWS answers an empty list, not 404 (AWS-recorded,
            // localstack `test_get_usage_plan_api_keys`, `get-up-keys-bad-usage-plan`).
            let keys = match gw.list_usage_plan_keys(id) {
                Err(AdminError::NotFound(_)) => Vec::new(),
                other => other?,
            };
            let keys: Vec<_> = match call.query("name") {
                Some(prefix) => keys
                    .into_iter()
                    .filter(|k| k.name.as_deref().is_some_and(|n| n.starts_with(prefix)))
                    .collect(),
                None => keys,
            };
            call.page(keys)
        }
        ["usageplans", id, "keys", key, "usage"] if m == Method::PATCH => ok(
            StatusCode::OK,
            &gw.update_usage(actor, id, key, call.patch_ops()?).await?,
        ),
        ["usageplans", id, "keys", key] if m == Method::GET => {
            ok(StatusCode::OK, &gw.get_usage_plan_key(id, key)?)
        }
        ["usageplans", id, "keys", key] if m == Method::DELETE => {
            gw.delete_usage_plan_key(actor, id, key).await?;
            empty(StatusCode::ACCEPTED)
        }
        ["apikeys"] if m == Method::POST && call.query("mode") == Some("import") => {
            let file = std::str::from_utf8(call.body).map_err(|_| {
                crate::model::AdminError::bad_request("Invalid API key file: the file is not UTF-8")
            })?;
            ok(
                StatusCode::CREATED,
                &gw.import_api_keys(
                    actor,
                    call.query("format"),
                    file,
                    call.query_flag("failonwarnings"),
                )
                .await?,
            )
        }
        ["apikeys"] if m == Method::POST => {
            let input: CreateApiKey = call.json()?;
            ok(
                StatusCode::CREATED,
                &shapes::api_key(&gw.create_api_key(actor, input).await?),
            )
        }
        ["apikeys"] if m == Method::GET => {
            let include = call.query_flag("includeValues");
            let name = call.query("name");
            let customer = call.query("customerId");
            let keys: Vec<serde_json::Value> = gw
                .list_api_keys()
                .into_iter()
                .filter(|k| name.is_none_or(|n| k.name.starts_with(n)))
                .filter(|k| customer.is_none_or(|c| k.customer_id.as_deref() == Some(c)))
                .map(|k| without_value(k, include))
                .collect();
            call.page(keys)
        }
        ["apikeys", id] if m == Method::GET => ok(
            StatusCode::OK,
            &without_value(gw.get_api_key(id)?, call.query_flag("includeValue")),
        ),
        ["apikeys", id] if m == Method::PATCH => ok(
            StatusCode::OK,
            // With `tags: {}` (AWS-recorded, `test_negative_get_usage_plan_api_keys`).
            &shapes::with_tags(without_value(
                gw.update_api_key(actor, id, call.patch_ops()?).await?,
                false,
            )),
        ),
        ["apikeys", id] if m == Method::DELETE => {
            gw.delete_api_key(actor, id).await?;
            empty(StatusCode::ACCEPTED)
        }
        _ => Err(unknown(call)),
    }
}
