//! What arrives at `App::update`: terminal input, resolved actions, time, and data.

use std::time::Instant;

use crossterm::event::{KeyEvent, MouseEvent};

use crate::model::{
    ApiDefinition, ApiKey, BasePathMapping, Deployment, Stage, TestInvokeResult, UsagePlan,
};

use super::action::Action;
use super::metrics::MetricsSnapshot;

#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// The 1 s tick, carrying the time (flash messages expire against it).
    Tick(Instant),
    /// An action with its arguments, as a `:` command would give it.
    Action(Action, Vec<String>),
    Data(DataUpdate),
}

/// An HTTP API (API Gateway v2) with its routes and stages.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpApiSummary {
    pub api_id: String,
    pub name: String,
    pub description: Option<String>,
    /// `http://{apiId}.execute-api.localhost:{port}`.
    pub endpoint_url: String,
    pub cors: bool,
    /// `protocolType: WEBSOCKET` (its Connections view and `:wscat` apply).
    pub websocket: bool,
    pub routes: Vec<HttpRouteRow>,
    pub stages: Vec<HttpStageRow>,
}

/// One route of an HTTP API as the console shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpRouteRow {
    pub route_key: String,
    /// e.g. `HTTP_PROXY ANY http://backend/{proxy}` or `Lambda 2.0 hello`.
    pub integration: String,
    /// e.g. `NONE`, `JWT oidc [pets:read]`, `CUSTOM auth`.
    pub auth: String,
    /// The throttle that applies on each stage: `prod 10/s burst 5`, or `-`.
    pub throttling: String,
    /// The integration the route targets, and its parameter mappings.
    pub integration_id: Option<String>,
    pub request_parameters: indexmap::IndexMap<String, String>,
    pub response_parameters: indexmap::IndexMap<String, indexmap::IndexMap<String, String>>,
}

/// One stage of an HTTP API.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpStageRow {
    pub stage_name: String,
    pub auto_deploy: bool,
    pub deployment_id: Option<String>,
    pub last_deployment_status: Option<String>,
}

/// One API as the APIs view lists it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiSummary {
    /// The working definition (what the next deployment freezes).
    pub definition: ApiDefinition,
    /// e.g. `http://127.0.0.1:4566/restapis/abc/prod/_user_request_` or a custom base.
    pub endpoint_url: String,
    pub last_deployment: Option<Deployment>,
    /// Custom domain base paths mapped to this API: `(domain name, mapping)`.
    pub domains: Vec<(String, BasePathMapping)>,
}

/// Usage of one key under one plan in the current quota period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeyUsage {
    pub usage_plan_id: String,
    pub key_id: String,
    pub used: u64,
    /// The plan's quota limit, if it has one.
    pub limit: Option<u64>,
}

impl KeyUsage {
    /// A key's usage from GetUsage's calls used per day, against `plan`'s quota.
    pub fn from_days(
        plan: &crate::model::UsagePlan,
        key_id: String,
        used_per_day: impl IntoIterator<Item = i64>,
    ) -> KeyUsage {
        KeyUsage {
            usage_plan_id: plan.id.clone(),
            key_id,
            used: used_per_day.into_iter().map(|n| n.max(0) as u64).sum(),
            limit: plan.quota.as_ref().map(|q| q.limit.max(0) as u64),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct UsageData {
    pub plans: Vec<UsagePlan>,
    pub keys: Vec<ApiKey>,
    pub usage: Vec<KeyUsage>,
    /// `usage_plan_id` → key ids attached to it.
    pub plan_keys: Vec<(String, String)>,
}

/// GetModelTemplate's answer for the editor that asked.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedTemplate {
    pub rest_api_id: String,
    pub resource_id: String,
    pub http_method: String,
    pub target: super::effect::TemplateTarget,
    pub model_name: String,
    pub result: Result<String, String>,
}

/// One execution/access log line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogLine {
    pub epoch_millis: i64,
    /// `INFO`, `WARN`, `ERROR`, `ACCESS`.
    pub level: String,
    pub rest_api_id: String,
    pub stage: String,
    pub request_id: String,
    pub message: String,
}

/// Data the runner (or the engine's event stream) delivers.
#[derive(Debug, Clone, PartialEq)]
pub enum DataUpdate {
    /// The listener address shown in the header, e.g. `127.0.0.1:4566`.
    Listener(String),
    /// The engine's `[aws]` settings (installed at start; they do not change while it runs).
    Aws(std::sync::Arc<crate::engine::AwsSettings>),
    Apis(Vec<ApiSummary>),
    /// The HTTP APIs (v2), listed with the REST APIs.
    HttpApis(Vec<HttpApiSummary>),
    Stages {
        rest_api_id: String,
        stages: Vec<Stage>,
        deployments: Vec<Deployment>,
    },
    /// The definition a deployment froze (for diffs).
    DeploymentDefinition {
        rest_api_id: String,
        deployment_id: String,
        definition: Box<ApiDefinition>,
    },
    Metrics(MetricsSnapshot),
    /// The last minute of one API's metrics (the APIs view's live columns).
    Pulse(MetricsSnapshot),
    Logs(Vec<LogLine>),
    /// Log lines the subscription dropped because the console fell behind.
    LogsDropped(u64),
    Usage(UsageData),
    /// The cluster's nodes (`GET /gwtui/cluster`).
    Nodes(crate::engine::ClusterView),
    /// The test panel of the template editor: the render numbered `seq`.
    TestRender {
        seq: u64,
        result: Result<String, String>,
    },
    /// A test invocation's outcome, for the method it ran.
    TestInvoked {
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        result: Result<TestInvokeResult, String>,
    },
    /// A template generated from a model (the editor's `ctrl-g`).
    TemplateGenerated(Box<GeneratedTemplate>),
    /// The attached server's event stream went down (`false`: the console retries) or came
    /// back (`true`). An in-process console never sends it.
    Connection(bool),
    /// The trace of one request (`Backend::request_trace`).
    Trace {
        request_id: String,
        result: Result<Option<Box<crate::engine::RequestTrace>>, String>,
    },
    /// The debounce timer of edit `seq` fired.
    RenderDue(u64),
    /// The outcome of an effect: `what` names the operation ("deploy prod").
    OpResult {
        what: String,
        result: Result<String, String>,
    },
    /// Something changed in the engine; reload what is shown.
    Changed,
    /// Changes may have been missed (the console fell behind, or an attached console
    /// reconnected past what the server keeps for it): reload everything.
    Resync,
    /// The open connections of a WebSocket API stage (the Connections view).
    Connections {
        api_id: String,
        stage: String,
        result: Result<ConnectionsPage, String>,
    },
    /// `:wscat` connected (or could not).
    WscatOpened(Result<crate::tui::wscat::WscatSession, String>),
    /// Frames of a `:wscat` session; `closed` once its socket is gone.
    WscatFrames {
        session: u64,
        frames: Vec<crate::tui::wscat::WscatFrame>,
        closed: bool,
    },
}

/// Open connections of a WebSocket API stage, as the Connections view shows them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnectionsPage {
    /// Epoch milliseconds when listed (ages are shown against it).
    pub now: i64,
    /// Oldest first, at most [`CONNECTIONS_SHOWN`].
    pub rows: Vec<crate::engine::ConnectionSummary>,
    /// How many are open (may exceed `rows.len()`).
    pub total: usize,
}

/// Connections the console lists at most per stage.
pub const CONNECTIONS_SHOWN: usize = 2000;

/// The wall clock in epoch milliseconds (connection ages are shown against it).
pub fn epoch_millis() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}
