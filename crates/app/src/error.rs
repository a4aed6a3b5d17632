//! The use-case error type. The HTTP layer maps each variant to a status code; messages of
//! client errors are safe to show (no personal data), internal ones are logged, not shown.

use dsrflow_store::StoreError;
use serde::Serialize;

/// One bad input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's path, e.g. `subject.email`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self {
            field: field.into(),
            message: message.to_string(),
        }
    }

    /// Every error on one line, `field: message; field: message` (for logs, the command line
    /// and the review queue; messages never repeat the rejected value).
    pub fn join(fields: &[FieldError]) -> String {
        fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// What a use case can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input is invalid; nothing was changed.
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with the current state (lifecycle rule, duplicate name).
    #[error("{0}")]
    Conflict(String),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The thing existed but is gone for good (an expired link).
    #[error("{0}")]
    Gone(String),
    /// A service dsrflow depends on (the IMAP server) cannot be used right now.
    #[error("{0}")]
    Unavailable(String),
    /// A failure in the store or elsewhere that is not the caller's fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => AppError::Conflict(format!("{what} already exists")),
            StoreError::Concurrent => AppError::Conflict(
                "the request was changed at the same time by someone else; reload and retry"
                    .to_owned(),
            ),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::from(StoreError::from(e))
    }
}
