//! In-memory stand-ins for the processors dsrflow talks to: small axum servers implementing the
//! request and response shapes of the shipped `http` definitions (as documented by each
//! processor, see `shared/reference/PROCESSORS.md`) and of OpenDSR 2.0 ([`opendsr`]), seeded
//! with data.
//!
//! They are not part of the engine: the connector tests use them as a dev-dependency, and
//! `dsrflow serve --demo` runs them in-process to play the SaaS APIs. Each one:
//! - checks credentials the way the processor does and answers 401 on a wrong key;
//! - can be told to answer 429 (with `Retry-After`) or 500 a number of times before it
//!   behaves ([`Common::fail_with_429`], [`Common::fail_with_500`]);
//! - records every request it receives ([`Common::requests`]), with its arrival time, so
//!   tests can check encoding and rate limiting without timing guesses;
//! - exposes its state so a test can see what is left after an erasure.
//!
//! They are deterministic (no clocks in answers, ids from counters), never panic on bad input
//! (malformed requests get the processor's 4xx), and keep everything in memory — including
//! the request log, which holds the addresses it was sent: do not point real data at them.

/// The web framework the stand-ins are built with, for tests that serve a route of their own
/// next to them (e.g. a callback receiver) without depending on it themselves.
pub use axum;

pub mod crisp;
pub mod google_analytics;
pub mod hotjar;
pub mod klaviyo;
pub mod loki;
pub mod meta;
pub mod odoo;
pub mod opendsr;
pub mod posthog;
pub mod stripe;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use tokio::task::JoinHandle;

/// The most of a request body a stand-in reads.
const MAX_BODY: usize = 1024 * 1024;

/// A stand-in: its router (serve it with [`serve`]) and its state (to seed faults and to
/// inspect what is left).
#[derive(Debug)]
pub struct Standin<S> {
    /// The routes.
    pub router: Router,
    /// The shared state.
    pub state: Arc<S>,
}

/// A request as a stand-in received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// When it arrived.
    pub at: Instant,
    /// The method.
    pub method: String,
    /// The path as sent (percent-encoded).
    pub path: String,
    /// The query string as sent (encoded), if any.
    pub query: Option<String>,
    /// The body (lossy UTF-8).
    pub body: String,
}

impl Recorded {
    /// The decoded value of a query parameter (the first if repeated).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_params(name).into_iter().next()
    }

    /// Every decoded value of a query parameter.
    pub fn query_params(&self, name: &str) -> Vec<String> {
        let Some(q) = &self.query else {
            return Vec::new();
        };
        reqwest::Url::parse(&format!("http://standin/?{q}"))
            .map(|u| {
                u.query_pairs()
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v.into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Faults to inject and the request log, shared by every stand-in.
#[derive(Debug, Default)]
pub struct Common {
    log: Mutex<Vec<Recorded>>,
    fail_429: AtomicU32,
    retry_after: AtomicU64,
    fail_500: AtomicU32,
}

impl Common {
    /// Answer the next `times` requests with 429 and `Retry-After: retry_after_secs`.
    pub fn fail_with_429(&self, times: u32, retry_after_secs: u64) {
        self.retry_after.store(retry_after_secs, Ordering::SeqCst);
        self.fail_429.store(times, Ordering::SeqCst);
    }

    /// Answer the next `times` requests with 500.
    pub fn fail_with_500(&self, times: u32) {
        self.fail_500.store(times, Ordering::SeqCst);
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.log).clone()
    }

    /// The requests received so far whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<Recorded> {
        lock(&self.log)
            .iter()
            .filter(|r| r.path.starts_with(prefix))
            .cloned()
            .collect()
    }

    fn take(counter: &AtomicU32) -> bool {
        counter
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// Locks a mutex, recovering from poisoning (a stand-in must keep answering).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Records the request, then answers with an injected fault if one is due.
async fn faults(State(common): State<Arc<Common>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    lock(&common.log).push(Recorded {
        at: Instant::now(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    });
    if Common::take(&common.fail_429) {
        let secs = common.retry_after.load(Ordering::SeqCst).to_string();
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, secs)],
            axum::Json(serde_json::json!({"error": "rate limited"})),
        )
            .into_response();
    }
    if Common::take(&common.fail_500) {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(serde_json::json!({"error": "internal error"})),
        )
            .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Adds the state and the fault/recording layer to a stand-in's routes.
fn finish<S: Send + Sync + 'static>(
    routes: Router<Arc<S>>,
    state: Arc<S>,
    common: Arc<Common>,
) -> Standin<S> {
    let router = routes
        .with_state(Arc::clone(&state))
        .layer(middleware::from_fn_with_state(common, faults));
    Standin { router, state }
}

/// Serves a router on `127.0.0.1` at a free port; the server runs until the handle is aborted.
pub async fn serve(router: Router) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::warn!(error = %e, "stand-in server stopped");
        }
    });
    Ok((addr, handle))
}

/// The token of an `Authorization: Bearer …` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// The user and password of an `Authorization: Basic …` header.
pub(crate) fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let encoded = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// A header's value as text.
pub(crate) fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok()
}

/// Pages of `size` items, numbered from 1.
pub(crate) fn page_of<T: Clone>(items: &[T], page: usize, size: usize) -> Vec<T> {
    let size = size.max(1);
    match page.checked_sub(1).and_then(|p| p.checked_mul(size)) {
        Some(start) if start < items.len() => items[start..items.len().min(start + size)].to_vec(),
        _ => Vec::new(),
    }
}
