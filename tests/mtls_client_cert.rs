//! `$context.identity.clientCert` over real TLS: a client presents a certificate on a custom
//! domain with mutual TLS, and a mapping template and a Lambda proxy event (a Python handler)
//! see its PEM, subject, issuer, serial number and validity; other names see none.

mod common;
mod lambda_support;
mod mgmt_support;
mod tls_support;

use common::{TestGateway, actor};
use gwtui::engine::CreateDeployment;
use gwtui::engine::Runtime;
use reqwest::Method;
use serde_json::{Value, json};

fn api_doc() -> String {
    let template = "{\"pem\": \"$util.escapeJavaScript($context.identity.clientCert.clientCertPem)\", \
        \"subject\": \"$context.identity.clientCert.subjectDN\", \
        \"issuer\": \"$context.identity.clientCert.issuerDN\", \
        \"serial\": \"$context.identity.clientCert.serialNumber\", \
        \"notBefore\": \"$context.identity.clientCert.validity.notBefore\", \
        \"notAfter\": \"$context.identity.clientCert.validity.notAfter\"}";
    json!({
        "openapi": "3.0.1",
        "info": {"title": "mtls", "version": "1"},
        "paths": {
            "/cert": {"get": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                    "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": template}}}
                }
            }},
            "/py": {"get": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "aws_proxy", "httpMethod": "POST", "uri": lambda_support::lambda_uri("echo")
                }
            }}
        }
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_requests_carry_the_client_certificate_into_templates_and_lambda_events() {
    let python = common::require_tool("python3");
    let t = TestGateway::start().await;
    let api =
        t.gw.import_rest_api(&actor(), &api_doc(), Default::default())
            .await
            .expect("import");
    t.gw.create_deployment(
        &actor(),
        &api.id,
        CreateDeployment {
            stage_name: Some("prod".into()),
            ..Default::default()
        },
    )
    .await
    .expect("deploy");
    if python.is_some() {
        t.gw.register_function(
            &actor(),
            "echo",
            lambda_support::local(Runtime::Python3, "python", "app.handler"),
        )
        .await
        .expect("register");
    }
    let (addr, ca) = tls_support::serve_https(&t).await;
    let clients_dir = tempfile::tempdir().expect("dir");
    let client_ca = gwtui::tls::DevCa::load_or_create(clients_dir.path()).expect("ca");
    let truststore = clients_dir.path().join("truststore.pem");
    std::fs::write(&truststore, client_ca.cert_pem()).expect("write");
    for (path, body) in [
        (
            "/domainnames".to_string(),
            json!({"domainName": "mtls.example.com", "endpointConfiguration": {"types": ["REGIONAL"]},
                   "mutualTlsAuthentication": {"truststoreUri": format!("file://{}", truststore.display())}}),
        ),
        (
            "/domainnames/mtls.example.com/basepathmappings".to_string(),
            json!({"restApiId": api.id, "stage": "prod"}),
        ),
    ] {
        mgmt_support::expect(&t.client, &t.base(), Method::POST, &path, &body, 201).await;
    }

    let alice = client_ca.issue_client("alice", 30).expect("issue");
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.as_bytes()).expect("ca")])
        .identity(
            reqwest::Identity::from_pem(format!("{}{}", alice.cert_pem, alice.key_pem).as_bytes())
                .expect("identity"),
        )
        .resolve("mtls.example.com", addr)
        .build()
        .expect("client");
    let expected = gwtui::tls::ClientCert::from_der(
        &gwtui::tls::pem::certificates(&alice.cert_pem).expect("pem")[0],
    )
    .expect("cert");
    assert_eq!(expected.subject_dn, "CN=alice, O=gwtui");

    // Mapping template.
    let resp = client
        .get(format!("https://mtls.example.com:{}/cert", addr.port()))
        .send()
        .await
        .expect("mTLS request");
    assert_eq!(resp.status(), 200);
    let seen: Value = resp.json().await.expect("json");
    assert_eq!(seen["pem"], expected.client_cert_pem.as_str());
    assert!(
        seen["pem"]
            .as_str()
            .unwrap_or_default()
            .starts_with("-----BEGIN CERTIFICATE-----\n")
    );
    assert_eq!(seen["subject"], "CN=alice, O=gwtui");
    assert_eq!(seen["issuer"], expected.issuer_dn.as_str());
    assert!(
        seen["issuer"]
            .as_str()
            .unwrap_or_default()
            .contains("gwtui local development CA")
    );
    assert_eq!(seen["serial"], expected.serial_number.as_str());
    assert!(seen["serial"].as_str().unwrap_or_default().contains(':'));
    // `May 28 12:30:02 2019 GMT`: issued today.
    let today = time::OffsetDateTime::now_utc();
    let day = today
        .format(time::macros::format_description!(
            "[month repr:short] [day padding:space]"
        ))
        .expect("format");
    let not_before = seen["notBefore"].as_str().unwrap_or_default();
    assert!(
        not_before.len() == 24
            && (not_before.starts_with(&day)
                || not_before.ends_with(&format!("{} GMT", today.year()))),
        "{seen}"
    );
    assert_eq!(seen["notBefore"], expected.not_before.as_str());
    assert_eq!(seen["notAfter"], expected.not_after.as_str());

    // The same API by its host-style name (no mutual TLS): no client certificate.
    let host = format!("{}.execute-api.localhost", api.id);
    let plain = tls_support::client_trusting(&ca, addr, &[&host]);
    let seen: Value = plain
        .get(format!("https://{host}:{}/prod/cert", addr.port()))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(seen["subject"], "", "{seen}");

    // Lambda proxy event.
    if python.is_some() {
        let resp = client
            .get(format!("https://mtls.example.com:{}/py", addr.port()))
            .send()
            .await
            .expect("mTLS request");
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.expect("json");
        let cert = &body["event"]["requestContext"]["identity"]["clientCert"];
        assert_eq!(cert, &expected.to_json(), "{body}");
        assert_eq!(cert["validity"]["notAfter"], expected.not_after.as_str());
        let seen: Value = plain
            .get(format!("https://{host}:{}/prod/py", addr.port()))
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        assert!(
            seen["event"]["requestContext"]["identity"]
                .get("clientCert")
                .is_none(),
            "{seen}"
        );
        t.gw.shutdown_functions().await;
    }
}
