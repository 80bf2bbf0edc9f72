//! HTTPS invoke endpoints with a real TLS client (reqwest trusting only the local CA): host
//! style `{id}.execute-api.localhost`, custom domains by SNI (a CA-issued certificate, and an
//! uploaded one from another CA), and certificate checks at CreateDomainName.

mod common;
mod mgmt_support;
mod tls_support;

use common::TestGateway;
use reqwest::Method;
use serde_json::{Value, json};

async fn call(t: &TestGateway, method: Method, path: &str, body: Value, want: u16) -> Value {
    mgmt_support::expect(&t.client, &t.base(), method, path, &body, want).await
}

/// An API whose `GET /pets` answers `{"ok":"<domainName>"}`, deployed to `prod`.
async fn api(t: &TestGateway) -> String {
    let api = call(t, Method::POST, "/restapis", json!({"name": "tls"}), 201).await;
    let id = api["id"].as_str().expect("id").to_string();
    let root = api["rootResourceId"].as_str().expect("root").to_string();
    let pets = call(
        t,
        Method::POST,
        &format!("/restapis/{id}/resources/{root}"),
        json!({"pathPart": "pets"}),
        201,
    )
    .await;
    let m = format!(
        "/restapis/{id}/resources/{}/methods/GET",
        pets["id"].as_str().expect("pets id")
    );
    mgmt_support::put_mock_method(&t.client, &t.base(), &m).await;
    call(
        t,
        Method::PUT,
        &format!("{m}/responses/200"),
        json!({}),
        201,
    )
    .await;
    call(
        t,
        Method::PUT,
        &format!("{m}/integration/responses/200"),
        json!({"selectionPattern": "",
               "responseTemplates": {"application/json": "{\"ok\":\"$context.domainName\"}"}}),
        201,
    )
    .await;
    call(
        t,
        Method::POST,
        &format!("/restapis/{id}/deployments"),
        json!({"stageName": "prod"}),
        201,
    )
    .await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_style_and_custom_domains_are_served_over_https_by_sni() {
    let t = TestGateway::start().await;
    let id = api(&t).await;
    let (addr, ca) = tls_support::serve_https(&t).await;
    let host = format!("{id}.execute-api.localhost");

    // Host style, verified against the local CA only.
    let client = tls_support::client_trusting(&ca, addr, &[&host, "api.example.com"]);
    let url = format!("https://{host}:{}/prod/pets", addr.port());
    let resp = client.get(&url).send().await.expect("https invoke");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.text().await.unwrap(),
        format!("{{\"ok\":\"{host}:{}\"}}", addr.port())
    );

    // A client that does not trust the CA is refused by its own verification.
    let other_dir = tempfile::tempdir().unwrap();
    let other_ca = gwtui::tls::DevCa::load_or_create(other_dir.path()).unwrap();
    let stranger = tls_support::client_trusting(other_ca.cert_pem(), addr, &[&host]);
    assert!(stranger.get(&url).send().await.is_err());

    // A custom domain without an uploaded certificate: the CA issues one for its name (the
    // listener's own certificate does not cover api.example.com, so success proves SNI).
    call(
        &t,
        Method::POST,
        "/domainnames",
        json!({"domainName": "api.example.com",
               "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/local"}),
        201,
    )
    .await;
    call(
        &t,
        Method::POST,
        "/domainnames/api.example.com/basepathmappings",
        json!({"basePath": "v1", "restApiId": id, "stage": "prod"}),
        201,
    )
    .await;
    let resp = client
        .get(format!("https://api.example.com:{}/v1/pets", addr.port()))
        .send()
        .await
        .expect("custom domain over https");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.text().await.unwrap(),
        format!("{{\"ok\":\"api.example.com:{}\"}}", addr.port())
    );

    // An uploaded certificate (from another CA) is what that domain serves.
    let uploaded = other_ca
        .issue_server(&["up.example.org".to_string()])
        .unwrap();
    let created = call(
        &t,
        Method::POST,
        "/domainnames",
        json!({"domainName": "up.example.org",
               "certificateBody": uploaded.cert_pem,
               "certificatePrivateKey": uploaded.key_pem,
               "certificateChain": other_ca.cert_pem(),
               "securityPolicy": "TLS_1_2"}),
        201,
    )
    .await;
    assert!(created["certificateUploadDate"].is_i64(), "{created}");
    assert!(created.get("certificatePrivateKey").is_none(), "{created}");
    call(
        &t,
        Method::POST,
        "/domainnames/up.example.org/basepathmappings",
        json!({"restApiId": id, "stage": "prod"}),
        201,
    )
    .await;
    let up_client = tls_support::client_trusting(other_ca.cert_pem(), addr, &["up.example.org"]);
    let resp = up_client
        .get(format!("https://up.example.org:{}/pets", addr.port()))
        .send()
        .await
        .expect("uploaded certificate");
    assert_eq!(resp.status(), 200);
    // And the local CA's client cannot verify it.
    let local_only = tls_support::client_trusting(&ca, addr, &["up.example.org"]);
    assert!(
        local_only
            .get(format!("https://up.example.org:{}/pets", addr.port()))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_certificates_are_refused_at_create_domain_name_and_nothing_is_kept() {
    let t = TestGateway::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = gwtui::tls::DevCa::load_or_create(dir.path()).unwrap();
    let a = ca.issue_server(&["a.example.com".to_string()]).unwrap();
    let b = ca.issue_server(&["b.example.com".to_string()]).unwrap();
    let cases = [
        (
            json!({"domainName": "a.example.com", "certificateBody": a.cert_pem, "certificatePrivateKey": b.key_pem}),
            "the private key does not match the certificate",
        ),
        (
            json!({"domainName": "a.example.com", "certificateBody": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "certificatePrivateKey": a.key_pem}),
            "Invalid certificate",
        ),
        (
            json!({"domainName": "a.example.com", "certificateBody": a.cert_pem}),
            "certificatePrivateKey is required",
        ),
    ];
    for (body, message) in cases {
        let resp = t
            .client
            .post(format!("{}/domainnames", t.base()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
        assert_eq!(
            resp.headers()["x-amzn-errortype"].to_str().unwrap(),
            "BadRequestException"
        );
        let v: Value = resp.json().await.unwrap();
        assert!(
            v["message"].as_str().unwrap().contains(message),
            "{v} should say {message}"
        );
    }
    // A security policy outside the model's enum is AWS's ValidationException.
    let resp = t
        .client
        .post(format!("{}/domainnames", t.base()))
        .json(&json!({"domainName": "a.example.com", "securityPolicy": "TLS_9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.headers()["x-amzn-errortype"].to_str().unwrap(),
        "ValidationException"
    );
    let v: Value = resp.json().await.unwrap();
    assert!(
        v["Message"].as_str().unwrap_or_default().starts_with(
            "1 validation error detected: Value 'TLS_9' at 'createDomainNameInput.securityPolicy'"
        ),
        "{v}"
    );
    call(
        &t,
        Method::GET,
        "/domainnames/a.example.com",
        json!(null),
        404,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_domains_require_a_client_certificate_from_their_truststore() {
    let t = TestGateway::start().await;
    let id = api(&t).await;
    let (addr, ca) = tls_support::serve_https(&t).await;
    let clients_dir = tempfile::tempdir().unwrap();
    let client_ca = gwtui::tls::DevCa::load_or_create(clients_dir.path()).unwrap();
    let truststore = clients_dir.path().join("truststore.pem");
    std::fs::write(&truststore, client_ca.cert_pem()).unwrap();

    // An unreadable truststore is refused at configuration time, and nothing is created.
    let missing = clients_dir.path().join("missing.pem");
    let err = call(
        &t,
        Method::POST,
        "/domainnames",
        json!({"domainName": "mtls.example.com", "endpointConfiguration": {"types": ["REGIONAL"]},
               "mutualTlsAuthentication": {"truststoreUri": format!("file://{}", missing.display())}}),
        400,
    )
    .await;
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("Unable to read truststore"),
        "{err}"
    );
    std::fs::write(clients_dir.path().join("junk.pem"), "not a certificate").unwrap();
    call(
        &t,
        Method::POST,
        "/domainnames",
        json!({"domainName": "mtls.example.com",
               "mutualTlsAuthentication": {"truststoreUri": clients_dir.path().join("junk.pem").display().to_string()}}),
        400,
    )
    .await;
    call(
        &t,
        Method::GET,
        "/domainnames/mtls.example.com",
        json!(null),
        404,
    )
    .await;

    let created = call(
        &t,
        Method::POST,
        "/domainnames",
        json!({"domainName": "mtls.example.com", "endpointConfiguration": {"types": ["REGIONAL"]},
               "mutualTlsAuthentication": {"truststoreUri": format!("file://{}", truststore.display())}}),
        201,
    )
    .await;
    assert_eq!(
        created["mutualTlsAuthentication"]["truststoreUri"],
        format!("file://{}", truststore.display())
    );
    call(
        &t,
        Method::POST,
        "/domainnames/mtls.example.com/basepathmappings",
        json!({"restApiId": id, "stage": "prod"}),
        201,
    )
    .await;
    let url = format!("https://mtls.example.com:{}/pets", addr.port());
    let with_identity = |issued: &gwtui::tls::ca::Issued| {
        let identity = reqwest::Identity::from_pem(
            format!("{}{}", issued.cert_pem, issued.key_pem).as_bytes(),
        )
        .expect("identity");
        reqwest::Client::builder()
            .no_proxy()
            .tls_certs_only([reqwest::Certificate::from_pem(ca.as_bytes()).unwrap()])
            .identity(identity)
            .resolve("mtls.example.com", addr)
            .build()
            .unwrap()
    };
    let good = client_ca.issue_client("alice", 30).unwrap();
    let resp = with_identity(&good)
        .get(&url)
        .send()
        .await
        .expect("mTLS accepted");
    assert_eq!(resp.status(), 200);

    // No client certificate: refused.
    let anonymous = tls_support::client_trusting(&ca, addr, &["mtls.example.com"]);
    assert!(anonymous.get(&url).send().await.is_err());
    // A certificate from a CA the truststore does not hold: refused.
    let stranger_dir = tempfile::tempdir().unwrap();
    let stranger_ca = gwtui::tls::DevCa::load_or_create(stranger_dir.path()).unwrap();
    let untrusted = stranger_ca.issue_client("mallory", 30).unwrap();
    assert!(with_identity(&untrusted).get(&url).send().await.is_err());
    // Other names on the listener do not ask for a client certificate.
    let host = format!("{id}.execute-api.localhost");
    let plain = tls_support::client_trusting(&ca, addr, &[&host]);
    let resp = plain
        .get(format!("https://{host}:{}/prod/pets", addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}
