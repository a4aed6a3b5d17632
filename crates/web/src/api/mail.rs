//! `/api/v1/mail`: the outbox seen by the operator, to find messages that could not be
//! delivered (a misconfigured relay, an address the relay refuses) and send them again.

use axum::Json;
use axum::extract::{Path, Query, State};
use dsrflow_app::outbox::MailView;
use dsrflow_app::{App, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::ApiError;
use crate::extract::ApiCaller;

/// Filters of the mail list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MailQuery {
    /// Only this status: `pending`, `sending`, `sent` or `failed`.
    pub status: Option<String>,
    /// Page number, from 1.
    pub page: Option<String>,
    /// Page size, 1–200 (default 50).
    pub per_page: Option<String>,
}

/// One queued, sent or failed message (address masked, no body).
#[derive(Debug, Serialize, ToSchema)]
pub struct MailBody {
    /// Outbox id.
    pub id: Uuid,
    /// The request it is about.
    pub request_id: Option<Uuid>,
    /// What kind of message (its template).
    pub template: String,
    /// `subject`, `processor`, `recipient` or `officer`.
    pub audience: String,
    /// The address, masked.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// Why the last attempt failed (addresses masked).
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When the relay accepted it.
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<MailView> for MailBody {
    fn from(m: MailView) -> Self {
        Self {
            id: m.id,
            request_id: m.request_id,
            template: m.template,
            audience: m.audience.as_str().to_owned(),
            to: m.to,
            subject: m.subject,
            status: m.status.as_str().to_owned(),
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: m.created_at,
            sent_at: m.sent_at,
        }
    }
}

/// A page of messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailPage {
    /// Messages, newest first.
    pub items: Vec<MailBody>,
    /// Page number (from 1).
    pub page: u64,
    /// Page size.
    pub per_page: u64,
    /// Messages matching the filter in all pages.
    pub total: u64,
}

/// The highest page number accepted (a bound, so an offset never overflows).
pub const MAX_PAGE: u64 = 10_000_000;

/// Parses `page` and `per_page` (1 to [`MAX_PAGE`], 1 to 200; defaults 1 and 50).
pub fn paging(
    page: Option<&str>,
    per_page: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> (u64, u64) {
    let mut out = (1, 50);
    for (name, raw, target, max) in [
        ("page", page, &mut out.0, MAX_PAGE),
        ("per_page", per_page, &mut out.1, 200),
    ] {
        if let Some(s) = raw {
            match s.parse::<u64>() {
                Ok(v) if (1..=max).contains(&v) => *target = v,
                _ => errors.push(FieldError::new(
                    name,
                    format!("must be a whole number from 1 to {max}"),
                )),
            }
        }
    }
    out
}

/// Lists outgoing mail, newest first; `?status=failed` finds what could not be delivered.
#[utoipa::path(
    get, path = "/api/v1/mail", tag = "mail",
    params(MailQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = MailPage),
        (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody),
        (status = 422, description = "Invalid filter", body = crate::error::ErrorBody),
    )
)]
pub async fn list(
    State(app): State<App>,
    _caller: ApiCaller,
    query: Result<Query<MailQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<MailPage>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let mut errors = Vec::new();
    let (page, per_page) = paging(q.page.as_deref(), q.per_page.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (items, total) =
        dsrflow_app::outbox::list(&app, q.status.as_deref(), page, per_page).await?;
    Ok(Json(MailPage {
        items: items.into_iter().map(Into::into).collect(),
        page,
        per_page,
        total,
    }))
}

/// Sends a failed message again (same Message-ID); audited.
#[utoipa::path(
    post, path = "/api/v1/mail/{id}/resend", tag = "mail",
    params(("id" = Uuid, Path, description = "Outbox id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Queued again", body = MailBody),
        (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "The message is not failed", body = crate::error::ErrorBody),
    )
)]
pub async fn resend(
    State(app): State<App>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<MailBody>, ApiError> {
    let id = Uuid::parse_str(&id)
        .map_err(|_| ApiError::NotFound("no message with this id".to_owned()))?;
    Ok(Json(
        dsrflow_app::outbox::resend(&app, caller.actor, id)
            .await?
            .into(),
    ))
}
