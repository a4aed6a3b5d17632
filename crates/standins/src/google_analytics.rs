//! Google Analytics stand-in: the Admin API's property read and `submitUserDeletion`
//! (exactly one identifier; answers a fixed `deletionRequestTime`).

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::{Common, Standin, bearer, finish, lock};

/// What the stand-in starts with.
#[derive(Debug, Clone)]
pub struct GoogleAnalyticsSeed {
    /// The access token it accepts.
    pub access_token: String,
    /// The GA4 property id.
    pub property_id: String,
}

impl Default for GoogleAnalyticsSeed {
    fn default() -> Self {
        Self {
            access_token: "ya29.standin".to_owned(),
            property_id: "123456789".to_owned(),
        }
    }
}

/// The stand-in's state.
#[derive(Debug)]
pub struct GoogleAnalyticsState {
    /// Faults and request log.
    pub common: Arc<Common>,
    seed: GoogleAnalyticsSeed,
    deletions: Mutex<Vec<(String, String)>>,
}

impl GoogleAnalyticsState {
    /// The deletions received: (identifier kind, value), e.g. ("userProvidedData", "…").
    pub fn deletions(&self) -> Vec<(String, String)> {
        lock(&self.deletions).clone()
    }

    /// The answer refusing the request (wrong credentials, unknown account), if any.
    fn rejection(&self, headers: &HeaderMap) -> Option<Response> {
        if bearer(headers) == Some(self.seed.access_token.as_str()) {
            None
        } else {
            Some(error(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "Request had invalid authentication credentials.",
            ))
        }
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": status.as_u16(), "message": message, "status": code}})),
    )
        .into_response()
}

async fn property(
    State(s): State<Arc<GoogleAnalyticsState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    if let Some(r) = s.rejection(&headers) {
        return r;
    }
    if name != s.seed.property_id {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "Property not found.");
    }
    Json(json!({"name": format!("properties/{name}"), "displayName": "Stand-in property"}))
        .into_response()
}

async fn submit(
    State(s): State<Arc<GoogleAnalyticsState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(r) = s.rejection(&headers) {
        return r;
    }
    // The method is part of the last segment: properties/{id}:submitUserDeletion.
    if name != format!("{}:submitUserDeletion", s.seed.property_id) {
        return error(StatusCode::NOT_FOUND, "NOT_FOUND", "Property not found.");
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let ids: Vec<(String, String)> = ["userId", "clientId", "appInstanceId", "userProvidedData"]
        .iter()
        .filter_map(|k| {
            body.get(*k)
                .and_then(Value::as_str)
                .map(|v| ((*k).to_owned(), v.to_owned()))
        })
        .collect();
    let [id] = ids.as_slice() else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "Exactly one user identifier must be set.",
        );
    };
    lock(&s.deletions).push(id.clone());
    Json(json!({"deletionRequestTime": "2024-01-01T00:00:00Z"})).into_response()
}

/// The Google Analytics stand-in.
pub fn google_analytics(seed: GoogleAnalyticsSeed) -> Standin<GoogleAnalyticsState> {
    let common = Arc::new(Common::default());
    let state = Arc::new(GoogleAnalyticsState {
        common: Arc::clone(&common),
        seed,
        deletions: Mutex::new(Vec::new()),
    });
    let routes = Router::new().route("/v1alpha/properties/{name}", get(property).post(submit));
    finish(routes, state, common)
}
