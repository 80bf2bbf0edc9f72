//! [`Backend`](super::Backend) over a running gwtui's management API (`gwtui attach URL`):
//! AWS's operations where AWS has one (CreateDeployment, UpdateStage, FlushStageCache,
//! TestInvokeMethod, GetModelTemplate, GetUsage, ...), gwtui's `/gwtui/...` endpoints
//! otherwise (a definition in one answer, template render and check, the working export,
//! metrics, the `[aws]` settings), and the event stream `GET /gwtui/events`
//! ([`stream`]). Requests are SigV4-signed with the admin credentials when they are given,
//! name the audit actor `console` (signed, as the server requires), and carry the
//! `Content-Type` and `Host` the server's browser checks expect.

mod http_api;
mod ops;
pub mod stream;
mod websocket;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::credentials::Credentials;
use crate::engine::{AwsPublicSettings, AwsSettings};
use crate::loadgen::Traffic;

/// No request body.
const NONE: Option<&()> = None;

/// How long one management call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The audit actor an attached console signs its changes with.
const ACTOR: &str = "console";
/// The header naming it (`server::mgmt::ACTOR_HEADER`).
const ACTOR_HEADER: &str = "x-gwtui-actor";

/// Why attaching (or one call) failed, in words for the person attaching.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    #[error("{0} is not a URL gwtui can attach to: give http://HOST:PORT or https://HOST:PORT")]
    BadUrl(String),
    #[error("--ca-cert is for https:// URLs ({0} is plain HTTP)")]
    CaCertWithoutHttps(String),
    #[error("--ca-cert {path}: {reason}")]
    BadCaCert { path: String, reason: String },
    #[error(
        "the server at {url} presented a certificate this console does not trust ({reason}); give the CA certificate that signed it with --ca-cert FILE (a gwtui server's local CA: `gwtui info` on the server prints its path)"
    )]
    Untrusted { url: String, reason: String },
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{url} is not a gwtui server (GET /gwtui/health answered {answer})")]
    NotGwtui { url: String, answer: String },
    #[error("the server at {url} refused the admin credentials: {message}")]
    Credentials { url: String, message: String },
    #[error("{0}")]
    Refused(String),
    #[error("unexpected answer from the server: {0}")]
    Answer(String),
}

/// A console's handle on a running gwtui.
#[derive(Clone)]
pub struct RemoteBackend {
    inner: Arc<Inner>,
}

struct Inner {
    /// `http://host:port` or `https://host:port` (no trailing `/`).
    base: String,
    /// `host:port`, what `Host` carries and SigV4 signs.
    authority: String,
    /// The server's address, for the load generator.
    addr: SocketAddr,
    http: reqwest::Client,
    credentials: Option<Credentials>,
    aws: Arc<AwsSettings>,
    traffic: Arc<Traffic>,
}

/// The base and authority of `http[s]://host:port[/]`.
fn parse_base(url: &str) -> Result<(String, String), RemoteError> {
    let bad = || RemoteError::BadUrl(url.to_string());
    let parsed = reqwest::Url::parse(url).map_err(|_| bad())?;
    let scheme = parsed.scheme();
    if !matches!(scheme, "http" | "https")
        || parsed.query().is_some()
        || !matches!(parsed.path(), "" | "/")
        || !parsed.username().is_empty()
    {
        return Err(bad());
    }
    let host = parsed.host_str().ok_or_else(bad)?;
    let authority = match parsed.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    Ok((format!("{scheme}://{authority}"), authority))
}

/// The CA certificates of a PEM file given with `--ca-cert`, as the only roots to trust.
pub fn ca_certificates(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, RemoteError> {
    let bad = |reason: String| RemoteError::BadCaCert {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let text = String::from_utf8(pem).map_err(|_| bad("not a PEM file".into()))?;
    let ders = crate::tls::pem::certificates(&text).map_err(|e| bad(e.to_string()))?;
    if ders.is_empty() {
        return Err(bad("no certificate in the file".into()));
    }
    ders.iter()
        .map(|der| reqwest::Certificate::from_der(der).map_err(|e| bad(e.to_string())))
        .collect()
}

/// Whether a connection failure is the server's certificate not being trusted.
fn is_untrusted(reason: &str) -> bool {
    reason.contains("invalid peer certificate") || reason.contains("UnknownIssuer")
}

/// An error with its causes (`error sending request: ...: Connection refused`).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// The `message` (or `Message`) of an AWS-shaped error body, else the body.
fn error_message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("Message"))
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect())
}

impl RemoteBackend {
    /// Attaches to the gwtui at `url`: checks it is one (`GET /gwtui/health`), that the
    /// credentials are accepted (one signed read), and reads its `[aws]` settings. Nothing
    /// else is done until this succeeds, so the console can refuse before taking the
    /// terminal.
    pub async fn connect(
        url: &str,
        credentials: Option<Credentials>,
        traffic: Arc<Traffic>,
    ) -> Result<RemoteBackend, RemoteError> {
        RemoteBackend::connect_with(url, credentials, traffic, None).await
    }

    /// [`connect`](Self::connect), trusting only `ca` (from [`ca_certificates`]) for an
    /// `https://` server's certificate when given (the system's roots otherwise).
    pub async fn connect_with(
        url: &str,
        credentials: Option<Credentials>,
        traffic: Arc<Traffic>,
        ca: Option<Vec<reqwest::Certificate>>,
    ) -> Result<RemoteBackend, RemoteError> {
        let (base, authority) = parse_base(url)?;
        let https = base.starts_with("https://");
        if ca.is_some() && !https {
            return Err(RemoteError::CaCertWithoutHttps(base));
        }
        let lookup = match authority.contains(':') && !authority.ends_with(']') {
            true => authority.clone(),
            false => format!("{authority}:{}", if https { 443 } else { 80 }),
        };
        let addr = tokio::net::lookup_host(&lookup)
            .await
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| RemoteError::Unreachable {
                url: base.clone(),
                reason: "the host name does not resolve".into(),
            })?;
        // reqwest is built without a default TLS provider: the process's is ring (a no-op
        // when the binary installed it already).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(CONNECT_TIMEOUT);
        if let Some(ca) = ca {
            builder = builder.tls_certs_only(ca);
        }
        let http = builder.build().map_err(|e| RemoteError::Unreachable {
            url: base.clone(),
            reason: e.to_string(),
        })?;
        let mut backend = RemoteBackend {
            inner: Arc::new(Inner {
                base,
                authority,
                addr,
                http,
                credentials,
                aws: Arc::default(),
                traffic,
            }),
        };
        backend.probe().await?;
        let aws: AwsPublicSettings = backend
            .call_json(Method::GET, "/gwtui/aws", "", None::<&()>)
            .await
            .map_err(RemoteError::Answer)?;
        if let Some(inner) = Arc::get_mut(&mut backend.inner) {
            inner.aws = Arc::new(AwsSettings::from_public_view(&aws));
        }
        Ok(backend)
    }

    async fn probe(&self) -> Result<(), RemoteError> {
        let url = self.inner.base.clone();
        let unreachable = |e: reqwest::Error| {
            let reason = error_chain(&e);
            if is_untrusted(&reason) {
                RemoteError::Untrusted {
                    url: url.clone(),
                    reason: reason.rsplit(": ").next().unwrap_or(&reason).to_string(),
                }
            } else {
                RemoteError::Unreachable {
                    url: url.clone(),
                    reason,
                }
            }
        };
        let health = self
            .inner
            .http
            .get(format!("{}/gwtui/health", self.inner.base))
            .timeout(CALL_TIMEOUT)
            .send()
            .await
            .map_err(unreachable)?;
        let status = health.status();
        let body = health.bytes().await.map_err(unreachable)?;
        let is_gwtui = status.is_success()
            && serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .is_some_and(|v| v.get("service").and_then(|s| s.as_str()) == Some("gwtui"));
        if !is_gwtui {
            let text: String = String::from_utf8_lossy(&body)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(60)
                .collect();
            return Err(RemoteError::NotGwtui {
                url,
                answer: format!("{status} {text}").trim().to_string(),
            });
        }
        match self
            .send(Method::GET, "/restapis", "limit=1", Vec::new())
            .await
        {
            Ok(_) => Ok(()),
            Err((Some(status), message)) if status == 401 || status == 403 => {
                Err(RemoteError::Credentials { url, message })
            }
            Err((_, message)) => Err(RemoteError::Refused(message)),
        }
    }

    /// The server's `[aws]` settings (without the secret), read when attaching.
    pub fn aws(&self) -> Arc<AwsSettings> {
        self.inner.aws.clone()
    }

    /// `http[s]://host:port` of the server.
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// Signs (with credentials) and sends one request; the body of a 2xx answer, or the
    /// status and AWS's error message.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Vec<u8>,
    ) -> Result<Bytes, (Option<u16>, String)> {
        let url = if query.is_empty() {
            format!("{}{path}", self.inner.base)
        } else {
            format!("{}{path}?{query}", self.inner.base)
        };
        let headers = self
            .headers(method.as_str(), path, query, &body)
            .map_err(|e| (None, e))?;
        let response = self
            .inner
            .http
            .request(method, url)
            .headers(headers)
            .body(body)
            .timeout(CALL_TIMEOUT)
            .send()
            .await
            .map_err(|e| (None, format!("the server did not answer: {e}")))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| (Some(status.as_u16()), format!("the answer was cut: {e}")))?;
        if status.is_success() {
            Ok(bytes)
        } else {
            Err((Some(status.as_u16()), error_message(&bytes)))
        }
    }

    /// The headers of a management request: `Content-Type`, and with credentials `Host`,
    /// `x-amz-date`, the payload hash, the session token, the signed audit actor and
    /// `Authorization`.
    fn headers(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Result<HeaderMap, String> {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let Some(credentials) = &self.inner.credentials else {
            return Ok(headers);
        };
        let bad = |what: &str| format!("cannot sign the request: bad {what}");
        let amz_date = crate::auth::sign::amz_date(time::OffsetDateTime::now_utc());
        headers.insert(
            http::header::HOST,
            HeaderValue::from_str(&self.inner.authority).map_err(|_| bad("server address"))?,
        );
        headers.insert(
            "x-amz-date",
            HeaderValue::from_str(&amz_date).map_err(|_| bad("time"))?,
        );
        headers.insert(
            "x-amz-content-sha256",
            HeaderValue::from_str(&crate::auth::sigv4::hex_sha256(body))
                .map_err(|_| bad("body hash"))?,
        );
        let mut signed = vec!["host", "x-amz-content-sha256", "x-amz-date"];
        if let Some(token) = &credentials.session_token {
            headers.insert(
                "x-amz-security-token",
                HeaderValue::from_str(token).map_err(|_| bad("session token"))?,
            );
            signed.push("x-amz-security-token");
        }
        headers.insert(ACTOR_HEADER, HeaderValue::from_static(ACTOR));
        signed.push(ACTOR_HEADER);
        let parts = crate::auth::sigv4::RequestParts {
            method,
            path,
            query: (!query.is_empty()).then_some(query),
            headers: &headers,
            authority: Some(&self.inner.authority),
            body,
        };
        let authorization = crate::auth::sigv4::sign(
            &parts,
            &credentials.access_key_id,
            &credentials.secret_access_key,
            crate::engine::REGION,
            crate::auth::sigv4::MANAGEMENT.service,
            &signed,
        )
        .map_err(|e| format!("cannot sign the request: {e}"))?;
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(&authorization).map_err(|_| bad("signature"))?,
        );
        Ok(headers)
    }

    /// A call whose answer is JSON.
    async fn call_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, String> {
        let bytes = self.call(method, path, query, body).await?;
        let bytes = if bytes.is_empty() {
            Bytes::from_static(b"{}")
        } else {
            bytes
        };
        serde_json::from_slice(&bytes).map_err(|e| format!("unexpected answer to {path}: {e}"))
    }

    /// A call whose answer does not matter beyond success.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &str,
        body: Option<&impl Serialize>,
    ) -> Result<Bytes, String> {
        let body = match body {
            Some(b) => serde_json::to_vec(b).map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        self.send(method, path, query, body)
            .await
            .map_err(|(_, message)| message)
    }

    /// Every item of an AWS list operation (`{"item": [...], "position": ...}`), page by page.
    async fn list<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, String> {
        #[derive(serde::Deserialize)]
        struct Page<T> {
            #[serde(default = "Vec::new")]
            item: Vec<T>,
            position: Option<String>,
        }
        let mut out = Vec::new();
        let mut query = "limit=500".to_string();
        // Bounded: a server that keeps answering with a position cannot keep us here.
        for _ in 0..1000 {
            let page: Page<T> = self
                .call_json(Method::GET, path, &query, None::<&()>)
                .await?;
            out.extend(page.item);
            match page.position {
                Some(p) if !p.is_empty() => query = format!("limit=500&position={}", encode(&p)),
                _ => return Ok(out),
            }
        }
        Err(format!("{path}: too many pages"))
    }

    /// Every item of an apigatewayv2 list (`{"items": [...], "nextToken": ...}`).
    async fn list_v2<T: DeserializeOwned>(&self, path: &str) -> Result<Vec<T>, String> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Page<T> {
            #[serde(default = "Vec::new")]
            items: Vec<T>,
            next_token: Option<String>,
        }
        let mut out = Vec::new();
        let mut query = "maxResults=500".to_string();
        for _ in 0..1000 {
            let page: Page<T> = self
                .call_json(Method::GET, path, &query, None::<&()>)
                .await?;
            out.extend(page.items);
            match page.next_token {
                Some(t) if !t.is_empty() => {
                    query = format!("maxResults=500&nextToken={}", encode(&t))
                }
                _ => return Ok(out),
            }
        }
        Err(format!("{path}: too many pages"))
    }
}

/// Percent-encodes a path segment or query value.
pub(crate) fn encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_base_urls_are_accepted() {
        assert_eq!(
            parse_base("http://127.0.0.1:4566/"),
            Ok(("http://127.0.0.1:4566".into(), "127.0.0.1:4566".into()))
        );
        assert_eq!(
            parse_base("https://127.0.0.1:4567"),
            Ok(("https://127.0.0.1:4567".into(), "127.0.0.1:4567".into()))
        );
        assert_eq!(
            parse_base("http://localhost"),
            Ok(("http://localhost".into(), "localhost".into()))
        );
        for bad in [
            "127.0.0.1:4566",
            "ftp://h:1",
            "http://h:1/restapis",
            "http://u:p@h:1",
            "nonsense",
        ] {
            assert!(parse_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn error_bodies_give_their_message() {
        assert_eq!(
            error_message(br#"{"message":"Invalid stage"}"#),
            "Invalid stage"
        );
        assert_eq!(
            error_message(br#"{"Message":"1 validation error"}"#),
            "1 validation error"
        );
        assert_eq!(error_message(b"<html>"), "<html>");
    }
}
