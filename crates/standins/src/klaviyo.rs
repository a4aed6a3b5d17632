//! Klaviyo stand-in: profiles filtered by `equals(email,"…")` (JSON:API), Data Privacy deletion
//! jobs and bulk suppression jobs (both answered 202 with an empty body). Deletion jobs take
//! effect at once here; Klaviyo runs them asynchronously.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{Common, Standin, finish, header_text, lock};

/// A seeded profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KlaviyoProfile {
    /// Profile id.
    pub id: String,
    /// Address.
    pub email: String,
    /// First name.
    pub first_name: String,
}

impl KlaviyoProfile {
    /// A profile.
    pub fn new(id: &str, email: &str, first_name: &str) -> Self {
        Self {
            id: id.to_owned(),
            email: email.to_owned(),
            first_name: first_name.to_owned(),
        }
    }
}

/// What the stand-in starts with.
#[derive(Debug, Clone)]
pub struct KlaviyoSeed {
    /// The private key it accepts.
    pub api_key: String,
    /// Profiles.
    pub profiles: Vec<KlaviyoProfile>,
}

impl Default for KlaviyoSeed {
    fn default() -> Self {
        Self {
            api_key: "pk_standin".to_owned(),
            profiles: Vec::new(),
        }
    }
}

/// The stand-in's state.
#[derive(Debug)]
pub struct KlaviyoState {
    /// Faults and request log.
    pub common: Arc<Common>,
    api_key: String,
    profiles: Mutex<Vec<KlaviyoProfile>>,
    deletion_jobs: Mutex<Vec<String>>,
    suppressed: Mutex<Vec<String>>,
}

impl KlaviyoState {
    /// How many profiles have this address.
    pub fn profiles_with(&self, email: &str) -> usize {
        lock(&self.profiles)
            .iter()
            .filter(|p| p.email.eq_ignore_ascii_case(email))
            .count()
    }

    /// The addresses of the deletion jobs received.
    pub fn deletion_jobs(&self) -> Vec<String> {
        lock(&self.deletion_jobs).clone()
    }

    /// The suppressed addresses.
    pub fn suppressed(&self) -> Vec<String> {
        lock(&self.suppressed).clone()
    }

    /// The answer refusing the request (wrong credentials, unknown account), if any.
    fn rejection(&self, headers: &HeaderMap) -> Option<Response> {
        let key =
            header_text(headers, "authorization").and_then(|h| h.strip_prefix("Klaviyo-API-Key "));
        if key != Some(self.api_key.as_str()) {
            return Some(error(
                StatusCode::UNAUTHORIZED,
                "not_authenticated",
                "Missing or invalid private key.",
            ));
        }
        if header_text(headers, "revision").is_none_or(str::is_empty) {
            return Some(error(
                StatusCode::BAD_REQUEST,
                "invalid",
                "The revision header is required.",
            ));
        }
        None
    }
}

fn error(status: StatusCode, code: &str, detail: &str) -> Response {
    (
        status,
        Json(json!({"errors": [{
            "id": "00000000-0000-0000-0000-000000000000",
            "status": status.as_u16(),
            "code": code,
            "title": "Error",
            "detail": detail,
        }]})),
    )
        .into_response()
}

/// Reads `equals(email,"value")`.
fn email_filter(f: &str) -> Option<String> {
    let inner = f.trim().strip_prefix("equals(email,")?.strip_suffix(')')?;
    let inner = inner.trim();
    let v = inner
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))?;
    Some(v.to_owned())
}

async fn profiles(
    State(s): State<Arc<KlaviyoState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = s.rejection(&headers) {
        return r;
    }
    let email = match q.get("filter") {
        None => None,
        Some(f) => match email_filter(f) {
            Some(e) => Some(e),
            None => return error(StatusCode::BAD_REQUEST, "invalid", "Invalid filter."),
        },
    };
    let data: Vec<Value> = lock(&s.profiles)
        .iter()
        .filter(|p| {
            email
                .as_ref()
                .is_none_or(|e| p.email.eq_ignore_ascii_case(e))
        })
        .map(|p| {
            json!({
                "type": "profile",
                "id": p.id,
                "attributes": {"email": p.email, "first_name": p.first_name, "phone_number": null},
                "links": {"self": format!("https://a.klaviyo.com/api/profiles/{}/", p.id)},
            })
        })
        .collect();
    Json(json!({"data": data, "links": {"self": "https://a.klaviyo.com/api/profiles/", "next": null, "prev": null}}))
        .into_response()
}

async fn deletion_job(
    State(s): State<Arc<KlaviyoState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = s.rejection(&headers) {
        return r;
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let email = (body.pointer("/data/type") == Some(&json!("data-privacy-deletion-job")))
        .then(|| body.pointer("/data/attributes/profile/data/attributes/email"))
        .flatten()
        .and_then(Value::as_str)
        .map(str::to_owned);
    let Some(email) = email else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid",
            "A data-privacy-deletion-job with one profile identifier is required.",
        );
    };
    lock(&s.profiles).retain(|p| !p.email.eq_ignore_ascii_case(&email));
    lock(&s.deletion_jobs).push(email);
    StatusCode::ACCEPTED.into_response()
}

async fn suppression_job(
    State(s): State<Arc<KlaviyoState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = s.rejection(&headers) {
        return r;
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let emails: Vec<String> = (body.pointer("/data/type")
        == Some(&json!("profile-suppression-bulk-create-job")))
    .then(|| body.pointer("/data/attributes/profiles/data"))
    .flatten()
    .and_then(Value::as_array)
    .map(|profiles| {
        profiles
            .iter()
            .filter_map(|p| p.pointer("/attributes/email").and_then(Value::as_str))
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default();
    if emails.is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid",
            "A profile-suppression-bulk-create-job with profiles is required.",
        );
    }
    lock(&s.suppressed).extend(emails);
    StatusCode::ACCEPTED.into_response()
}

/// The Klaviyo stand-in.
pub fn klaviyo(seed: KlaviyoSeed) -> Standin<KlaviyoState> {
    let common = Arc::new(Common::default());
    let state = Arc::new(KlaviyoState {
        common: Arc::clone(&common),
        api_key: seed.api_key,
        profiles: Mutex::new(seed.profiles),
        deletion_jobs: Mutex::new(Vec::new()),
        suppressed: Mutex::new(Vec::new()),
    });
    let routes = Router::new()
        .route("/api/profiles/", get(profiles))
        .route("/api/data-privacy-deletion-jobs/", post(deletion_job))
        .route(
            "/api/profile-suppression-bulk-create-jobs/",
            post(suppression_job),
        );
    finish(routes, state, common)
}
