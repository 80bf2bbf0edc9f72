//! TestInvokeMethod (`POST /restapis/{id}/resources/{rid}/methods/{verb}`, the AWS console's
//! "Test" button): runs one request through a method as it is defined now, before any
//! deployment, and answers with the response, the execution log and the latency.
//!
//! The method is compiled on its own (another method's broken template does not stop it), into
//! a stage that exists for this one call (`test-invoke-stage`, the stage variables the caller
//! gives). The pipeline then skips what AWS skips for a test: authorization, API keys,
//! throttling, the cache, metrics and access logs (`pipeline::run_test`).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::apis::normalise_verb;
use crate::engine::Gateway;
use crate::engine::compiled::CompiledDeployment;
use crate::engine::live::LiveStage;
use crate::engine::logs::StageLog;
use crate::engine::pipeline::{self, InvokeRequest};
use crate::model::validate::validate_stage_variables;
use crate::model::{AdminError, ApiDefinition, Stage, TestInvokeMethod, TestInvokeResult};

/// The stage name a test invocation runs in (`$context.stage`), as on AWS.
pub const TEST_STAGE: &str = "test-invoke-stage";

impl Gateway {
    /// TestInvokeMethod: see the module documentation. Refuses (BadRequest) a path that does
    /// not lead to the method's resource, a bad header, bad stage variables and a method
    /// without an integration; an unknown API, resource or method is NotFound.
    pub async fn test_invoke_method(
        &self,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        input: TestInvokeMethod,
    ) -> Result<TestInvokeResult, AdminError> {
        let sent = normalise_verb(verb)?;
        validate_stage_variables(&input.stage_variables)?;
        // A verb the resource does not declare runs its ANY method when it has one
        // (AWS-recorded: localstack test_failed_invoke_test_method tests GET on an ANY method).
        let (definition, resource_path, verb) = self.read(|a| {
            let def = &a.api(api_id)?.definition;
            let verb = match def.method(resource_id, &sent) {
                Ok(_) => sent.clone(),
                Err(e) => match def.method(resource_id, "ANY") {
                    Ok(_) => "ANY".to_string(),
                    Err(_) => return Err(e),
                },
            };
            let path = def.require_resource(resource_id)?.path.clone();
            Ok((only_method(def, resource_id, &verb), path, verb))
        })?;
        let definition = Arc::new(definition);
        let definition_headers = definition.clone();
        let deployment = CompiledDeployment::compile("test-invoke", definition)
            .map_err(|e| AdminError::bad_request(e.0))?;
        if deployment
            .methods
            .first()
            .is_none_or(|m| m.integration.is_none())
        {
            return Err(AdminError::bad_request("No integration defined for method"));
        }
        let deployment = Arc::new(deployment);
        let stage = Stage {
            stage_name: TEST_STAGE.to_string(),
            deployment_id: deployment.deployment_id.to_string(),
            variables: input.stage_variables,
            ..Stage::default()
        };
        let live = Arc::new(LiveStage {
            log: Arc::new(StageLog::new(api_id, &stage)),
            traffic: self.inner.traffic.test_stage(&deployment),
            variables: Arc::new(stage.variables.clone()),
            deployment,
            canary: None,
            stage,
        });
        let target = input
            .path_with_query_string
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| resource_path.clone());
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (target.clone(), None),
        };
        if !path.starts_with('/') {
            return Err(AdminError::bad_request(format!(
                "Invalid pathWithQueryString: {target} (it must start with /)"
            )));
        }
        // A path that does not lead to the resource still runs the method, without path
        // parameters (AWS-recorded: localstack test_invoke_test_method, `/random/test`).
        let sent_verb = if sent == "ANY" {
            verb_for_route(&sent)
        } else {
            sent.clone()
        };
        let request = InvokeRequest {
            method: http::Method::from_bytes(sent_verb.as_bytes())
                .map_err(|_| AdminError::bad_request(format!("Invalid HttpMethod: {verb}")))?,
            api_id: api_id.to_string(),
            stage: TEST_STAGE.to_string(),
            context_path: format!("/{TEST_STAGE}{path}"),
            path,
            query,
            headers: header_map(&input.headers, &input.multi_value_headers)?,
            body: Bytes::from(input.body.unwrap_or_default()),
            source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            protocol: "HTTP/1.1",
            base_path_matched: None,
            client_cert: None,
        };
        let run = pipeline::run_test(self, &request, live, &resource_path).await;
        let declared = declared_header_names(&definition_headers);
        let mut headers = BTreeMap::new();
        let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in &run.response.headers {
            // The ids every deployed response carries are not part of a test's answer
            // (AWS-recorded: localstack test_invoke_test_method answers Content-Type alone).
            if matches!(name.as_str(), "x-amzn-requestid" | "x-amz-apigw-id") {
                continue;
            }
            // A failed test answers the error type alone (AWS-recorded: localstack
            // test_failed_invoke_test_method, `headers: {x-amzn-ErrorType: ...}`).
            if run.failed && name == http::header::CONTENT_TYPE {
                continue;
            }
            let name = answer_header_name(name.as_str(), &declared);
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers.insert(name.clone(), value.clone());
            multi.entry(name).or_default().push(value);
        }
        Ok(TestInvokeResult {
            status: run.response.status.as_u16(),
            body: String::from_utf8_lossy(&run.response.body).into_owned(),
            headers,
            multi_value_headers: multi,
            log: run.log.test_invoke_text(&run.request_id),
            latency: i64::try_from(run.latency.as_millis()).unwrap_or(i64::MAX),
        })
    }
}

/// The spelling of a response header in TestInvokeMethod's answer: as the method responses
/// declare it, else as AWS spells its own (`Content-Type`, `x-amzn-ErrorType`), else as sent.
fn answer_header_name(name: &str, declared: &[String]) -> String {
    if let Some(d) = declared.iter().find(|d| d.eq_ignore_ascii_case(name)) {
        return d.clone();
    }
    match name {
        "content-type" => "Content-Type".to_string(),
        "content-length" => "Content-Length".to_string(),
        "x-amzn-errortype" => "x-amzn-ErrorType".to_string(),
        "x-amzn-trace-id" => "X-Amzn-Trace-Id".to_string(),
        other => other.to_string(),
    }
}

/// The header names the method's responses declare (`method.response.header.NAME`).
fn declared_header_names(def: &ApiDefinition) -> Vec<String> {
    def.resources
        .iter()
        .flat_map(|r| r.resource_methods.values())
        .flat_map(|m| m.method_responses.values())
        .flat_map(|mr| mr.response_parameters.keys())
        .filter_map(|k| k.strip_prefix("method.response.header."))
        .map(str::to_string)
        .collect()
}

/// `ANY` is declared, not sent: a test of an ANY method is sent as a GET (the router's ANY
/// entry takes any verb).
fn verb_for_route(verb: &str) -> String {
    if verb == "ANY" {
        "GET".to_string()
    } else {
        verb.to_string()
    }
}

/// The API with every method but (`resource_id`, `verb`) removed, resources kept (the paths
/// stay the same, so the route still resolves as it would deployed).
fn only_method(def: &ApiDefinition, resource_id: &str, verb: &str) -> ApiDefinition {
    let mut def = def.clone();
    for r in &mut def.resources {
        if r.id == resource_id {
            r.resource_methods.retain(|v, _| v == verb);
        } else {
            r.resource_methods.clear();
        }
    }
    def
}

/// The request headers: each `headers` value, then the `multiValueHeaders` values.
fn header_map(
    single: &BTreeMap<String, String>,
    multi: &BTreeMap<String, Vec<String>>,
) -> Result<HeaderMap, AdminError> {
    let mut map = HeaderMap::new();
    let pairs = single.iter().chain(
        multi
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k, v))),
    );
    for (name, value) in pairs {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| AdminError::bad_request(format!("Invalid header name: {name}")))?;
        let value = HeaderValue::from_str(value).map_err(|_| {
            AdminError::bad_request(format!("Invalid value for header {name}: {value:?}"))
        })?;
        map.append(name, value);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_headers_are_spelled_as_declared_then_as_aws_spells_its_own() {
        let declared = vec!["X-Custom".to_string()];
        assert_eq!(answer_header_name("x-custom", &declared), "X-Custom");
        assert_eq!(
            answer_header_name("content-type", &declared),
            "Content-Type"
        );
        assert_eq!(
            answer_header_name("x-amzn-errortype", &declared),
            "x-amzn-ErrorType"
        );
        assert_eq!(answer_header_name("x-other", &declared), "x-other");
    }

    #[test]
    fn headers_keep_every_value_and_refuse_bad_names() {
        let single = BTreeMap::from([("Accept".to_string(), "a/b".to_string())]);
        let multi = BTreeMap::from([("x-v".to_string(), vec!["1".to_string(), "2".to_string()])]);
        let map = header_map(&single, &multi).unwrap();
        assert_eq!(map["accept"], "a/b");
        let xs: Vec<_> = map.get_all("x-v").iter().collect();
        assert_eq!(xs, ["1", "2"]);
        let bad = BTreeMap::from([("bad name".to_string(), "v".to_string())]);
        let err = header_map(&bad, &BTreeMap::new()).unwrap_err();
        assert!(
            err.to_string().contains("Invalid header name: bad name"),
            "{err}"
        );
        let bad_value = BTreeMap::from([("x".to_string(), "a\nb".to_string())]);
        assert!(header_map(&bad_value, &BTreeMap::new()).is_err());
    }
}
