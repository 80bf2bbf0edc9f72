//! Phase respond: HTTP API error responses (`{"message":"Not Found"}` and friends, 413 as
//! plain text), and what every response carries: `apigw-requestid` and the built-in CORS
//! headers.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};

use super::HttpContext;
use crate::engine::context::InvokeResponse;

/// How an HTTP API request can fail (http-websocket.md §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// No stage or route: 404.
    NotFound,
    /// 401 with a `www-authenticate` value for JWT failures.
    Unauthorized {
        www_authenticate: Option<String>,
    },
    /// Authorizer denied; or the execute-api endpoint is disabled.
    Forbidden,
    /// A JWT without one of the route's scopes: 403 with a `www-authenticate` value.
    InsufficientScope(String),
    TooManyRequests,
    PayloadTooLarge,
    /// Integration or authorizer failure: 500 (the reason goes to the logs only).
    Internal(String),
    /// Integration timeout: 503.
    ServiceUnavailable(String),
}

impl HttpError {
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::NotFound => StatusCode::NOT_FOUND,
            HttpError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            HttpError::Forbidden | HttpError::InsufficientScope(_) => StatusCode::FORBIDDEN,
            HttpError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            HttpError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            HttpError::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn body(&self) -> &'static str {
        match self {
            HttpError::NotFound => r#"{"message":"Not Found"}"#,
            HttpError::Unauthorized { .. } => r#"{"message":"Unauthorized"}"#,
            HttpError::Forbidden | HttpError::InsufficientScope(_) => r#"{"message":"Forbidden"}"#,
            HttpError::TooManyRequests => r#"{"message":"Too Many Requests"}"#,
            HttpError::PayloadTooLarge => "HTTP content length exceeded 10485760 bytes.",
            HttpError::Internal(_) => r#"{"message":"Internal Server Error"}"#,
            HttpError::ServiceUnavailable(_) => r#"{"message":"Service Unavailable"}"#,
        }
    }

    /// What the logs and `$context.error.message` say.
    pub fn reason(&self) -> String {
        match self {
            HttpError::Internal(r) | HttpError::ServiceUnavailable(r) => r.clone(),
            other => other.body().to_string(),
        }
    }

    pub fn response(&self) -> InvokeResponse {
        let mut headers = HeaderMap::new();
        let content_type = if *self == HttpError::PayloadTooLarge {
            "text/plain; charset=utf-8"
        } else {
            "application/json"
        };
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
        let www = match self {
            HttpError::Unauthorized {
                www_authenticate: Some(w),
            }
            | HttpError::InsufficientScope(w) => Some(w),
            _ => None,
        };
        if let Some(w) = www
            && let Ok(v) = HeaderValue::from_str(w)
        {
            headers.insert(http::header::WWW_AUTHENTICATE, v);
        }
        InvokeResponse {
            status: self.status(),
            headers,
            body: Bytes::from_static(self.body().as_bytes()),
        }
    }
}

/// An error answered before a stage is known (no CORS, no record).
pub fn bare_error(err: HttpError) -> InvokeResponse {
    let mut r = err.response();
    let mut id = [0u8; 10];
    rand::fill(&mut id);
    use base64::Engine as _;
    if let Ok(v) = HeaderValue::from_str(&base64::engine::general_purpose::STANDARD.encode(id)) {
        r.headers.insert("apigw-requestid", v);
    }
    r
}

/// The response the client gets: errors rendered, CORS applied, the request id added.
pub fn finish(
    ctx: &mut HttpContext<'_>,
    outcome: Result<InvokeResponse, HttpError>,
) -> InvokeResponse {
    let mut response = match outcome {
        Ok(r) => r,
        Err(e) => {
            ctx.error = Some(e.reason());
            e.response()
        }
    };
    super::cors::decorate(ctx, &mut response.headers);
    if let Ok(v) = HeaderValue::from_str(&ctx.request_id) {
        response.headers.insert("apigw-requestid", v);
    }
    response
}
