//! Full CRUD over HTTP for authorizers, request validators, models, gateway responses, usage
//! plans, API keys, usage plan keys and tags; definitions survive a restart.

mod common;
mod mgmt_support;

use common::TestGateway;
use mgmt_support::mgmt;
use reqwest::Method;
use serde_json::Value;

async fn call(t: &TestGateway, method: Method, path: &str, body: Option<&str>, want: u16) -> Value {
    let (status, kind, json) = mgmt(&t.client, &t.base(), method.clone(), path, body).await;
    assert_eq!(status, want, "{method} {path}: {kind:?} {json}");
    json
}

fn patch(ops: &str) -> String {
    format!(r#"{{"patchOperations":{ops}}}"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definitions_usage_plans_keys_and_tags_round_trip() {
    common::init();
    let t = TestGateway::start().await;
    let api = call(
        &t,
        Method::POST,
        "/restapis",
        Some(r#"{"name":"crud"}"#),
        201,
    )
    .await;
    let id = api["id"].as_str().expect("id").to_string();
    let root = api["rootResourceId"].as_str().expect("root").to_string();
    let r = |p: &str| format!("/restapis/{id}{p}");

    // Authorizer.
    let body = r#"{"name":"tok","type":"TOKEN","authorizerUri":"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:auth/invocations","identitySource":"method.request.header.Authorization","authorizerResultTtlInSeconds":60}"#;
    let auth = call(&t, Method::POST, &r("/authorizers"), Some(body), 201).await;
    let auth_id = auth["id"].as_str().expect("authorizer id").to_string();
    let updated = call(
        &t,
        Method::PATCH,
        &r(&format!("/authorizers/{auth_id}")),
        Some(&patch(
            r#"[{"op":"replace","path":"/authorizerResultTtlInSeconds","value":"120"}]"#,
        )),
        200,
    )
    .await;
    assert_eq!(updated["authorizerResultTtlInSeconds"], 120);
    assert_eq!(
        call(&t, Method::GET, &r("/authorizers"), None, 200).await["item"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // Validator and model, used by a method.
    let v = call(
        &t,
        Method::POST,
        &r("/requestvalidators"),
        Some(r#"{"name":"all","validateRequestBody":true,"validateRequestParameters":true}"#),
        201,
    )
    .await;
    let v_id = v["id"].as_str().expect("validator id").to_string();
    call(
        &t,
        Method::PATCH,
        &r(&format!("/requestvalidators/{v_id}")),
        Some(&patch(
            r#"[{"op":"replace","path":"/validateRequestBody","value":"false"}]"#,
        )),
        200,
    )
    .await;
    let schema = r#"{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}}"#;
    let model_body =
        format!(r#"{{"name":"Pet","contentType":"application/json","schema":"{schema}"}}"#);
    call(&t, Method::POST, &r("/models"), Some(&model_body), 201).await;
    call(&t, Method::POST, &r("/models"), Some(&model_body), 409).await;
    let res = call(
        &t,
        Method::POST,
        &r(&format!("/resources/{root}")),
        Some(r#"{"pathPart":"pets"}"#),
        201,
    )
    .await;
    let rid = res["id"].as_str().expect("rid").to_string();
    let method_body = format!(
        r#"{{"authorizationType":"CUSTOM","authorizerId":"{auth_id}","requestValidatorId":"{v_id}","requestModels":{{"application/json":"Pet"}}}}"#
    );
    call(
        &t,
        Method::PUT,
        &r(&format!("/resources/{rid}/methods/POST")),
        Some(&method_body),
        201,
    )
    .await;
    let msg = call(&t, Method::DELETE, &r("/models/Pet"), None, 409).await;
    assert_eq!(
        msg["message"],
        "Cannot delete model 'Pet', is referenced in method request: /pets/POST"
    );
    call(
        &t,
        Method::DELETE,
        &r(&format!("/authorizers/{auth_id}")),
        None,
        409,
    )
    .await;
    let listed = call(&t, Method::GET, &r("/resources?embed=methods"), None, 200).await;
    let pets = listed["item"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["path"] == "/pets"))
        .expect("pets")
        .clone();
    assert_eq!(
        pets["resourceMethods"]["POST"]["authorizerId"],
        auth_id.as_str()
    );
    let plain = call(&t, Method::GET, &r("/resources"), None, 200).await;
    let pets = plain["item"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["path"] == "/pets"))
        .expect("pets")
        .clone();
    assert_eq!(pets["resourceMethods"]["POST"], serde_json::json!({}));

    // Method / integration / responses: update and delete.
    let mp = r(&format!("/resources/{rid}/methods/POST"));
    call(
        &t,
        Method::PUT,
        &format!("{mp}/integration"),
        Some(r#"{"type":"MOCK","requestTemplates":{"application/json":"{\"statusCode\":200}"}}"#),
        201,
    )
    .await;
    call(
        &t,
        Method::PUT,
        &format!("{mp}/responses/200"),
        Some("{}"),
        201,
    )
    .await;
    call(
        &t,
        Method::PUT,
        &format!("{mp}/integration/responses/200"),
        Some(r#"{"selectionPattern":""}"#),
        201,
    )
    .await;
    let upd = call(
        &t,
        Method::PATCH,
        &format!("{mp}/integration"),
        Some(&patch(
            r#"[{"op":"replace","path":"/timeoutInMillis","value":"1000"}]"#,
        )),
        200,
    )
    .await;
    assert_eq!(upd["timeoutInMillis"], 1000);
    call(
        &t,
        Method::PATCH,
        &format!("{mp}/integration/responses/200"),
        Some(&patch(
            r#"[{"op":"add","path":"/responseTemplates/application~1json","value":"{}"}]"#,
        )),
        200,
    )
    .await;
    call(
        &t,
        Method::PATCH,
        &mp,
        Some(&patch(
            r#"[{"op":"replace","path":"/apiKeyRequired","value":"true"}]"#,
        )),
        200,
    )
    .await;
    call(
        &t,
        Method::PATCH,
        &mp,
        Some(&patch(
            r#"[{"op":"replace","path":"/requestValidatorId","value":"nope"}]"#,
        )),
        400,
    )
    .await;
    call(
        &t,
        Method::DELETE,
        &format!("{mp}/integration/responses/200"),
        None,
        204,
    )
    .await;
    call(
        &t,
        Method::GET,
        &format!("{mp}/integration/responses/200"),
        None,
        404,
    )
    .await;
    call(
        &t,
        Method::PATCH,
        &r(&format!("/resources/{rid}")),
        Some(&patch(
            r#"[{"op":"replace","path":"/pathPart","value":"animals"}]"#,
        )),
        200,
    )
    .await;
    call(
        &t,
        Method::PATCH,
        &r(""),
        Some(&patch(
            r#"[{"op":"replace","path":"/description","value":"patched"}]"#,
        )),
        200,
    )
    .await;

    // Gateway responses: 21 defaults, customise, restore.
    assert_eq!(
        call(
            &t,
            Method::GET,
            &r("/gatewayresponses?limit=500"),
            None,
            200
        )
        .await["item"]
            .as_array()
            .map(Vec::len),
        Some(21)
    );
    let gr = call(
        &t,
        Method::PUT,
        &r("/gatewayresponses/DEFAULT_4XX"),
        Some(r#"{"statusCode":"418","responseParameters":{"gatewayresponse.header.x-a":"'b'"}}"#),
        201,
    )
    .await;
    assert_eq!(gr["defaultResponse"], false);
    let gr = call(&t, Method::PATCH, &r("/gatewayresponses/THROTTLED"), Some(&patch(r#"[{"op":"add","path":"/responseTemplates/application~1json","value":"{\"slow\":true}"}]"#)), 200).await;
    // THROTTLED was a default taking the customised DEFAULT_4XX's status (AWS-recorded,
    // `gateway_response_put#get-gateway-responses`); the patch starts from that.
    assert_eq!(gr["statusCode"], "418");
    call(
        &t,
        Method::DELETE,
        &r("/gatewayresponses/DEFAULT_4XX"),
        None,
        202,
    )
    .await;
    assert_eq!(
        call(
            &t,
            Method::GET,
            &r("/gatewayresponses/DEFAULT_4XX"),
            None,
            200
        )
        .await["defaultResponse"],
        true
    );

    // Deploy, then usage plan + key + link.
    call(
        &t,
        Method::POST,
        &r("/deployments"),
        Some(r#"{"stageName":"prod"}"#),
        201,
    )
    .await;
    let plan_body = format!(
        r#"{{"name":"gold","apiStages":[{{"apiId":"{id}","stage":"prod"}}],"throttle":{{"burstLimit":10,"rateLimit":5}},"quota":{{"limit":100,"period":"DAY"}},"tags":{{"tier":"gold"}}}}"#
    );
    let plan = call(&t, Method::POST, "/usageplans", Some(&plan_body), 201).await;
    let plan_id = plan["id"].as_str().expect("plan id").to_string();
    let key = call(
        &t,
        Method::POST,
        "/apikeys",
        Some(r#"{"name":"k1","enabled":true,"value":"abcdefghijklmnopqrstuvwxyz0123"}"#),
        201,
    )
    .await;
    let key_id = key["id"].as_str().expect("key id").to_string();
    assert_eq!(key["value"], "abcdefghijklmnopqrstuvwxyz0123");
    assert!(
        call(&t, Method::GET, &format!("/apikeys/{key_id}"), None, 200)
            .await
            .get("value")
            .is_none()
    );
    assert_eq!(
        call(
            &t,
            Method::GET,
            &format!("/apikeys/{key_id}?includeValue=true"),
            None,
            200
        )
        .await["value"],
        "abcdefghijklmnopqrstuvwxyz0123"
    );
    let link = call(
        &t,
        Method::POST,
        &format!("/usageplans/{plan_id}/keys"),
        Some(&format!(r#"{{"keyId":"{key_id}","keyType":"API_KEY"}}"#)),
        201,
    )
    .await;
    assert_eq!(link["type"], "API_KEY");
    call(
        &t,
        Method::POST,
        &format!("/usageplans/{plan_id}/keys"),
        Some(&format!(r#"{{"keyId":"{key_id}","keyType":"API_KEY"}}"#)),
        409,
    )
    .await;
    let upd = call(&t, Method::PATCH, &format!("/usageplans/{plan_id}"), Some(&patch(&format!(r#"[{{"op":"replace","path":"/apiStages/{id}:prod/throttle/~1animals/POST/rateLimit","value":"2"}}]"#))), 200).await;
    assert_eq!(
        upd["apiStages"][0]["throttle"]["/animals/POST"]["rateLimit"],
        2.0
    );
    call(
        &t,
        Method::PATCH,
        &format!("/apikeys/{key_id}"),
        Some(&patch(
            r#"[{"op":"replace","path":"/enabled","value":"false"}]"#,
        )),
        200,
    )
    .await;
    assert_eq!(
        call(
            &t,
            Method::GET,
            &format!("/usageplans?keyId={key_id}"),
            None,
            200
        )
        .await["item"][0]["id"],
        plan_id.as_str()
    );

    // Tags on the API and the stage.
    let arn = format!("arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2F{id}%2Fstages%2Fprod");
    call(
        &t,
        Method::PUT,
        &format!("/tags/{arn}"),
        Some(r#"{"tags":{"a":"1","b":"2"}}"#),
        204,
    )
    .await;
    call(
        &t,
        Method::DELETE,
        &format!("/tags/{arn}?tagKeys=a"),
        None,
        204,
    )
    .await;
    assert_eq!(
        call(&t, Method::GET, &format!("/tags/{arn}"), None, 200).await["tags"],
        serde_json::json!({"b":"2"})
    );
    call(
        &t,
        Method::DELETE,
        &r("/stages/prod/cache/authorizers"),
        None,
        202,
    )
    .await;

    // Everything survives a restart.
    let def = t.gw.get_definition(&id).expect("definition");
    let plan = t.gw.get_usage_plan(&plan_id).expect("plan");
    let dir = t.stop().await;
    let t = TestGateway::start_in(dir, None).await;
    assert_eq!(t.gw.get_definition(&id).expect("definition"), def);
    assert_eq!(t.gw.get_usage_plan(&plan_id).expect("plan"), plan);
    assert_eq!(
        t.gw.get_stage(&id, "prod")
            .expect("stage")
            .tags
            .get("b")
            .map(String::as_str),
        Some("2")
    );
    assert_eq!(t.gw.list_usage_plan_keys(&plan_id).expect("keys").len(), 1);
    call(
        &t,
        Method::DELETE,
        &format!("/usageplans/{plan_id}/keys/{key_id}"),
        None,
        202,
    )
    .await;
    call(&t, Method::DELETE, &format!("/apikeys/{key_id}"), None, 202).await;
    call(
        &t,
        Method::DELETE,
        &format!("/usageplans/{plan_id}"),
        None,
        202,
    )
    .await;
    call(
        &t,
        Method::DELETE,
        &r(&format!("/resources/{rid}/methods/POST")),
        None,
        204,
    )
    .await;
    call(&t, Method::DELETE, &r("/models/Pet"), None, 202).await;
    call(
        &t,
        Method::DELETE,
        &r(&format!("/authorizers/{auth_id}")),
        None,
        202,
    )
    .await;
    call(
        &t,
        Method::DELETE,
        &r(&format!("/requestvalidators/{v_id}")),
        None,
        202,
    )
    .await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_deployment_changes_only_the_description_and_it_survives_a_restart() {
    common::init();
    let t = TestGateway::start().await;
    let api = call(&t, Method::POST, "/restapis", Some(r#"{"name":"ud"}"#), 201).await;
    let id = api["id"].as_str().expect("id").to_string();
    let root = api["rootResourceId"].as_str().expect("root").to_string();
    let m = format!("/restapis/{id}/resources/{root}/methods/GET");
    mgmt_support::put_mock_method(&t.client, &t.base(), &m).await;
    let dep = call(
        &t,
        Method::POST,
        &format!("/restapis/{id}/deployments"),
        Some(r#"{"stageName":"prod","description":"first"}"#),
        201,
    )
    .await;
    let dep_id = dep["id"].as_str().expect("deployment id").to_string();
    let path = format!("/restapis/{id}/deployments/{dep_id}");
    let updated = call(
        &t,
        Method::PATCH,
        &path,
        Some(&patch(
            r#"[{"op":"replace","path":"/description","value":"renamed"}]"#,
        )),
        200,
    )
    .await;
    assert_eq!(updated["description"], "renamed");
    assert_eq!(updated["id"], dep_id.as_str());
    assert_eq!(updated["createdDate"], dep["createdDate"]);

    // Anything else is refused, and the refusal changes nothing.
    let (status, kind, json) = mgmt_support::mgmt(
        &t.client,
        &t.base(),
        Method::PATCH,
        &path,
        Some(&patch(
            r#"[{"op":"replace","path":"/description","value":"lost"},{"op":"replace","path":"/createdDate","value":"1"}]"#,
        )),
    )
    .await;
    assert_eq!(
        (status, kind.as_deref()),
        (400, Some("BadRequestException"))
    );
    assert!(
        json["message"]
            .as_str()
            .is_some_and(|m| m.contains("/createdDate") && m.contains("[/description]")),
        "{json}"
    );
    let (status, kind, _) = mgmt_support::mgmt(
        &t.client,
        &t.base(),
        Method::PATCH,
        &format!("/restapis/{id}/deployments/nope"),
        Some(&patch(
            r#"[{"op":"replace","path":"/description","value":"x"}]"#,
        )),
    )
    .await;
    assert_eq!((status, kind.as_deref()), (404, Some("NotFoundException")));

    let dir = t.stop().await;
    let t = TestGateway::start_in(dir, None).await;
    let got = call(&t, Method::GET, &path, None, 200).await;
    assert_eq!(got["description"], "renamed");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_account_reports_the_configured_account_throttle() {
    common::init();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = gwtui::engine::EngineConfig {
        data_dir: dir.path().to_path_buf(),
        account_rate_limit: 250.5,
        account_burst_limit: 40,
        ..gwtui::engine::EngineConfig::default()
    };
    let t = TestGateway::start_with(dir, config).await;
    let account = call(&t, Method::GET, "/account", None, 200).await;
    assert_eq!(
        account,
        serde_json::json!({
            "throttleSettings": {"burstLimit": 40, "rateLimit": 250.5},
            "features": ["UsagePlans"],
            "apiKeyVersion": "4"
        })
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_model_template_generates_a_template_from_the_schema() {
    common::init();
    let t = TestGateway::start().await;
    let api = call(
        &t,
        Method::POST,
        "/restapis",
        Some(r#"{"name":"tpl"}"#),
        201,
    )
    .await;
    let id = api["id"].as_str().expect("id").to_string();
    let models = format!("/restapis/{id}/models");
    call(
        &t,
        Method::POST,
        &models,
        Some(
            r#"{"name":"Pet","contentType":"application/json","schema":"{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"price\":{\"type\":\"number\"}}}"}"#,
        ),
        201,
    )
    .await;
    let pets_schema = format!(
        r#"{{"name":"Pets","contentType":"application/json","schema":"{{\"type\":\"array\",\"items\":{{\"$ref\":\"https://apigateway.amazonaws.com/restapis/{id}/models/Pet\"}}}}"}}"#
    );
    call(&t, Method::POST, &models, Some(&pets_schema), 201).await;
    let template = call(
        &t,
        Method::GET,
        &format!("{models}/Pets/default_template"),
        None,
        200,
    )
    .await;
    let value = template["value"].as_str().expect("value");
    assert!(
        value.starts_with("#set($inputRoot = $input.path('$'))\n[\n#foreach($elem in $inputRoot)"),
        "{value}"
    );
    assert!(value.contains("\"name\" : \"$elem.name\""), "{value}");
    assert!(value.contains("\"price\" : $elem.price"), "{value}");
    // The generated template is one the engine accepts.
    gwtui::vtl::Template::parse(value).expect("the template parses");
    call(
        &t,
        Method::GET,
        &format!("{models}/Nope/default_template"),
        None,
        404,
    )
    .await;
    t.stop().await;
}

/// PutMethod's `authorizationType` is a plain string in botocore's model: AWS accepts `none`
/// (localstack's AWS-validated `test_http_integration_status_code_selection` and
/// `test_integration_request_parameters_mapping` put it and invoke without credentials) and
/// echoes it as sent (issue 21). The engine acts on it case-insensitively; a value that is none
/// of AWS's names is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_type_is_echoed_as_sent_and_acted_on_case_insensitively() {
    common::init();
    let t = TestGateway::start().await;
    let api = call(
        &t,
        Method::POST,
        "/restapis",
        Some(r#"{"name":"auth"}"#),
        201,
    )
    .await;
    let id = api["id"].as_str().expect("id");
    let root = api["rootResourceId"].as_str().expect("root");
    let m = format!("/restapis/{id}/resources/{root}/methods/GET");
    let put = call(
        &t,
        Method::PUT,
        &m,
        Some(r#"{"authorizationType":"none"}"#),
        201,
    )
    .await;
    assert_eq!(put["authorizationType"], "none");
    assert_eq!(
        call(&t, Method::GET, &m, None, 200).await["authorizationType"],
        "none"
    );
    call(
        &t,
        Method::PUT,
        &format!("{m}/integration"),
        Some(r#"{"type":"MOCK","requestTemplates":{"application/json":"{\"statusCode\":200}"}}"#),
        201,
    )
    .await;
    call(
        &t,
        Method::PUT,
        &format!("{m}/responses/200"),
        Some("{}"),
        201,
    )
    .await;
    call(
        &t,
        Method::PUT,
        &format!("{m}/integration/responses/200"),
        Some(r#"{"responseTemplates":{"application/json":"{\"ok\":true}"}}"#),
        201,
    )
    .await;
    let deploy = format!("/restapis/{id}/deployments");
    call(&t, Method::POST, &deploy, Some(r#"{"stageName":"s"}"#), 201).await;
    let url = t.url(id, "s", "/");
    let open = t.client.get(&url).send().await.expect("invoke");
    assert_eq!(open.status().as_u16(), 200, "`none` is no authorization");

    let updated = call(
        &t,
        Method::PATCH,
        &m,
        Some(&patch(
            r#"[{"op":"replace","path":"/authorizationType","value":"aws_iam"}]"#,
        )),
        200,
    )
    .await;
    assert_eq!(updated["authorizationType"], "aws_iam");
    call(&t, Method::POST, &deploy, Some(r#"{"stageName":"s"}"#), 201).await;
    let closed = t.client.get(&url).send().await.expect("invoke");
    assert_eq!(
        closed.status().as_u16(),
        403,
        "`aws_iam` asks for a signature"
    );

    for (body, message) in [
        (
            r#"{"authorizationType":"OPEN"}"#,
            "Invalid authorization type specified: 'OPEN'. Must be one of: [NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS]",
        ),
        (
            r#"{"authorizationType":"NONE","x":1,"apiKeyRequired":"yes"}"#,
            "Invalid request body: a value does not have the type the operation expects (at a member of the body)",
        ),
    ] {
        let (status, kind, json) = mgmt(&t.client, &t.base(), Method::PUT, &m, Some(body)).await;
        assert_eq!(
            (status, kind.as_deref(), json["message"].as_str()),
            (400, Some("BadRequestException"), Some(message))
        );
    }
    let (status, kind, json) = mgmt(
        &t.client,
        &t.base(),
        Method::PATCH,
        &m,
        Some(&patch(
            r#"[{"op":"replace","path":"/authorizationType","value":"open"}]"#,
        )),
    )
    .await;
    assert_eq!(
        (status, kind.as_deref(), json["message"].as_str()),
        (
            400,
            Some("BadRequestException"),
            Some(
                "Invalid authorization type specified: 'open'. Must be one of: [NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS]"
            )
        )
    );
    assert_eq!(
        call(&t, Method::GET, &m, None, 200).await["authorizationType"],
        "aws_iam",
        "refusals changed nothing"
    );
    t.stop().await;
}
