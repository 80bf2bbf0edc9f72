//! The real AWS CLI against a WebSocket API: `aws apigatewayv2` builds it (API with a route
//! selection expression, MOCK integration with request templates, integration and route
//! responses, a model, routes, a stage with auto-deploy, updates and deletes, AWS-style
//! refusals), a WebSocket client talks to it, and `aws apigatewaymanagementapi` pushes to
//! the connection. Fails under `CI` when the CLI is missing.

mod common;
mod http_api_support;
mod mgmt_support;
mod websocket_support;

use std::path::Path;

use common::TestGateway;
use mgmt_support::aws_env;
use serde_json::{Value, json};
use websocket_support::{connect, next_text, send_text};

struct Cli<'a> {
    exe: &'a Path,
    endpoint: String,
}

impl Cli<'_> {
    async fn run(&self, service: &str, args: &[&str]) -> std::process::Output {
        let mut cmd = tokio::process::Command::new(self.exe);
        aws_env(&mut cmd);
        cmd.arg(service)
            .args(args)
            .args(["--endpoint-url", &self.endpoint, "--output", "json"]);
        cmd.output().await.expect("run aws")
    }

    async fn ok(&self, args: &[&str]) -> Value {
        let out = self.run("apigatewayv2", args).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "aws apigatewayv2 {args:?} failed: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        if stdout.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&stdout).expect("CLI output is JSON")
        }
    }

    async fn fails(&self, args: &[&str], error: &str) {
        let out = self.run("apigatewayv2", args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "aws apigatewayv2 {args:?} should fail"
        );
        assert!(stderr.contains(error), "{args:?}: {stderr}");
    }
}

fn s(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {v}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_drives_a_websocket_api_flow() {
    common::init();
    let Some(exe) = common::require_tool("aws") else {
        return;
    };
    let t = TestGateway::start().await;
    t.gw.set_iam_credentials(vec![gwtui::engine::IamCredential {
        access_key_id: mgmt_support::ACCESS_KEY.into(),
        secret_access_key: mgmt_support::SECRET_KEY.into(),
        session_token: None,
        user: None,
    }]);
    let cli = Cli {
        exe: &exe,
        endpoint: t.base(),
    };

    cli.fails(
        &["create-api", "--name", "ws", "--protocol-type", "WEBSOCKET"],
        "BadRequestException",
    )
    .await;
    let api = cli
        .ok(&[
            "create-api",
            "--name",
            "chat",
            "--protocol-type",
            "WEBSOCKET",
            "--route-selection-expression",
            "$request.body.action",
        ])
        .await;
    let id = s(&api, "ApiId");
    assert_eq!(api["ProtocolType"], "WEBSOCKET");
    assert_eq!(api["RouteSelectionExpression"], "$request.body.action");
    assert_eq!(
        api["ApiKeySelectionExpression"],
        "$request.header.x-api-key"
    );

    // An AWS integration names a Lambda function or an AWS service action or path.
    cli.fails(
        &[
            "create-integration",
            "--api-id",
            &id,
            "--integration-type",
            "AWS",
            "--integration-uri",
            "arn:aws:apigateway:us-east-1:sqs:queue/orders",
        ],
        "BadRequestException",
    )
    .await;
    let integration = cli
        .ok(&[
            "create-integration",
            "--api-id",
            &id,
            "--integration-type",
            "MOCK",
            "--request-templates",
            r#"{"$default": "{\"statusCode\": 200, \"text\": $input.json('$.text')}"}"#,
            "--template-selection-expression",
            "\\$default",
            "--passthrough-behavior",
            "WHEN_NO_MATCH",
        ])
        .await;
    let iid = s(&integration, "IntegrationId");
    assert_eq!(integration["IntegrationType"], "MOCK");
    assert_eq!(integration["TimeoutInMillis"], 29000);
    assert_eq!(integration["PassthroughBehavior"], "WHEN_NO_MATCH");
    let ir = cli
        .ok(&[
            "create-integration-response",
            "--api-id",
            &id,
            "--integration-id",
            &iid,
            "--integration-response-key",
            "$default",
            "--response-templates",
            r#"{"$default": "{\"said\": \"$input.path('$.text')\", \"by\": \"$context.connectionId\"}"}"#,
        ])
        .await;
    let irid = s(&ir, "IntegrationResponseId");
    let listed = cli
        .ok(&[
            "get-integration-responses",
            "--api-id",
            &id,
            "--integration-id",
            &iid,
        ])
        .await;
    assert_eq!(listed["Items"].as_array().map(Vec::len), Some(1));

    let model = cli
        .ok(&[
            "create-model",
            "--api-id",
            &id,
            "--name",
            "Message",
            "--schema",
            r#"{"type": "object", "properties": {"text": {"type": "string"}}}"#,
        ])
        .await;
    let mid = s(&model, "ModelId");
    assert_eq!(model["ContentType"], "application/json");
    let template = cli
        .ok(&["get-model-template", "--api-id", &id, "--model-id", &mid])
        .await;
    assert!(
        s(&template, "Value").contains("$inputRoot.text"),
        "{template}"
    );

    cli.fails(
        &[
            "create-route",
            "--api-id",
            &id,
            "--route-key",
            "say",
            "--authorization-type",
            "AWS_IAM",
        ],
        "BadRequestException",
    )
    .await;
    let route = cli
        .ok(&[
            "create-route",
            "--api-id",
            &id,
            "--route-key",
            "say",
            "--target",
            &format!("integrations/{iid}"),
            "--route-response-selection-expression",
            "$default",
            "--model-selection-expression",
            "$request.body.type",
            "--request-models",
            r#"{"$default": "Message"}"#,
        ])
        .await;
    let rid = s(&route, "RouteId");
    assert_eq!(route["RouteResponseSelectionExpression"], "$default");
    assert_eq!(route["RequestModels"]["$default"], "Message");
    let rr = cli
        .ok(&[
            "create-route-response",
            "--api-id",
            &id,
            "--route-id",
            &rid,
            "--route-response-key",
            "$default",
        ])
        .await;
    let rrid = s(&rr, "RouteResponseId");
    let got = cli
        .ok(&[
            "get-route-response",
            "--api-id",
            &id,
            "--route-id",
            &rid,
            "--route-response-id",
            &rrid,
        ])
        .await;
    assert_eq!(got["RouteResponseKey"], "$default");
    cli.fails(
        &["delete-model", "--api-id", &id, "--model-id", &mid],
        "ConflictException",
    )
    .await;

    let stage = cli
        .ok(&[
            "create-stage",
            "--api-id",
            &id,
            "--stage-name",
            "prod",
            "--auto-deploy",
        ])
        .await;
    assert_eq!(stage["StageName"], "prod");
    let deployments = cli.ok(&["get-deployments", "--api-id", &id]).await;
    assert_eq!(deployments["Items"].as_array().map(Vec::len), Some(1));

    let mut ws = connect(&t, &id, "prod", &[]).await.expect("connected");
    send_text(&mut ws, r#"{"action": "say", "text": "hi"}"#).await;
    let reply: Value = serde_json::from_str(&next_text(&mut ws).await).expect("json");
    assert_eq!(reply["said"], "hi");
    let connection_id = s(&reply, "by");

    // Updates auto-deploy: the new template answers at once.
    cli.ok(&[
        "update-integration-response",
        "--api-id",
        &id,
        "--integration-id",
        &iid,
        "--integration-response-id",
        &irid,
        "--response-templates",
        r#"{"$default": "{\"said\": \"$input.path('$.text').toUpperCase()\"}"}"#,
    ])
    .await;
    let mut ws2 = connect(&t, &id, "prod", &[]).await.expect("connected");
    send_text(&mut ws2, r#"{"action": "say", "text": "hi"}"#).await;
    assert_eq!(
        serde_json::from_str::<Value>(&next_text(&mut ws2).await).expect("json"),
        json!({"said": "HI"})
    );

    // The management API of the connections, through the CLI.
    let endpoint = format!("{}/restapis/{id}/prod/_user_request_", t.base());
    let out = {
        let mut cmd = tokio::process::Command::new(&exe);
        aws_env(&mut cmd);
        cmd.args([
            "apigatewaymanagementapi",
            "post-to-connection",
            "--connection-id",
            &connection_id,
            "--data",
            "pushed",
            "--endpoint-url",
            &endpoint,
        ]);
        cmd.output().await.expect("run aws")
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(next_text(&mut ws).await, "pushed");
    let out = {
        let mut cmd = tokio::process::Command::new(&exe);
        aws_env(&mut cmd);
        cmd.args([
            "apigatewaymanagementapi",
            "get-connection",
            "--connection-id",
            &connection_id,
            "--endpoint-url",
            &endpoint,
            "--output",
            "json",
        ]);
        cmd.output().await.expect("run aws")
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(info["Identity"]["SourceIp"], "127.0.0.1");

    cli.ok(&[
        "delete-route-response",
        "--api-id",
        &id,
        "--route-id",
        &rid,
        "--route-response-id",
        &rrid,
    ])
    .await;
    cli.ok(&["delete-route", "--api-id", &id, "--route-id", &rid])
        .await;
    cli.ok(&["delete-model", "--api-id", &id, "--model-id", &mid])
        .await;
    cli.ok(&["delete-api", "--api-id", &id]).await;
    t.stop().await;
}
