//! AWS service integrations against a real AWS-compatible server (moto, `tests/aws_support`)
//! that checks every request's SigV4 signature: each call goes through a deployed stage over
//! loopback, and boto3 checks on the service side what arrived.

mod aws_support;
mod common;

use aws_support::{moto, unique};
use common::{TestGateway, actor, init};
use gwtui::engine::CreateDeployment;

/// Imports `openapi` (YAML), deploys it to `test` and points `[aws]` at moto.
async fn deploy(t: &TestGateway, openapi: &str) -> String {
    let api =
        t.gw.import_rest_api(&actor(), openapi, Default::default())
            .await
            .unwrap_or_else(|e| panic!("import: {e:?}\n{openapi}"));
    t.gw.create_deployment(
        &actor(),
        &api.id,
        CreateDeployment {
            stage_name: Some("test".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    api.id
}

#[tokio::test]
async fn sqs_send_message_puts_the_body_in_the_queue_and_maps_the_response() {
    init();
    let Some(moto) = moto() else { return };
    let queue = unique("orders");
    moto.boto(&format!(
        "print(json.dumps(client('sqs').create_queue(QueueName='{queue}')['QueueUrl']))"
    ))
    .await;
    let t = TestGateway::start().await;
    t.gw.set_aws_settings(moto.settings());
    let api = deploy(
        &t,
        &format!(
            r#"
openapi: 3.0.1
info: {{title: sqs, version: "1"}}
paths:
  /orders:
    post:
      responses: {{"200": {{description: ok}}}}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:sqs:path/123456789012/{queue}
        credentials: arn:aws:iam::123456789012:role/apigw-sqs
        requestParameters:
          integration.request.header.Content-Type: "'application/x-www-form-urlencoded'"
        requestTemplates:
          application/json: "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
        passthroughBehavior: never
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: |-
                #set($b = $input.body)#set($from = $b.indexOf('<MessageId>') + 11)#set($to = $b.indexOf('</MessageId>'))
                {{"messageId": "$b.substring($from, $to)"}}
"#
        ),
    )
    .await;
    let body = r#"{"item":"book & pen","qty":2}"#;
    let resp = t
        .client
        .post(t.url(&api, "test", "/orders"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    let mapped: serde_json::Value = serde_json::from_str(&text).unwrap();
    let got = moto
        .boto(&format!(
            "sqs = client('sqs')\n\
             url = sqs.get_queue_url(QueueName='{queue}')['QueueUrl']\n\
             m = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)\n\
             print(json.dumps([[x['MessageId'], x['Body']] for x in m.get('Messages', [])]))"
        ))
        .await;
    assert_eq!(got, serde_json::json!([[mapped["messageId"], body]]));
    t.stop().await;
}

/// A method of `api` run through TestInvokeMethod: (status, body, execution log).
async fn test_invoke(
    t: &TestGateway,
    api: &str,
    path: &str,
    verb: &str,
    body: &str,
) -> (u16, String, String) {
    let def = t.gw.get_definition(api).unwrap();
    let resource = def.resources.iter().find(|r| r.path == path).unwrap();
    let mut input = gwtui::model::TestInvokeMethod {
        body: Some(body.to_string()),
        ..Default::default()
    };
    input
        .headers
        .insert("Content-Type".into(), "application/json".into());
    let r =
        t.gw.test_invoke_method(api, &resource.id, verb, input)
            .await
            .unwrap();
    (r.status, r.body, r.log)
}

#[tokio::test]
async fn step_functions_start_execution_starts_the_state_machine() {
    init();
    let Some(moto) = moto() else { return };
    let name = unique("flow");
    let arn = moto
        .boto(&format!(
            "d = json.dumps({{'StartAt': 'P', 'States': {{'P': {{'Type': 'Pass', 'End': True}}}}}})\n\
             r = client('stepfunctions').create_state_machine(name='{name}', definition=d, roleArn='arn:aws:iam::123456789012:role/sf')\n\
             print(json.dumps(r['stateMachineArn']))"
        ))
        .await;
    let arn = arn.as_str().unwrap();
    let t = TestGateway::start().await;
    t.gw.set_aws_settings(moto.settings());
    let api = deploy(
        &t,
        &format!(
            r#"
openapi: 3.0.1
info: {{title: sfn, version: "1"}}
paths:
  /flows:
    post:
      responses: {{"200": {{description: ok}}}}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:states:action/StartExecution
        credentials: arn:aws:iam::123456789012:role/apigw-sfn
        requestTemplates:
          application/json: '{{"stateMachineArn": "{arn}", "input": "$util.escapeJavaScript($input.body)"}}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{{"execution": "$input.path(''$.executionArn'')"}}'
"#
        ),
    )
    .await;
    let body = r#"{"order":42}"#;
    let resp = t
        .client
        .post(t.url(&api, "test", "/flows"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let mapped: serde_json::Value = resp.json().await.unwrap();
    let execution = mapped["execution"].as_str().unwrap();
    assert!(execution.starts_with("arn:aws:states:"), "{mapped}");
    let described = moto
        .boto(&format!(
            "r = client('stepfunctions').describe_execution(executionArn='{execution}')\n\
             print(json.dumps([r['stateMachineArn'], r['input']]))"
        ))
        .await;
    assert_eq!(described, serde_json::json!([arn, body]));
    t.stop().await;
}

#[tokio::test]
async fn dynamodb_put_item_stores_and_query_maps_to_a_clean_list() {
    init();
    let Some(moto) = moto() else { return };
    let table = unique("items");
    moto.boto(&format!(
        "client('dynamodb').create_table(TableName='{table}', KeySchema=[{{'AttributeName': 'id', 'KeyType': 'HASH'}}, {{'AttributeName': 'sk', 'KeyType': 'RANGE'}}], AttributeDefinitions=[{{'AttributeName': 'id', 'AttributeType': 'S'}}, {{'AttributeName': 'sk', 'AttributeType': 'S'}}], BillingMode='PAY_PER_REQUEST')\n\
         print('null')"
    ))
    .await;
    let t = TestGateway::start().await;
    t.gw.set_aws_settings(moto.settings());
    let api = deploy(
        &t,
        &format!(
            r#"
openapi: 3.0.1
info: {{title: ddb, version: "1"}}
paths:
  /items/{{id}}:
    parameters:
      - {{name: id, in: path, required: true, schema: {{type: string}}}}
    post:
      responses: {{"200": {{description: ok}}}}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:dynamodb:action/PutItem
        requestTemplates:
          application/json: |-
            {{"TableName": "{table}", "Item": {{"id": {{"S": "$input.params('id')"}}, "sk": {{"S": "$input.path('$.sk')"}}, "name": {{"S": "$util.escapeJavaScript($input.path('$.name'))"}}}}}}
        responses:
          default: {{statusCode: "200"}}
    get:
      responses: {{"200": {{description: ok}}}}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:dynamodb:action/Query
        requestTemplates:
          application/json: |-
            {{"TableName": "{table}", "KeyConditionExpression": "id = :v", "ExpressionAttributeValues": {{":v": {{"S": "$input.params('id')"}}}}}}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: |-
                #set($r = $input.path('$'))[#foreach($i in $r.Items){{"sk": "$i.sk.S", "name": "$util.escapeJavaScript($i.name.S)"}}#if($foreach.hasNext),#end#end]
"#
        ),
    )
    .await;
    for (sk, name) in [("a", "first"), ("b", "second \"quoted\"")] {
        let resp = t
            .client
            .post(t.url(&api, "test", "/items/k1"))
            .header("content-type", "application/json")
            .body(serde_json::json!({"sk": sk, "name": name}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status().as_u16(),
            200,
            "{}",
            resp.text().await.unwrap()
        );
    }
    let stored = moto
        .boto(&format!(
            "r = client('dynamodb').get_item(TableName='{table}', Key={{'id': {{'S': 'k1'}}, 'sk': {{'S': 'b'}}}})\n\
             print(json.dumps(r['Item']['name']['S']))"
        ))
        .await;
    assert_eq!(stored, "second \"quoted\"");
    let resp = t
        .client
        .get(t.url(&api, "test", "/items/k1"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.text().await.unwrap();
    let list: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(
        list,
        serde_json::json!([{"sk": "a", "name": "first"}, {"sk": "b", "name": "second \"quoted\""}])
    );
    t.stop().await;
}

#[tokio::test]
async fn kinesis_put_record_sends_base64_data() {
    init();
    let Some(moto) = moto() else { return };
    let stream = unique("clicks");
    moto.boto(&format!(
        "client('kinesis').create_stream(StreamName='{stream}', ShardCount=1)\nprint('null')"
    ))
    .await;
    let t = TestGateway::start().await;
    t.gw.set_aws_settings(moto.settings());
    let api = deploy(
        &t,
        &format!(
            r#"
openapi: 3.0.1
info: {{title: kinesis, version: "1"}}
paths:
  /clicks:
    post:
      responses: {{"200": {{description: ok}}}}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:kinesis:action/PutRecord
        requestTemplates:
          application/json: '{{"StreamName": "{stream}", "Data": "$util.base64Encode($input.body)", "PartitionKey": "$context.requestId"}}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{{"shard": "$input.path(''$.ShardId'')"}}'
"#
        ),
    )
    .await;
    let body = r#"{"click":"buy"}"#;
    let resp = t
        .client
        .post(t.url(&api, "test", "/clicks"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let mapped: serde_json::Value = resp.json().await.unwrap();
    assert!(mapped["shard"].as_str().unwrap().starts_with("shardId-"));
    let data = moto
        .boto(&format!(
            "k = client('kinesis')\n\
             shard = k.describe_stream(StreamName='{stream}')['StreamDescription']['Shards'][0]['ShardId']\n\
             it = k.get_shard_iterator(StreamName='{stream}', ShardId=shard, ShardIteratorType='TRIM_HORIZON')['ShardIterator']\n\
             print(json.dumps([r['Data'].decode() for r in k.get_records(ShardIterator=it)['Records']]))"
        ))
        .await;
    assert_eq!(data, serde_json::json!([body]));
    t.stop().await;
}

/// A queue for fan-out checks: (url, arn).
async fn queue(moto: &aws_support::Moto, name: &str) -> (String, String) {
    let v = moto
        .boto(&format!(
            "sqs = client('sqs')\n\
             url = sqs.create_queue(QueueName='{name}')['QueueUrl']\n\
             arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=['QueueArn'])['Attributes']['QueueArn']\n\
             print(json.dumps([url, arn]))"
        ))
        .await;
    (
        v[0].as_str().unwrap().to_string(),
        v[1].as_str().unwrap().to_string(),
    )
}

async fn received(moto: &aws_support::Moto, url: &str) -> Vec<String> {
    let v = moto
        .boto(&format!(
            "m = client('sqs').receive_message(QueueUrl='{url}', MaxNumberOfMessages=10)\n\
             print(json.dumps([x['Body'] for x in m.get('Messages', [])]))"
        ))
        .await;
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn eventbridge_put_events_and_sns_publish_reach_their_subscribers() {
    init();
    let Some(moto) = moto() else { return };
    let (events_url, events_arn) = queue(moto, &unique("events-sink")).await;
    let (sns_url, sns_arn) = queue(moto, &unique("sns-sink")).await;
    let source = unique("gwtui.test");
    let rule = unique("rule");
    let topic = moto
        .boto(&format!(
            "e = client('events')\n\
             e.put_rule(Name='{rule}', EventPattern=json.dumps({{'source': ['{source}']}}))\n\
             e.put_targets(Rule='{rule}', Targets=[{{'Id': 'q', 'Arn': '{events_arn}'}}])\n\
             sns = client('sns')\n\
             topic = sns.create_topic(Name='{}')['TopicArn']\n\
             sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint='{sns_arn}', Attributes={{'RawMessageDelivery': 'true'}})\n\
             print(json.dumps(topic))",
            unique("topic")
        ))
        .await;
    let topic = topic.as_str().unwrap();
    let t = TestGateway::start().await;
    t.gw.set_aws_settings(moto.settings());
    let api = deploy(
        &t,
        &format!(
            r#"
openapi: 3.0.1
info: {{title: fanout, version: "1"}}
paths:
  /events:
    post:
      responses: {{"200": {{description: ok}}}}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:events:action/PutEvents
        requestTemplates:
          application/json: '{{"Entries": [{{"Source": "{source}", "DetailType": "order", "Detail": "$util.escapeJavaScript($input.body)", "EventBusName": "default"}}]}}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{{"failed": $input.path(''$.FailedEntryCount'')}}'
  /notify:
    post:
      responses: {{"200": {{description: ok}}}}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:sns:action/Publish
        requestTemplates:
          application/json: "TopicArn=$util.urlEncode('{topic}')&Message=$util.urlEncode($input.body)"
        responses:
          default: {{statusCode: "200"}}
"#
        ),
    )
    .await;
    let body = r#"{"order":7}"#;
    for path in ["/events", "/notify"] {
        let resp = t
            .client
            .post(t.url(&api, "test", path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert_eq!(status, 200, "{path}: {text}");
        if path == "/events" {
            assert_eq!(text, r#"{"failed": 0}"#);
        } else {
            assert!(text.contains("<MessageId>"), "{text}");
        }
    }
    let events = received(moto, &events_url).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let event: serde_json::Value = serde_json::from_str(&events[0]).unwrap();
    assert_eq!(event["source"], source.as_str());
    assert_eq!(event["detail"], serde_json::json!({"order": 7}));
    assert_eq!(received(moto, &sns_url).await, vec![body.to_string()]);
    t.stop().await;
}

#[tokio::test]
async fn s3_put_and_get_a_binary_object_with_content_handling() {
    init();
    let Some(moto) = moto() else { return };
    let bucket = unique("media");
    moto.boto(&format!(
        "client('s3').create_bucket(Bucket='{bucket}')\nprint('null')"
    ))
    .await;
    let t = TestGateway::start().await;
    t.gw.set_aws_settings(moto.settings());
    let api = deploy(
        &t,
        &format!(
            r#"
openapi: 3.0.1
info: {{title: s3, version: "1"}}
x-amazon-apigateway-binary-media-types: [application/octet-stream]
paths:
  /files/{{key}}:
    parameters:
      - {{name: key, in: path, required: true, schema: {{type: string}}}}
    put:
      responses: {{"200": {{description: ok}}}}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: PUT
        uri: arn:aws:apigateway:us-east-1:s3:path/{bucket}/{{object}}
        requestParameters:
          integration.request.path.object: method.request.path.key
          integration.request.header.Content-Type: "'application/octet-stream'"
        contentHandling: CONVERT_TO_BINARY
        responses:
          default: {{statusCode: "200"}}
    get:
      responses: {{"200": {{description: ok}}, "404": {{description: no such key}}}}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: GET
        uri: arn:aws:apigateway:us-east-1:{bucket}.s3:path/{{object}}
        requestParameters:
          integration.request.path.object: method.request.path.key
        responses:
          "4\\d{{2}}": {{statusCode: "404"}}
          default: {{statusCode: "200", contentHandling: CONVERT_TO_TEXT}}
"#
        ),
    )
    .await;
    let bytes: Vec<u8> = (0..=255u8).rev().collect();
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let resp = t
        .client
        .put(t.url(&api, "test", "/files/pic%20one.bin"))
        .header("content-type", "text/plain")
        .body(encoded.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        200,
        "{}",
        resp.text().await.unwrap()
    );
    let stored = moto
        .boto(&format!(
            "o = client('s3').get_object(Bucket='{bucket}', Key='pic one.bin')\n\
             print(json.dumps([base64.b64encode(o['Body'].read()).decode(), o['ContentType']]))"
        ))
        .await;
    assert_eq!(
        stored,
        serde_json::json!([encoded, "application/octet-stream"])
    );
    let resp = t
        .client
        .get(t.url(&api, "test", "/files/pic%20one.bin"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().await.unwrap(), encoded);
    let resp = t
        .client
        .get(t.url(&api, "test", "/files/missing"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    t.stop().await;
}

/// SQS SendMessage to `queue`, with a 4xx from the service selected into a 400.
fn sqs_with_errors(queue: &str, timeout_ms: u32) -> String {
    format!(
        r#"
openapi: 3.0.1
info: {{title: errors, version: "1"}}
paths:
  /send:
    post:
      responses: {{"200": {{description: ok}}, "400": {{description: service error}}}}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:sqs:path/123456789012/{queue}
        timeoutInMillis: {timeout_ms}
        requestTemplates:
          application/json: "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
        responses:
          "4\\d{{2}}":
            statusCode: "400"
            responseTemplates:
              application/json: '{{"error": "the queue refused the message", "service": "$util.escapeJavaScript($input.body)"}}'
          default: {{statusCode: "200"}}
"#
    )
}

#[tokio::test]
async fn a_service_error_is_selected_by_its_status_into_a_400() {
    init();
    let Some(moto) = moto() else { return };
    let t = TestGateway::start().await;
    t.gw.set_aws_settings(moto.settings());
    let api = deploy(&t, &sqs_with_errors(&unique("nosuch"), 29000)).await;
    let resp = t
        .client
        .post(t.url(&api, "test", "/send"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "the queue refused the message");
    assert!(
        body["service"]
            .as_str()
            .unwrap()
            .contains("NonExistentQueue"),
        "{body}"
    );
    t.stop().await;
}

#[tokio::test]
async fn wrong_credentials_get_the_services_403_and_missing_ones_a_500_with_the_reason() {
    init();
    let Some(moto) = moto() else { return };
    let queue = unique("creds");
    moto.boto(&format!(
        "client('sqs').create_queue(QueueName='{queue}')\nprint('null')"
    ))
    .await;
    let t = TestGateway::start().await;
    let api = deploy(&t, &sqs_with_errors(&queue, 29000)).await;

    // The right key with the wrong secret: moto checks the signature and refuses it.
    t.gw.set_aws_settings(moto.settings_with(&moto.access_key_id, "not-the-secret"));
    let (status, body, log) = test_invoke(&t, &api, "/send", "POST", "{}").await;
    assert_eq!(status, 400, "{log}");
    assert!(body.contains("SignatureDoesNotMatch"), "{body}");
    assert!(log.contains("Received response. Status: 403"), "{log}");
    // An unknown key.
    t.gw.set_aws_settings(moto.settings_with("AKIAUNKNOWN", "x"));
    let (status, body, _) = test_invoke(&t, &api, "/send", "POST", "{}").await;
    assert_eq!(status, 400);
    assert!(body.contains("InvalidClientTokenId"), "{body}");

    // No credentials at all: API Gateway's 500, and the log names the settings.
    let mut none = moto.settings();
    none.credentials = None;
    t.gw.set_aws_settings(none);
    let (status, body, log) = test_invoke(&t, &api, "/send", "POST", "{}").await;
    assert_eq!(status, 500);
    assert_eq!(body, r#"{"message": "Internal server error"}"#);
    assert!(
        log.contains("Execution failed due to configuration error: No AWS credentials for the integration: set [aws] access_key_id"),
        "{log}"
    );
    // The same through the deployed stage.
    let resp = t
        .client
        .post(t.url(&api, "test", "/send"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    assert_eq!(
        resp.headers()["x-amzn-errortype"],
        "InternalServerErrorException"
    );
    t.stop().await;
}

#[tokio::test]
async fn no_endpoint_is_a_500_naming_the_setting_and_a_silent_endpoint_a_504() {
    init();
    let t = TestGateway::start().await;
    let api = deploy(&t, &sqs_with_errors("q", 200)).await;
    // Nothing configured.
    let (status, body, log) = test_invoke(&t, &api, "/send", "POST", "{}").await;
    assert_eq!(status, 500);
    assert_eq!(body, r#"{"message": "Internal server error"}"#);
    assert!(
        log.contains("No endpoint configured for AWS service sqs: set [aws] endpoint_url, [aws.endpoints] sqs, or [aws] real = true"),
        "{log}"
    );

    // An endpoint that accepts connections and never answers: the integration timeout.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let (held_tx, mut held_rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = silent.accept().await {
            let _ = held_tx.send(stream);
        }
    });
    let mut config = gwtui::engine::AwsConfig {
        access_key_id: Some("AKID".into()),
        secret_access_key: Some("SECRET".into()),
        ..Default::default()
    };
    config
        .endpoints
        .insert("sqs".into(), format!("http://{addr}"));
    t.gw.set_aws_settings(gwtui::engine::AwsSettings::resolve(&config, |_| None, None).unwrap());
    let started = std::time::Instant::now();
    let resp = t
        .client
        .post(t.url(&api, "test", "/send"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 504);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(
        resp.headers()["x-amzn-errortype"],
        "InternalServerErrorException"
    );
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"message": "Endpoint request timed out"}"#
    );
    assert!(
        held_rx.try_recv().is_ok(),
        "the request reached the endpoint"
    );
    let (status, _, log) = test_invoke(&t, &api, "/send", "POST", "{}").await;
    assert_eq!(status, 504);
    assert!(
        log.contains("Execution failed due to a timeout error"),
        "{log}"
    );
    assert!(
        log.contains(&format!("Sending request to http://{addr}/123456789012/q")),
        "{log}"
    );
    t.stop().await;
}

#[tokio::test]
async fn the_demo_orders_method_queues_the_order_or_says_what_is_missing() {
    init();
    let Some(moto) = moto() else { return };
    moto.boto("client('sqs').create_queue(QueueName='gwtui-demo-orders')\nprint('null')")
        .await;
    let t = TestGateway::start().await;
    let backend = gwtui::demo::start_backend().await.unwrap();
    let api = gwtui::demo::seed_or_refresh(&t.gw, backend)
        .await
        .unwrap()
        .expect("the demo is seeded on an empty data dir");

    // Nothing configured: 500, and the execution log names the setting.
    let (status, _, log) = test_invoke(&t, &api, "/orders", "POST", r#"{"pet":1}"#).await;
    assert_eq!(status, 500);
    assert!(
        log.contains("No endpoint configured for AWS service sqs: set [aws] endpoint_url"),
        "{log}"
    );
    // The integration's role is recorded, not assumed.
    assert!(
        log.contains("Integration credentials arn:aws:iam::123456789012:role/gwtui-demo-orders: no STS runs locally"),
        "{log}"
    );

    t.gw.set_aws_settings(moto.settings());
    let body = r#"{"pet":1,"qty":3}"#;
    let resp = t
        .client
        .post(t.url(&api, "dev", "/orders"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let mapped: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(mapped["queued"], true);
    let got = moto
        .boto(
            "sqs = client('sqs')\n\
             url = sqs.get_queue_url(QueueName='gwtui-demo-orders')['QueueUrl']\n\
             m = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)\n\
             print(json.dumps([[x['MessageId'], x['Body']] for x in m.get('Messages', [])]))",
        )
        .await;
    assert_eq!(got, serde_json::json!([[mapped["messageId"], body]]));
    // The traffic generator leaves it alone.
    let def = t.gw.get_definition(&api).unwrap();
    assert!(
        gwtui::loadgen::default_mix(&def)
            .iter()
            .all(|target| target.path != "/orders")
    );
    t.stop().await;
}
