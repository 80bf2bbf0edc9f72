//! boto3's `apigatewayv2` client against gwtui (tests/scripts/http_api_boto3.py). Fails under
//! `CI` when no Python with boto3 is found (`GWTUI_AWS_PYTHON`, the CLI's venv, or python3).

mod common;
mod http_api_support;
mod mgmt_support;

use common::TestGateway;
use http_api_support::echo_backend;
use mgmt_support::{ACCESS_KEY, aws_env};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_builds_deploys_pages_tags_imports_exports_and_deletes_an_http_api() {
    common::init();
    let Some(python) = common::require_tool("boto3") else {
        return;
    };
    let t = TestGateway::start().await;
    let backend = echo_backend().await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/scripts/http_api_boto3.py"
    );
    let mut cmd = tokio::process::Command::new(python);
    aws_env(&mut cmd);
    let out = cmd
        .arg(script)
        .arg(t.base())
        .arg(format!("http://{backend}"))
        .output()
        .await
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "boto3 script failed:\n{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(stdout.trim().lines().last().unwrap_or_default()).expect("summary");
    let api_id = summary["apiId"].as_str().expect("api id");
    assert!(t.gw.get_http_api(api_id).is_err(), "deleted");
    let imported = summary["importedId"].as_str().expect("imported id");
    assert_eq!(
        t.gw.get_http_api(imported).expect("imported").name,
        "boto3-http"
    );
    let audit = t.gw.audit_log(200).expect("audit");
    let actions: Vec<&str> = audit
        .iter()
        .filter(|r| r.actor == ACCESS_KEY)
        .map(|r| r.action.as_str())
        .collect();
    for expected in [
        "CreateApi",
        "CreateIntegration",
        "CreateRoute",
        "CreateStage",
        "CreateDeployment",
        "UpdateStage",
        "TagResource",
        "ImportApi",
        "DeleteApi",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} audited: {actions:?}"
        );
    }
    // Durable: the imported API comes back after a restart.
    let dir = t.stop().await;
    let t = TestGateway::start_in(dir, None).await;
    assert_eq!(t.gw.list_http_routes(imported).expect("routes").len(), 3);
    t.stop().await;
}
