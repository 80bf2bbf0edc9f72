//! `AWS` (non-proxy) integrations on WebSocket routes: a local Lambda function invoked with
//! the request template's output (selected by `templateSelectionExpression`, with the
//! WebSocket `$context`), its result or error rendered by integration responses on a two-way
//! route; and an SQS SendMessage on moto (`tests/aws_support`, every request's SigV4 checked)
//! whose reply is rendered from the service's answer.

mod aws_support;
mod common;
mod http_api_support;
mod lambda_support;
mod websocket_support;

use aws_support::{moto, unique};
use common::{TestGateway, actor, init};
use gwtui::engine::Runtime;
use http_api_support::v2_ok;
use reqwest::Method;
use serde_json::{Value, json};
use websocket_support::*;

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

async fn integration_response(
    t: &TestGateway,
    api: &str,
    integration: &str,
    key: &str,
    template: &str,
) {
    v2_ok(
        t,
        Method::POST,
        &format!("/apis/{api}/integrations/{integration}/integrationresponses"),
        Some(json!({"integrationResponseKey": key,
                    "responseTemplates": {"$default": template},
                    "templateSelectionExpression": "\\$default"})),
        201,
    )
    .await;
}

#[tokio::test]
async fn aws_lambda_integration_invokes_the_function_with_the_template_output() {
    init();
    let t = TestGateway::start().await;
    let (record_addr, mut recorded_rx) = recorder().await;
    for (name, handler) in [("ws-payload", "payload"), ("ws-refuse", "refuse")] {
        let mut config =
            lambda_support::local(Runtime::Python3, "python", &format!("websocket.{handler}"));
        config
            .environment
            .insert("RECORD_URL".into(), format!("http://{record_addr}/"));
        t.gw.register_function(&actor(), name, config)
            .await
            .expect("register");
    }
    let api = ws_api(&t, "$request.body.action").await;
    let send = integration(
        &t,
        &api,
        json!({"integrationType": "AWS",
               "integrationUri": lambda_support::lambda_uri("ws-payload"),
               "templateSelectionExpression": "$request.body.kind",
               "passthroughBehavior": "NEVER",
               "requestTemplates": {
                   "greeting": "{\"who\": $input.json('$.name'), \"connection\": \"$context.connectionId\", \"route\": \"$context.routeKey\", \"event\": \"$context.eventType\"}"
               }}),
    )
    .await;
    integration_response(
        &t,
        &api,
        &send,
        "$default",
        "reply to $input.path('$.seen.who') on $input.path('$.seen.route')",
    )
    .await;
    route(&t, &api, "send", &send, true).await;
    let refuse = integration(
        &t,
        &api,
        json!({"integrationType": "AWS",
               "integrationUri": lambda_support::lambda_uri("ws-refuse"),
               "requestTemplates": {"$default": "{\"name\": $input.json('$.name')}"},
               "templateSelectionExpression": "\\$default"}),
    )
    .await;
    integration_response(
        &t,
        &api,
        &refuse,
        "/Bad input.*/",
        "{\"refused\": \"$input.path('$.errorMessage')\"}",
    )
    .await;
    route(&t, &api, "refuse", &refuse, true).await;
    stage(&t, &api, "prod").await;

    let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");
    let id = t.gw.websocket_connections(&api, Some("prod"))[0]
        .connection_id
        .clone();
    send_text(
        &mut ws,
        r#"{"action": "send", "kind": "greeting", "name": "ann"}"#,
    )
    .await;
    assert_eq!(next_text(&mut ws).await, "reply to ann on send");
    // The function saw exactly the template's output, nothing of the proxy event.
    assert_eq!(
        parse(&recorded(&mut recorded_rx).await),
        json!({"who": "ann", "connection": id, "route": "send", "event": "MESSAGE"})
    );

    // No template for this kind and passthroughBehavior NEVER: the function is not called.
    send_text(
        &mut ws,
        r#"{"action": "send", "kind": "other", "name": "bob"}"#,
    )
    .await;
    let frame = parse(&next_text(&mut ws).await);
    assert_eq!(frame["message"], "Internal server error", "{frame}");
    assert_eq!(frame["connectionId"], json!(id));

    // A function error selected by the integration response's regex on its errorMessage.
    send_text(&mut ws, r#"{"action": "refuse", "name": "eve"}"#).await;
    assert_eq!(
        parse(&next_text(&mut ws).await),
        json!({"refused": "Bad input: eve"})
    );
    assert!(
        recorded_rx.try_recv().is_err(),
        "no other invocation recorded"
    );
    t.stop().await;
}

#[tokio::test]
async fn aws_service_integration_sends_to_sqs_and_replies_through_an_integration_response() {
    init();
    let Some(moto) = moto() else { return };
    let queue = unique("ws-orders");
    moto.boto(&format!(
        "print(json.dumps(client('sqs').create_queue(QueueName='{queue}')['QueueUrl']))"
    ))
    .await;
    let t = TestGateway::start().await;
    t.gw.set_aws_settings(moto.settings());
    let api = ws_api(&t, "$request.body.action").await;
    let enqueue = integration(
        &t,
        &api,
        json!({"integrationType": "AWS",
               "integrationMethod": "POST",
               "integrationUri": format!("arn:aws:apigateway:us-east-1:sqs:path/123456789012/{queue}"),
               "credentialsArn": "arn:aws:iam::123456789012:role/apigw-sqs",
               "requestParameters": {"integration.request.querystring.Action": "'SendMessage'"},
               "requestTemplates": {"$default": "MessageBody=$util.urlEncode($input.body)"},
               "templateSelectionExpression": "\\$default",
               "passthroughBehavior": "NEVER"}),
    )
    .await;
    integration_response(
        &t,
        &api,
        &enqueue,
        "/2\\d\\d/",
        "#set($b = $input.body)#set($from = $b.indexOf('<MessageId>') + 11)#set($to = $b.indexOf('</MessageId>'))\
         {\"queued\": \"$b.substring($from, $to)\", \"connection\": \"$context.connectionId\"}",
    )
    .await;
    integration_response(&t, &api, &enqueue, "$default", "{\"failed\": true}").await;
    route(&t, &api, "enqueue", &enqueue, true).await;
    let lost = integration(
        &t,
        &api,
        json!({"integrationType": "AWS",
               "integrationUri": format!("arn:aws:apigateway:us-east-1:sqs:path/123456789012/{}", unique("nosuch")),
               "requestParameters": {"integration.request.querystring.Action": "'SendMessage'"},
               "requestTemplates": {"$default": "MessageBody=$util.urlEncode($input.body)"},
               "templateSelectionExpression": "\\$default"}),
    )
    .await;
    integration_response(&t, &api, &lost, "/2\\d\\d/", "{\"queued\": true}").await;
    integration_response(&t, &api, &lost, "$default", "{\"failed\": true}").await;
    route(&t, &api, "lost", &lost, true).await;
    stage(&t, &api, "prod").await;

    let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");
    let id = t.gw.websocket_connections(&api, Some("prod"))[0]
        .connection_id
        .clone();
    let message = r#"{"action": "enqueue", "item": "book & pen"}"#;
    send_text(&mut ws, message).await;
    let reply = parse(&next_text(&mut ws).await);
    assert_eq!(reply["connection"], json!(id), "{reply}");
    let message_id = reply["queued"].as_str().expect("queued").to_string();
    assert!(!message_id.is_empty(), "{reply}");
    let got = moto
        .boto(&format!(
            "sqs = client('sqs')\n\
             url = sqs.get_queue_url(QueueName='{queue}')['QueueUrl']\n\
             m = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)\n\
             print(json.dumps([[x['MessageId'], x['Body']] for x in m.get('Messages', [])]))"
        ))
        .await;
    assert_eq!(got, json!([[message_id, message]]));

    // A queue that does not exist: the service's 4xx is not 2xx, so `$default` renders it.
    send_text(&mut ws, r#"{"action": "lost", "item": "x"}"#).await;
    assert_eq!(parse(&next_text(&mut ws).await), json!({"failed": true}));
    t.stop().await;
}
