//! The `get-vanilla` vector of the public aws-sig-v4-test-suite, plus verification cases.

use super::*;
use http::HeaderValue;

const KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// The test suite's vectors are scoped to the service `service`.
const SUITE: Expected<'static> = Expected { service: "service" };

fn key(_: &str) -> Option<KeyMaterial<'static>> {
    Some(KeyMaterial {
        secret: SECRET,
        session_token: None,
    })
}

fn known(k: &str) -> Option<KeyMaterial<'static>> {
    (k == KEY).then_some(KeyMaterial {
        secret: SECRET,
        session_token: None,
    })
}

fn nobody(_: &str) -> Option<KeyMaterial<'static>> {
    None
}

/// get-vanilla.req: `GET / HTTP/1.1`, `Host:example.amazonaws.com`, `X-Amz-Date:20150830T123600Z`.
fn vanilla_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("host", HeaderValue::from_static("example.amazonaws.com"));
    h.insert("x-amz-date", HeaderValue::from_static("20150830T123600Z"));
    h
}

fn parts<'a>(headers: &'a HeaderMap, body: &'a [u8]) -> RequestParts<'a> {
    RequestParts {
        method: "GET",
        path: "/",
        query: None,
        headers,
        authority: None,
        body,
    }
}

fn vanilla_time() -> OffsetDateTime {
    time::macros::datetime!(2015-08-30 12:36:00 UTC)
}

const VANILLA_CREQ: &str = "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const VANILLA_STS: &str = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63";
const VANILLA_AUTHZ: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

#[test]
fn get_vanilla_canonical_request_string_to_sign_and_signature() {
    let headers = vanilla_headers();
    let req = parts(&headers, b"");
    let creq = canonical_request(&req, &["host".into(), "x-amz-date".into()]).unwrap();
    assert_eq!(creq, VANILLA_CREQ);
    let sts = string_to_sign(
        "20150830T123600Z",
        "20150830/us-east-1/service/aws4_request",
        &creq,
    );
    assert_eq!(sts, VANILLA_STS);
    let authz = sign(
        &req,
        KEY,
        SECRET,
        "us-east-1",
        "service",
        &["host", "x-amz-date"],
    )
    .unwrap();
    assert_eq!(authz, VANILLA_AUTHZ);
}

#[test]
fn get_vanilla_verifies_and_names_the_caller() {
    let mut headers = vanilla_headers();
    headers.insert("authorization", HeaderValue::from_static(VANILLA_AUTHZ));
    let auth = verify(&parts(&headers, b""), &SUITE, known, vanilla_time()).unwrap();
    assert_eq!(auth.access_key_id, KEY);
    assert_eq!(auth.scope(), "20150830/us-east-1/service/aws4_request");
}

#[test]
fn wrong_secret_tampered_body_or_header_is_a_mismatch() {
    let mut headers = vanilla_headers();
    headers.insert("authorization", HeaderValue::from_static(VANILLA_AUTHZ));
    let wrong = verify(
        &parts(&headers, b""),
        &SUITE,
        |_| {
            Some(KeyMaterial {
                secret: "other",
                session_token: None,
            })
        },
        vanilla_time(),
    );
    assert_eq!(wrong.unwrap_err(), SigV4Error::Mismatch);
    assert_eq!(
        verify(&parts(&headers, b"x"), &SUITE, key, vanilla_time()).unwrap_err(),
        SigV4Error::Mismatch
    );
    headers.insert("host", HeaderValue::from_static("evil.example.com"));
    let err = verify(&parts(&headers, b""), &SUITE, key, vanilla_time()).unwrap_err();
    assert_eq!(err, SigV4Error::Mismatch);
    assert_eq!(err.to_string(), SIGNATURE_MISMATCH);
    assert_eq!(err.error_type(), "InvalidSignatureException");
    assert_eq!(err.status(), 403);
}

#[test]
fn clock_skew_beyond_fifteen_minutes_is_refused() {
    let mut headers = vanilla_headers();
    headers.insert("authorization", HeaderValue::from_static(VANILLA_AUTHZ));
    let req = parts(&headers, b"");
    assert!(
        verify(
            &req,
            &SUITE,
            key,
            vanilla_time() + time::Duration::minutes(14)
        )
        .is_ok()
    );
    let late = verify(
        &req,
        &SUITE,
        key,
        vanilla_time() + time::Duration::minutes(16),
    )
    .unwrap_err();
    assert!(matches!(late, SigV4Error::Expired { .. }), "{late:?}");
    assert!(
        late.to_string().starts_with(
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z"
        )
    );
    assert_eq!(late.error_type(), "InvalidSignatureException");
    assert_eq!(late.status(), 403);
    let early = verify(
        &req,
        &SUITE,
        key,
        vanilla_time() - time::Duration::minutes(16),
    )
    .unwrap_err();
    assert!(matches!(early, SigV4Error::NotYetCurrent { .. }));
}

#[test]
fn unknown_keys_missing_and_malformed_headers() {
    let mut headers = vanilla_headers();
    let req_time = vanilla_time();
    assert_eq!(
        verify(&parts(&headers, b""), &SUITE, nobody, req_time).unwrap_err(),
        SigV4Error::Missing
    );
    headers.insert("authorization", HeaderValue::from_static(VANILLA_AUTHZ));
    assert_eq!(
        verify(&parts(&headers, b""), &SUITE, nobody, req_time).unwrap_err(),
        SigV4Error::UnknownAccessKey
    );
    headers.insert(
        "authorization",
        HeaderValue::from_static(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
        ),
    );
    let err = verify(&parts(&headers, b""), &SUITE, nobody, req_time).unwrap_err();
    assert!(
        matches!(err, SigV4Error::Incomplete(ref m) if m.contains("SignedHeaders")),
        "{err:?}"
    );
    headers.insert("authorization", HeaderValue::from_static("Basic abc"));
    assert!(matches!(
        verify(&parts(&headers, b""), &SUITE, nobody, req_time),
        Err(SigV4Error::Incomplete(_))
    ));
}

#[test]
fn paths_are_encoded_once_more_and_queries_sorted() {
    assert_eq!(
        canonical_uri("/tags/arn%3Aaws%3Aapigateway%3A%3A%2Frestapis%2Fabc"),
        "/tags/arn%253Aaws%253Aapigateway%253A%253A%252Frestapis%252Fabc"
    );
    assert_eq!(canonical_uri("/a/./b/../c/"), "/a/c/");
    assert_eq!(canonical_uri(""), "/");
    assert_eq!(
        canonical_query(Some("b=2&a=%2Fx&a=1&c")),
        "a=%2Fx&a=1&b=2&c="
    );
    assert_eq!(canonical_query(Some("q=a b")), "q=a%20b");
}

/// Vanilla headers signed by `sign` for `service`/`region` with `signed` headers.
fn signed_headers(body: &[u8], region: &str, service: &str, signed: &[&str]) -> HeaderMap {
    let mut headers = vanilla_headers();
    let auth = sign(&parts(&headers, body), KEY, SECRET, region, service, signed).unwrap();
    headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
    headers
}

#[test]
fn the_scope_must_name_the_expected_service_and_a_valid_region() {
    let headers = signed_headers(b"", "us-east-1", "apigateway", &["host", "x-amz-date"]);
    let req = parts(&headers, b"");
    assert!(verify(&req, &MANAGEMENT, key, vanilla_time()).is_ok());
    let err = verify(&req, &EXECUTE_API, key, vanilla_time()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Credential should be scoped to correct service: 'execute-api'. "
    );
    assert_eq!(
        (err.status(), err.error_type()),
        (403, "InvalidSignatureException")
    );
    // Any region is served, but it has to be one.
    let other = signed_headers(b"", "eu-west-3", "apigateway", &["host", "x-amz-date"]);
    assert!(verify(&parts(&other, b""), &MANAGEMENT, key, vanilla_time()).is_ok());
    for region in ["execute-api", "local", "US-EAST-1", "us-east-", "useast-1"] {
        let h = signed_headers(b"", region, "apigateway", &["host", "x-amz-date"]);
        let err = verify(&parts(&h, b""), &MANAGEMENT, key, vanilla_time()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("Credential should be scoped to a valid region, not '{region}'. ")
        );
        assert_eq!(err.error_type(), "InvalidSignatureException");
    }
    for region in ["us-east-1", "us-gov-west-1", "cn-north-1", "ap-southeast-5"] {
        assert!(is_valid_region(region), "{region}");
    }
}

#[test]
fn host_must_be_a_signed_header() {
    let headers = signed_headers(b"", "us-east-1", "service", &["x-amz-date"]);
    let err = verify(&parts(&headers, b""), &SUITE, key, vanilla_time()).unwrap_err();
    assert_eq!(err, SigV4Error::Incomplete(HOST_NOT_SIGNED.into()));
    assert_eq!(err.error_type(), "IncompleteSignatureException");
}

#[test]
fn session_tokens_must_match_the_credentials() {
    let temporary = |_: &str| {
        Some(KeyMaterial {
            secret: SECRET,
            session_token: Some("the-token"),
        })
    };
    let with_token = |token: &'static str| {
        let mut headers = vanilla_headers();
        headers.insert("x-amz-security-token", HeaderValue::from_static(token));
        let auth = sign(
            &parts(&headers, b""),
            KEY,
            SECRET,
            "us-east-1",
            "service",
            &["host", "x-amz-date", "x-amz-security-token"],
        )
        .unwrap();
        headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        headers
    };
    let good = with_token("the-token");
    assert!(verify(&parts(&good, b""), &SUITE, temporary, vanilla_time()).is_ok());
    let wrong = with_token("another-token");
    let err = verify(&parts(&wrong, b""), &SUITE, temporary, vanilla_time()).unwrap_err();
    assert_eq!(err, SigV4Error::InvalidSecurityToken);
    assert_eq!(
        err.to_string(),
        "The security token included in the request is invalid."
    );
    assert_eq!(
        (err.status(), err.error_type()),
        (403, "UnrecognizedClientException")
    );
    // Temporary credentials without their token.
    let none = signed_headers(b"", "us-east-1", "service", &["host", "x-amz-date"]);
    assert_eq!(
        verify(&parts(&none, b""), &SUITE, temporary, vanilla_time()).unwrap_err(),
        SigV4Error::InvalidSecurityToken
    );
    // A token sent for long-term credentials.
    assert_eq!(
        verify(&parts(&good, b""), &SUITE, key, vanilla_time()).unwrap_err(),
        SigV4Error::InvalidSecurityToken
    );
}

#[test]
fn the_declared_payload_hash_must_be_the_bodys_and_unsigned_payload_is_refused() {
    let body = b"{\"name\":\"x\"}";
    let declare = |value: &str| {
        let mut headers = vanilla_headers();
        headers.insert(
            "x-amz-content-sha256",
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    };
    let signed = ["host", "x-amz-content-sha256", "x-amz-date"];
    // UNSIGNED-PAYLOAD, signed as such by the client: the server hashes the body instead.
    let mut headers = declare("UNSIGNED-PAYLOAD");
    let req = parts(&headers, body);
    let canonical = canonical_headers(&req, &signed.map(String::from)).unwrap();
    let creq = canonical_request_with_payload(
        &req,
        &signed.map(String::from),
        &canonical,
        "UNSIGNED-PAYLOAD",
    );
    let scope = "20150830/us-east-1/service/aws4_request";
    let sig = signature(
        &signing_key(SECRET, "20150830", "us-east-1", "service"),
        &string_to_sign("20150830T123600Z", scope, &creq),
    );
    let authz = format!(
        "{ALGORITHM} Credential={KEY}/{scope}, SignedHeaders={}, Signature={sig}",
        signed.join(";")
    );
    headers.insert("authorization", HeaderValue::from_str(&authz).unwrap());
    assert_eq!(
        verify(&parts(&headers, body), &SUITE, key, vanilla_time()).unwrap_err(),
        SigV4Error::Mismatch
    );
    // The real hash verifies; a hash of another body does not.
    let mut good = declare(&hex_sha256(body));
    let auth = sign(
        &parts(&good, body),
        KEY,
        SECRET,
        "us-east-1",
        "service",
        &signed,
    )
    .unwrap();
    good.insert("authorization", HeaderValue::from_str(&auth).unwrap());
    assert!(verify(&parts(&good, body), &SUITE, key, vanilla_time()).is_ok());
    assert_eq!(
        verify(&parts(&good, b"{}"), &SUITE, key, vanilla_time()).unwrap_err(),
        SigV4Error::Mismatch
    );
}

/// A presigned query (botocore's `SigV4QueryAuth` layout) for `GET /` on the vanilla host.
fn presign(service: &str, expires: &str, signed: &str, token: Option<&str>) -> String {
    let mut query = format!(
        "X-Amz-Algorithm={ALGORITHM}&X-Amz-Credential={KEY}%2F20150830%2Fus-east-1%2F{service}%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders={signed}"
    );
    if let Some(t) = token {
        query.push_str(&format!("&X-Amz-Security-Token={}", uri_encode(t, false)));
    }
    let headers = vanilla_headers();
    let req = RequestParts {
        query: Some(&query),
        ..parts(&headers, b"")
    };
    let names: Vec<String> = signed.split(';').map(String::from).collect();
    let creq = canonical_request(&req, &names).unwrap();
    let scope = format!("20150830/us-east-1/{service}/aws4_request");
    let sig = signature(
        &signing_key(SECRET, "20150830", "us-east-1", service),
        &string_to_sign("20150830T123600Z", &scope, &creq),
    );
    format!("{query}&X-Amz-Signature={sig}")
}

fn verify_query(
    query: &str,
    expected: &Expected<'_>,
    key_for: impl Fn(&str) -> Option<KeyMaterial<'static>>,
    now: OffsetDateTime,
) -> Result<Authorization, SigV4Error> {
    let headers = vanilla_headers();
    let req = RequestParts {
        query: Some(query),
        ..parts(&headers, b"")
    };
    verify_presigned(&req, expected, key_for, now)
}

#[test]
fn presigned_requests_check_expiry_bounds_host_scope_and_token() {
    let t = vanilla_time();
    let good = presign("service", "60", "host", None);
    assert!(verify_query(&good, &SUITE, key, t).is_ok());
    let late = verify_query(&good, &SUITE, key, t + time::Duration::seconds(61)).unwrap_err();
    assert!(matches!(late, SigV4Error::Expired { .. }), "{late:?}");
    assert!(verify_query(&presign("service", "604800", "host", None), &SUITE, key, t).is_ok());
    for (expires, message) in [
        (
            "604801",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        ),
        ("-1", "X-Amz-Expires must be non-negative"),
        ("soon", "X-Amz-Expires should be a number"),
    ] {
        let err = verify_query(&presign("service", expires, "host", None), &SUITE, key, t);
        assert_eq!(err.unwrap_err(), SigV4Error::Incomplete(message.into()));
    }
    let err = verify_query(
        &presign("service", "60", "x-amz-date", None),
        &SUITE,
        key,
        t,
    );
    assert_eq!(
        err.unwrap_err(),
        SigV4Error::Incomplete(HOST_NOT_SIGNED.into())
    );
    let err = verify_query(&good, &EXECUTE_API, key, t).unwrap_err();
    assert!(matches!(err, SigV4Error::WrongService { .. }), "{err:?}");
    // Session tokens travel in the query.
    let temporary = |_: &str| {
        Some(KeyMaterial {
            secret: SECRET,
            session_token: Some("tok/en"),
        })
    };
    let with_token = presign("service", "60", "host", Some("tok/en"));
    assert!(verify_query(&with_token, &SUITE, temporary, t).is_ok());
    assert_eq!(
        verify_query(&good, &SUITE, temporary, t).unwrap_err(),
        SigV4Error::InvalidSecurityToken
    );
    assert_eq!(
        verify_query(&with_token, &SUITE, key, t).unwrap_err(),
        SigV4Error::InvalidSecurityToken
    );
    let forged = presign("service", "60", "host", Some("other"));
    assert_eq!(
        verify_query(&forged, &SUITE, temporary, t).unwrap_err(),
        SigV4Error::InvalidSecurityToken
    );
}
