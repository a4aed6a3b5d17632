//! Stripe stand-in: customer search (`email:'…'` only), a one-page customer list, and
//! customer deletion, with Stripe's error shapes. Deleted customers stay in the state with
//! `deleted = true`, as Stripe keeps them retrievable, but no longer match a search.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::{Value, json};

use super::{Common, Standin, basic, bearer, finish, lock};

/// A seeded customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeCustomer {
    /// `cus_…`.
    pub id: String,
    /// Address.
    pub email: String,
    /// Name.
    pub name: String,
}

impl StripeCustomer {
    /// A customer.
    pub fn new(id: &str, email: &str, name: &str) -> Self {
        Self {
            id: id.to_owned(),
            email: email.to_owned(),
            name: name.to_owned(),
        }
    }
}

/// What the stand-in starts with.
#[derive(Debug, Clone)]
pub struct StripeSeed {
    /// The secret key it accepts.
    pub api_key: String,
    /// Customers.
    pub customers: Vec<StripeCustomer>,
    /// Search results per page (at most the request's `limit`).
    pub page_size: usize,
}

impl Default for StripeSeed {
    fn default() -> Self {
        Self {
            api_key: "sk_test_standin".to_owned(),
            customers: Vec::new(),
            page_size: 10,
        }
    }
}

/// The stand-in's state.
#[derive(Debug)]
pub struct StripeState {
    /// Faults and request log.
    pub common: Arc<Common>,
    api_key: String,
    page_size: usize,
    customers: Mutex<Vec<(StripeCustomer, bool)>>,
}

impl StripeState {
    /// Ids of the customers with this address that are not deleted.
    pub fn live_customers(&self, email: &str) -> Vec<String> {
        lock(&self.customers)
            .iter()
            .filter(|(c, deleted)| !deleted && c.email.eq_ignore_ascii_case(email))
            .map(|(c, _)| c.id.clone())
            .collect()
    }

    /// Ids of the deleted customers.
    pub fn deleted(&self) -> Vec<String> {
        lock(&self.customers)
            .iter()
            .filter(|(_, deleted)| *deleted)
            .map(|(c, _)| c.id.clone())
            .collect()
    }

    /// The answer refusing the request (wrong credentials, unknown account), if any.
    fn rejection(&self, headers: &HeaderMap) -> Option<Response> {
        // Stripe takes the key as a bearer token or as the Basic user with no password.
        let ok = bearer(headers) == Some(self.api_key.as_str())
            || basic(headers).is_some_and(|(u, p)| u == self.api_key && p.is_empty());
        if ok {
            None
        } else {
            Some(error(
                StatusCode::UNAUTHORIZED,
                None,
                "Invalid API Key provided: sk_****",
            ))
        }
    }
}

fn error(status: StatusCode, code: Option<&str>, message: &str) -> Response {
    let mut e = json!({"type": "invalid_request_error", "message": message});
    if let Some(c) = code {
        e["code"] = json!(c);
    }
    (status, Json(json!({ "error": e }))).into_response()
}

fn customer_json(c: &StripeCustomer) -> Value {
    json!({
        "id": c.id,
        "object": "customer",
        "email": c.email,
        "name": c.name,
        "created": 1_700_000_000,
        "livemode": false,
        "metadata": {},
    })
}

/// Reads `email:'value'` (quotes inside escaped with a backslash), Stripe's search syntax.
fn email_query(q: &str) -> Option<String> {
    let inner = q.trim().strip_prefix("email:'")?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '\'' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

async fn search(
    State(s): State<Arc<StripeState>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = s.rejection(&headers) {
        return r;
    }
    let Some(email) = q.get("query").and_then(|q| email_query(q)) else {
        return error(
            StatusCode::BAD_REQUEST,
            Some("parameter_invalid"),
            "Invalid search query",
        );
    };
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(10)
        .clamp(1, 100)
        .min(s.page_size.max(1));
    let offset = match q.get("page") {
        None => 0,
        Some(p) => match p
            .strip_prefix("page_")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) => n,
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    Some("parameter_invalid"),
                    "Invalid page",
                );
            }
        },
    };
    let matching: Vec<Value> = lock(&s.customers)
        .iter()
        .filter(|(c, deleted)| !deleted && c.email.eq_ignore_ascii_case(&email))
        .map(|(c, _)| customer_json(c))
        .collect();
    let data: Vec<Value> = matching.iter().skip(offset).take(limit).cloned().collect();
    let has_more = offset + data.len() < matching.len();
    Json(json!({
        "object": "search_result",
        "url": "/v1/customers/search",
        "data": data,
        "has_more": has_more,
        "next_page": if has_more { json!(format!("page_{}", offset + limit)) } else { Value::Null },
    }))
    .into_response()
}

async fn list(State(s): State<Arc<StripeState>>, headers: HeaderMap) -> Response {
    if let Some(r) = s.rejection(&headers) {
        return r;
    }
    let data: Vec<Value> = lock(&s.customers)
        .iter()
        .filter(|(_, deleted)| !deleted)
        .take(1)
        .map(|(c, _)| customer_json(c))
        .collect();
    Json(json!({"object": "list", "url": "/v1/customers", "data": data, "has_more": false}))
        .into_response()
}

async fn remove(
    State(s): State<Arc<StripeState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = s.rejection(&headers) {
        return r;
    }
    let mut customers = lock(&s.customers);
    match customers
        .iter_mut()
        .find(|(c, deleted)| !*deleted && c.id == id)
    {
        Some(entry) => {
            entry.1 = true;
            Json(json!({"id": id, "object": "customer", "deleted": true})).into_response()
        }
        None => error(
            StatusCode::NOT_FOUND,
            Some("resource_missing"),
            &format!("No such customer: '{id}'"),
        ),
    }
}

/// The Stripe stand-in.
pub fn stripe(seed: StripeSeed) -> Standin<StripeState> {
    let common = Arc::new(Common::default());
    let state = Arc::new(StripeState {
        common: Arc::clone(&common),
        api_key: seed.api_key,
        page_size: seed.page_size,
        customers: Mutex::new(seed.customers.into_iter().map(|c| (c, false)).collect()),
    });
    let routes = Router::new()
        .route("/v1/customers/search", get(search))
        .route("/v1/customers", get(list))
        .route("/v1/customers/{id}", delete(remove));
    finish(routes, state, common)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_queries_unescape_quotes() {
        assert_eq!(
            email_query(r"email:'o\'brien@x.com'").as_deref(),
            Some("o'brien@x.com")
        );
        assert_eq!(email_query("email:'a'b'"), None);
        assert_eq!(email_query("name:'x'"), None);
    }
}
