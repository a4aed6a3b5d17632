//! `/api/v1/requests`: intake, reading, listing, and lifecycle actions.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, NaiveDate, Utc};
use dsrflow_app::requests::{self as uc, NewRequest, RequestDetails};
use dsrflow_app::requests::{DueBefore, ListFilter};
use dsrflow_app::{App, FieldError};
use dsrflow_domain::channel::{Channel, Language};
use dsrflow_domain::lifecycle::Reason;
use dsrflow_domain::{
    AccountId, PhoneNumber, Regime, RequestKind, RequestStatus, SubjectEmail, SubjectName,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::ApiError;
use crate::extract::{ApiCaller, ApiJson, OptionalJson};

/// Body of `POST /api/v1/requests`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequestBody {
    /// `access`, `erasure`, `objection`, `rectification`, `restriction`, `portability` or
    /// `consent_withdrawal`.
    #[validate(required(message = "is required"))]
    #[schema(example = "erasure")]
    pub kind: Option<String>,
    /// Who the request is about.
    #[validate(required(message = "is required"), nested)]
    pub subject: Option<SubjectBody>,
    /// `gdpr` (default from configuration), `uk-gdpr`, `ccpa`, `vcdpa`, `lgpd`, `nfadp`, `quebec`.
    pub regime: Option<String>,
    /// When the request reached the company (RFC 3339); defaults to now; never in the future.
    pub received_at: Option<String>,
    /// `api` (default), `form`, `email`, `post`, `phone`, `in_person`.
    pub channel: Option<String>,
    /// Language to answer in: `en` (default), `fr`, `nl`, `de`.
    #[serde(alias = "lang")]
    pub language: Option<String>,
    /// Free text from the requester.
    #[validate(length(max = 10000, message = "must be at most 10000 characters"))]
    pub details: Option<String>,
    /// For a rectification (Art. 16): the corrections asked for, each detail once (at most 20).
    #[validate(length(max = 20, message = "at most 20 corrections in one request"))]
    pub corrections: Option<Vec<CorrectionBody>>,
    /// The caller already knows the subject (a token created with `--vouch` only): the request
    /// skips verification and goes straight to `in_progress`.
    pub identity_verified: Option<bool>,
}

/// One correction a rectification asks for.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionBody {
    /// The detail, 1–64 characters of `a-z 0-9 _`: `name`, `email`, `phone`,
    /// `postal_address`, or a name the data map's systems use.
    #[schema(
        example = "postal_address",
        max_length = 64,
        pattern = "^[a-z0-9_]{1,64}$"
    )]
    pub field: String,
    /// Its right value (1–500 characters, one line).
    #[schema(example = "12 Rue Haute, 1000 Brussels", max_length = 500)]
    pub value: String,
}

impl std::fmt::Debug for CorrectionBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CorrectionBody")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

/// The subject's identifiers.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectBody {
    /// Email address (required).
    #[validate(required(message = "is required"))]
    #[schema(example = "alice@example.com")]
    pub email: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// Customer or account id in the company's systems.
    #[serde(alias = "customer_id")]
    pub account_id: Option<String>,
    /// Phone number in international form.
    pub phone: Option<String>,
}

/// A request as returned by the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestBody {
    /// Id.
    pub id: Uuid,
    /// Short reference quoted in mails, e.g. `DSR-7K3QXPMA`.
    pub reference: String,
    /// The right exercised.
    #[schema(value_type = String, example = "erasure")]
    pub kind: RequestKind,
    /// Lifecycle status.
    #[schema(value_type = String, example = "received")]
    pub status: RequestStatus,
    /// Legal regime.
    #[schema(value_type = String, example = "gdpr")]
    pub regime: Regime,
    /// Intake channel.
    #[schema(value_type = String, example = "api")]
    pub channel: Channel,
    /// Answer language.
    #[schema(value_type = String, example = "en")]
    pub language: Language,
    /// When it reached the company.
    pub received_at: DateTime<Utc>,
    /// The local day of receipt (not counted).
    pub receipt_day: NaiveDate,
    /// The last day to answer (extension and pauses included).
    pub deadline: NaiveDate,
    /// The instant at which the period ends (end of `deadline`, local time).
    pub due_at: DateTime<Utc>,
    /// The last day an extension can be announced (null where none exists).
    pub extension_notice_by: Option<NaiveDate>,
    /// Whether the deadline was extended.
    pub extended: bool,
    /// Why it was extended.
    pub extension_reason: Option<String>,
    /// Whether the clock is paused now (waiting for identity information).
    pub paused: bool,
    /// The controller the request was forwarded to.
    pub forwarded_to: Option<String>,
    /// Reason for a refusal, withdrawal note or officer note.
    pub status_reason: Option<String>,
    /// Whether the requester's identity is established.
    pub identity_verified: bool,
    /// Who the request is about.
    pub subject: SubjectOut,
    /// The requester's free text.
    pub details: Option<String>,
    /// A rectification's corrections, as asked for.
    #[schema(value_type = Option<Vec<Object>>)]
    pub corrections: Option<serde_json::Value>,
    /// Created by (`token:<name>`, `form`, `mail`).
    pub created_by: String,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Only in the answer to the approval that delivers an access package: the subject's
    /// download link (shown once; stored hashed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
    /// When that link expires and the package is deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_expires_at: Option<DateTime<Utc>>,
}

/// The subject as returned to an authenticated API caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectOut {
    /// Email address.
    pub email: String,
    /// Name.
    pub name: Option<String>,
    /// Account id.
    pub account_id: Option<String>,
    /// Phone.
    pub phone: Option<String>,
}

impl From<RequestDetails> for RequestBody {
    fn from(d: RequestDetails) -> Self {
        let r = d.record.request;
        let s = d.record.subject;
        Self {
            id: r.id,
            reference: r.reference,
            kind: r.kind,
            status: r.status,
            regime: r.regime,
            channel: r.channel,
            language: r.language,
            received_at: r.received_at,
            receipt_day: r.receipt_day,
            deadline: r.deadline,
            due_at: r.due_at,
            extension_notice_by: r.extension_notice_by,
            extended: r.extended_at.is_some(),
            extension_reason: r.extension_reason,
            paused: d.paused,
            forwarded_to: r.forwarded_to,
            status_reason: r.status_reason,
            identity_verified: r.identity_verified_at.is_some(),
            subject: SubjectOut {
                email: s.email.into_inner(),
                name: s.name.map(|n| n.into_inner()),
                account_id: s.account_id.map(|a| a.into_inner()),
                phone: s.phone.map(|p| p.into_inner()),
            },
            details: r.details,
            corrections: r
                .corrections
                .as_deref()
                .and_then(|c| serde_json::from_str(c).ok()),
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            closed_at: r.closed_at,
            download_url: None,
            download_expires_at: None,
        }
    }
}

/// A page of requests.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestPage {
    /// The requests, soonest deadline first.
    pub items: Vec<RequestBody>,
    /// Page number (from 1).
    pub page: u64,
    /// Page size.
    pub per_page: u64,
    /// Requests matching the filter in all pages.
    pub total: u64,
}

/// Body of the lifecycle actions.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// Why. Required for `extend` (GDPR Art. 12(3)) and `deny` (Art. 12(4)).
    pub reason: Option<String>,
    /// For `approve`: part of the request is refused or impossible (`partially_completed`).
    pub partial: Option<bool>,
    /// For `forward`: the controller to send the request to (the company only processes the
    /// data for it, e.g. a hosted customer's database).
    pub controller: Option<String>,
    /// For `forward`: the controller's address for data-subject requests; the request is
    /// mailed there and the subject is given it.
    pub contact_email: Option<String>,
    /// For `forward`: a hosted customer declared in the configuration (`[[customer]]`), in place
    /// of `controller` and `contact_email`.
    pub customer: Option<String>,
}

/// Query of `GET /api/v1/requests`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ListQuery {
    /// Only this status.
    pub status: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only requests due before this day (`YYYY-MM-DD`, deadline day strictly before) or
    /// instant (RFC 3339, period ending at or before).
    pub due_before: Option<String>,
    /// `true`: only requests not yet closed.
    pub open: Option<String>,
    /// Page number, from 1.
    pub page: Option<String>,
    /// Page size, 1–200 (default 50).
    pub per_page: Option<String>,
}

fn validation_fields(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(errs) => {
                for e in errs {
                    let msg = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| format!("is invalid ({})", e.code));
                    out.push(FieldError::new(path.clone(), msg));
                }
            }
            ValidationErrorsKind::Struct(inner) => validation_fields(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    validation_fields(inner, &format!("{path}[{i}]"), out);
                }
            }
        }
    }
}

/// Validates the DTO, then parses every field into domain types, collecting every error.
fn parse_new_request(body: CreateRequestBody) -> Result<NewRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    if let Err(e) = body.validate() {
        validation_fields(&e, "", &mut errors);
    }
    fn field<T, E: std::fmt::Display>(
        errors: &mut Vec<FieldError>,
        name: &str,
        raw: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let raw = raw?;
        match parse(raw) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.push(FieldError::new(name, e));
                None
            }
        }
    }
    let kind = field(
        &mut errors,
        "kind",
        body.kind.as_deref(),
        str::parse::<RequestKind>,
    );
    let regime = field(
        &mut errors,
        "regime",
        body.regime.as_deref(),
        str::parse::<Regime>,
    );
    let channel = field(
        &mut errors,
        "channel",
        body.channel.as_deref(),
        str::parse::<Channel>,
    );
    let language = field(
        &mut errors,
        "language",
        body.language.as_deref(),
        str::parse::<Language>,
    );
    let received_at = field(
        &mut errors,
        "received_at",
        body.received_at.as_deref(),
        |s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| "must be an RFC 3339 date-time, e.g. 2026-03-10T10:00:00+01:00")
        },
    );
    let (mut email, mut name, mut account_id, mut phone) = (None, None, None, None);
    if let Some(s) = &body.subject {
        email = field(
            &mut errors,
            "subject.email",
            s.email.as_deref(),
            SubjectEmail::parse,
        );
        name = field(
            &mut errors,
            "subject.name",
            s.name.as_deref(),
            SubjectName::parse,
        );
        account_id = field(
            &mut errors,
            "subject.account_id",
            s.account_id.as_deref(),
            AccountId::parse,
        );
        phone = field(
            &mut errors,
            "subject.phone",
            s.phone.as_deref(),
            PhoneNumber::parse,
        );
    }
    match (kind, email) {
        (Some(kind), Some(email)) if errors.is_empty() => Ok(NewRequest {
            kind,
            email,
            name,
            account_id,
            phone,
            regime,
            received_at,
            channel: channel.unwrap_or(Channel::Api),
            language: language.unwrap_or_default(),
            details: body.details,
            corrections: body
                .corrections
                .unwrap_or_default()
                .into_iter()
                .map(|c| dsrflow_domain::Correction {
                    field: c.field,
                    value: c.value,
                })
                .collect(),
            identity_verified: body.identity_verified.unwrap_or(false),
        }),
        _ => Err(errors),
    }
}

/// Takes a request in.
#[utoipa::path(
    post, path = "/api/v1/requests", tag = "requests",
    request_body = CreateRequestBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored; the deadline is computed", body = RequestBody),
        (status = 400, description = "Malformed JSON", body = crate::error::ErrorBody),
        (status = 401, description = "Missing or invalid token", body = crate::error::ErrorBody),
        (status = 403, description = "identity_verified without the vouch right", body = crate::error::ErrorBody),
        (status = 413, description = "Body too large", body = crate::error::ErrorBody),
        (status = 415, description = "Not JSON", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid fields, each named", body = crate::error::ErrorBody),
    )
)]
pub async fn create(
    State(app): State<App>,
    ApiCaller(caller): ApiCaller,
    ApiJson(body): ApiJson<CreateRequestBody>,
) -> Result<impl IntoResponse, ApiError> {
    let new = parse_new_request(body).map_err(ApiError::Validation)?;
    let created = uc::create(&app, &caller, new).await?;
    let location = format!("/api/v1/requests/{}", created.record.request.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(RequestBody::from(created)),
    ))
}

fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound("no request with this id".to_owned()))
}

/// Reads one request.
#[utoipa::path(
    get, path = "/api/v1/requests/{id}", tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = RequestBody),
        (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    )
)]
pub async fn get_one(
    State(app): State<App>,
    _caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<RequestBody>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(uc::get(&app, id).await?.into()))
}

/// Lists requests, soonest deadline first.
#[utoipa::path(
    get, path = "/api/v1/requests", tag = "requests",
    params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = RequestPage),
        (status = 401, body = crate::error::ErrorBody),
        (status = 422, description = "Invalid filter", body = crate::error::ErrorBody),
    )
)]
pub async fn list(
    State(app): State<App>,
    _caller: ApiCaller,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<RequestPage>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let mut errors = Vec::new();
    let mut filter = ListFilter {
        page: 1,
        per_page: 50,
        ..Default::default()
    };
    if let Some(s) = q.status.as_deref() {
        match s.parse::<RequestStatus>() {
            Ok(v) => filter.status = Some(v),
            Err(e) => errors.push(FieldError::new("status", e)),
        }
    }
    if let Some(s) = q.kind.as_deref() {
        match s.parse::<RequestKind>() {
            Ok(v) => filter.kind = Some(v),
            Err(e) => errors.push(FieldError::new("kind", e)),
        }
    }
    if let Some(s) = q.due_before.as_deref() {
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            filter.due_before = Some(DueBefore::Day(d));
        } else if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            filter.due_before = Some(DueBefore::Instant(t.with_timezone(&Utc)));
        } else {
            errors.push(FieldError::new(
                "due_before",
                "must be a date (YYYY-MM-DD) or an RFC 3339 date-time",
            ));
        }
    }
    if let Some(s) = q.open.as_deref() {
        match s {
            "true" | "1" => filter.open_only = true,
            "false" | "0" => {}
            _ => errors.push(FieldError::new("open", "must be true or false")),
        }
    }
    (filter.page, filter.per_page) =
        super::mail::paging(q.page.as_deref(), q.per_page.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let page = uc::list(&app, filter).await?;
    Ok(Json(RequestPage {
        items: page.items.into_iter().map(Into::into).collect(),
        page: page.page,
        per_page: page.per_page,
        total: page.total,
    }))
}

fn required_reason(body: &Option<ActionBody>, why: &str) -> Result<Reason, ApiError> {
    let raw = body
        .as_ref()
        .and_then(|b| b.reason.as_deref())
        .unwrap_or("");
    Reason::parse(raw)
        .map_err(|e| ApiError::Validation(vec![FieldError::new("reason", format!("{e}: {why}"))]))
}

fn optional_reason(body: &Option<ActionBody>) -> Result<Option<Reason>, ApiError> {
    match body.as_ref().and_then(|b| b.reason.as_deref()) {
        None => Ok(None),
        Some(raw) if raw.trim().is_empty() => Ok(None),
        Some(raw) => Reason::parse(raw)
            .map(Some)
            .map_err(|e| ApiError::Validation(vec![FieldError::new("reason", e)])),
    }
}

/// Extends the deadline by two months, once, with reasons, before the first month ends.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/extend", tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    request_body = ActionBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = RequestBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "Already extended, too late, or closed", body = crate::error::ErrorBody),
        (status = 422, description = "Reason missing", body = crate::error::ErrorBody),
    )
)]
pub async fn extend(
    State(app): State<App>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<ActionBody>,
) -> Result<Json<RequestBody>, ApiError> {
    let id = parse_id(&id)?;
    let reason = required_reason(&body, "the subject must be told why (GDPR Art. 12(3))")?;
    Ok(Json(uc::extend(&app, &caller, id, reason).await?.into()))
}

/// Refuses the request, with reasons.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/deny", tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    request_body = ActionBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = RequestBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "Already closed", body = crate::error::ErrorBody),
        (status = 422, description = "Reason missing", body = crate::error::ErrorBody),
    )
)]
pub async fn deny(
    State(app): State<App>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<ActionBody>,
) -> Result<Json<RequestBody>, ApiError> {
    let id = parse_id(&id)?;
    let reason = required_reason(&body, "a refusal must state its reasons (GDPR Art. 12(4))")?;
    Ok(Json(uc::deny(&app, &caller, id, reason).await?.into()))
}

/// Approves the answer of a request in review and closes it.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/approve", tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    request_body = ActionBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = RequestBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "Not awaiting review", body = crate::error::ErrorBody),
    )
)]
pub async fn approve(
    State(app): State<App>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<ActionBody>,
) -> Result<Json<RequestBody>, ApiError> {
    let id = parse_id(&id)?;
    let note = optional_reason(&body)?;
    let partial = body.as_ref().and_then(|b| b.partial).unwrap_or(false);
    let details = uc::approve(&app, &caller, id, partial, note).await?;
    let download = details.download.clone();
    let mut out = RequestBody::from(details);
    if let Some((token, expires_at)) = download {
        out.download_url = Some(format!("{}/download/{token}", app.settings.public_url));
        out.download_expires_at = Some(expires_at);
    }
    Ok(Json(out))
}

/// Records that the requester withdrew the request.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/withdraw", tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    request_body = ActionBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = RequestBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "Already closed", body = crate::error::ErrorBody),
    )
)]
pub async fn withdraw(
    State(app): State<App>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<ActionBody>,
) -> Result<Json<RequestBody>, ApiError> {
    let id = parse_id(&id)?;
    let note = optional_reason(&body)?;
    Ok(Json(uc::withdraw(&app, &caller, id, note).await?.into()))
}

/// Records that the requester's identity is established; the work fans out to every system.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/verify", tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = RequestBody),
        (status = 403, description = "The token may not vouch for identities", body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "Not waiting for verification", body = crate::error::ErrorBody),
    )
)]
pub async fn verify(
    State(app): State<App>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<RequestBody>, ApiError> {
    // Establishing identity is vouching for it: only tokens with that right may.
    if !caller.can_vouch {
        return Err(ApiError::Forbidden(
            "this token may not vouch for identities; create one with `dsrflow token create NAME --vouch`"
                .to_owned(),
        ));
    }
    let id = parse_id(&id)?;
    Ok(Json(uc::verify(&app, &caller, id).await?.into()))
}

pub(crate) fn zip_response(
    app: &App,
    package: &dsrflow_app::package::Package,
    filename: &str,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use futures::StreamExt;
    let stream = dsrflow_app::package::stream(app, package).map(|r| {
        r.map(axum::body::Bytes::from).map_err(|e| {
            tracing::error!(cause = %e, "package stream failed");
            std::io::Error::other("package unavailable")
        })
    });
    (
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CONTENT_LENGTH, package.size_bytes.to_string()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (
                header::HeaderName::from_static("x-content-sha256"),
                package.sha256.clone(),
            ),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

/// Downloads the access package of a request (zip: per system JSON and CSV, summary.html,
/// art15.json).
#[utoipa::path(
    get, path = "/api/v1/requests/{id}/package", tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The zip", content_type = "application/zip"),
        (status = 404, description = "No package (yet)", body = crate::error::ErrorBody),
        (status = 409, description = "Expired and deleted", body = crate::error::ErrorBody),
    )
)]
pub async fn package(
    State(app): State<App>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    let id = parse_id(&id)?;
    let request = uc::get(&app, id).await?;
    let package = dsrflow_app::package::for_request(&app, id).await?;
    dsrflow_app::package::audit_download(&app, &package, "api", caller.actor).await?;
    Ok(zip_response(
        &app,
        &package,
        &format!("{}.zip", request.record.request.reference),
    ))
}

/// Forwards a request about data the company only processes for a customer to that controller
/// (mailed to `contact_email`, with how the person identified themselves), tells the subject
/// where it went, and closes it.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/forward", tag = "requests",
    params(("id" = Uuid, Path, description = "Request id")),
    request_body = ActionBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = RequestBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "Already closed", body = crate::error::ErrorBody),
        (status = 422, description = "Controller or its contact address missing", body = crate::error::ErrorBody),
    )
)]
pub async fn forward(
    State(app): State<App>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<ActionBody>,
) -> Result<Json<RequestBody>, ApiError> {
    let id = parse_id(&id)?;
    let note = optional_reason(&body)?;
    let (controller, contact) = match body.as_ref().and_then(|b| b.customer.as_deref()) {
        Some(name) => {
            if body
                .as_ref()
                .is_some_and(|b| b.controller.is_some() || b.contact_email.is_some())
            {
                return Err(
                    dsrflow_app::AppError::Validation(vec![dsrflow_app::FieldError::new(
                        "customer",
                        "give either customer, or controller and contact_email",
                    )])
                    .into(),
                );
            }
            uc::customer(&app, name)?
        }
        None => (
            body.as_ref()
                .and_then(|b| b.controller.clone())
                .unwrap_or_default(),
            body.as_ref()
                .and_then(|b| b.contact_email.clone())
                .unwrap_or_default(),
        ),
    };
    Ok(Json(
        uc::forward(&app, &caller, id, &controller, &contact, note)
            .await?
            .into(),
    ))
}
