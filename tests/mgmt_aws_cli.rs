//! The real AWS CLI against `gwtui`'s management API (`--endpoint-url`), with the deployed
//! stage invoked in between. Without a CLI (set `GWTUI_AWS_CLI` or put `aws` on PATH) it is
//! skipped with a message, or fails when `CI` is set (`common::require_tool`).

mod common;
mod mgmt_support;

use std::path::Path;

use common::TestGateway;
use mgmt_support::{ACCESS_KEY, aws_env, echo_backend};
use serde_json::Value;

struct Cli<'a> {
    exe: &'a Path,
    endpoint: String,
}

impl Cli<'_> {
    async fn run(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = tokio::process::Command::new(self.exe);
        aws_env(&mut cmd);
        cmd.arg("apigateway").args(args).args([
            "--endpoint-url",
            &self.endpoint,
            "--output",
            "json",
        ]);
        cmd.output().await.expect("run aws")
    }

    /// Runs a command that must succeed; returns its JSON output (Null when it prints nothing).
    async fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "aws apigateway {args:?} failed: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        if stdout.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&stdout).expect("CLI output is JSON")
        }
    }
}

async fn invoke(
    t: &TestGateway,
    api: &str,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, String) {
    let r = t
        .client
        .get(t.url(api, "test", path))
        .send()
        .await
        .expect("invoke");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_builds_deploys_updates_exports_and_deletes_an_api() {
    common::init();
    let Some(exe) = common::require_tool("aws") else {
        return;
    };
    let t = TestGateway::start().await;
    let backend = echo_backend().await;
    let cli = Cli {
        exe: &exe,
        endpoint: t.base(),
    };

    let api = cli
        .ok(&[
            "create-rest-api",
            "--name",
            "cli-api",
            "--description",
            "made by the AWS CLI",
            "--tags",
            "team=gw",
        ])
        .await;
    let api_id = api["id"].as_str().expect("id").to_string();
    assert_eq!(api["name"], "cli-api");
    assert_eq!(api["tags"]["team"], "gw");
    let resources = cli.ok(&["get-resources", "--rest-api-id", &api_id]).await;
    let root = resources["items"][0]["id"]
        .as_str()
        .expect("root id")
        .to_string();
    assert_eq!(resources["items"][0]["path"], "/");

    // MOCK: GET /mock with a response header and template.
    let mock = cli
        .ok(&[
            "create-resource",
            "--rest-api-id",
            &api_id,
            "--parent-id",
            &root,
            "--path-part",
            "mock",
        ])
        .await;
    let mock_id = mock["id"].as_str().expect("resource id").to_string();
    assert_eq!(mock["path"], "/mock");
    let m = cli
        .ok(&[
            "put-method",
            "--rest-api-id",
            &api_id,
            "--resource-id",
            &mock_id,
            "--http-method",
            "GET",
            "--authorization-type",
            "NONE",
        ])
        .await;
    assert_eq!(m["httpMethod"], "GET");
    assert_eq!(m["authorizationType"], "NONE");
    let i = cli
        .ok(&[
            "put-integration",
            "--rest-api-id",
            &api_id,
            "--resource-id",
            &mock_id,
            "--http-method",
            "GET",
            "--type",
            "MOCK",
            "--request-templates",
            r#"{"application/json":"{\"statusCode\": 200}"}"#,
        ])
        .await;
    assert_eq!(i["type"], "MOCK");
    cli.ok(&[
        "put-method-response",
        "--rest-api-id",
        &api_id,
        "--resource-id",
        &mock_id,
        "--http-method",
        "GET",
        "--status-code",
        "200",
        "--response-parameters",
        "method.response.header.x-mock=false",
    ])
    .await;
    let ir = cli
        .ok(&[
            "put-integration-response",
            "--rest-api-id",
            &api_id,
            "--resource-id",
            &mock_id,
            "--http-method",
            "GET",
            "--status-code",
            "200",
            "--selection-pattern",
            "",
            "--response-parameters",
            r#"{"method.response.header.x-mock":"'yes'"}"#,
            "--response-templates",
            r#"{"application/json":"{\"mock\": true}"}"#,
        ])
        .await;
    assert_eq!(ir["statusCode"], "200");

    // HTTP_PROXY: GET /backend to the local echo server.
    let proxy = cli
        .ok(&[
            "create-resource",
            "--rest-api-id",
            &api_id,
            "--parent-id",
            &root,
            "--path-part",
            "backend",
        ])
        .await;
    let proxy_id = proxy["id"].as_str().expect("resource id").to_string();
    cli.ok(&[
        "put-method",
        "--rest-api-id",
        &api_id,
        "--resource-id",
        &proxy_id,
        "--http-method",
        "GET",
        "--authorization-type",
        "NONE",
    ])
    .await;
    let uri = format!("http://{backend}/echo");
    let pi = cli
        .ok(&[
            "put-integration",
            "--rest-api-id",
            &api_id,
            "--resource-id",
            &proxy_id,
            "--http-method",
            "GET",
            "--type",
            "HTTP_PROXY",
            "--integration-http-method",
            "GET",
            "--uri",
            &uri,
        ])
        .await;
    assert_eq!(pi["type"], "HTTP_PROXY");
    assert_eq!(pi["httpMethod"], "GET");
    assert_eq!(pi["uri"], uri.as_str());
    let got = cli
        .ok(&[
            "get-method",
            "--rest-api-id",
            &api_id,
            "--resource-id",
            &mock_id,
            "--http-method",
            "GET",
        ])
        .await;
    assert_eq!(
        got["methodIntegration"]["integrationResponses"]["200"]["responseTemplates"]["application/json"],
        "{\"mock\": true}"
    );

    // A custom domain with a base path mapping.
    let domain = cli
        .ok(&[
            "create-domain-name",
            "--domain-name",
            "api.example.com",
            "--endpoint-configuration",
            "types=REGIONAL",
        ])
        .await;
    assert_eq!(domain["domainName"], "api.example.com");
    // A multi-level base path is refused on v1 with AWS's message (it is an apigatewayv2 API
    // mapping there).
    let multi = cli
        .run(&[
            "create-base-path-mapping",
            "--domain-name",
            "api.example.com",
            "--base-path",
            "v1/shop",
            "--rest-api-id",
            &api_id,
        ])
        .await;
    assert!(!multi.status.success());
    let stderr = String::from_utf8_lossy(&multi.stderr);
    assert!(
        stderr.contains("BadRequestException")
            && stderr.contains(
                "API Gateway V1 doesn't support the slash character (/) in base path mappings"
            ),
        "{stderr}"
    );
    cli.ok(&[
        "create-base-path-mapping",
        "--domain-name",
        "api.example.com",
        "--base-path",
        "shop",
        "--rest-api-id",
        &api_id,
    ])
    .await;
    let mapping = cli
        .ok(&[
            "get-base-path-mapping",
            "--domain-name",
            "api.example.com",
            "--base-path",
            "shop",
        ])
        .await;
    assert_eq!(mapping["restApiId"], api_id.as_str());
    let mappings = cli
        .ok(&["get-base-path-mappings", "--domain-name", "api.example.com"])
        .await;
    assert_eq!(mappings["items"][0]["basePath"], "shop");

    let part = cli
        .ok(&[
            "create-documentation-part",
            "--rest-api-id",
            &api_id,
            "--location",
            "type=METHOD,path=/mock,method=GET",
            "--properties",
            r#"{"summary":"a mock"}"#,
        ])
        .await;
    assert_eq!(part["location"]["statusCode"], Value::Null);
    let parts = cli
        .ok(&[
            "get-documentation-parts",
            "--rest-api-id",
            &api_id,
            "--type",
            "METHOD",
        ])
        .await;
    assert_eq!(parts["items"][0]["properties"], r#"{"summary":"a mock"}"#);

    let template = cli
        .ok(&[
            "get-model-template",
            "--rest-api-id",
            &api_id,
            "--model-name",
            "Error",
        ])
        .await;
    assert!(
        template["value"]
            .as_str()
            .is_some_and(|v| v.contains("\"message\" : \"$inputRoot.message\"")),
        "{template}"
    );

    let account = cli.ok(&["get-account"]).await;
    assert_eq!(account["throttleSettings"]["rateLimit"], 10000.0);
    assert_eq!(account["throttleSettings"]["burstLimit"], 5000);
    let updated = cli
        .ok(&[
            "update-account",
            "--patch-operations",
            "op=replace,path=/cloudwatchRoleArn,value=arn:aws:iam::123456789012:role/logs",
            "op=replace,path=/throttleSettings/rateLimit,value=20000",
        ])
        .await;
    assert_eq!(
        updated["cloudwatchRoleArn"],
        "arn:aws:iam::123456789012:role/logs"
    );
    assert_eq!(updated["throttleSettings"]["rateLimit"], 20000.0);

    // TestInvokeMethod runs both methods as defined now, before any deployment.
    let tested = cli
        .ok(&[
            "test-invoke-method",
            "--rest-api-id",
            &api_id,
            "--resource-id",
            &mock_id,
            "--http-method",
            "GET",
            "--path-with-query-string",
            "/mock?probe=1",
        ])
        .await;
    assert_eq!(tested["status"], 200, "{tested}");
    assert_eq!(tested["body"], "{\"mock\": true}");
    assert_eq!(tested["headers"]["x-mock"], "yes");
    let log = tested["log"].as_str().unwrap_or_default();
    assert!(log.starts_with("Execution log for request "), "{log}");
    assert!(
        log.contains(" : Method request query string: {probe=1}"),
        "{log}"
    );
    let tested = cli
        .ok(&[
            "test-invoke-method",
            "--rest-api-id",
            &api_id,
            "--resource-id",
            &proxy_id,
            "--http-method",
            "GET",
        ])
        .await;
    assert_eq!(tested["status"], 200, "{tested}");
    assert!(
        tested["body"]
            .as_str()
            .is_some_and(|b| b.contains("\"uri\":\"/echo\"")),
        "{tested}"
    );

    // Deploy with a stage variable, then invoke both methods.
    let dep = cli
        .ok(&[
            "create-deployment",
            "--rest-api-id",
            &api_id,
            "--stage-name",
            "test",
            "--description",
            "first",
            "--variables",
            "greeting=hello",
        ])
        .await;
    let dep_id = dep["id"].as_str().expect("deployment id").to_string();
    let renamed = cli
        .ok(&[
            "update-deployment",
            "--rest-api-id",
            &api_id,
            "--deployment-id",
            &dep_id,
            "--patch-operations",
            "op=replace,path=/description,value=first-renamed",
        ])
        .await;
    assert_eq!(renamed["description"], "first-renamed");
    let (status, headers, body) = invoke(&t, &api_id, "/mock").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, "{\"mock\": true}");
    assert_eq!(
        headers.get("x-mock").and_then(|v| v.to_str().ok()),
        Some("yes")
    );
    let (status, headers, body) = invoke(&t, &api_id, "/backend").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        headers.get("x-backend").and_then(|v| v.to_str().ok()),
        Some("echo")
    );
    let echoed: Value = serde_json::from_str(&body).expect("backend JSON");
    assert_eq!(echoed["uri"], "/echo");

    let stages = cli.ok(&["get-stages", "--rest-api-id", &api_id]).await;
    let stage = &stages["item"][0];
    assert_eq!(stage["stageName"], "test");
    assert_eq!(stage["deploymentId"], dep_id.as_str());
    assert_eq!(stage["variables"]["greeting"], "hello");

    // UpdateStage: a variable and methodSettings (all methods, and one method by its path).
    let updated = cli
        .ok(&[
            "update-stage",
            "--rest-api-id",
            &api_id,
            "--stage-name",
            "test",
            "--patch-operations",
            "op=replace,path=/variables/greeting,value=bye",
            "op=replace,path=/*/*/throttling/rateLimit,value=100",
            "op=replace,path=/~1mock/GET/metrics/enabled,value=true",
        ])
        .await;
    assert_eq!(updated["variables"]["greeting"], "bye");
    assert_eq!(
        updated["methodSettings"]["*/*"]["throttlingRateLimit"],
        100.0
    );
    assert_eq!(
        updated["methodSettings"]["mock/GET"]["metricsEnabled"],
        true
    );
    let (status, _, body) = invoke(&t, &api_id, "/mock").await;
    assert_eq!((status, body.as_str()), (200, "{\"mock\": true}"));

    // GetExport of the stage, with integrations, to a file.
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("export.json");
    let out_str = out.to_string_lossy().to_string();
    let meta = cli
        .ok(&[
            "get-export",
            "--rest-api-id",
            &api_id,
            "--stage-name",
            "test",
            "--export-type",
            "oas30",
            "--parameters",
            "extensions=integrations",
            "--accepts",
            "application/json",
            &out_str,
        ])
        .await;
    assert_eq!(meta["contentType"], "application/json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("export file"))
        .expect("export JSON");
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.0")),
        "{doc}"
    );
    assert_eq!(
        doc["paths"]["/backend"]["get"]["x-amazon-apigateway-integration"]["type"],
        "http_proxy"
    );
    assert!(doc["paths"]["/mock"]["get"]["x-amazon-apigateway-integration"].is_object());
    // The export imports back (ImportRestApi through the CLI) to the same API.
    let body_arg = format!("fileb://{out_str}");
    let imported = cli.ok(&["import-rest-api", "--body", &body_arg]).await;
    let imported_id = imported["id"].as_str().expect("imported id").to_string();
    let snapshot =
        t.gw.deployment_snapshot(&api_id, &dep_id)
            .expect("snapshot");
    let again =
        t.gw.get_definition(&imported_id)
            .expect("imported definition");
    let opts = gwtui::openapi::ExportOptions {
        extensions: gwtui::openapi::Extensions::Integrations,
        ..Default::default()
    };
    let expected = gwtui::openapi::import(
        &gwtui::openapi::export(&snapshot, &opts).expect("export"),
        &Default::default(),
        None,
    )
    .expect("import");
    gwtui::openapi::compare::same_api(&expected.definition, &again)
        .expect("exported API imports back unchanged");

    // The custom domain still maps to the API: deleting it is refused until the mapping goes.
    let refused = cli
        .run(&["delete-rest-api", "--rest-api-id", &api_id])
        .await;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("BadRequestException") && stderr.contains("base path mappings"),
        "{stderr}"
    );
    cli.ok(&[
        "delete-base-path-mapping",
        "--domain-name",
        "api.example.com",
        "--base-path",
        "shop",
    ])
    .await;

    // Delete, then the API is gone with AWS's error.
    assert_eq!(
        cli.ok(&["delete-rest-api", "--rest-api-id", &api_id]).await,
        Value::Null
    );
    let gone = cli.run(&["get-rest-api", "--rest-api-id", &api_id]).await;
    assert!(!gone.status.success());
    let stderr = String::from_utf8_lossy(&gone.stderr);
    assert!(
        stderr.contains("NotFoundException") && stderr.contains("Invalid API identifier specified"),
        "{stderr}"
    );
    let (status, _, _) = invoke(&t, &api_id, "/mock").await;
    assert_eq!(status, 403);

    // Every change the CLI made is in the audit log under its access key id.
    let audit = t.gw.audit_log(200).expect("audit log");
    let actions: Vec<&str> = audit
        .iter()
        .filter(|r| r.actor == ACCESS_KEY)
        .map(|r| r.action.as_str())
        .collect();
    for expected in [
        "CreateRestApi",
        "CreateResource",
        "PutMethod",
        "PutIntegration",
        "PutMethodResponse",
        "PutIntegrationResponse",
        "CreateDeployment",
        "UpdateStage",
        "ImportRestApi",
        "DeleteRestApi",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from the audit log: {actions:?}"
        );
    }
    assert!(
        audit.iter().all(|r| r.actor == ACCESS_KEY),
        "every change came from the CLI"
    );
    t.stop().await;
}
