//! The gateway. Its public face is one cloneable handle, [`Gateway`]: admin operations
//! (validated, persisted, then applied), [`Gateway::invoke`] (the data plane) and
//! [`Gateway::subscribe`] (change events, request records and log lines for consoles).

pub(crate) mod admin;
pub(crate) mod binary;
pub(crate) mod cache;
pub(crate) mod cache_key;
pub(crate) mod clock;
pub(crate) mod cluster;
pub(crate) mod cluster_metrics;
pub(crate) mod compiled;
pub(crate) mod context;
pub(crate) mod error;
pub(crate) mod functions;
pub(crate) mod http_api;
pub(crate) mod integrations;
pub(crate) mod live;
pub(crate) mod logs;
pub(crate) mod metrics;
pub(crate) mod nodes;
pub(crate) mod params;
pub(crate) mod pipeline;
pub(crate) mod quota;
pub(crate) mod resource_policy;
pub(crate) mod router;
pub(crate) mod schema;
pub(crate) mod security;
pub(crate) mod template;
pub(crate) mod throttle;
pub(crate) mod traffic;
pub(crate) mod types;
pub(crate) mod vpc_links;
pub(crate) mod websocket;
pub(crate) mod xray;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::sync::broadcast;

pub use admin::{Actor, CreateDeployment, CreateRestApi, CreateStage};
pub use cluster::ClusterCounts;
pub use cluster_metrics::{MAX_PEERS, MetricsScope, PEER_TIMEOUT};
pub use error::GatewayError;
pub use live::Variant;
pub use logs::{Level, LogKind, LogLine};
pub use metrics::{CLUSTER_SCOPE, MetricsCoverage, MetricsSnapshot, MetricsTick, NodeCoverage};
pub use nodes::{ClusterNode, ClusterView};
pub use pipeline::{InvokeRequest, InvokeResponse};

// The handle's public types: everything src/server and src/tui may name of the engine
// (tests/engine_boundary.rs fails when they reach into an engine module instead).
pub use admin::{
    CorsOptions, CreateApiKey, CreateAuthorizer, CreateBasePathMapping, CreateDocumentationPart,
    CreateDocumentationVersion, CreateDomainName, CreateModel, CreateRequestValidator,
    CreateUsagePlan, CreateUsagePlanKey, DeploymentCanarySettings, GenerateClientCertificate,
    PartFilter, PreviewError, PutGatewayResponse, TemplateSample,
};
pub use functions::FunctionConfig;
pub use integrations::aws::public_view::{AwsDestination, AwsPublicSettings};
pub use integrations::aws::{AwsConfig, AwsSettings};
pub use logs::EXECUTION_LOG_CAPACITY;
pub use metrics::{FixedHistogram, MAX_WINDOW, Percentiles, SeriesTotals};
pub use pipeline::MAX_BODY_BYTES;
pub use websocket::{
    ConnectionSummary, ConnectionsRequest, ErrorCounts as WebSocketErrorCounts,
    OutboundMessages as WebSocketOutboundMessages, RouteErrors as WebSocketRouteErrors,
    UpgradeRequest,
};
pub use xray::{Phase, PhaseSpan, RequestTrace};

// The engine's modules are `pub(crate)`: with the list above, these are everything callers
// outside the crate (tests, benches, examples) may name of the engine: configuration types
// the handle's methods take, and the constants and helpers tests check the engine against.
pub use clock::{Clock, ManualClock};
pub use functions::output::{MAX_LINE_BYTES, TRUNCATED_MARKER};
pub use functions::runtime_api::MAX_CONNECTIONS;
pub use functions::{Invocation, Runtime, SignConfig};
pub use logs::rotation::{Rotation, rotated_path};
pub use logs::{
    ACCESS_LOG_CLF, ACCESS_LOG_CSV, ACCESS_LOG_JSON, ACCESS_LOG_PRESETS, ACCESS_LOG_XML,
};
pub use metrics::UNMATCHED;
pub use quota::day_string;
pub use types::{IamCredential, JwksSource};
pub use websocket::WebSocketLimits;
pub use xray::TracingConfig;

/// The HTTP API (v2) admin request types, whose names repeat v1's.
pub mod v2 {
    pub use super::admin::http_api::domains::CreateDomainNameV2;
    pub use super::admin::http_api::{
        CreateApi, CreateApiMapping, CreateAuthorizer, CreateDeployment, CreateIntegration,
        CreateIntegrationResponse, CreateModel, CreateRoute, CreateRouteResponse, CreateStage,
    };
}

use crate::store::{Store, StoreError, StoreReader};
use admin::Admin;
use live::{Draw, Routes};

impl Inner {
    pub(crate) fn lock_store(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave half-applied state (a transaction that
        // did not commit is rolled back when dropped; state is installed by swapping whole
        // values after the commit), so a poisoned lock is still usable.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The account id the emulator reports (`$context.accountId`, ARNs).
pub const ACCOUNT_ID: &str = "123456789012";
/// The region the emulator reports in ARNs and exports.
pub const REGION: &str = "us-east-1";

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub data_dir: PathBuf,
    /// Seed for the canary draw (tests); `None` draws from the OS.
    pub canary_seed: Option<u64>,
    /// Bytes of response cache per GB of `cacheClusterSize` (default 16 MiB: 0.5 GB → 8 MiB).
    pub cache_bytes_per_gb: u64,
    /// The account throttle (ops.md §2.2): 10,000 requests/s steady, burst 5,000.
    pub account_rate_limit: f64,
    pub account_burst_limit: i64,
    /// How often usage counters are written to the store (default 1 s).
    pub usage_flush_interval: Duration,
    /// Time for token buckets and quota periods (tests inject a `clock::ManualClock`).
    pub clock: Arc<dyn clock::Clock>,
    /// When access-log files rotate and how many are kept (default 64 MiB × 5 files; the
    /// config file's `[logs] access_log_max_bytes` / `access_log_max_files`).
    pub access_log_rotation: logs::rotation::Rotation,
    /// The Lambda authorizer result cache's byte bound (default 16 MiB).
    pub authorizer_cache_bytes: u64,
    /// `[tracing]`: X-Ray sampling and the OTLP endpoint (stages opt in with `tracingEnabled`).
    pub tracing: xray::TracingConfig,
    /// Where the definitions live (`[store] url`, `--store`): SQLite in the data dir by
    /// default, or PostgreSQL shared by a cluster's nodes.
    pub store: crate::store::StoreLocation,
    /// This node's id in cluster mode (`[cluster] node_id`); generated when `None`.
    pub node_id: Option<String>,
    /// Cluster mode's shared traffic state (`[cluster] redis`); `None`: single node.
    pub cluster: Option<Arc<cluster::Cluster>>,
}

impl EngineConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> EngineConfig {
        EngineConfig {
            data_dir: data_dir.into(),
            ..EngineConfig::default()
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            data_dir: PathBuf::new(),
            canary_seed: None,
            cache_bytes_per_gb: cache::DEFAULT_CACHE_BYTES_PER_GB,
            account_rate_limit: 10_000.0,
            account_burst_limit: 5_000,
            usage_flush_interval: Duration::from_secs(1),
            clock: Arc::new(clock::SystemClock::default()),
            access_log_rotation: logs::rotation::Rotation::default(),
            authorizer_cache_bytes: security::AUTHORIZER_CACHE_BYTES,
            tracing: xray::TracingConfig::default(),
            store: crate::store::StoreLocation::Sqlite,
            node_id: None,
            cluster: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build the integration HTTP client: {0}")]
    Client(String),
    #[error("stored deployment {deployment_id} of API {api_id} no longer compiles: {reason}")]
    Compile {
        api_id: String,
        deployment_id: String,
        reason: String,
    },
    #[error("cannot start the metrics or log thread: {0}")]
    Background(std::io::Error),
    #[error("stored function {name} can no longer be registered: {reason}")]
    Function { name: String, reason: String },
    #[error(transparent)]
    Tracing(#[from] xray::TracingConfigError),
}

/// What consoles receive from [`Gateway::subscribe`].
#[derive(Debug, Clone)]
pub enum GatewayEvent {
    /// An admin change was committed and applied.
    Changed {
        api_id: Option<String>,
        action: String,
        target: String,
    },
    /// Once a second: the second just closed, per (API, stage, variant) with traffic. The full
    /// series come from [`Gateway::metrics_snapshot`].
    MetricsTick(Arc<MetricsTick>),
    /// Access-log and execution-log lines written since the last batch (every
    /// [`logs::TICK`] at most), in the order they were written.
    Logs(Arc<[LogLine]>),
    /// One line a local function's worker wrote (stdout/stderr), or a lifecycle line of its
    /// pool (`START`/`END`/`REPORT`, worker started/exited, timeouts).
    FunctionLog { function: String, line: String },
}

#[derive(Clone)]
pub struct Gateway {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// The plain-HTTP listener (`Gateway::set_listen_address`).
    pub(crate) listen: std::sync::OnceLock<std::net::SocketAddr>,
    pub(crate) routes: ArcSwap<Routes>,
    pub(crate) draw: Draw,
    pub(crate) http: reqwest::Client,
    /// Integration clients with a stage's client certificate or without verification.
    pub(crate) outbound: integrations::outbound::Outbound,
    pub(crate) traffic: traffic::Traffic,
    pub(crate) metrics: Arc<metrics::Metrics>,
    pub(crate) logs: logs::Logs,
    /// X-Ray tracing: sampling, the xray thread's queue and the newest traces.
    pub(crate) xray: xray::XRay,
    events: broadcast::Sender<GatewayEvent>,
    /// How many of `events`' receivers are [`ChangeEvents`]: they do not make the log thread
    /// batch log lines and request summaries (only the other receivers count).
    change_only: Arc<std::sync::atomic::AtomicUsize>,
    pub(crate) functions: functions::Functions,
    pub(crate) security: security::Security,
    /// Where AWS service integrations send their calls, and the credentials they sign with.
    pub(crate) aws: ArcSwap<integrations::aws::AwsSettings>,
    pub(crate) http_api: http_api::auth::Shared,
    pub(crate) websocket: websocket::Shared,
    pub(crate) vpc_links: vpc_links::VpcLinks,
    /// The committed control-plane state. Readers load it without a lock; an admin
    /// operation replaces it after its commit (see `admin::admin_op`).
    admin: ArcSwap<Admin>,
    /// The store, and the writers' lock: admin operations and usage flushes take it one at a
    /// time, on blocking threads. Readers never take it.
    store: Mutex<Store>,
    /// A second connection for audit and usage reads, which must not wait for a commit.
    reader: Mutex<StoreReader>,
    /// Cluster mode (PostgreSQL store): this node and what it has applied.
    pub(crate) nodes: Option<nodes::Nodes>,
    config: EngineConfig,
}

impl Gateway {
    /// Opens the store under `config.data_dir` (taking its lock), loads every API, deployment
    /// and stage, compiles the deployments and makes the stages live.
    pub fn open(config: EngineConfig) -> Result<Gateway, OpenError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let node_id = config
            .node_id
            .clone()
            .unwrap_or_else(nodes::generate_node_id);
        let store = Store::open_at(&config.data_dir, &config.store, &node_id)?;
        let (mut state, head) = store.load_with_head()?;
        let stored_functions = std::mem::take(&mut state.functions);
        let nodes = match &config.store {
            crate::store::StoreLocation::Postgres(target) => Some(nodes::Nodes::new(
                node_id.clone(),
                (**target).clone(),
                head,
                &stored_functions,
            )),
            crate::store::StoreLocation::Sqlite => None,
        };
        let reader = store.reader()?;
        let stored_vpc_links = std::mem::take(&mut state.vpc_links);
        let admin = Admin::from_state(state)?;
        let http =
            integrations::http::build_client().map_err(|e| OpenError::Client(e.to_string()))?;
        let (events, _) = broadcast::channel(4096);
        let metrics = Arc::new(metrics::Metrics::new());
        let log_events = events.clone();
        let logs = logs::Logs::start(&config.data_dir, config.access_log_rotation, move |batch| {
            let _ = log_events.send(GatewayEvent::Logs(batch));
        })
        .map_err(OpenError::Background)?;
        config.tracing.validate()?;
        let xray = xray::XRay::start(&config.tracing).map_err(OpenError::Background)?;
        let gw = Gateway {
            inner: Arc::new(Inner {
                listen: std::sync::OnceLock::new(),
                routes: ArcSwap::from_pointee(Routes::default()),
                draw: Draw::new(config.canary_seed),
                functions: functions::Functions::new(
                    &config.data_dir,
                    events.clone(),
                    http.clone(),
                ),
                security: security::Security::new(config.authorizer_cache_bytes),
                aws: ArcSwap::from_pointee(integrations::aws::AwsSettings::default()),
                http_api: http_api::auth::Shared::default(),
                websocket: websocket::Shared::new(config.cluster.clone(), &node_id),
                vpc_links: vpc_links::VpcLinks::new(stored_vpc_links),
                http,
                outbound: Default::default(),
                traffic: traffic::Traffic::new(&config),
                metrics,
                logs,
                xray,
                events,
                change_only: Arc::default(),
                admin: ArcSwap::from_pointee(admin),
                store: Mutex::new(store),
                reader: Mutex::new(reader),
                nodes,
                config,
            }),
        };
        let worker = gw.inner.security.worker_credential().clone();
        gw.inner
            .functions
            .set_default_env("AWS_ACCESS_KEY_ID", worker.access_key_id);
        gw.inner
            .functions
            .set_default_env("AWS_SECRET_ACCESS_KEY", worker.secret_access_key);
        for (name, doc) in stored_functions {
            let config: functions::FunctionConfig = serde_json::from_str(&doc)
                .map_err(|e| StoreError::corrupt(format!("functions/{name}"), e))?;
            gw.inner
                .functions
                .register(&name, config)
                .map_err(|reason| OpenError::Function { name, reason })?;
        }
        let routes = {
            let admin = gw.snapshot();
            gw.apply_account_throttle(&admin.account);
            admin.build_routes(&gw.inner.traffic, &Routes::default(), &gw.lock_store())
        };
        gw.inner.routes.store(Arc::new(routes));
        nodes::start_listener(&gw.inner).map_err(OpenError::Background)?;
        traffic::start_usage_flusher(
            Arc::downgrade(&gw.inner),
            gw.inner.config.usage_flush_interval,
        );
        let weak = Arc::downgrade(&gw.inner);
        metrics::spawn_roller(Arc::downgrade(&gw.inner.metrics), move |mut tick| {
            let Some(inner) = weak.upgrade() else { return };
            inner.logs.set_subscribed(inner.wants_log_batches());
            tick.log_records_dropped = inner.logs.dropped();
            let _ = inner.events.send(GatewayEvent::MetricsTick(Arc::new(tick)));
        })
        .map_err(OpenError::Background)?;
        Ok(gw)
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Tells local Lambda workers started from now on where this gateway listens
    /// (`GWTUI_ENDPOINT=http://{addr}`, the base of `@connections` and the management API).
    /// The server calls it when it starts listening; the first listener wins.
    pub fn set_listen_address(&self, addr: std::net::SocketAddr) {
        if self.inner.listen.set(addr).is_ok() {
            self.inner
                .functions
                .set_default_env("GWTUI_ENDPOINT", format!("http://{addr}"));
        }
    }

    /// The custom domain a request's `Host` names, if any (`None`): then the mapping its path
    /// selects (`Some(None)` when none does). Exact names first, then a `*.` wildcard for
    /// the host's parent domain; the port is ignored.
    pub fn custom_domain(&self, host: &str, raw_path: &str) -> Option<Option<admin::DomainMatch>> {
        let routes = self.inner.routes.load();
        if routes.domains.is_empty() {
            return None;
        }
        let name = host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        });
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let mappings = routes.domains.get(&name).or_else(|| {
            let (_, parent) = name.split_once('.')?;
            routes.domains.get(&format!("*.{parent}"))
        })?;
        Some(admin::match_base_path(mappings, raw_path))
    }

    /// Installs the `[aws]` settings AWS service integrations use from now on (endpoints and
    /// credentials, resolved by [`integrations::aws::AwsSettings::resolve`]).
    pub fn set_aws_settings(&self, settings: integrations::aws::AwsSettings) {
        self.inner.aws.store(Arc::new(settings));
    }

    /// The installed `[aws]` settings.
    pub fn aws_settings(&self) -> Arc<integrations::aws::AwsSettings> {
        self.inner.aws.load_full()
    }

    /// The function a Lambda integration URI names (an invocation ARN, a function ARN or
    /// `name[:qualifier]`), for consoles that show where a route goes.
    pub fn lambda_function_name(uri: &str) -> Option<String> {
        functions::parse_function_uri(uri).map(|(name, _)| name)
    }

    /// The phases of a traced request (a stage with `tracingEnabled`), while it is among the
    /// newest [`xray::RECENT_TRACES`]: for the console's trace view.
    pub fn request_trace(&self, request_id: &str) -> Option<xray::RequestTrace> {
        self.inner.xray.find(request_id)
    }

    /// Traces the xray thread could not keep up with (dropped, not exported).
    pub fn traces_dropped(&self) -> u64 {
        self.inner.xray.dropped()
    }

    /// The data plane: runs one request through the pipeline. Never fails; every error becomes
    /// its gateway response.
    pub async fn invoke(&self, request: InvokeRequest) -> InvokeResponse {
        self.serve(&request).await
    }

    /// [`Gateway::invoke`] on a borrowed request: what the server calls, so that its future
    /// holds the request once (hyper moves every request's future whole, so its size is paid
    /// per request: docs/PERFORMANCE.md, "Data plane, round 5").
    pub async fn serve(&self, request: &InvokeRequest) -> InvokeResponse {
        let http_api = self
            .inner
            .routes
            .load()
            .http_apis
            .get(&request.api_id)
            .cloned();
        match http_api {
            Some(api) => http_api::run(self, api, request).await,
            None => pipeline::run(self, request).await,
        }
    }

    /// Answers a request the server refused before the pipeline could run (a body over
    /// 10 MB) the way its API's kind does.
    pub fn reject(&self, request: &InvokeRequest, err: GatewayError) -> InvokeResponse {
        let http_api = self
            .inner
            .routes
            .load()
            .http_apis
            .get(&request.api_id)
            .cloned();
        match http_api {
            Some(api) => http_api::too_large(self, api, request),
            None => pipeline::reject(self, request, err),
        }
    }

    /// Change events, metric ticks and log batches. While anyone is subscribed, the log batches
    /// also carry a one-line summary of every request (`LogKind::Request`).
    pub fn subscribe(&self) -> broadcast::Receiver<GatewayEvent> {
        let rx = self.inner.events.subscribe();
        self.inner.logs.set_subscribed(true);
        rx
    }

    /// The same events for a receiver that keeps only the change events (the server's replay
    /// ring): unlike [`Gateway::subscribe`], it does not turn on the log lines and request
    /// summaries consoles get, which every request would otherwise build and the log thread
    /// format and publish (docs/PERFORMANCE.md, "Data plane, round 4").
    pub fn subscribe_changes(&self) -> ChangeEvents {
        let rx = self.inner.events.subscribe();
        self.inner
            .change_only
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ChangeEvents {
            rx,
            inner: Arc::downgrade(&self.inner),
            counted: true,
        }
    }

    /// The series of one API over the last `window` (1 s .. 24 h): 1-second buckets up to an
    /// hour, 1-minute buckets beyond; plus exact per-stage and per-(stage, variant)
    /// aggregates. Includes every second closed so far (the current second appears at the
    /// next tick).
    pub fn metrics_snapshot(&self, api_id: &str, window: Duration) -> MetricsSnapshot {
        self.inner.metrics.snapshot(api_id, window)
    }

    /// Cumulative per-series counters and fixed-bucket histograms since the process started
    /// (what `/metrics` exposes).
    pub fn metrics_totals(&self) -> Vec<metrics::SeriesTotals> {
        self.inner.metrics.totals()
    }

    /// Turns metric recording on or off (on by default; off only to measure its cost).
    pub fn set_metrics_enabled(&self, on: bool) {
        self.inner.metrics.set_enabled(on);
    }

    /// The newest `limit` execution-log lines of a stage (base and canary; pass
    /// `{stage}/Canary` for the canary's only), oldest first. At most
    /// [`logs::EXECUTION_LOG_CAPACITY`] lines are kept per stage.
    pub fn execution_log(&self, api_id: &str, stage: &str, limit: usize) -> Vec<LogLine> {
        self.inner.logs.execution_log(api_id, stage, limit)
    }

    /// Waits until every log record queued so far is written, flushed to its file and
    /// published.
    pub async fn flush_logs(&self) {
        self.inner.logs.flush().await;
    }

    /// Log records dropped because the log queue was full.
    pub fn log_records_dropped(&self) -> u64 {
        self.inner.logs.dropped()
    }

    /// The file a stage's access log is written to (`{data dir}/logs/access-{apiId}-{stage}.log`,
    /// canary requests to `access-{apiId}-{stage}.Canary.log`).
    pub fn access_log_path(&self, api_id: &str, stage: &str, variant: Variant) -> PathBuf {
        self.inner.logs.access_log_path(api_id, stage, variant)
    }

    /// The directory access logs are written to and when they rotate (`….log` becomes
    /// `….log.1` before a line would take it over `max_bytes`; `max_files` kept per stage).
    pub fn access_log_settings(&self) -> (PathBuf, logs::rotation::Rotation) {
        self.inner.logs.access_log_settings()
    }

    pub(crate) fn publish(&self, event: GatewayEvent) {
        // No subscriber is fine: consoles come and go.
        let _ = self.inner.events.send(event);
    }

    /// Test hook: every admin commit runs `hook` just before its transaction commits (see
    /// [`crate::store::Store::set_commit_hook`]), to hold a write in progress like a slow
    /// fsync. Not for production use.
    #[doc(hidden)]
    pub fn set_commit_hook(&self, hook: Option<crate::store::CommitHook>) {
        self.lock_store().set_commit_hook(hook);
    }

    /// The committed control-plane state, without waiting for a write in progress.
    pub(crate) fn snapshot(&self) -> Arc<Admin> {
        self.inner.admin.load_full()
    }

    /// The store and the writers' lock. Blocks while another write commits: call it only
    /// from a blocking thread (`spawn_blocking`, the usage flusher), never from async code.
    pub(crate) fn lock_store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.inner.lock_store()
    }

    /// The read-only connection (audit log, usage). Does disk I/O: blocking threads only.
    pub(crate) fn lock_reader(&self) -> std::sync::MutexGuard<'_, StoreReader> {
        // A panic while holding it leaves nothing half-done (it only reads).
        self.inner.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The id of the enabled API key with `value` if it is in a usage plan bound to the stage.
    pub(crate) fn api_key_for_stage(
        &self,
        api_id: &str,
        stage: &str,
        value: &str,
    ) -> Option<String> {
        let routes = self.inner.routes.load();
        routes.api_keys.get(value).and_then(|k| {
            (k.enabled && k.plans.iter().any(|p| p.stage(api_id, stage).is_some()))
                .then(|| k.id.clone())
        })
    }
}

impl Inner {
    /// Whether a receiver other than a [`ChangeEvents`] listens. Receivers of change events
    /// only do not count (a comparison, not a subtraction: `subscribe_changes` counts its
    /// receiver after subscribing it and uncounts it before dropping it, so a race reads
    /// "wanted", never the reverse).
    fn wants_log_batches(&self) -> bool {
        let change_only = self.change_only.load(std::sync::atomic::Ordering::SeqCst);
        self.events.receiver_count() > change_only
    }
}

/// A receiver of [`Gateway`]'s events that does not ask for log batches
/// ([`Gateway::subscribe_changes`]).
pub struct ChangeEvents {
    rx: broadcast::Receiver<GatewayEvent>,
    inner: std::sync::Weak<Inner>,
    /// Still counted as a change-only receiver (until [`ChangeEvents::include_logs`]).
    counted: bool,
}

impl ChangeEvents {
    /// The next event (log batches still arrive while a console is subscribed: skip them).
    pub async fn recv(&mut self) -> Result<GatewayEvent, broadcast::error::RecvError> {
        self.rx.recv().await
    }

    /// From now on this receiver asks for log batches like [`Gateway::subscribe`]'s (the
    /// same receiver: no event is lost or seen twice in the switch).
    pub fn include_logs(&mut self) {
        self.uncount();
        if let Some(inner) = self.inner.upgrade() {
            inner.logs.set_subscribed(true);
        }
    }

    fn uncount(&mut self) {
        if std::mem::take(&mut self.counted)
            && let Some(inner) = self.inner.upgrade()
        {
            inner
                .change_only
                .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

impl Drop for ChangeEvents {
    fn drop(&mut self) {
        // Before the receiver itself is dropped (see the roller in `Gateway::open`).
        self.uncount();
    }
}

#[cfg(test)]
mod change_events_tests {
    use super::*;

    /// The server's replay recorder (`subscribe_changes`) does not make every request build
    /// log lines and summaries; a console's `subscribe` does, until it goes away.
    #[tokio::test]
    async fn change_only_receivers_do_not_turn_on_log_batches() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let gw = Gateway::open(EngineConfig::new(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        let changes = gw.subscribe_changes();
        assert!(!gw.inner.wants_log_batches());
        assert!(!gw.inner.logs.subscribed());
        let console = gw.subscribe();
        assert!(gw.inner.logs.subscribed());
        assert!(gw.inner.wants_log_batches());
        let second = gw.subscribe_changes();
        assert!(gw.inner.wants_log_batches());
        drop(console);
        assert!(!gw.inner.wants_log_batches());
        drop((changes, second));
        assert!(!gw.inner.wants_log_batches());
        assert_eq!(
            gw.inner
                .change_only
                .load(std::sync::atomic::Ordering::SeqCst),
            0
        );
        let _console = gw.subscribe();
        assert!(gw.inner.wants_log_batches());
    }

    /// A change-only receiver that turns to include log batches counts as a console's, once.
    #[tokio::test]
    async fn a_change_only_receiver_can_turn_on_log_batches() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let gw = Gateway::open(EngineConfig::new(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        let mut recorder = gw.subscribe_changes();
        assert!(!gw.inner.wants_log_batches());
        recorder.include_logs();
        recorder.include_logs();
        assert!(gw.inner.wants_log_batches());
        drop(recorder);
        assert!(!gw.inner.wants_log_batches());
        let counted = gw
            .inner
            .change_only
            .load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(counted, 0);
    }
}
