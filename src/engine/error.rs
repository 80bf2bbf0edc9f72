//! Gateway-generated errors. Each maps to its GatewayResponse type (model.md §14) and, for an
//! API that has not customised that response, to the exact status, body bytes and
//! `x-amzn-ErrorType` AWS sends (execution.md §13).

/// A failure of the data plane, rendered through the API's gateway responses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayError {
    /// No (resource, method) matched, or an unknown API id.
    MissingAuthenticationToken,
    /// Unmatched route with a non-SigV4 `Authorization` header: carries base64(sha256(value)).
    IncompleteSignature {
        hashed: String,
    },
    /// Unknown stage: 403 `{"message":"Forbidden"}`.
    ForbiddenStage,
    Unauthorized,
    /// Authorizer or resource-policy denial with AWS's exact (capital-M) message.
    AccessDenied {
        message: String,
    },
    AuthorizerConfiguration,
    /// AWS_IAM: a malformed, unknown-key or mismatching SigV4 signature (403), with the
    /// `x-amzn-ErrorType` AWS sends for it.
    InvalidSignature {
        message: String,
        error_type: &'static str,
    },
    /// AWS_IAM: a signature outside the allowed clock skew or past its presigned expiry (403).
    ExpiredToken {
        message: String,
    },
    InvalidApiKey,
    Throttled,
    QuotaExceeded,
    BadRequestParameters {
        missing: Vec<String>,
    },
    BadRequestBody {
        detail: String,
    },
    UnsupportedMediaType,
    RequestTooLarge,
    IntegrationTimeout,
    IntegrationFailure,
    /// 502 from a malformed Lambda proxy response or function error.
    LambdaProxyError {
        reason: String,
    },
    /// 500 `API_CONFIGURATION_ERROR` with the execution-log reason.
    Configuration {
        reason: String,
    },
}

impl GatewayError {
    /// The GatewayResponse type this error is rendered through.
    pub fn response_type(&self) -> &'static str {
        match self {
            GatewayError::MissingAuthenticationToken | GatewayError::IncompleteSignature { .. } => {
                "MISSING_AUTHENTICATION_TOKEN"
            }
            GatewayError::ForbiddenStage => "DEFAULT_4XX",
            GatewayError::Unauthorized => "UNAUTHORIZED",
            GatewayError::AccessDenied { .. } => "ACCESS_DENIED",
            GatewayError::AuthorizerConfiguration => "AUTHORIZER_CONFIGURATION_ERROR",
            GatewayError::InvalidSignature { .. } => "INVALID_SIGNATURE",
            GatewayError::ExpiredToken { .. } => "EXPIRED_TOKEN",
            GatewayError::InvalidApiKey => "INVALID_API_KEY",
            GatewayError::Throttled => "THROTTLED",
            GatewayError::QuotaExceeded => "QUOTA_EXCEEDED",
            GatewayError::BadRequestParameters { .. } => "BAD_REQUEST_PARAMETERS",
            GatewayError::BadRequestBody { .. } => "BAD_REQUEST_BODY",
            GatewayError::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            GatewayError::RequestTooLarge => "REQUEST_TOO_LARGE",
            GatewayError::IntegrationTimeout => "INTEGRATION_TIMEOUT",
            GatewayError::IntegrationFailure => "INTEGRATION_FAILURE",
            GatewayError::LambdaProxyError { .. } => "DEFAULT_5XX",
            GatewayError::Configuration { .. } => "API_CONFIGURATION_ERROR",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            GatewayError::MissingAuthenticationToken
            | GatewayError::IncompleteSignature { .. }
            | GatewayError::ForbiddenStage
            | GatewayError::AccessDenied { .. }
            | GatewayError::InvalidSignature { .. }
            | GatewayError::ExpiredToken { .. }
            | GatewayError::InvalidApiKey => 403,
            GatewayError::Unauthorized => 401,
            GatewayError::AuthorizerConfiguration | GatewayError::Configuration { .. } => 500,
            GatewayError::Throttled | GatewayError::QuotaExceeded => 429,
            GatewayError::BadRequestParameters { .. } | GatewayError::BadRequestBody { .. } => 400,
            GatewayError::UnsupportedMediaType => 415,
            GatewayError::RequestTooLarge => 413,
            GatewayError::IntegrationTimeout | GatewayError::IntegrationFailure => 504,
            GatewayError::LambdaProxyError { .. } => 502,
        }
    }

    /// `$context.error.message`.
    pub fn message(&self) -> Option<String> {
        Some(match self {
            GatewayError::MissingAuthenticationToken => "Missing Authentication Token".into(),
            GatewayError::IncompleteSignature { hashed } => format!(
                "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '{hashed}'."
            ),
            GatewayError::ForbiddenStage | GatewayError::InvalidApiKey => "Forbidden".into(),
            GatewayError::Unauthorized => "Unauthorized".into(),
            GatewayError::AccessDenied { message } => message.clone(),
            GatewayError::InvalidSignature { message, .. }
            | GatewayError::ExpiredToken { message } => message.clone(),
            GatewayError::AuthorizerConfiguration => return None,
            GatewayError::Throttled => "Too Many Requests".into(),
            GatewayError::QuotaExceeded => "Limit Exceeded".into(),
            GatewayError::BadRequestParameters { missing } => {
                format!(
                    "Missing required request parameters: [{}]",
                    missing.join(", ")
                )
            }
            GatewayError::BadRequestBody { .. } => "Invalid request body".into(),
            GatewayError::UnsupportedMediaType => "Unsupported Media Type".into(),
            GatewayError::RequestTooLarge => "Request Too Long".into(),
            GatewayError::IntegrationTimeout => "Endpoint request timed out".into(),
            GatewayError::IntegrationFailure => "Network error communicating with endpoint".into(),
            GatewayError::LambdaProxyError { .. } | GatewayError::Configuration { .. } => {
                "Internal server error".into()
            }
        })
    }

    /// `x-amzn-ErrorType` of the un-customised response.
    pub fn error_type(&self) -> &'static str {
        match self {
            GatewayError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            GatewayError::IncompleteSignature { .. } => "IncompleteSignatureException",
            GatewayError::ForbiddenStage | GatewayError::InvalidApiKey => "ForbiddenException",
            GatewayError::Unauthorized => "UnauthorizedException",
            GatewayError::AccessDenied { .. } => "AccessDeniedException",
            GatewayError::AuthorizerConfiguration => "AuthorizerConfigurationException",
            GatewayError::InvalidSignature { error_type, .. } => error_type,
            // AWS answers an expired SigV4 signature with InvalidSignatureException.
            GatewayError::ExpiredToken { .. } => "InvalidSignatureException",
            GatewayError::Throttled => "TooManyRequestsException",
            GatewayError::QuotaExceeded => "LimitExceededException",
            GatewayError::BadRequestParameters { .. } | GatewayError::BadRequestBody { .. } => {
                "BadRequestException"
            }
            GatewayError::UnsupportedMediaType => "UnsupportedMediaTypeException",
            GatewayError::RequestTooLarge => "RequestTooLargeException",
            GatewayError::IntegrationTimeout
            | GatewayError::IntegrationFailure
            | GatewayError::LambdaProxyError { .. }
            | GatewayError::Configuration { .. } => "InternalServerErrorException",
        }
    }

    /// The exact body AWS sends when the response is not customised. Most gateway errors have
    /// no space after the colon; integration-side 5xx errors have one; ACCESS_DENIED uses a
    /// capital `Message` (execution.md §13).
    pub fn default_body(&self) -> String {
        match self {
            GatewayError::AccessDenied { message } => {
                format!("{{\"Message\":{}}}", json_string(message))
            }
            GatewayError::AuthorizerConfiguration => "{\"message\":null}".into(),
            GatewayError::IntegrationTimeout
            | GatewayError::IntegrationFailure
            | GatewayError::LambdaProxyError { .. }
            | GatewayError::Configuration { .. } => format!(
                "{{\"message\": {}}}",
                json_string(&self.message().unwrap_or_default())
            ),
            other => format!(
                "{{\"message\":{}}}",
                json_string(&other.message().unwrap_or_default())
            ),
        }
    }

    /// `$context.error.messageString`: the message as a JSON string literal (or `null`).
    pub fn message_string(&self) -> String {
        match self.message() {
            Some(m) => json_string(&m),
            None => "null".into(),
        }
    }

    /// `$context.error.validationErrorString`.
    pub fn validation_error_string(&self) -> Option<&str> {
        match self {
            GatewayError::BadRequestBody { detail } => Some(detail),
            _ => None,
        }
    }

    /// The execution-log line for this failure, where AWS writes one.
    pub fn log_reason(&self) -> Option<String> {
        match self {
            GatewayError::LambdaProxyError { reason } | GatewayError::Configuration { reason } => {
                Some(format!(
                    "Execution failed due to configuration error: {reason}"
                ))
            }
            GatewayError::IntegrationTimeout => {
                Some("Execution failed due to a timeout error".into())
            }
            GatewayError::IntegrationFailure => {
                Some("Execution failed due to a network error communicating with endpoint".into())
            }
            _ => None,
        }
    }
}

pub fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_bodies_are_byte_exact() {
        assert_eq!(
            GatewayError::MissingAuthenticationToken.default_body(),
            r#"{"message":"Missing Authentication Token"}"#
        );
        assert_eq!(
            GatewayError::IntegrationTimeout.default_body(),
            r#"{"message": "Endpoint request timed out"}"#
        );
        assert_eq!(
            GatewayError::AuthorizerConfiguration.default_body(),
            r#"{"message":null}"#
        );
        assert_eq!(
            GatewayError::AccessDenied {
                message: "User is not authorized to access this resource".into()
            }
            .default_body(),
            r#"{"Message":"User is not authorized to access this resource"}"#
        );
        assert_eq!(
            GatewayError::BadRequestParameters {
                missing: vec!["a".into(), "b".into()]
            }
            .default_body(),
            r#"{"message":"Missing required request parameters: [a, b]"}"#
        );
    }
}
