//! A function served by a remote endpoint speaking the Lambda Invoke API
//! (`POST {endpoint}/2015-03-31/functions/{name}/invocations`), optionally SigV4-signed
//! (service `lambda`).

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};

use super::config::SignConfig;
use super::{Invocation, InvokeError};
use crate::auth::sigv4;

#[derive(Debug, Clone)]
pub struct Remote {
    pub endpoint: String,
    pub function_name: String,
    pub sign: Option<SignConfig>,
}

impl Remote {
    pub async fn invoke(
        &self,
        client: &reqwest::Client,
        qualifier: Option<&str>,
        payload: Bytes,
        trace_id: Option<&str>,
    ) -> Result<Invocation, InvokeError> {
        let base = self.endpoint.trim_end_matches('/');
        let name = sigv4::uri_encode(&self.function_name, false);
        let path = format!("/2015-03-31/functions/{name}/invocations");
        let query = qualifier.map(|q| format!("Qualifier={}", sigv4::uri_encode(q, false)));
        let url = match &query {
            Some(q) => format!("{base}{path}?{q}"),
            None => format!("{base}{path}"),
        };
        let parsed = reqwest::Url::parse(&url)
            .map_err(|e| InvokeError::Failed(format!("invalid endpoint {url}: {e}")))?;
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            "x-amz-invocation-type",
            HeaderValue::from_static("RequestResponse"),
        );
        if let Some(v) = trace_id.and_then(|t| HeaderValue::from_str(t).ok()) {
            headers.insert("x-amzn-trace-id", v);
        }
        if let Some(sign) = &self.sign {
            let host = match parsed.port() {
                Some(p) => format!("{}:{p}", parsed.host_str().unwrap_or_default()),
                None => parsed.host_str().unwrap_or_default().to_string(),
            };
            let now = time::OffsetDateTime::now_utc();
            let amz_date = now
                .format(time::macros::format_description!(
                    "[year][month][day]T[hour][minute][second]Z"
                ))
                .map_err(|e| InvokeError::Failed(e.to_string()))?;
            let header =
                |v: &str| HeaderValue::from_str(v).map_err(|e| InvokeError::Failed(e.to_string()));
            headers.insert(http::header::HOST, header(&host)?);
            headers.insert("x-amz-date", header(&amz_date)?);
            headers.insert(
                "x-amz-content-sha256",
                header(&sigv4::hex_sha256(&payload))?,
            );
            let mut signed = vec!["content-type", "host", "x-amz-content-sha256", "x-amz-date"];
            if let Some(token) = &sign.session_token {
                headers.insert("x-amz-security-token", header(token)?);
                signed.push("x-amz-security-token");
            }
            let parts = sigv4::RequestParts {
                method: "POST",
                path: parsed.path(),
                query: parsed.query(),
                headers: &headers,
                authority: None,
                body: &payload,
            };
            let region = sign.region.as_deref().unwrap_or(crate::engine::REGION);
            let auth = sigv4::sign(
                &parts,
                &sign.access_key_id,
                &sign.secret_access_key,
                region,
                "lambda",
                &signed,
            )
            .map_err(|e| InvokeError::Failed(format!("cannot sign the Invoke request: {e}")))?;
            headers.insert(http::header::AUTHORIZATION, header(&auth)?);
        }
        let response = client
            .post(parsed)
            .headers(headers)
            .body(payload)
            .send()
            .await
            .map_err(|e| InvokeError::Failed(format!("Invoke request to {url} failed: {e}")))?;
        let status = response.status();
        let function_error = response
            .headers()
            .get("x-amz-function-error")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let request_id = response
            .headers()
            .get("x-amzn-requestid")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .unwrap_or_default();
        let body = response
            .bytes()
            .await
            .map_err(|e| InvokeError::Failed(format!("Invoke response from {url} failed: {e}")))?;
        if status == http::StatusCode::TOO_MANY_REQUESTS {
            return Err(InvokeError::Throttled);
        }
        if !status.is_success() {
            return Err(InvokeError::Failed(format!(
                "Invoke returned {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(512)])
            )));
        }
        Ok(Invocation {
            request_id,
            payload: body,
            function_error,
            cold_start: false,
        })
    }
}
