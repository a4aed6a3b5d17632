//! Messages caused by a state change, rendered and queued in the outbox inside the same
//! transaction (so a committed change always has its message, and a rolled-back one never).

use dsrflow_domain::channel::Language;
use dsrflow_domain::kind::Answer;
use dsrflow_domain::{RequestKind, TaskAction, TaskStatus};
use dsrflow_mail::Email;
use dsrflow_mail::messages::{Controller, SupervisoryAuthority};
use dsrflow_store::entity::{request, request_subject};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::outbox::{self, Audience, NewMessage};
use crate::{App, AppError};

/// The controller as named in mails.
pub fn controller(app: &App) -> Controller {
    let c = &app.settings.controller;
    Controller {
        name: c.name.clone(),
        contact_email: c.contact.clone(),
    }
}

/// The supervisory authority, named in the message's language.
pub fn authority(
    app: &App,
    regime: dsrflow_domain::Regime,
    lang: Language,
) -> SupervisoryAuthority {
    // Outside the EU GDPR, the regime's own authority hears complaints.
    if let Some(a) = SupervisoryAuthority::for_regime(regime, lang) {
        return a;
    }
    // The default controller is Belgian; a configured authority name is used as given.
    let default = crate::settings::ControllerSettings::default().authority;
    if app.settings.controller.authority == default {
        SupervisoryAuthority::belgium(lang)
    } else {
        SupervisoryAuthority {
            name: app.settings.controller.authority.clone(),
            website: String::new(),
        }
    }
}

/// An absolute link under the public URL.
pub fn link(app: &App, path: &str) -> String {
    format!("{}{path}", app.settings.public_url)
}

/// Renders `msg` for `to` (outside any transaction: rendering is the costly part).
#[expect(
    clippy::too_many_arguments,
    reason = "one call site shape for every message"
)]
pub fn prepare<E: Email>(
    app: &App,
    msg: &E,
    lang: Language,
    audience: Audience,
    to: &str,
    request_id: Option<Uuid>,
    task_id: Option<Uuid>,
    dedupe_key: Option<String>,
) -> Result<NewMessage, AppError> {
    let templates = app
        .templates
        .as_ref()
        .ok_or_else(|| AppError::Internal("mail templates are not loaded".to_owned()))?;
    let rendered = msg
        .render(templates, lang)
        .map_err(|e| AppError::Internal(format!("render {}: {e}", E::NAME)))?;
    Ok(NewMessage {
        dedupe_key,
        request_id,
        task_id,
        template: E::NAME,
        language: rendered.language,
        audience,
        to: to.to_owned(),
        subject: rendered.subject,
        text: rendered.text,
        html: Some(rendered.html),
        in_reply_to: None,
    })
}

/// Renders `msg` for `to` as the outbox row to queue (for a write that queues it with others).
#[expect(
    clippy::too_many_arguments,
    reason = "one call site shape for every message"
)]
pub fn row<E: Email>(
    app: &App,
    msg: &E,
    lang: Language,
    audience: Audience,
    to: &str,
    req: Option<&request::Model>,
    task_id: Option<Uuid>,
    dedupe_key: Option<String>,
) -> Result<dsrflow_store::entity::outbox::Model, AppError> {
    let m = prepare(
        app,
        msg,
        lang,
        audience,
        to,
        req.map(|r| r.id),
        task_id,
        dedupe_key,
    )?;
    outbox::row(app, m, req.map(|r| r.reference.as_str()))
}

/// Renders `msg` and queues it for `to`.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site shape for every message"
)]
pub async fn queue<E: Email>(
    app: &App,
    conn: &impl ConnectionTrait,
    msg: &E,
    lang: Language,
    audience: Audience,
    to: &str,
    req: Option<&request::Model>,
    task_id: Option<Uuid>,
    dedupe_key: Option<String>,
) -> Result<Option<Uuid>, AppError> {
    outbox::insert_row(
        conn,
        row(app, msg, lang, audience, to, req, task_id, dedupe_key)?,
    )
    .await
}

/// Queues a message to the data subject of `req` (deduplicated per request and template);
/// returns the outbox id to wake after the commit.
pub async fn to_subject<E: Email>(
    app: &App,
    conn: &impl ConnectionTrait,
    req: &request::Model,
    subject: &request_subject::Model,
    msg: &E,
) -> Result<Option<Uuid>, AppError> {
    queue(
        app,
        conn,
        msg,
        req.language,
        Audience::Subject,
        subject.email.as_str(),
        Some(req),
        None,
        Some(format!("{}:{}", E::NAME, req.id)),
    )
    .await
}

/// The subject's status token of a request: derived from the request id with the data key, so
/// any later message can carry the same link; only its hash is stored (for lookup).
pub fn status_token(app: &App, request_id: Uuid) -> String {
    app.settings
        .data_key
        .keyed_hash("status-link", &request_id.to_string())
}

/// The hash under which a status token is stored.
pub fn status_token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// The subject's status link.
pub fn status_url(app: &App, request_id: Uuid) -> String {
    link(app, &format!("/status/{}", status_token(app, request_id)))
}

/// The answer to the subject when a request changes state: extension notice (Art. 12(3)),
/// refusal (Art. 12(4)), completion (with the download link, or per system what was erased and
/// kept), forwarding. Queued in the transaction of the change.
#[expect(
    clippy::too_many_arguments,
    reason = "everything the answer is built from"
)]
pub async fn on_transition(
    app: &App,
    conn: &impl ConnectionTrait,
    event: &dsrflow_domain::lifecycle::Event,
    before: &request::Model,
    after: &request::Model,
    subject: &request_subject::Model,
    tasks: &[dsrflow_store::entity::task::Model],
    download: Option<(&str, chrono::DateTime<chrono::Utc>, &str)>,
) -> Result<Vec<Uuid>, AppError> {
    use dsrflow_domain::lifecycle::Event;
    use dsrflow_mail::messages as m;
    let lang = after.language;
    let name = subject.name.clone();
    match event {
        Event::Extend { reason, .. } => to_subject(
            app,
            conn,
            after,
            subject,
            &m::ExtensionNotice {
                reference: after.reference.clone(),
                kind: after.kind,
                subject_name: name,
                received_on: after.receipt_day,
                original_deadline: before.deadline,
                new_deadline: after.deadline,
                regime: after.regime,
                reasons: reason.as_str().to_owned(),
                status_url: status_url(app, after.id),
                controller: controller(app),
            },
        )
        .await
        .map(|m| m.into_iter().collect()),
        Event::Deny { reason } => to_subject(
            app,
            conn,
            after,
            subject,
            &m::Refusal {
                regime: after.regime,
                reference: after.reference.clone(),
                kind: after.kind,
                subject_name: name,
                received_on: after.receipt_day,
                reasons: reason.as_str().to_owned(),
                authority: authority(app, after.regime, lang),
                controller: controller(app),
            },
        )
        .await
        .map(|m| m.into_iter().collect()),
        Event::Forward {
            controller: to,
            contact,
        } => {
            // The request goes to the controller, with how the person identified themselves
            // and nothing more; the person is told where it went.
            let rec = dsrflow_store::requests::RequestRecord {
                request: after.clone(),
                subject: subject.clone(),
                pauses: Vec::new(),
            };
            let forwarded = queue(
                app,
                conn,
                &m::ForwardRequest {
                    reference: after.reference.clone(),
                    kind: after.kind,
                    controller_name: to.clone(),
                    received_on: after.receipt_day,
                    identifiers: crate::mailtask::identifiers(&rec),
                    controller: controller(app),
                },
                lang,
                Audience::Controller,
                contact,
                Some(after),
                None,
                Some(format!("forward_request:{}", after.id)),
            )
            .await?;
            let told = to_subject(
                app,
                conn,
                after,
                subject,
                &m::Forwarded {
                    reference: after.reference.clone(),
                    kind: after.kind,
                    subject_name: name,
                    received_on: after.receipt_day,
                    forwarded_on: app.clock.now().date_naive(),
                    forwarded_to: to.clone(),
                    forwarded_to_contact: Some(contact.clone()),
                    reason: after.status_reason.clone(),
                    controller: controller(app),
                },
            )
            .await?;
            Ok(forwarded.into_iter().chain(told).collect())
        }
        Event::Approve { .. } => {
            let recipients = system_names(
                app,
                tasks
                    .iter()
                    .filter(|t| t.action == TaskAction::Notify && t.status.is_success()),
            );
            match (after.kind.answer(), download) {
                (Answer::Package, Some((url, expires_at, sha))) => to_subject(
                    app,
                    conn,
                    after,
                    subject,
                    &m::CompletedAccess {
                        regime: after.regime,
                        reference: after.reference.clone(),
                        kind: after.kind,
                        subject_name: name,
                        received_on: after.receipt_day,
                        download_url: url.to_owned(),
                        expires_at,
                        package_file_name: "personal-data.zip".to_owned(),
                        package_sha256: sha.to_owned(),
                        controller: controller(app),
                    },
                )
                .await
                .map(|m| m.into_iter().collect()),
                (Answer::Erasure, _) => {
                    let systems = tasks
                        .iter()
                        .filter(|t| t.action == dsrflow_domain::TaskAction::Erase)
                        .map(|t| erasure_line(app, t))
                        .collect();
                    to_subject(
                        app,
                        conn,
                        after,
                        subject,
                        &m::CompletedErasure {
                            regime: after.regime,
                            reference: after.reference.clone(),
                            subject_name: name,
                            received_on: after.receipt_day,
                            systems,
                            recipients_notified: recipients,
                            suppression_kept: true,
                            authority: authority(app, after.regime, lang),
                            controller: controller(app),
                        },
                    )
                    .await
                    .map(|m| m.into_iter().collect())
                }
                (Answer::Package, None) | (Answer::Confirmation, _) => {
                    // An objection names where marketing stopped, and the officer's decision on
                    // each use resting on legitimate interest; the others where they took effect.
                    let systems = match after.kind {
                        RequestKind::Objection => system_names(
                            app,
                            tasks.iter().filter(|t| {
                                t.action == TaskAction::OptOut && t.status.is_success()
                            }),
                        ),
                        // Where it took effect: not where nothing was held.
                        _ => system_names(
                            app,
                            tasks.iter().filter(|t| {
                                t.status == TaskStatus::Succeeded && t.action != TaskAction::Notify
                            }),
                        ),
                    };
                    let decisions = tasks
                        .iter()
                        .filter(|t| t.action == TaskAction::Decide && t.status.is_success())
                        .map(|t| m::ObjectionDecision {
                            system: system_label(app, &t.system),
                            upheld: decision_of(t) != Some(false),
                            grounds: t.note.clone(),
                            // The approval lifts it, in the transaction that sends this.
                            restriction_lifted: decision_of(t) == Some(false)
                                && tasks.iter().any(|r| {
                                    r.system == t.system
                                        && r.action == TaskAction::Restrict
                                        && r.status == TaskStatus::Succeeded
                                }),
                        })
                        .collect();
                    to_subject(
                        app,
                        conn,
                        after,
                        subject,
                        &m::CompletedOther {
                            regime: after.regime,
                            reference: after.reference.clone(),
                            kind: after.kind,
                            subject_name: name,
                            received_on: after.receipt_day,
                            systems,
                            decisions,
                            corrections: crate::requests::corrections_of(after),
                            recipients_notified: recipients,
                            authority: authority(app, after.regime, lang),
                            controller: controller(app),
                        },
                    )
                    .await
                    .map(|m| m.into_iter().collect())
                }
            }
        }
        Event::Withdraw => {
            let withdrawn_on = after
                .closed_at
                .unwrap_or(after.updated_at)
                .with_timezone(&crate::requests::time_zone_of(after)?)
                .date_naive();
            to_subject(
                app,
                conn,
                after,
                subject,
                &m::Withdrawn {
                    reference: after.reference.clone(),
                    kind: after.kind,
                    subject_name: name,
                    received_on: after.receipt_day,
                    withdrawn_on,
                    work_started: !tasks.is_empty(),
                    new_request_url: Some(link(app, "/request")),
                    controller: controller(app),
                },
            )
            .await
            .map(|m| m.into_iter().collect())
        }
        Event::VerificationLapsed => to_subject(
            app,
            conn,
            after,
            subject,
            &m::ClosedUnidentified {
                regime: after.regime,
                reference: after.reference.clone(),
                kind: after.kind,
                subject_name: name,
                received_on: after.receipt_day,
                reason: None,
                new_request_url: Some(link(app, "/request")),
                authority: authority(app, after.regime, lang),
                controller: controller(app),
            },
        )
        .await
        .map(|m| m.into_iter().collect()),
        _ => Ok(Vec::new()),
    }
}

/// The name a person reads for a system or recipient (`DataMap::label`).
pub(crate) fn system_label(app: &App, system: &str) -> String {
    app.systems.map.label(system).to_owned()
}

/// The display names of the tasks' systems, each once, in the tasks' order.
fn system_names<'a>(
    app: &App,
    tasks: impl Iterator<Item = &'a dsrflow_store::entity::task::Model>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tasks {
        let label = system_label(app, &t.system);
        if !out.contains(&label) {
            out.push(label);
        }
    }
    out
}

/// An objection decision task's decision: Some(true) upheld, Some(false) rejected.
fn decision_of(t: &dsrflow_store::entity::task::Model) -> Option<bool> {
    let outcome: serde_json::Value = serde_json::from_str(t.outcome.as_deref()?).ok()?;
    match outcome.get("decision")?.as_str()? {
        "upheld" => Some(true),
        "rejected" => Some(false),
        _ => None,
    }
}

/// The systems where the officer did not uphold an objection: their interim restriction is
/// lifted once the subject has been told (Art. 18(3)).
pub(crate) fn objection_refused_in(tasks: &[dsrflow_store::entity::task::Model]) -> Vec<String> {
    tasks
        .iter()
        .filter(|t| t.action == TaskAction::Decide && decision_of(t) == Some(false))
        .map(|t| t.system.clone())
        .collect()
}

/// Whether the officer refused part of an objection (a decision task rejected).
pub(crate) fn objection_refused(tasks: &[dsrflow_store::entity::task::Model]) -> bool {
    tasks
        .iter()
        .any(|t| t.action == TaskAction::Decide && decision_of(t) == Some(false))
}

fn erasure_line(
    app: &App,
    t: &dsrflow_store::entity::task::Model,
) -> dsrflow_mail::messages::ErasureLine {
    use dsrflow_mail::messages::{ErasureLine, ErasureOutcome};
    let items: Vec<dsrflow_connectors::Item> = t
        .outcome
        .as_deref()
        .and_then(|o| serde_json::from_str::<dsrflow_connectors::Report>(o).ok())
        .map(|r| r.items)
        .unwrap_or_default();
    let touched = |effect: dsrflow_connectors::Effect| {
        items.iter().any(|i| i.effect == effect && i.count > 0)
    };
    use dsrflow_connectors::Effect;
    let outcome = match t.status {
        TaskStatus::NotFound => ErasureOutcome::NothingHeld,
        TaskStatus::Retained => ErasureOutcome::Retained,
        _ if touched(Effect::Deleted) => ErasureOutcome::Erased,
        _ if touched(Effect::Anonymised) => ErasureOutcome::Anonymised,
        _ if touched(Effect::Requested) => ErasureOutcome::Requested,
        _ => ErasureOutcome::Erased,
    };
    let system = app.systems.map.system(&t.system);
    let mut kept: Vec<dsrflow_mail::messages::Kept> = Vec::new();
    for i in items
        .iter()
        .filter(|i| i.effect == Effect::Retained && i.count > 0)
    {
        let Some(rule) = i.rule.as_deref() else {
            continue;
        };
        let k = kept_of(system, rule, i.until);
        match kept
            .iter_mut()
            .find(|o| o.rule == k.rule && o.what == k.what)
        {
            // Two tables under one rule: the later day holds for both.
            Some(o) => o.until = o.until.max(k.until),
            None => kept.push(k),
        }
    }
    // What was erased lingers in backups until they rotate (the data map says how long).
    let backups_until = match outcome {
        ErasureOutcome::Erased | ErasureOutcome::Anonymised => {
            system.and_then(|s| s.backup_rotate_days).map(|days| {
                t.finished_at.unwrap_or(t.updated_at).date_naive()
                    + chrono::TimeDelta::days(i64::from(days))
            })
        }
        ErasureOutcome::NothingHeld | ErasureOutcome::Retained | ErasureOutcome::Requested => None,
    };
    ErasureLine {
        system: system_label(app, &t.system),
        outcome,
        kept,
        backups_until,
    }
}

/// What a retention line of a report keeps: the data map's rule it names (`invoice: kept …`,
/// from [`dsrflow_domain::datamap::RetentionRule::describe`]), else the text a person gave.
fn kept_of(
    system: Option<&dsrflow_domain::datamap::System>,
    rule: &str,
    until: Option<chrono::NaiveDate>,
) -> dsrflow_mail::messages::Kept {
    use dsrflow_domain::datamap::Period;
    use dsrflow_mail::messages::{Kept, KeptFor, PeriodUnit};
    let category = rule.split(':').next().unwrap_or_default().trim();
    let known = system.and_then(|s| {
        s.retention
            .iter()
            .find(|r| r.category == category && r.describe() == rule)
    });
    match known {
        Some(r) => Kept {
            what: Some(r.category.clone()),
            period: Some(match r.period {
                Period::Days(n) => KeptFor {
                    count: n,
                    unit: PeriodUnit::Days,
                },
                Period::Months(n) => KeptFor {
                    count: n,
                    unit: PeriodUnit::Months,
                },
                Period::Years(n) => KeptFor {
                    count: n,
                    unit: PeriodUnit::Years,
                },
            }),
            basis: serde_json::to_value(r.basis)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned)),
            rule: r.rule.clone(),
            until,
        },
        None => Kept {
            what: None,
            period: None,
            basis: None,
            rule: rule.to_owned(),
            until,
        },
    }
}
