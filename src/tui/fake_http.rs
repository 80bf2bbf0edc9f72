//! The fake backend's HTTP API (v2) side: a route's test request (recorded in `calls`,
//! answered with the path and body it carried) and an integration's parameter mappings
//! saved on the routes that target it.

use super::backend::BResult;
use super::fake::FakeState;
use super::sample::SampleRequest;
use crate::model::TestInvokeResult;

/// The fake's run of a request to an HTTP API stage.
pub(super) fn test_invoke_http(
    s: &mut FakeState,
    api_id: &str,
    stage: &str,
    method: &str,
    path: &str,
    sample: SampleRequest,
) -> BResult<TestInvokeResult> {
    if !s.http_apis.iter().any(|a| a.api_id == api_id) {
        return Err(format!("Invalid API identifier specified {api_id}"));
    }
    s.calls
        .push(format!("test-invoke-http {api_id} {stage} {method} {path}"));
    let body = serde_json::json!({"path": path, "body": sample.body}).to_string();
    Ok(TestInvokeResult {
        status: 200,
        body,
        headers: [("content-type".to_string(), "application/json".to_string())].into(),
        multi_value_headers: [(
            "content-type".to_string(),
            vec!["application/json".to_string()],
        )]
        .into(),
        log: "Execution log for request fake-http-1".into(),
        latency: 3,
    })
}

/// The fake's UpdateIntegration of an HTTP API integration's mappings (the routes that
/// target it show them).
pub(super) fn save_mappings(
    s: &mut FakeState,
    api_id: &str,
    integration_id: &str,
    text: &str,
) -> BResult<()> {
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let api = s
        .http_apis
        .iter_mut()
        .find(|a| a.api_id == api_id)
        .ok_or("Invalid API identifier specified")?;
    let request = serde_json::from_value(doc["requestParameters"].clone()).unwrap_or_default();
    let response = serde_json::from_value(doc["responseParameters"].clone()).unwrap_or_default();
    for r in api
        .routes
        .iter_mut()
        .filter(|r| r.integration_id.as_deref() == Some(integration_id))
    {
        r.request_parameters.clone_from(&request);
        r.response_parameters.clone_from(&response);
    }
    Ok(())
}
