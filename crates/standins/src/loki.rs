//! Grafana Loki stand-in: log lines of one tenant (Basic auth: tenant id, token), the labels
//! read used by `check`, `query_range` with a `|= "text"` line filter, and deletion requests
//! (`POST /loki/api/v1/delete`), which filter the matching lines at once as Loki does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::{Common, Standin, basic, finish, lock};

/// What the stand-in starts with.
#[derive(Debug, Clone)]
pub struct LokiSeed {
    /// The tenant id (the Basic auth user).
    pub tenant_id: String,
    /// The token (the Basic auth password).
    pub token: String,
    /// Log lines of the `{job="portal"}` stream.
    pub lines: Vec<String>,
}

impl Default for LokiSeed {
    fn default() -> Self {
        Self {
            tenant_id: "123456".to_owned(),
            token: "glc_standin".to_owned(),
            lines: Vec::new(),
        }
    }
}

/// The stand-in's state.
#[derive(Debug)]
pub struct LokiState {
    /// Faults and request log.
    pub common: Arc<Common>,
    seed: LokiSeed,
    lines: Mutex<Vec<String>>,
    deletions: Mutex<Vec<String>>,
}

impl LokiState {
    /// The LogQL queries of the deletion requests received.
    pub fn deletions(&self) -> Vec<String> {
        lock(&self.deletions).clone()
    }

    /// How many lines contain `text`.
    pub fn lines_with(&self, text: &str) -> usize {
        lock(&self.lines)
            .iter()
            .filter(|l| l.contains(text))
            .count()
    }

    fn rejection(&self, headers: &HeaderMap) -> Option<Response> {
        match basic(headers) {
            Some((user, password))
                if user == self.seed.tenant_id && password == self.seed.token =>
            {
                None
            }
            _ => Some(
                (
                    StatusCode::UNAUTHORIZED,
                    "invalid authentication credentials",
                )
                    .into_response(),
            ),
        }
    }
}

/// The text of the query's `|= "…"` line filter.
fn line_filter(query: &str) -> Option<&str> {
    let rest = &query[query.find("|= \"")? + 4..];
    Some(&rest[..rest.find('"')?])
}

async fn labels(State(s): State<Arc<LokiState>>, headers: HeaderMap) -> Response {
    if let Some(r) = s.rejection(&headers) {
        return r;
    }
    Json(json!({"status": "success", "data": ["job"]})).into_response()
}

async fn query_range(
    State(s): State<Arc<LokiState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = s.rejection(&headers) {
        return r;
    }
    let Some(text) = q.get("query").and_then(|q| line_filter(q)) else {
        return (
            StatusCode::BAD_REQUEST,
            "parse error: a line filter |= \"…\" is expected",
        )
            .into_response();
    };
    let values: Vec<serde_json::Value> = lock(&s.lines)
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains(text))
        .map(|(i, l)| json!([format!("17000000000000{i:05}"), l]))
        .collect();
    let result = if values.is_empty() {
        vec![]
    } else {
        vec![json!({"stream": {"job": "portal"}, "values": values})]
    };
    Json(json!({"status": "success", "data": {"resultType": "streams", "result": result}}))
        .into_response()
}

async fn delete_request(
    State(s): State<Arc<LokiState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = s.rejection(&headers) {
        return r;
    }
    let Some(query) = q.get("query") else {
        return (StatusCode::BAD_REQUEST, "query is required").into_response();
    };
    if !q.contains_key("start") {
        return (StatusCode::BAD_REQUEST, "start is required").into_response();
    }
    let Some(text) = line_filter(query) else {
        return (
            StatusCode::BAD_REQUEST,
            "parse error: a line filter |= \"…\" is expected",
        )
            .into_response();
    };
    let text = text.to_owned();
    lock(&s.lines).retain(|l| !l.contains(&text));
    lock(&s.deletions).push(query.clone());
    StatusCode::NO_CONTENT.into_response()
}

/// The Loki stand-in.
pub fn loki(seed: LokiSeed) -> Standin<LokiState> {
    let common = Arc::new(Common::default());
    let state = Arc::new(LokiState {
        common: Arc::clone(&common),
        lines: Mutex::new(seed.lines.clone()),
        seed,
        deletions: Mutex::new(Vec::new()),
    });
    let routes = Router::new()
        .route("/loki/api/v1/labels", get(labels))
        .route("/loki/api/v1/query_range", get(query_range))
        .route("/loki/api/v1/delete", post(delete_request));
    finish(routes, state, common)
}
