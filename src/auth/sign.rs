//! Outbound SigV4 signing: what the gateway adds to a request it sends to an AWS service
//! (AWS service integrations). The verification side lives in [`super::sigv4`]; this module
//! only builds on its pure helpers (`uri_encode`, `hex_sha256`, `string_to_sign`,
//! `signing_key`, `signature`).
//!
//! It signs the way botocore does: `host`, `content-type` and every `x-amz-*` header are
//! signed; `x-amz-date` is added, `x-amz-security-token` when the credentials carry a session
//! token, and for S3 `x-amz-content-sha256` (S3 requires it). The canonical path is the path
//! as sent, URI-encoded once more for every service but S3, whose canonical path is the path
//! as sent (single-encoded).

use http::{HeaderMap, HeaderValue};
use time::OffsetDateTime;
use time::macros::format_description;

use super::sigv4::{ALGORITHM, hex_sha256, signature, signing_key, string_to_sign, uri_encode};

pub use super::credentials::Credentials;

/// What is signed: the request as it will go on the wire.
#[derive(Debug, Clone, Copy)]
pub struct Outbound<'a> {
    pub method: &'a str,
    /// `host[:port]` as sent in the `Host` header.
    pub authority: &'a str,
    /// The path as sent (percent-encoded), starting with `/`.
    pub path: &'a str,
    /// The query as sent, without `?`.
    pub query: Option<&'a str>,
    pub body: &'a [u8],
}

/// The signing scope of one service call.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub region: &'a str,
    /// The service's signing name (`sqs`, `states`, `dynamodb`, `s3`...).
    pub service: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("header {0} cannot be sent: {1}")]
    Header(&'static str, String),
}

/// `YYYYMMDDTHHMMSSZ`.
pub fn amz_date(now: OffsetDateTime) -> String {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    now.format(format).unwrap_or_default()
}

fn value(name: &'static str, v: &str) -> Result<HeaderValue, SignError> {
    HeaderValue::from_str(v).map_err(|e| SignError::Header(name, e.to_string()))
}

/// Signs `req`: adds `host`, `x-amz-date`, `x-amz-security-token` (with a session token),
/// `x-amz-content-sha256` (S3) and `authorization` to `headers`.
pub fn sign(
    req: &Outbound<'_>,
    headers: &mut HeaderMap,
    credentials: &Credentials,
    scope: &Scope<'_>,
    now: OffsetDateTime,
) -> Result<(), SignError> {
    let date_time = amz_date(now);
    let s3 = scope.service == "s3";
    let payload_hash = hex_sha256(req.body);
    headers.insert(http::header::HOST, value("host", req.authority)?);
    headers.insert("x-amz-date", value("x-amz-date", &date_time)?);
    if s3 {
        headers.insert(
            "x-amz-content-sha256",
            value("x-amz-content-sha256", &payload_hash)?,
        );
    }
    if let Some(token) = &credentials.session_token {
        headers.insert(
            "x-amz-security-token",
            value("x-amz-security-token", token)?,
        );
    }
    let mut names: Vec<&str> = headers
        .keys()
        .map(|n| n.as_str())
        .filter(|n| *n == "host" || *n == "content-type" || n.starts_with("x-amz-"))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut canonical = String::with_capacity(256 + req.path.len());
    canonical.push_str(&req.method.to_ascii_uppercase());
    canonical.push('\n');
    if s3 {
        canonical.push_str(req.path);
    } else {
        canonical.push_str(&uri_encode(req.path, true));
    }
    canonical.push('\n');
    canonical.push_str(&canonical_query(req.query));
    canonical.push('\n');
    for name in &names {
        canonical.push_str(name);
        canonical.push(':');
        let values: Vec<String> = headers
            .get_all(*name)
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        canonical.push_str(&values.join(","));
        canonical.push('\n');
    }
    canonical.push('\n');
    let signed = names.join(";");
    canonical.push_str(&signed);
    canonical.push('\n');
    canonical.push_str(&payload_hash);

    let date = &date_time[..8];
    let credential_scope = format!("{date}/{}/{}/aws4_request", scope.region, scope.service);
    let to_sign = string_to_sign(&date_time, &credential_scope, &canonical);
    let key = signing_key(
        &credentials.secret_access_key,
        date,
        scope.region,
        scope.service,
    );
    let authorization = format!(
        "{ALGORITHM} Credential={}/{credential_scope}, SignedHeaders={signed}, Signature={}",
        credentials.access_key_id,
        signature(&key, &to_sign)
    );
    headers.insert(
        http::header::AUTHORIZATION,
        value("authorization", &authorization)?,
    );
    Ok(())
}

/// Query parameters decoded, URI-encoded the AWS way and sorted.
fn canonical_query(raw: Option<&str>) -> String {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', "%20"))
            .decode_utf8_lossy()
            .into_owned()
    };
    let mut pairs: Vec<(String, String)> = raw
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&decode(k), false), uri_encode(&decode(v), false))
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::sigv4::{Expected, KeyMaterial, RequestParts, verify};

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn creds(token: Option<&str>) -> Credentials {
        Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: SECRET.into(),
            session_token: token.map(str::to_string),
        }
    }

    fn at(s: &str) -> OffsetDateTime {
        let format = format_description!("[year][month][day]T[hour][minute][second]Z");
        time::PrimitiveDateTime::parse(s, format)
            .unwrap()
            .assume_utc()
    }

    /// AWS's SigV4 test suite, `get-vanilla` and `post-x-www-form-urlencoded`.
    #[test]
    fn matches_the_aws_test_suite() {
        let mut headers = HeaderMap::new();
        let req = Outbound {
            method: "GET",
            authority: "example.amazonaws.com",
            path: "/",
            query: None,
            body: b"",
        };
        let scope = Scope {
            region: "us-east-1",
            service: "service",
        };
        sign(
            &req,
            &mut headers,
            &creds(None),
            &scope,
            at("20150830T123600Z"),
        )
        .unwrap();
        assert_eq!(
            headers["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );

        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let req = Outbound {
            method: "POST",
            authority: "example.amazonaws.com",
            path: "/",
            query: None,
            body: b"Param1=value1",
        };
        sign(
            &req,
            &mut headers,
            &creds(None),
            &scope,
            at("20150830T123600Z"),
        )
        .unwrap();
        assert_eq!(
            headers["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        );
    }

    /// The project's own verifier accepts what this signer produces (non-S3 services, whose
    /// canonical path is encoded twice), with a session token and an `x-amz-target`.
    #[test]
    fn the_verifier_accepts_signed_requests() {
        let now = OffsetDateTime::now_utc();
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.0"),
        );
        headers.insert(
            "x-amz-target",
            HeaderValue::from_static("AWSStepFunctions.StartExecution"),
        );
        let body = br#"{"input":"{}"}"#;
        let req = Outbound {
            method: "POST",
            authority: "127.0.0.1:5000",
            path: "/a%20b/c",
            query: Some("b=2&a=x%2By"),
            body,
        };
        let scope = Scope {
            region: "eu-west-1",
            service: "states",
        };
        sign(&req, &mut headers, &creds(Some("TOKEN")), &scope, now).unwrap();
        assert_eq!(headers["x-amz-security-token"], "TOKEN");
        let parts = RequestParts {
            method: "POST",
            path: "/a%20b/c",
            query: Some("b=2&a=x%2By"),
            headers: &headers,
            authority: None,
            body,
        };
        let key = KeyMaterial {
            secret: SECRET,
            session_token: Some("TOKEN"),
        };
        let scope = Expected { service: "states" };
        let auth = verify(&parts, &scope, |k| (k == "AKIDEXAMPLE").then_some(key), now).unwrap();
        assert_eq!(auth.service, "states");
        assert_eq!(auth.region, "eu-west-1");
        assert_eq!(
            auth.signed_headers,
            [
                "content-type",
                "host",
                "x-amz-date",
                "x-amz-security-token",
                "x-amz-target"
            ]
        );
        // A different body no longer verifies.
        let tampered = RequestParts {
            body: b"{}",
            ..parts
        };
        assert!(verify(&tampered, &scope, |_| Some(key), now).is_err());
    }

    /// The same PUT signed by botocore 1.x (`S3SigV4Auth` and `SigV4Auth`, clock fixed at
    /// 2013-05-24T00:00:00Z): S3 signs the single-encoded path and the payload hash, other
    /// services the path encoded once more.
    #[test]
    fn matches_botocore_for_s3_and_other_services() {
        let now = at("20130524T000000Z");
        let secret = Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        };
        let req = Outbound {
            method: "PUT",
            authority: "127.0.0.1:5000",
            path: "/my-bucket/my%20key%2Bx.png",
            query: Some("b=2&a=x%2By"),
            body: b"\x89PNG",
        };
        for (service, signed, sig) in [
            (
                "s3",
                "content-type;host;x-amz-content-sha256;x-amz-date",
                "efe66a9006290f575071e5fbfe26fe3760464803dea6b3d2b90a1bd938496f45",
            ),
            (
                "sqs",
                "content-type;host;x-amz-date",
                "66b668ce1cf53b9e4dd6c736a8876316831d4a0ac2f0f4cb8657b56572cf74f0",
            ),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert("content-type", HeaderValue::from_static("image/png"));
            let scope = Scope {
                region: "us-east-1",
                service,
            };
            sign(&req, &mut headers, &secret, &scope, now).unwrap();
            assert_eq!(
                headers["authorization"],
                format!(
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/{service}/aws4_request, SignedHeaders={signed}, Signature={sig}"
                ),
                "{service}"
            );
        }
    }
}
