//! Access logs (ops.md §6) and execution logs (ops.md §5).
//!
//! The request task never formats a line or touches a file: the record phase pushes one small
//! [`RequestLog`] (the access-log variable values the stage's format needs, and the execution
//! lines the phases appended through [`RequestContext::log`]) into a bounded queue, and drops
//! it — counting the drop — when the queue is full. A background thread formats access lines,
//! writes them through a `BufWriter` per file (`{data dir}/logs/access-{apiId}-{stage}.log`;
//! canary requests to `access-{apiId}-{stage}.Canary.log`; rotated by size, see [`rotation`]),
//! appends execution lines to a bounded ring per stage, flushes every tick, and publishes the
//! lines it handled to consoles as one `GatewayEvent::Logs` batch per tick.

pub mod rotation;
mod writer;

mod http_api;

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::live::{LiveStage, Variant};
use super::pipeline::{InvokeResponse, RequestContext, respond};
use rotation::{Rotation, access_log_path};
use writer::Writer;

/// AWS console preset: Common Log Format.
pub const ACCESS_LOG_CLF: &str = "$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] \"$context.httpMethod $context.resourcePath $context.protocol\" $context.status $context.responseLength $context.requestId $context.extendedRequestId";
/// AWS console preset: JSON.
pub const ACCESS_LOG_JSON: &str = "{ \"requestId\":\"$context.requestId\", \"extendedRequestId\":\"$context.extendedRequestId\", \"ip\": \"$context.identity.sourceIp\", \"caller\":\"$context.identity.caller\", \"user\":\"$context.identity.user\", \"requestTime\":\"$context.requestTime\", \"httpMethod\":\"$context.httpMethod\", \"resourcePath\":\"$context.resourcePath\", \"status\":\"$context.status\", \"protocol\":\"$context.protocol\", \"responseLength\":\"$context.responseLength\" }";
/// AWS console preset: XML.
pub const ACCESS_LOG_XML: &str = "<request id=\"$context.requestId\"> <extendedRequestId>$context.extendedRequestId</extendedRequestId> <ip>$context.identity.sourceIp</ip> <caller>$context.identity.caller</caller> <user>$context.identity.user</user> <requestTime>$context.requestTime</requestTime> <httpMethod>$context.httpMethod</httpMethod> <resourcePath>$context.resourcePath</resourcePath> <status>$context.status</status> <protocol>$context.protocol</protocol> <responseLength>$context.responseLength</responseLength> </request>";
/// AWS console preset: CSV.
pub const ACCESS_LOG_CSV: &str = "$context.identity.sourceIp,$context.identity.caller,$context.identity.user,$context.requestTime,$context.httpMethod,$context.resourcePath,$context.protocol,$context.status,$context.responseLength,$context.requestId,$context.extendedRequestId";
/// The presets by the names the AWS console gives them.
pub const ACCESS_LOG_PRESETS: [(&str, &str); 4] = [
    ("CLF", ACCESS_LOG_CLF),
    ("JSON", ACCESS_LOG_JSON),
    ("XML", ACCESS_LOG_XML),
    ("CSV", ACCESS_LOG_CSV),
];

/// Execution-log lines kept per stage (base and canary together).
pub const EXECUTION_LOG_CAPACITY: usize = 10_000;
/// Requests waiting for the log thread; beyond this they are dropped and counted.
pub const LOG_QUEUE_CAPACITY: usize = 16_384;

/// Handled records kept for reuse (see `Logs::spare`).
const SPARE_RECORDS: usize = 4096;
/// The longest execution-log event AWS keeps; longer ones end with [`TRUNCATED`].
pub const MAX_EVENT_BYTES: usize = 1024;
pub const TRUNCATED: &str = " [TRUNCATED]";
/// How often the log thread flushes files and publishes to consoles.
pub const TICK: Duration = Duration::from_millis(250);
/// How often the log thread drains the queue.
pub const DRAIN: Duration = Duration::from_millis(10);

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
    pub fn of(live: &LiveStage, method: Option<(&str, &str)>) -> LogSettings {
        let settings = &live.stage.method_settings;
        if settings.is_empty() {
            return LogSettings::default();
        }
        let exact = method.and_then(|(path, verb)| {
            settings.get_key_value(&crate::model::method_setting_key(path, verb))
        });
        let Some((_, s)) = exact.or_else(|| settings.get_key_value("*/*")) else {
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

/// The execution-log lines one request accumulates (see [`RequestContext::log`]).
#[derive(Debug, Default)]
pub struct ExecutionLog {
    pub settings: LogSettings,
    lines: Vec<PendingLine>,
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
struct PendingLine {
    epoch_millis: i64,
    level: Level,
    message: String,
}

impl<'a> RequestContext<'a> {
    /// Appends an execution-log line (ops.md §5) if the stage's `loggingLevel` for this method
    /// keeps `level`: INFO keeps everything, ERROR keeps only [`Level::Error`] lines, OFF
    /// (the default) keeps nothing. `message` is only called when the line is kept, so logging
    /// costs one comparison when logging is off:
    ///
    /// ```text
    /// ctx.log(Level::Info, || format!("Endpoint request URI: {url}"));
    /// ctx.log(Level::Error, || "Execution failed due to a timeout error".to_string());
    /// ```
    ///
    /// Use AWS's wording (ops.md §5); don't prefix the request id (the line is rendered as
    /// `({requestId}) {message}`), don't truncate (lines over 1024 bytes are cut with
    /// ` [TRUNCATED]` when written). Lines are written in the order they are appended, after
    /// the request finishes, by the log thread — never on the request task.
    pub fn log(&mut self, level: Level, message: impl FnOnce() -> String) {
        if self.log.settings.level.is_some_and(|keep| level <= keep) {
            let epoch_millis = self.request_time_epoch + self.started.elapsed().as_millis() as i64;
            self.log.lines.push(PendingLine {
                epoch_millis,
                level,
                message: message(),
            });
        }
    }

    /// Appends an INFO line only when `dataTraceEnabled` is on (full headers and bodies, ops.md
    /// §5): e.g. `ctx.log_data(|| format!("Endpoint response body before transformations: {}", ..))`.
    pub fn log_data(&mut self, message: impl FnOnce() -> String) {
        if self.log.settings.data_trace {
            self.log(Level::Info, message);
        }
    }

    /// Whether a line at `level` would be kept (to skip preparing expensive arguments).
    pub fn logs(&self, level: Level) -> bool {
        self.log.settings.level.is_some_and(|keep| level <= keep)
    }
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

// ---------------------------------------------------------------------------------------
// Access-log formats
// ---------------------------------------------------------------------------------------

/// A `$context` variable of an access-log format, resolved when the format is parsed: the
/// common ones are captured raw by the record phase and formatted by the log thread; any
/// other is evaluated to text by [`access_value`] on the request task (`Other(i)`: the `i`th
/// such variable of the format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    RequestId,
    ExtendedRequestId,
    RequestTime,
    SourceIp,
    Caller,
    User,
    HttpMethod,
    ResourcePath,
    Protocol,
    Status,
    ResponseLength,
    ResponseLatency,
    Stage,
    ApiId,
    Other(usize),
}

impl Var {
    /// The variable `name` (exactly what [`access_value`] renders for it); `others` counts the
    /// `Other` ones so far.
    fn of(name: &str, others: &mut usize) -> Var {
        match name {
            "requestId" => Var::RequestId,
            "extendedRequestId" => Var::ExtendedRequestId,
            "requestTime" => Var::RequestTime,
            "identity.sourceIp" => Var::SourceIp,
            "identity.caller" => Var::Caller,
            "identity.user" => Var::User,
            "httpMethod" => Var::HttpMethod,
            "resourcePath" => Var::ResourcePath,
            "protocol" => Var::Protocol,
            "status" => Var::Status,
            "responseLength" => Var::ResponseLength,
            "responseLatency" => Var::ResponseLatency,
            "stage" => Var::Stage,
            "apiId" => Var::ApiId,
            _ => {
                *others += 1;
                Var::Other(*others - 1)
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable(String, Var),
}

/// A parsed `accessLogSettings.format`: literal text and `$context.*` variables, each
/// resolved to a [`Var`]. Parsed once per stage when the route map is built ([`StageLog`]).
#[derive(Debug, PartialEq, Eq)]
pub struct AccessFormat {
    source: String,
    parts: Vec<Part>,
    variables: usize,
    /// The names of the `Var::Other` variables, in order.
    others: Vec<String>,
    uses_resource_path: bool,
}

impl AccessFormat {
    /// Plain textual substitution (ops.md §6): `$context.` followed by a dotted name
    /// (letters, digits, `_`, `.`; a trailing `.` is not part of it). Anything else is literal.
    pub fn parse(source: &str) -> AccessFormat {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = source;
        let mut others = Vec::new();
        let mut n_others = 0;
        while let Some(pos) = rest.find("$context.") {
            literal.push_str(&rest[..pos]);
            let after = &rest[pos + "$context.".len()..];
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(after.len());
            let name = after[..len].trim_end_matches('.');
            if name.is_empty() {
                literal.push_str("$context.");
                rest = after;
                continue;
            }
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            let var = Var::of(name, &mut n_others);
            if let Var::Other(_) = var {
                others.push(name.to_string());
            }
            parts.push(Part::Variable(name.to_string(), var));
            rest = &after[name.len()..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        let variables = parts
            .iter()
            .filter(|p| matches!(p, Part::Variable(..)))
            .count();
        let uses_resource_path = parts
            .iter()
            .any(|p| matches!(p, Part::Variable(_, Var::ResourcePath)));
        AccessFormat {
            source: source.to_string(),
            parts,
            variables,
            others,
            uses_resource_path,
        }
    }

    /// The variable names, in order (each evaluated once per request).
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Variable(v, _) => Some(v.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// The line for `values` (one per variable; unset → `-`).
    pub fn render(&self, values: &[Option<String>]) -> String {
        let mut out = String::with_capacity(self.source.len() + 64);
        let mut i = 0;
        for part in &self.parts {
            match part {
                Part::Literal(l) => out.push_str(l),
                Part::Variable(..) => {
                    match values.get(i) {
                        Some(Some(v)) if !v.is_empty() => out.push_str(v),
                        _ => out.push('-'),
                    }
                    i += 1;
                }
            }
        }
        out
    }

    /// Appends the line of one request to `out` (the log thread's renderer; an unset or
    /// empty value renders `-`, as [`AccessFormat::render`] does).
    fn render_into(&self, r: &RequestLog, v: &AccessValues, out: &mut String) {
        for part in &self.parts {
            let var = match part {
                Part::Literal(l) => {
                    out.push_str(l);
                    continue;
                }
                Part::Variable(_, var) => var,
            };
            let before = out.len();
            match var {
                Var::RequestId => out.push_str(&r.request_id),
                Var::ExtendedRequestId => out.push_str(&r.extended_request_id),
                Var::RequestTime => out.push_str(&r.request_time),
                Var::SourceIp => out.push_str(&r.source_ip),
                Var::Caller => out.push_str(v.caller.as_deref().unwrap_or_default()),
                Var::User => out.push_str(v.user.as_deref().unwrap_or_default()),
                Var::HttpMethod => out.push_str(v.method.as_str()),
                Var::ResourcePath => out.push_str(v.resource_path.as_deref().unwrap_or_default()),
                Var::Protocol => out.push_str("HTTP/1.1"),
                Var::Status => push_u64(out, u64::from(v.status)),
                Var::ResponseLength => push_u64(out, v.response_length),
                Var::ResponseLatency => push_u64(out, v.latency_ms),
                Var::Stage => out.push_str(&r.target.stage),
                Var::ApiId => out.push_str(&r.target.api_id),
                Var::Other(i) => {
                    if let Some(Some(value)) = v.others.get(*i) {
                        out.push_str(value);
                    }
                }
            }
            if out.len() == before {
                out.push('-');
            }
        }
    }
}

/// Appends `n` in decimal (what `write!(out, "{n}")` does, without the formatting machinery).
fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

/// What a stage logs under, and its parsed access-log format (built with each route map, so
/// a request neither parses nor looks up the format, nor copies the API id and stage name).
#[derive(Debug)]
pub struct StageLog {
    pub api_id: String,
    pub stage: String,
    pub format: Option<AccessFormat>,
}

impl StageLog {
    pub fn new(api_id: &str, stage: &crate::model::Stage) -> StageLog {
        StageLog {
            api_id: api_id.to_string(),
            stage: stage.stage_name.clone(),
            format: stage
                .access_log_settings
                .as_ref()
                .and_then(|s| s.format.as_deref())
                .filter(|f| !f.is_empty())
                .map(AccessFormat::parse),
        }
    }
}

/// The access-log values of one request the record phase captures for the log thread (the
/// request id, extended request id, request time and source IP travel in the [`RequestLog`]
/// itself): numbers and the method raw, the resource path as the deployment's shared
/// string, the caller and user moved out of the finished request, and the variables
/// without a fast path as text.
#[derive(Debug)]
pub(crate) struct AccessValues {
    status: u16,
    response_length: u64,
    latency_ms: u64,
    method: http::Method,
    resource_path: Option<Arc<str>>,
    caller: Option<String>,
    user: Option<String>,
    /// `Var::Other` values, in order.
    others: Vec<Option<String>>,
}

impl AccessValues {
    fn capture(
        format: &AccessFormat,
        ctx: &mut RequestContext<'_>,
        response: &InvokeResponse,
        latency: Duration,
    ) -> AccessValues {
        let others = format
            .others
            .iter()
            .map(|name| access_value(ctx, response, latency, name))
            .collect();
        AccessValues {
            status: response.status.as_u16(),
            response_length: response.body.len() as u64,
            latency_ms: latency.as_millis() as u64,
            method: ctx.req.method.clone(),
            resource_path: if format.uses_resource_path {
                ctx.method().map(|m| m.resource_path.clone())
            } else {
                None
            },
            // The record phase is the last to read the context: move, don't copy.
            caller: ctx.identity.caller.take(),
            user: ctx.identity.user.take(),
            others,
        }
    }
}

/// `$context.X` as access logs see it: the log-only variables (mapping.md §2), then
/// everything [`respond::context_value`] knows.
pub fn access_value(
    ctx: &RequestContext<'_>,
    response: &InvokeResponse,
    latency: Duration,
    name: &str,
) -> Option<String> {
    let ms = |d: Duration| d.as_millis().to_string();
    match name {
        "status" => Some(response.status.as_u16().to_string()),
        "responseLength" => Some(response.body.len().to_string()),
        "responseLatency" => Some(ms(latency)),
        "integrationLatency" | "integration.latency" => ctx.integration_latency.map(ms),
        "integrationStatus" | "integration.integrationStatus" | "integration.status" => {
            ctx.integration_status.map(|s| s.to_string())
        }
        "integration.error" | "integrationErrorMessage" => ctx
            .error
            .as_ref()
            .filter(|e| e.status() >= 500)
            .and_then(|e| e.message()),
        _ => respond::context_value(ctx, name),
    }
}

// ---------------------------------------------------------------------------------------
// What the request task hands over, and what consoles receive
// ---------------------------------------------------------------------------------------

/// One finished request, as queued for the log thread.
pub(crate) struct RequestLog {
    target: Arc<StageLog>,
    variant: Variant,
    request_id: String,
    /// Only read when the access format uses them (empty otherwise).
    extended_request_id: String,
    request_time: String,
    source_ip: String,
    epoch_millis: i64,
    access: Option<AccessValues>,
    execution: Vec<PendingLine>,
    /// Set while a console is subscribed: the one-line request summary it shows.
    summary: Option<Summary>,
}

impl RequestLog {
    /// What the record phase queues for `ctx` (moving out what only it still needs).
    fn new(
        target: Arc<StageLog>,
        ctx: &mut RequestContext<'_>,
        response: &InvokeResponse,
        latency: Duration,
        subscribed: bool,
    ) -> RequestLog {
        let access = target
            .format
            .as_ref()
            .map(|f| AccessValues::capture(f, ctx, response, latency));
        RequestLog {
            variant: ctx.variant,
            // The record phase is the last to read the context: move, don't copy.
            request_id: std::mem::take(&mut ctx.request_id),
            extended_request_id: std::mem::take(&mut ctx.extended_request_id),
            request_time: std::mem::take(&mut ctx.request_time),
            source_ip: std::mem::take(&mut ctx.identity.source_ip),
            epoch_millis: ctx.request_time_epoch + latency.as_millis() as i64,
            access,
            execution: std::mem::take(&mut ctx.log.lines),
            summary: subscribed.then(|| Summary {
                http_method: ctx.req.method.clone(),
                path: ctx.req.path.clone(),
                status: response.status.as_u16(),
                latency,
                resource_path: ctx.method().map(|m| m.resource_path.clone()),
                error: ctx.error.as_ref().and_then(|e| e.log_reason()),
            }),
            target,
        }
    }

    /// The access-log line (empty when the stage has no format).
    fn render_access(&self, out: &mut String) {
        if let (Some(format), Some(values)) = (&self.target.format, &self.access) {
            format.render_into(self, values, out);
        }
    }
}

/// What a console's request feed shows for each request (formatted by the log thread).
struct Summary {
    http_method: http::Method,
    path: String,
    status: u16,
    latency: Duration,
    resource_path: Option<Arc<str>>,
    error: Option<String>,
}

impl Summary {
    fn line(&self, variant: Variant) -> String {
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

enum Message {
    Request(Box<RequestLog>),
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// Whether a line is an access-log line or an execution-log line of some level.
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

fn log_stage(stage: &str, variant: Variant) -> String {
    match variant {
        Variant::Base => stage.to_string(),
        Variant::Canary => format!("{stage}/Canary"),
    }
}

type Rings = Mutex<HashMap<(String, String), VecDeque<LogLine>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The logging side of one gateway.
pub(crate) struct Logs {
    queue: SyncSender<Message>,
    /// Records the log thread is done with, handed back for reuse: a request refills one
    /// instead of allocating, and what it replaces is freed on a request thread. (Freeing
    /// every record on the log thread made the allocator hand the request threads cache-cold
    /// memory: +1.3 µs of wall time per request in process, with no more instructions.)
    spare: crossbeam_channel::Receiver<Box<RequestLog>>,
    dropped: Arc<AtomicU64>,
    /// Whether anyone listens to the gateway's events (refreshed each second by the roller;
    /// the broadcast's own receiver count takes a lock, so requests read this instead).
    subscribed: Arc<AtomicBool>,
    rings: Arc<Rings>,
    dir: PathBuf,
    rotation: Rotation,
}

impl Logs {
    /// Starts the log thread writing under `{data_dir}/logs`; `publish` receives each batch.
    pub(crate) fn start<F>(data_dir: &Path, rotation: Rotation, publish: F) -> std::io::Result<Logs>
    where
        F: Fn(Arc<[LogLine]>) + Send + 'static,
    {
        let (queue, rx) = std::sync::mpsc::sync_channel(LOG_QUEUE_CAPACITY);
        let (spare_tx, spare) = crossbeam_channel::bounded(SPARE_RECORDS);
        let rings: Arc<Rings> = Arc::default();
        let dir = data_dir.join("logs");
        let subscribed = Arc::new(AtomicBool::new(false));
        let writer = Writer {
            spare: spare_tx,
            dir: dir.clone(),
            files: Vec::new(),
            rotation,
            rings: rings.clone(),
            batch: Vec::new(),
            subscribed: subscribed.clone(),
            line: String::new(),
            now: Instant::now(),
        };
        std::thread::Builder::new()
            .name("gwtui-logs".into())
            .spawn(move || writer.run(rx, publish))?;
        Ok(Logs {
            spare,
            queue,
            dropped: Arc::default(),
            subscribed,
            rings,
            dir,
            rotation,
        })
    }

    /// Where access logs are written and when they rotate.
    pub(crate) fn access_log_settings(&self) -> (PathBuf, Rotation) {
        (self.dir.clone(), self.rotation)
    }

    pub(crate) fn set_subscribed(&self, on: bool) {
        self.subscribed.store(on, Ordering::Relaxed);
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The record phase's part: queue what the stage logs for this request. Never blocks.
    pub(crate) fn submit(
        &self,
        ctx: &mut RequestContext<'_>,
        response: &InvokeResponse,
        latency: Duration,
    ) {
        let Some(target) = ctx.live.as_ref().map(|l| l.log.clone()) else {
            return;
        };
        let subscribed = self.subscribed.load(Ordering::Relaxed);
        if target.format.is_none() && ctx.log.lines.is_empty() && !subscribed {
            return;
        }
        let record = RequestLog::new(target, ctx, response, latency, subscribed);
        let record = match self.spare.try_recv() {
            Ok(mut spare) => {
                // The old contents are dropped here, on a request thread.
                *spare = record;
                spare
            }
            Err(_) => Box::new(record),
        };
        match self.queue.try_send(Message::Request(record)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Waits until everything queued so far is written, flushed and published.
    pub(crate) async fn flush(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut message = Message::Flush(tx);
        loop {
            match self.queue.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Full(m)) => {
                    message = m;
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                Err(TrySendError::Disconnected(_)) => return,
            }
        }
        let _ = rx.await;
    }

    /// The newest `limit` execution-log lines of a stage, oldest first. `stage` may be
    /// `{stage}/Canary` for the canary's lines only.
    pub(crate) fn execution_log(&self, api_id: &str, stage: &str, limit: usize) -> Vec<LogLine> {
        let (base, canary_only) = match stage.strip_suffix("/Canary") {
            Some(b) => (b, true),
            None => (stage, false),
        };
        let rings = lock(&self.rings);
        let Some(ring) = rings.get(&(api_id.to_string(), base.to_string())) else {
            return Vec::new();
        };
        let mut out: Vec<LogLine> = ring
            .iter()
            .rev()
            .filter(|l| !canary_only || l.stage == stage)
            .take(limit)
            .cloned()
            .collect();
        out.reverse();
        out
    }

    /// Where a stage's access log (or its canary's) is written.
    pub(crate) fn access_log_path(&self, api_id: &str, stage: &str, variant: Variant) -> PathBuf {
        access_log_path(&self.dir, api_id, stage, variant)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_substitute_variables_and_dash_for_unset() {
        let f = AccessFormat::parse(
            "$context.requestId [$context.requestTime] \"$context.httpMethod\" $context.stage. $x $context.",
        );
        assert_eq!(
            f.variables().collect::<Vec<_>>(),
            ["requestId", "requestTime", "httpMethod", "stage"]
        );
        let line = f.render(&[
            Some("id".into()),
            None,
            Some("GET".into()),
            Some(String::new()),
        ]);
        assert_eq!(line, "id [-] \"GET\" -. $x $context.");
        let xml = AccessFormat::parse(ACCESS_LOG_XML);
        assert_eq!(xml.variables().count(), 11);
        assert_eq!(AccessFormat::parse(ACCESS_LOG_CSV).variables().count(), 11);
        assert_eq!(
            AccessFormat::parse(ACCESS_LOG_JSON).variables().next(),
            Some("requestId")
        );
    }

    /// The pre-resolved renderer (captured values, formatted on the log thread) writes exactly
    /// what evaluating each variable by name with `access_value` and `render` did, for the
    /// presets and for any other `$context` variable, known or not.
    #[test]
    fn pre_resolved_formats_render_what_evaluating_by_name_renders() {
        use super::super::pipeline::{InvokeRequest, respond};
        let mut headers = http::HeaderMap::new();
        headers.insert("user-agent", http::HeaderValue::from_static("test/1.0"));
        let req = InvokeRequest {
            method: http::Method::POST,
            api_id: "abc123".into(),
            stage: "prod".into(),
            path: "/pets/1".into(),
            query: Some("a=1&b=two".into()),
            headers,
            body: bytes::Bytes::from_static(b"{}"),
            source_ip: std::net::IpAddr::from([10, 1, 2, 3]),
            protocol: "HTTP/1.1",
            context_path: "/prod/pets/1".into(),
            base_path_matched: None,
            client_cert: None,
        };
        let response = InvokeResponse {
            status: http::StatusCode::CREATED,
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::from_static(b"hello world"),
        };
        let latency = Duration::from_millis(1042);
        let custom = "$context.stage|$context.apiId|$context.path|$context.identity.userAgent|\
            $context.no.such.variable|$context.responseLatency|$context.integrationLatency|\
            $context.identity.caller|$context.identity.user|$context.httpMethod|\
            $context.resourcePath|$context.protocol|$context.status.|$context.requestTimeEpoch|\
            $context.domainName|$context.accountId|$context.deploymentId|$context.";
        let formats = [
            ACCESS_LOG_CLF,
            ACCESS_LOG_JSON,
            ACCESS_LOG_XML,
            ACCESS_LOG_CSV,
            custom,
        ];
        for identity in [false, true] {
            for source in formats {
                let mut ctx = respond::new_context(&req);
                if identity {
                    ctx.identity.caller = Some("AIDAEXAMPLE:caller".into());
                    ctx.identity.user = Some(String::new());
                }
                let format = AccessFormat::parse(source);
                let by_name: Vec<Option<String>> = format
                    .variables()
                    .map(|name| access_value(&ctx, &response, latency, name))
                    .collect();
                let expected = format.render(&by_name);
                let target = Arc::new(StageLog {
                    api_id: "abc123".into(),
                    stage: "prod".into(),
                    format: Some(format),
                });
                let record = RequestLog::new(target, &mut ctx, &response, latency, false);
                let mut line = String::from("left over");
                line.clear();
                record.render_access(&mut line);
                assert_eq!(line, expected, "{source}");
                assert!(!line.contains("$context.requestId"), "{line}");
            }
        }
        let mut n = String::new();
        for v in [0, 7, 10, 99, 1042, u64::MAX] {
            n.clear();
            push_u64(&mut n, v);
            assert_eq!(n, v.to_string());
        }
    }

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
