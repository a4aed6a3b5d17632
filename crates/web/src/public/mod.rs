//! The pages data subjects (and processors confirming by mail) see, without an account: the
//! start page, the request form, the pages behind mailed links (confirm, status, download,
//! processor confirmation). Every page renders on the [`crate::Site`] in the visitor's
//! language; every action is a POST.

pub mod form;
pub mod links;
pub mod pages;
pub mod ratelimit;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use minijinja::Value;

use crate::WebState;

/// The public routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/", get(pages::home))
        .route(
            "/download/{token}",
            get(links::download_page)
                .post(links::download_submit)
                .layer(DefaultBodyLimit::max(links::MAX_LINK_FORM_BYTES)),
        )
        .route("/download/{token}/code", post(links::download_send_code))
        .route(
            "/verify/{token}",
            get(links::verify_page)
                .post(links::verify_submit)
                .layer(DefaultBodyLimit::max(links::MAX_LINK_FORM_BYTES)),
        )
        .route("/verify/{token}/renew", post(links::verify_renew))
        .route("/status/{token}", get(pages::status))
        .route(
            "/confirm/{token}",
            get(pages::confirm_form).post(pages::confirm_submit),
        )
        .route(
            "/request",
            get(form::show)
                .post(form::submit)
                // Ten thousand characters of details can exceed the API's body limit.
                .layer(DefaultBodyLimit::max(form::MAX_FORM_BYTES)),
        )
        .route("/request/sent", get(form::sent))
}

/// A context for every template of these pages, with every optional part present, for the
/// start-up render check.
pub fn sample_contexts() -> Vec<(&'static str, Value)> {
    let mut out = vec![
        ("form.html.j2", form::sample_context(true)),
        ("form.html.j2", form::sample_context(false)),
        ("status.html.j2", pages::sample_status_context()),
    ];
    out.extend(
        pages::sample_home_contexts()
            .into_iter()
            .map(|c| ("home.html.j2", c)),
    );
    out.extend(links::sample_contexts());
    out
}
