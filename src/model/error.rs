//! The typed error every admin operation returns. Each variant is one of the AWS API Gateway
//! control-plane exceptions, so the management API can answer with AWS's status, error type and
//! `{"message": ...}` body without guessing.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AdminError {
    /// 404 `NotFoundException`.
    #[error("{0}")]
    NotFound(String),
    /// 400 `BadRequestException`.
    #[error("{0}")]
    BadRequest(String),
    /// 400 `ValidationException`: the input breaks a constraint of AWS's service model (an
    /// enum, a length); the message is AWS's `1 validation error detected: ...`.
    #[error("{0}")]
    Validation(String),
    /// 400 `SerializationException`: AWS's protocol layer could not read a member as its type
    /// (a number where the model has a string).
    #[error("{0}")]
    Serialization(String),
    /// 409 `ConflictException`.
    #[error("{0}")]
    Conflict(String),
    /// 429 `LimitExceededException` (a control-plane quota such as 300 resources per API).
    #[error("{0}")]
    LimitExceeded(String),
    /// 429 `TooManyRequestsException`.
    #[error("{0}")]
    TooManyRequests(String),
    /// 500: the store failed; nothing was applied.
    #[error("{0}")]
    Internal(String),
    /// 503 `ServiceUnavailableException`: the definitions store (PostgreSQL, cluster mode)
    /// cannot be reached; nothing was applied.
    #[error("{0}")]
    ServiceUnavailable(String),
}

impl AdminError {
    pub fn status(&self) -> u16 {
        match self {
            AdminError::NotFound(_) => 404,
            AdminError::BadRequest(_)
            | AdminError::Validation(_)
            | AdminError::Serialization(_) => 400,
            AdminError::Conflict(_) => 409,
            AdminError::LimitExceeded(_) | AdminError::TooManyRequests(_) => 429,
            AdminError::Internal(_) => 500,
            AdminError::ServiceUnavailable(_) => 503,
        }
    }

    /// The `x-amzn-ErrorType` value AWS sends for this exception.
    pub fn error_type(&self) -> &'static str {
        match self {
            AdminError::NotFound(_) => "NotFoundException",
            AdminError::BadRequest(_) => "BadRequestException",
            AdminError::Validation(_) => "ValidationException",
            AdminError::Serialization(_) => "SerializationException",
            AdminError::Conflict(_) => "ConflictException",
            AdminError::LimitExceeded(_) => "LimitExceededException",
            AdminError::TooManyRequests(_) => "TooManyRequestsException",
            AdminError::Internal(_) => "InternalFailure",
            AdminError::ServiceUnavailable(_) => "ServiceUnavailableException",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            AdminError::NotFound(m)
            | AdminError::BadRequest(m)
            | AdminError::Validation(m)
            | AdminError::Serialization(m)
            | AdminError::Conflict(m)
            | AdminError::LimitExceeded(m)
            | AdminError::TooManyRequests(m)
            | AdminError::Internal(m)
            | AdminError::ServiceUnavailable(m) => m,
        }
    }

    pub fn bad_request(m: impl Into<String>) -> Self {
        AdminError::BadRequest(m.into())
    }

    pub fn not_found(m: impl Into<String>) -> Self {
        AdminError::NotFound(m.into())
    }

    pub fn conflict(m: impl Into<String>) -> Self {
        AdminError::Conflict(m.into())
    }

    /// AWS's message for a value outside an enum of the service model: `value` as AWS prints
    /// it (`HTTPS_PROXY`, or `[wrong]` for a list), `at` the member path
    /// (`putIntegrationInput.type`), `allowed` in AWS's order. A list member's constraint is
    /// nested one level, as AWS prints it.
    pub fn enum_violation(value: &str, at: &str, allowed: &[&str], list: bool) -> Self {
        let set = format!(
            "Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        );
        let constraint = if list {
            format!("Member must satisfy constraint: [{set}]")
        } else {
            set
        };
        AdminError::Validation(format!(
            "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: {constraint}"
        ))
    }
}
