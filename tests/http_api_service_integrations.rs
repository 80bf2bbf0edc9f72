//! HTTP API AWS service integrations (`AWS_PROXY` with an `integrationSubtype`) against moto's
//! server with its SigV4 checks on: each subtype is created through the v2 management API,
//! invoked through the HTTP API's invoke URL, and what the service holds is checked with
//! boto3. Malformed subtype integrations are refused with BadRequestException and nothing is
//! stored.

mod aws_support;
mod common;
mod http_api_support;

use aws_support::{moto, unique};
use common::{TestGateway, init};
use http_api_support::{echo_backend, invoke, text, v2, v2_ok};
use reqwest::Method;
use serde_json::{Value, json};

const ROLE: &str = "arn:aws:iam::123456789012:role/apigw-service";

async fn api(t: &TestGateway) -> String {
    v2_ok(
        t,
        Method::POST,
        "/apis",
        Some(json!({"name": unique("svc"), "protocolType": "HTTP"})),
        201,
    )
    .await["apiId"]
        .as_str()
        .expect("apiId")
        .to_string()
}

/// A subtype integration and a `POST {path}` route to it.
async fn service_route(t: &TestGateway, api: &str, path: &str, subtype: &str, params: Value) {
    let integration = v2_ok(
        t,
        Method::POST,
        &format!("/apis/{api}/integrations"),
        Some(json!({
            "integrationType": "AWS_PROXY",
            "integrationSubtype": subtype,
            "payloadFormatVersion": "1.0",
            "credentialsArn": ROLE,
            "requestParameters": params,
        })),
        201,
    )
    .await;
    assert_eq!(integration["integrationSubtype"], subtype);
    assert_eq!(integration["credentialsArn"], ROLE);
    let id = integration["integrationId"].as_str().expect("id");
    v2_ok(
        t,
        Method::POST,
        &format!("/apis/{api}/routes"),
        Some(json!({"routeKey": format!("POST {path}"), "target": format!("integrations/{id}")})),
        201,
    )
    .await;
}

async fn default_stage(t: &TestGateway, api: &str, variables: Value) {
    v2_ok(
        t,
        Method::POST,
        &format!("/apis/{api}/stages"),
        Some(json!({"stageName": "$default", "autoDeploy": true, "stageVariables": variables})),
        201,
    )
    .await;
}

/// POSTs `body` to `path` on the API's `$default` stage: (status, JSON answer).
async fn post(
    t: &TestGateway,
    api: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> (u16, Value) {
    let mut req = invoke(t, api, Method::POST, path)
        .header("content-type", "application/json")
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let (status, _, text) = text(req).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn queue_depth(moto: &aws_support::Moto, url: &str) -> u64 {
    let v = moto
        .boto(&format!(
            "a = client('sqs').get_queue_attributes(QueueUrl='{url}', AttributeNames=['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'])['Attributes']\n\
             print(int(a['ApproximateNumberOfMessages']) + int(a['ApproximateNumberOfMessagesNotVisible']))"
        ))
        .await;
    v.as_u64().expect("depth")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_subtypes_send_receive_delete_and_purge_through_the_invoke_url() {
    init();
    let Some(moto) = moto() else { return };
    let name = unique("http-orders");
    let url = moto
        .boto(&format!(
            "print(json.dumps(client('sqs').create_queue(QueueName='{name}')['QueueUrl']))"
        ))
        .await;
    let url = url.as_str().expect("queue url").to_string();
    let t = TestGateway::start().await;
    t.gw.set_aws_settings(moto.settings());
    let api = api(&t).await;
    service_route(
        &t,
        &api,
        "/send",
        "SQS-SendMessage",
        json!({
            "QueueUrl": "$stageVariables.queue",
            "MessageBody": "$request.body.message",
            "MessageAttributes": "$request.body.attributes",
            "Region": "us-east-1",
        }),
    )
    .await;
    service_route(
        &t,
        &api,
        "/receive",
        "SQS-ReceiveMessage",
        json!({
            "QueueUrl": "$request.header.x-queue",
            "MaxNumberOfMessages": "5",
            "MessageAttributeNames": "All",
        }),
    )
    .await;
    service_route(
        &t,
        &api,
        "/delete",
        "SQS-DeleteMessage",
        json!({"QueueUrl": "${stageVariables.queue}", "ReceiptHandle": "$request.body.handle"}),
    )
    .await;
    service_route(
        &t,
        &api,
        "/purge",
        "SQS-PurgeQueue",
        json!({"QueueUrl": "$stageVariables.queue"}),
    )
    .await;
    default_stage(&t, &api, json!({"queue": url})).await;

    // SendMessage: the service's answer is the route's answer.
    let (status, sent) = post(
        &t,
        &api,
        "/send",
        &[],
        json!({"message": "book & pen", "attributes": {"kind": {"DataType": "String", "StringValue": "gift"}}}),
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    let message_id = sent["SendMessageResponse"]["SendMessageResult"]["MessageId"]
        .as_str()
        .unwrap_or_else(|| panic!("SendMessage answer: {sent}"))
        .to_string();
    assert_eq!(queue_depth(moto, &url).await, 1);

    // ReceiveMessage, with the queue from a header.
    let (status, got) = post(&t, &api, "/receive", &[("x-queue", &url)], json!({})).await;
    assert_eq!(status, 200, "{got}");
    let messages = &got["ReceiveMessageResponse"]["ReceiveMessageResult"]["Messages"];
    let message = messages
        .as_array()
        .and_then(|m| m.first())
        .unwrap_or_else(|| panic!("ReceiveMessage answer: {got}"));
    assert_eq!(message["MessageId"], message_id.as_str());
    assert_eq!(message["Body"], "book & pen");
    assert_eq!(
        message["MessageAttributes"],
        json!([{"key": "kind", "value": {"StringValue": "gift", "DataType": "String"}}]),
        "{message}"
    );
    let handle = message["ReceiptHandle"].as_str().expect("handle");

    // DeleteMessage with the receipt handle from the body.
    let (status, deleted) = post(&t, &api, "/delete", &[], json!({"handle": handle})).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(queue_depth(moto, &url).await, 0);

    // PurgeQueue empties what two more sends put there.
    for m in ["one", "two"] {
        let (status, _) = post(
            &t,
            &api,
            "/send",
            &[],
            json!({"message": m, "attributes": {}}),
        )
        .await;
        assert_eq!(status, 200);
    }
    assert_eq!(queue_depth(moto, &url).await, 2);
    let (status, purged) = post(&t, &api, "/purge", &[], json!({})).await;
    assert_eq!(status, 200, "{purged}");
    assert_eq!(queue_depth(moto, &url).await, 0);

    // Export carries the subtype, its parameters and the role (no URI); an import of the
    // export makes the same integration.
    let (status, _, exported) = v2(
        &t,
        Method::GET,
        &format!("/apis/{api}/exports/OAS30?outputType=JSON"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{exported}");
    let doc = match exported {
        Value::String(s) => serde_json::from_str::<Value>(&s).expect("export JSON"),
        v => v,
    };
    let x = &doc["paths"]["/send"]["post"]["x-amazon-apigateway-integration"];
    assert_eq!(x["integrationSubtype"], "SQS-SendMessage", "{x}");
    assert_eq!(x["credentials"], ROLE);
    assert_eq!(x["requestParameters"]["QueueUrl"], "$stageVariables.queue");
    assert!(x.get("uri").is_none(), "{x}");
    let imported = v2_ok(
        &t,
        Method::PUT,
        "/apis",
        Some(json!({"body": doc.to_string()})),
        201,
    )
    .await;
    let copy = imported["apiId"].as_str().expect("apiId");
    let list = v2_ok(
        &t,
        Method::GET,
        &format!("/apis/{copy}/integrations"),
        None,
        200,
    )
    .await;
    let send = list["items"]
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|i| i["integrationSubtype"] == "SQS-SendMessage")
        })
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(send["credentialsArn"], ROLE);
    assert_eq!(
        send["requestParameters"]["MessageBody"],
        "$request.body.message"
    );

    // A service error is the service's status and answer.
    let (status, missing) = post(
        &t,
        &api,
        "/receive",
        &[("x-queue", "http://nowhere/1/none")],
        json!({}),
    )
    .await;
    assert_eq!(status, 400, "{missing}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_functions_subtypes_start_and_stop_an_execution() {
    init();
    let Some(moto) = moto() else { return };
    let name = unique("http-flow");
    let arn = moto
        .boto(&format!(
            "d = json.dumps({{'StartAt': 'W', 'States': {{'W': {{'Type': 'Wait', 'Seconds': 600, 'End': True}}}}}})\n\
             r = client('stepfunctions').create_state_machine(name='{name}', definition=d, roleArn='arn:aws:iam::123456789012:role/sf')\n\
             print(json.dumps(r['stateMachineArn']))"
        ))
        .await;
    let arn = arn.as_str().expect("arn").to_string();
    let t = TestGateway::start().await;
    t.gw.set_aws_settings(moto.settings());
    let api = api(&t).await;
    service_route(
        &t,
        &api,
        "/start",
        "StepFunctions-StartExecution",
        json!({"StateMachineArn": "$stageVariables.machine", "Name": "$request.body.id", "Input": "$request.body"}),
    )
    .await;
    service_route(
        &t,
        &api,
        "/stop",
        "StepFunctions-StopExecution",
        json!({"ExecutionArn": "$request.body.execution", "Cause": "cancelled by $context.routeKey", "Error": "Cancelled"}),
    )
    .await;
    default_stage(&t, &api, json!({"machine": arn})).await;

    let id = unique("run");
    let body = json!({"id": id, "order": 42});
    let (status, started) = post(&t, &api, "/start", &[], body.clone()).await;
    assert_eq!(status, 200, "{started}");
    let execution = started["executionArn"]
        .as_str()
        .unwrap_or_else(|| panic!("StartExecution answer: {started}"))
        .to_string();
    assert!(execution.ends_with(&format!(":{id}")), "{execution}");
    let described = moto
        .boto(&format!(
            "d = client('stepfunctions').describe_execution(executionArn='{execution}')\n\
             print(json.dumps([d['input'], d['status']]))"
        ))
        .await;
    let input: Value = serde_json::from_str(described[0].as_str().expect("input")).expect("json");
    assert_eq!(input, body);
    assert_eq!(described[1], "RUNNING");

    let (status, stopped) = post(&t, &api, "/stop", &[], json!({"execution": execution})).await;
    assert_eq!(status, 200, "{stopped}");
    assert!(stopped["stopDate"].is_number(), "{stopped}");
    let status_now = moto
        .boto(&format!(
            "print(json.dumps(client('stepfunctions').describe_execution(executionArn='{execution}')['status']))"
        ))
        .await;
    assert_eq!(status_now, "ABORTED");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinesis_put_record_and_eventbridge_put_events_reach_the_service() {
    init();
    let Some(moto) = moto() else { return };
    let stream = unique("http-clicks");
    let sink = unique("http-events-sink");
    let rule = unique("http-rule");
    let source = unique("gwtui.http");
    let sink_url = moto
        .boto(&format!(
            "k = client('kinesis')\n\
             k.create_stream(StreamName='{stream}', ShardCount=1)\n\
             sqs = client('sqs')\n\
             url = sqs.create_queue(QueueName='{sink}')['QueueUrl']\n\
             arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']\n\
             e = client('events')\n\
             e.put_rule(Name='{rule}', EventPattern=json.dumps({{'source': ['{source}']}}))\n\
             e.put_targets(Rule='{rule}', Targets=[{{'Id': 'q', 'Arn': arn}}])\n\
             print(json.dumps(url))"
        ))
        .await;
    let sink_url = sink_url.as_str().expect("url").to_string();
    let t = TestGateway::start().await;
    t.gw.set_aws_settings(moto.settings());
    let api = api(&t).await;
    service_route(
        &t,
        &api,
        "/clicks",
        "Kinesis-PutRecord",
        json!({"StreamName": stream, "Data": "$request.body.data", "PartitionKey": "$request.header.x-user"}),
    )
    .await;
    service_route(
        &t,
        &api,
        "/events",
        "EventBridge-PutEvents",
        json!({
            "Source": source,
            "DetailType": "$request.body.kind",
            "Detail": "$request.body.detail",
            "EventBusName": "default",
        }),
    )
    .await;
    default_stage(&t, &api, json!({})).await;

    // Kinesis takes Data base64-encoded, as its API does.
    let (status, put) = post(
        &t,
        &api,
        "/clicks",
        &[("x-user", "u-7")],
        json!({"data": "eyJjbGljayI6ImJ1eSJ9"}),
    )
    .await;
    assert_eq!(status, 200, "{put}");
    assert!(
        put["ShardId"]
            .as_str()
            .is_some_and(|s| s.starts_with("shardId-")),
        "{put}"
    );
    let records = moto
        .boto(&format!(
            "k = client('kinesis')\n\
             shard = k.describe_stream(StreamName='{stream}')['StreamDescription']['Shards'][0]['ShardId']\n\
             it = k.get_shard_iterator(StreamName='{stream}', ShardId=shard, ShardIteratorType='TRIM_HORIZON')['ShardIterator']\n\
             print(json.dumps([[r['Data'].decode(), r['PartitionKey']] for r in k.get_records(ShardIterator=it)['Records']]))"
        ))
        .await;
    assert_eq!(records, json!([[r#"{"click":"buy"}"#, "u-7"]]));

    let (status, sent) = post(
        &t,
        &api,
        "/events",
        &[],
        json!({"kind": "order", "detail": {"id": 7}}),
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["FailedEntryCount"], 0, "{sent}");
    let delivered = moto
        .boto(&format!(
            "m = client('sqs').receive_message(QueueUrl='{sink_url}', MaxNumberOfMessages=10)\n\
             print(json.dumps([json.loads(x['Body']) for x in m.get('Messages', [])]))"
        ))
        .await;
    let event = &delivered[0];
    assert_eq!(event["source"], source.as_str(), "{delivered}");
    assert_eq!(event["detail-type"], "order");
    assert_eq!(event["detail"], json!({"id": 7}));
    t.stop().await;
}

/// StartSyncExecution (moto has none): the signed request that reaches a Step Functions
/// endpoint, here a backend echoing what it got.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_sync_execution_sends_the_signed_action_to_the_states_endpoint() {
    init();
    let backend = echo_backend().await;
    let t = TestGateway::start().await;
    let settings = gwtui::engine::AwsSettings::resolve(
        &gwtui::engine::AwsConfig {
            endpoints: [("states".to_string(), format!("http://{backend}"))].into(),
            access_key_id: Some("AKIDEXAMPLE".into()),
            secret_access_key: Some("secret".into()),
            ..Default::default()
        },
        |_| None,
        None,
    )
    .expect("settings");
    t.gw.set_aws_settings(settings);
    let api = api(&t).await;
    service_route(
        &t,
        &api,
        "/sync",
        "StepFunctions-StartSyncExecution",
        json!({
            "StateMachineArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:express",
            "Input": "$request.body",
            "Region": "eu-west-1",
        }),
    )
    .await;
    default_stage(&t, &api, json!({})).await;
    let (status, echoed) = post(&t, &api, "/sync", &[], json!({"n": 1})).await;
    assert_eq!(status, 200, "{echoed}");
    assert_eq!(echoed["method"], "POST");
    assert_eq!(
        echoed["headers"]["x-amz-target"],
        "AWSStepFunctions.StartSyncExecution"
    );
    assert_eq!(
        echoed["headers"]["content-type"],
        "application/x-amz-json-1.0"
    );
    let auth = echoed["headers"]["authorization"].as_str().expect("signed");
    assert!(auth.contains("/eu-west-1/states/aws4_request"), "{auth}");
    let sent: Value = serde_json::from_str(echoed["body"].as_str().expect("body")).expect("json");
    assert_eq!(
        sent,
        json!({"stateMachineArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:express", "input": r#"{"n":1}"#})
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_subtype_integrations_are_refused_and_nothing_is_stored() {
    init();
    let t = TestGateway::start().await;
    let api = api(&t).await;
    let path = format!("/apis/{api}/integrations");
    let base = json!({
        "integrationType": "AWS_PROXY",
        "integrationSubtype": "SQS-SendMessage",
        "payloadFormatVersion": "1.0",
        "credentialsArn": ROLE,
        "requestParameters": {"QueueUrl": "$request.header.q", "MessageBody": "$request.body"},
    });
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let cases = [
        (
            "missing required",
            with(
                "requestParameters",
                json!({"QueueUrl": "$request.header.q"}),
            ),
            "MessageBody",
        ),
        (
            "unknown key",
            with(
                "requestParameters",
                json!({"QueueUrl": "q", "MessageBody": "b", "Body": "x"}),
            ),
            "Body",
        ),
        (
            "unknown subtype",
            with("integrationSubtype", json!("SQS-SendMessages")),
            "Invalid integration subtype",
        ),
        (
            "AppConfig",
            with("integrationSubtype", json!("AppConfig-GetConfiguration")),
            "not supported by gwtui",
        ),
        (
            "payload 2.0",
            with("payloadFormatVersion", json!("2.0")),
            "PayloadFormatVersion",
        ),
        (
            "HTTP_PROXY",
            with("integrationType", json!("HTTP_PROXY")),
            "AWS_PROXY",
        ),
        (
            "bad role",
            with("credentialsArn", json!("apigw")),
            "credentials ARN",
        ),
        (
            "bad expression",
            with(
                "requestParameters",
                json!({"QueueUrl": "q", "MessageBody": "$response.body"}),
            ),
            "mapping expression",
        ),
    ];
    for (case, body, says) in cases {
        let (status, kind, answer) = v2(&t, Method::POST, &path, Some(body)).await;
        assert_eq!(status, 400, "{case}: {answer}");
        assert_eq!(kind.as_deref(), Some("BadRequestException"), "{case}");
        assert!(
            answer["message"].as_str().is_some_and(|m| m.contains(says)),
            "{case}: {answer}"
        );
    }
    let listed = v2_ok(&t, Method::GET, &path, None, 200).await;
    assert_eq!(listed["items"], json!([]), "{listed}");

    // An update that drops a required parameter is refused; the stored one stays.
    let created = v2_ok(&t, Method::POST, &path, Some(base.clone()), 201).await;
    let id = created["integrationId"].as_str().expect("id");
    let (status, kind, _) = v2(
        &t,
        Method::PATCH,
        &format!("{path}/{id}"),
        Some(json!({"requestParameters": {"QueueUrl": "q"}})),
    )
    .await;
    assert_eq!(
        (status, kind.as_deref()),
        (400, Some("BadRequestException"))
    );
    let stored = v2_ok(&t, Method::GET, &format!("{path}/{id}"), None, 200).await;
    assert_eq!(stored["requestParameters"], base["requestParameters"]);

    // An integration or authorizer a route needs cannot be deleted (ConflictException).
    let authorizer = v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{api}/authorizers"),
        Some(json!({"name": "jwt", "authorizerType": "JWT",
            "identitySource": ["$request.header.Authorization"],
            "jwtConfiguration": {"issuer": "https://issuer.example", "audience": ["a"]}})),
        201,
    )
    .await;
    let auth_id = authorizer["authorizerId"].as_str().expect("authorizerId");
    let route = v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{api}/routes"),
        Some(
            json!({"routeKey": "POST /send", "target": format!("integrations/{id}"),
            "authorizationType": "JWT", "authorizerId": auth_id}),
        ),
        201,
    )
    .await;
    let route_id = route["routeId"].as_str().expect("routeId");
    for (what, url, says) in [
        (
            "integration",
            format!("{path}/{id}"),
            format!("Cannot delete integration {id}: route {route_id} (POST /send) targets it"),
        ),
        (
            "authorizer",
            format!("/apis/{api}/authorizers/{auth_id}"),
            format!("Cannot delete authorizer {auth_id}: route {route_id} (POST /send) uses it"),
        ),
    ] {
        let (status, kind, answer) = v2(&t, Method::DELETE, &url, None).await;
        assert_eq!(
            (status, kind.as_deref()),
            (409, Some("ConflictException")),
            "{what}"
        );
        assert_eq!(answer["message"], says.as_str(), "{what}");
    }
    v2_ok(
        &t,
        Method::DELETE,
        &format!("/apis/{api}/routes/{route_id}"),
        None,
        204,
    )
    .await;
    v2_ok(&t, Method::DELETE, &format!("{path}/{id}"), None, 204).await;
    let listed = v2_ok(&t, Method::GET, &path, None, 200).await;
    assert_eq!(listed["items"], json!([]), "{listed}");
    t.stop().await;
}
