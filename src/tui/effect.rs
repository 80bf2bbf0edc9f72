//! What `App::update` asks the outside world to do. The runner performs each effect with
//! the [`Backend`](super::backend::Backend) in a spawned task and feeds the outcome back
//! as a [`DataUpdate`](super::msg::DataUpdate).

use std::time::Duration;

use super::sample::SampleRequest;
use crate::model::PatchOperation;

/// Which mapping template of a method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateTarget {
    /// `integration.requestTemplates[content_type]`.
    Request { content_type: String },
    /// `integration.integrationResponses[status_code].responseTemplates[content_type]`.
    Response {
        status_code: String,
        content_type: String,
    },
    /// An HTTP API integration's `requestParameters` and `responseParameters`, as one JSON
    /// document.
    HttpMappings { integration_id: String },
}

impl TemplateTarget {
    pub fn content_type(&self) -> &str {
        match self {
            TemplateTarget::Request { content_type }
            | TemplateTarget::Response { content_type, .. } => content_type,
            TemplateTarget::HttpMappings { .. } => "application/json",
        }
    }

    pub fn label(&self) -> String {
        match self {
            TemplateTarget::Request { content_type } => format!("request {content_type}"),
            TemplateTarget::Response {
                status_code,
                content_type,
            } => format!("response {status_code} {content_type}"),
            TemplateTarget::HttpMappings { integration_id } => {
                format!("parameter mappings of integration {integration_id}")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadApis,
    LoadHttpApis,
    LoadStages {
        rest_api_id: String,
    },
    LoadDeploymentDefinition {
        rest_api_id: String,
        deployment_id: String,
    },
    LoadMetrics {
        rest_api_id: String,
        window_seconds: i64,
        /// Cluster mode: the whole cluster merged, or one node's.
        scope: crate::engine::MetricsScope,
    },
    /// The last minute of an API's metrics, for the live columns of the APIs view.
    LoadPulse {
        rest_api_id: String,
    },
    LoadUsage,
    /// The cluster's nodes (the Nodes view).
    LoadNodes,
    /// The trace of one request, for the Trace view.
    LoadTrace {
        request_id: String,
    },
    Deploy {
        rest_api_id: String,
        stage_name: String,
        description: Option<String>,
    },
    /// AWS UpdateStage: variables, method settings, cache, canary weight/overrides.
    PatchStage {
        rest_api_id: String,
        stage_name: String,
        ops: Vec<PatchOperation>,
    },
    /// Point the stage back at an earlier deployment.
    Rollback {
        rest_api_id: String,
        stage_name: String,
        deployment_id: String,
    },
    FlushCache {
        rest_api_id: String,
        stage_name: String,
    },
    PromoteCanary {
        rest_api_id: String,
        stage_name: String,
    },
    DeleteCanary {
        rest_api_id: String,
        stage_name: String,
    },
    /// Create a canary on the stage for its current working definition at a weight.
    CreateCanary {
        rest_api_id: String,
        stage_name: String,
        percent_traffic: f64,
    },
    SaveTemplate {
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        target: TemplateTarget,
        template: String,
    },
    /// AWS UpdateIntegration patch operations.
    UpdateIntegration {
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        ops: Vec<PatchOperation>,
    },
    /// Render a template against a sample request for the editor's test panel; `seq`
    /// comes back with the result so a stale render never replaces a newer one.
    RenderTemplate {
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        target: TemplateTarget,
        template: String,
        sample: SampleRequest,
        seq: u64,
    },
    /// GetModelTemplate: a template generated from `model_name`, for the open editor.
    GenerateTemplate {
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        target: TemplateTarget,
        model_name: String,
    },
    /// TestInvokeMethod: run a method as defined now with a sample request.
    TestInvoke {
        rest_api_id: String,
        resource_id: String,
        http_method: String,
        sample: SampleRequest,
    },
    /// A request to an HTTP API route run through the engine on `stage` (`path` with its
    /// query); answered as `TestInvoked` with `route_key` as the resource.
    TestInvokeHttp {
        api_id: String,
        stage: String,
        route_key: String,
        method: String,
        path: String,
        sample: SampleRequest,
    },
    /// Wake the app after `delay` with `DataUpdate::RenderDue(seq)` (the test panel's
    /// debounce: only the last edit's timer still matches when it fires).
    RenderAfter {
        delay: Duration,
        seq: u64,
    },
    Import {
        path: String,
    },
    Export {
        rest_api_id: String,
        path: String,
    },
    /// Built-in load generator: `rate` requests per second at a stage (0 stops it).
    SetTraffic {
        rest_api_id: String,
        stage_name: String,
        rate: f64,
    },
    CreateApiKey {
        name: String,
    },
    CreateUsagePlan {
        name: String,
    },
    UpdateApiKey {
        api_key_id: String,
        ops: Vec<PatchOperation>,
    },
    DeleteApiKey {
        api_key_id: String,
    },
    /// The open connections of a WebSocket API stage.
    LoadConnections {
        api_id: String,
        stage: String,
    },
    /// `@connections` POST: `data` to one connection.
    PostToConnection {
        api_id: String,
        stage: String,
        connection_id: String,
        data: String,
    },
    /// `@connections` DELETE: disconnect one connection (`$disconnect` runs).
    DeleteConnection {
        api_id: String,
        stage: String,
        connection_id: String,
    },
    /// `:wscat`: connect a client to a stage.
    WscatOpen {
        api_id: String,
        stage: String,
    },
    /// Send a line on a `:wscat` session.
    WscatSend {
        session: crate::tui::wscat::WscatSession,
        text: String,
    },
    /// Wait for a `:wscat` session's next frames (answered as `WscatFrames`).
    WscatRecv {
        session: crate::tui::wscat::WscatSession,
    },
    /// Close a `:wscat` session.
    WscatClose {
        session: crate::tui::wscat::WscatSession,
    },
    /// Write a file (saved logs).
    WriteFile {
        path: String,
        contents: String,
    },
    Quit,
}
