//! The real AWS CLI's `apigatewayv2` against gwtui (`--endpoint-url`): quick create, routes,
//! integrations, a JWT authorizer, a stage with auto-deploy, a custom domain with an API
//! mapping, export and delete, with invokes in between. Fails under `CI` when the CLI is
//! missing (set `GWTUI_AWS_CLI` or put `aws` on PATH).

mod common;
mod http_api_support;
mod mgmt_support;

use std::path::Path;

use common::TestGateway;
use http_api_support::{echo_backend, invoke, issuer, now, text, token};
use mgmt_support::aws_env;
use reqwest::Method;
use serde_json::{Value, json};

struct Cli<'a> {
    exe: &'a Path,
    endpoint: String,
}

impl Cli<'_> {
    async fn run(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = tokio::process::Command::new(self.exe);
        aws_env(&mut cmd);
        cmd.arg("apigatewayv2").args(args).args([
            "--endpoint-url",
            &self.endpoint,
            "--output",
            "json",
        ]);
        cmd.output().await.expect("run aws")
    }

    async fn ok(&self, args: &[&str]) -> Value {
        let out = self.run(args).await;
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

    /// A command that must fail with `error` (e.g. `BadRequestException`).
    async fn fails(&self, args: &[&str], error: &str) {
        let out = self.run(args).await;
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
async fn aws_cli_drives_a_whole_http_api_flow() {
    common::init();
    let Some(exe) = common::require_tool("aws") else {
        return;
    };
    let t = TestGateway::start().await;
    let backend = echo_backend().await;
    let iss = issuer().await;
    let cli = Cli {
        exe: &exe,
        endpoint: t.base(),
    };

    // Quick create: HTTP_PROXY integration, $default route, $default stage with auto-deploy.
    let api = cli
        .ok(&[
            "create-api",
            "--name",
            "cli-api",
            "--protocol-type",
            "HTTP",
            "--target",
            &format!("http://{backend}"),
        ])
        .await;
    let id = s(&api, "ApiId");
    assert_eq!(api["ProtocolType"], "HTTP");
    assert_eq!(
        api["ApiEndpoint"],
        format!("http://{id}.execute-api.localhost:{}", t.addr.port())
    );
    let (status, _, body) = text(invoke(&t, &id, Method::GET, "/hello?x=1")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json")["uri"],
        "/hello?x=1"
    );
    let apis = cli.ok(&["get-apis"]).await;
    assert_eq!(apis["Items"][0]["ApiId"], id.as_str());
    let stages = cli.ok(&["get-stages", "--api-id", &id]).await;
    assert_eq!(stages["Items"][0]["StageName"], "$default");
    assert_eq!(stages["Items"][0]["AutoDeploy"], true);

    // An integration with parameter mapping and a route to it.
    let integration = cli
        .ok(&[
            "create-integration",
            "--api-id",
            &id,
            "--integration-type",
            "HTTP_PROXY",
            "--integration-uri",
            &format!("http://{backend}/items/{{id}}"),
            "--integration-method",
            "GET",
            "--payload-format-version",
            "1.0",
            "--request-parameters",
            r#"{"append:header.x-cli":"yes"}"#,
            "--timeout-in-millis",
            "5000",
        ])
        .await;
    let iid = s(&integration, "IntegrationId");
    assert_eq!(integration["TimeoutInMillis"], 5000);
    let route = cli
        .ok(&[
            "create-route",
            "--api-id",
            &id,
            "--route-key",
            "GET /items/{id}",
            "--target",
            &format!("integrations/{iid}"),
        ])
        .await;
    let rid = s(&route, "RouteId");
    let (status, _, body) = text(invoke(&t, &id, Method::GET, "/items/7")).await;
    assert_eq!(status, 200, "auto-deployed: {body}");
    let echoed: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(echoed["uri"], "/items/7");
    assert_eq!(echoed["headers"]["x-cli"], "yes");

    // A JWT authorizer on the route.
    let authorizer = cli
        .ok(&[
            "create-authorizer",
            "--api-id",
            &id,
            "--name",
            "oidc",
            "--authorizer-type",
            "JWT",
            "--identity-source",
            "$request.header.Authorization",
            "--jwt-configuration",
            &format!("Audience=cli-client,Issuer={iss}"),
        ])
        .await;
    let aid = s(&authorizer, "AuthorizerId");
    cli.ok(&[
        "update-route",
        "--api-id",
        &id,
        "--route-id",
        &rid,
        "--authorization-type",
        "JWT",
        "--authorizer-id",
        &aid,
    ])
    .await;
    let (status, _, _) = text(invoke(&t, &id, Method::GET, "/items/7")).await;
    assert_eq!(status, 401);
    let tok = token(
        "rsa-1",
        "rsa_private_pkcs1.der",
        &json!({"iss": iss, "aud": "cli-client", "sub": "u", "exp": now() + 300}),
    );
    let (status, _, _) =
        text(invoke(&t, &id, Method::GET, "/items/7").header("authorization", tok.clone())).await;
    assert_eq!(status, 200);

    // A named stage with auto-deploy and stage variables.
    let stage = cli
        .ok(&[
            "create-stage",
            "--api-id",
            &id,
            "--stage-name",
            "prod",
            "--auto-deploy",
            "--stage-variables",
            "color=blue",
        ])
        .await;
    assert_eq!(stage["AutoDeploy"], true);
    assert!(stage["DeploymentId"].is_string(), "{stage}");
    let (status, _, body) =
        text(invoke(&t, &id, Method::GET, "/prod/items/8").header("authorization", tok.clone()))
            .await;
    assert_eq!(status, 200, "{body}");
    let deployments = cli.ok(&["get-deployments", "--api-id", &id]).await;
    assert!(
        deployments["Items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|d| d["AutoDeployed"] == true)
    );

    // Custom domain + API mapping (shared with REST's domain routing).
    cli.ok(&[
        "create-domain-name",
        "--domain-name",
        "api.example.com",
        "--domain-name-configurations",
        "CertificateArn=arn:aws:acm:us-east-1:123456789012:certificate/x,EndpointType=REGIONAL",
    ])
    .await;
    let mapping = cli
        .ok(&[
            "create-api-mapping",
            "--domain-name",
            "api.example.com",
            "--api-id",
            &id,
            "--stage",
            "prod",
            "--api-mapping-key",
            "v1",
        ])
        .await;
    let mid = s(&mapping, "ApiMappingId");
    let r = t
        .client
        .get(format!("{}/v1/items/9", t.base()))
        .header("host", "api.example.com")
        .header("authorization", tok.clone())
        .send()
        .await
        .expect("domain invoke");
    assert_eq!(r.status(), 200);
    let echoed: Value = r.json().await.expect("json");
    assert_eq!(echoed["uri"], "/items/9");
    let mappings = cli
        .ok(&["get-api-mappings", "--domain-name", "api.example.com"])
        .await;
    assert_eq!(mappings["Items"][0]["ApiMappingKey"], "v1");
    // The API cannot go while mapped.
    cli.fails(&["delete-api", "--api-id", &id], "ConflictException")
        .await;

    // Export (OpenAPI 3 with the v2 integration extension).
    let out = tempfile::NamedTempFile::new().expect("tmp");
    let path = out.path().to_string_lossy().to_string();
    cli.ok(&[
        "export-api",
        "--api-id",
        &id,
        "--specification",
        "OAS30",
        "--output-type",
        "JSON",
        "--stage-name",
        "prod",
        &path,
    ])
    .await;
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("export")).expect("json");
    assert_eq!(doc["openapi"], "3.0.1");
    let op = &doc["paths"]["/items/{id}"]["get"];
    assert_eq!(op["x-amazon-apigateway-integration"]["type"], "http_proxy");
    assert_eq!(
        op["x-amazon-apigateway-integration"]["requestParameters"]["append:header.x-cli"],
        "yes"
    );
    assert_eq!(op["security"], json!([{"oidc": []}]));
    assert!(doc["paths"]["$default"]["x-amazon-apigateway-any-method"].is_object());

    // AWS's errors.
    cli.fails(
        &["create-route", "--api-id", &id, "--route-key", "GET items"],
        "BadRequestException",
    )
    .await;
    cli.fails(
        &[
            "create-route",
            "--api-id",
            &id,
            "--route-key",
            "GET /x",
            "--target",
            "integrations/nope",
        ],
        "BadRequestException",
    )
    .await;
    cli.fails(
        &[
            "create-integration",
            "--api-id",
            &id,
            "--integration-type",
            "AWS_PROXY",
            "--integration-uri",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            "--payload-format-version",
            "9.9",
        ],
        "BadRequestException",
    )
    .await;
    cli.fails(&["get-api", "--api-id", "nope"], "NotFoundException")
        .await;
    cli.fails(
        &[
            "create-route",
            "--api-id",
            &id,
            "--route-key",
            "GET /items/{id}",
        ],
        "ConflictException",
    )
    .await;

    // Delete: mapping, then the API; its URLs stop answering.
    cli.ok(&[
        "delete-api-mapping",
        "--domain-name",
        "api.example.com",
        "--api-mapping-id",
        &mid,
    ])
    .await;
    cli.ok(&["delete-route", "--api-id", &id, "--route-id", &rid])
        .await;
    cli.ok(&["delete-api", "--api-id", &id]).await;
    let (status, _, _) = text(invoke(&t, &id, Method::GET, "/hello")).await;
    assert_ne!(status, 200);
    assert_eq!(cli.ok(&["get-apis"]).await["Items"], json!([]));
    t.stop().await;
}
