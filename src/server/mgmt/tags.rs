//! `/tags/{resource_arn}`: GetTags, TagResource (`PUT`, 204), UntagResource (`DELETE
//! ?tagKeys=...`, 204).

use std::collections::BTreeMap;

use http::{Method, StatusCode};

use super::{Call, Reply, empty, ok, unknown};

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct TagBody {
    tags: BTreeMap<String, String>,
}

pub(super) async fn route(call: &Call<'_>, arn: &str) -> Reply {
    let (gw, actor, m) = (call.gw, &call.actor, &call.parts.method);
    match *m {
        Method::GET => ok(
            StatusCode::OK,
            &serde_json::json!({ "tags": gw.get_tags(arn)? }),
        ),
        Method::PUT => {
            let body: TagBody = call.json()?;
            gw.tag_resource(actor, arn, body.tags).await?;
            empty(StatusCode::NO_CONTENT)
        }
        Method::DELETE => {
            let keys = call
                .query_all("tagKeys")
                .into_iter()
                .map(str::to_string)
                .collect();
            gw.untag_resource(actor, arn, keys).await?;
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(unknown(call)),
    }
}
