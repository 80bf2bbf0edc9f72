//! `/v2/...`: the apigatewayv2 control plane for HTTP APIs (paths, verbs, status codes and
//! JSON keys from botocore's `apigatewayv2/2018-11-29/service-2.json`). Lists answer
//! `{"items": [...], "nextToken": "..."}` (`maxResults` default 25, at most 500; the token is
//! opaque, as botocore's model types it: a string, `position.rs`'s encoding). Update operations take the changed fields in the body (PATCH).

mod apis;
mod children;
mod domains;
mod websocket;

use http::{Method, StatusCode};
use serde::Serialize;

use super::{Call, Reply, empty, ok, unknown, with_body};
use crate::model::AdminError;

pub(super) async fn route(call: &Call<'_>, segs: &[&str]) -> Reply {
    match segs {
        ["apis", ..] => apis::route(call, &segs[1..]).await,
        ["domainnames", rest @ ..] => domains::route(call, rest).await,
        ["tags", arn @ ..] if !arn.is_empty() => tags(call, &arn.join("/")).await,
        _ => Err(unknown(call)),
    }
}

const DEFAULT_PAGE: usize = 25;
const MAX_PAGE: usize = 500;

/// One page in the v2 list shape.
pub(super) fn page<T: Serialize>(call: &Call<'_>, list: Vec<T>) -> Reply {
    // botocore's apigatewayv2 model types `maxResults` as a string; a value that is not a
    // positive integer is refused (AWS's wording unverified), one above 500 is 500, as for v1.
    let limit = match call.query("maxResults") {
        None => DEFAULT_PAGE,
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .map(|n| n.min(MAX_PAGE))
            .ok_or_else(|| {
                AdminError::bad_request(format!(
                    "Invalid maxResults specified: '{v}'. Must be a positive integer"
                ))
            })?,
    };
    let start = match call.query("nextToken") {
        None | Some("") => 0,
        Some(t) => super::position::decode(t)
            .filter(|n| *n <= list.len())
            .ok_or_else(|| {
                AdminError::bad_request(format!("Invalid nextToken specified: '{t}'"))
            })?,
    };
    let total = list.len();
    let end = (start + limit).min(total);
    let items: Vec<T> = list.into_iter().skip(start).take(limit).collect();
    let mut out = serde_json::json!({ "items": items });
    if end < total {
        out["nextToken"] = serde_json::Value::String(super::position::encode(end));
    }
    ok(StatusCode::OK, &out)
}

/// The body of a Create/Update call as JSON (an empty body is `{}`).
pub(super) fn body_value(call: &Call<'_>) -> Result<serde_json::Value, AdminError> {
    call.json::<serde_json::Value>()
}

async fn tags(call: &Call<'_>, arn: &str) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    match *m {
        Method::GET => ok(
            StatusCode::OK,
            &serde_json::json!({ "tags": gw.get_http_tags(arn)? }),
        ),
        Method::POST => {
            #[derive(serde::Deserialize, Default)]
            #[serde(default)]
            struct Body {
                tags: std::collections::BTreeMap<String, String>,
            }
            let body: Body = call.json()?;
            gw.tag_http_resource(actor, arn, body.tags, Vec::new())
                .await?;
            empty(StatusCode::CREATED)
        }
        Method::DELETE => {
            let keys: Vec<String> = call
                .query_all("tagKeys")
                .iter()
                .map(|s| s.to_string())
                .collect();
            if keys.is_empty() {
                return Err(AdminError::bad_request("tagKeys is required"));
            }
            gw.tag_http_resource(actor, arn, Default::default(), keys)
                .await?;
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(unknown(call)),
    }
}

/// A text answer (ExportApi).
pub(super) fn text(body: String, content_type: &str) -> Reply {
    Ok(with_body(
        StatusCode::OK,
        bytes::Bytes::from(body),
        content_type,
    ))
}
