//! SigV4 refusals over loopback, on the management API (scope `apigateway`) and on AWS_IAM
//! invocations (scope `execute-api`): another service, an invalid region, `host` not signed,
//! `UNSIGNED-PAYLOAD` or a payload hash that is not the body's, and session tokens (missing,
//! wrong, or sent for long-term credentials). Each is answered with AWS's status, error type
//! and message. The AWS CLI and botocore sign the session-token cases for real.

mod common;
mod mgmt_support;

use std::net::SocketAddr;
use std::path::PathBuf;

use common::{TestGateway, actor, init};
use gwtui::auth::sigv4::{self, HOST_NOT_SIGNED};
use gwtui::engine::IamCredential;
use gwtui::engine::{CreateDeployment, EngineConfig, Gateway};
use serde_json::{Value, json};

const ADMIN_KEY: &str = "AKIDADMIN";
const TEMP_KEY: &str = "ASIAADMIN";
const SECRET: &str = "s3cret";
const TOKEN: &str = "FQoGZXIvYXdzEXAMPLEtoken/+=";

/// How one request is signed.
#[derive(Clone)]
struct Sig<'a> {
    key: &'a str,
    service: &'a str,
    region: &'a str,
    sign_host: bool,
    token: Option<&'a str>,
    /// `x-amz-content-sha256` to declare (and sign the canonical request with); `None`: the
    /// header is not sent and the body's hash is signed.
    payload: Option<String>,
    /// How far from now `X-Amz-Date` is.
    skew: time::Duration,
}

impl<'a> Sig<'a> {
    fn new(key: &'a str, service: &'a str) -> Sig<'a> {
        Sig {
            key,
            service,
            region: "us-east-1",
            sign_host: true,
            token: None,
            payload: None,
            skew: time::Duration::ZERO,
        }
    }
}

fn amz_date(skew: time::Duration) -> String {
    (time::OffsetDateTime::now_utc() + skew)
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("date")
}

/// The signed headers for `method host path` (no query; the path needs no encoding), built
/// by hand so that a payload hash other than the body's can be signed.
fn signed_headers(
    method: &str,
    host: &str,
    path: &str,
    body: &str,
    sig: &Sig<'_>,
) -> Vec<(String, String)> {
    let amz_date = amz_date(sig.skew);
    let mut headers: Vec<(String, String)> = vec![("x-amz-date".into(), amz_date.clone())];
    if sig.sign_host {
        headers.push(("host".into(), host.into()));
    }
    if let Some(p) = &sig.payload {
        headers.push(("x-amz-content-sha256".into(), p.clone()));
    }
    if let Some(t) = sig.token {
        headers.push(("x-amz-security-token".into(), t.into()));
    }
    headers.sort();
    let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let payload = sig
        .payload
        .clone()
        .unwrap_or_else(|| sigv4::hex_sha256(body.as_bytes()));
    let creq = format!(
        "{method}\n{path}\n\n{canonical_headers}\n{}\n{payload}",
        names.join(";")
    );
    let date = &amz_date[..8];
    let scope = format!("{date}/{}/{}/aws4_request", sig.region, sig.service);
    let signature = sigv4::signature(
        &sigv4::signing_key(SECRET, date, sig.region, sig.service),
        &sigv4::string_to_sign(&amz_date, &scope, &creq),
    );
    let authorization = format!(
        "{} Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
        sigv4::ALGORITHM,
        sig.key,
        names.join(";")
    );
    headers.retain(|(k, _)| k != "host");
    headers.push(("authorization".into(), authorization));
    headers
}

/// Status, `x-amzn-ErrorType` and JSON body of one signed request.
async fn send(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    path: &str,
    body: &str,
    sig: &Sig<'_>,
) -> (u16, Option<String>, Value) {
    let parsed = reqwest::Url::parse(url).expect("url");
    let host = format!(
        "{}:{}",
        parsed.host_str().expect("host"),
        parsed.port().expect("port")
    );
    // What the AWS CLI sends (the management plane refuses a body without a Content-Type).
    let mut req = client
        .request(method.parse().expect("method"), url)
        .header("content-type", "application/json")
        .body(body.to_string());
    for (k, v) in signed_headers(method, &host, path, body, sig) {
        req = req.header(k, v);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = resp.text().await.unwrap_or_default();
    (
        status,
        kind,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn refused(answer: &(u16, Option<String>, Value), kind: &str, message: &str) {
    assert_eq!(answer.0, 403, "{answer:?}");
    assert_eq!(answer.1.as_deref(), Some(kind), "{answer:?}");
    assert_eq!(answer.2["message"], message, "{answer:?}");
}

struct Mgmt {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

async fn serve_mgmt(credentials: &str) -> Mgmt {
    let dir = tempfile::tempdir().expect("dir");
    let gw = Gateway::open(EngineConfig {
        data_dir: dir.path().to_path_buf(),
        canary_seed: None,
        ..EngineConfig::default()
    })
    .expect("open");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let options = gwtui::server::ServerOptions {
        admin_credentials: Some(
            gwtui::auth::credentials::Credentials::parse(credentials).expect("credentials"),
        ),
        ..Default::default()
    };
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(gwtui::server::serve_with(gw, listener, options, async {
        let _ = rx.await;
    }));
    Mgmt {
        addr,
        stop,
        task,
        _dir: dir,
    }
}

impl Mgmt {
    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn management_requests_need_the_apigateway_scope_host_the_real_payload_and_no_stray_token() {
    init();
    let m = serve_mgmt(&format!("{ADMIN_KEY}:{SECRET}")).await;
    let c = client();
    let url = |path: &str| format!("http://{}{path}", m.addr);
    let get = |sig: Sig<'static>| {
        let c = c.clone();
        let u = url("/restapis");
        async move { send(&c, "GET", &u, "/restapis", "", &sig).await }
    };
    let good = Sig::new(ADMIN_KEY, "apigateway");
    assert_eq!(get(good.clone()).await.0, 200);
    refused(
        &get(Sig::new(ADMIN_KEY, "execute-api")).await,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'apigateway'. ",
    );
    refused(
        &get(Sig {
            region: "nowhere",
            ..good.clone()
        })
        .await,
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'nowhere'. ",
    );
    assert_eq!(
        get(Sig {
            region: "eu-west-1",
            ..good.clone()
        })
        .await
        .0,
        200,
        "any region is served"
    );
    refused(
        &get(Sig {
            sign_host: false,
            ..good.clone()
        })
        .await,
        "IncompleteSignatureException",
        HOST_NOT_SIGNED,
    );
    refused(
        &get(Sig {
            token: Some(TOKEN),
            ..good.clone()
        })
        .await,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );
    for (minutes, start) in [
        (-20, "Signature expired: "),
        (20, "Signature not yet current: "),
    ] {
        let (status, kind, body) = get(Sig {
            skew: time::Duration::minutes(minutes),
            ..good.clone()
        })
        .await;
        assert_eq!(
            (status, kind.as_deref()),
            (403, Some("InvalidSignatureException"))
        );
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(start), "{message}");
    }

    // The body is signed: UNSIGNED-PAYLOAD, or the hash of another body, creates nothing.
    let body = r#"{"name":"sneaky"}"#;
    let post = |sig: Sig<'static>| {
        let c = c.clone();
        let u = url("/restapis");
        async move { send(&c, "POST", &u, "/restapis", body, &sig).await }
    };
    refused(
        &post(Sig {
            payload: Some("UNSIGNED-PAYLOAD".into()),
            ..good.clone()
        })
        .await,
        "InvalidSignatureException",
        sigv4::SIGNATURE_MISMATCH,
    );
    refused(
        &post(Sig {
            payload: Some(sigv4::hex_sha256(br#"{"name":"other"}"#)),
            ..good.clone()
        })
        .await,
        "InvalidSignatureException",
        sigv4::SIGNATURE_MISMATCH,
    );
    let created = post(Sig {
        payload: Some(sigv4::hex_sha256(body.as_bytes())),
        ..good.clone()
    })
    .await;
    assert_eq!(created.0, 201, "{created:?}");
    let list = get(good).await.2;
    assert_eq!(list["item"].as_array().map(Vec::len), Some(1), "{list}");
    m.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn management_with_temporary_credentials_requires_their_session_token() {
    init();
    let m = serve_mgmt(&format!("{TEMP_KEY}:{SECRET}:{TOKEN}")).await;
    let c = client();
    let u = format!("http://{}/restapis", m.addr);
    let sig = |token| Sig {
        token,
        ..Sig::new(TEMP_KEY, "apigateway")
    };
    assert_eq!(
        send(&c, "GET", &u, "/restapis", "", &sig(Some(TOKEN)))
            .await
            .0,
        200
    );
    for token in [None, Some("another-token")] {
        refused(
            &send(&c, "GET", &u, "/restapis", "", &sig(token)).await,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        );
    }

    // The AWS CLI signs with AWS_SESSION_TOKEN for real.
    if let Some(cli) = common::require_tool("aws") {
        let run = |token: Option<&str>| {
            let mut cmd = tokio::process::Command::new(&cli);
            mgmt_support::aws_env(&mut cmd);
            cmd.env("AWS_ACCESS_KEY_ID", TEMP_KEY)
                .env("AWS_SECRET_ACCESS_KEY", SECRET)
                .args(["apigateway", "get-rest-apis", "--endpoint-url"])
                .arg(format!("http://{}", m.addr));
            if let Some(t) = token {
                cmd.env("AWS_SESSION_TOKEN", t);
            }
            cmd.output()
        };
        let ok = run(Some(TOKEN)).await.expect("aws");
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        let missing = run(None).await.expect("aws");
        assert!(!missing.status.success());
        let stderr = String::from_utf8_lossy(&missing.stderr);
        assert!(stderr.contains("UnrecognizedClientException"), "{stderr}");
    }
    m.stop().await;
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

async fn iam_api(t: &TestGateway) -> String {
    t.gw.set_iam_credentials(vec![
        IamCredential {
            access_key_id: ADMIN_KEY.into(),
            secret_access_key: SECRET.into(),
            user: None,
            session_token: None,
        },
        IamCredential {
            access_key_id: TEMP_KEY.into(),
            secret_access_key: SECRET.into(),
            user: None,
            session_token: Some(TOKEN.into()),
        },
    ]);
    let op = json!({
        "security": [{"sigv4": []}],
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {
            "type": "mock",
            "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
            "responses": {"default": {"statusCode": "200",
                "responseTemplates": {"application/json": "{\"key\": \"$context.identity.accessKey\"}"}}}
        }
    });
    let doc = json!({
        "openapi": "3.0.1",
        "info": {"title": "iam", "version": "1"},
        "components": {"securitySchemes": {"sigv4": {"type": "apiKey", "name": "Authorization",
            "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}}},
        "paths": {"/iam": {"get": op.clone(), "post": op}}
    });
    let api =
        t.gw.import_rest_api(&actor(), &doc.to_string(), Default::default())
            .await
            .expect("import");
    t.gw.create_deployment(
        &actor(),
        &api.id,
        CreateDeployment {
            stage_name: Some("test".into()),
            ..Default::default()
        },
    )
    .await
    .expect("deploy");
    api.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_iam_invocations_need_the_execute_api_scope_host_the_real_payload_and_the_token() {
    init();
    let t = TestGateway::start().await;
    let api = iam_api(&t).await;
    let url = t.url(&api, "test", "/iam");
    let path = format!("/restapis/{api}/test/_user_request_/iam");
    let c = client();
    let good = Sig::new(ADMIN_KEY, "execute-api");
    let answer = send(&c, "GET", &url, &path, "", &good).await;
    assert_eq!((answer.0, &answer.2), (200, &json!({"key": ADMIN_KEY})));
    refused(
        &send(
            &c,
            "GET",
            &url,
            &path,
            "",
            &Sig::new(ADMIN_KEY, "apigateway"),
        )
        .await,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'execute-api'. ",
    );
    let bad_region = Sig {
        region: "nowhere",
        ..good.clone()
    };
    refused(
        &send(&c, "GET", &url, &path, "", &bad_region).await,
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'nowhere'. ",
    );
    let no_host = Sig {
        sign_host: false,
        ..good.clone()
    };
    refused(
        &send(&c, "GET", &url, &path, "", &no_host).await,
        "IncompleteSignatureException",
        HOST_NOT_SIGNED,
    );
    let unsigned = Sig {
        payload: Some("UNSIGNED-PAYLOAD".into()),
        ..good.clone()
    };
    refused(
        &send(&c, "POST", &url, &path, r#"{"a":1}"#, &unsigned).await,
        "InvalidSignatureException",
        sigv4::SIGNATURE_MISMATCH,
    );
    let stray_token = Sig {
        token: Some(TOKEN),
        ..good
    };
    refused(
        &send(&c, "GET", &url, &path, "", &stray_token).await,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );

    // Temporary credentials, signed by botocore (header and presigned forms).
    let Some(python) = common::require_tool("boto3") else {
        t.stop().await;
        return;
    };
    let script = fixtures().join("../scripts/sigv4_botocore.py");
    let sign = |mode: &str, token: &str| {
        let out = std::process::Command::new(&python)
            .arg(&script)
            .args([
                mode,
                "GET",
                &url,
                "",
                TEMP_KEY,
                SECRET,
                "execute-api",
                "us-east-1",
                token,
            ])
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .expect("python");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).expect("json")
    };
    let invoke = |target: String, headers: Value| {
        let mut req = c.get(target);
        for (k, v) in headers.as_object().cloned().unwrap_or_default() {
            req = req.header(k.as_str(), v.as_str().unwrap_or_default());
        }
        async move {
            let resp = req.send().await.expect("invoke");
            let kind = resp
                .headers()
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            (resp.status().as_u16(), kind)
        }
    };
    let with_token = sign("header", TOKEN)["headers"].clone();
    assert!(
        with_token.get("X-Amz-Security-Token").is_some(),
        "{with_token}"
    );
    assert_eq!(invoke(url.clone(), with_token).await, (200, None));
    let without = sign("header", "")["headers"].clone();
    assert_eq!(
        invoke(url.clone(), without).await,
        (403, Some("UnrecognizedClientException".into()))
    );
    let presigned = sign("presign", TOKEN)["url"]
        .as_str()
        .expect("url")
        .to_string();
    assert!(presigned.contains("X-Amz-Security-Token="), "{presigned}");
    assert_eq!(invoke(presigned, json!({})).await, (200, None));
    let presigned = sign("presign", "")["url"]
        .as_str()
        .expect("url")
        .to_string();
    assert_eq!(
        invoke(presigned, json!({})).await,
        (403, Some("UnrecognizedClientException".into()))
    );
    t.stop().await;
}
