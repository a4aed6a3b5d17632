//! The start page (`/`), and the public pages behind links sent by mail: a request's status
//! (for its data subject) and a processor's confirmation that it carried out a request. All
//! render on the [`Site`], in the visitor's language.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use dsrflow_app::{App, AppError};
use dsrflow_domain::RequestStatus;
use minijinja::context;
use minijinja::value::Value;

use crate::site::lang::PageLang;
use crate::site::{MessagePage, Site};

/// `GET /`: the start page: the request form for data subjects, and for staff and developers
/// the API document and the health check.
pub async fn home(
    State(app): State<App>,
    State(site): State<Arc<Site>>,
    lang: PageLang,
) -> Response {
    site.render(
        &lang,
        StatusCode::OK,
        "home.html.j2",
        home_context(app.settings.form.enabled),
    )
}

fn home_context(form_enabled: bool) -> Value {
    context! {
        form_enabled => form_enabled,
        links => vec![
            context! { url => "/api/openapi.json", label => "home.api" },
            context! { url => "/healthz", label => "home.health" },
        ],
    }
}

/// Contexts of the start page for the start-up render check.
pub(crate) fn sample_home_contexts() -> Vec<Value> {
    vec![home_context(true), home_context(false)]
}

/// The catalogue key stem (`status.<stem>.title`, `status.<stem>.next`) for a status: the
/// awaiting-verification status reads differently while the clock is paused for the subject.
pub fn status_key(status: RequestStatus, paused: bool) -> &'static str {
    match status {
        RequestStatus::AwaitingVerification if paused => "awaiting_verification_paused",
        other => other.as_str(),
    }
}

/// `GET /status/{token}`: the request's progress in plain language, its deadline and what
/// happens next.
pub async fn status(
    State(app): State<App>,
    State(site): State<Arc<Site>>,
    lang: PageLang,
    Path(token): Path<String>,
) -> Response {
    let details = match dsrflow_app::requests::by_status_token(&app, &token).await {
        Ok(d) => d,
        Err(AppError::NotFound(_)) => {
            return site.message_page(
                &lang,
                MessagePage::new(StatusCode::NOT_FOUND, "status.unknown.title")
                    .paragraph("status.unknown.body"),
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "status page: the request could not be read");
            return site.internal_error(&lang);
        }
    };
    let r = &details.record.request;
    let ctx = context! {
        reference => r.reference.clone(),
        kind => r.kind.as_str(),
        status => status_key(r.status, details.paused),
        received => r.receipt_day.format("%Y-%m-%d").to_string(),
        deadline => r.deadline.format("%Y-%m-%d").to_string(),
        extended => r.extended_at.is_some(),
        extension_reason => r.extension_reason.clone(),
        status_reason => r.status_reason.clone(),
        forwarded_to => r.forwarded_to.clone(),
        refused => r.status == RequestStatus::Denied,
        closed => r.status.is_final(),
    };
    site.render(&lang, StatusCode::OK, "status.html.j2", ctx)
}

/// A context for the start-up render check, with every optional part present.
pub(crate) fn sample_status_context() -> Value {
    context! {
        reference => "DSR-2026-ABCDEF",
        kind => "access",
        status => "denied",
        received => "2026-03-02",
        deadline => "2026-04-02",
        extended => true,
        extension_reason => "reason",
        status_reason => "reason",
        forwarded_to => "Customer",
        refused => true,
        closed => true,
    }
}

/// `GET /confirm/{token}`: a processor's confirmation link. Following the link shows a button
/// (a POST), so mail scanners that fetch links cannot confirm by accident.
pub async fn confirm_form(
    State(app): State<App>,
    State(site): State<Arc<Site>>,
    lang: PageLang,
    Path(token): Path<String>,
) -> Response {
    match dsrflow_app::mailtask::by_token(&app, &token).await {
        // A recipient's Art. 19 notice: acknowledging it is all there is to do here.
        Ok(p) if p.task.action == dsrflow_domain::TaskAction::Notify => site.message_page(
            &lang,
            MessagePage::new(StatusCode::OK, "confirm.ask.title")
                .paragraph("confirm.notice.body")
                .arg("reference", p.reference.clone())
                .arg("controller", app.settings.controller.name.clone())
                .post_button("", "confirm.notice.button"),
        ),
        Ok(p) if !p.task.status.is_final() => site.message_page(
            &lang,
            MessagePage::new(StatusCode::OK, "confirm.ask.title")
                .paragraph("confirm.ask.body")
                .arg("reference", p.reference.clone())
                .arg("controller", app.settings.controller.name.clone())
                .arg("action", p.task.action.as_str())
                .post_button("", "confirm.ask.button"),
        ),
        Ok(p) => site.message_page(
            &lang,
            MessagePage::new(StatusCode::OK, "confirm.already.title")
                .paragraph("confirm.already.body")
                .arg("reference", p.reference),
        ),
        Err(_) => unknown_confirmation(&site, &lang),
    }
}

fn unknown_confirmation(site: &Site, lang: &PageLang) -> Response {
    site.message_page(
        lang,
        MessagePage::new(StatusCode::NOT_FOUND, "confirm.unknown.title")
            .paragraph("confirm.unknown.body"),
    )
}

/// `POST /confirm/{token}`: records the processor's confirmation.
pub async fn confirm_submit(
    State(app): State<App>,
    State(site): State<Arc<Site>>,
    lang: PageLang,
    Path(token): Path<String>,
) -> Response {
    match dsrflow_app::mailtask::confirm(&app, &token).await {
        Ok(p) if p.task.action == dsrflow_domain::TaskAction::Notify => site.message_page(
            &lang,
            MessagePage::new(StatusCode::OK, "confirm.done.title")
                .paragraph("confirm.notice.done")
                .arg("reference", p.reference),
        ),
        Ok(p) => site.message_page(
            &lang,
            MessagePage::new(StatusCode::OK, "confirm.done.title")
                .paragraph("confirm.done.body")
                .arg("reference", p.reference),
        ),
        Err(AppError::Gone(_)) => site.message_page(
            &lang,
            MessagePage::new(StatusCode::OK, "confirm.already.title")
                .paragraph("confirm.already.body_no_reference"),
        ),
        Err(AppError::NotFound(_)) => unknown_confirmation(&site, &lang),
        Err(e) => {
            tracing::error!(error = %e, "confirmation could not be recorded");
            site.internal_error(&lang)
        }
    }
}
