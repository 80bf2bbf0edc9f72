//! X-Ray active tracing (ops.md §7): with a stage's `tracingEnabled`, every request gets an
//! `X-Amzn-Trace-Id` (new, or continued from the client's), sampled by X-Ray's default rule
//! (`[tracing] reservoir_size` / `fixed_rate`), passed to HTTP integrations and Lambda, and
//! timed per pipeline phase (method request, authorizer, integration, integration response).
//!
//! Cost: a request on a stage without tracing carries `None` and reads no clock. A traced
//! request writes its header into a fixed buffer, keeps up to four `Instant`s, and the record
//! phase moves what it has ([`Finished`]: the trace state, the request id, the path) into the
//! `gwtui-xray` thread's queue (dropped and counted when the queue is full). That thread keeps
//! the newest [`RECENT_TRACES`] for consoles ([`super::Gateway::request_trace`], which builds
//! the [`RequestTrace`] on lookup) and, when `[tracing] otlp_endpoint` is set, builds and
//! exports the sampled ones as OTLP spans ([`otlp`]).

mod otlp;
pub mod sampling;
pub mod trace_header;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use http::HeaderValue;
use serde::{Deserialize, Serialize};

use super::logs::StageLog;

/// Traced requests kept for consoles.
pub const RECENT_TRACES: usize = 1024;
/// Traces waiting for the xray thread; beyond this they are dropped and counted.
pub const TRACE_QUEUE_CAPACITY: usize = 4096;
/// How often the xray thread drains the queue.
const DRAIN: std::time::Duration = std::time::Duration::from_millis(10);

/// `[tracing]` in the config file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TracingConfig {
    /// Requests sampled each second before `fixed_rate` applies (X-Ray's `ReservoirSize`).
    pub reservoir_size: u32,
    /// The share of the remaining requests sampled, 0.0–1.0 (X-Ray's `FixedRate`).
    pub fixed_rate: f64,
    /// Where sampled traces are exported as OTLP/HTTP protobuf, including the path
    /// (`http://127.0.0.1:4318/v1/traces`). Unset: nothing is exported.
    pub otlp_endpoint: Option<String>,
}

impl Default for TracingConfig {
    fn default() -> Self {
        TracingConfig {
            reservoir_size: 1,
            fixed_rate: 0.05,
            otlp_endpoint: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TracingConfigError {
    #[error("[tracing] fixed_rate must be between 0 and 1, got {0}")]
    FixedRate(f64),
    #[error("[tracing] otlp_endpoint {endpoint:?} is not an http(s) URL: {reason}")]
    Endpoint { endpoint: String, reason: String },
}

impl TracingConfig {
    pub fn validate(&self) -> Result<(), TracingConfigError> {
        if !(0.0..=1.0).contains(&self.fixed_rate) {
            return Err(TracingConfigError::FixedRate(self.fixed_rate));
        }
        if let Some(endpoint) = &self.otlp_endpoint {
            let bad = |reason: String| TracingConfigError::Endpoint {
                endpoint: endpoint.clone(),
                reason,
            };
            let url = reqwest::Url::parse(endpoint).map_err(|e| bad(e.to_string()))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(bad("expected http:// or https:// and a host".into()));
            }
        }
        Ok(())
    }
}

/// A phase of the pipeline as traces show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// From arrival to the integration request: route, authorization, API key, throttling,
    /// validation, cache lookup.
    #[serde(rename = "Method request")]
    MethodRequest,
    /// The authorizer (IAM, Lambda, Cognito), inside the method request.
    #[serde(rename = "Authorizer")]
    Authorizer,
    /// The integration request mapping and the backend call.
    #[serde(rename = "Integration")]
    Integration,
    /// Integration response mapping, the method response and the cache store.
    #[serde(rename = "Integration response")]
    IntegrationResponse,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::MethodRequest => "Method request",
            Phase::Authorizer => "Authorizer",
            Phase::Integration => "Integration",
            Phase::IntegrationResponse => "Integration response",
        }
    }
}

/// One phase of a traced request: when it started (after the request arrived) and how long
/// it took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseSpan {
    pub phase: Phase,
    pub offset: Duration,
    pub duration: Duration,
    /// The OTLP span id.
    pub span_id: u64,
}

/// A finished traced request, as consoles show it and the exporter sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestTrace {
    pub request_id: String,
    pub rest_api_id: String,
    pub stage: String,
    /// `1-{8 hex}-{24 hex}`.
    pub root: String,
    /// The request's segment (the `Parent` passed on), 16 hex.
    pub segment_id: String,
    /// The client's `Parent`, when it sent one.
    pub parent: Option<String>,
    pub sampled: bool,
    pub http_method: String,
    pub path: String,
    pub status: u16,
    /// Nanoseconds since the Unix epoch when the request arrived.
    pub start_unix_nanos: u64,
    pub duration: Duration,
    /// In the order they started.
    pub phases: Vec<PhaseSpan>,
}

impl RequestTrace {
    /// The `X-Amzn-Trace-Id` the request was given.
    pub fn header(&self) -> String {
        format!(
            "Root={};Parent={};Sampled={}",
            self.root,
            self.segment_id,
            u8::from(self.sampled)
        )
    }
}

/// What the record phase hands [`submit`](XRay::submit) of a finished traced request: owned
/// parts moved out of the context (the trace state, the request id) or shared (the stage's
/// ids), so that queuing it allocates nothing more.
pub(crate) struct Finished {
    pub xray: Box<RequestXRay>,
    /// When the request arrived, and when the record phase took it.
    pub started: Instant,
    pub ended: Instant,
    /// The API id and stage name.
    pub stage: Arc<StageLog>,
    pub request_id: String,
    pub http_method: http::Method,
    pub path: String,
    pub status: u16,
}

impl Finished {
    /// The trace as consoles and the exporter see it, built on the xray thread (only for a
    /// console's lookup or a sampled request's export). `wall` is the system time at `at`.
    fn to_trace(&self, wall: SystemTime, at: Instant) -> RequestTrace {
        let x = &self.xray;
        let started = self.started;
        let end = self.ended;
        let start_unix_nanos = wall
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_sub(at.saturating_duration_since(started))
            .as_nanos() as u64;
        let offset = |t: Instant| t.saturating_duration_since(started);
        let span_id = |phase: Phase| phase_span_id(x.segment_id, phase);
        let mut phases = Vec::with_capacity(4);
        let method_end = x.integration_start.unwrap_or(end);
        phases.push(PhaseSpan {
            phase: Phase::MethodRequest,
            offset: Duration::ZERO,
            duration: offset(method_end),
            span_id: span_id(Phase::MethodRequest),
        });
        if let Some((from, to)) = x.auth {
            let to = to.unwrap_or(method_end);
            phases.push(PhaseSpan {
                phase: Phase::Authorizer,
                offset: offset(from),
                duration: to.saturating_duration_since(from),
                span_id: span_id(Phase::Authorizer),
            });
        }
        if let Some(from) = x.integration_start {
            let to = x.integration_end.unwrap_or(end);
            phases.push(PhaseSpan {
                phase: Phase::Integration,
                offset: offset(from),
                duration: to.saturating_duration_since(from),
                span_id: span_id(Phase::Integration),
            });
            if x.integration_end.is_some() {
                phases.push(PhaseSpan {
                    phase: Phase::IntegrationResponse,
                    offset: offset(to),
                    duration: end.saturating_duration_since(to),
                    span_id: span_id(Phase::IntegrationResponse),
                });
            }
        }
        RequestTrace {
            request_id: self.request_id.clone(),
            rest_api_id: self.stage.api_id.clone(),
            stage: self.stage.stage.clone(),
            segment_id: format!("{:016x}", x.segment_id),
            root: x.root().to_string(),
            parent: x.parent.map(|p| format!("{p:016x}")),
            sampled: x.sampled,
            http_method: self.http_method.to_string(),
            path: self.path.clone(),
            status: self.status,
            start_unix_nanos,
            duration: end.saturating_duration_since(started),
            phases,
        }
    }
}

/// A phase's span id, derived from the request's segment id (splitmix64 of the pair): stable,
/// so a console's lookup and the export agree, and free of a random draw per phase.
fn phase_span_id(segment_id: u64, phase: Phase) -> u64 {
    let mut z = segment_id ^ (phase as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    if z == 0 || z == segment_id { !z } else { z }
}

/// The trace state of one request on a traced stage (`RequestContext::xray`).
#[derive(Debug)]
pub struct RequestXRay {
    /// The client's `Parent`, when it sent one.
    pub parent: Option<u64>,
    pub segment_id: u64,
    pub sampled: bool,
    /// `Root=…;Parent={segment_id};Sampled=…`, as integrations and the client receive it.
    pub header: HeaderValue,
    /// Phase marks, set by the pipeline (engine/context/xray_marks.rs).
    pub(crate) auth: Option<(Instant, Option<Instant>)>,
    pub(crate) integration_start: Option<Instant>,
    pub(crate) integration_end: Option<Instant>,
}

impl RequestXRay {
    /// The trace header value without a copy of the root (`Root=…;Parent=…;Sampled=…`).
    pub fn header_str(&self) -> &str {
        self.header.to_str().unwrap_or_default()
    }

    /// `1-{8 hex}-{24 hex}`, read from the header (which always starts `Root={root};`).
    pub fn root(&self) -> &str {
        self.header_str()
            .get(5..5 + trace_header::ROOT_LEN)
            .unwrap_or_default()
    }
}

/// The gateway's tracing side: the sampling rule, the queue to the xray thread and the
/// newest traces.
pub(crate) struct XRay {
    sampler: sampling::Sampler,
    queue: crossbeam_channel::Sender<Finished>,
    recent: Arc<Mutex<VecDeque<Finished>>>,
    dropped: AtomicU64,
}

impl XRay {
    /// Starts the xray thread (and, with an OTLP endpoint, the exporter on it).
    pub(crate) fn start(config: &TracingConfig) -> std::io::Result<XRay> {
        let (queue, rx) = crossbeam_channel::bounded::<Finished>(TRACE_QUEUE_CAPACITY);
        let recent: Arc<Mutex<VecDeque<Finished>>> =
            Arc::new(Mutex::new(VecDeque::with_capacity(RECENT_TRACES)));
        let ring = recent.clone();
        let endpoint = config.otlp_endpoint.clone();
        std::thread::Builder::new()
            .name("gwtui-xray".into())
            .spawn(move || {
                // Built here, outside any async runtime (reqwest's blocking client needs that).
                let exporter = endpoint.and_then(|e| match otlp::Exporter::new(&e) {
                    Ok(x) => Some(x),
                    Err(err) => {
                        eprintln!("gwtui: OTLP export to {e} disabled: {err}");
                        None
                    }
                });
                // Drained every DRAIN rather than woken per trace: a blocking receive made every
                // traced request pay a futex wake-up and a context switch.
                let mut batch = Vec::new();
                loop {
                    std::thread::sleep(DRAIN);
                    let closed = loop {
                        match rx.try_recv() {
                            Ok(trace) => batch.push(trace),
                            Err(crossbeam_channel::TryRecvError::Empty) => break false,
                            Err(crossbeam_channel::TryRecvError::Disconnected) => break true,
                        }
                    };
                    if let Some(x) = &exporter {
                        let (wall, at) = (SystemTime::now(), Instant::now());
                        for done in batch.iter().filter(|t| t.xray.sampled) {
                            x.export(&done.to_trace(wall, at));
                        }
                    }
                    if !batch.is_empty() {
                        let mut ring = ring.lock().unwrap_or_else(|p| p.into_inner());
                        for trace in batch.drain(..) {
                            if ring.len() == RECENT_TRACES {
                                ring.pop_front();
                            }
                            ring.push_back(trace);
                        }
                    }
                    if closed {
                        break;
                    }
                }
                if let Some(x) = exporter {
                    x.shutdown();
                }
            })?;
        Ok(XRay {
            sampler: sampling::Sampler::new(config.reservoir_size, config.fixed_rate),
            queue,
            recent,
            dropped: AtomicU64::new(0),
        })
    }

    /// A traced request's state: the client's header continued (its root kept, its sampling
    /// decision honoured) or a new trace, sampled by the rule.
    pub(crate) fn begin(&self, incoming: Option<&str>, epoch_millis: i64) -> Box<RequestXRay> {
        let epoch_seconds = (epoch_millis / 1000).max(0) as u64;
        let incoming = incoming.and_then(trace_header::parse);
        let (root, parent, decided) = match incoming {
            Some(t) => (
                Some(t.root),
                t.parent.and_then(trace_header::parse_span_id),
                t.sampled,
            ),
            None => (None, None, None),
        };
        let sampled = decided.unwrap_or_else(|| self.sampler.sample(epoch_seconds));
        let segment_id = trace_header::new_segment_id();
        let bytes = trace_header::header(root, epoch_seconds, segment_id, sampled);
        let header =
            HeaderValue::from_bytes(&bytes).unwrap_or_else(|_| HeaderValue::from_static(""));
        Box::new(RequestXRay {
            parent,
            segment_id,
            sampled,
            header,
            auth: None,
            integration_start: None,
            integration_end: None,
        })
    }

    /// The record phase's part: queue the finished request (moved, not copied; the trace
    /// itself is built only when a console asks for it or it is exported). Never blocks.
    pub(crate) fn submit(&self, done: Finished) {
        if self.queue.try_send(done).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Traces dropped because the xray thread fell behind.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The newest trace of a request id, if it is still kept.
    pub(crate) fn find(&self, request_id: &str) -> Option<RequestTrace> {
        let (wall, at) = (SystemTime::now(), Instant::now());
        let ring = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        ring.iter()
            .rev()
            .find(|t| t.request_id == request_id)
            .map(|t| t.to_trace(wall, at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_span_ids_are_stable_distinct_and_never_the_segment() {
        for segment in [0u64, 1, 0x53995c3f42cd8ad8, u64::MAX] {
            let ids: Vec<u64> = [
                Phase::MethodRequest,
                Phase::Authorizer,
                Phase::Integration,
                Phase::IntegrationResponse,
            ]
            .into_iter()
            .map(|p| phase_span_id(segment, p))
            .collect();
            for (i, id) in ids.iter().enumerate() {
                assert_ne!(*id, 0);
                assert_ne!(*id, segment);
                assert!(!ids[..i].contains(id), "{ids:x?}");
            }
            assert_eq!(ids[2], phase_span_id(segment, Phase::Integration));
        }
    }

    #[test]
    fn a_finished_request_becomes_its_trace_on_lookup() {
        let x = XRay::start(&TracingConfig::default()).expect("xray");
        let xray = x.begin(
            Some("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
            0,
        );
        let segment = xray.segment_id;
        let started = Instant::now();
        let mut xray = xray;
        xray.integration_start = Some(started + Duration::from_millis(2));
        xray.integration_end = Some(started + Duration::from_millis(5));
        let stage = Arc::new(StageLog {
            api_id: "a1b2c3".into(),
            stage: "prod".into(),
            format: None,
        });
        x.submit(Finished {
            xray,
            started,
            ended: started + Duration::from_millis(6),
            stage,
            request_id: "req-1".into(),
            http_method: http::Method::GET,
            path: "/pets".into(),
            status: 200,
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        let trace = loop {
            if let Some(t) = x.find("req-1") {
                break t;
            }
            assert!(Instant::now() < deadline, "the xray thread kept nothing");
            std::thread::sleep(DRAIN);
        };
        assert_eq!(trace.root, "1-5759e988-bd862e3fe1be46a994272793");
        assert_eq!(trace.parent.as_deref(), Some("53995c3f42cd8ad8"));
        assert_eq!(trace.segment_id, format!("{segment:016x}"));
        assert_eq!(
            trace.header(),
            format!("Root=1-5759e988-bd862e3fe1be46a994272793;Parent={segment:016x};Sampled=1")
        );
        assert_eq!(
            (
                trace.rest_api_id.as_str(),
                trace.stage.as_str(),
                trace.http_method.as_str()
            ),
            ("a1b2c3", "prod", "GET")
        );
        assert_eq!(trace.duration, Duration::from_millis(6));
        let phases: Vec<(Phase, Duration, Duration)> = trace
            .phases
            .iter()
            .map(|p| (p.phase, p.offset, p.duration))
            .collect();
        let ms = Duration::from_millis;
        assert_eq!(
            phases,
            [
                (Phase::MethodRequest, ms(0), ms(2)),
                (Phase::Integration, ms(2), ms(3)),
                (Phase::IntegrationResponse, ms(5), ms(1)),
            ]
        );
        // The same span ids on every lookup.
        let again = x.find("req-1").expect("kept");
        assert_eq!(again.phases, trace.phases);
        assert_eq!(x.find("req-2"), None);
    }

    #[test]
    fn config_is_checked_when_the_gateway_opens() {
        assert_eq!(TracingConfig::default().validate(), Ok(()));
        let bad_rate = TracingConfig {
            fixed_rate: 1.5,
            ..TracingConfig::default()
        };
        assert_eq!(bad_rate.validate(), Err(TracingConfigError::FixedRate(1.5)));
        for endpoint in ["localhost:4318", "ftp://x/v1/traces", "not a url"] {
            let c = TracingConfig {
                otlp_endpoint: Some(endpoint.into()),
                ..TracingConfig::default()
            };
            assert!(
                matches!(c.validate(), Err(TracingConfigError::Endpoint { .. })),
                "{endpoint}"
            );
        }
        let parsed: TracingConfig =
            toml::from_str("reservoir_size = 3\nfixed_rate = 0.25\notlp_endpoint = \"http://127.0.0.1:4318/v1/traces\"")
                .expect("toml");
        assert_eq!(parsed.reservoir_size, 3);
        assert_eq!(parsed.validate(), Ok(()));
        assert!(toml::from_str::<TracingConfig>("sampling = 1").is_err());
    }
}
