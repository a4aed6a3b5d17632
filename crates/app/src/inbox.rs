//! Intake from the privacy@ mailbox (the IMAP poller and `dsrflow ingest-mail` feed the same
//! function): each message is parsed and classified (`dsrflow_mail::inbound`) and becomes one
//! request per right it asks for (sharing the receipt time, which is when the mail reached the
//! mailbox), or is attached to the request it answers, or ignored (auto-replies, bounces,
//! already processed), or put in the officer's review queue with the original kept (sealed).
//! Every message is processed once: by Message-ID (or a digest of its bytes) and by its IMAP
//! UID, recorded in the same transaction as the requests it creates.

use dsrflow_domain::Actor;
use dsrflow_domain::AuditAction;
use dsrflow_domain::RequestKind;
use dsrflow_domain::channel::Channel;
use dsrflow_mail::inbound::{self, Classification};
use dsrflow_store::audit::{self, NewEvent};
use dsrflow_store::entity::inbound_message;
use dsrflow_store::inbox as iq;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::requests::{Caller, NewRequest, after_commit_group, prepare_group, store_group};
use crate::{App, AppError, FieldError};
use dsrflow_domain::inbox::{InboxOutcome, ReviewStatus};

/// What became of a message (the JSON shape of `dsrflow ingest-mail --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Ingested {
    /// One request per right asked for.
    Created {
        /// The new requests.
        requests: Vec<CreatedRequest>,
    },
    /// A reply to an existing request, attached to it.
    Attached {
        /// The request.
        request_id: Uuid,
    },
    /// Nothing to do (auto-reply, bounce, already processed).
    Ignored {
        /// Why.
        reason: String,
    },
    /// Not understood: waits in the officer's review queue.
    Review {
        /// The review item.
        review_item_id: Uuid,
        /// Why it could not be classified.
        reason: String,
    },
}

/// A request created from a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedRequest {
    /// Its id.
    pub id: Uuid,
    /// Its kind.
    pub kind: RequestKind,
}

/// Most characters of a mail's text kept as the request's details.
const DETAILS_CHARS: usize = 10_000;

fn masked_from(msg: &inbound::Inbound) -> String {
    msg.from()
        .map(|e| e.masked())
        .unwrap_or_else(|| "***".to_owned())
}

/// Ingests one RFC 822 message. `internal_date` is the IMAP INTERNALDATE when known; `source`
/// identifies the mailbox copy (e.g. `imap:INBOX:<uidvalidity>:<uid>`), None for a file.
pub async fn ingest(
    app: &App,
    raw: &[u8],
    internal_date: Option<chrono::DateTime<chrono::Utc>>,
    source: Option<String>,
) -> Result<Ingested, AppError> {
    let now = app.clock.now();
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(raw)));
    let parsed = inbound::parse(raw, internal_date);
    let message_id = parsed
        .as_ref()
        .map(|m| m.dedup_key())
        .unwrap_or_else(|_| digest.clone());
    if iq::find_processed(app.store.db(), &message_id, source.as_deref())
        .await?
        .is_some()
    {
        return Ok(Ingested::Ignored {
            reason: "already processed".to_owned(),
        });
    }
    let msg = match parsed {
        Ok(m) => m,
        Err(e) => {
            let received = Received {
                raw,
                message_id: &message_id,
                source,
                received_at: internal_date.unwrap_or(now),
                from_masked: "***".to_owned(),
            };
            return review(app, &received, &e.to_string()).await;
        }
    };
    // When the mail reached the mailbox, never later than now.
    let received_at = msg.received_at().unwrap_or(now).min(now);
    let received = Received {
        raw,
        message_id: &message_id,
        source,
        received_at,
        from_masked: masked_from(&msg),
    };
    match inbound::classify(&msg) {
        Classification::AutoReply { reason } => {
            record(app, &received, Filed::Ignored { reason }).await?;
            Ok(Ingested::Ignored {
                reason: reason.to_owned(),
            })
        }
        Classification::Reply {
            reference,
            in_reply_to,
        } => {
            let mut request_id = None;
            for id in &in_reply_to {
                let bracketed = format!("<{}>", id.trim_matches(['<', '>']));
                if let Some(m) =
                    dsrflow_store::outbox::by_message_id(app.store.db(), &bracketed).await?
                    && let Some(r) = m.request_id
                {
                    request_id = Some(r);
                    break;
                }
            }
            if request_id.is_none()
                && let Some(reference) = &reference
                && let Some(rec) = dsrflow_store::requests::find_by_reference(
                    app.store.db(),
                    &reference.to_uppercase(),
                )
                .await?
            {
                request_id = Some(rec.request.id);
            }
            match request_id {
                Some(rid) => {
                    record(app, &received, Filed::Attached { request: rid }).await?;
                    Ok(Ingested::Attached { request_id: rid })
                }
                None => review(app, &received, "a reply to a request dsrflow does not know").await,
            }
        }
        Classification::Request {
            kinds,
            email,
            name,
            language,
            ..
        } => {
            let caller = Caller {
                actor: Actor::Mail,
                can_vouch: false,
            };
            let text = msg.text();
            let details: String = text.chars().take(DETAILS_CHARS).collect();
            let mut news = Vec::new();
            for kind in &kinds {
                news.push(NewRequest {
                    kind: *kind,
                    email: email.clone(),
                    name: name.clone(),
                    account_id: None,
                    phone: None,
                    regime: None,
                    received_at: Some(received_at),
                    channel: Channel::Email,
                    language,
                    details: (!details.trim().is_empty()).then(|| details.clone()),
                    corrections: Vec::new(),
                    identity_verified: false,
                });
            }
            let mut group = match prepare_group(app, &caller, news) {
                Ok(g) => g,
                // E.g. an address the mail relay cannot reach: a person decides what to do.
                Err(AppError::Validation(fields)) => {
                    let why = FieldError::join(&fields);
                    return review(
                        app,
                        &received,
                        &format!("the request could not be taken in ({why})"),
                    )
                    .await;
                }
                Err(e) => return Err(e),
            };
            // Our answers thread under the requester's mail.
            if let Some(id) = msg.message_id() {
                group.reply_to(id);
            }
            let ids = group.ids();
            let tx = app.store.write().await?;
            let mail = store_group(app, &*tx, &group).await?;
            insert_row(app, &*tx, &received, Filed::Created { requests: &ids }).await?;
            tx.commit().await?;
            after_commit_group(app, &group, mail).await;
            Ok(Ingested::Created {
                requests: group
                    .items
                    .iter()
                    .map(|p| CreatedRequest {
                        id: p.id(),
                        kind: p.kind(),
                    })
                    .collect(),
            })
        }
        Classification::Unclassified { reason } => review(app, &received, &reason).await,
    }
}

/// A received message, as it is filed.
struct Received<'a> {
    raw: &'a [u8],
    message_id: &'a str,
    /// The mailbox copy (`imap:INBOX:<uidvalidity>:<uid>`), None for a file.
    source: Option<String>,
    received_at: chrono::DateTime<chrono::Utc>,
    from_masked: String,
}

/// What became of a received message.
#[derive(Debug, Clone, Copy)]
enum Filed<'a> {
    /// It became these requests.
    Created { requests: &'a [Uuid] },
    /// A reply, attached to its request.
    Attached { request: Uuid },
    /// Nothing to do, for this reason.
    Ignored { reason: &'a str },
    /// Waits for the officer, for this reason.
    Review { reason: &'a str },
}

impl Filed<'_> {
    fn outcome(self) -> InboxOutcome {
        match self {
            Filed::Created { .. } => InboxOutcome::Created,
            Filed::Attached { .. } => InboxOutcome::Attached,
            Filed::Ignored { .. } => InboxOutcome::Ignored,
            Filed::Review { .. } => InboxOutcome::Review,
        }
    }
}

/// Files a received message in the caller's transaction, with its audit event; returns the
/// row's id (a review item's id).
async fn insert_row(
    app: &App,
    conn: &impl sea_orm::ConnectionTrait,
    msg: &Received<'_>,
    filed: Filed<'_>,
) -> Result<Uuid, AppError> {
    let now = app.clock.now();
    let id = Uuid::now_v7();
    let (reason, request_ids, attached_to, action, data) = match filed {
        Filed::Created { requests } => (
            None,
            requests.to_vec(),
            None,
            AuditAction::InboxRequestsCreated,
            json!({"inbound_id": id, "requests": requests}),
        ),
        Filed::Attached { request } => (
            None,
            vec![request],
            Some(request),
            AuditAction::InboxReplyAttached,
            json!({"inbound_id": id}),
        ),
        Filed::Ignored { reason } => (
            Some(reason),
            Vec::new(),
            None,
            AuditAction::InboxMessageIgnored,
            json!({"inbound_id": id, "reason": reason}),
        ),
        Filed::Review { reason } => (
            Some(reason),
            Vec::new(),
            None,
            AuditAction::InboxReviewQueued,
            json!({"inbound_id": id, "reason": reason}),
        ),
    };
    let outcome = filed.outcome();
    // The original is kept (sealed) for review and as the request's correspondence; an ignored
    // auto-reply is not kept.
    let keep = outcome != InboxOutcome::Ignored;
    iq::insert(
        conn,
        inbound_message::Model {
            id,
            message_id: msg.message_id.chars().take(998).collect(),
            source: msg.source.clone(),
            received_at: msg.received_at,
            from_masked: msg.from_masked.clone(),
            outcome,
            reason: reason.map(str::to_owned),
            request_ids: serde_json::to_string(&request_ids).unwrap_or_else(|_| "[]".to_owned()),
            raw: keep.then(|| app.settings.data_key.seal(id.as_bytes(), msg.raw)),
            review_status: (outcome == InboxOutcome::Review).then_some(ReviewStatus::Open),
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    audit::append(
        conn,
        NewEvent {
            request_id: attached_to,
            actor: Actor::Mail,
            action,
            data,
            at: now,
        },
    )
    .await?;
    Ok(id)
}

/// Files a received message in a transaction of its own.
async fn record(app: &App, msg: &Received<'_>, filed: Filed<'_>) -> Result<Uuid, AppError> {
    let tx = app.store.write().await?;
    let id = insert_row(app, &*tx, msg, filed).await?;
    tx.commit().await?;
    Ok(id)
}

/// Puts a received message in the officer's review queue.
async fn review(app: &App, msg: &Received<'_>, reason: &str) -> Result<Ingested, AppError> {
    let id = record(app, msg, Filed::Review { reason }).await?;
    Ok(Ingested::Review {
        review_item_id: id,
        reason: reason.to_owned(),
    })
}

/// One item of the review queue, with the message's text for the officer to read.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewItem {
    /// Its id.
    pub id: Uuid,
    /// When the mail reached the mailbox.
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// The sender, masked.
    pub from: String,
    /// Why it is here.
    pub reason: Option<String>,
    /// The subject line (only in the detailed view).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The text (only in the detailed view).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The open review queue.
pub async fn review_queue(app: &App) -> Result<Vec<ReviewItem>, AppError> {
    Ok(iq::review_queue(app.store.db(), 500)
        .await?
        .into_iter()
        .map(|m| ReviewItem {
            id: m.id,
            received_at: m.received_at,
            from: m.from_masked,
            reason: m.reason,
            subject: None,
            text: None,
        })
        .collect())
}

async fn open_item(
    app: &App,
    id: Uuid,
) -> Result<(inbound_message::Model, Option<inbound::Inbound>), AppError> {
    let m = iq::find(app.store.db(), id)
        .await?
        .filter(|m| m.review_status == Some(ReviewStatus::Open))
        .ok_or(AppError::NotFound("review item"))?;
    let parsed = m
        .raw
        .as_ref()
        .and_then(|sealed| app.settings.data_key.open(m.id.as_bytes(), sealed).ok())
        .and_then(|raw| inbound::parse(&raw, Some(m.received_at)).ok());
    Ok((m, parsed))
}

/// One review item with the message's subject and text (for the officer).
pub async fn review_item(app: &App, id: Uuid) -> Result<ReviewItem, AppError> {
    let (m, parsed) = open_item(app, id).await?;
    Ok(ReviewItem {
        id: m.id,
        received_at: m.received_at,
        from: m.from_masked,
        reason: m.reason,
        subject: parsed.as_ref().and_then(|p| p.subject().map(str::to_owned)),
        text: parsed.as_ref().map(inbound::Inbound::text),
    })
}

/// The officer turns a review item into requests (the receipt time is the mail's).
pub async fn resolve_as_requests(
    app: &App,
    caller: &Caller,
    id: Uuid,
    kinds: Vec<RequestKind>,
    email: dsrflow_domain::SubjectEmail,
    name: Option<dsrflow_domain::SubjectName>,
) -> Result<Vec<CreatedRequest>, AppError> {
    if kinds.is_empty() {
        return Err(AppError::Validation(vec![FieldError::new(
            "kinds",
            "name at least one right",
        )]));
    }
    let (m, parsed) = open_item(app, id).await?;
    let language = parsed
        .as_ref()
        .map(|p| inbound::detect_language(&p.text()))
        .unwrap_or_default();
    let mut news = Vec::new();
    for kind in kinds {
        news.push(NewRequest {
            kind,
            email: email.clone(),
            name: name.clone(),
            account_id: None,
            phone: None,
            regime: None,
            received_at: Some(m.received_at),
            channel: Channel::Email,
            language,
            details: None,
            corrections: Vec::new(),
            identity_verified: false,
        });
    }
    let group = prepare_group(app, caller, news)?;
    let ids = group.ids();
    let tx = app.store.write().await?;
    let mail = store_group(app, &*tx, &group).await?;
    if !iq::resolve(
        &*tx,
        id,
        &serde_json::to_string(&ids).unwrap_or_default(),
        app.clock.now(),
    )
    .await?
    {
        return Err(AppError::Conflict(
            "the review item was resolved meanwhile".to_owned(),
        ));
    }
    audit::append(
        &*tx,
        NewEvent {
            request_id: None,
            actor: caller.actor.clone(),
            action: AuditAction::InboxReviewResolved,
            data: json!({"inbound_id": id, "requests": ids}),
            at: app.clock.now(),
        },
    )
    .await?;
    tx.commit().await?;
    after_commit_group(app, &group, mail).await;
    Ok(group
        .items
        .iter()
        .map(|p| CreatedRequest {
            id: p.id(),
            kind: p.kind(),
        })
        .collect())
}

/// The officer dismisses a review item (not a request), with a note.
pub async fn dismiss(app: &App, caller: &Caller, id: Uuid) -> Result<(), AppError> {
    let tx = app.store.write().await?;
    if !iq::resolve(&*tx, id, "[]", app.clock.now()).await? {
        return Err(AppError::NotFound("review item"));
    }
    audit::append(
        &*tx,
        NewEvent {
            request_id: None,
            actor: caller.actor.clone(),
            action: AuditAction::InboxReviewDismissed,
            data: json!({"inbound_id": id}),
            at: app.clock.now(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What one poll of the mailbox did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PollReport {
    /// Messages looked at.
    pub fetched: usize,
    /// Messages that created requests.
    pub created: usize,
    /// Replies attached to their request.
    pub attached: usize,
    /// Auto-replies, bounces and messages already processed.
    pub ignored: usize,
    /// Messages put in the review queue (including unparseable ones).
    pub review: usize,
    /// Messages too large to fetch, tagged in the mailbox for a human.
    pub too_large: usize,
    /// Messages that could not be stored this time (they stay unmarked and are retried).
    pub failed: usize,
    /// The outcome of each stored message, in mailbox order.
    pub outcomes: Vec<Ingested>,
}

/// Reads the privacy@ mailbox once: every message not yet processed (at most `batch`) is
/// ingested and then marked in the mailbox. A message that cannot be stored (database error)
/// is left unmarked for the next poll; one that cannot be parsed goes to the review queue; no
/// single message stops the poll.
pub async fn poll(
    app: &App,
    settings: &crate::settings::InboxSettings,
) -> Result<PollReport, AppError> {
    use dsrflow_mail::imap::{Fetched, ImapInbox};
    let unavailable = |e: dsrflow_mail::imap::ImapError| AppError::Unavailable(e.to_string());
    let mut inbox = ImapInbox::open(&settings.imap).await.map_err(unavailable)?;
    let mut report = PollReport::default();
    let uids = match inbox.pending(settings.batch).await {
        Ok(u) => u,
        Err(e) => {
            inbox.close().await;
            return Err(unavailable(e));
        }
    };
    for uid in uids {
        let message = match inbox.fetch(uid).await {
            Ok(Fetched::Message(m)) => m,
            Ok(Fetched::Gone) => continue,
            Ok(Fetched::TooLarge { size }) => {
                tracing::warn!(
                    uid,
                    size,
                    "inbox: message too large to fetch; tagged for a human"
                );
                report.too_large += 1;
                continue;
            }
            Err(e) => {
                // The connection is unusable: stop here, the rest waits for the next poll.
                tracing::warn!(uid, error = %e, "inbox: fetch failed");
                report.failed += 1;
                break;
            }
        };
        report.fetched += 1;
        let source = inbox.source(uid);
        match ingest(app, &message.raw, message.internal_date, Some(source)).await {
            Ok(outcome) => {
                match &outcome {
                    Ingested::Created { .. } => report.created += 1,
                    Ingested::Attached { .. } => report.attached += 1,
                    Ingested::Ignored { .. } => report.ignored += 1,
                    Ingested::Review { .. } => report.review += 1,
                }
                report.outcomes.push(outcome);
                if let Err(e) = inbox.mark_processed(uid).await {
                    // Stored but not marked: the next poll finds it processed by its source.
                    tracing::warn!(uid, error = %e, "inbox: could not mark a stored message");
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(uid, error = %e, "inbox: message not stored; it will be retried");
                report.failed += 1;
            }
        }
    }
    inbox.close().await;
    tracing::info!(
        fetched = report.fetched,
        created = report.created,
        attached = report.attached,
        ignored = report.ignored,
        review = report.review,
        too_large = report.too_large,
        failed = report.failed,
        "inbox polled"
    );
    Ok(report)
}
