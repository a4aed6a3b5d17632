//! The one HTTP error type. Client errors name the problem (and each bad field); server errors
//! are opaque to the client and logged once with the cause.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use dsrflow_app::{AppError, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the body or a parameter cannot be read at all.
    BadRequest(String),
    /// 401: no valid token.
    Unauthorized,
    /// 403: the token may not do this.
    Forbidden(String),
    /// 404.
    NotFound(String),
    /// 409: the current state does not allow it.
    Conflict(String),
    /// 410: it existed but is gone for good (an expired link).
    Gone(String),
    /// 413: body too large.
    PayloadTooLarge,
    /// 415: not JSON.
    UnsupportedMediaType,
    /// 422: fields are invalid.
    Validation(Vec<FieldError>),
    /// 500: logged, not shown.
    Internal(String),
}

/// The JSON body of every error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code (`validation_failed`, `conflict`, …).
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
    /// For `validation_failed`: every bad field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<FieldErrorBody>)]
    pub fields: Vec<FieldError>,
}

/// One bad field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorBody {
    /// The field's path, e.g. `subject.email`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Validation(fields) => ApiError::Validation(fields),
            AppError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            AppError::Conflict(m) => ApiError::Conflict(m),
            AppError::Forbidden(m) => ApiError::Forbidden(m),
            AppError::Gone(m) => ApiError::Gone(m),
            AppError::Unavailable(m) | AppError::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, fields) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m, vec![]),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid API token is required: Authorization: Bearer <token>".to_owned(),
                vec![],
            ),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m, vec![]),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m, vec![]),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m, vec![]),
            ApiError::Gone(m) => (StatusCode::GONE, "gone", m, vec![]),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body must be at most {} bytes", crate::MAX_BODY_BYTES),
                vec![],
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be JSON (Content-Type: application/json)".to_owned(),
                vec![],
            ),
            ApiError::Validation(fields) => {
                let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    format!("invalid fields: {}", names.join(", ")),
                    fields,
                )
            }
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; the cause is logged with this response's x-request-id"
                        .to_owned(),
                    vec![],
                )
            }
        };
        let mut resp = (
            status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code,
                    message,
                    fields,
                },
            }),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}
