//! Client certificates: GenerateClientCertificate and its CRUD with AWS's shapes and errors;
//! a stage's `clientCertificateId` presented to an HTTPS backend that requires it (mTLS to
//! the backend); an integration's `tlsConfig.insecureSkipVerification` for a backend whose
//! certificate the gateway cannot verify.

mod common;
mod mgmt_support;
mod tls_support;

use common::TestGateway;
use reqwest::Method;
use serde_json::{Value, json};

async fn call(t: &TestGateway, method: Method, path: &str, body: Value, want: u16) -> Value {
    mgmt_support::expect(&t.client, &t.base(), method, path, &body, want).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificates_are_generated_listed_updated_and_deleted() {
    let t = TestGateway::start().await;
    let c = call(
        &t,
        Method::POST,
        "/clientcertificates",
        json!({"description": "to the backend", "tags": {"team": "a"}}),
        201,
    )
    .await;
    let id = c["clientCertificateId"].as_str().expect("id").to_string();
    let pem = c["pemEncodedCertificate"].as_str().expect("pem");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let info = gwtui::tls::CertificateInfo::parse(pem).expect("a real certificate");
    assert_eq!(c["expirationDate"].as_i64(), Some(info.not_after));
    let days = (info.not_after - c["createdDate"].as_i64().unwrap()) / 86_400;
    assert!((364..=365).contains(&days), "{days}");
    assert!(!c.to_string().contains("PRIVATE KEY"), "{c}");
    assert_eq!(c["tags"]["team"], "a");

    let list = call(&t, Method::GET, "/clientcertificates", json!(null), 200).await;
    assert_eq!(
        list["item"][0]["clientCertificateId"],
        id.as_str(),
        "{list}"
    );
    let updated = call(
        &t,
        Method::PATCH,
        &format!("/clientcertificates/{id}"),
        json!({"patchOperations": [{"op": "replace", "path": "/description", "value": "new"}]}),
        200,
    )
    .await;
    assert_eq!(updated["description"], "new");
    assert_eq!(updated["pemEncodedCertificate"], c["pemEncodedCertificate"]);
    call(
        &t,
        Method::PATCH,
        &format!("/clientcertificates/{id}"),
        json!({"patchOperations": [{"op": "replace", "path": "/pemEncodedCertificate", "value": "x"}]}),
        400,
    )
    .await;
    call(
        &t,
        Method::DELETE,
        &format!("/clientcertificates/{id}"),
        json!(null),
        202,
    )
    .await;
    let gone = call(
        &t,
        Method::GET,
        &format!("/clientcertificates/{id}"),
        json!(null),
        404,
    )
    .await;
    assert_eq!(
        gone["message"],
        "Invalid client certificate identifier specified"
    );

    // Durable: a generated certificate comes back after a restart.
    let kept = call(&t, Method::POST, "/clientcertificates", json!({}), 201).await;
    let dir = t.stop().await;
    let t = TestGateway::start_in(dir, Some(7)).await;
    let again = call(
        &t,
        Method::GET,
        &format!(
            "/clientcertificates/{}",
            kept["clientCertificateId"].as_str().unwrap()
        ),
        json!(null),
        200,
    )
    .await;
    assert_eq!(
        again["pemEncodedCertificate"],
        kept["pemEncodedCertificate"]
    );
}

/// An API whose `GET /x` is an HTTP_PROXY to `url`, deployed to `prod`.
async fn proxy_api(t: &TestGateway, url: &str, insecure: bool) -> String {
    let api = call(t, Method::POST, "/restapis", json!({"name": "mtls"}), 201).await;
    let id = api["id"].as_str().expect("id").to_string();
    let root = api["rootResourceId"].as_str().expect("root").to_string();
    let x = call(
        t,
        Method::POST,
        &format!("/restapis/{id}/resources/{root}"),
        json!({"pathPart": "x"}),
        201,
    )
    .await;
    let m = format!(
        "/restapis/{id}/resources/{}/methods/GET",
        x["id"].as_str().unwrap()
    );
    call(
        t,
        Method::PUT,
        &m,
        json!({"authorizationType": "NONE"}),
        201,
    )
    .await;
    let mut integration = json!({"type": "HTTP_PROXY", "httpMethod": "GET", "uri": url});
    if insecure {
        integration["tlsConfig"] = json!({"insecureSkipVerification": true});
    }
    call(
        t,
        Method::PUT,
        &format!("{m}/integration"),
        integration,
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

async fn invoke(t: &TestGateway, id: &str) -> (u16, String) {
    let r = t
        .client
        .get(t.url(id, "prod", "/x"))
        .send()
        .await
        .expect("invoke");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_skip_verification_reaches_a_backend_the_gateway_cannot_verify() {
    let t = TestGateway::start().await;
    let dir = tempfile::tempdir().unwrap();
    let private_ca = gwtui::tls::DevCa::load_or_create(dir.path()).unwrap();
    let backend = tls_support::https_backend(&private_ca, None).await;
    let url = format!("https://{backend}/x");
    let strict = proxy_api(&t, &url, false).await;
    let (status, body) = invoke(&t, &strict).await;
    assert_eq!(status, 504, "{body}");
    let lax = proxy_api(&t, &url, true).await;
    assert_eq!(invoke(&t, &lax).await, (200, "ok:/x".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_requiring_a_client_certificate_is_reached_only_with_the_stages_certificate() {
    let t = TestGateway::start().await;
    let cert = call(&t, Method::POST, "/clientcertificates", json!({}), 201).await;
    let cert_id = cert["clientCertificateId"].as_str().unwrap().to_string();
    let trusted = cert["pemEncodedCertificate"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let private_ca = gwtui::tls::DevCa::load_or_create(dir.path()).unwrap();
    let backend = tls_support::https_backend(&private_ca, Some(&trusted)).await;
    let id = proxy_api(&t, &format!("https://{backend}/x"), true).await;

    let (status, body) = invoke(&t, &id).await;
    assert_eq!(status, 504, "without a client certificate: {body}");

    call(
        &t,
        Method::PATCH,
        &format!("/restapis/{id}/stages/prod"),
        json!({"patchOperations": [{"op": "replace", "path": "/clientCertificateId", "value": cert_id}]}),
        200,
    )
    .await;
    assert_eq!(invoke(&t, &id).await, (200, "ok:/x".to_string()));

    // Another certificate, which the backend does not trust, is refused.
    let other = call(&t, Method::POST, "/clientcertificates", json!({}), 201).await;
    call(
        &t,
        Method::PATCH,
        &format!("/restapis/{id}/stages/prod"),
        json!({"patchOperations": [{"op": "replace", "path": "/clientCertificateId",
                                    "value": other["clientCertificateId"]}]}),
        200,
    )
    .await;
    assert_eq!(invoke(&t, &id).await.0, 504);
}
