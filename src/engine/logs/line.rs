//! One log line as consoles receive it and `Gateway::execution_log` returns it.

use serde::Serialize;

use super::execution::Level;
use crate::engine::types::Variant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LogKind {
    #[serde(rename = "ACCESS")]
    Access,
    /// gwtui's own one-line summary of each request, streamed only while a console is
    /// subscribed (never written to a file): `GET /pets 200 base 0.4 ms (/pets)`.
    #[serde(rename = "REQUEST")]
    Request,
    #[serde(untagged)]
    Execution(Level),
}

impl LogKind {
    /// `ACCESS`, `INFO` or `ERROR` (the console's `LogLine::level`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Access => "ACCESS",
            LogKind::Request => "REQUEST",
            LogKind::Execution(l) => l.as_str(),
        }
    }
}

/// One log line as consoles receive it (`GatewayEvent::Logs`) and
/// [`super::Gateway::execution_log`] returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogLine {
    pub epoch_millis: i64,
    pub kind: LogKind,
    pub rest_api_id: String,
    /// The stage, or `{stage}/Canary` for canary requests (AWS's log group suffix).
    pub stage: String,
    pub request_id: String,
    /// The access line, or the execution message without the `({requestId}) ` prefix.
    pub message: String,
}

impl std::fmt::Display for LogLine {
    /// The CloudWatch shape: `({requestId}) {message}` for execution lines, the line itself for
    /// access lines.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            LogKind::Access | LogKind::Request => f.write_str(&self.message),
            LogKind::Execution(_) => write!(f, "({}) {}", self.request_id, self.message),
        }
    }
}

pub(super) fn log_stage(stage: &str, variant: Variant) -> String {
    match variant {
        Variant::Base => stage.to_string(),
        Variant::Canary => format!("{stage}/Canary"),
    }
}
