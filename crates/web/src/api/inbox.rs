//! `/api/v1/inbox/review`: mail from the privacy@ mailbox that could not be classified, for the
//! officer to turn into requests or dismiss.

use axum::Json;
use axum::extract::{Path, State};
use dsrflow_app::inbox::{CreatedRequest, ReviewItem};
use dsrflow_app::{App, FieldError};
use dsrflow_domain::{RequestKind, SubjectEmail, SubjectName};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ApiError;
use crate::extract::{ApiCaller, ApiJson};

fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound("no review item with this id".to_owned()))
}

/// The open review queue (sender masked; open one item to read it).
#[utoipa::path(get, path = "/api/v1/inbox/review", tag = "inbox", security(("bearer" = [])),
    responses((status = 200, description = "Items, oldest first")))]
pub async fn list(
    State(app): State<App>,
    _caller: ApiCaller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let items: Vec<ReviewItem> = dsrflow_app::inbox::review_queue(&app).await?;
    Ok(Json(json!({ "items": items })))
}

/// One review item with the message's subject and text.
#[utoipa::path(get, path = "/api/v1/inbox/review/{id}", tag = "inbox",
    params(("id" = Uuid, Path, description = "Review item id")), security(("bearer" = [])),
    responses((status = 200, description = "The item"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_one(
    State(app): State<App>,
    _caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<ReviewItem>, ApiError> {
    Ok(Json(
        dsrflow_app::inbox::review_item(&app, parse_id(&id)?).await?,
    ))
}

/// Body of turning a review item into requests.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// The rights asked for.
    pub kinds: Vec<String>,
    /// The requester's address.
    pub email: String,
    /// The requester's name.
    pub name: Option<String>,
}

/// The requests created.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// One per right, sharing the mail's receipt time.
    #[schema(value_type = Vec<Object>)]
    pub requests: Vec<CreatedRequest>,
}

/// Turns a review item into requests (received when the mail arrived).
#[utoipa::path(post, path = "/api/v1/inbox/review/{id}/requests", tag = "inbox",
    params(("id" = Uuid, Path, description = "Review item id")), request_body = ResolveBody,
    security(("bearer" = [])),
    responses((status = 200, body = Created), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn resolve(
    State(app): State<App>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResolveBody>,
) -> Result<Json<Created>, ApiError> {
    let id = parse_id(&id)?;
    let mut errors = Vec::new();
    let mut kinds = Vec::new();
    for (i, k) in body.kinds.iter().enumerate() {
        match k.parse::<RequestKind>() {
            Ok(k) => kinds.push(k),
            Err(e) => errors.push(FieldError::new(format!("kinds[{i}]"), e)),
        }
    }
    if body.kinds.is_empty() {
        errors.push(FieldError::new("kinds", "name at least one right"));
    }
    let email = SubjectEmail::parse(&body.email)
        .map_err(|e| errors.push(FieldError::new("email", e)))
        .ok();
    let name = match body.name.as_deref() {
        Some(n) => SubjectName::parse(n)
            .map_err(|e| errors.push(FieldError::new("name", e)))
            .ok(),
        None => None,
    };
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let requests =
        dsrflow_app::inbox::resolve_as_requests(&app, &caller, id, kinds, email, name).await?;
    Ok(Json(Created { requests }))
}

/// Dismisses a review item (it is not a request).
#[utoipa::path(post, path = "/api/v1/inbox/review/{id}/dismiss", tag = "inbox",
    params(("id" = Uuid, Path, description = "Review item id")), security(("bearer" = [])),
    responses((status = 200, description = "Dismissed"), (status = 404, body = crate::error::ErrorBody)))]
pub async fn dismiss(
    State(app): State<App>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    dsrflow_app::inbox::dismiss(&app, &caller, parse_id(&id)?).await?;
    Ok(Json(json!({"status": "dismissed"})))
}
