//! Tasks: the per-system work of a request (`GET /api/v1/requests/{id}/tasks`), manual
//! completion and retries.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use dsrflow_app::work::{self, Completion};
use dsrflow_app::{App, FieldError};
use dsrflow_domain::TaskStatus;
use dsrflow_domain::lifecycle::Reason;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ApiError;
use crate::extract::{ApiCaller, ApiJson};

/// One task as returned by the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskBody {
    /// Task id.
    pub id: Uuid,
    /// The request.
    pub request_id: Uuid,
    /// The system's name in the data map.
    pub system: String,
    /// `access`, `erase`, `opt_out`, `restrict`, `rectify`, `notify` or `decide`.
    pub action: String,
    /// `pending`, `running`, `succeeded`, `not_found`, `retained`, `retrying`, `failed`,
    /// `awaiting_manual` or `skipped`.
    pub status: String,
    /// Attempts started.
    pub attempts: i32,
    /// The last error.
    pub error: Option<String>,
    /// What was done: per target the effect and count (and the rule for retained data).
    #[schema(value_type = Object)]
    pub outcome: Option<serde_json::Value>,
    /// For manual work: what must be done.
    pub instructions: Option<String>,
    /// The processor's reference for asynchronous work.
    pub external_ref: Option<String>,
    /// When the next attempt is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// First start.
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached a final status.
    pub finished_at: Option<DateTime<Utc>>,
    /// Who completed it by hand.
    pub completed_by: Option<String>,
    /// Their note.
    pub note: Option<String>,
}

impl From<work::Task> for TaskBody {
    fn from(t: work::Task) -> Self {
        Self {
            id: t.id,
            request_id: t.request_id,
            system: t.system,
            action: t.action.as_str().to_owned(),
            status: t.status.as_str().to_owned(),
            attempts: t.attempts,
            error: t.last_error,
            outcome: t.outcome.and_then(|o| serde_json::from_str(&o).ok()),
            instructions: t.instructions,
            external_ref: t.external_ref,
            next_attempt_at: t.next_attempt_at,
            started_at: t.started_at,
            finished_at: t.finished_at,
            completed_by: t.completed_by,
            note: t.note,
        }
    }
}

/// The tasks of a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskList {
    /// In creation order.
    pub tasks: Vec<TaskBody>,
}

fn parse_id(raw: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound(format!("no {what} with this id")))
}

/// Lists the per-system tasks of a request.
#[utoipa::path(
    get, path = "/api/v1/requests/{id}/tasks", tag = "tasks",
    params(("id" = Uuid, Path, description = "Request id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = TaskList),
        (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    )
)]
pub async fn list(
    State(app): State<App>,
    _caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<TaskList>, ApiError> {
    let id = parse_id(&id, "request")?;
    let tasks = work::tasks_of(&app, id).await?;
    Ok(Json(TaskList {
        tasks: tasks.into_iter().map(Into::into).collect(),
    }))
}

/// Body of `POST /api/v1/tasks/{id}/complete`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    /// `succeeded`, `not_found`, `retained` or `failed` (not for decision tasks).
    pub status: Option<String>,
    /// For an objection decision task: `uphold` or `reject`.
    pub decision: Option<String>,
    /// What was done (required; for a rejected objection: the compelling legitimate grounds).
    pub note: Option<String>,
    /// For `retained`: the rule that keeps the data.
    pub rule: Option<String>,
    /// For an access task completed as `succeeded`: what was found, as records (JSON objects,
    /// at most 500), put in the answer's package under "found by hand".
    #[schema(value_type = Option<Vec<Object>>)]
    pub found: Option<Vec<serde_json::Value>>,
}

/// Completes a task that waits for a person (or settles a failed one by hand).
#[utoipa::path(
    post, path = "/api/v1/tasks/{id}/complete", tag = "tasks",
    params(("id" = Uuid, Path, description = "Task id")),
    request_body = CompleteBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = TaskBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "The task is not waiting for a person", body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
    )
)]
pub async fn complete(
    State(app): State<App>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CompleteBody>,
) -> Result<Json<TaskBody>, ApiError> {
    let id = parse_id(&id, "task")?;
    let mut errors = Vec::new();
    let note = match Reason::parse(body.note.as_deref().unwrap_or("")) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(FieldError::new("note", format!("{e}: say what was done")));
            None
        }
    };
    let completion = match (body.decision.as_deref(), body.status.as_deref()) {
        (Some("uphold"), None) => Some(Completion::Decision { uphold: true }),
        (Some("reject"), None) => Some(Completion::Decision { uphold: false }),
        (Some(_), None) => {
            errors.push(FieldError::new("decision", "must be uphold or reject"));
            None
        }
        (None, Some(s)) => match s.parse::<TaskStatus>() {
            Ok(status) => Some(Completion::Done {
                status,
                rule: body.rule.clone(),
                found: body.found.clone().unwrap_or_default(),
            }),
            Err(e) => {
                errors.push(FieldError::new("status", e));
                None
            }
        },
        (None, None) => {
            errors.push(FieldError::new(
                "status",
                "give status (succeeded, not_found, retained, failed) or decision (uphold, reject)",
            ));
            None
        }
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "decision",
                "give either status or decision, not both",
            ));
            None
        }
    };
    match (completion, note) {
        (Some(c), Some(n)) if errors.is_empty() => {
            Ok(Json(work::complete(&app, &caller, id, c, n).await?.into()))
        }
        _ => Err(ApiError::Validation(errors)),
    }
}

/// Retries a failed task (the request goes back to work if it was in review).
#[utoipa::path(
    post, path = "/api/v1/tasks/{id}/retry", tag = "tasks",
    params(("id" = Uuid, Path, description = "Task id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = TaskBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "The task has not failed", body = crate::error::ErrorBody),
    )
)]
pub async fn retry(
    State(app): State<App>,
    ApiCaller(caller): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<TaskBody>, ApiError> {
    let id = parse_id(&id, "task")?;
    Ok(Json(work::retry(&app, &caller, id).await?.into()))
}
