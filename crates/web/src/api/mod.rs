//! The JSON API under `/api/v1`, authenticated with bearer tokens.

pub mod inbox;
pub mod mail;
pub mod opendsr;
pub mod requests;
pub mod suppressions;
pub mod tasks;

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
        .route("/requests/{id}/verify", post(requests::verify))
        .route("/requests/{id}/forward", post(requests::forward))
        .route("/requests/{id}/tasks", get(tasks::list))
        .route("/requests/{id}/package", get(requests::package))
        .route("/tasks/{id}/complete", post(tasks::complete))
        .route("/tasks/{id}/retry", post(tasks::retry))
        .route("/suppressions/check", post(suppressions::check))
        .route("/opendsr/callback", post(opendsr::callback))
        .route("/mail", get(mail::list))
        .route("/mail/{id}/resend", post(mail::resend))
        .route("/inbox/review", get(inbox::list))
        .route("/inbox/review/{id}", get(inbox::get_one))
        .route("/inbox/review/{id}/requests", post(inbox::resolve))
        .route("/inbox/review/{id}/dismiss", post(inbox::dismiss))
}
