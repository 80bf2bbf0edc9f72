//! Execution logs (ops.md §5): the levels, a method's logging settings, the lines one
//! request accumulates, and how AWS prints maps, headers and over-long events.

use std::fmt::Write as _;

use serde::Serialize;

/// The longest execution-log event AWS keeps; longer ones end with [`TRUNCATED`].
pub const MAX_EVENT_BYTES: usize = 1024;
pub const TRUNCATED: &str = " [TRUNCATED]";

/// The level of one execution-log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Level {
    #[serde(rename = "ERROR")]
    Error,
    #[serde(rename = "INFO")]
    Info,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Info => "INFO",
        }
    }
}

/// A stage method's `loggingLevel` and `dataTraceEnabled`, resolved for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogSettings {
    /// The most verbose level kept; `None` is OFF.
    pub level: Option<Level>,
    /// Full request and response data (headers, bodies) at INFO.
    pub data_trace: bool,
}

impl LogSettings {
    /// The settings for `resource_path`/`verb` (`None`: the stage-wide `*/*` entry) of a stage.
    pub fn of(stage: &crate::model::Stage, method: Option<(&str, &str)>) -> LogSettings {
        let settings = &stage.method_settings;
        if settings.is_empty() {
            return LogSettings::default();
        }
        // The `{path}/{VERB}` key is built in a per-thread buffer (no allocation per request).
        thread_local! {
            static KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        let exact = method.and_then(|(path, verb)| {
            KEY.with_borrow_mut(|key| {
                key.clear();
                crate::model::write_method_setting_key(key, path, verb);
                settings.get(key.as_str())
            })
        });
        let Some(s) = exact.or_else(|| settings.get("*/*")) else {
            return LogSettings::default();
        };
        let level = match s.logging_level.as_deref() {
            Some("INFO") => Some(Level::Info),
            Some("ERROR") => Some(Level::Error),
            _ => None,
        };
        LogSettings {
            level,
            data_trace: level == Some(Level::Info) && s.data_trace_enabled,
        }
    }
}

/// The execution-log lines one request accumulates (see `RequestContext::log`).
#[derive(Debug, Default)]
pub struct ExecutionLog {
    pub settings: LogSettings,
    pub(crate) lines: Vec<PendingLine>,
}

impl ExecutionLog {
    /// The lines as TestInvokeMethod returns them (ops.md §5): `Execution log for request
    /// {requestId}`, then `{EEE MMM dd HH:mm:ss UTC yyyy} : {message}` per line, each message
    /// cut to [`MAX_EVENT_BYTES`] like a CloudWatch event.
    pub fn test_invoke_text(&self, request_id: &str) -> String {
        let format = time::macros::format_description!(
            "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] UTC [year]"
        );
        let mut out = format!("Execution log for request {request_id}\n");
        for line in &self.lines {
            let at = time::OffsetDateTime::from_unix_timestamp_nanos(
                i128::from(line.epoch_millis) * 1_000_000,
            )
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            let stamp = at.format(format).unwrap_or_default();
            let message = truncate_event(line.message.clone(), MAX_EVENT_BYTES);
            let _ = writeln!(out, "{stamp} : {message}");
        }
        out
    }
}

#[derive(Debug)]
pub(crate) struct PendingLine {
    pub(crate) epoch_millis: i64,
    pub(crate) level: Level,
    pub(crate) message: String,
}

/// Renders a map like Java's `Map.toString()`: `{a=1, b=2}`.
pub fn java_map<'k, I, K, V>(pairs: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str> + 'k,
    V: AsRef<str>,
{
    let mut out = String::from("{");
    for (i, (k, v)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(k.as_ref());
        out.push('=');
        out.push_str(v.as_ref());
    }
    out.push('}');
    out
}

/// Headers as execution logs print them, with secrets masked (all but the last 4 characters
/// of `Authorization` and `x-api-key`).
pub fn headers_for_log(headers: &http::HeaderMap) -> String {
    java_map(headers.iter().map(|(name, value)| {
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let secret = name == http::header::AUTHORIZATION
            || matches!(name.as_str(), "x-api-key" | "x-amz-security-token");
        (name.as_str().to_string(), if secret { mask(&v) } else { v })
    }))
}

/// The method response's headers as AWS's execution log prints them: the headers API Gateway
/// itself sets spelled as AWS spells them (`Content-Type`; AWS-recorded: localstack
/// test_invoke_test_method, `Method response headers: {Content-Type=application/json}`),
/// others as they are.
pub fn method_response_headers_for_log(headers: &http::HeaderMap) -> String {
    java_map(headers.iter().map(|(name, value)| {
        let name = match name.as_str() {
            "content-type" => "Content-Type",
            "x-amzn-errortype" => "x-amzn-ErrorType",
            other => other,
        };
        (name, String::from_utf8_lossy(value.as_bytes()).into_owned())
    }))
}

pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let keep = if chars.len() > 8 { 4 } else { 0 };
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("****{tail}")
}

/// Cuts `line` to at most `limit` bytes, ending with [`TRUNCATED`] when cut.
pub fn truncate_event(mut line: String, limit: usize) -> String {
    if line.len() <= limit {
        return line;
    }
    let mut cut = limit.saturating_sub(TRUNCATED.len());
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    line.truncate(cut);
    line.push_str(TRUNCATED);
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_cut_at_1024_bytes_on_a_char_boundary() {
        let long = "é".repeat(1000);
        let cut = truncate_event(long, 1000);
        assert!(cut.len() <= 1000);
        assert!(cut.ends_with(TRUNCATED));
        assert_eq!(truncate_event("short".into(), 1000), "short");
        assert_eq!(mask("abcdefghijkl"), "****ijkl");
        assert_eq!(mask("abc"), "****");
        assert_eq!(java_map([("a", "1"), ("b", "2")]), "{a=1, b=2}");
    }
}
