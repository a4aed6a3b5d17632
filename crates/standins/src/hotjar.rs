//! Hotjar stand-in: the OAuth2 client-credentials token endpoint and the user lookup
//! (`delete_all_hits` deletes the user's data at once here). The lookup answers
//! `{"status","message"}`, the shape a mirror of Hotjar's OpenAPI gives \[unconfirmed\].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::{Common, Standin, bearer, finish, lock};

/// What the stand-in starts with.
#[derive(Debug, Clone)]
pub struct HotjarSeed {
    /// The client id it accepts.
    pub client_id: String,
    /// The client secret it accepts.
    pub client_secret: String,
    /// The organisation id.
    pub organization_id: String,
    /// Addresses of users with recorded data.
    pub users: Vec<String>,
    /// `expires_in` of the tokens it issues.
    pub token_lifetime_secs: u64,
}

impl Default for HotjarSeed {
    fn default() -> Self {
        Self {
            client_id: "hj_client".to_owned(),
            client_secret: "hj_secret_standin".to_owned(),
            organization_id: "1".to_owned(),
            users: Vec::new(),
            token_lifetime_secs: 3600,
        }
    }
}

/// One user lookup received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotjarLookup {
    /// `data_subject_email`.
    pub email: String,
    /// `delete_all_hits`.
    pub delete_all_hits: bool,
}

/// The stand-in's state.
#[derive(Debug)]
pub struct HotjarState {
    /// Faults and request log.
    pub common: Arc<Common>,
    seed: HotjarSeed,
    token_requests: AtomicU32,
    tokens: Mutex<Vec<String>>,
    users: Mutex<Vec<String>>,
    lookups: Mutex<Vec<HotjarLookup>>,
}

impl HotjarState {
    /// How many tokens were asked for.
    pub fn token_requests(&self) -> u32 {
        self.token_requests.load(Ordering::SeqCst)
    }

    /// Whether data of this address is still held.
    pub fn has_user(&self, email: &str) -> bool {
        lock(&self.users)
            .iter()
            .any(|u| u.eq_ignore_ascii_case(email))
    }

    /// The lookups received.
    pub fn lookups(&self) -> Vec<HotjarLookup> {
        lock(&self.lookups).clone()
    }

    /// Forgets every issued token (as if they had been revoked).
    pub fn revoke_tokens(&self) {
        lock(&self.tokens).clear();
    }
}

async fn token(
    State(s): State<Arc<HotjarState>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let n = s.token_requests.fetch_add(1, Ordering::SeqCst) + 1;
    let ok = form.get("grant_type").map(String::as_str) == Some("client_credentials")
        && form.get("client_id") == Some(&s.seed.client_id)
        && form.get("client_secret") == Some(&s.seed.client_secret);
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client", "error_description": "Client authentication failed"})),
        )
            .into_response();
    }
    let token = format!("hjtok_{n}");
    lock(&s.tokens).push(token.clone());
    Json(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": s.seed.token_lifetime_secs,
    }))
    .into_response()
}

async fn user_lookup(
    State(s): State<Arc<HotjarState>>,
    headers: HeaderMap,
    Path(org): Path<String>,
    body: Bytes,
) -> Response {
    let authorised = bearer(&headers).is_some_and(|t| lock(&s.tokens).iter().any(|k| k == t));
    if !authorised {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Invalid or expired access token"})),
        )
            .into_response();
    }
    if org != s.seed.organization_id {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"message": "Organization not found"})),
        )
            .into_response();
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(email) = body.get("data_subject_email").and_then(Value::as_str) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"message": "data_subject_email or data_subject_site_id_to_user_id_map is required"})),
        )
            .into_response();
    };
    let delete = body
        .get("delete_all_hits")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if delete {
        lock(&s.users).retain(|u| !u.eq_ignore_ascii_case(email));
    }
    lock(&s.lookups).push(HotjarLookup {
        email: email.to_owned(),
        delete_all_hits: delete,
    });
    Json(json!({
        "status": "accepted",
        "message": if delete { "Deletion request received" } else { "Lookup request received" },
    }))
    .into_response()
}

/// The Hotjar stand-in.
pub fn hotjar(seed: HotjarSeed) -> Standin<HotjarState> {
    let common = Arc::new(Common::default());
    let state = Arc::new(HotjarState {
        common: Arc::clone(&common),
        users: Mutex::new(seed.users.clone()),
        seed,
        token_requests: AtomicU32::new(0),
        tokens: Mutex::new(Vec::new()),
        lookups: Mutex::new(Vec::new()),
    });
    let routes = Router::new()
        .route("/v1/oauth/token", post(token))
        .route("/v1/organizations/{org}/user-lookup", post(user_lookup));
    finish(routes, state, common)
}
