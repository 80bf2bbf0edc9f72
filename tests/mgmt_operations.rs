//! The control-plane operations added for AWS fidelity, over loopback: VPC links (and a
//! VPC_LINK integration reaching its configured local target), ImportApiKeys from CSV,
//! UpdateUsage, and UpdateAccount's `/features`.

mod common;
mod mgmt_support;

use common::{TestGateway, init};
use mgmt_support::{echo_backend, expect, mgmt};
use reqwest::Method;
use serde_json::{Value, json};

const NLB: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/my-load-balancer/50dc6c495c0c9188";

/// AWS-recorded: localstack `TestApiGatewayVpcLink::test_vpc_link_lifecycle`,
/// `test_create_vpc_link_invalid_parameters`, `test_get/update/delete_vpc_link_invalid_id`
/// (tests/aws/services/apigateway/test_apigateway_api.snapshot.json).
#[tokio::test]
async fn vpc_link_lifecycle_as_aws_records_it() {
    init();
    let t = TestGateway::start().await;
    let (c, base) = (&t.client, t.base());
    let created = expect(
        c,
        &base,
        Method::POST,
        "/vpclinks",
        &json!({"name": "link-one", "targetArns": [NLB]}),
        202,
    )
    .await;
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(
        created,
        json!({"id": id, "name": "link-one", "status": "PENDING", "targetArns": [NLB]})
    );
    let got = expect(
        c,
        &base,
        Method::GET,
        &format!("/vpclinks/{id}"),
        &Value::Null,
        200,
    )
    .await;
    assert_eq!(
        got,
        json!({"id": id, "name": "link-one", "status": "AVAILABLE",
               "statusMessage": "Your vpc link is ready for use", "tags": {}, "targetArns": [NLB]})
    );
    let list = expect(c, &base, Method::GET, "/vpclinks", &Value::Null, 200).await;
    assert_eq!(
        list,
        json!({"item": [{"id": id, "name": "link-one", "status": "AVAILABLE",
               "statusMessage": "Your vpc link is ready for use", "targetArns": [NLB]}]})
    );
    let updated = expect(
        c,
        &base,
        Method::PATCH,
        &format!("/vpclinks/{id}"),
        &json!({"patchOperations": [{"op": "replace", "path": "/name", "value": "link-one-updated"}]}),
        200,
    )
    .await;
    assert_eq!(updated["name"], "link-one-updated");
    assert_eq!(updated["tags"], json!({}));

    for (method, body, status, kind, message) in [
        (
            Method::POST,
            json!({"name": "x", "targetArns": ["invalid-arn"]}),
            400,
            "BadRequestException",
            "Invalid ARN. ARN is not well formed invalid-arn",
        ),
        (
            Method::POST,
            json!({"name": "", "targetArns": [NLB]}),
            400,
            "BadRequestException",
            "Name cannot be empty",
        ),
    ] {
        let (s, k, b) = mgmt(c, &base, method, "/vpclinks", Some(&body.to_string())).await;
        assert_eq!(
            (s, k.as_deref(), &b["message"]),
            (status, Some(kind), &json!(message))
        );
    }
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then_some(r#"{"patchOperations": []}"#);
        let (s, k, b) = mgmt(c, &base, method, "/vpclinks/nope12", body).await;
        assert_eq!(
            (s, k.as_deref(), &b["message"]),
            (
                404,
                Some("NotFoundException"),
                &json!("Invalid Vpc Link identifier specified")
            )
        );
    }
    expect(
        c,
        &base,
        Method::DELETE,
        &format!("/vpclinks/{id}"),
        &Value::Null,
        202,
    )
    .await;
    let list = expect(c, &base, Method::GET, "/vpclinks", &Value::Null, 200).await;
    assert_eq!(list, json!({"item": []}));
    // Durable: a link survives a restart.
    let kept = expect(
        c,
        &base,
        Method::POST,
        "/vpclinks",
        &json!({"name": "kept", "targetArns": [NLB]}),
        202,
    )
    .await;
    let dir = t.stop().await;
    let t = TestGateway::start_in(dir, Some(7)).await;
    let got = expect(
        &t.client,
        &t.base(),
        Method::GET,
        &format!("/vpclinks/{}", kept["id"].as_str().unwrap_or_default()),
        &Value::Null,
        200,
    )
    .await;
    assert_eq!(got["name"], "kept");
    t.stop().await;
}

/// A VPC_LINK integration (connectionId from a stage variable, as in AWS's recorded
/// `test_create_integration_with_vpc_link`) calls the link's local target; a link without a
/// target answers 500 and says why in the execution log.
#[tokio::test]
async fn a_vpc_link_integration_reaches_its_local_target() {
    init();
    let t = TestGateway::start().await;
    let (c, base) = (&t.client, t.base());
    let backend = echo_backend().await;
    let link = expect(
        c,
        &base,
        Method::POST,
        "/vpclinks",
        &json!({"name": "nlb", "targetArns": [NLB]}),
        202,
    )
    .await;
    let link_id = link["id"].as_str().expect("link id").to_string();
    let untargeted = expect(
        c,
        &base,
        Method::POST,
        "/vpclinks",
        &json!({"name": "other", "targetArns": [NLB]}),
        202,
    )
    .await;
    let untargeted = untargeted["id"].as_str().expect("id").to_string();
    t.gw.set_vpc_link_targets(
        [(link_id.clone(), backend.to_string())]
            .into_iter()
            .collect(),
    );

    let api = expect(
        c,
        &base,
        Method::POST,
        "/restapis",
        &json!({"name": "vpc"}),
        201,
    )
    .await;
    let api = api["id"].as_str().expect("api id").to_string();
    let root = expect(
        c,
        &base,
        Method::GET,
        &format!("/restapis/{api}/resources"),
        &Value::Null,
        200,
    )
    .await;
    let root = root["item"][0]["id"].as_str().expect("root").to_string();
    let method = format!("/restapis/{api}/resources/{root}/methods/GET");
    expect(
        c,
        &base,
        Method::PUT,
        &method,
        &json!({"authorizationType": "NONE"}),
        201,
    )
    .await;
    let integration = expect(
        c,
        &base,
        Method::PUT,
        &format!("{method}/integration"),
        &json!({"type": "HTTP_PROXY", "integrationHttpMethod": "GET",
                "uri": "http://my-vpclink-test-nlb.internal/items",
                "connectionType": "VPC_LINK", "connectionId": "${stageVariables.vpcLinkId}"}),
        201,
    )
    .await;
    assert_eq!(integration["connectionType"], "VPC_LINK");
    for (stage, id) in [("linked", &link_id), ("untargeted", &untargeted)] {
        expect(
            c,
            &base,
            Method::POST,
            &format!("/restapis/{api}/deployments"),
            &json!({"stageName": stage, "variables": {"vpcLinkId": id}}),
            201,
        )
        .await;
    }
    let resp = c
        .get(t.url(&api, "linked", "/"))
        .send()
        .await
        .expect("invoke");
    assert_eq!(resp.status().as_u16(), 200);
    let echo: Value = resp.json().await.expect("echo json");
    assert_eq!(echo["backend"], "echo");
    assert_eq!(echo["uri"], "/items");

    expect(
        c,
        &base,
        Method::PATCH,
        &format!("/restapis/{api}/stages/untargeted"),
        &json!({"patchOperations": [{"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"}]}),
        200,
    )
    .await;
    let resp = c
        .get(t.url(&api, "untargeted", "/"))
        .send()
        .await
        .expect("invoke");
    assert_eq!(resp.status().as_u16(), 500);
    assert_eq!(
        resp.text().await.expect("body"),
        r#"{"message": "Internal server error"}"#
    );
    t.gw.flush_logs().await;
    let lines: Vec<String> =
        t.gw.execution_log(&api, "untargeted", usize::MAX)
            .into_iter()
            .map(|l| l.message)
            .collect();
    let want = format!(
        "Execution failed due to configuration error: VPC link {untargeted} has no local target: add [vpc_links.{untargeted}] target = \"HOST:PORT\" to the config file"
    );
    assert!(lines.contains(&want), "{lines:#?}");
    t.stop().await;
}

const KEY1: &str = "apikey1234abcdefghij0123456789";
const KEY2: &str = "apikey1234abcdefghij0123456780";

/// ImportApiKeys with AWS's documented file format (developer guide, "API Gateway API key file
/// format"): a good file, a bad header, a duplicate key, `failonwarnings`.
#[tokio::test]
async fn import_api_keys_from_csv() {
    init();
    let t = TestGateway::start().await;
    let (c, base) = (&t.client, t.base());
    let plan = expect(
        c,
        &base,
        Method::POST,
        "/usageplans",
        &json!({"name": "gold"}),
        201,
    )
    .await;
    let plan = plan["id"].as_str().expect("plan id").to_string();
    let import = |csv: String, query: &'static str| {
        let c = c.clone();
        let url = format!("{base}/apikeys?mode=import&format=csv{query}");
        async move {
            let r = c.post(url).body(csv).send().await.expect("import");
            let status = r.status().as_u16();
            let kind = r
                .headers()
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body: Value = r.json().await.unwrap_or(Value::Null);
            (status, kind, body)
        }
    };
    let (s, _, body) = import(
        format!("Enabled,Name,key,UsageplanIds,Extra\ntrue,First,{KEY1},\"{plan},nosuch\",x\nfalse,Second,{KEY2},,y\n"),
        "",
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let ids: Vec<String> = serde_json::from_value(body["ids"].clone()).unwrap_or_default();
    assert_eq!(ids.len(), 2);
    assert_eq!(
        body["warnings"],
        json!(["Line 2: Invalid Usage Plan ID specified: nosuch"])
    );
    let first = expect(
        c,
        &base,
        Method::GET,
        &format!("/apikeys/{}?includeValue=true", ids[0]),
        &Value::Null,
        200,
    )
    .await;
    assert_eq!(
        (&first["name"], &first["value"], &first["enabled"]),
        (&json!("First"), &json!(KEY1), &json!(true))
    );
    let second = expect(
        c,
        &base,
        Method::GET,
        &format!("/apikeys/{}", ids[1]),
        &Value::Null,
        200,
    )
    .await;
    assert_eq!(second["enabled"], false);
    let keys = expect(
        c,
        &base,
        Method::GET,
        &format!("/usageplans/{plan}/keys"),
        &Value::Null,
        200,
    )
    .await;
    assert_eq!(keys["item"][0]["id"], ids[0].as_str());

    // Importing a known key again overwrites it (same id).
    let (s, _, body) = import(format!("name,key,description\nRenamed,{KEY1},again\n"), "").await;
    assert_eq!((s, &body["ids"]), (201, &json!([ids[0]])));
    let first = expect(
        c,
        &base,
        Method::GET,
        &format!("/apikeys/{}", ids[0]),
        &Value::Null,
        200,
    )
    .await;
    assert_eq!(
        (&first["name"], &first["description"]),
        (&json!("Renamed"), &json!("again"))
    );

    let (s, kind, body) = import("Key,Description\nabc,def\n".into(), "").await;
    assert_eq!(
        (s, kind.as_deref(), &body["message"]),
        (
            400,
            Some("BadRequestException"),
            &json!("Invalid API key file: the header must name the Name and Key columns")
        )
    );
    let dup = "apikeyabcdefghij01234567890123";
    let file = format!("Name,Key\na,{dup}\nb,{dup}\n");
    let (s, _, body) = import(file.clone(), "").await;
    assert_eq!(s, 201);
    assert_eq!(
        body["warnings"],
        json!(["Line 3: duplicate Key (already on line 2)"])
    );
    let before = expect(c, &base, Method::GET, "/apikeys", &Value::Null, 200).await;
    let (s, kind, body) = import(
        format!("Name,Key\nc,{}\nd,{}\n", "z".repeat(30), "z".repeat(30)),
        "&failonwarnings=true",
    )
    .await;
    assert_eq!(
        (s, kind.as_deref(), &body["message"]),
        (
            400,
            Some("BadRequestException"),
            &json!("Line 3: duplicate Key (already on line 2)")
        )
    );
    let after = expect(c, &base, Method::GET, "/apikeys", &Value::Null, 200).await;
    assert_eq!(before, after, "a refused import changes nothing");
    let r = c
        .post(format!("{base}/apikeys?mode=import&format=xml"))
        .body(file)
        .send()
        .await
        .expect("import xml");
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(
        body["message"],
        "Invalid format specified: 'xml'. Only csv is supported"
    );
    t.stop().await;
}

/// UpdateUsage gives a key requests back for the current period, at once and durably.
#[tokio::test]
async fn update_usage_extends_the_remaining_quota() {
    init();
    let t = TestGateway::start().await;
    let (c, base) = (&t.client, t.base());
    let api = expect(
        c,
        &base,
        Method::POST,
        "/restapis",
        &json!({"name": "quota"}),
        201,
    )
    .await;
    let api = api["id"].as_str().expect("api").to_string();
    let root = expect(
        c,
        &base,
        Method::GET,
        &format!("/restapis/{api}/resources"),
        &Value::Null,
        200,
    )
    .await;
    let root = root["item"][0]["id"].as_str().expect("root").to_string();
    let method = format!("/restapis/{api}/resources/{root}/methods/GET");
    expect(
        c,
        &base,
        Method::PUT,
        &method,
        &json!({"authorizationType": "NONE", "apiKeyRequired": true}),
        201,
    )
    .await;
    expect(
        c,
        &base,
        Method::PUT,
        &format!("{method}/integration"),
        &json!({"type": "MOCK", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}}),
        201,
    )
    .await;
    expect(
        c,
        &base,
        Method::PUT,
        &format!("{method}/responses/200"),
        &json!({}),
        201,
    )
    .await;
    expect(
        c,
        &base,
        Method::PUT,
        &format!("{method}/integration/responses/200"),
        &json!({}),
        201,
    )
    .await;
    expect(
        c,
        &base,
        Method::POST,
        &format!("/restapis/{api}/deployments"),
        &json!({"stageName": "test"}),
        201,
    )
    .await;
    let plan = expect(
        c,
        &base,
        Method::POST,
        "/usageplans",
        &json!({"name": "two", "apiStages": [{"apiId": api, "stage": "test"}],
                "quota": {"limit": 2, "period": "DAY"}}),
        201,
    )
    .await;
    let plan = plan["id"].as_str().expect("plan").to_string();
    let key = expect(
        c,
        &base,
        Method::POST,
        "/apikeys",
        &json!({"name": "k", "enabled": true, "value": KEY1}),
        201,
    )
    .await;
    let key = key["id"].as_str().expect("key").to_string();
    expect(
        c,
        &base,
        Method::POST,
        &format!("/usageplans/{plan}/keys"),
        &json!({"keyId": key, "keyType": "API_KEY"}),
        201,
    )
    .await;

    let call = || {
        c.get(t.url(&api, "test", "/"))
            .header("x-api-key", KEY1)
            .send()
    };
    assert_eq!(call().await.expect("1").status().as_u16(), 200);
    assert_eq!(call().await.expect("2").status().as_u16(), 200);
    assert_eq!(call().await.expect("3").status().as_u16(), 429);

    let path = format!("/usageplans/{plan}/keys/{key}/usage");
    let report = expect(
        c,
        &base,
        Method::PATCH,
        &path,
        &json!({"patchOperations": [{"op": "replace", "path": "/remaining", "value": "1"}]}),
        200,
    )
    .await;
    let today = gwtui::engine::day_string(time::OffsetDateTime::now_utc().date());
    assert_eq!(
        report,
        json!({"usagePlanId": plan, "startDate": today, "endDate": today, "values": {key.as_str(): [[2, 1]]}})
    );
    assert_eq!(call().await.expect("granted").status().as_u16(), 200);
    assert_eq!(call().await.expect("used up").status().as_u16(), 429);

    // Durable: after a restart the grant still counts.
    let dir = t.stop().await;
    let t = TestGateway::start_in(dir, Some(7)).await;
    let (c, base) = (&t.client, t.base());
    let usage = expect(
        c,
        &base,
        Method::GET,
        &format!("/usageplans/{plan}/usage?startDate={today}&endDate={today}"),
        &Value::Null,
        200,
    )
    .await;
    assert_eq!(usage["values"][&key], json!([[3, 0]]));
    let (s, kind, body) = mgmt(
        c,
        &base,
        Method::PATCH,
        &path,
        Some(r#"{"patchOperations": [{"op": "replace", "path": "/used", "value": "1"}]}"#),
    )
    .await;
    assert_eq!(
        (s, kind.as_deref(), &body["message"]),
        (
            400,
            Some("BadRequestException"),
            &json!(
                "Invalid patch path '/used' specified for op 'replace'. Must be one of: [/remaining]"
            )
        )
    );
    let (s, kind, _) = mgmt(
        c,
        &base,
        Method::PATCH,
        &format!("/usageplans/{plan}/keys/nokey/usage"),
        Some(r#"{"patchOperations": [{"op": "replace", "path": "/remaining", "value": "1"}]}"#),
    )
    .await;
    assert_eq!((s, kind.as_deref()), (404, Some("NotFoundException")));
    t.stop().await;
}

/// UpdateAccount's `/features` (AWS: `add /features UsagePlans`).
#[tokio::test]
async fn update_account_features() {
    init();
    let t = TestGateway::start().await;
    let (c, base) = (&t.client, t.base());
    let account = expect(
        c,
        &base,
        Method::PATCH,
        "/account",
        &json!({"patchOperations": [{"op": "add", "path": "/features", "value": "UsagePlans"}]}),
        200,
    )
    .await;
    assert_eq!(account["features"], json!(["UsagePlans"]));
    let (s, kind, body) = mgmt(
        c,
        &base,
        Method::PATCH,
        "/account",
        Some(r#"{"patchOperations": [{"op": "remove", "path": "/features", "value": "UsagePlans"}]}"#),
    )
    .await;
    assert_eq!(
        (s, kind.as_deref(), &body["message"]),
        (
            400,
            Some("BadRequestException"),
            &json!("The UsagePlans feature cannot be disabled")
        )
    );
    t.stop().await;
}

/// The new operations through the real AWS CLI (`--endpoint-url`). Fails without a CLI when
/// `CI` is set; otherwise skips with a message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_reaches_the_new_operations() {
    init();
    let Some(exe) = common::require_tool("aws") else {
        return;
    };
    let t = TestGateway::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let cli = |args: Vec<String>| {
        let mut cmd = tokio::process::Command::new(&exe);
        mgmt_support::aws_env(&mut cmd);
        cmd.arg("apigateway")
            .args(args)
            .args(["--endpoint-url", &t.base(), "--output", "json"]);
        async move {
            let out = cmd.output().await.expect("run aws");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            serde_json::from_slice::<Value>(&out.stdout).unwrap_or(Value::Null)
        }
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let link = cli(args(&[
        "create-vpc-link",
        "--name",
        "cli",
        "--target-arns",
        NLB,
    ]))
    .await;
    assert_eq!(link["status"], "PENDING");
    let id = link["id"].as_str().expect("id").to_string();
    let got = cli(args(&["get-vpc-link", "--vpc-link-id", &id])).await;
    assert_eq!(got["status"], "AVAILABLE");
    let links = cli(args(&["get-vpc-links"])).await;
    assert_eq!(links["items"][0]["id"], id.as_str());

    let csv = dir.path().join("keys.csv");
    std::fs::write(&csv, format!("Name,Key\ncli-key,{KEY1}\n")).expect("write csv");
    let imported = cli(args(&[
        "import-api-keys",
        "--format",
        "csv",
        "--body",
        &format!("fileb://{}", csv.display()),
    ]))
    .await;
    let key = imported["ids"][0]
        .as_str()
        .expect("imported id")
        .to_string();

    let plan = cli(args(&[
        "create-usage-plan",
        "--name",
        "cli",
        "--quota",
        "limit=10,period=MONTH",
    ]))
    .await;
    let plan = plan["id"].as_str().expect("plan").to_string();
    cli(args(&[
        "create-usage-plan-key",
        "--usage-plan-id",
        &plan,
        "--key-id",
        &key,
        "--key-type",
        "API_KEY",
    ]))
    .await;
    let usage = cli(args(&[
        "update-usage",
        "--usage-plan-id",
        &plan,
        "--key-id",
        &key,
        "--patch-operations",
        "op=replace,path=/remaining,value=7",
    ]))
    .await;
    assert_eq!(usage["items"][&key], json!([[0, 7]]), "{usage}");
    cli(args(&["delete-vpc-link", "--vpc-link-id", &id])).await;
    t.stop().await;
}

/// Pagination tokens are opaque strings on both control planes (botocore types `position` and
/// `nextToken` as strings); a token gwtui did not make is refused, and out-of-range limits are
/// taken as AWS takes `limit=-1` (AWS-recorded, localstack
/// `test_negative_get_usage_plan_api_keys`: a page, not an error).
#[tokio::test]
async fn pagination_tokens_are_opaque_and_limits_lenient() {
    init();
    let t = TestGateway::start().await;
    let (c, base) = (&t.client, t.base());
    for i in 0..3 {
        expect(
            c,
            &base,
            Method::POST,
            "/restapis",
            &json!({"name": format!("page-{i}")}),
            201,
        )
        .await;
        expect(
            c,
            &base,
            Method::POST,
            "/v2/apis",
            &json!({"name": format!("http-{i}"), "protocolType": "HTTP"}),
            201,
        )
        .await;
    }
    for (list, size, token, items) in [
        ("/restapis", "limit", "position", "item"),
        ("/v2/apis", "maxResults", "nextToken", "items"),
    ] {
        let first = expect(
            c,
            &base,
            Method::GET,
            &format!("{list}?{size}=2"),
            &Value::Null,
            200,
        )
        .await;
        assert_eq!(first[items].as_array().map(Vec::len), Some(2), "{list}");
        let next = first[token].as_str().expect("a token").to_string();
        assert!(next.parse::<u64>().is_err(), "{list}: {next} is opaque");
        let rest = expect(
            c,
            &base,
            Method::GET,
            &format!("{list}?{size}=2&{token}={next}"),
            &Value::Null,
            200,
        )
        .await;
        assert_eq!(rest[items].as_array().map(Vec::len), Some(1), "{list}");
        assert!(rest.get(token).is_none(), "{list}: last page");
        let (status, kind, body) =
            mgmt(c, &base, Method::GET, &format!("{list}?{token}=2"), None).await;
        assert_eq!(
            (status, kind.as_deref()),
            (400, Some("BadRequestException")),
            "{list}: {body}"
        );
    }
    let all = expect(
        c,
        &base,
        Method::GET,
        "/restapis?limit=-1",
        &Value::Null,
        200,
    )
    .await;
    assert_eq!(all["item"].as_array().map(Vec::len), Some(3));
    let all = expect(
        c,
        &base,
        Method::GET,
        "/restapis?limit=100000",
        &Value::Null,
        200,
    )
    .await;
    assert_eq!(all["item"].as_array().map(Vec::len), Some(3));
    t.stop().await;
}
