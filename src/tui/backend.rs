//! The console's one interface to a gateway: everything it reads, changes, renders and
//! subscribes to. [`GatewayBackend`](super::gateway::GatewayBackend) implements it in process
//! over `engine::Gateway`; [`RemoteBackend`](super::remote::RemoteBackend) over a running
//! gwtui's management API and event stream (`gwtui attach`);
//! [`FakeBackend`](super::fake::FakeBackend) in memory for tests and demos. Every method is
//! async and reports failure as a message the console shows in its flash line.

use std::future::Future;

use tokio::sync::mpsc;

use crate::model::{ApiDefinition, Deployment, PatchOperation, Stage, TestInvokeResult};

use super::effect::TemplateTarget;
use super::metrics::MetricsSnapshot;
use super::msg::{ApiSummary, ConnectionsPage, DataUpdate, HttpApiSummary, UsageData};
use super::sample::SampleRequest;
use super::wscat::WscatSession;

pub type BResult<T> = Result<T, String>;

pub trait Backend: Clone + Send + Sync + 'static {
    /// The data-plane listener shown in the header, e.g. `127.0.0.1:4566`.
    fn listener(&self) -> String;

    /// Where AWS service integrations send their calls (the `[aws]` settings the engine runs
    /// with), for the execution path of AWS methods.
    fn aws_settings(&self) -> std::sync::Arc<crate::engine::AwsSettings> {
        std::sync::Arc::default()
    }

    /// A stream of engine events already shaped as console data: `Changed` after any
    /// admin change, `Logs` for new log lines, `Metrics` on metric ticks (optional: the
    /// console also polls `metrics` every second while a chart is visible).
    /// Change events and log lines, through a bounded channel ([`EVENT_QUEUE`] updates): log
    /// batches that find it full are dropped (the console falls behind, the engine never
    /// waits for it), changes are never lost.
    fn subscribe(&self) -> mpsc::Receiver<DataUpdate>;

    fn list_apis(&self) -> impl Future<Output = BResult<Vec<ApiSummary>>> + Send;
    /// The HTTP APIs (v2) with their routes and stages.
    fn list_http_apis(&self) -> impl Future<Output = BResult<Vec<HttpApiSummary>>> + Send;
    fn stages(
        &self,
        rest_api_id: String,
    ) -> impl Future<Output = BResult<(Vec<Stage>, Vec<Deployment>)>> + Send;
    /// The definition a deployment froze.
    fn deployment_definition(
        &self,
        rest_api_id: String,
        deployment_id: String,
    ) -> impl Future<Output = BResult<ApiDefinition>> + Send;
    /// The last `window_seconds` of 1-second buckets of an API (see `metrics.rs`). In cluster
    /// mode `scope` asks for the whole cluster's traffic merged or one node's, and the
    /// snapshot's `cluster` says which nodes it holds; a single node answers with its own.
    fn metrics(
        &self,
        rest_api_id: String,
        window_seconds: i64,
        scope: crate::engine::MetricsScope,
    ) -> impl Future<Output = BResult<MetricsSnapshot>> + Send;
    fn usage(&self) -> impl Future<Output = BResult<UsageData>> + Send;
    /// Cluster mode: this node, the store and every node with its health (`nodes` is empty
    /// on a single SQLite node).
    fn cluster(&self) -> impl Future<Output = BResult<crate::engine::ClusterView>> + Send;

    /// Returns the new deployment's id.
    fn deploy(
        &self,
        rest_api_id: String,
        stage_name: String,
        description: Option<String>,
    ) -> impl Future<Output = BResult<String>> + Send;
    fn patch_stage(
        &self,
        rest_api_id: String,
        stage_name: String,
        ops: Vec<PatchOperation>,
    ) -> impl Future<Output = BResult<()>> + Send;
    fn rollback(
        &self,
        rest_api_id: String,
        stage_name: String,
        deployment_id: String,
    ) -> impl Future<Output = BResult<()>> + Send;
    fn flush_cache(
        &self,
        rest_api_id: String,
        stage_name: String,
    ) -> impl Future<Output = BResult<()>> + Send;
    /// Deploys the working definition as the stage's canary at a weight.
    fn create_canary(
        &self,
        rest_api_id: String,
        stage_name: String,
        percent_traffic: f64,
    ) -> impl Future<Output = BResult<String>> + Send;
    fn promote_canary(
        &self,
        rest_api_id: String,
        stage_name: String,
    ) -> impl Future<Output = BResult<()>> + Send;
    fn delete_canary(
        &self,
        rest_api_id: String,
        stage_name: String,
    ) -> impl Future<Output = BResult<()>> + Send;
    fn save_template(
        &self,
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        target: TemplateTarget,
        template: String,
    ) -> impl Future<Output = BResult<()>> + Send;
    fn update_integration(
        &self,
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        ops: Vec<PatchOperation>,
    ) -> impl Future<Output = BResult<()>> + Send;
    /// Renders a template against a sample request (the editor's test panel): a request
    /// template reads `sample` as the method request; a response template reads
    /// `sample.body` as the integration response body. Errors name line and column.
    fn render_template(
        &self,
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        target: TemplateTarget,
        template: String,
        sample: SampleRequest,
    ) -> impl Future<Output = BResult<String>> + Send;
    /// GetModelTemplate: a mapping template generated from the API's model `model_name`.
    fn model_template(
        &self,
        rest_api_id: String,
        model_name: String,
    ) -> impl Future<Output = BResult<String>> + Send;
    /// TestInvokeMethod: runs the method as defined now with `sample` (its path values and
    /// query make the request path) and returns the status, headers, body, latency and
    /// execution log.
    fn test_invoke(
        &self,
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        sample: SampleRequest,
    ) -> impl Future<Output = BResult<TestInvokeResult>> + Send;
    /// Sends a request to an HTTP API (v2) stage through the engine, as a client would
    /// reach it (`path` with its query; `sample` gives headers and body): the console's test
    /// of a route. The result's log names the request id.
    fn test_invoke_http(
        &self,
        api_id: String,
        stage: String,
        method: String,
        path: String,
        sample: SampleRequest,
    ) -> impl Future<Output = BResult<TestInvokeResult>> + Send;
    /// Imports an OpenAPI/Swagger file; returns the API id.
    fn import(&self, path: String) -> impl Future<Output = BResult<String>> + Send;
    fn export(&self, rest_api_id: String, path: String)
    -> impl Future<Output = BResult<()>> + Send;
    fn set_traffic(
        &self,
        rest_api_id: String,
        stage_name: String,
        rate: f64,
    ) -> impl Future<Output = BResult<()>> + Send;
    fn create_api_key(&self, name: String) -> impl Future<Output = BResult<String>> + Send;
    fn create_usage_plan(&self, name: String) -> impl Future<Output = BResult<String>> + Send;
    fn update_api_key(
        &self,
        api_key_id: String,
        ops: Vec<PatchOperation>,
    ) -> impl Future<Output = BResult<()>> + Send;
    fn delete_api_key(&self, api_key_id: String) -> impl Future<Output = BResult<()>> + Send;
    /// The trace of a request on a stage with `tracingEnabled` (`None` when none is kept).
    fn request_trace(
        &self,
        request_id: String,
    ) -> impl Future<Output = BResult<Option<crate::engine::RequestTrace>>> + Send;
    /// The open connections of a WebSocket API stage, oldest first (at most
    /// [`CONNECTIONS_SHOWN`](super::msg::CONNECTIONS_SHOWN) rows).
    fn websocket_connections(
        &self,
        api_id: String,
        stage: String,
    ) -> impl Future<Output = BResult<ConnectionsPage>> + Send;
    /// Sends `data` to a connection, as `@connections` POST does (a closed one is "gone").
    fn post_to_connection(
        &self,
        api_id: String,
        stage: String,
        connection_id: String,
        data: String,
    ) -> impl Future<Output = BResult<()>> + Send;
    /// Disconnects a connection, as `@connections` DELETE does (`$disconnect` runs).
    fn delete_connection(
        &self,
        api_id: String,
        stage: String,
        connection_id: String,
    ) -> impl Future<Output = BResult<()>> + Send;
    /// `:wscat`: a client connected to the stage (its `$connect` ran).
    fn wscat_open(
        &self,
        api_id: String,
        stage: String,
    ) -> impl Future<Output = BResult<WscatSession>> + Send;
}

/// Updates a console subscription holds at most before log batches are dropped.
pub const EVENT_QUEUE: usize = 256;
