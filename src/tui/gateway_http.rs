//! The HTTP API (v2) side of the console's [`Backend`](super::backend::Backend) for the real
//! engine: route rows, a route's test request run through [`Gateway::invoke`] as a client
//! would send it to the stage, and an integration's parameter mappings checked and saved
//! with the apigatewayv2 operations.

use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use indexmap::IndexMap;
use serde::Deserialize;

use super::backend::BResult;
use super::gateway::{GatewayBackend, actor, msg};
use super::msg::HttpRouteRow;
use super::sample::SampleRequest;
use crate::engine::Gateway;
use crate::engine::InvokeRequest;
use crate::model::TestInvokeResult;
use crate::model::v2::{DEFAULT, validate};

/// The editor's document for an integration's parameter mappings.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Mappings {
    #[serde(default)]
    request_parameters: IndexMap<String, String>,
    #[serde(default)]
    response_parameters: IndexMap<String, IndexMap<String, String>>,
}

fn parse_mappings(text: &str) -> BResult<Mappings> {
    serde_json::from_str(text).map_err(|e| {
        format!(
            "line {}, column {}: the mappings are a JSON object {{\"requestParameters\": {{…}}, \"responseParameters\": {{\"200\": {{…}}}}}} of strings",
            e.line(),
            e.column()
        )
    })
}

/// Checks the editor's mappings against `integration` as it is now (what saving would
/// store) and lists them; the error is the BadRequest message saving would get.
pub(crate) fn describe_mappings(
    mut integration: crate::model::v2::Integration,
    text: &str,
) -> BResult<String> {
    let m = parse_mappings(text)?;
    integration.request_parameters = m.request_parameters;
    integration.response_parameters = m.response_parameters;
    validate::integration(&mut integration, &|u| {
        Gateway::lambda_function_name(u).is_some()
    })
    .map_err(msg)?;
    let mut out = String::from("valid\nrequest:\n");
    for (k, v) in &integration.request_parameters {
        out.push_str(&format!("  {k} ← {v}\n"));
    }
    for (status, list) in &integration.response_parameters {
        out.push_str(&format!("response {status}:\n"));
        for (k, v) in list {
            out.push_str(&format!("  {k} ← {v}\n"));
        }
    }
    Ok(out)
}

/// UpdateIntegration's body for the editor's mappings.
pub(crate) fn mappings_patch(text: &str) -> BResult<serde_json::Value> {
    let m = parse_mappings(text)?;
    Ok(serde_json::json!({
        "requestParameters": m.request_parameters,
        "responseParameters": m.response_parameters,
    }))
}

impl GatewayBackend {
    /// Checks mappings against the integration as it is now; see [`describe_mappings`].
    pub(super) fn check_http_mappings(
        &self,
        api_id: &str,
        integration_id: &str,
        text: &str,
    ) -> BResult<String> {
        let integration = self
            .gw
            .get_http_integration(api_id, integration_id)
            .map_err(msg)?;
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
        self.gw
            .update_http_integration(&actor(), api_id, integration_id, patch)
            .await
            .map(|_| ())
            .map_err(msg)
    }

    /// Runs `method path` on the API's `stage` through the engine, host-style.
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
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (path, None),
        };
        let mut headers = HeaderMap::new();
        for (k, v) in &sample.headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| format!("invalid header name {k}"))?;
            let value =
                HeaderValue::from_str(v).map_err(|_| format!("invalid value for header {k}"))?;
            headers.append(name, value);
        }
        let host = format!("{api_id}.execute-api.localhost:{}", self.listener.port());
        if let Ok(v) = HeaderValue::from_str(&host) {
            headers.insert(http::header::HOST, v);
        }
        let context_path = if stage == DEFAULT {
            path.clone()
        } else {
            format!("/{stage}{path}")
        };
        let request = InvokeRequest {
            method,
            api_id,
            stage,
            path,
            query,
            headers,
            body: Bytes::from(sample.body),
            source_ip: std::net::IpAddr::from([127, 0, 0, 1]),
            protocol: "HTTP/1.1",
            context_path,
            base_path_matched: None,
            client_cert: None,
        };
        let started = Instant::now();
        let response = self.gw.invoke(request).await;
        let latency = started.elapsed().as_millis() as i64;
        let mut single = std::collections::BTreeMap::new();
        let mut multi: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (name, value) in &response.headers {
            let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
            single.insert(name.to_string(), v.clone());
            multi.entry(name.to_string()).or_default().push(v);
        }
        let request_id = single.get("apigw-requestid").cloned().unwrap_or_default();
        Ok(TestInvokeResult {
            status: response.status.as_u16(),
            body: String::from_utf8_lossy(&response.body).into_owned(),
            headers: single,
            multi_value_headers: multi,
            log: format!(
                "Execution log for request {request_id}\nHTTP APIs keep no execution log: see the access log and the logs view (7)"
            ),
            latency,
        })
    }
}

/// A route as the console's routes table shows it: key → integration, auth, throttling.
pub(crate) fn http_route_row(
    r: &crate::model::v2::Route,
    integrations: &[crate::model::v2::Integration],
    authorizers: &[crate::model::v2::Authorizer],
    stages: &[crate::model::v2::Stage],
) -> HttpRouteRow {
    let integration = r
        .integration_id()
        .and_then(|id| integrations.iter().find(|i| i.integration_id == id))
        .map(
            |i| match (i.integration_type.as_str(), &i.integration_subtype) {
                (_, Some(subtype)) => format!("AWS {subtype}"),
                ("AWS_PROXY", None) => format!(
                    "Lambda {} {}",
                    i.payload_format_version.as_deref().unwrap_or("?"),
                    i.integration_uri
                        .as_deref()
                        .and_then(Gateway::lambda_function_name)
                        .unwrap_or_default()
                ),
                (kind, None) => format!(
                    "{kind} {} {}",
                    i.integration_method.as_deref().unwrap_or("ANY"),
                    i.integration_uri.as_deref().unwrap_or_default()
                ),
            },
        )
        .unwrap_or_else(|| "(no integration)".into());
    let authorizer = r
        .authorizer_id
        .as_deref()
        .and_then(|id| authorizers.iter().find(|a| a.authorizer_id == id))
        .map(|a| a.name.clone())
        .unwrap_or_default();
    let mut auth = r.authorization_type.clone();
    if !authorizer.is_empty() {
        auth = format!("{auth} {authorizer}");
    }
    if !r.authorization_scopes.is_empty() {
        auth = format!("{auth} [{}]", r.authorization_scopes.join(" "));
    }
    let throttling: Vec<String> = stages
        .iter()
        .filter_map(|s| {
            let t = s
                .route_settings
                .get(&r.route_key)
                .filter(|t| t.throttling_rate_limit.is_some() || t.throttling_burst_limit.is_some())
                .unwrap_or(&s.default_route_settings);
            match (t.throttling_rate_limit, t.throttling_burst_limit) {
                (None, None) => None,
                (rate, burst) => Some(format!(
                    "{} {}/s burst {}",
                    s.stage_name,
                    rate.map_or("-".into(), |r| r.to_string()),
                    burst.map_or("-".into(), |b| b.to_string())
                )),
            }
        })
        .collect();
    let target = r
        .integration_id()
        .and_then(|id| integrations.iter().find(|i| i.integration_id == id));
    HttpRouteRow {
        integration_id: target.map(|i| i.integration_id.clone()),
        request_parameters: target
            .map(|i| i.request_parameters.clone())
            .unwrap_or_default(),
        response_parameters: target
            .map(|i| i.response_parameters.clone())
            .unwrap_or_default(),
        route_key: r.route_key.clone(),
        integration,
        auth,
        throttling: if throttling.is_empty() {
            "-".into()
        } else {
            throttling.join(", ")
        },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::engine::v2::CreateApi;
    use crate::tui::backend::Backend;
    use crate::tui::effect::TemplateTarget;

    /// A backend answering 200 with the request head it received as the body.
    async fn echo_head() -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        head.len()
                    );
                    let _ = s.write_all(answer.as_bytes()).await;
                    let _ = s.write_all(&head).await;
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn a_route_test_runs_through_the_engine_and_saved_mappings_apply() {
        let dir = tempfile::tempdir().expect("temp dir");
        let gw = Gateway::open(crate::engine::EngineConfig::new(dir.path())).expect("open");
        let backend = GatewayBackend::new(
            gw.clone(),
            "127.0.0.1:4566".parse().expect("addr"),
            Arc::new(crate::loadgen::Traffic::default()),
        );
        let upstream = echo_head().await;
        // Quick create: an HTTP_PROXY integration, the `$default` route and auto-deploy stage.
        let api = gw
            .create_http_api(
                &actor(),
                CreateApi {
                    name: "console".into(),
                    protocol_type: "HTTP".into(),
                    target: Some(format!("http://{upstream}")),
                    ..Default::default()
                },
            )
            .await
            .expect("create api");
        let api_id = api.api_id;
        let listed = backend.list_http_apis().await.expect("list");
        let route = &listed[0].routes[0];
        assert_eq!(route.route_key, "$default");
        let integration = route.integration_id.clone().expect("integration id");

        let sample = SampleRequest {
            headers: vec![("x-probe".into(), "1".into())],
            ..Default::default()
        };
        let run = |sample: SampleRequest| {
            backend.test_invoke_http(
                api_id.clone(),
                DEFAULT.into(),
                "GET".into(),
                "/items/7?q=1".into(),
                sample,
            )
        };
        let r = run(sample.clone()).await.expect("invoke");
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.body.starts_with("GET /items/7?q=1 HTTP/1.1"),
            "{}",
            r.body
        );
        assert!(r.body.contains("x-probe: 1"), "{}", r.body);
        assert!(!r.body.contains("x-from-console"), "{}", r.body);
        assert!(r.headers.contains_key("apigw-requestid"), "{:?}", r.headers);
        assert!(r.log.starts_with("Execution log for request "), "{}", r.log);

        // The editor's check: valid mappings are listed, bad ones get UpdateIntegration's error.
        let text =
            r#"{"requestParameters": {"overwrite:header.x-from-console": "$context.routeKey"}}"#;
        let checked = backend
            .check_http_mappings(&api_id, &integration, text)
            .expect("valid");
        assert!(
            checked.contains("overwrite:header.x-from-console ← $context.routeKey"),
            "{checked}"
        );
        let bad = backend
            .check_http_mappings(
                &api_id,
                &integration,
                r#"{"requestParameters": {"move:header.x": "y"}}"#,
            )
            .expect_err("bad key");
        assert!(bad.contains("Invalid mapping expression"), "{bad}");
        let not_json = backend
            .check_http_mappings(&api_id, &integration, "{\n  oops")
            .expect_err("not JSON");
        assert!(not_json.starts_with("line 2"), "{not_json}");

        // Saved: stored on the integration, live on the auto-deploy stage.
        backend
            .save_template(
                api_id.clone(),
                "$default".into(),
                "GET".into(),
                TemplateTarget::HttpMappings {
                    integration_id: integration.clone(),
                },
                text.into(),
            )
            .await
            .expect("save");
        let stored = gw
            .get_http_integration(&api_id, &integration)
            .expect("integration");
        assert_eq!(
            stored
                .request_parameters
                .get("overwrite:header.x-from-console"),
            Some(&"$context.routeKey".to_string())
        );
        let r = run(sample).await.expect("invoke");
        assert!(r.body.contains("x-from-console: $default"), "{}", r.body);
    }
}
