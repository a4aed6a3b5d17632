//! The compliance officer's dashboard: signing in and out, and the queue of open requests by
//! legal deadline. Server-rendered on the same [`crate::Site`] as the public pages (templates,
//! catalogues, security headers), working without JavaScript. Every page needs a session: without
//! one it answers 303 to `/login?next=…`.

use std::net::IpAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Duration;
use dsrflow_app::App;
use dsrflow_app::sessions::{self, SignedIn};
use minijinja::{Value, context};
use sha2::{Digest, Sha256};

mod detail;

use crate::WebState;
use crate::public::form::ClientIp;
use crate::public::ratelimit::{SlidingWindow, address_key, ip_key};
use crate::site::MessagePage;
use crate::site::csrf;
use crate::site::lang::{PageLang, cookie_value};

/// The session cookie.
pub const SESSION_COOKIE: &str = "dsrflow_session";

/// Sign-in attempts allowed per client address, and per account address, in 15 minutes.
const ATTEMPTS_PER_IP: u32 = 20;
const ATTEMPTS_PER_ADDRESS: u32 = 5;

/// The sign-in limits of this process.
#[derive(Debug)]
pub struct LoginLimiter {
    per_ip: SlidingWindow<IpAddr>,
    per_address: SlidingWindow<[u8; 32]>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self {
            per_ip: SlidingWindow::new(ATTEMPTS_PER_IP, Duration::minutes(15), 100_000),
            per_address: SlidingWindow::new(ATTEMPTS_PER_ADDRESS, Duration::minutes(15), 100_000),
        }
    }
}

/// The dashboard's routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/dashboard", get(queue))
        .route("/dashboard/requests/{id}", get(detail::page))
        .route("/dashboard/requests/{id}/{action}", post(detail::act))
        .route(
            "/dashboard/tasks/{id}/complete",
            post(detail::complete_task),
        )
}

/// Who is signed in, from the session cookie (None: not signed in, or the session ended).
async fn signed_in(app: &App, headers: &HeaderMap) -> Option<(String, SignedIn)> {
    let id = cookie_value(headers, SESSION_COOKIE)?.to_owned();
    match sessions::authenticate(app, &id).await {
        Ok(Some(who)) => Some((id, who)),
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %e, "session could not be read");
            None
        }
    }
}

/// The CSRF secret of a signed-in page: derived from the session id (its SHA-256), so the
/// forms of a session carry a token no other session can use.
fn session_secret(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// A local path to go back to after signing in; anything else goes to the queue.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/dashboard")
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.len() <= 512 =>
        {
            n.to_owned()
        }
        _ => "/dashboard".to_owned(),
    }
}

fn query_param(uri_query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(uri_query?.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn render_login(
    state: &WebState,
    lang: &PageLang,
    headers: &HeaderMap,
    status: StatusCode,
    email: &str,
    next: &str,
    error: Option<&str>,
) -> Response {
    let app = &state.app;
    let secret = csrf::secret_of(headers);
    let token = csrf::token(&app.settings.data_key, &secret, app.clock.now());
    let ctx = context! {
        email => email,
        next => next,
        error => error.map(|k| state.site.text(lang.code(), k, &[])),
        csrf_field => csrf::FIELD,
        csrf_token => token,
    };
    let mut resp = state.site.render(lang, status, "login.html.j2", ctx);
    if let Ok(v) = HeaderValue::from_str(&csrf::set_cookie_at(
        &secret,
        state.site.secure_cookies(),
        "/login",
    )) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// `GET /login`.
async fn login_form(
    State(state): State<WebState>,
    lang: PageLang,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let next = safe_next(query_param(uri.query(), "next").as_deref());
    if signed_in(&state.app, &headers).await.is_some() {
        return Redirect::to(&next).into_response();
    }
    render_login(&state, &lang, &headers, StatusCode::OK, "", &next, None)
}

/// `POST /login`: fields `email`, `password`, `csrf_token`, `next`.
async fn login_submit(
    State(state): State<WebState>,
    lang: PageLang,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let app = &state.app;
    let now = app.clock.now();
    let mut email = String::new();
    let mut password = String::new();
    let mut token = None;
    let mut next = None;
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "email" => email = v.chars().take(254).collect(),
            "password" => {
                password = v
                    .chars()
                    .take(dsrflow_app::accounts::MAX_PASSWORD_CHARS + 1)
                    .collect()
            }
            "csrf_token" => token = Some(v.into_owned()),
            "next" => next = Some(v.into_owned()),
            _ => {}
        }
    }
    let next = safe_next(next.as_deref());
    if csrf::verify(
        &app.settings.data_key,
        cookie_value(&headers, csrf::COOKIE),
        token.as_deref(),
        now,
    )
    .is_err()
    {
        return state.site.message_page(
            &lang,
            MessagePage::new(StatusCode::FORBIDDEN, "form.csrf.title")
                .paragraph("form.csrf.body")
                .link("/login", "login.again"),
        );
    }
    let limiter = &state.login_limiter;
    if limiter.per_ip.hit(&ip_key(ip), now).is_err()
        || limiter
            .per_address
            .hit(&address_key(&email.trim().to_lowercase()), now)
            .is_err()
    {
        tracing::info!("sign-in refused: too many attempts");
        return render_login(
            &state,
            &lang,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            &email,
            &next,
            Some("login.limited"),
        );
    }
    match sessions::sign_in(app, &email, &password).await {
        Ok(Ok((id, _who))) => {
            let mut resp = Redirect::to(&next).into_response();
            *resp.status_mut() = StatusCode::SEE_OTHER;
            let cookie = format!(
                "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax{}",
                if state.site.secure_cookies() {
                    "; Secure"
                } else {
                    ""
                }
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Ok(Err(_)) => render_login(
            &state,
            &lang,
            &headers,
            StatusCode::UNAUTHORIZED,
            &email,
            &next,
            Some("login.wrong"),
        ),
        Err(e) => {
            tracing::error!(error = %e, "sign-in could not be recorded");
            state.site.internal_error(&lang)
        }
    }
}

/// `POST /logout` (with the session's `csrf_token`).
async fn logout(
    State(state): State<WebState>,
    lang: PageLang,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let app = &state.app;
    let Some((id, _)) = signed_in(app, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    let token = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.into_owned());
    if csrf::verify(
        &app.settings.data_key,
        Some(&session_secret(&id)),
        token.as_deref(),
        app.clock.now(),
    )
    .is_err()
    {
        return state.site.message_page(
            &lang,
            MessagePage::new(StatusCode::FORBIDDEN, "form.csrf.title").paragraph("form.csrf.body"),
        );
    }
    if let Err(e) = sessions::sign_out(app, &id).await {
        tracing::error!(error = %e, "sign-out could not be recorded");
    }
    let mut resp = Redirect::to("/login").into_response();
    *resp.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
    )) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// The redirect for a page that needs a session.
fn to_login(uri: &axum::http::Uri) -> Response {
    let next = uri
        .path_and_query()
        .map_or("/dashboard".to_owned(), |p| p.as_str().to_owned());
    let target = format!(
        "/login?next={}",
        form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    let mut resp = Redirect::to(&target).into_response();
    *resp.status_mut() = StatusCode::SEE_OTHER;
    resp
}

/// Requests whose deadline day is before `day`.
fn dsrflow_domain_due(day: chrono::NaiveDate) -> dsrflow_app::requests::DueBefore {
    dsrflow_app::requests::DueBefore::Day(day)
}

/// The colour band of a deadline `days` away (negative: overdue).
fn band(days: i64) -> &'static str {
    match days {
        d if d < 0 => "overdue",
        0..=3 => "soon",
        4..=7 => "week",
        _ => "fine",
    }
}

/// `GET /dashboard`: the open requests, nearest legal deadline first.
async fn queue(
    State(state): State<WebState>,
    lang: PageLang,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let app = &state.app;
    let Some((id, who)) = signed_in(app, &headers).await else {
        return to_login(&uri);
    };
    let today = app.clock.now().date_naive();
    let q = uri.query();
    // Filters from the URL, so a view can be bookmarked; an unknown value is ignored.
    let kind = query_param(q, "kind").and_then(|k| k.parse::<dsrflow_domain::RequestKind>().ok());
    let status =
        query_param(q, "status").and_then(|s| s.parse::<dsrflow_domain::RequestStatus>().ok());
    let due = query_param(q, "due").filter(|d| ["overdue", "week", "month"].contains(&d.as_str()));
    let due_before = |due: &str| {
        let days = match due {
            "overdue" => 0,
            "week" => 8,
            _ => 31,
        };
        dsrflow_domain_due(today + chrono::TimeDelta::days(days))
    };
    let filter = |status, kind, due: Option<&str>, per_page| dsrflow_app::requests::ListFilter {
        status,
        kind,
        due_before: due.map(due_before),
        open_only: true,
        page: 1,
        per_page,
    };
    // The summary strip: totals of the views an officer watches, each a link to it.
    let mut summary = Vec::new();
    for (key, query, f) in [
        ("open", "", filter(None, None, None, 1)),
        (
            "overdue",
            "?due=overdue",
            filter(None, None, Some("overdue"), 1),
        ),
        ("week", "?due=week", filter(None, None, Some("week"), 1)),
        (
            "identity",
            "?status=awaiting_verification",
            filter(
                Some(dsrflow_domain::RequestStatus::AwaitingVerification),
                None,
                None,
                1,
            ),
        ),
        (
            "review",
            "?status=awaiting_review",
            filter(
                Some(dsrflow_domain::RequestStatus::AwaitingReview),
                None,
                None,
                1,
            ),
        ),
    ] {
        let total = dsrflow_app::requests::list(app, f)
            .await
            .map_or(0, |p| p.total);
        summary.push(context! { key => key, query => query, total => total });
    }
    let page =
        match dsrflow_app::requests::list(app, filter(status, kind, due.as_deref(), 200)).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "queue could not be read");
                return state.site.internal_error(&lang);
            }
        };
    let code = lang.code();
    let mut rows: Vec<(chrono::NaiveDate, Value)> = page
        .items
        .iter()
        .map(|d| {
            let r = &d.record.request;
            let days = (r.deadline - today).num_days();
            let when = if days < 0 {
                state
                    .site
                    .text(code, "dashboard.overdue", &[("n", &(-days).to_string())])
            } else {
                state
                    .site
                    .text(code, "dashboard.left", &[("n", &days.to_string())])
            };
            (
                r.deadline,
                context! {
                    reference => r.reference.clone(),
                    id => r.id.to_string(),
                    subject => d.record.subject.email.masked(),
                    kind => state.site.text(code, &format!("kind.{}.label", r.kind.as_str()), &[]),
                    channel => r.channel.as_str(),
                    received => r.receipt_day.to_string(),
                    deadline => r.deadline.to_string(),
                    when => when,
                    band => band(days),
                    status => r.status.as_str(),
                    extended => r.extended_at.is_some(),
                    paused => d.paused,
                },
            )
        })
        .collect();
    rows.sort_by_key(|(deadline, _)| *deadline);
    let ctx = context! {
        who => context! { email => who.email.clone(), role => who.role.as_str() },
        summary => summary,
        filters => context! {
            kind => kind.map(|k| k.as_str()),
            status => status.map(|s| s.as_str()),
            due => due,
            kinds => dsrflow_domain::RequestKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            statuses => dsrflow_domain::RequestStatus::ALL.iter().filter(|s| !s.is_final()).map(|s| s.as_str()).collect::<Vec<_>>(),
        },
        total => page.total,
        rows => rows.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        csrf_field => csrf::FIELD,
        csrf_token => csrf::token(&app.settings.data_key, &session_secret(&id), app.clock.now()),
    };
    let mut resp = state
        .site
        .render(&lang, StatusCode::OK, "dashboard.html.j2", ctx);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// Contexts for the start-up render check.
pub fn sample_contexts() -> Vec<(&'static str, Value)> {
    vec![
        (
            "login.html.j2",
            context! { email => "", next => "/dashboard", error => "x", csrf_field => csrf::FIELD, csrf_token => "0.00" },
        ),
        ("request.html.j2", detail::sample_context()),
        (
            "dashboard.html.j2",
            context! {
                who => context! { email => "officer@example.com", role => "officer" },
                summary => vec![context! { key => "open", query => "", total => 3 }],
                filters => context! { kind => "access", status => Value::from(()), due => "week", kinds => vec!["access"], statuses => vec!["in_progress"] },
                total => 1,
                rows => vec![context! { reference => "DSR-1", id => "0", subject => "a***@example.com", kind => "Access", channel => "api", received => "2026-03-02", deadline => "2026-04-02", when => "3 days left", band => "soon", status => "in_progress", extended => true, paused => true }],
                csrf_field => csrf::FIELD,
                csrf_token => "0.00",
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_dashboard_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next(Some("/dashboard?due=week")),
            "/dashboard?due=week"
        );
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/dashboard\\@evil",
            "/api/v1/requests",
        ] {
            assert_eq!(safe_next(Some(bad)), "/dashboard", "{bad}");
        }
        assert_eq!(safe_next(None), "/dashboard");
    }

    #[test]
    fn deadlines_fall_into_bands() {
        assert_eq!(band(-1), "overdue");
        assert_eq!(band(0), "soon");
        assert_eq!(band(3), "soon");
        assert_eq!(band(7), "week");
        assert_eq!(band(8), "fine");
    }
}
