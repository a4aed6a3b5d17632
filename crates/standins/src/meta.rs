//! Meta Marketing API stand-in: the ad account read used by `check`, and removal of a person
//! (SHA-256 of the normalised address) from every custom audience of the account
//! (`DELETE /{version}/act_{id}/usersofanyaudience`).

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::{Value, json};

use super::{Common, Standin, bearer, finish, lock};

/// What the stand-in starts with.
#[derive(Debug, Clone)]
pub struct MetaSeed {
    /// The access token it accepts.
    pub access_token: String,
    /// The ad account id (without `act_`).
    pub ad_account_id: String,
    /// The hashed addresses in the account's audiences.
    pub audience_members: Vec<String>,
}

impl Default for MetaSeed {
    fn default() -> Self {
        Self {
            access_token: "EAAB-standin".to_owned(),
            ad_account_id: "1234567890".to_owned(),
            audience_members: Vec::new(),
        }
    }
}

/// The stand-in's state.
#[derive(Debug)]
pub struct MetaState {
    /// Faults and request log.
    pub common: Arc<Common>,
    seed: MetaSeed,
    members: Mutex<Vec<String>>,
    removals: Mutex<Vec<String>>,
}

impl MetaState {
    /// The hashes asked to be removed, in order.
    pub fn removals(&self) -> Vec<String> {
        lock(&self.removals).clone()
    }

    /// Whether a hashed address is still in an audience.
    pub fn has_member(&self, hash: &str) -> bool {
        lock(&self.members).iter().any(|m| m == hash)
    }

    fn rejection(&self, headers: &HeaderMap, account: &str) -> Option<Response> {
        if bearer(headers) != Some(self.seed.access_token.as_str()) {
            return Some(error(
                StatusCode::UNAUTHORIZED,
                190,
                "Invalid OAuth access token - Cannot parse access token",
            ));
        }
        if account != format!("act_{}", self.seed.ad_account_id) {
            return Some(error(
                StatusCode::BAD_REQUEST,
                100,
                "Unsupported request - the ad account does not exist",
            ));
        }
        None
    }
}

fn error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": "OAuthException", "code": code}})),
    )
        .into_response()
}

async fn account(
    State(s): State<Arc<MetaState>>,
    headers: HeaderMap,
    Path((_version, account)): Path<(String, String)>,
) -> Response {
    if let Some(r) = s.rejection(&headers, &account) {
        return r;
    }
    Json(json!({"id": account, "name": "Stand-in ad account"})).into_response()
}

async fn remove(
    State(s): State<Arc<MetaState>>,
    headers: HeaderMap,
    Path((_version, account)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if let Some(r) = s.rejection(&headers, &account) {
        return r;
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let payload = body.get("payload");
    let schema_ok = payload
        .and_then(|p| p.get("schema"))
        .and_then(Value::as_array)
        .is_some_and(|s| s.len() == 1 && s[0] == "EMAIL");
    let rows: Vec<String> = payload
        .and_then(|p| p.get("data"))
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r.get(0).and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if !schema_ok || rows.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            100,
            "Invalid parameter: payload needs schema [\"EMAIL\"] and data",
        );
    }
    let invalid = rows
        .iter()
        .filter(|h| h.len() != 64 || !h.chars().all(|c| c.is_ascii_hexdigit()))
        .count();
    lock(&s.members).retain(|m| !rows.contains(m));
    lock(&s.removals).extend(rows.iter().cloned());
    Json(json!({
        "audience_ids": ["23850000000000001"],
        "num_received": rows.len(),
        "num_invalid_entries": invalid,
        "invalid_entry_samples": {},
    }))
    .into_response()
}

/// The Meta stand-in.
pub fn meta(seed: MetaSeed) -> Standin<MetaState> {
    let common = Arc::new(Common::default());
    let state = Arc::new(MetaState {
        common: Arc::clone(&common),
        members: Mutex::new(seed.audience_members.clone()),
        seed,
        removals: Mutex::new(Vec::new()),
    });
    let routes = Router::new()
        .route("/{version}/{account}", get(account))
        .route("/{version}/{account}/usersofanyaudience", delete(remove));
    finish(routes, state, common)
}
