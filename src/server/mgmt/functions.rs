//! gwtui's function registry over HTTP: `POST /gwtui/functions` (register or replace; the body
//! is the function's configuration plus its `name`), `GET /gwtui/functions` (list with worker
//! counters), `GET`/`DELETE /gwtui/functions/{name}`.
//!
//! A local function (`runtime`, `code` or `command`) runs a program of the caller's choosing
//! on this machine, so registering or replacing one over HTTP needs a request SigV4-verified
//! with the configured admin credentials; without them it is refused with 403 (functions
//! from the config file are unaffected). Remote functions (`endpoint`) and alias tables only
//! make gwtui call a URL or another function, as any HTTP integration does.

use http::{Method, StatusCode};

use super::{Call, Reply, access_denied, empty, ok, unknown};
use crate::engine::FunctionConfig;
use crate::model::AdminError;

fn describe(call: &Call<'_>, name: &str, config: &FunctionConfig) -> serde_json::Value {
    let mut v = serde_json::json!({ "name": name, "function": config });
    if let Some(stats) = call.gw.function_stats(name) {
        v["workers"] = serde_json::json!({
            "live": stats.workers, "idle": stats.idle, "pending": stats.pending,
            "invocations": stats.invocations, "coldStarts": stats.cold_starts,
            "timeouts": stats.timeouts, "crashes": stats.crashes,
            "throttles": stats.throttles, "initFailures": stats.init_failures,
            "queueLimit": stats.queue_limit, "pids": stats.pids,
        });
    }
    v
}

/// The fields that make a function local: a program of the caller's choosing on this machine.
const LOCAL_FIELDS: [&str; 3] = ["runtime", "code", "command"];

pub(super) async fn route(call: &Call<'_>, rest: &[&str]) -> Reply {
    let m = &call.parts.method;
    match rest {
        [] if m == Method::POST => {
            // The body is the configuration plus `name`; the configuration itself refuses
            // unknown keys (serde's `flatten` would swallow them).
            let mut raw: serde_json::Map<String, serde_json::Value> = call.json()?;
            let name = match raw.remove("name") {
                Some(serde_json::Value::String(n)) => n,
                _ => return Err(AdminError::bad_request("name (a string) is required")),
            };
            if !call.verified && LOCAL_FIELDS.iter().any(|f| raw.contains_key(*f)) {
                return Ok(access_denied(&format!(
                    "Registering a local function ({}) over HTTP starts a program on this machine \
                     and needs a request SigV4-signed with admin credentials: start gwtui with \
                     --admin-credentials KEY:SECRET (or set [server] admin_credentials) and sign \
                     with them, or declare the function in the config file ([functions.{name}])",
                    LOCAL_FIELDS.join(", ")
                )));
            }
            let config: FunctionConfig = serde_json::from_value(serde_json::Value::Object(raw))
                .map_err(|e| super::body_error(&e))?;
            call.gw
                .register_function(&call.actor, &name, config.clone())
                .await?;
            ok(StatusCode::CREATED, &describe(call, &name, &config))
        }
        [] if m == Method::GET => {
            let items: Vec<serde_json::Value> = call
                .gw
                .list_functions()
                .iter()
                .map(|(n, c)| describe(call, n, c))
                .collect();
            call.page(items)
        }
        [name] if m == Method::GET => {
            let list = call.gw.list_functions();
            let (n, c) = list
                .iter()
                .find(|(n, _)| n == name)
                .ok_or_else(|| AdminError::not_found(format!("Function not found: {name}")))?;
            ok(StatusCode::OK, &describe(call, n, c))
        }
        [name] if m == Method::DELETE => {
            call.gw.delete_function(&call.actor, name).await?;
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(unknown(call)),
    }
}
