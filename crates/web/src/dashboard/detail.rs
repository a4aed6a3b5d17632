//! `GET /dashboard/requests/{id}`: one request, read only — its legal clock in plain words,
//! its tasks per system, the mail sent about it, and its timeline from the audit trail.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use uuid::Uuid;

use super::{signed_in, to_login};
use crate::WebState;
use crate::site::lang::PageLang;

/// The page, or 303 to sign in, or the not-found page for an unknown id.
pub async fn page(
    State(state): State<WebState>,
    lang: PageLang,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Path(id): Path<String>,
) -> Response {
    let Some((session, who)) = signed_in(&state.app, &headers).await else {
        return to_login(&uri);
    };
    let Ok(id) = id.parse::<Uuid>() else {
        return state.site.not_found(&lang);
    };
    render(&state, &lang, &session, &who, id, false).await
}

/// The page of request `id` for `who`; with `reveal`, the subject's address unmasked (the
/// caller has recorded the reveal).
async fn render(
    state: &WebState,
    lang: &PageLang,
    session: &str,
    who: &dsrflow_app::sessions::SignedIn,
    id: Uuid,
    reveal: bool,
) -> Response {
    let app = &state.app;
    let details = match dsrflow_app::requests::get(app, id).await {
        Ok(d) => d,
        Err(dsrflow_app::AppError::NotFound(_)) => return state.site.not_found(lang),
        Err(e) => {
            tracing::error!(error = %e, "request could not be read");
            return state.site.internal_error(lang);
        }
    };
    let now = app.clock.now();
    let rec = &details.record;
    let r = &rec.request;
    let code = lang.code();
    let t = |key: &str, args: &[(&str, &str)]| state.site.text(code, key, args);
    let clock = match dsrflow_app::requests::compute_deadline(&app.settings.controller, rec, now) {
        Ok(dl) => {
            let mut steps = vec![t(
                "detail.clock.received",
                &[("day", &dl.receipt_day.to_string())],
            )];
            if dl.clock_start != dl.receipt_day {
                steps.push(t(
                    "detail.clock.restarted",
                    &[("day", &dl.clock_start.to_string())],
                ));
            }
            if dl.credited_days > 0 {
                steps.push(t(
                    "detail.clock.paused",
                    &[("n", &dl.credited_days.to_string())],
                ));
            }
            steps.push(t(
                &format!("detail.clock.period.{}", dl.regime.as_str()),
                &[("day", &dl.base_deadline.to_string())],
            ));
            match (dl.extended, dl.deadline_if_extended, dl.extension_notice_by) {
                (true, _, _) => steps.push(t(
                    "detail.clock.extended",
                    &[("day", &dl.deadline.to_string())],
                )),
                (false, Some(e), Some(n)) => steps.push(t(
                    "detail.clock.extension_possible",
                    &[("day", &e.to_string()), ("notice", &n.to_string())],
                )),
                _ => steps.push(t("detail.clock.no_extension", &[])),
            }
            steps
        }
        Err(e) => {
            tracing::error!(error = %e, "deadline could not be computed");
            vec![]
        }
    };
    let tasks: Vec<Value> = match dsrflow_app::work::tasks_of(app, id).await {
        Ok(ts) => ts
            .iter()
            .map(|tk| {
                context! {
                    system => app.systems.map.label(&tk.system).to_owned(),
                    action => tk.action.as_str(),
                    status => tk.status.as_str(),
                    attempts => tk.attempts,
                    note => tk.note.clone(),
                    waiting => tk.status == dsrflow_domain::TaskStatus::AwaitingManual,
                    task_id => tk.id.to_string(),
                    instructions => tk.instructions.clone(),
                    decide => tk.action == dsrflow_domain::TaskAction::Decide,
                }
            })
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "tasks could not be read");
            vec![]
        }
    };
    let mails: Vec<Value> = dsrflow_app::requests::mails(app, id)
        .await
        .unwrap_or_default()
        .iter()
        .map(|m| {
            context! {
                template => m.template.clone(),
                audience => m.audience.as_str(),
                status => m.status.as_str(),
                at => m.at.format("%Y-%m-%d %H:%M UTC").to_string(),
            }
        })
        .collect();
    let timeline: Vec<Value> = dsrflow_app::requests::timeline(app, id)
        .await
        .unwrap_or_default()
        .iter()
        .map(|e| {
            context! {
                at => e.at.format("%Y-%m-%d %H:%M UTC").to_string(),
                action => e.action.clone(),
                actor => e.actor.clone(),
            }
        })
        .collect();
    let ctx = context! {
        reference => r.reference.clone(),
        kind => t(&format!("kind.{}.label", r.kind.as_str()), &[]),
        status => t(&format!("dashboard.statuses.{}", r.status.as_str()), &[]),
        subject => if reveal { rec.subject.email.as_str().to_owned() } else { rec.subject.email.masked() },
        revealed => reveal,
        regime => r.regime.as_str(),
        deadline => r.deadline.to_string(),
        clock => clock,
        id => id.to_string(),
        can_act => who.role.may_act() && !r.status.is_final(),
        can_approve => r.status == dsrflow_domain::RequestStatus::AwaitingReview,
        customers => app.settings.customers.iter().map(|c| context! { name => c.name.clone(), label => c.label.clone() }).collect::<Vec<_>>(),
        csrf_field => crate::site::csrf::FIELD,
        csrf_token => crate::site::csrf::token(&app.settings.data_key, &super::session_secret(session), now),
        tasks => tasks,
        mails => mails,
        timeline => timeline,
    };
    let mut resp = state
        .site
        .render(lang, StatusCode::OK, "request.html.j2", ctx);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A context for the start-up render check.
pub fn sample_context() -> Value {
    context! {
        reference => "DSR-1", kind => "Access", status => "in progress", subject => "a***@e***.com",
        regime => "gdpr", deadline => "2026-04-02", id => "0", revealed => false, can_act => true, can_approve => true, customers => vec![context! { name => "dupont", label => "Brasserie Dupont" }], csrf_field => "csrf_token", csrf_token => "0.00",
        clock => vec!["received"],
        tasks => vec![context! { system => "Billing", action => "access", status => "awaiting_manual", attempts => 1, note => "n", waiting => true, task_id => "0", instructions => "do it", decide => false }],
        mails => vec![context! { template => "acknowledgement", audience => "subject", status => "sent", at => "2026-03-02 10:00 UTC" }],
        timeline => vec![context! { at => "2026-03-02 10:00 UTC", action => "request.created", actor => "form" }],
    }
}

/// `POST /dashboard/requests/{id}/{action}` (`approve`, `extend`, `deny`), with the session's
/// `csrf_token` and a `reason` (required to extend or deny; for a partial approval). Officers
/// and admins only; the change is audited under the account, and the page shows the outcome.
pub async fn act(
    State(state): State<WebState>,
    lang: PageLang,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Path((id, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    use dsrflow_app::AppError;
    use dsrflow_domain::lifecycle::Reason;
    let app = &state.app;
    let Some((session, who)) = signed_in(app, &headers).await else {
        return to_login(&uri);
    };
    let mut token = None;
    let mut reason = String::new();
    let mut partial = false;
    let mut customer = String::new();
    for (k, v) in form_urlencoded::parse(&body) {
        match k.as_ref() {
            "csrf_token" => token = Some(v.into_owned()),
            "reason" => reason = v.chars().take(2000).collect(),
            "partial" => partial = v == "yes",
            "customer" => customer = v.chars().take(64).collect(),
            _ => {}
        }
    }
    if let Some(refused) = gate(
        &state,
        &lang,
        &session,
        Some(token.as_deref().unwrap_or("")),
        None,
    ) {
        return refused;
    }
    let Ok(rid) = id.parse::<Uuid>() else {
        return state.site.not_found(&lang);
    };
    // Every role may see the address, and every look is recorded (the viewer's way to it too).
    if action == "reveal" {
        return match dsrflow_app::requests::record_reveal(app, who.actor(), rid).await {
            Ok(()) => render(&state, &lang, &session, &who, rid, true).await,
            Err(e) => {
                tracing::error!(error = %e, "reveal could not be recorded");
                state.site.internal_error(&lang)
            }
        };
    }
    if let Some(refused) = gate(&state, &lang, &session, None, Some(&who)) {
        return refused;
    }
    let caller = dsrflow_app::requests::Caller {
        actor: who.actor(),
        can_vouch: false,
    };
    let reason = (!reason.trim().is_empty()).then(|| Reason::parse(&reason));
    let result = match (action.as_str(), reason) {
        (_, Some(Err(e))) => Err(AppError::Validation(vec![dsrflow_app::FieldError::new(
            "reason",
            e.to_string(),
        )])),
        ("approve", r) => {
            dsrflow_app::requests::approve(app, &caller, rid, partial, r.and_then(Result::ok)).await
        }
        ("extend", Some(Ok(r))) => dsrflow_app::requests::extend(app, &caller, rid, r).await,
        ("deny", Some(Ok(r))) => dsrflow_app::requests::deny(app, &caller, rid, r).await,
        ("withdraw", r) => {
            dsrflow_app::requests::withdraw(app, &caller, rid, r.and_then(Result::ok)).await
        }
        // A hosted customer's database: forwarded to that controller by name.
        ("forward", r) => match dsrflow_app::requests::customer(app, &customer) {
            Ok((controller, contact)) => {
                dsrflow_app::requests::forward(
                    app,
                    &caller,
                    rid,
                    &controller,
                    &contact,
                    r.and_then(Result::ok),
                )
                .await
            }
            Err(e) => Err(e),
        },
        ("extend" | "deny", None) => Err(AppError::Validation(vec![dsrflow_app::FieldError::new(
            "reason", "required",
        )])),
        _ => return state.site.not_found(&lang),
    };
    outcome(
        &state,
        &lang,
        result.map(|_| ()),
        &format!("/dashboard/requests/{rid}"),
        "request action failed",
    )
}

/// `POST /dashboard/tasks/{id}/complete`: a person records the work of a task waiting for them
/// (`status` succeeded, not_found, retained with its `rule`, or failed; or, for an objection's
/// decision task, `decision` uphold or reject), with a `note` saying what was done. Officers
/// and admins only; audited under the account; back to the request's page.
pub async fn complete_task(
    State(state): State<WebState>,
    lang: PageLang,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    use dsrflow_app::AppError;
    use dsrflow_app::work::Completion;
    let app = &state.app;
    let Some((session, who)) = signed_in(app, &headers).await else {
        return to_login(&uri);
    };
    let mut fields = std::collections::HashMap::new();
    for (k, v) in form_urlencoded::parse(&body) {
        fields
            .entry(k.into_owned())
            .or_insert_with(|| v.chars().take(2000).collect::<String>());
    }
    if let Some(refused) = gate(
        &state,
        &lang,
        &session,
        Some(fields.get("csrf_token").map_or("", String::as_str)),
        Some(&who),
    ) {
        return refused;
    }
    let Ok(task_id) = id.parse::<Uuid>() else {
        return state.site.not_found(&lang);
    };
    let get = |k: &str| fields.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let completion = match (get("decision"), get("status")) {
        (Some("uphold"), _) => Ok(Completion::Decision { uphold: true }),
        (Some("reject"), _) => Ok(Completion::Decision { uphold: false }),
        (None, Some(s)) => s
            .parse::<dsrflow_domain::TaskStatus>()
            .map(|status| Completion::Done {
                status,
                rule: get("rule").map(str::to_owned),
                found: Vec::new(),
            })
            .map_err(|e| e.to_string()),
        _ => Err("choose what was done".to_owned()),
    };
    let note = dsrflow_domain::lifecycle::Reason::parse(get("note").unwrap_or(""));
    let caller = dsrflow_app::requests::Caller {
        actor: who.actor(),
        can_vouch: false,
    };
    let result = match (completion, note) {
        (Ok(c), Ok(n)) => dsrflow_app::work::complete(app, &caller, task_id, c, n).await,
        (Err(m), _) => Err(AppError::Validation(vec![dsrflow_app::FieldError::new(
            "status", m,
        )])),
        (_, Err(e)) => Err(AppError::Validation(vec![dsrflow_app::FieldError::new(
            "note",
            format!("{e}: say what was done"),
        )])),
    };
    let back = match &result {
        Ok(t) => format!("/dashboard/requests/{}", t.request_id),
        Err(_) => "/dashboard".to_owned(),
    };
    outcome(
        &state,
        &lang,
        result.map(|_| ()),
        &back,
        "task could not be completed",
    )
}

/// The checks before any decision: the session's CSRF token (when `token` is given: an absent
/// field is `Some("")`) and, when `who` is given, a role that may act. The refusal page, if any.
fn gate(
    state: &WebState,
    lang: &PageLang,
    session: &str,
    token: Option<&str>,
    who: Option<&dsrflow_app::sessions::SignedIn>,
) -> Option<Response> {
    use crate::site::MessagePage;
    let app = &state.app;
    if let Some(token) = token
        && crate::site::csrf::verify(
            &app.settings.data_key,
            Some(&super::session_secret(session)),
            Some(token),
            app.clock.now(),
        )
        .is_err()
    {
        return Some(state.site.message_page(
            lang,
            MessagePage::new(StatusCode::FORBIDDEN, "form.csrf.title").paragraph("form.csrf.body"),
        ));
    }
    if who.is_some_and(|w| !w.role.may_act()) {
        return Some(
            state.site.message_page(
                lang,
                MessagePage::new(StatusCode::FORBIDDEN, "detail.act.forbidden.title")
                    .paragraph("detail.act.forbidden.body"),
            ),
        );
    }
    None
}

/// After a decision: back to `back` (303) when it was made; else the refusal in words (a
/// conflict with the rules, a missing or wrong field) with a link back, or the error page.
fn outcome(
    state: &WebState,
    lang: &PageLang,
    result: Result<(), dsrflow_app::AppError>,
    back: &str,
    what: &str,
) -> Response {
    use dsrflow_app::AppError;
    let (status, message) = match result {
        Ok(()) => {
            let mut resp = axum::response::Redirect::to(back).into_response();
            *resp.status_mut() = StatusCode::SEE_OTHER;
            return resp;
        }
        Err(AppError::NotFound(_)) => return state.site.not_found(lang),
        Err(AppError::Conflict(m)) => (StatusCode::CONFLICT, m),
        Err(AppError::Validation(fields)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(other) => {
            tracing::error!(error = %other, "{what}");
            return state.site.internal_error(lang);
        }
    };
    state.site.message_page(
        lang,
        crate::site::MessagePage::new(status, "detail.act.refused.title")
            .paragraph("detail.act.refused.body")
            .arg("why", message)
            .link(
                back,
                if back == "/dashboard" {
                    "detail.back"
                } else {
                    "detail.act.back"
                },
            ),
    )
}
