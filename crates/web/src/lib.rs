//! dsrflow's HTTP surface: the JSON API (with its OpenAPI document), health, the public site
//! (request form, status and confirmation pages) and — as it arrives — the dashboard.
//!
//! Handlers parse input into domain types, call one use case, and map the result to a response
//! body; they hold no business rules and write no SQL. Every handler shares one [`WebState`];
//! handlers that need only the use cases keep extracting `State<App>` (through [`FromRef`]),
//! public pages also take `State<Arc<Site>>` and a [`PageLang`].
//!
//! Layout: `api/` (the JSON API), `public/` (pages without an account), `site/` (templates,
//! catalogues, theme, languages, CSRF and the security headers every page shares). An area of
//! pages is a folder with its `routes()` and its templates' `sample_contexts()`, listed once
//! here ([`router_with`], [`sample_contexts`]).

pub mod api;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod public;
pub mod site;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, MatchedPath, Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use dsrflow_app::App;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use site::lang::PageLang;
pub use site::{MessagePage, Site, SiteError};

/// Largest accepted request body. Requests are small; anything bigger is refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every handler can reach: the use cases, the public site and the form's rate limits.
/// Built once; cloning is cheap.
#[derive(Clone)]
pub struct WebState {
    /// The use cases.
    pub app: App,
    /// Page templates, catalogues and theme.
    pub site: Arc<Site>,
    /// The request form's rate limits.
    pub limiter: Arc<public::ratelimit::FormLimiter>,
    /// The dashboard's sign-in limits.
    pub login_limiter: Arc<dashboard::LoginLimiter>,
}

impl WebState {
    /// The state for `app`, with its site built from `app.settings.form`. A broken override
    /// folder is logged and the built-in pages are used (`dsrflow serve` refuses to start
    /// with one: see [`Site::load`]).
    pub fn new(app: App) -> Self {
        let form = &app.settings.form;
        let site = Site::load(form).or_else(|e| {
            tracing::error!(error = %e, "the public site could not be built; using the built-in pages");
            Site::load(&dsrflow_app::settings::FormSettings {
                templates_dir: None,
                logo_url: None,
                primary_color: dsrflow_app::settings::DEFAULT_PRIMARY_COLOR.to_owned(),
                ..form.clone()
            })
        });
        match site {
            Ok(site) => Self::with_site(app, site),
            // The embedded pages are checked by the tests, so this cannot happen in a release;
            // if it does, every page answers with the fallback error page.
            Err(e) => {
                tracing::error!(error = %e, "the built-in pages are broken");
                Self::with_site(app, Site::empty())
            }
        }
    }

    /// The state for `app` with an already built site (named after the controller here).
    pub fn with_site(app: App, site: Site) -> Self {
        let site = site
            .with_controller(&app.settings.controller)
            .with_secure_cookies(app.settings.public_url.starts_with("https://"));
        Self {
            limiter: Arc::new(public::ratelimit::FormLimiter::new(&app.settings.form)),
            login_limiter: Arc::new(dashboard::LoginLimiter::default()),
            site: Arc::new(site),
            app,
        }
    }
}

impl FromRef<WebState> for App {
    fn from_ref(state: &WebState) -> Self {
        state.app.clone()
    }
}

impl FromRef<WebState> for Arc<Site> {
    fn from_ref(state: &WebState) -> Self {
        state.site.clone()
    }
}

impl FromRef<WebState> for Arc<public::ratelimit::FormLimiter> {
    fn from_ref(state: &WebState) -> Self {
        state.limiter.clone()
    }
}

/// A context for every page template, for the start-up render check ([`Site::load`]): the
/// shared ones and each area's.
pub fn sample_contexts() -> Vec<(&'static str, minijinja::Value)> {
    let mut out = site::sample_contexts();
    out.extend(public::sample_contexts());
    out.extend(dashboard::sample_contexts());
    out
}

/// Builds the whole HTTP application.
pub fn router(app: App) -> Router {
    router_with(WebState::new(app))
}

/// Builds the whole HTTP application around an existing state.
pub fn router_with(state: WebState) -> Router {
    Router::new()
        .nest("/api/v1", api::routes().with_state(state.app.clone()))
        .route("/api/openapi.json", get(openapi::document))
        .route("/healthz", get(healthz))
        .merge(public::routes())
        .merge(dashboard::routes())
        .fallback(not_found)
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(security_headers))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // Log the route template, never the raw path: public links carry tokens.
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "unmatched".to_owned());
            let id = req
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_owned();
            tracing::info_span!("http", method = %req.method(), route, request_id = id)
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Every response, API included, is uncacheable, unframeable and not MIME-sniffed; pages set
/// their own Content-Security-Policy and everything else gets a deny-all one.
async fn security_headers(mut resp: Response) -> Response {
    site::insert_security_headers(resp.headers_mut());
    resp
}

/// Serves the application until `shutdown` resolves. Handlers see the client's socket address
/// (`ConnectInfo<SocketAddr>`) for the form's per-client limit.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, WebState::new(app), shutdown).await
}

/// Like [`serve`], around an existing state (e.g. with a [`Site`] loaded and checked at
/// start-up).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: WebState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router_with(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

async fn healthz(State(app): State<App>) -> impl IntoResponse {
    let db = tokio::time::timeout(Duration::from_secs(2), app.store.ping()).await;
    match db {
        Ok(Ok(())) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok", "database": "ok"})),
        ),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "degraded", "database": "unreachable"})),
        ),
    }
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint".to_owned())
}
