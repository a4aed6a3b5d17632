//! dsrflow's HTTP surface: the JSON API (with its OpenAPI document), health, and — as they
//! arrive — the public pages and the dashboard.
//!
//! Handlers parse input into domain types, call one use case, and map the result to a response
//! body; they hold no business rules and write no SQL.

pub mod api;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod pages;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use dsrflow_app::App;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use error::ApiError;

/// Largest accepted request body. Requests are small; anything bigger is refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Builds the whole HTTP application.
pub fn router(app: App) -> Router {
    Router::new()
        .nest("/api/v1", api::routes())
        .route("/api/openapi.json", get(openapi::document))
        .route("/healthz", get(healthz))
        .route("/download/{token}", get(api::requests::download))
        .route("/status/{token}", get(pages::status))
        .route(
            "/confirm/{token}",
            get(pages::confirm_form).post(pages::confirm_submit),
        )
        .fallback(not_found)
        .with_state(app)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
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

/// Serves the application until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app))
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
