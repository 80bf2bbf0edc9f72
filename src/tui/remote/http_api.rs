//! The HTTP API (v2) side of [`RemoteBackend`]: a route's test request sent to the server's
//! invoke URL as a client would send it, and an integration's parameter mappings checked
//! and saved with the apigatewayv2 operations.

use std::time::Instant;

use http::{HeaderName, HeaderValue, Method};

use super::{RemoteBackend, encode};
use crate::model::TestInvokeResult;
use crate::model::v2::{DEFAULT, Integration};
use crate::tui::backend::BResult;
use crate::tui::gateway_http::{describe_mappings, mappings_patch};
use crate::tui::sample::SampleRequest;

/// How long a route's test request may take (AWS's HTTP API integration limit is 30 s).
const INVOKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(35);

impl RemoteBackend {
    fn integration_path(api_id: &str, integration_id: &str) -> String {
        format!(
            "/v2/apis/{}/integrations/{}",
            encode(api_id),
            encode(integration_id)
        )
    }

    /// Checks mappings against the integration as the server has it now.
    pub(super) async fn check_http_mappings(
        &self,
        api_id: &str,
        integration_id: &str,
        text: &str,
    ) -> BResult<String> {
        let integration: Integration = self
            .call_json(
                Method::GET,
                &Self::integration_path(api_id, integration_id),
                "",
                super::NONE,
            )
            .await?;
        describe_mappings(integration, text)
    }

    /// UpdateIntegration with the editor's mappings.
    pub(super) async fn save_http_mappings(
        &self,
        api_id: &str,
        integration_id: &str,
        text: &str,
    ) -> BResult<()> {
        let patch = mappings_patch(text)?;
        self.call(
            Method::PATCH,
            &Self::integration_path(api_id, integration_id),
            "",
            Some(&patch),
        )
        .await
        .map(|_| ())
    }

    /// Sends `method path` to the API's `stage` on the server's invoke URL, host-style.
    pub(super) async fn invoke_http(
        &self,
        api_id: String,
        stage: String,
        method: String,
        path: String,
        sample: SampleRequest,
    ) -> BResult<TestInvokeResult> {
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| format!("invalid method {method}"))?;
        let path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        let url = if stage == DEFAULT {
            format!("{}{path}", self.inner.base)
        } else {
            format!("{}/{}{path}", self.inner.base, encode(&stage))
        };
        let host = format!("{api_id}.execute-api.localhost:{}", self.inner.addr.port());
        let mut request = self
            .inner
            .http
            .request(method, url)
            .timeout(INVOKE_TIMEOUT)
            .header(
                http::header::HOST,
                HeaderValue::from_str(&host).map_err(|_| format!("invalid API id {api_id}"))?,
            );
        for (k, v) in &sample.headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| format!("invalid header name {k}"))?;
            let value =
                HeaderValue::from_str(v).map_err(|_| format!("invalid value for header {k}"))?;
            request = request.header(name, value);
        }
        let started = Instant::now();
        let response = request
            .body(sample.body)
            .send()
            .await
            .map_err(|e| format!("the server did not answer: {e}"))?;
        let status = response.status().as_u16();
        let mut single = std::collections::BTreeMap::new();
        let mut multi: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (name, value) in response.headers() {
            let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
            single.insert(name.to_string(), v.clone());
            multi.entry(name.to_string()).or_default().push(v);
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("the answer was cut: {e}"))?;
        let latency = started.elapsed().as_millis() as i64;
        let request_id = single.get("apigw-requestid").cloned().unwrap_or_default();
        Ok(TestInvokeResult {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
            headers: single,
            multi_value_headers: multi,
            log: format!(
                "Execution log for request {request_id}\nHTTP APIs keep no execution log: see the access log and the logs view (7)"
            ),
            latency,
        })
    }
}
