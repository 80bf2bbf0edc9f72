//! `PUT /gwtui/restapis/{id}/resources/{rid}/cors`: gwtui's "Enable CORS" (the AWS console's
//! action, which has no control-plane API of its own). The body is a JSON `CorsOptions`
//! (`allowOrigin`, `allowHeaders`, `allowMethods`, `exposeHeaders`, `maxAge`,
//! `allowCredentials`; all optional); the answer is the updated resource.

use http::StatusCode;

use super::{Call, Reply, ok};
use crate::engine::CorsOptions;

pub(super) async fn enable(call: &Call<'_>, api_id: &str, resource_id: &str) -> Reply {
    let options: CorsOptions = call.json()?;
    ok(
        StatusCode::OK,
        &call
            .gw
            .enable_cors(&call.actor, api_id, resource_id, options)
            .await?,
    )
}
