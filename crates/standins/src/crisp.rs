//! Crisp stand-in: people profiles searched by `search_text` (a substring match on address and
//! nickname, so near matches come back as they do from Crisp's full-text search), paged from 1;
//! a person's conversations, paged; conversation and message reads; profile and conversation
//! removal. Every answer has Crisp's `{"error","reason","data"}` envelope.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::{Value, json};

use super::{Common, Standin, basic, finish, header_text, lock, page_of};

/// A seeded profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrispProfile {
    /// `people_id`.
    pub people_id: String,
    /// Address.
    pub email: String,
    /// Nickname.
    pub nickname: String,
}

impl CrispProfile {
    /// A profile.
    pub fn new(people_id: &str, email: &str, nickname: &str) -> Self {
        Self {
            people_id: people_id.to_owned(),
            email: email.to_owned(),
            nickname: nickname.to_owned(),
        }
    }
}

/// A seeded conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrispConversation {
    /// `session_id`.
    pub session_id: String,
    /// The person it belongs to.
    pub people_id: String,
    /// Message texts.
    pub messages: Vec<String>,
}

impl CrispConversation {
    /// A conversation.
    pub fn new(session_id: &str, people_id: &str, messages: &[&str]) -> Self {
        Self {
            session_id: session_id.to_owned(),
            people_id: people_id.to_owned(),
            messages: messages.iter().map(|m| (*m).to_owned()).collect(),
        }
    }
}

/// What the stand-in starts with.
#[derive(Debug, Clone)]
pub struct CrispSeed {
    /// The plugin token identifier it accepts.
    pub identifier: String,
    /// The plugin token key it accepts.
    pub key: String,
    /// The website id.
    pub website_id: String,
    /// Profiles.
    pub profiles: Vec<CrispProfile>,
    /// Conversations.
    pub conversations: Vec<CrispConversation>,
    /// Items per page (profiles and conversation lists).
    pub page_size: usize,
}

impl Default for CrispSeed {
    fn default() -> Self {
        Self {
            identifier: "crisp-identifier".to_owned(),
            key: "crisp-key-standin".to_owned(),
            website_id: "website-1".to_owned(),
            profiles: Vec::new(),
            conversations: Vec::new(),
            page_size: 20,
        }
    }
}

/// The stand-in's state.
#[derive(Debug)]
pub struct CrispState {
    /// Faults and request log.
    pub common: Arc<Common>,
    identifier: String,
    key: String,
    website_id: String,
    page_size: usize,
    profiles: Mutex<Vec<CrispProfile>>,
    conversations: Mutex<Vec<CrispConversation>>,
}

impl CrispState {
    /// The addresses of the remaining profiles.
    pub fn profile_emails(&self) -> Vec<String> {
        lock(&self.profiles)
            .iter()
            .map(|p| p.email.clone())
            .collect()
    }

    /// The remaining conversations' session ids.
    pub fn session_ids(&self) -> Vec<String> {
        lock(&self.conversations)
            .iter()
            .map(|c| c.session_id.clone())
            .collect()
    }

    /// The answer refusing the request (wrong credentials, unknown account), if any.
    fn rejection(&self, headers: &HeaderMap, website: &str) -> Option<Response> {
        let creds_ok = basic(headers).is_some_and(|(u, p)| u == self.identifier && p == self.key);
        let tier_ok = header_text(headers, "x-crisp-tier") == Some("plugin");
        if !creds_ok || !tier_ok {
            return Some(envelope(
                StatusCode::UNAUTHORIZED,
                true,
                "invalid_session",
                json!({}),
            ));
        }
        if website != self.website_id {
            return Some(envelope(
                StatusCode::NOT_FOUND,
                true,
                "website_not_found",
                json!({}),
            ));
        }
        None
    }
}

fn envelope(status: StatusCode, error: bool, reason: &str, data: Value) -> Response {
    (
        status,
        Json(json!({"error": error, "reason": reason, "data": data})),
    )
        .into_response()
}

fn ok(reason: &str, data: Value) -> Response {
    envelope(StatusCode::OK, false, reason, data)
}

async fn website(
    State(s): State<Arc<CrispState>>,
    headers: HeaderMap,
    Path(website): Path<String>,
) -> Response {
    if let Some(r) = s.rejection(&headers, &website) {
        return r;
    }
    ok(
        "resolved",
        json!({"website_id": website, "name": "Stand-in website"}),
    )
}

async fn profiles(
    State(s): State<Arc<CrispState>>,
    headers: HeaderMap,
    Path((website, page)): Path<(String, usize)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = s.rejection(&headers, &website) {
        return r;
    }
    let needle = q
        .get("search_text")
        .map(|t| t.to_lowercase())
        .unwrap_or_default();
    let matching: Vec<Value> = lock(&s.profiles)
        .iter()
        .filter(|p| {
            p.email.to_lowercase().contains(&needle) || p.nickname.to_lowercase().contains(&needle)
        })
        .map(|p| {
            json!({
                "people_id": p.people_id,
                "email": p.email,
                "person": {"nickname": p.nickname},
                "created_at": 1_700_000_000_000_u64,
            })
        })
        .collect();
    ok(
        "listed",
        Value::Array(page_of(&matching, page, s.page_size)),
    )
}

async fn person_conversations(
    State(s): State<Arc<CrispState>>,
    headers: HeaderMap,
    Path((website, people_id, page)): Path<(String, String, usize)>,
) -> Response {
    if let Some(r) = s.rejection(&headers, &website) {
        return r;
    }
    if !lock(&s.profiles).iter().any(|p| p.people_id == people_id) {
        return envelope(StatusCode::NOT_FOUND, true, "people_not_found", json!({}));
    }
    let ids: Vec<Value> = lock(&s.conversations)
        .iter()
        .filter(|c| c.people_id == people_id)
        .map(|c| json!(c.session_id))
        .collect();
    ok("listed", Value::Array(page_of(&ids, page, s.page_size)))
}

async fn conversation(
    State(s): State<Arc<CrispState>>,
    headers: HeaderMap,
    Path((website, session_id)): Path<(String, String)>,
) -> Response {
    if let Some(r) = s.rejection(&headers, &website) {
        return r;
    }
    let conversations = lock(&s.conversations);
    match conversations.iter().find(|c| c.session_id == session_id) {
        Some(c) => ok(
            "resolved",
            json!({"session_id": c.session_id, "website_id": website, "people_id": c.people_id, "state": "resolved"}),
        ),
        None => envelope(StatusCode::NOT_FOUND, true, "session_not_found", json!({})),
    }
}

async fn messages(
    State(s): State<Arc<CrispState>>,
    headers: HeaderMap,
    Path((website, session_id)): Path<(String, String)>,
) -> Response {
    if let Some(r) = s.rejection(&headers, &website) {
        return r;
    }
    let conversations = lock(&s.conversations);
    match conversations.iter().find(|c| c.session_id == session_id) {
        Some(c) => ok(
            "resolved",
            Value::Array(
                c.messages
                    .iter()
                    .enumerate()
                    .map(|(i, m)| json!({"session_id": c.session_id, "type": "text", "from": "user", "content": m, "fingerprint": i}))
                    .collect(),
            ),
        ),
        None => envelope(StatusCode::NOT_FOUND, true, "session_not_found", json!({})),
    }
}

async fn remove_conversation(
    State(s): State<Arc<CrispState>>,
    headers: HeaderMap,
    Path((website, session_id)): Path<(String, String)>,
) -> Response {
    if let Some(r) = s.rejection(&headers, &website) {
        return r;
    }
    let mut conversations = lock(&s.conversations);
    let before = conversations.len();
    conversations.retain(|c| c.session_id != session_id);
    if conversations.len() == before {
        return envelope(StatusCode::NOT_FOUND, true, "session_not_found", json!({}));
    }
    ok("deleted", json!({}))
}

async fn remove_profile(
    State(s): State<Arc<CrispState>>,
    headers: HeaderMap,
    Path((website, people_id)): Path<(String, String)>,
) -> Response {
    if let Some(r) = s.rejection(&headers, &website) {
        return r;
    }
    let mut profiles = lock(&s.profiles);
    let before = profiles.len();
    profiles.retain(|p| p.people_id != people_id);
    if profiles.len() == before {
        return envelope(StatusCode::NOT_FOUND, true, "people_not_found", json!({}));
    }
    ok("deleted", json!({}))
}

/// The Crisp stand-in.
pub fn crisp(seed: CrispSeed) -> Standin<CrispState> {
    let common = Arc::new(Common::default());
    let state = Arc::new(CrispState {
        common: Arc::clone(&common),
        identifier: seed.identifier,
        key: seed.key,
        website_id: seed.website_id,
        page_size: seed.page_size,
        profiles: Mutex::new(seed.profiles),
        conversations: Mutex::new(seed.conversations),
    });
    let routes = Router::new()
        .route("/v1/website/{website}", get(website))
        .route(
            "/v1/website/{website}/people/profiles/{page}",
            get(profiles),
        )
        .route(
            "/v1/website/{website}/people/conversations/{people_id}/list/{page}",
            get(person_conversations),
        )
        .route(
            "/v1/website/{website}/people/profile/{people_id}",
            delete(remove_profile),
        )
        .route(
            "/v1/website/{website}/conversation/{session_id}",
            get(conversation).delete(remove_conversation),
        )
        .route(
            "/v1/website/{website}/conversation/{session_id}/messages",
            get(messages),
        );
    finish(routes, state, common)
}
