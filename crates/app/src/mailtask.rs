//! The application side of the `email` connector: renders and queues the mail the connector
//! asked for, and keeps the state on the task (how many reminders went out, when to look again);
//! the processor's confirmation link completes the task.

use chrono::{DateTime, TimeDelta, Utc};
use dsrflow_connectors::{Effect, Item, MailKind, MailOut, Report};
use dsrflow_domain::Actor;
use dsrflow_domain::AuditAction;
use dsrflow_domain::{RequestKind, TaskAction, TaskStatus};
use dsrflow_mail::messages::{self as m, Identifier, IdentifierKind};
use dsrflow_store::audit::{self, NewEvent};
use dsrflow_store::entity::task;
use dsrflow_store::requests::RequestRecord;
use dsrflow_store::tasks as tq;
use serde_json::json;
use uuid::Uuid;

use crate::notify;
use crate::outbox::Audience;
use crate::{App, AppError};

/// The processor's confirmation token of a task: derived from the task id with the data key
/// (so reminders carry the same link); only its hash is ever compared.
pub fn confirm_token(app: &App, task_id: Uuid) -> String {
    app.settings
        .data_key
        .keyed_hash("processor-confirm", &task_id.to_string())
}

/// How the person identified themselves, for a message to a processor or a controller.
pub(crate) fn identifiers(rec: &RequestRecord) -> Vec<Identifier> {
    let s = &rec.subject;
    let mut out = vec![Identifier {
        kind: IdentifierKind::Email,
        value: s.email.as_str().to_owned(),
    }];
    if let Some(n) = &s.name {
        out.push(Identifier {
            kind: IdentifierKind::Name,
            value: n.as_str().to_owned(),
        });
    }
    if let Some(a) = &s.account_id {
        out.push(Identifier {
            kind: IdentifierKind::AccountId,
            value: a.as_str().to_owned(),
        });
    }
    if let Some(p) = &s.phone {
        out.push(Identifier {
            kind: IdentifierKind::Phone,
            value: p.as_str().to_owned(),
        });
    }
    out
}

/// A rectification's corrections, one `field: value` per line, for the processor or recipient
/// who applies them; None for other kinds.
fn corrections_text(rec: &RequestRecord) -> Option<String> {
    let list = crate::requests::corrections_of(&rec.request);
    (!list.is_empty()).then(|| dsrflow_domain::rectification::describe(&list))
}

/// Renders the mail `out` for task `t` into `mail` (the rows to queue with the task's update)
/// and updates the task; returns the audit event.
pub fn send(
    app: &App,
    mail: &mut Vec<dsrflow_store::entity::outbox::Model>,
    t: &mut task::Model,
    rec: &RequestRecord,
    out: &MailOut,
    now: DateTime<Utc>,
) -> Result<(AuditAction, serde_json::Value), AppError> {
    let req = &rec.request;
    // The page opens in the processor's language.
    let confirm_url = notify::link(
        app,
        &format!(
            "/confirm/{}?lang={}",
            confirm_token(app, t.id),
            out.language.as_str()
        ),
    );
    let first_sent = t.started_at.unwrap_or(now).date_naive();
    let respond_by = first_sent + TimeDelta::days(i64::from(out.respond_within_days));
    let lease = now + TimeDelta::from_std(out.check_after).unwrap_or(TimeDelta::days(7));
    let queue = |msg_name: &'static str| format!("{msg_name}:{}", t.id);
    match out.kind {
        MailKind::Request => {
            mail.push(notify::row(
                app,
                &m::ProcessorRequest {
                    reference: req.reference.clone(),
                    kind: req.kind,
                    processor_name: out.name.clone(),
                    identifiers: identifiers(rec),
                    details: corrections_text(rec),
                    confirm_url,
                    respond_by,
                    controller: notify::controller(app),
                },
                out.language,
                Audience::Processor,
                &out.to,
                Some(req),
                Some(t.id),
                Some(queue("processor_request")),
            )?);
            t.status = TaskStatus::Running;
            t.external_ref = Some("mail:0".to_owned());
            t.lease_until = Some(lease);
            Ok((AuditAction::TaskMailSent, json!({"mail": "request"})))
        }
        MailKind::Reminder(n) => {
            mail.push(notify::row(
                app,
                &m::ProcessorReminder {
                    reference: req.reference.clone(),
                    kind: req.kind,
                    processor_name: out.name.clone(),
                    first_sent_on: first_sent,
                    respond_by,
                    confirm_url,
                    reminder_number: n,
                    controller: notify::controller(app),
                },
                out.language,
                Audience::Processor,
                &out.to,
                Some(req),
                Some(t.id),
                Some(format!("processor_reminder:{}:{n}", t.id)),
            )?);
            t.status = TaskStatus::Running;
            t.external_ref = Some(format!("mail:{n}"));
            t.lease_until = Some(lease);
            Ok((
                AuditAction::TaskMailSent,
                json!({"mail": "reminder", "number": n}),
            ))
        }
        MailKind::Escalate => {
            let reminders =
                dsrflow_connectors::email::reminders_sent(t.external_ref.as_deref()).unwrap_or(0);
            t.status = TaskStatus::AwaitingManual;
            t.lease_until = None;
            t.instructions = Some(format!(
                "{} has not confirmed the request sent on {first_sent} despite {reminders} reminder(s): chase it and complete this task by hand",
                out.name
            ));
            if let Some(officer) = &app.settings.officer_address {
                mail.push(notify::row(
                    app,
                    &m::Escalation {
                        reference: req.reference.clone(),
                        kind: req.kind,
                        deadline: req.deadline,
                        reason: m::EscalationReason::ProcessorSilent {
                            processor: out.name.clone(),
                            sent_on: first_sent,
                            reminders_sent: reminders,
                        },
                        request_url: notify::link(app, &format!("/api/v1/requests/{}", req.id)),
                    },
                    dsrflow_domain::channel::Language::En,
                    Audience::Officer,
                    officer,
                    Some(req),
                    Some(t.id),
                    Some(queue("escalation:processor")),
                )?);
            }
            Ok((AuditAction::TaskEscalated, json!({"reminders": reminders})))
        }
        MailKind::Notice => {
            // Art. 19 covers rectification, erasure and restriction; the data map plans
            // recipient notices for those kinds only, and any other is told as an erasure.
            let action = match req.kind {
                RequestKind::Rectification => m::NoticeAction::Rectification,
                RequestKind::Restriction => m::NoticeAction::Restriction,
                RequestKind::Erasure
                | RequestKind::Access
                | RequestKind::Objection
                | RequestKind::Portability
                | RequestKind::ConsentWithdrawal => m::NoticeAction::Erasure,
            };
            mail.push(notify::row(
                app,
                &m::RecipientNotice {
                    reference: req.reference.clone(),
                    action,
                    recipient_name: out.name.clone(),
                    identifiers: identifiers(rec),
                    details: corrections_text(rec),
                    // A notice is planned when the work it tells of has settled.
                    carried_out_on: t.created_at.date_naive(),
                    // Optional for the recipient: following it records the acknowledgement.
                    confirm_url: Some(confirm_url),
                    controller: notify::controller(app),
                },
                out.language,
                Audience::Recipient,
                &out.to,
                Some(req),
                Some(t.id),
                Some(queue("recipient_notice")),
            )?);
            let report = Report {
                items: vec![Item {
                    target: out.name.clone(),
                    effect: Effect::Notified,
                    count: 1,
                    rule: None,
                    until: None,
                }],
                data: vec![],
                note: None,
            };
            t.status = TaskStatus::Succeeded;
            t.outcome = Some(serde_json::to_string(&report).unwrap_or_default());
            t.finished_at = Some(now);
            t.lease_until = None;
            t.external_ref = Some(tq::NOTICE_SENT.to_owned());
            Ok((
                AuditAction::TaskFinished,
                json!({"status": "succeeded", "effects": [{"target": out.name, "effect": "notified", "count": 1}]}),
            ))
        }
    }
}

/// What a processor's confirmation link points to.
#[derive(Debug, Clone)]
pub struct Pending {
    /// The task.
    pub task: task::Model,
    /// The request's reference.
    pub reference: String,
    /// The request kind.
    pub kind: dsrflow_domain::RequestKind,
}

/// The task behind a confirmation token, if it still waits for the processor.
pub async fn by_token(app: &App, token: &str) -> Result<Pending, AppError> {
    if token.len() != 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AppError::NotFound("confirmation link"));
    }
    // The token is derived from the task id: find the task whose token matches among those
    // waiting for mail and the notices not yet acknowledged (few at any time), comparing in
    // constant time.
    let mut candidates = tq::waiting_for_mail(app.store.db()).await?;
    candidates.extend(tq::notices_unacknowledged(app.store.db()).await?);
    for t in candidates {
        let expected = confirm_token(app, t.id);
        if subtle_eq(expected.as_bytes(), token.as_bytes()) {
            let rec = dsrflow_store::requests::find(app.store.db(), t.request_id)
                .await?
                .ok_or(AppError::NotFound("confirmation link"))?;
            return Ok(Pending {
                task: t,
                reference: rec.request.reference,
                kind: rec.request.kind,
            });
        }
    }
    Err(AppError::NotFound("confirmation link"))
}

fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The processor confirms it carried out the request: the task succeeds.
pub async fn confirm(app: &App, token: &str) -> Result<Pending, AppError> {
    let pending = by_token(app, token).await?;
    let now = app.clock.now();
    let tx = app.store.write().await?;
    let mut t = tq::find(&*tx, pending.task.id)
        .await?
        .ok_or(AppError::NotFound("confirmation link"))?;
    // A recipient acknowledges the Art. 19 notice: evidence that it arrived and was acted on.
    if t.action == TaskAction::Notify {
        if t.external_ref.as_deref() != Some(tq::NOTICE_SENT) {
            return Err(AppError::Gone(
                "this notice was already acknowledged".to_owned(),
            ));
        }
        t.external_ref = Some(tq::NOTICE_ACKNOWLEDGED.to_owned());
        t.completed_by = Some(format!("recipient:{}", t.system));
        t.updated_at = now;
        let t = tq::update(&*tx, t).await?;
        audit::append(
            &*tx,
            NewEvent {
                request_id: Some(t.request_id),
                actor: Actor::System,
                action: AuditAction::TaskAcknowledgedByRecipient,
                data: json!({"task_id": t.id, "system": t.system}),
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        return Ok(Pending { task: t, ..pending });
    }
    if t.status.is_final() {
        return Err(AppError::Gone(
            "this request was already confirmed".to_owned(),
        ));
    }
    let name = app.systems.map.label(&t.system).to_owned();
    let effect = match t.action {
        TaskAction::Erase => Effect::Deleted,
        TaskAction::OptOut => Effect::OptedOut,
        TaskAction::Restrict => Effect::Restricted,
        _ => Effect::Done,
    };
    t.status = TaskStatus::Succeeded;
    t.outcome = Some(
        serde_json::to_string(&Report {
            items: vec![Item {
                target: name,
                effect,
                count: 1,
                rule: None,
                until: None,
            }],
            data: vec![],
            note: Some("confirmed by the processor through its confirmation link".to_owned()),
        })
        .unwrap_or_default(),
    );
    t.finished_at = Some(now);
    t.lease_until = None;
    t.completed_by = Some(format!("processor:{}", t.system));
    t.updated_at = now;
    let t = tq::update(&*tx, t).await?;
    audit::append(
        &*tx,
        NewEvent {
            request_id: Some(t.request_id),
            actor: Actor::System,
            action: AuditAction::TaskConfirmedByProcessor,
            data: json!({"task_id": t.id, "system": t.system, "action": t.action}),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    app.wake(crate::jobs::Job::Settle(t.request_id), None).await;
    Ok(Pending { task: t, ..pending })
}
