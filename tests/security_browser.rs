//! The management plane against web pages (docs/SECURITY.md): for every management route
//! family, a cross-origin "simple" request, a DNS-rebinding `Host`, a `text/plain` body
//! without `Origin` and a spoofed audit actor are refused with 403 `AccessDeniedException`,
//! and the store — read back through the API and the audit log — is unchanged; then each of
//! those operations, sent the way the AWS CLI sends it, succeeds (so the refusals were not
//! an accident of a wrong path). Reads are refused to foreign hosts and origins too; invoke
//! URLs are not affected. Local functions over HTTP need SigV4-verified admin credentials.

mod common;
mod mgmt_support;

use common::{ADMIN_KEY, ADMIN_SECRET, TestGateway, admin_options, signed};
use gwtui::server::ServerOptions;
use gwtui::server::browser::{AllowedHost, AllowedOrigin};
use mgmt_support::{expect, put_mock_method};
use reqwest::Method;
use serde_json::{Value, json};

const EVIL_ORIGIN: &str = "http://evil.example";
const REBIND_HOST: &str = "rebind.evil.example";

/// One raw request: status, `x-amzn-ErrorType`, JSON body (Null when empty) and headers.
async fn send(
    t: &TestGateway,
    method: Method,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (u16, Option<String>, Value, reqwest::header::HeaderMap) {
    let mut req = t
        .client
        .request(method, format!("{}{path}", t.base()))
        .body(body.to_string());
    for (k, v) in headers {
        req = req.header(*k, v.as_str());
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let kind = headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = resp.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, kind, json, headers)
}

fn assert_denied(what: &str, answer: &(u16, Option<String>, Value, reqwest::header::HeaderMap)) {
    let (status, kind, json, headers) = answer;
    assert_eq!(
        (*status, kind.as_deref()),
        (403, Some("AccessDeniedException")),
        "{what}: {json}"
    );
    let message = json["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("management") || message.contains("x-gwtui-actor"),
        "{what}: {json}"
    );
    assert!(
        !headers.contains_key("access-control-allow-origin"),
        "{what}: a refusal must not be readable cross-origin"
    );
}

/// What the test seeded, by id.
struct Seeded {
    api: String,
    root: String,
    pets: String,
    spare: String,
    plan: String,
    key: String,
}

async fn seed(t: &TestGateway) -> Seeded {
    let (c, b) = (&t.client, t.base());
    let api = expect(
        c,
        &b,
        Method::POST,
        "/restapis",
        &json!({"name": "victim"}),
        201,
    )
    .await;
    let id = api["id"].as_str().expect("id").to_string();
    let root = api["rootResourceId"].as_str().expect("root").to_string();
    let pets = expect(
        c,
        &b,
        Method::POST,
        &format!("/restapis/{id}/resources/{root}"),
        &json!({"pathPart": "pets"}),
        201,
    )
    .await["id"]
        .as_str()
        .expect("resource id")
        .to_string();
    let get = format!("/restapis/{id}/resources/{pets}/methods/GET");
    put_mock_method(c, &b, &get).await;
    let response = format!("{get}/responses/200");
    expect(c, &b, Method::PUT, &response, &json!({}), 201).await;
    let response = format!("{get}/integration/responses/200");
    expect(
        c,
        &b,
        Method::PUT,
        &response,
        &json!({"selectionPattern": ""}),
        201,
    )
    .await;
    expect(
        c,
        &b,
        Method::POST,
        &format!("/restapis/{id}/deployments"),
        &json!({"stageName": "dev"}),
        201,
    )
    .await;
    let spare = expect(
        c,
        &b,
        Method::POST,
        "/restapis",
        &json!({"name": "spare"}),
        201,
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let plan = expect(
        c,
        &b,
        Method::POST,
        "/usageplans",
        &json!({"name": "plan"}),
        201,
    )
    .await["id"]
        .as_str()
        .expect("plan id")
        .to_string();
    let key = expect(
        c,
        &b,
        Method::POST,
        "/apikeys",
        &json!({"name": "key"}),
        201,
    )
    .await["id"]
        .as_str()
        .expect("key id")
        .to_string();
    expect(
        c,
        &b,
        Method::POST,
        "/domainnames",
        &json!({"domainName": "api.example.com", "regionalCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
                "endpointConfiguration": {"types": ["REGIONAL"]}}),
        201,
    )
    .await;
    expect(
        c,
        &b,
        Method::POST,
        "/domainnames/api.example.com/basepathmappings",
        &json!({"restApiId": id, "stage": "dev", "basePath": "v1"}),
        201,
    )
    .await;
    Seeded {
        api: id,
        root,
        pets,
        spare,
        plan,
        key,
    }
}

fn stage_arn(api: &str) -> String {
    format!("arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2F{api}%2Fstages%2Fdev")
}

/// One state-changing operation per route family (and more for the big ones), each valid.
fn operations(s: &Seeded) -> Vec<(&'static str, Method, String, String)> {
    let id = &s.api;
    let openapi = r#"{"openapi":"3.0.1","info":{"title":"evil","version":"1"},"paths":{}}"#;
    let patch = |path: &str, value: &str| {
        json!({"patchOperations": [{"op": "replace", "path": path, "value": value}]}).to_string()
    };
    vec![
        ("CreateRestApi", Method::POST, "/restapis".into(), json!({"name": "evil"}).to_string()),
        ("ImportRestApi", Method::POST, "/restapis?mode=import".into(), openapi.into()),
        ("UpdateRestApi", Method::PATCH, format!("/restapis/{id}"), patch("/description", "pwned")),
        ("CreateResource", Method::POST, format!("/restapis/{id}/resources/{}", s.root), json!({"pathPart": "evil"}).to_string()),
        ("CreateDeployment", Method::POST, format!("/restapis/{id}/deployments"), json!({"stageName": "evil"}).to_string()),
        ("PutMethod", Method::PUT, format!("/restapis/{id}/resources/{}/methods/POST", s.pets), json!({"authorizationType": "NONE"}).to_string()),
        ("PutIntegration", Method::PUT, format!("/restapis/{id}/resources/{}/methods/GET/integration", s.pets),
            json!({"type": "HTTP", "integrationHttpMethod": "GET", "uri": "http://evil.example/"}).to_string()),
        ("UpdateStage", Method::PATCH, format!("/restapis/{id}/stages/dev"), patch("/variables/backend", "evil.example")),
        ("CreateAuthorizer", Method::POST, format!("/restapis/{id}/authorizers"),
            json!({"name": "evil", "type": "TOKEN", "identitySource": "method.request.header.Authorization",
                   "authorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:evil/invocations"}).to_string()),
        ("CreateDocumentationPart", Method::POST, format!("/restapis/{id}/documentation/parts"),
            json!({"location": {"type": "API"}, "properties": "{\"description\": \"pwned\"}"}).to_string()),
        ("CreateUsagePlan", Method::POST, "/usageplans".into(), json!({"name": "evil"}).to_string()),
        ("CreateApiKey", Method::POST, "/apikeys".into(), json!({"name": "evil"}).to_string()),
        ("CreateUsagePlanKey", Method::POST, format!("/usageplans/{}/keys", s.plan), json!({"keyId": s.key, "keyType": "API_KEY"}).to_string()),
        ("CreateDomainName", Method::POST, "/domainnames".into(),
            json!({"domainName": "evil.example", "regionalCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}).to_string()),
        ("CreateBasePathMapping", Method::POST, "/domainnames/api.example.com/basepathmappings".into(),
            json!({"restApiId": id, "stage": "dev", "basePath": "v2"}).to_string()),
        ("TagResource", Method::PUT, format!("/tags/{}", stage_arn(id)), json!({"tags": {"owner": "evil"}}).to_string()),
        ("RegisterFunction (remote)", Method::POST, "/gwtui/functions".into(), json!({"name": "evil", "endpoint": "http://evil.example"}).to_string()),
        ("EnableCors", Method::PUT, format!("/gwtui/restapis/{id}/resources/{}/cors", s.pets), json!({"allowOrigin": EVIL_ORIGIN}).to_string()),
        ("FlushStageCache", Method::DELETE, format!("/restapis/{id}/stages/dev/cache/data"), String::new()),
        ("DeleteRestApi", Method::DELETE, format!("/restapis/{}", s.spare), String::new()),
    ]
}

/// Everything the operations could change, read back through the API, plus the audit log.
async fn snapshot(t: &TestGateway, s: &Seeded) -> Vec<Value> {
    let id = &s.api;
    let mut reads = vec![
        "/restapis".to_string(),
        format!("/restapis/{id}"),
        format!("/restapis/{id}/resources?embed=methods&limit=500"),
        format!("/restapis/{id}/deployments"),
        format!("/restapis/{id}/stages"),
        format!("/restapis/{id}/authorizers"),
        format!("/restapis/{id}/documentation/parts"),
        "/usageplans".into(),
        "/apikeys".into(),
        format!("/usageplans/{}/keys", s.plan),
        "/domainnames".into(),
        "/domainnames/api.example.com/basepathmappings".into(),
        format!("/tags/{}", stage_arn(id)),
        "/gwtui/functions".into(),
        "/account".into(),
    ];
    let mut out = Vec::new();
    for path in reads.drain(..) {
        out.push(expect(&t.client, &t.base(), Method::GET, &path, &Value::Null, 200).await);
    }
    let audit = t.gw.audit_log(10_000).expect("audit");
    out.push(json!(
        audit
            .iter()
            .map(|r| format!("{} {} {} {}", r.seq, r.actor, r.action, r.target))
            .collect::<Vec<_>>()
    ));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_requests_cannot_change_any_management_route_family() {
    common::init();
    let t = TestGateway::start().await;
    let s = seed(&t).await;
    let before = snapshot(&t, &s).await;
    let port = t.addr.port();
    let ops = operations(&s);
    for (name, method, path, body) in &ops {
        // A cross-site "simple" request: text/plain and the attacker's Origin.
        let simple = [
            ("origin", EVIL_ORIGIN.to_string()),
            ("content-type", "text/plain;charset=UTF-8".to_string()),
        ];
        let a = send(&t, method.clone(), path, &simple, body).await;
        assert_denied(&format!("{name}: cross-origin simple request"), &a);
        // DNS rebinding: the page is same-origin with its own host name, so JSON goes through.
        let rebound = [
            ("host", format!("{REBIND_HOST}:{port}")),
            ("content-type", "application/json".to_string()),
        ];
        let a = send(&t, method.clone(), path, &rebound, body).await;
        assert_denied(&format!("{name}: rebinding Host"), &a);
        // A text/plain body without Origin (a browser that omits it, a plugin, a redirect).
        let plain = [("content-type", "text/plain".to_string())];
        let a = send(&t, method.clone(), path, &plain, body).await;
        assert_denied(&format!("{name}: text/plain without Origin"), &a);
        // An audit actor nobody vouched for.
        let spoofed = [
            ("content-type", "application/json".to_string()),
            ("x-gwtui-actor", "admin".to_string()),
        ];
        let a = send(&t, method.clone(), path, &spoofed, body).await;
        assert_denied(&format!("{name}: spoofed actor"), &a);
        // Fetch metadata alone marks a cross-site request, and Origin: null is never allowed.
        for marker in [
            ("sec-fetch-site", "cross-site".to_string()),
            ("origin", "null".to_string()),
        ] {
            let headers = [marker, ("content-type", "application/json".to_string())];
            let a = send(&t, method.clone(), path, &headers, body).await;
            assert_denied(&format!("{name}: {headers:?}"), &a);
        }
    }
    assert_eq!(
        snapshot(&t, &s).await,
        before,
        "a refused request changed state"
    );

    // The same operations as the AWS CLI sends them (JSON, no Origin, loopback Host) work, and
    // are audited under the caller's access key id or `anonymous`, never a claimed name.
    let audited = t.gw.audit_log(10_000).expect("audit").len();
    for (name, method, path, body) in &ops {
        let headers: Vec<(&str, String)> = if body.is_empty() {
            Vec::new()
        } else {
            vec![("content-type", "application/json".to_string())]
        };
        let (status, kind, json, _) = send(&t, method.clone(), path, &headers, body).await;
        assert!(
            (200..300).contains(&status),
            "{name}: {status} {kind:?} {json}"
        );
    }
    let audit = t.gw.audit_log(10_000).expect("audit");
    assert!(audit.len() > audited);
    assert!(audit.iter().all(|r| r.actor == "anonymous"), "{audit:?}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_refused_to_foreign_hosts_and_origins_but_invoke_urls_are_not() {
    common::init();
    let t = TestGateway::start().await;
    let s = seed(&t).await;
    let port = t.addr.port();
    let reads = [
        "/restapis".to_string(),
        format!("/restapis/{}/stages/dev/exports/oas30", s.api),
        "/apikeys?includeValues=true".into(),
        "/gwtui/functions".into(),
        "/gwtui/health".into(),
        "/account".into(),
        "/metrics".into(),
    ];
    for path in &reads {
        for headers in [
            vec![("host", format!("{REBIND_HOST}:{port}"))],
            vec![("host", format!("0.0.0.0:{port}"))],
            vec![("origin", EVIL_ORIGIN.to_string())],
            vec![("origin", "null".to_string())],
            vec![("sec-fetch-site", "same-site".to_string())],
        ] {
            let a = send(&t, Method::GET, path, &headers, "").await;
            assert_denied(&format!("GET {path} {headers:?}"), &a);
        }
        // Loopback names and addresses, with or without the port, are the local client's.
        for host in [
            format!("localhost:{port}"),
            "localhost".to_string(),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
            format!("gwtui.localhost:{port}"),
        ] {
            let (status, kind, json, _) = send(&t, Method::GET, path, &[("host", host)], "").await;
            assert_eq!(status, 200, "GET {path}: {kind:?} {json}");
        }
    }

    // Invoke URLs are the user's public API: browsers may call them from anywhere.
    let browser = |host: String| {
        vec![
            ("host", host),
            ("origin", EVIL_ORIGIN.to_string()),
            ("sec-fetch-site", "cross-site".to_string()),
        ]
    };
    let path_style = format!("/restapis/{}/dev/_user_request_/pets", s.api);
    for (path, host) in [
        (path_style.as_str(), format!("{REBIND_HOST}:{port}")),
        (
            "/dev/pets",
            format!("{}.execute-api.localhost:{port}", s.api),
        ),
        ("/v1/pets", format!("api.example.com:{port}")),
    ] {
        let (status, kind, json, _) = send(&t, Method::GET, path, &browser(host.clone()), "").await;
        assert_eq!(status, 200, "{host}{path}: {kind:?} {json}");
    }
    // A mapped custom domain never reaches the management API: its unmapped paths are the
    // domain's 403 Forbidden, not a management answer.
    let (status, kind, json, _) = send(
        &t,
        Method::GET,
        "/restapis",
        &[("host", format!("api.example.com:{port}"))],
        "",
    )
    .await;
    assert_eq!(
        (status, kind.as_deref()),
        (403, Some("ForbiddenException")),
        "{json}"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_functions_over_http_need_sigv4_verified_admin_credentials() {
    common::init();
    let code = tempfile::tempdir().expect("code dir");
    let marker = code.path().join("pwned");
    let shell = json!({
        "name": "pwn", "runtime": "custom", "code": code.path(),
        "command": ["/bin/sh", "-c", format!("touch {}", marker.display())],
    })
    .to_string();

    // Without admin credentials: the issue's exact request, then the same from a local client
    // that does everything right but cannot be verified, then a `code` path alone.
    let t = TestGateway::start().await;
    let port = t.addr.port();
    let attack = [
        ("origin", EVIL_ORIGIN.to_string()),
        ("host", format!("{REBIND_HOST}:{port}")),
        ("content-type", "text/plain".to_string()),
    ];
    let a = send(&t, Method::POST, "/gwtui/functions", &attack, &shell).await;
    assert_denied("the rebinding text/plain registration", &a);
    let json_ct = [("content-type", "application/json".to_string())];
    let python =
        json!({"name": "py", "runtime": "python3", "handler": "app.handler", "code": code.path()})
            .to_string();
    for body in [&shell, &python] {
        let (status, kind, json, _) =
            send(&t, Method::POST, "/gwtui/functions", &json_ct, body).await;
        assert_eq!(
            (status, kind.as_deref()),
            (403, Some("AccessDeniedException")),
            "{json}"
        );
        let message = json["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("--admin-credentials KEY:SECRET")
                && message.contains("[server] admin_credentials"),
            "{message}"
        );
    }
    assert!(t.gw.list_functions().is_empty());
    assert!(t.gw.audit_log(10).expect("audit").is_empty());
    t.stop().await;

    // With admin credentials: unsigned is refused, signed registers (audited under the key),
    // a signed x-gwtui-actor names the actor, an unsigned one added to a signed request does not.
    let t = TestGateway::start_serving(admin_options()).await;
    let url = format!("{}/gwtui/functions", t.base());
    let a = send(&t, Method::POST, "/gwtui/functions", &json_ct, &shell).await;
    assert_eq!(a.0, 403, "{:?}", a.2);
    let creds = (ADMIN_KEY, ADMIN_SECRET);
    let ok = signed(&t.client, Method::POST, &url, shell.as_bytes(), creds, &[])
        .send()
        .await
        .expect("register");
    assert_eq!(ok.status().as_u16(), 201);
    assert_eq!(t.gw.list_functions()[0].0, "pwn");
    let audit = t.gw.audit_log(1).expect("audit");
    assert_eq!(
        (audit[0].action.as_str(), audit[0].actor.as_str()),
        ("RegisterFunction", ADMIN_KEY)
    );
    let named = signed(
        &t.client,
        Method::POST,
        &url,
        shell.as_bytes(),
        creds,
        &[("x-gwtui-actor", "ci-bot")],
    )
    .send()
    .await
    .expect("replace");
    assert_eq!(named.status().as_u16(), 201);
    assert_eq!(t.gw.audit_log(1).expect("audit")[0].actor, "ci-bot");
    let smuggled = signed(&t.client, Method::POST, &url, shell.as_bytes(), creds, &[])
        .header("x-gwtui-actor", "mallory")
        .send()
        .await
        .expect("smuggled actor");
    assert_eq!(smuggled.status().as_u16(), 403);
    assert_eq!(
        smuggled.headers()["x-amzn-errortype"],
        "AccessDeniedException"
    );
    assert_eq!(t.gw.audit_log(10).expect("audit").len(), 2);
    assert!(!marker.exists(), "registering must not run the command");
    t.gw.shutdown_functions().await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_hosts_and_origins_are_served_and_answered_with_cors() {
    common::init();
    let t = TestGateway::start_serving(ServerOptions {
        allowed_hosts: vec![AllowedHost::parse("gwtui.test").expect("host")],
        allowed_origins: vec![AllowedOrigin::parse("http://localhost:3000").expect("origin")],
        ..ServerOptions::default()
    })
    .await;
    let port = t.addr.port();
    let (status, ..) = send(
        &t,
        Method::GET,
        "/restapis",
        &[("host", format!("gwtui.test:{port}"))],
        "",
    )
    .await;
    assert_eq!(status, 200);
    let a = send(
        &t,
        Method::GET,
        "/restapis",
        &[("host", format!("other.test:{port}"))],
        "",
    )
    .await;
    assert_denied("a host not listed", &a);

    let app = "http://localhost:3000".to_string();
    let preflight = [
        ("origin", app.clone()),
        ("access-control-request-method", "POST".to_string()),
        ("access-control-request-headers", "content-type".to_string()),
    ];
    let (status, _, _, headers) = send(&t, Method::OPTIONS, "/restapis", &preflight, "").await;
    assert_eq!(status, 204);
    assert_eq!(headers["access-control-allow-origin"], app.as_str());
    assert_eq!(headers["access-control-allow-headers"], "content-type");
    let mut evil = preflight.clone();
    evil[0].1 = EVIL_ORIGIN.to_string();
    let a = send(&t, Method::OPTIONS, "/restapis", &evil, "").await;
    assert_denied("a foreign origin's preflight", &a);

    let body = json!({"name": "from-the-app"}).to_string();
    let from_app = [
        ("origin", app.clone()),
        ("content-type", "application/json".to_string()),
    ];
    let (status, kind, json, headers) = send(&t, Method::POST, "/restapis", &from_app, &body).await;
    assert_eq!(status, 201, "{kind:?} {json}");
    assert_eq!(headers["access-control-allow-origin"], app.as_str());
    // Even an allowed origin cannot use a content type that skips the preflight.
    let plain = [
        ("origin", app.clone()),
        ("content-type", "text/plain".to_string()),
    ];
    let (status, kind, ..) = send(&t, Method::POST, "/restapis", &plain, &body).await;
    assert_eq!(
        (status, kind.as_deref()),
        (403, Some("AccessDeniedException"))
    );
    let listed = expect(
        &t.client,
        &t.base(),
        Method::GET,
        "/restapis",
        &Value::Null,
        200,
    )
    .await;
    assert_eq!(listed["item"].as_array().map(Vec::len), Some(1));
    t.stop().await;
}
