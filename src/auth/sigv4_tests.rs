//! The `get-vanilla` vector of the public aws-sig-v4-test-suite, plus verification cases.

use super::*;
use http::HeaderValue;

const KEY: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

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
    let auth = verify(
        &parts(&headers, b""),
        |k| (k == KEY).then(|| SECRET.to_string()),
        vanilla_time(),
    )
    .unwrap();
    assert_eq!(auth.access_key_id, KEY);
    assert_eq!(auth.scope(), "20150830/us-east-1/service/aws4_request");
}

#[test]
fn wrong_secret_tampered_body_or_header_is_a_mismatch() {
    let mut headers = vanilla_headers();
    headers.insert("authorization", HeaderValue::from_static(VANILLA_AUTHZ));
    let wrong = verify(
        &parts(&headers, b""),
        |_| Some("other".to_string()),
        vanilla_time(),
    );
    assert_eq!(wrong.unwrap_err(), SigV4Error::Mismatch);
    let secret = |_: &str| Some(SECRET.to_string());
    assert_eq!(
        verify(&parts(&headers, b"x"), secret, vanilla_time()).unwrap_err(),
        SigV4Error::Mismatch
    );
    headers.insert("host", HeaderValue::from_static("evil.example.com"));
    let err = verify(&parts(&headers, b""), secret, vanilla_time()).unwrap_err();
    assert_eq!(err, SigV4Error::Mismatch);
    assert_eq!(err.to_string(), SIGNATURE_MISMATCH);
    assert_eq!(err.error_type(), "InvalidSignatureException");
    assert_eq!(err.status(), 403);
}

#[test]
fn clock_skew_beyond_fifteen_minutes_is_refused() {
    let mut headers = vanilla_headers();
    headers.insert("authorization", HeaderValue::from_static(VANILLA_AUTHZ));
    let secret = |_: &str| Some(SECRET.to_string());
    let req = parts(&headers, b"");
    assert!(verify(&req, secret, vanilla_time() + time::Duration::minutes(14)).is_ok());
    let late = verify(&req, secret, vanilla_time() + time::Duration::minutes(16)).unwrap_err();
    assert!(matches!(late, SigV4Error::Expired { .. }), "{late:?}");
    assert!(
        late.to_string().starts_with(
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z"
        )
    );
    let early = verify(&req, secret, vanilla_time() - time::Duration::minutes(16)).unwrap_err();
    assert!(matches!(early, SigV4Error::NotYetCurrent { .. }));
}

#[test]
fn unknown_keys_missing_and_malformed_headers() {
    let mut headers = vanilla_headers();
    let req_time = vanilla_time();
    assert_eq!(
        verify(&parts(&headers, b""), |_| None, req_time).unwrap_err(),
        SigV4Error::Missing
    );
    headers.insert("authorization", HeaderValue::from_static(VANILLA_AUTHZ));
    assert_eq!(
        verify(&parts(&headers, b""), |_| None, req_time).unwrap_err(),
        SigV4Error::UnknownAccessKey
    );
    headers.insert(
        "authorization",
        HeaderValue::from_static(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
        ),
    );
    let err = verify(&parts(&headers, b""), |_| None, req_time).unwrap_err();
    assert!(
        matches!(err, SigV4Error::Incomplete(ref m) if m.contains("SignedHeaders")),
        "{err:?}"
    );
    headers.insert("authorization", HeaderValue::from_static("Basic abc"));
    assert!(matches!(
        verify(&parts(&headers, b""), |_| None, req_time),
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
