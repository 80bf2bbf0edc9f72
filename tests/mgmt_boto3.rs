//! boto3 against `gwtui`'s management API (tests/scripts/mgmt_boto3.py run with a Python that
//! has boto3). When none is found (set `GWTUI_AWS_PYTHON`, or `GWTUI_AWS_CLI` to a venv's `aws`
//! whose `python` is used, or have `python3` with boto3) it is skipped with a message, or fails
//! when `CI` is set (`common::require_tool`).

mod common;
mod mgmt_support;

use common::TestGateway;
use mgmt_support::{ACCESS_KEY, aws_env, echo_backend};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_builds_deploys_updates_exports_and_deletes_an_api() {
    common::init();
    let Some(python) = common::require_tool("boto3") else {
        return;
    };
    let t = TestGateway::start().await;
    let backend = echo_backend().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scripts/mgmt_boto3.py");
    let mut cmd = tokio::process::Command::new(&python);
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
        serde_json::from_str(stdout.trim().lines().last().unwrap_or_default())
            .expect("summary JSON");
    let api_id = summary["apiId"].as_str().expect("api id");

    assert!(t.gw.get_rest_api(api_id).is_err(), "the API was deleted");
    let imported = summary["importedId"].as_str().expect("imported id");
    assert_eq!(
        t.gw.get_rest_api(imported).expect("imported API").name,
        "boto3-api"
    );

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
        "FlushStageCache",
        "TagResource",
        "DeleteRestApi",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from the audit log: {actions:?}"
        );
    }
    assert!(audit.iter().all(|r| r.actor == ACCESS_KEY));
    t.stop().await;
}
