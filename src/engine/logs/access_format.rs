//! Access-log formats (ops.md §6): the presets, a parsed `accessLogSettings.format`, a stage's
//! log target, and the values of one request the record phase captures for the log thread.

use std::sync::Arc;

use super::record::RequestLog;

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

/// A `$context` variable of an access-log format, resolved when the format is parsed: the
/// common ones are captured raw by the record phase and formatted by the log thread; any
/// other is evaluated to text by `pipeline::record::access_value` on the request task (`Other(i)`: the `i`th
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
    /// The variable `name` (exactly what `pipeline::record::access_value` renders for it); `others` counts the
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

/// What `$context.protocol` renders (merged into the literal text when a format is parsed).
const PROTOCOL: &str = "HTTP/1.1";

/// The parts of `source` and the names of its `Var::Other` variables, in order; with
/// `merge_constants`, `$context.protocol` is written into the literal text around it.
fn parse_parts(source: &str, merge_constants: bool) -> (Vec<Part>, Vec<String>) {
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
        rest = &after[name.len()..];
        let var = Var::of(name, &mut n_others);
        if merge_constants && var == Var::Protocol {
            // One copy with its neighbours instead of three.
            literal.push_str(PROTOCOL);
            continue;
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(std::mem::take(&mut literal)));
        }
        if let Var::Other(_) = var {
            others.push(name.to_string());
        }
        parts.push(Part::Variable(name.to_string(), var));
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    (parts, others)
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
        let (parts, others) = parse_parts(source, true);
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

    /// The names of the variables the request task evaluates, in order.
    pub(crate) fn other_names(&self) -> impl Iterator<Item = &str> {
        self.others.iter().map(String::as_str)
    }

    /// Whether the format prints `$context.resourcePath` (captured only then).
    pub(crate) fn uses_resource_path(&self) -> bool {
        self.uses_resource_path
    }

    #[cfg(test)]
    /// The variable names, in order (each evaluated once per request), constants included.
    pub fn variables(&self) -> impl Iterator<Item = String> {
        parse_parts(&self.source, false)
            .0
            .into_iter()
            .filter_map(|p| match p {
                Part::Variable(v, _) => Some(v),
                Part::Literal(_) => None,
            })
    }

    #[cfg(test)]
    /// The line for `values` (one per variable of [`AccessFormat::variables`]; unset → `-`):
    /// the plain substitution the log thread's renderer must match.
    pub fn render(&self, values: &[Option<String>]) -> String {
        let mut out = String::with_capacity(self.source.len() + 64);
        let mut i = 0;
        for part in &parse_parts(&self.source, false).0 {
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
    pub(super) fn render_into(&self, r: &RequestLog, v: &AccessValues, out: &mut String) {
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
                Var::Protocol => out.push_str(PROTOCOL),
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

/// `000` to `999`, three digits each.
static TRIPLES: &str = {
    const fn table() -> [u8; 3000] {
        let mut t = [0u8; 3000];
        let mut i = 0;
        while i < 1000 {
            t[3 * i] = b'0' + (i / 100) as u8;
            t[3 * i + 1] = b'0' + (i / 10 % 10) as u8;
            t[3 * i + 2] = b'0' + (i % 10) as u8;
            i += 1;
        }
        t
    }
    static BYTES: [u8; 3000] = table();
    match std::str::from_utf8(&BYTES) {
        Ok(s) => s,
        Err(_) => "",
    }
};

/// The three digits of `n % 1000`.
fn triple(n: u64) -> &'static str {
    let i = (n % 1000) as usize * 3;
    TRIPLES.get(i..i + 3).unwrap_or_default()
}

/// Appends `n` in decimal (what `write!(out, "{n}")` does, without the formatting machinery:
/// statuses and short lengths are one slice of a table).
fn push_u64(out: &mut String, n: u64) {
    if n >= 1000 {
        push_u64(out, n / 1000);
        out.push_str(triple(n));
        return;
    }
    let digits = triple(n);
    let skip = if n < 10 {
        2
    } else if n < 100 {
        1
    } else {
        0
    };
    out.push_str(digits.get(skip..).unwrap_or_default());
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
    pub(crate) status: u16,
    pub(crate) response_length: u64,
    pub(crate) latency_ms: u64,
    pub(crate) method: http::Method,
    pub(crate) resource_path: Option<Arc<str>>,
    pub(crate) caller: Option<String>,
    pub(crate) user: Option<String>,
    /// `Var::Other` values, in order.
    pub(crate) others: Vec<Option<String>>,
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
            Some("requestId".to_string())
        );
    }

    #[test]
    fn push_u64_writes_decimal() {
        let mut n = String::new();
        let samples = [
            1_000_000,
            1_000_001,
            999_999,
            10_000,
            u64::MAX,
            u64::MAX - 1,
        ];
        for v in (0..=20_000).chain(samples) {
            n.clear();
            push_u64(&mut n, v);
            assert_eq!(n, v.to_string());
        }
    }
}
