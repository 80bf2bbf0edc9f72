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
}

impl AdminError {
    pub fn status(&self) -> u16 {
        match self {
            AdminError::NotFound(_) => 404,
            AdminError::BadRequest(_) => 400,
            AdminError::Conflict(_) => 409,
            AdminError::LimitExceeded(_) | AdminError::TooManyRequests(_) => 429,
            AdminError::Internal(_) => 500,
        }
    }

    /// The `x-amzn-ErrorType` value AWS sends for this exception.
    pub fn error_type(&self) -> &'static str {
        match self {
            AdminError::NotFound(_) => "NotFoundException",
            AdminError::BadRequest(_) => "BadRequestException",
            AdminError::Conflict(_) => "ConflictException",
            AdminError::LimitExceeded(_) => "LimitExceededException",
            AdminError::TooManyRequests(_) => "TooManyRequestsException",
            AdminError::Internal(_) => "InternalFailure",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            AdminError::NotFound(m)
            | AdminError::BadRequest(m)
            | AdminError::Conflict(m)
            | AdminError::LimitExceeded(m)
            | AdminError::TooManyRequests(m)
            | AdminError::Internal(m) => m,
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
}
