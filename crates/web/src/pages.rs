//! Public pages for data subjects: the status of a request behind its status link. (The request
//! form and the verification and download pages follow.)

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use dsrflow_app::{App, AppError};
use dsrflow_domain::{RequestKind, RequestStatus};

const STATUS_TEMPLATE: &str = include_str!("../../../templates/pages/status.html.j2");

fn kind_text(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Access => "a copy of your personal data (GDPR Art. 15)",
        RequestKind::Erasure => "erasure of your personal data (GDPR Art. 17)",
        RequestKind::Objection => "an objection to the use of your data (GDPR Art. 21)",
        RequestKind::Rectification => "correction of your data (GDPR Art. 16)",
        RequestKind::Restriction => "restriction of the use of your data (GDPR Art. 18)",
        RequestKind::Portability => "your data in a portable format (GDPR Art. 20)",
        RequestKind::ConsentWithdrawal => "withdrawal of your consent (GDPR Art. 7(3))",
    }
}

fn status_texts(status: RequestStatus, paused: bool) -> (&'static str, &'static str) {
    match status {
        RequestStatus::Received => (
            "Received",
            "We have your request and will confirm who you are before we act on it.",
        ),
        RequestStatus::AwaitingVerification if paused => (
            "Waiting for you",
            "We asked you for information to confirm who you are; the time limit is paused until it arrives.",
        ),
        RequestStatus::AwaitingVerification => (
            "Waiting for you",
            "Please confirm your request with the link we sent you by e-mail.",
        ),
        RequestStatus::InProgress => (
            "In progress",
            "We are carrying out your request in every system that holds your data.",
        ),
        RequestStatus::AwaitingReview => (
            "Almost done",
            "Every system has answered; we are checking the result before we send it to you.",
        ),
        RequestStatus::Completed => ("Completed", "We have answered your request by e-mail."),
        RequestStatus::PartiallyCompleted => (
            "Completed in part",
            "We have answered by e-mail, explaining what we could not do and why.",
        ),
        RequestStatus::Denied => (
            "Refused",
            "We cannot carry out this request, for the reasons below. You may complain to the supervisory authority or seek a judicial remedy.",
        ),
        RequestStatus::Withdrawn => (
            "Withdrawn",
            "This request was withdrawn; nothing more will be done.",
        ),
        RequestStatus::ClosedUnidentified => (
            "Closed",
            "We could not confirm who made this request, so we closed it. You are welcome to make a new one.",
        ),
    }
}

/// `GET /status/{token}`: the request's progress in plain language.
pub async fn status(State(app): State<App>, Path(token): Path<String>) -> Response {
    let details = match dsrflow_app::requests::by_status_token(&app, &token).await {
        Ok(d) => d,
        Err(AppError::NotFound(_)) => {
            return (
                StatusCode::NOT_FOUND,
                Html("<!doctype html><title>Unknown link</title><p>This status link is not known. Please check the address in the e-mail we sent you.</p>".to_owned()),
            )
                .into_response();
        }
        Err(e) => return crate::ApiError::from(e).into_response(),
    };
    let r = &details.record.request;
    let (status_text, next_text) = status_texts(r.status, details.paused);
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    let html = env
        .add_template("status.html", STATUS_TEMPLATE)
        .and_then(|()| env.get_template("status.html"))
        .and_then(|t| {
            t.render(minijinja::context! {
                reference => r.reference.clone(),
                controller => app.settings.controller.name.clone(),
                contact => app.settings.controller.contact.clone(),
                kind_text => kind_text(r.kind),
                status_text => status_text,
                next_text => next_text,
                received => r.receipt_day.format("%-d %B %Y").to_string(),
                deadline => r.deadline.format("%-d %B %Y").to_string(),
                extended => r.extended_at.is_some(),
                extension_reason => r.extension_reason.clone(),
                status_reason => r.status_reason.clone(),
                forwarded_to => r.forwarded_to.clone(),
            })
        });
    match html {
        Ok(h) => (
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::REFERRER_POLICY, "no-referrer"),
            ],
            Html(h),
        )
            .into_response(),
        Err(e) => crate::ApiError::Internal(format!("status page: {e}")).into_response(),
    }
}

fn simple_page(status: StatusCode, title: &str, body_html: &str) -> Response {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    let page = env
        .template_from_str(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"robots\" content=\"noindex\"><title>{{ title }}</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}button{font-size:1rem;padding:.5rem 1rem}</style></head><body><main><h1>{{ title }}</h1>{{ body }}</main></body></html>",
        )
        .and_then(|t| {
            t.render(minijinja::context! {
                title => title,
                body => minijinja::Value::from_safe_string(body_html.to_owned()),
            })
        })
        .unwrap_or_else(|_| title.to_owned());
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(page),
    )
        .into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /confirm/{token}`: a processor's confirmation link. Following the link shows a button
/// (a POST), so mail scanners that fetch links cannot confirm by accident.
pub async fn confirm_form(State(app): State<App>, Path(token): Path<String>) -> Response {
    match dsrflow_app::mailtask::by_token(&app, &token).await {
        Ok(p) if !p.task.status.is_final() => simple_page(
            StatusCode::OK,
            &format!("Request {}", p.reference),
            &format!(
                "<p>{} asked you to carry out this request ({}) for one data subject. Once you have done it, confirm here.</p><form method=\"post\"><button type=\"submit\">I confirm the request {} was carried out</button></form>",
                escape(&app.settings.controller.name),
                escape(p.task.action.as_str()),
                escape(&p.reference)
            ),
        ),
        Ok(p) => simple_page(
            StatusCode::OK,
            "Already confirmed",
            &format!(
                "<p>Request {} was already confirmed. Thank you.</p>",
                escape(&p.reference)
            ),
        ),
        Err(_) => simple_page(
            StatusCode::NOT_FOUND,
            "Unknown link",
            "<p>This confirmation link is not known, or the request no longer waits for it.</p>",
        ),
    }
}

/// `POST /confirm/{token}`: records the processor's confirmation.
pub async fn confirm_submit(State(app): State<App>, Path(token): Path<String>) -> Response {
    match dsrflow_app::mailtask::confirm(&app, &token).await {
        Ok(p) => simple_page(
            StatusCode::OK,
            "Thank you",
            &format!(
                "<p>We recorded that request {} was carried out.</p>",
                escape(&p.reference)
            ),
        ),
        Err(AppError::Gone(_)) => simple_page(
            StatusCode::OK,
            "Already confirmed",
            "<p>This request was already confirmed. Thank you.</p>",
        ),
        Err(AppError::NotFound(_)) => simple_page(
            StatusCode::NOT_FOUND,
            "Unknown link",
            "<p>This confirmation link is not known, or the request no longer waits for it.</p>",
        ),
        Err(e) => crate::ApiError::from(e).into_response(),
    }
}
