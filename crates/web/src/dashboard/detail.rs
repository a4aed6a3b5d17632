//! `GET /dashboard/requests/{id}`: one request, read only — its legal clock in plain words,
//! its tasks per system, the mail sent about it, and its timeline from the audit trail.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
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
    let app = &state.app;
    if signed_in(app, &headers).await.is_none() {
        return to_login(&uri);
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return state.site.not_found(&lang);
    };
    let details = match dsrflow_app::requests::get(app, id).await {
        Ok(d) => d,
        Err(dsrflow_app::AppError::NotFound(_)) => return state.site.not_found(&lang),
        Err(e) => {
            tracing::error!(error = %e, "request could not be read");
            return state.site.internal_error(&lang);
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
        subject => rec.subject.email.masked(),
        regime => r.regime.as_str(),
        deadline => r.deadline.to_string(),
        clock => clock,
        tasks => tasks,
        mails => mails,
        timeline => timeline,
    };
    let mut resp = state
        .site
        .render(&lang, StatusCode::OK, "request.html.j2", ctx);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A context for the start-up render check.
pub fn sample_context() -> Value {
    context! {
        reference => "DSR-1", kind => "Access", status => "in progress", subject => "a***@e***.com",
        regime => "gdpr", deadline => "2026-04-02",
        clock => vec!["received"],
        tasks => vec![context! { system => "Billing", action => "access", status => "awaiting_manual", attempts => 1, note => "n", waiting => true }],
        mails => vec![context! { template => "acknowledgement", audience => "subject", status => "sent", at => "2026-03-02 10:00 UTC" }],
        timeline => vec![context! { at => "2026-03-02 10:00 UTC", action => "request.created", actor => "form" }],
    }
}
