//! The transactional outbox. A message is rendered and written (sealed) in the same transaction
//! as the state change that causes it, then delivered by a job with retries and backoff. A
//! delivered message is marked sent and its address and body are cleared (the row stays as
//! proof); a permanently failing one is marked failed. Because SMTP has no idempotency, a
//! worker that dies after the server accepted a message but before recording it may send it
//! once more after its lease expires; the window is one SMTP transaction.

use dsrflow_domain::AuditAction;
use std::time::Duration;

use chrono::TimeDelta;
use dsrflow_domain::Actor;
use dsrflow_domain::channel::Language;
use dsrflow_domain::task::retry_delay_secs;
use dsrflow_store::audit::NewEvent;
use dsrflow_store::entity::outbox;
use dsrflow_store::outbox as oq;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::jobs::Job;
use crate::{App, AppError};

pub use dsrflow_domain::message::{Audience, MailStatus};

/// A rendered message to queue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// "Send once" key across workers and replays (e.g. `ack:<request id>`).
    pub dedupe_key: Option<String>,
    /// The request it is about.
    pub request_id: Option<Uuid>,
    /// The task it belongs to.
    pub task_id: Option<Uuid>,
    /// The template's name.
    pub template: &'static str,
    /// The language it is in.
    pub language: Language,
    /// Who it is for.
    pub audience: Audience,
    /// The address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The text body.
    pub text: String,
    /// The HTML body.
    pub html: Option<String>,
    /// In-Reply-To for follow-ups.
    pub in_reply_to: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Body {
    text: String,
    html: Option<String>,
    reference: Option<String>,
}

/// A message handed to the transport.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// The Message-ID header value.
    pub message_id: String,
    /// The address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The text body.
    pub text: String,
    /// The HTML body.
    pub html: Option<String>,
    /// In-Reply-To.
    pub in_reply_to: Option<String>,
    /// The request reference, for the `X-DSRflow-Reference` header.
    pub reference: Option<String>,
    /// The language the message is in (`Content-Language`).
    pub language: Language,
}

/// Why sending failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying (connection refused, timeout, 4xx reply).
    #[error("{0}")]
    Transient(String),
    /// Retrying will not help (5xx reply, invalid address).
    #[error("{0}")]
    Permanent(String),
}

/// Sends one message (SMTP, file or memory; see `dsrflow_mail`).
pub trait MailSender: Send + Sync {
    /// Sends a message.
    fn send<'a>(&'a self, mail: &'a OutgoingMail) -> BoxFuture<'a, Result<(), SendError>>;
}

/// Drops every message (contexts that send no mail).
#[derive(Debug, Default)]
pub struct NoMail;

impl MailSender for NoMail {
    fn send<'a>(&'a self, _mail: &'a OutgoingMail) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async {
            Err(SendError::Transient(
                "no mail transport configured".to_owned(),
            ))
        })
    }
}

/// A masked address for proof and logs: `a***@e***.com`.
pub fn mask(address: &str) -> String {
    match dsrflow_domain::SubjectEmail::parse(address) {
        Ok(e) => e.masked(),
        Err(_) => "***".to_owned(),
    }
}

/// Queues a message inside the caller's transaction; returns its id, or None when a message
/// with the same dedupe key was already queued.
pub async fn enqueue(
    app: &App,
    conn: &impl sea_orm::ConnectionTrait,
    msg: NewMessage,
    reference: Option<&str>,
) -> Result<Option<Uuid>, AppError> {
    insert_row(conn, row(app, msg, reference)?).await
}

/// Queues a message's row inside the caller's transaction; its id, or None when its dedupe key
/// was taken.
pub(crate) async fn insert_row(
    conn: &impl sea_orm::ConnectionTrait,
    row: outbox::Model,
) -> Result<Option<Uuid>, AppError> {
    let id = row.id;
    Ok(oq::insert(conn, row).await?.then_some(id))
}

/// The outbox row of a message (address and body sealed), ready to insert.
pub(crate) fn row(
    app: &App,
    msg: NewMessage,
    reference: Option<&str>,
) -> Result<outbox::Model, AppError> {
    let now = app.clock.now();
    let id = Uuid::now_v7();
    let body = serde_json::to_vec(&Body {
        text: msg.text,
        html: msg.html,
        reference: reference.map(str::to_owned),
    })
    .map_err(|e| AppError::Internal(format!("outbox body: {e}")))?;
    Ok(outbox::Model {
        id,
        dedupe_key: msg.dedupe_key,
        request_id: msg.request_id,
        task_id: msg.task_id,
        template: msg.template.to_owned(),
        language: msg.language.as_str().to_owned(),
        audience: msg.audience,
        to_masked: mask(&msg.to),
        to_address: Some(msg.to),
        subject: msg.subject,
        body: Some(app.settings.data_key.seal(id.as_bytes(), &body)),
        message_id: message_id(app, id),
        in_reply_to: msg.in_reply_to,
        status: MailStatus::Pending,
        attempts: 0,
        last_error: None,
        next_attempt_at: None,
        lease_until: None,
        created_at: now,
        sent_at: None,
        updated_at: now,
        version: 0,
    })
}

/// The Message-ID of an outbox message: `<dsr-{id}@{host of the public URL}>`.
pub fn message_id(app: &App, id: Uuid) -> String {
    let host = app
        .settings
        .public_url
        .split("://")
        .nth(1)
        .unwrap_or("dsrflow.invalid")
        .split(['/', ':'])
        .next()
        .filter(|h| !h.is_empty())
        .unwrap_or("dsrflow.invalid");
    format!("<dsr-{id}@{host}>")
}

/// Most attempts before a message is marked failed.
pub const MAX_ATTEMPTS: i32 = 10;
const LEASE: Duration = Duration::from_secs(120);

/// Delivers one message if it is due (idempotent: a sent message is never sent again).
pub async fn deliver(app: &App, id: Uuid) -> Result<(), AppError> {
    let now = app.clock.now();
    // Claim: read outside the write transaction (on SQLite it is exclusive); the version-checked
    // update alone makes the claim safe, and needs no transaction of its own.
    let db = app.store.db();
    let Some(mut m) = oq::find(db, id).await? else {
        return Ok(());
    };
    let due = match m.status {
        MailStatus::Pending => m.next_attempt_at.is_none_or(|t| t <= now),
        MailStatus::Sending => m.lease_until.is_none_or(|t| t <= now),
        MailStatus::Sent | MailStatus::Failed => false,
    };
    if !due {
        return Ok(());
    }
    m.status = MailStatus::Sending;
    m.attempts += 1;
    m.lease_until = Some(now + TimeDelta::from_std(LEASE).unwrap_or(TimeDelta::minutes(2)));
    m.updated_at = now;
    let m = match app.store.gated(oq::update(db, m)).await {
        Ok(m) => m,
        Err(dsrflow_store::StoreError::Concurrent) => return Ok(()),
        Err(e) => return Err(e.into()),
    };

    let (Some(to), Some(sealed)) = (m.to_address.clone(), m.body.clone()) else {
        return finish(
            app,
            m,
            Err(SendError::Permanent(
                "message has no address or body".to_owned(),
            )),
        )
        .await;
    };
    let body: Body = match app
        .settings
        .data_key
        .open(m.id.as_bytes(), &sealed)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
    {
        Some(b) => b,
        None => {
            return finish(
                app,
                m,
                Err(SendError::Permanent("sealed body unreadable".to_owned())),
            )
            .await;
        }
    };
    let mail = OutgoingMail {
        message_id: m.message_id.clone(),
        to,
        subject: m.subject.clone(),
        text: body.text,
        html: body.html,
        in_reply_to: m.in_reply_to.clone(),
        reference: body.reference,
        language: m.language.parse().unwrap_or_default(),
    };
    let result = app.mailer.send(&mail).await;
    finish(app, m, result).await
}

async fn finish(
    app: &App,
    claimed: outbox::Model,
    result: Result<(), SendError>,
) -> Result<(), AppError> {
    let now = app.clock.now();
    // The update below is version-checked: if the message changed since the claim (another
    // worker took it over after the lease), theirs wins. It commits with its audit event on its
    // own, batched with the other outcomes recorded at that moment (`Store::audited_change`).
    let mut m = claimed;
    let mut wake_at = None;
    let (action, data) = match result {
        Ok(()) => {
            m.status = MailStatus::Sent;
            m.sent_at = Some(now);
            // Data minimisation: the proof is the row, not the content.
            m.to_address = None;
            m.body = None;
            m.last_error = None;
            m.lease_until = None;
            (
                AuditAction::MailSent,
                json!({"outbox_id": m.id, "template": m.template, "audience": m.audience, "to": m.to_masked}),
            )
        }
        Err(SendError::Transient(e)) if m.attempts < MAX_ATTEMPTS => {
            let delay = retry_delay_secs(u32::try_from(m.attempts).unwrap_or(1), None);
            m.status = MailStatus::Pending;
            m.last_error = Some(e);
            m.lease_until = None;
            m.next_attempt_at =
                Some(now + TimeDelta::seconds(i64::try_from(delay).unwrap_or(3600)));
            wake_at = m.next_attempt_at;
            (
                AuditAction::MailRetryScheduled,
                json!({"outbox_id": m.id, "attempts": m.attempts}),
            )
        }
        Err(SendError::Transient(e) | SendError::Permanent(e)) => {
            m.status = MailStatus::Failed;
            m.last_error = Some(e);
            m.lease_until = None;
            (
                AuditAction::MailFailed,
                json!({"outbox_id": m.id, "template": m.template, "audience": m.audience, "attempts": m.attempts}),
            )
        }
    };
    m.updated_at = now;
    let event = NewEvent {
        request_id: m.request_id,
        actor: Actor::System,
        action,
        data,
        at: now,
    };
    let m = match oq::update_audited_alone(&app.store, m, event).await {
        Ok(m) => m,
        Err(dsrflow_store::StoreError::Concurrent) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    tracing::info!(message = %m.message_id, to = %m.to_masked, status = %m.status, "mail delivery");
    if wake_at.is_some() {
        app.wake(Job::Deliver(m.id), wake_at).await;
    }
    Ok(())
}

/// Sends outbox messages with the `dsrflow_mail` mailer (SMTP, file or memory transport).
#[derive(Debug)]
pub struct Mailer(pub dsrflow_mail::Mailer);

impl MailSender for Mailer {
    fn send<'a>(&'a self, mail: &'a OutgoingMail) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let mut out = dsrflow_mail::Outgoing::new(
                mail.to.clone(),
                mail.message_id.clone(),
                dsrflow_mail::Rendered {
                    subject: mail.subject.clone(),
                    text: mail.text.clone(),
                    html: mail.html.clone().unwrap_or_default(),
                    language: mail.language,
                },
            );
            if mail.html.is_none() {
                out.html = None;
            }
            if let Some(id) = &mail.in_reply_to {
                out = out.in_reply_to(id.clone());
            }
            if let Some(reference) = &mail.reference {
                out = out.automatic(reference.clone());
            }
            match self.0.send(&out).await {
                Ok(_) => Ok(()),
                Err(e @ dsrflow_mail::MailError::Transient { .. }) => {
                    Err(SendError::Transient(e.to_string()))
                }
                Err(e) => Err(SendError::Permanent(e.to_string())),
            }
        })
    }
}

/// What the operator sees of a queued message: never its address (masked) or its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailView {
    /// The outbox id (for `mail resend`).
    pub id: Uuid,
    /// The request it is about.
    pub request_id: Option<Uuid>,
    /// The template's name (what kind of message).
    pub template: String,
    /// Who it is for: subject, processor, recipient or officer.
    pub audience: Audience,
    /// The address, masked.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: MailStatus,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// Why the last attempt failed (addresses masked).
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When the relay accepted it.
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<outbox::Model> for MailView {
    fn from(m: outbox::Model) -> Self {
        Self {
            id: m.id,
            request_id: m.request_id,
            template: m.template,
            audience: m.audience,
            to: m.to_masked,
            subject: m.subject,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error.as_deref().map(mask_addresses),
            created_at: m.created_at,
            sent_at: m.sent_at,
        }
    }
}

/// Every e-mail address in `text` masked (an SMTP reply often quotes the recipient).
pub fn mask_addresses(text: &str) -> String {
    text.split_inclusive(|c: char| c.is_whitespace())
        .map(|word| {
            let core = word.trim_end();
            let tail = &word[core.len()..];
            let inner = core.trim_matches(|c: char| "<>()[],;:\"'".contains(c));
            if inner.contains('@') {
                let start = core.find(inner).unwrap_or(0);
                format!(
                    "{}{}{}{tail}",
                    &core[..start],
                    mask(inner),
                    &core[start + inner.len()..]
                )
            } else {
                word.to_owned()
            }
        })
        .collect()
}

/// One page of the outbox, newest first, optionally only one status (its name, as a filter
/// given by a person: an unknown one is refused with the list of names).
pub async fn list(
    app: &App,
    status: Option<&str>,
    page: u64,
    per_page: u64,
) -> Result<(Vec<MailView>, u64), AppError> {
    let status = status
        .map(|s| {
            s.parse::<MailStatus>().map_err(|_| {
                AppError::Validation(vec![crate::FieldError::new(
                    "status",
                    format!(
                        "must be one of {}",
                        MailStatus::ALL
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )])
            })
        })
        .transpose()?;
    let (rows, total) = oq::list(app.store.db(), status, page, per_page).await?;
    Ok((rows.into_iter().map(MailView::from).collect(), total))
}

/// Sends a failed message again: it goes back to the queue with a fresh count of attempts
/// (its Message-ID stays, so a copy that did arrive after all is recognisable). Only a
/// `failed` message can be resent. Audited as `mail.resend`.
pub async fn resend(app: &App, actor: Actor, id: Uuid) -> Result<MailView, AppError> {
    let now = app.clock.now();
    let mut m = oq::find(app.store.db(), id)
        .await?
        .ok_or(AppError::NotFound("message"))?;
    if m.status != MailStatus::Failed {
        return Err(AppError::Conflict(format!(
            "only a failed message can be resent; this one is {}",
            m.status
        )));
    }
    if m.to_address.is_none() || m.body.is_none() {
        return Err(AppError::Conflict(
            "this message's address or body is no longer kept; it cannot be resent".to_owned(),
        ));
    }
    m.status = MailStatus::Pending;
    m.attempts = 0;
    m.next_attempt_at = None;
    m.lease_until = None;
    m.updated_at = now;
    let event = NewEvent {
        request_id: m.request_id,
        actor,
        action: AuditAction::MailResend,
        data: json!({"outbox_id": m.id, "template": m.template, "audience": m.audience, "to": m.to_masked}),
        at: now,
    };
    let m = oq::update_audited_alone(&app.store, m, event)
        .await
        .map_err(|e| match e {
            dsrflow_store::StoreError::Concurrent => AppError::Conflict(
                "the message changed at the same time; reload and retry".to_owned(),
            ),
            other => other.into(),
        })?;
    app.wake(Job::Deliver(m.id), None).await;
    Ok(MailView::from(m))
}
