//! AWS Signature Version 4 (`AWS4-HMAC-SHA256` in the `Authorization` header): parsing,
//! canonical request, string to sign, signing key, signing and verification.
//!
//! The canonical request is rebuilt from what the client sent and the headers it listed in
//! `SignedHeaders`, the way botocore builds it for non-S3 services: the path is normalised
//! (dot segments removed) and URI-encoded once more (so `%2F` in a path parameter is signed as
//! `%252F`), query parameters are decoded, re-encoded and sorted, header values are trimmed
//! with inner runs of spaces collapsed. The signature is compared in constant time, and the
//! request time (`x-amz-date`) must be within 15 minutes of the server's clock.
//!
//! Besides the HMAC, a request must: sign `host`; be scoped to the expected service
//! ([`Expected`]) and to a well-formed region; carry the session token of temporary
//! credentials (`X-Amz-Security-Token`) and no token for long-term ones; and, in the header
//! form, hash its real body (`x-amz-content-sha256`, when sent, must be the body's SHA-256, so
//! `UNSIGNED-PAYLOAD` is refused).

use hmac::{Hmac, Mac};
use http::HeaderMap;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

type HmacSha256 = Hmac<Sha256>;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far the request time may be from the server's clock.
pub const MAX_CLOCK_SKEW: time::Duration = time::Duration::minutes(15);
/// The longest validity a presigned request may ask for (`X-Amz-Expires`, seconds: 7 days).
pub const MAX_PRESIGNED_EXPIRES: i64 = 604_800;
/// AWS's message when a signed header list lacks `host`.
pub const HOST_NOT_SIGNED: &str =
    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";
/// AWS's message when the signature does not match.
pub const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Why a request was refused. Each maps to the status, `x-amzn-ErrorType` and message AWS
/// answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// No `Authorization` header.
    #[error("Missing Authentication Token")]
    Missing,
    /// An `Authorization` header that is not a well-formed SigV4 one.
    #[error("{0}")]
    Incomplete(String),
    /// The access key id is not one the server knows.
    #[error("The security token included in the request is invalid.")]
    UnknownAccessKey,
    /// `X-Amz-Security-Token` does not match the credentials: missing or different for
    /// temporary credentials, present for long-term ones.
    #[error("The security token included in the request is invalid.")]
    InvalidSecurityToken,
    /// The credential scope names another service than the endpoint's.
    #[error("Credential should be scoped to correct service: '{expected}'. ")]
    WrongService { expected: String },
    /// The credential scope's region is not a region.
    #[error("Credential should be scoped to a valid region, not '{region}'. ")]
    InvalidRegion { region: String },
    /// The request time is more than 15 minutes from the server's clock.
    #[error("Signature expired: {request_time} is now earlier than {earliest} ({now} - 15 min.)")]
    Expired {
        request_time: String,
        earliest: String,
        now: String,
    },
    /// The request time is more than 15 minutes in the future.
    #[error(
        "Signature not yet current: {request_time} is still later than {latest} ({now} + 15 min.)"
    )]
    NotYetCurrent {
        request_time: String,
        latest: String,
        now: String,
    },
    /// The signature does not match the one computed with the server's secret.
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    )]
    Mismatch,
}

impl SigV4Error {
    /// 403 for every refusal, as AWS's REST-JSON services (API Gateway among them) answer
    /// authentication failures, `IncompleteSignatureException` included.
    pub fn status(&self) -> u16 {
        403
    }

    pub fn error_type(&self) -> &'static str {
        match self {
            SigV4Error::Missing => "MissingAuthenticationTokenException",
            SigV4Error::Incomplete(_) => "IncompleteSignatureException",
            SigV4Error::UnknownAccessKey | SigV4Error::InvalidSecurityToken => {
                "UnrecognizedClientException"
            }
            SigV4Error::Expired { .. }
            | SigV4Error::NotYetCurrent { .. }
            | SigV4Error::WrongService { .. }
            | SigV4Error::InvalidRegion { .. }
            | SigV4Error::Mismatch => "InvalidSignatureException",
        }
    }
}

/// What a signature must be scoped to besides carrying a valid HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected<'a> {
    /// The service of the credential scope: `apigateway` for the management API,
    /// `execute-api` for invocations.
    pub service: &'a str,
}

/// The management API's scope.
pub const MANAGEMENT: Expected<'static> = Expected {
    service: "apigateway",
};
/// The data plane's (AWS_IAM methods) scope.
pub const EXECUTE_API: Expected<'static> = Expected {
    service: "execute-api",
};

/// A known access key: its secret and, for temporary credentials, the session token requests
/// must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyMaterial<'a> {
    pub secret: &'a str,
    pub session_token: Option<&'a str>,
}

/// Whether `region` looks like an AWS region (`us-east-1`, `us-gov-west-1`, `cn-north-1`):
/// a two-letter prefix, one or more lower-case words, a number. gwtui serves every region on
/// one endpoint, so any such region is accepted.
pub fn is_valid_region(region: &str) -> bool {
    let lower = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase());
    let Some((prefix, rest)) = region.split_once('-') else {
        return false;
    };
    let Some((words, number)) = rest.rsplit_once('-') else {
        return false;
    };
    prefix.len() == 2
        && lower(prefix)
        && words.split('-').all(lower)
        && (1..=2).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// The scope checks: service first (AWS names the service it expected), then the region.
fn check_scope(auth: &Authorization, expected: &Expected<'_>) -> Result<(), SigV4Error> {
    if auth.service != expected.service {
        return Err(SigV4Error::WrongService {
            expected: expected.service.to_string(),
        });
    }
    if !is_valid_region(&auth.region) {
        return Err(SigV4Error::InvalidRegion {
            region: auth.region.clone(),
        });
    }
    Ok(())
}

fn require_host(auth: &Authorization) -> Result<(), SigV4Error> {
    if auth.signed_headers.iter().any(|h| h == "host") {
        Ok(())
    } else {
        Err(SigV4Error::Incomplete(HOST_NOT_SIGNED.into()))
    }
}

/// Compares in time independent of where the inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The session token sent must be the one of the credentials (none for long-term ones).
fn check_session_token(key: &KeyMaterial<'_>, sent: Option<&[u8]>) -> Result<(), SigV4Error> {
    match (key.session_token, sent) {
        (None, None) => Ok(()),
        (Some(want), Some(got)) if constant_time_eq(want.as_bytes(), got) => Ok(()),
        _ => Err(SigV4Error::InvalidSecurityToken),
    }
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
/// Signature=...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key_id: String,
    /// `YYYYMMDD` of the credential scope.
    pub date: String,
    pub region: String,
    pub service: String,
    /// Lower-case header names, in the order the client listed them.
    pub signed_headers: Vec<String>,
    /// Hex signature as sent.
    pub signature: String,
}

impl Authorization {
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }

    pub fn parse(header: &str) -> Result<Authorization, SigV4Error> {
        let rest = header
            .trim()
            .strip_prefix(ALGORITHM)
            .filter(|r| r.starts_with(' '))
            .ok_or_else(|| {
                SigV4Error::Incomplete(format!(
                    "Authorization header requires the {ALGORITHM} algorithm"
                ))
            })?;
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (k, v) = part.trim().split_once('=').unwrap_or((part.trim(), ""));
            match k {
                "Credential" => credential = Some(v),
                "SignedHeaders" => signed = Some(v),
                "Signature" => signature = Some(v),
                _ => {}
            }
        }
        let missing = |name: &str| {
            SigV4Error::Incomplete(format!(
                "Authorization header requires '{name}' parameter. Authorization={header}"
            ))
        };
        let credential = credential
            .filter(|c| !c.is_empty())
            .ok_or_else(|| missing("Credential"))?;
        let signed = signed
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing("SignedHeaders"))?;
        let signature = signature
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing("Signature"))?;
        let parts: Vec<&str> = credential.split('/').collect();
        let [key, date, region, service, "aws4_request"] = parts.as_slice() else {
            return Err(SigV4Error::Incomplete(format!(
                "Credential should be scoped to a valid region and service: {credential}"
            )));
        };
        if key.is_empty() || date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SigV4Error::Incomplete(format!(
                "Credential is malformed: {credential}"
            )));
        }
        Ok(Authorization {
            access_key_id: key.to_string(),
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            signed_headers: signed
                .split(';')
                .map(|h| h.trim().to_ascii_lowercase())
                .collect(),
            signature: signature.to_string(),
        })
    }
}

/// What a signature covers, as the server received it.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub method: &'a str,
    /// The raw (still percent-encoded) path.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    /// Used for `host` when the headers have none (HTTP/2 `:authority`).
    pub authority: Option<&'a str>,
    pub body: &'a [u8],
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// AWS's URI encoding: everything but unreserved characters (and `/` when `keep_slash`) as
/// `%XX` with upper-case hex.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Removes `.` and `..` segments (RFC 3986 §5.2.4), keeping a trailing slash.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut joined = out.join("/");
    if !joined.starts_with('/') {
        joined.insert(0, '/');
    }
    if (path.ends_with("/.") || path.ends_with("/..")) && !joined.ends_with('/') {
        joined.push('/');
    }
    joined
}

fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() {
        return "/".to_string();
    }
    uri_encode(&remove_dot_segments(raw_path), true)
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn canonical_query(raw: Option<&str>) -> String {
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

fn canonical_header_value(v: &[u8]) -> String {
    String::from_utf8_lossy(v)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The canonical request for `signed_headers` (lower-case names). A signed header the request
/// does not carry is a mismatch, and so is an `x-amz-content-sha256` that is not the body's
/// SHA-256 (`UNSIGNED-PAYLOAD` included: non-S3 services sign the payload).
pub fn canonical_request(
    req: &RequestParts<'_>,
    signed_headers: &[String],
) -> Result<String, SigV4Error> {
    let headers = canonical_headers(req, signed_headers)?;
    let body_hash = hex_sha256(req.body);
    let payload = match req.headers.get("x-amz-content-sha256") {
        Some(declared) if declared.as_bytes() != body_hash.as_bytes() => {
            return Err(SigV4Error::Mismatch);
        }
        _ => body_hash,
    };
    Ok(canonical_request_with_payload(
        req,
        signed_headers,
        &headers,
        &payload,
    ))
}

fn canonical_request_with_payload(
    req: &RequestParts<'_>,
    signed_headers: &[String],
    headers: &str,
    payload: &str,
) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method.to_ascii_uppercase(),
        canonical_uri(req.path),
        canonical_query(req.query),
        headers,
        signed_headers.join(";"),
        payload
    )
}

/// The canonical headers block (`name:value\n` per signed header).
fn canonical_headers(
    req: &RequestParts<'_>,
    signed_headers: &[String],
) -> Result<String, SigV4Error> {
    let mut headers = String::new();
    for name in signed_headers {
        let values: Vec<String> = req
            .headers
            .get_all(name.as_str())
            .iter()
            .map(|v| canonical_header_value(v.as_bytes()))
            .collect();
        let value = if values.is_empty() {
            match (name.as_str(), req.authority) {
                ("host", Some(a)) => a.to_string(),
                _ => return Err(SigV4Error::Mismatch),
            }
        } else {
            values.join(",")
        };
        headers.push_str(&format!("{name}:{value}\n"));
    }
    Ok(headers)
}

/// Query-string (presigned) SigV4: `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
/// `X-Amz-Expires`, `X-Amz-SignedHeaders` and `X-Amz-Signature` in the query. The canonical
/// query is every parameter but `X-Amz-Signature`; the payload is the body's hash (botocore's
/// `SigV4QueryAuth`) or `UNSIGNED-PAYLOAD` (S3-style presigners). The request must be used
/// before `X-Amz-Date + X-Amz-Expires`.
pub fn verify_presigned<'k>(
    req: &RequestParts<'_>,
    expected: &Expected<'_>,
    key_for: impl Fn(&str) -> Option<KeyMaterial<'k>>,
    now: OffsetDateTime,
) -> Result<Authorization, SigV4Error> {
    let raw = req.query.unwrap_or_default();
    let mut params: Vec<(String, String)> = Vec::new();
    let mut kept: Vec<&str> = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(k);
        if key != "X-Amz-Signature" {
            kept.push(pair);
        }
        params.push((key, decode(v)));
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let missing = |name: &str| {
        SigV4Error::Incomplete(format!(
            "AWS query-string parameters must include '{name}'. Re-examine the query-string parameters."
        ))
    };
    let algorithm = get("X-Amz-Algorithm").ok_or_else(|| missing("X-Amz-Algorithm"))?;
    if algorithm != ALGORITHM {
        return Err(SigV4Error::Incomplete(format!(
            "X-Amz-Algorithm only supports \"{ALGORITHM}\""
        )));
    }
    let credential = get("X-Amz-Credential").ok_or_else(|| missing("X-Amz-Credential"))?;
    let signed = get("X-Amz-SignedHeaders").ok_or_else(|| missing("X-Amz-SignedHeaders"))?;
    let signature = get("X-Amz-Signature").ok_or_else(|| missing("X-Amz-Signature"))?;
    let amz_date = get("X-Amz-Date")
        .ok_or_else(|| missing("X-Amz-Date"))?
        .to_string();
    let expires: i64 = get("X-Amz-Expires")
        .ok_or_else(|| missing("X-Amz-Expires"))?
        .parse()
        .map_err(|_| SigV4Error::Incomplete("X-Amz-Expires should be a number".into()))?;
    if expires < 0 {
        return Err(SigV4Error::Incomplete(
            "X-Amz-Expires must be non-negative".into(),
        ));
    }
    if expires > MAX_PRESIGNED_EXPIRES {
        return Err(SigV4Error::Incomplete(format!(
            "X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGNED_EXPIRES}"
        )));
    }
    let auth = Authorization::parse(&format!(
        "{ALGORITHM} Credential={credential}, SignedHeaders={signed}, Signature={signature}"
    ))?;
    require_host(&auth)?;
    check_scope(&auth, expected)?;
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    let at = time::PrimitiveDateTime::parse(&amz_date, format)
        .map_err(|_| SigV4Error::Incomplete(format!("Invalid X-Amz-Date: {amz_date}")))?
        .assume_utc();
    if !amz_date.starts_with(&auth.date) {
        return Err(SigV4Error::Mismatch);
    }
    if at > now + MAX_CLOCK_SKEW {
        return Err(SigV4Error::NotYetCurrent {
            request_time: amz_date,
            latest: amz(now + MAX_CLOCK_SKEW),
            now: amz(now),
        });
    }
    let expiry = at + time::Duration::seconds(expires);
    if expiry < now {
        return Err(SigV4Error::Expired {
            request_time: amz_date,
            earliest: amz(expiry),
            now: amz(now),
        });
    }
    let key = key_for(&auth.access_key_id).ok_or(SigV4Error::UnknownAccessKey)?;
    check_session_token(&key, get("X-Amz-Security-Token").map(str::as_bytes))?;
    let kept_query = kept.join("&");
    let unsigned = RequestParts {
        query: Some(&kept_query),
        ..*req
    };
    let headers = canonical_headers(&unsigned, &auth.signed_headers)?;
    let key = signing_key(key.secret, &auth.date, &auth.region, &auth.service);
    let provided = hex::decode(&auth.signature).map_err(|_| SigV4Error::Mismatch)?;
    for payload in [hex_sha256(req.body), "UNSIGNED-PAYLOAD".to_string()] {
        let canonical =
            canonical_request_with_payload(&unsigned, &auth.signed_headers, &headers, &payload);
        let to_sign = string_to_sign(&amz_date, &auth.scope(), &canonical);
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&key).map_err(|_| SigV4Error::Mismatch)?;
        mac.update(to_sign.as_bytes());
        if mac.verify_slice(&provided).is_ok() {
            return Ok(auth);
        }
    }
    Err(SigV4Error::Mismatch)
}

pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex_sha256(canonical_request.as_bytes())
    )
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// The hex signature of `string_to_sign`.
pub fn signature(signing_key: &[u8], string_to_sign: &str) -> String {
    hex::encode(hmac(signing_key, string_to_sign.as_bytes()))
}

/// The request time from `x-amz-date` (`YYYYMMDDTHHMMSSZ`).
fn request_time(headers: &HeaderMap) -> Result<(String, OffsetDateTime), SigV4Error> {
    let raw = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| SigV4Error::Incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into()))?;
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    let parsed = time::PrimitiveDateTime::parse(raw, format)
        .map_err(|_| SigV4Error::Incomplete(format!("Invalid X-Amz-Date: {raw}")))?;
    Ok((raw.to_string(), parsed.assume_utc()))
}

fn amz(t: OffsetDateTime) -> String {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    t.format(format).unwrap_or_default()
}

/// Verifies a signed request. `key_for` returns the secret (and session token) of a known
/// access key id. Returns the parsed authorization (its `access_key_id` names the caller).
pub fn verify<'k>(
    req: &RequestParts<'_>,
    expected: &Expected<'_>,
    key_for: impl Fn(&str) -> Option<KeyMaterial<'k>>,
    now: OffsetDateTime,
) -> Result<Authorization, SigV4Error> {
    let header = req
        .headers
        .get(http::header::AUTHORIZATION)
        .ok_or(SigV4Error::Missing)?;
    let header = header
        .to_str()
        .map_err(|_| SigV4Error::Incomplete("Authorization header is not ASCII".into()))?;
    let auth = Authorization::parse(header)?;
    require_host(&auth)?;
    check_scope(&auth, expected)?;
    let (amz_date, at) = request_time(req.headers)?;
    if !amz_date.starts_with(&auth.date) {
        return Err(SigV4Error::Mismatch);
    }
    if at < now - MAX_CLOCK_SKEW {
        return Err(SigV4Error::Expired {
            request_time: amz_date,
            earliest: amz(now - MAX_CLOCK_SKEW),
            now: amz(now),
        });
    }
    if at > now + MAX_CLOCK_SKEW {
        return Err(SigV4Error::NotYetCurrent {
            request_time: amz_date,
            latest: amz(now + MAX_CLOCK_SKEW),
            now: amz(now),
        });
    }
    let key = key_for(&auth.access_key_id).ok_or(SigV4Error::UnknownAccessKey)?;
    check_session_token(
        &key,
        req.headers
            .get("x-amz-security-token")
            .map(|v| v.as_bytes()),
    )?;
    let canonical = canonical_request(req, &auth.signed_headers)?;
    let to_sign = string_to_sign(&amz_date, &auth.scope(), &canonical);
    let key = signing_key(key.secret, &auth.date, &auth.region, &auth.service);
    let provided = hex::decode(&auth.signature).map_err(|_| SigV4Error::Mismatch)?;
    let mut mac = <HmacSha256 as Mac>::new_from_slice(&key).map_err(|_| SigV4Error::Mismatch)?;
    mac.update(to_sign.as_bytes());
    // `verify_slice` compares in constant time.
    mac.verify_slice(&provided)
        .map_err(|_| SigV4Error::Mismatch)?;
    Ok(auth)
}

/// Signs a request: returns the `Authorization` header value for `signed_headers` (which must be
/// present in `req.headers`, `x-amz-date` among them). Used by tests and remote handles.
pub fn sign(
    req: &RequestParts<'_>,
    access_key_id: &str,
    secret: &str,
    region: &str,
    service: &str,
    signed_headers: &[&str],
) -> Result<String, SigV4Error> {
    let (amz_date, _) = request_time(req.headers)?;
    let date = &amz_date[..8];
    let signed: Vec<String> = signed_headers
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let canonical = canonical_request(req, &signed)?;
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = string_to_sign(&amz_date, &scope, &canonical);
    let sig = signature(&signing_key(secret, date, region, service), &to_sign);
    Ok(format!(
        "{ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={}, Signature={sig}",
        signed.join(";")
    ))
}

#[cfg(test)]
#[path = "sigv4_tests.rs"]
mod tests;
