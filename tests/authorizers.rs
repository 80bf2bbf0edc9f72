//! The security layer over loopback: a Lambda TOKEN authorizer (a real Python worker) allowing
//! one path and denying others, its result cache and flush; a REQUEST authorizer; JWT
//! (COGNITO_USER_POOLS) tokens verified against a JWKS file; SigV4 requests signed by botocore;
//! and a resource policy denying a CIDR.

mod common;
mod mgmt_support;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use common::{TestGateway, actor, init};
use gwtui::engine::CreateDeployment;
use gwtui::engine::{FunctionConfig, Runtime};
use gwtui::engine::{IamCredential, JwksSource};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const POOL_ARN: &str = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_TestPool";
const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool";
const ACCESS_KEY: &str = "AKIDLAMBDATEST";
const SECRET: &str = "lambda-test-secret";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn lambda_uri(function: &str) -> String {
    format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations"
    )
}

fn mock(template: &str) -> Value {
    json!({
        "type": "mock",
        "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
        "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": template}}}
    })
}

fn op(security: Value, integration: Value) -> Value {
    json!({"security": security, "responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": integration})
}

fn api_doc() -> String {
    let tok = json!([{"tok": []}]);
    let ok = mock("{\"ok\": true}");
    json!({
        "openapi": "3.0.1",
        "info": {"title": "auth", "version": "1"},
        "x-amazon-apigateway-policy": {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
                {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*/GET/blocked",
                 "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]}}},
                {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*/GET/elsewhere",
                 "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}
            ]
        },
        "components": {"securitySchemes": {
            "tok": {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "custom",
                    "x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": lambda_uri("authz"),
                        "identitySource": "method.request.header.Authorization",
                        "identityValidationExpression": "[a-z|]+", "authorizerResultTtlInSeconds": 300}},
            "req": {"type": "apiKey", "name": "X-Token", "in": "header", "x-amazon-apigateway-authtype": "custom",
                    "x-amazon-apigateway-authorizer": {"type": "request", "authorizerUri": lambda_uri("authz"),
                        "identitySource": "method.request.header.X-Token", "authorizerResultTtlInSeconds": 0}},
            "pool": {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "cognito_user_pools",
                     "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": [POOL_ARN]}},
            "sigv4": {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}
        }},
        "paths": {
            "/pets": {"get": op(tok.clone(), json!({"type": "aws_proxy", "httpMethod": "POST", "uri": lambda_uri("echo")}))},
            "/pets/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "get": op(tok.clone(), mock("{\"principal\": \"$context.authorizer.principalId\", \"tier\": \"$context.authorizer.tier\"}")),
                "delete": op(tok, ok.clone())
            },
            "/req": {"get": op(json!([{"req": []}]), mock("{\"principal\": \"$context.authorizer.principalId\"}"))},
            "/jwt": {"get": op(json!([{"pool": []}]), mock("{\"email\": \"$context.authorizer.claims.email\", \"sub\": \"$context.authorizer.claims.sub\"}"))},
            "/scoped": {"get": op(json!([{"pool": ["pets/read"]}]), ok.clone())},
            "/iam": {
                "get": op(json!([{"sigv4": []}]), mock("{\"user\": \"$context.identity.userArn\", \"key\": \"$context.identity.accessKey\"}")),
                "post": op(json!([{"sigv4": []}]), ok.clone())
            },
            "/blocked": {"get": op(json!([]), ok.clone())},
            "/elsewhere": {"get": op(json!([]), ok.clone())},
            "/open": {"get": op(json!([]), ok)}
        }
    })
    .to_string()
}

async fn setup(t: &TestGateway, with_functions: bool) -> String {
    let gw = &t.gw;
    if with_functions {
        let python = fixtures().join("functions/python");
        let f = |handler: &str| FunctionConfig {
            runtime: Some(Runtime::Python3),
            handler: Some(handler.into()),
            code: Some(python.clone()),
            ..Default::default()
        };
        gw.register_function(&actor(), "authz", f("authorizer.handler"))
            .await
            .unwrap();
        gw.register_function(&actor(), "echo", f("app.handler"))
            .await
            .unwrap();
    }
    gw.set_jwks_sources(vec![(
        POOL_ARN.into(),
        JwksSource {
            file: Some(fixtures().join("jwt/jwks.json")),
            ..Default::default()
        },
    )]);
    gw.set_iam_credentials(vec![IamCredential {
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: SECRET.into(),
        user: Some("alice".into()),
        session_token: None,
    }]);
    let api = gw
        .import_rest_api(&actor(), &api_doc(), Default::default())
        .await
        .unwrap();
    gw.create_deployment(
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

async fn get(
    t: &TestGateway,
    api: &str,
    path: &str,
    token: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = t.client.get(t.url(api, "test", path));
    if let Some(tok) = token {
        req = req.header("authorization", tok);
    }
    let resp = req.send().await.unwrap();
    (
        resp.status().as_u16(),
        resp.headers().clone(),
        resp.text().await.unwrap(),
    )
}

fn invocations(t: &TestGateway) -> u64 {
    t.gw.function_stats("authz")
        .map(|s| s.invocations)
        .unwrap_or(0)
}

#[tokio::test]
async fn token_authorizer_allows_one_path_denies_others_and_caches() {
    init();
    if common::require_tool("python3").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    let api = setup(&t, true).await;

    let (status, _, body) = get(&t, &api, "/pets", Some("alice")).await;
    assert_eq!(status, 200, "{body}");
    let echo: Value = serde_json::from_str(&body).unwrap();
    let authorizer = &echo["event"]["requestContext"]["authorizer"];
    assert_eq!(authorizer["principalId"], "user|alice");
    assert_eq!(authorizer["tier"], "gold");
    assert_eq!(authorizer["level"], "3", "context values are stringified");
    assert_eq!(authorizer["admin"], "false");
    assert!(authorizer["integrationLatency"].is_u64());
    assert_eq!(invocations(&t), 1);

    // Within the TTL the cached policy is reused and evaluated against each method ARN.
    let (status, _, body) = get(&t, &api, "/pets/7", Some("alice")).await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"principal": "user|alice", "tier": "gold"}"#)
    );
    let resp = t
        .client
        .delete(t.url(&api, "test", "/pets/7"))
        .header("authorization", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"Message":"User is not authorized to access this resource"}"#
    );
    assert_eq!(invocations(&t), 1, "the authorizer ran once within the TTL");

    let (status, headers, body) = get(&t, &api, "/pets/7", Some("deny")).await;
    assert_eq!(
        (status, body.as_str()),
        (
            403,
            r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#
        )
    );
    assert_eq!(headers["x-amzn-errortype"], "AccessDeniedException");
    assert_eq!(invocations(&t), 2);

    // Missing token, or one failing identityValidationExpression: 401 without calling Lambda.
    for token in [None, Some("Bad Token!")] {
        let (status, headers, body) = get(&t, &api, "/pets/7", token).await;
        assert_eq!(
            (status, body.as_str()),
            (401, r#"{"message":"Unauthorized"}"#)
        );
        assert_eq!(headers["x-amzn-errortype"], "UnauthorizedException");
    }
    assert_eq!(invocations(&t), 2);
    let (status, _, body) = get(&t, &api, "/pets/7", Some("unauthorized")).await;
    assert_eq!(
        (status, body.as_str()),
        (401, r#"{"message":"Unauthorized"}"#)
    );
    let (status, headers, body) = get(&t, &api, "/pets/7", Some("broken")).await;
    assert_eq!((status, body.as_str()), (500, r#"{"message":null}"#));
    assert_eq!(
        headers["x-amzn-errortype"],
        "AuthorizerConfigurationException"
    );

    // FlushStageAuthorizersCache empties the cache.
    let before = invocations(&t);
    t.gw.flush_stage_authorizers_cache(&actor(), &api, "test")
        .await
        .unwrap();
    assert_eq!(get(&t, &api, "/pets/7", Some("alice")).await.0, 200);
    assert_eq!(invocations(&t), before + 1);

    // REQUEST authorizer with TTL 0: called every time.
    let before = invocations(&t);
    for _ in 0..2 {
        let resp = t
            .client
            .get(t.url(&api, "test", "/req"))
            .header("x-token", "bob")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        assert_eq!(resp.text().await.unwrap(), r#"{"principal": "user|bob"}"#);
    }
    assert_eq!(invocations(&t), before + 2);
    t.gw.shutdown_functions().await;
    t.stop().await;
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn rs256(kid: &str, key_file: &str, claims: &Value) -> String {
    let der = std::fs::read(fixtures().join("jwt").join(key_file)).unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(&der)).unwrap()
}

fn es256(claims: &Value) -> String {
    let der = std::fs::read(fixtures().join("jwt/ec_private_pkcs8.der")).unwrap();
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("ec-1".into());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_der(&der)).unwrap()
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `alg: none` with an empty signature.
fn unsigned_token(claims: &Value) -> String {
    let header = json!({"alg": "none", "typ": "JWT", "kid": "rsa-1"});
    format!(
        "{}.{}.",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    )
}

/// Key confusion: HS256 with the published RSA public key (`rsa-1` of the JWKS) as the secret.
fn hs256_with_public_key(claims: &Value) -> String {
    let jwks: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("jwt/jwks.json")).unwrap()).unwrap();
    let public = jwks["keys"][0].to_string();
    assert_eq!(jwks["keys"][0]["kid"], "rsa-1");
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-1".into());
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_secret(public.as_bytes()),
    )
    .unwrap()
}

fn id_claims() -> Value {
    json!({"sub": "u-1", "email": "alice@example.com", "iss": ISSUER, "aud": "client1", "token_use": "id",
           "exp": now() + 600, "nbf": now() - 10})
}

#[tokio::test]
async fn jwt_authorizer_checks_signature_expiry_issuer_and_use() {
    init();
    let t = TestGateway::start().await;
    let api = setup(&t, false).await;
    let good = rs256("rsa-1", "rsa_private_pkcs1.der", &id_claims());
    let (status, _, body) = get(&t, &api, "/jwt", Some(&good)).await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"email": "alice@example.com", "sub": "u-1"}"#)
    );
    let (status, _, _) = get(&t, &api, "/jwt", Some(&format!("Bearer {good}"))).await;
    assert_eq!(status, 200);
    let (status, _, _) = get(&t, &api, "/jwt", Some(&es256(&id_claims()))).await;
    assert_eq!(status, 200, "ES256");

    let mut expired = id_claims();
    expired["exp"] = json!(now() - 60);
    let mut wrong_issuer = id_claims();
    wrong_issuer["iss"] = json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other");
    let mut not_yet = id_claims();
    not_yet["nbf"] = json!(now() + 600);
    let mut access = id_claims();
    access["token_use"] = json!("access");
    let bad = [
        (
            "bad signature",
            rs256("rsa-1", "other_rsa_private_pkcs1.der", &id_claims()),
        ),
        ("expired", rs256("rsa-1", "rsa_private_pkcs1.der", &expired)),
        (
            "wrong issuer",
            rs256("rsa-1", "rsa_private_pkcs1.der", &wrong_issuer),
        ),
        (
            "not yet valid",
            rs256("rsa-1", "rsa_private_pkcs1.der", &not_yet),
        ),
        (
            "access token where an ID token is required",
            rs256("rsa-1", "rsa_private_pkcs1.der", &access),
        ),
        (
            "unknown kid",
            rs256("rsa-9", "rsa_private_pkcs1.der", &id_claims()),
        ),
        ("garbage", "not.a.jwt".to_string()),
        ("alg: none", unsigned_token(&id_claims())),
        (
            "HS256 keyed with the RSA public key",
            hs256_with_public_key(&id_claims()),
        ),
        (
            "RS256 header naming the EC key",
            rs256("ec-1", "rsa_private_pkcs1.der", &id_claims()),
        ),
    ];
    for (why, token) in bad {
        let (status, headers, body) = get(&t, &api, "/jwt", Some(&token)).await;
        assert_eq!(
            (status, body.as_str()),
            (401, r#"{"message":"Unauthorized"}"#),
            "{why}"
        );
        assert_eq!(
            headers["x-amzn-errortype"], "UnauthorizedException",
            "{why}"
        );
    }
    assert_eq!(get(&t, &api, "/jwt", None).await.0, 401);

    // A method with authorizationScopes takes access tokens carrying one of them.
    let mut scoped = id_claims();
    scoped["token_use"] = json!("access");
    scoped["client_id"] = json!("client1");
    scoped["scope"] = json!("openid pets/read");
    assert_eq!(
        get(
            &t,
            &api,
            "/scoped",
            Some(&rs256("rsa-1", "rsa_private_pkcs1.der", &scoped))
        )
        .await
        .0,
        200
    );
    scoped["scope"] = json!("openid pets/write");
    assert_eq!(
        get(
            &t,
            &api,
            "/scoped",
            Some(&rs256("rsa-1", "rsa_private_pkcs1.der", &scoped))
        )
        .await
        .0,
        401
    );
    assert_eq!(
        get(&t, &api, "/scoped", Some(&good)).await.0,
        401,
        "an ID token is not an access token"
    );
    t.stop().await;
}

#[tokio::test]
async fn resource_policy_denies_a_cidr() {
    init();
    let t = TestGateway::start().await;
    let api = setup(&t, false).await;
    let (status, headers, body) = get(&t, &api, "/blocked", None).await;
    assert_eq!(status, 403);
    assert_eq!(headers["x-amzn-errortype"], "AccessDeniedException");
    assert_eq!(
        body,
        format!(
            r#"{{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********9012:{api}/test/GET/blocked with an explicit deny"}}"#
        )
    );
    // NotIpAddress: every caller outside 203.0.113.0/24 is denied.
    assert_eq!(get(&t, &api, "/elsewhere", None).await.0, 403);
    let (status, _, body) = get(&t, &api, "/open", None).await;
    assert_eq!((status, body.as_str()), (200, r#"{"ok": true}"#));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigv4_signed_by_botocore_is_accepted_and_tampering_refused() {
    init();
    let Some(python) = common::require_tool("boto3") else {
        return;
    };
    let t = TestGateway::start().await;
    let api = setup(&t, false).await;
    let script = fixtures().join("../scripts/sigv4_botocore.py");
    let sign = |mode: &str, method: &str, url: &str, body: &str, key: &str| {
        let out = std::process::Command::new(&python)
            .arg(&script)
            .args([mode, method, url, body, key, SECRET])
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let send = |method: reqwest::Method, url: String, headers: &Value, body: &str| {
        let mut req = t.client.request(method, url).body(body.to_string());
        for (k, v) in headers.as_object().unwrap() {
            req = req.header(k.as_str(), v.as_str().unwrap());
        }
        async move {
            let resp = req.send().await.unwrap();
            (
                resp.status().as_u16(),
                resp.headers().clone(),
                resp.text().await.unwrap(),
            )
        }
    };
    let url = t.url(&api, "test", "/iam");
    let signed = sign("header", "GET", &url, "", ACCESS_KEY);
    let (status, _, body) = send(reqwest::Method::GET, url.clone(), &signed["headers"], "").await;
    assert_eq!(
        (status, body.as_str()),
        (
            200,
            r#"{"user": "arn:aws:iam::123456789012:user/alice", "key": "AKIDLAMBDATEST"}"#
        )
    );

    // POST with a body; the same headers with another body are refused.
    let signed = sign("header", "POST", &url, r#"{"a":1}"#, ACCESS_KEY);
    assert_eq!(
        send(
            reqwest::Method::POST,
            url.clone(),
            &signed["headers"],
            r#"{"a":1}"#
        )
        .await
        .0,
        200
    );
    let (status, headers, body) = send(
        reqwest::Method::POST,
        url.clone(),
        &signed["headers"],
        r#"{"a":2}"#,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(headers["x-amzn-errortype"], "InvalidSignatureException");
    assert!(
        body.starts_with(r#"{"message":"The request signature we calculated does not match"#),
        "{body}"
    );
    // Signed for one path, sent to another.
    let (status, _, _) = send(
        reqwest::Method::GET,
        format!("{url}?x=1"),
        &sign("header", "GET", &url, "", ACCESS_KEY)["headers"],
        "",
    )
    .await;
    assert_eq!(status, 403);
    // Unknown access key.
    let (status, headers, _) = send(
        reqwest::Method::GET,
        url.clone(),
        &sign("header", "GET", &url, "", "AKIDUNKNOWN")["headers"],
        "",
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(headers["x-amzn-errortype"], "UnrecognizedClientException");
    // No signature at all.
    let (status, _, body) = get(&t, &api, "/iam", None).await;
    assert_eq!(
        (status, body.as_str()),
        (403, r#"{"message":"Missing Authentication Token"}"#)
    );

    // Query-string (presigned) signing.
    let presigned = sign("presign", "GET", &url, "", ACCESS_KEY)["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        send(reqwest::Method::GET, presigned.clone(), &json!({}), "")
            .await
            .0,
        200
    );
    let tampered = presigned.replace("X-Amz-Expires=60", "X-Amz-Expires=600");
    assert_eq!(
        send(reqwest::Method::GET, tampered, &json!({}), "").await.0,
        403
    );

    // A signature older than the 15-minute skew: expired.
    let old = time::OffsetDateTime::now_utc() - time::Duration::minutes(20);
    let amz_date = old
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("host", t.addr.to_string().parse().unwrap());
    headers.insert("x-amz-date", amz_date.parse().unwrap());
    let path = format!("/restapis/{api}/test/_user_request_/iam");
    let parts = gwtui::auth::sigv4::RequestParts {
        method: "GET",
        path: &path,
        query: None,
        headers: &headers,
        authority: None,
        body: b"",
    };
    let auth = gwtui::auth::sigv4::sign(
        &parts,
        ACCESS_KEY,
        SECRET,
        "us-east-1",
        "execute-api",
        &["host", "x-amz-date"],
    )
    .unwrap();
    let (status, _, body) = send(
        reqwest::Method::GET,
        url.clone(),
        &json!({"x-amz-date": amz_date, "authorization": auth}),
        "",
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body.starts_with(r#"{"message":"Signature expired: "#),
        "{body}"
    );
    t.stop().await;
}
