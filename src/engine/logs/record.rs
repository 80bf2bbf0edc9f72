//! What the request task hands the log thread for one finished request, and the one-line
//! summary consoles see. The pipelines build these (REST: `pipeline/record.rs`, HTTP APIs:
//! `http_api/record.rs`); this module only holds and renders them.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use super::access_format::{AccessValues, StageLog};
use super::execution::PendingLine;
use crate::engine::types::Variant;

/// One finished request, as queued for the log thread.
pub(crate) struct RequestLog {
    pub(crate) target: Arc<StageLog>,
    pub(crate) variant: Variant,
    pub(crate) request_id: String,
    /// Only read when the access format uses them (empty otherwise).
    pub(crate) extended_request_id: String,
    pub(crate) request_time: String,
    pub(crate) source_ip: String,
    pub(crate) epoch_millis: i64,
    pub(crate) access: Option<AccessValues>,
    pub(crate) execution: Vec<PendingLine>,
    /// Set while a console is subscribed: the one-line request summary it shows.
    pub(crate) summary: Option<Summary>,
}

impl RequestLog {
    /// A record with nothing in it yet (for `Logs::submit_with` to fill).
    pub(crate) fn empty(target: Arc<StageLog>) -> RequestLog {
        RequestLog {
            target,
            variant: Variant::Base,
            request_id: String::new(),
            extended_request_id: String::new(),
            request_time: String::new(),
            source_ip: String::new(),
            epoch_millis: 0,
            access: None,
            execution: Vec::new(),
            summary: None,
        }
    }

    /// The access-log line (empty when the stage has no format).
    pub(crate) fn render_access(&self, out: &mut String) {
        if let (Some(format), Some(values)) = (&self.target.format, &self.access) {
            format.render_into(self, values, out);
        }
    }
}

/// What a console's request feed shows for each request (formatted by the log thread).
pub(crate) struct Summary {
    pub(crate) http_method: http::Method,
    pub(crate) path: String,
    pub(crate) status: u16,
    pub(crate) latency: Duration,
    pub(crate) resource_path: Option<Arc<str>>,
    pub(crate) error: Option<String>,
}

impl Summary {
    pub(crate) fn line(&self, variant: Variant) -> String {
        let mut line = format!(
            "{} {} {} {} {:.1} ms",
            self.http_method,
            self.path,
            self.status,
            variant.as_str(),
            self.latency.as_secs_f64() * 1000.0
        );
        if let Some(p) = &self.resource_path {
            let _ = write!(line, " ({p})");
        }
        if let Some(e) = &self.error {
            let _ = write!(line, " — {e}");
        }
        line
    }
}
