//! The JSON API under `/api/v1`, authenticated with bearer tokens.

pub mod requests;

use axum::Router;
use axum::routing::{get, post};
use dsrflow_app::App;

/// Routes of the v1 API.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/requests", post(requests::create).get(requests::list))
        .route("/requests/{id}", get(requests::get_one))
        .route("/requests/{id}/extend", post(requests::extend))
        .route("/requests/{id}/deny", post(requests::deny))
        .route("/requests/{id}/approve", post(requests::approve))
        .route("/requests/{id}/withdraw", post(requests::withdraw))
}
