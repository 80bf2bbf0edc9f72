//! Export of sampled traces as OTLP spans over HTTP/protobuf (`opentelemetry-otlp`, through
//! a blocking `reqwest` client on the xray thread and the SDK's batch processor thread).
//!
//! Each request becomes a server span named `{apiId}/{stage}` (X-Ray's segment name is
//! `{apiName}/{stage}`) whose span id is the request's segment id (the `Parent` integrations
//! received) and whose trace id is the X-Ray root, plus one child span per pipeline phase.
//! A client's `Parent` becomes the remote parent of the request span. The SDK makes its own ids,
//! so [`PresetIds`] hands it ours: the xray thread sets them just before starting each span.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, TraceContextExt, TraceFlags, TraceId, TraceState, Tracer,
    TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, IdGenerator, RandomIdGenerator, Sampler, SdkTracer,
    SdkTracerProvider,
};

use super::RequestTrace;
use super::trace_header;

/// How long one export may take.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the batch processor exports what it holds.
const EXPORT_DELAY: Duration = Duration::from_millis(500);
/// Spans the batch processor holds at most (beyond, it drops them).
const MAX_QUEUED_SPANS: usize = 8192;

pub(super) struct Exporter {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    ids: Arc<PresetIds>,
}

#[derive(Debug, thiserror::Error)]
pub(super) enum ExportError {
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(String),
}

impl Exporter {
    pub(super) fn new(endpoint: &str) -> Result<Exporter, ExportError> {
        let client = reqwest::blocking::Client::builder()
            .no_proxy()
            .timeout(EXPORT_TIMEOUT)
            .build()?;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(client)
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(endpoint)
            .with_timeout(EXPORT_TIMEOUT)
            .build()
            .map_err(|e| ExportError::Exporter(e.to_string()))?;
        let processor = BatchSpanProcessor::builder(exporter)
            .with_batch_config(
                BatchConfigBuilder::default()
                    .with_scheduled_delay(EXPORT_DELAY)
                    .with_max_queue_size(MAX_QUEUED_SPANS)
                    .build(),
            )
            .build();
        let ids = Arc::new(PresetIds::default());
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_sampler(Sampler::AlwaysOn)
            .with_id_generator(SharedIds(ids.clone()))
            .with_resource(Resource::builder().with_service_name("gwtui").build())
            .build();
        let tracer = provider.tracer("gwtui");
        Ok(Exporter {
            provider,
            tracer,
            ids,
        })
    }

    /// Hands one request's spans to the batch processor.
    pub(super) fn export(&self, trace: &RequestTrace) {
        let Some(trace_id) = trace_header::otlp_trace_id(&trace.root) else {
            return;
        };
        let trace_id = TraceId::from_bytes(trace_id);
        let Some(segment) = span_id(&trace.segment_id) else {
            return;
        };
        let start = SystemTime::UNIX_EPOCH + Duration::from_nanos(trace.start_unix_nanos);
        let parent_cx = match trace.parent.as_deref().and_then(span_id) {
            Some(parent) => Context::new().with_remote_span_context(SpanContext::new(
                trace_id,
                parent,
                TraceFlags::SAMPLED,
                true,
                TraceState::default(),
            )),
            None => Context::new(),
        };
        self.ids.set(trace_id, segment);
        let request_span = self
            .tracer
            .span_builder(format!("{}/{}", trace.rest_api_id, trace.stage))
            .with_kind(SpanKind::Server)
            .with_start_time(start)
            .with_attributes([
                KeyValue::new("aws.request_id", trace.request_id.clone()),
                KeyValue::new("http.request.method", trace.http_method.clone()),
                KeyValue::new("url.path", trace.path.clone()),
                KeyValue::new("http.response.status_code", i64::from(trace.status)),
                KeyValue::new("aws.xray.trace_id", trace.header()),
            ])
            .start_with_context(&self.tracer, &parent_cx);
        let cx = Context::new().with_span(request_span);
        for phase in &trace.phases {
            let id = SpanId::from_bytes(phase.span_id.to_be_bytes());
            self.ids.set(trace_id, id);
            let span = self
                .tracer
                .span_builder(phase.phase.as_str())
                .with_kind(SpanKind::Internal)
                .with_start_time(start + phase.offset)
                .start_with_context(&self.tracer, &cx);
            let mut span = span;
            opentelemetry::trace::Span::end_with_timestamp(
                &mut span,
                start + phase.offset + phase.duration,
            );
        }
        self.ids.clear();
        cx.span().end_with_timestamp(start + trace.duration);
    }

    /// Exports what is pending and stops the processor (blocks: called on the xray thread).
    pub(super) fn shutdown(self) {
        let _ = self.provider.force_flush();
        let _ = self.provider.shutdown();
    }
}

fn span_id(hex16: &str) -> Option<SpanId> {
    let mut bytes = [0u8; 8];
    hex::decode_to_slice(hex16, &mut bytes).ok()?;
    Some(SpanId::from_bytes(bytes))
}

/// The ids the next span gets (set by the xray thread, the only one that starts spans).
#[derive(Debug, Default)]
struct PresetIds {
    next: Mutex<Option<(TraceId, SpanId)>>,
    random: RandomIdGenerator,
}

impl PresetIds {
    fn set(&self, trace: TraceId, span: SpanId) {
        *self.next.lock().unwrap_or_else(|p| p.into_inner()) = Some((trace, span));
    }

    fn clear(&self) {
        *self.next.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn preset(&self) -> Option<(TraceId, SpanId)> {
        *self.next.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Debug)]
struct SharedIds(Arc<PresetIds>);

impl IdGenerator for SharedIds {
    fn new_trace_id(&self) -> TraceId {
        self.0
            .preset()
            .map_or_else(|| self.0.random.new_trace_id(), |(t, _)| t)
    }

    fn new_span_id(&self) -> SpanId {
        self.0
            .preset()
            .map_or_else(|| self.0.random.new_span_id(), |(_, s)| s)
    }
}
