//! PostHog stand-in: persons listed by `email` property, person deletion (single, recording
//! whether `delete_events=true` was asked, and bulk, with `delete_events`, `delete_recordings`
//! and `keep_person`), and the project read used by `check`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

use super::{Common, Standin, bearer, finish, lock};

/// A seeded person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosthogPerson {
    /// The person's UUID.
    pub id: String,
    /// Their `email` property.
    pub email: String,
    /// Distinct ids.
    pub distinct_ids: Vec<String>,
}

impl PosthogPerson {
    /// A person with one distinct id (the address).
    pub fn new(id: &str, email: &str) -> Self {
        Self {
            id: id.to_owned(),
            email: email.to_owned(),
            distinct_ids: vec![email.to_owned()],
        }
    }
}

/// What the stand-in starts with.
#[derive(Debug, Clone)]
pub struct PosthogSeed {
    /// The personal API key it accepts.
    pub api_key: String,
    /// The project id.
    pub project_id: String,
    /// Persons.
    pub persons: Vec<PosthogPerson>,
}

impl Default for PosthogSeed {
    fn default() -> Self {
        Self {
            api_key: "phx_standin".to_owned(),
            project_id: "1".to_owned(),
            persons: Vec::new(),
        }
    }
}

/// The stand-in's state.
#[derive(Debug)]
pub struct PosthogState {
    /// Faults and request log.
    pub common: Arc<Common>,
    api_key: String,
    project_id: String,
    persons: Mutex<Vec<PosthogPerson>>,
    deleted: Mutex<Vec<(String, bool)>>,
    recordings_deleted: Mutex<Vec<String>>,
}

impl PosthogState {
    /// How many persons have this address.
    pub fn persons_with(&self, email: &str) -> usize {
        lock(&self.persons)
            .iter()
            .filter(|p| p.email.eq_ignore_ascii_case(email))
            .count()
    }

    /// Deleted person ids, each with whether their events were deleted too.
    pub fn deleted(&self) -> Vec<(String, bool)> {
        lock(&self.deleted).clone()
    }

    /// The persons whose session recordings were deleted.
    pub fn recordings_deleted(&self) -> Vec<String> {
        lock(&self.recordings_deleted).clone()
    }

    /// The answer refusing the request (wrong credentials, unknown account), if any.
    fn rejection(&self, headers: &HeaderMap, project: &str) -> Option<Response> {
        if bearer(headers) != Some(self.api_key.as_str()) {
            return Some((
                StatusCode::UNAUTHORIZED,
                Json(json!({
                    "type": "authentication_error",
                    "code": "authentication_failed",
                    "detail": "Personal API key found in request Authorization header is invalid.",
                    "attr": null,
                })),
            )
                .into_response());
        }
        if project != self.project_id {
            return Some(not_found());
        }
        None
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": null})),
    )
        .into_response()
}

async fn project(
    State(s): State<Arc<PosthogState>>,
    headers: HeaderMap,
    Path(project): Path<String>,
) -> Response {
    if let Some(r) = s.rejection(&headers, &project) {
        return r;
    }
    Json(json!({"id": project, "name": "Stand-in project"})).into_response()
}

async fn persons(
    State(s): State<Arc<PosthogState>>,
    headers: HeaderMap,
    Path(project): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = s.rejection(&headers, &project) {
        return r;
    }
    let email = q.get("email");
    let results: Vec<Value> = lock(&s.persons)
        .iter()
        .filter(|p| email.is_none_or(|e| p.email.eq_ignore_ascii_case(e)))
        .map(|p| {
            json!({
                "id": p.id,
                "uuid": p.id,
                "name": p.email,
                "distinct_ids": p.distinct_ids,
                "properties": {"email": p.email},
                "created_at": "2024-01-01T00:00:00Z",
            })
        })
        .collect();
    Json(json!({"next": null, "previous": null, "results": results})).into_response()
}

async fn remove(
    State(s): State<Arc<PosthogState>>,
    headers: HeaderMap,
    Path((project, id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = s.rejection(&headers, &project) {
        return r;
    }
    let mut persons = lock(&s.persons);
    let before = persons.len();
    persons.retain(|p| p.id != id);
    if persons.len() == before {
        return not_found();
    }
    let events = q.get("delete_events").is_some_and(|v| v == "true");
    lock(&s.deleted).push((id, events));
    StatusCode::NO_CONTENT.into_response()
}

async fn bulk_delete(
    State(s): State<Arc<PosthogState>>,
    headers: HeaderMap,
    Path(project): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = s.rejection(&headers, &project) {
        return r;
    }
    let flag = |k: &str| body.get(k).and_then(Value::as_bool).unwrap_or(false);
    let Some(ids) = body.get("ids").and_then(Value::as_array) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"type": "validation_error", "code": "required", "detail": "ids or distinct_ids is required", "attr": "ids"})),
        )
            .into_response();
    };
    let ids: Vec<String> = ids
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let mut persons = lock(&s.persons);
    if !ids.iter().all(|id| persons.iter().any(|p| &p.id == id)) {
        return not_found();
    }
    for id in &ids {
        if flag("delete_recordings") {
            lock(&s.recordings_deleted).push(id.clone());
        }
        if !flag("keep_person") {
            persons.retain(|p| &p.id != id);
            lock(&s.deleted).push((id.clone(), flag("delete_events")));
        }
    }
    StatusCode::ACCEPTED.into_response()
}

/// The PostHog stand-in.
pub fn posthog(seed: PosthogSeed) -> Standin<PosthogState> {
    let common = Arc::new(Common::default());
    let state = Arc::new(PosthogState {
        common: Arc::clone(&common),
        api_key: seed.api_key,
        project_id: seed.project_id,
        persons: Mutex::new(seed.persons),
        deleted: Mutex::new(Vec::new()),
        recordings_deleted: Mutex::new(Vec::new()),
    });
    let routes = Router::new()
        .route("/api/projects/{project}/", get(project))
        .route("/api/projects/{project}/persons/", get(persons))
        .route("/api/projects/{project}/persons/{id}/", delete(remove))
        .route(
            "/api/projects/{project}/persons/bulk_delete/",
            post(bulk_delete),
        );
    finish(routes, state, common)
}
