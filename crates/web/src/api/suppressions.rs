//! `POST /api/v1/suppressions/check`: lets marketing imports check addresses against the
//! suppression list (erased subjects and objections to direct marketing) without dsrflow keeping
//! the addresses themselves.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use dsrflow_app::{App, FieldError};
use dsrflow_domain::SubjectEmail;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ApiError;
use crate::extract::{ApiCaller, ApiJson};

/// Most addresses per call.
pub const MAX_EMAILS: usize = 1000;

/// Body of the check.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// Addresses to check (at most 1000).
    pub emails: Vec<String>,
}

/// One answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    /// The address as sent (normalised).
    pub email: String,
    /// Whether it must not be used for marketing (or at all, for `all`).
    pub suppressed: bool,
    /// `all` (the subject's data was erased) or `marketing` (objection, consent withdrawn).
    pub scope: Option<String>,
    /// Since when.
    pub since: Option<DateTime<Utc>>,
}

/// The answers, in the order of the input.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResults {
    /// One per address.
    pub results: Vec<CheckResult>,
}

/// Checks addresses against the suppression list.
#[utoipa::path(
    post, path = "/api/v1/suppressions/check", tag = "suppressions",
    request_body = CheckBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = CheckResults),
        (status = 401, body = crate::error::ErrorBody),
        (status = 422, description = "Invalid addresses, each named", body = crate::error::ErrorBody),
    )
)]
pub async fn check(
    State(app): State<App>,
    _caller: ApiCaller,
    ApiJson(body): ApiJson<CheckBody>,
) -> Result<Json<CheckResults>, ApiError> {
    if body.emails.len() > MAX_EMAILS {
        return Err(ApiError::Validation(vec![FieldError::new(
            "emails",
            format!("at most {MAX_EMAILS} addresses per call"),
        )]));
    }
    let mut errors = Vec::new();
    let mut emails = Vec::new();
    for (i, raw) in body.emails.iter().enumerate() {
        match SubjectEmail::parse(raw) {
            Ok(e) => emails.push(e),
            Err(e) => errors.push(FieldError::new(format!("emails[{i}]"), e)),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let checks = dsrflow_app::suppression::check(&app, &emails).await?;
    Ok(Json(CheckResults {
        results: emails
            .into_iter()
            .zip(checks)
            .map(|(e, c)| CheckResult {
                email: e.into_inner(),
                suppressed: c.suppressed,
                scope: c.scope.map(|s| s.as_str().to_owned()),
                since: c.since,
            })
            .collect(),
    }))
}
