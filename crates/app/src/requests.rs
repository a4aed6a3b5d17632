//! Request use cases: intake, reading, listing, and the officer's lifecycle actions.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use dsrflow_domain::Actor;
use dsrflow_domain::channel::{Channel, Language};
use dsrflow_domain::deadline::{self, Deadline, DeadlineInput, PausePeriod};
use dsrflow_domain::lifecycle::{Event, Extension, Lifecycle, Pause, PauseReason, Reason};
use dsrflow_domain::{
    AccountId, PhoneNumber, Regime, RequestKind, RequestStatus, SubjectEmail, SubjectName,
};
use dsrflow_store::audit::{self, NewEvent};
use dsrflow_store::entity::{request, request_pause, request_subject, task};
use dsrflow_store::group::{Step, TxFuture};
use dsrflow_store::requests::{self as q};
pub use dsrflow_store::requests::{DueBefore, ListFilter, RequestRecord};
use rand::Rng;
use sea_orm::DatabaseTransaction;
use sea_orm::prelude::Uuid;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::jobs::Job;
use crate::settings::ControllerSettings;
use crate::{App, AppError, FieldError};

/// GDPR applies from this day; nothing can have been received under it before.
const GDPR_APPLIES_FROM: (i32, u32, u32) = (2018, 5, 25);

/// Who is acting, and what they may do.
#[derive(Debug, Clone)]
pub struct Caller {
    /// For the audit trail.
    pub actor: Actor,
    /// Whether the caller may vouch for a subject's identity.
    pub can_vouch: bool,
}

/// A new request, already parsed into domain types.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The right exercised.
    pub kind: RequestKind,
    /// The subject's address.
    pub email: SubjectEmail,
    /// The subject's name.
    pub name: Option<SubjectName>,
    /// A customer/account id in the company's systems.
    pub account_id: Option<AccountId>,
    /// A phone number.
    pub phone: Option<PhoneNumber>,
    /// The regime; the configured default when None.
    pub regime: Option<Regime>,
    /// When it reached the controller; now when None (back-dating for post and phone).
    pub received_at: Option<DateTime<Utc>>,
    /// How it came in.
    pub channel: Channel,
    /// The language to answer in.
    pub language: Language,
    /// Free text from the requester.
    pub details: Option<String>,
    /// The caller vouches that it knows the subject (token with the vouch right only).
    pub identity_verified: bool,
}

/// Maximum length of the free-text details.
pub const MAX_DETAILS_CHARS: usize = 10_000;

/// A request as read back, with derived flags.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestDetails {
    /// The stored request, subject and pauses.
    pub record: RequestRecord,
    /// Whether the clock is paused now.
    pub paused: bool,
    /// Set once, by the approval that delivers an access package: the subject's download token
    /// (stored hashed; this is the only time it exists in clear) and when it expires.
    pub download: Option<(String, DateTime<Utc>)>,
}

impl From<RequestRecord> for RequestDetails {
    fn from(record: RequestRecord) -> Self {
        let paused = record.pauses.last().is_some_and(|p| p.ended_at.is_none());
        Self {
            record,
            paused,
            download: None,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The page number (from 1).
    pub page: u64,
    /// The page size.
    pub per_page: u64,
    /// Items matching the filter in all pages.
    pub total: u64,
}

/// A request ready to store: validated, its deadline computed, its acknowledgement rendered
/// (all outside any transaction).
#[derive(Debug, Clone)]
pub struct Prepared {
    row: request::Model,
    subject: request_subject::Model,
    ack: crate::outbox::NewMessage,
    vouched: bool,
    paused: bool,
    actor: Actor,
}

impl Prepared {
    /// The id the request will have.
    pub fn id(&self) -> Uuid {
        self.row.id
    }

    /// Its kind.
    pub fn kind(&self) -> RequestKind {
        self.row.kind
    }
}

/// Takes a request in: computes its deadline, stores it with its subject, audits, commits.
pub async fn create(
    app: &App,
    caller: &Caller,
    new: NewRequest,
) -> Result<RequestDetails, AppError> {
    let mut out = create_batch(app, caller, vec![new]).await?;
    out.pop()
        .ok_or_else(|| AppError::Internal("no request created".to_owned()))
}

/// Takes in several requests at once, all or none (one mail or one form asking for several
/// rights): every one is validated first, then all are stored in one transaction, with one
/// identity link for the lot when it is needed.
pub async fn create_batch(
    app: &App,
    caller: &Caller,
    new: Vec<NewRequest>,
) -> Result<Vec<RequestDetails>, AppError> {
    let group = prepare_group(app, caller, new)?;
    // Stored with whatever other intakes are being stored at the same moment (group commit):
    // on SQLite one turn of the single writer, on PostgreSQL one commit, for all of them. The
    // closure may run twice (alone, if another intake spoils the batch), so it works on copies.
    let shared = (app.clone(), group.clone());
    let mail = app
        .store
        .grouped(
            move |tx: &DatabaseTransaction| -> TxFuture<'_, Result<Step<Vec<Uuid>>, AppError>> {
                let (app, group) = shared.clone();
                Box::pin(async move { store_group(&app, tx, &group).await.map(Step::Commit) })
            },
        )
        .await?;
    after_commit_group(app, &group, mail).await;
    let mut out = Vec::with_capacity(group.items.len());
    for p in group.items {
        let Prepared {
            row,
            subject,
            paused,
            ..
        } = p;
        let pauses = if paused {
            // Read back the pause row the transaction opened.
            q::find(app.store.db(), row.id)
                .await?
                .map(|r| r.pauses)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        out.push(RequestDetails::from(RequestRecord {
            request: row,
            subject,
            pauses,
        }));
    }
    Ok(out)
}

/// Requests made together (one call, one form, one mail), prepared outside any transaction.
#[derive(Debug, Clone)]
pub struct Group {
    /// The requests.
    pub items: Vec<Prepared>,
    link: Option<crate::verification::PreparedLink>,
}

impl Group {
    /// The ids the requests will have.
    pub fn ids(&self) -> Vec<Uuid> {
        self.items.iter().map(Prepared::id).collect()
    }
}

/// Validates requests made together and prepares them (and their identity link, when the
/// requester must confirm).
pub fn prepare_group(app: &App, caller: &Caller, new: Vec<NewRequest>) -> Result<Group, AppError> {
    if new.is_empty() {
        return Err(AppError::Validation(vec![FieldError::new(
            "kind",
            "choose at least one right",
        )]));
    }
    let items = new
        .into_iter()
        .map(|n| prepare(app, caller, n))
        .collect::<Result<Vec<_>, _>>()?;
    let waiting: Vec<&request::Model> = items
        .iter()
        .filter(|p| p.row.status == RequestStatus::AwaitingVerification)
        .map(|p| &p.row)
        .collect();
    let link = match (waiting.is_empty(), items.first()) {
        (false, Some(first)) => {
            crate::verification::prepare_link(app, &waiting, &first.subject, app.clock.now())?
        }
        _ => None,
    };
    Ok(Group { items, link })
}

/// Stores prepared requests in the caller's write transaction; returns the outbox ids to
/// deliver after the commit.
pub async fn store_group(
    app: &App,
    conn: &impl sea_orm::ConnectionTrait,
    g: &Group,
) -> Result<Vec<Uuid>, AppError> {
    if let Some(mail) = store_group_at_once(app, conn, g).await? {
        return Ok(mail);
    }
    let mut mail = Vec::new();
    for p in &g.items {
        if let Some(m) = store_prepared(app, conn, p).await? {
            mail.push(m);
        }
    }
    if let Some(link) = &g.link
        && let Some(m) = crate::verification::store_link(app, conn, link).await?
    {
        mail.push(m);
    }
    Ok(mail)
}

/// Every row of the group in few round trips ([`dsrflow_store::batch::Batch`]): the requests,
/// their subjects, pauses and acknowledgements, the identity link and its mail in one, and the
/// `request.created` events.
///
/// - **SQLite**: the events go first, in one round trip, chained to the head this process
///   wrote last ([`audit::Guess`]: each insert checks the head in the same statement); None
///   when there is no head remembered yet or the guess went stale (another process wrote):
///   nothing was written, and [`store_group`] writes the rows one by one.
/// - **PostgreSQL**: the rows in one statement, then each event in one statement of its own
///   (the audit head's lock is taken last and held only until the commit).
async fn store_group_at_once(
    app: &App,
    conn: &impl sea_orm::ConnectionTrait,
    g: &Group,
) -> Result<Option<Vec<Uuid>>, AppError> {
    let backend = conn.get_database_backend();
    let sqlite = match backend {
        sea_orm::DbBackend::Sqlite => true,
        sea_orm::DbBackend::Postgres => false,
        _ => return Ok(None),
    };
    let guess = if sqlite {
        let Some(mut head) = audit::Guess::current(backend) else {
            return Ok(None);
        };
        let mut events = dsrflow_store::batch::Batch::default();
        for p in &g.items {
            events.push(head.append(&created_event(p)));
        }
        // A stale guess inserts nothing (and the events after it follow it): nothing is
        // written.
        let appended = events.run(conn).await?;
        if appended == 0 {
            return Ok(None);
        }
        if appended != g.items.len() as u64 {
            return Err(AppError::Internal(
                "the audit chain moved while events were appended".to_owned(),
            ));
        }
        Some(head)
    } else {
        None
    };
    let mut rows = dsrflow_store::batch::Batch::default();
    let mut mail = Vec::new();
    for p in &g.items {
        let row = &p.row;
        for stmt in q::insert_statements(backend, row.clone(), p.subject.clone()) {
            rows.push(stmt);
        }
        if p.paused {
            rows.push(q::open_pause_statement(
                backend,
                row.id,
                "identity",
                row.created_at,
            ));
        }
        let ack = crate::outbox::row(app, p.ack.clone(), Some(&row.reference))?;
        mail.push(ack.id);
        rows.push(dsrflow_store::outbox::insert_statement(backend, ack));
    }
    if let Some(link) = &g.link {
        mail.push(crate::verification::batch_link(app, &mut rows, link)?);
    }
    let written = rows.run(conn).await.map_err(|e| match e {
        dsrflow_store::StoreError::Db(db)
            if dsrflow_store::StoreError::is_unique_violation(&db) =>
        {
            dsrflow_store::StoreError::Conflict("a request with this id or reference")
        }
        e => e,
    })?;
    let expected = g.items.iter().map(|p| 3 + u64::from(p.paused)).sum::<u64>()
        + if g.link.is_some() { 2 } else { 0 };
    if written != expected {
        // A message's dedupe key was taken: never for a new request's messages, whose keys
        // name the request. Refuse rather than report mail that is not queued.
        return Err(AppError::Internal(format!(
            "an intake wrote {written} rows where {expected} were expected"
        )));
    }
    match guess {
        // The events are in the transaction; remember where the chain's head is now.
        Some(head) => head.keep(),
        None => {
            for p in &g.items {
                audit::append(conn, created_event(p)).await?;
            }
        }
    }
    Ok(Some(mail))
}

/// The `request.created` event of a prepared request: kind, channel, regime, status, receipt
/// day, deadline and whether identity was vouched; no personal data.
fn created_event(p: &Prepared) -> NewEvent {
    let row = &p.row;
    NewEvent {
        request_id: Some(row.id),
        actor: p.actor.clone(),
        action: "request.created",
        data: json!({
            "kind": row.kind,
            "channel": row.channel,
            "regime": row.regime,
            "status": row.status,
            "receipt_day": row.receipt_day,
            "deadline": row.deadline,
            "identity_vouched": p.vouched,
        }),
        at: row.created_at,
    }
}

/// Wakes the work stored requests need, once their transaction committed.
pub async fn after_commit_group(app: &App, g: &Group, mail: Vec<Uuid>) {
    for p in &g.items {
        after_commit(app, p, None).await;
    }
    for m in mail {
        app.wake(Job::Deliver(m), None).await;
    }
}

/// Validates a new request and prepares its rows and acknowledgement.
pub fn prepare(app: &App, caller: &Caller, new: NewRequest) -> Result<Prepared, AppError> {
    let now = app.clock.now();
    let mut errors = Vec::new();
    if new.identity_verified && !caller.can_vouch {
        return Err(AppError::Forbidden(
            "this token may not set identity_verified; create one with `dsrflow token create NAME --vouch`"
                .to_owned(),
        ));
    }
    let received_at = new.received_at.unwrap_or(now);
    if received_at > now {
        errors.push(FieldError::new("received_at", "must not be in the future"));
    }
    let gdpr_start = Utc
        .with_ymd_and_hms(
            GDPR_APPLIES_FROM.0,
            GDPR_APPLIES_FROM.1,
            GDPR_APPLIES_FROM.2,
            0,
            0,
            0,
        )
        .single()
        .unwrap_or_default();
    if received_at < gdpr_start {
        errors.push(FieldError::new(
            "received_at",
            "must not be before 2018-05-25, when the GDPR started to apply",
        ));
    }
    // Every answer goes to this address: one the mail relay cannot take would leave the
    // requester without the confirmation link, so it is refused now, with the reason.
    if !app.settings.mail_utf8_local_parts && !new.email.local_part_is_ascii() {
        errors.push(FieldError::new(
            "subject.email",
            "our mail relay cannot deliver to an address with accented or non-Latin characters before the @; please give another address",
        ));
    }
    if let Some(d) = &new.details
        && d.chars().count() > MAX_DETAILS_CHARS
    {
        errors.push(FieldError::new(
            "details",
            format!("must be at most {MAX_DETAILS_CHARS} characters"),
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }

    let controller = &app.settings.controller;
    let regime = new.regime.unwrap_or(controller.regime);
    let time_zone = controller.time_zone_for(regime);
    let calendar = controller.calendar_for(regime);
    let dl = deadline::compute(&DeadlineInput {
        regime,
        received_at,
        time_zone,
        calendar: calendar.clone(),
        extended: false,
        pauses: Vec::new(),
        identity_received: None,
    })
    .map_err(|e| AppError::Validation(vec![FieldError::new("received_at", e)]))?;

    let mut lifecycle = Lifecycle::new();
    if new.identity_verified {
        lifecycle = lifecycle
            .apply(&Event::IdentityVerified, now)
            .map_err(|e| AppError::Conflict(e.to_string()))?;
    } else if app.settings.verification.email_link {
        // The requester confirms with a link mailed to the address (verification module).
        lifecycle = lifecycle
            .apply(
                &Event::RequestIdentity {
                    pauses_clock: app.settings.verification.link_pauses_clock,
                },
                now,
            )
            .map_err(|e| AppError::Conflict(e.to_string()))?;
    }

    let id = Uuid::now_v7();
    let row = request::Model {
        id,
        reference: new_reference(),
        kind: new.kind,
        status: lifecycle.status,
        regime,
        calendar: calendar.as_ref().map(|c| c.code()),
        time_zone: time_zone.name().to_owned(),
        channel: new.channel,
        language: new.language,
        received_at,
        receipt_day: dl.receipt_day,
        deadline: dl.deadline,
        due_at: dl.deadline_end,
        extension_notice_by: dl.extension_notice_by,
        extension_notice_end: dl
            .extension_notice_by
            .and_then(|d| deadline::local_day_end(d, time_zone)),
        extended_at: None,
        extension_reason: None,
        status_reason: None,
        forwarded_to: None,
        identity_verified_at: new.identity_verified.then_some(now),
        details: new.details.filter(|d| !d.trim().is_empty()),
        created_by: caller.actor.as_string(),
        created_at: now,
        updated_at: now,
        closed_at: None,
        version: 0,
        status_token_hash: Some(crate::notify::status_token_hash(
            &crate::notify::status_token(app, id),
        )),
    };
    let subject = request_subject::Model {
        request_id: id,
        email: new.email,
        name: new.name,
        account_id: new.account_id,
        phone: new.phone,
    };

    // GDPR Art. 12(3): the subject learns the deadline and can follow the request. Rendered
    // before the transaction (the costly part), queued inside it.
    let ack = crate::notify::prepare(
        app,
        &dsrflow_mail::messages::Acknowledgement {
            reference: row.reference.clone(),
            kind: row.kind,
            subject_name: subject.name.clone(),
            received_on: row.receipt_day,
            deadline: row.deadline,
            status_url: crate::notify::status_url(app, id),
            verification_needed: row.status != RequestStatus::InProgress,
            controller: crate::notify::controller(app),
        },
        row.language,
        crate::outbox::Audience::Subject,
        subject.email.as_str(),
        Some(id),
        None,
        Some(format!("acknowledgement:{id}")),
    )?;
    Ok(Prepared {
        row,
        subject,
        ack,
        vouched: new.identity_verified,
        paused: lifecycle.is_paused(),
        actor: caller.actor.clone(),
    })
}

/// Stores a prepared request in the caller's write transaction: the rows, the queued
/// acknowledgement, and last the audit event (which takes the chain's lock, held until the
/// commit, for as short a time as possible). Returns the acknowledgement's outbox id.
pub async fn store_prepared(
    app: &App,
    conn: &impl sea_orm::ConnectionTrait,
    p: &Prepared,
) -> Result<Option<Uuid>, AppError> {
    let row = &p.row;
    q::insert(conn, row.clone(), p.subject.clone()).await?;
    if p.paused {
        q::open_pause(conn, row.id, "identity", row.created_at).await?;
    }
    let ack = crate::outbox::enqueue(app, conn, p.ack.clone(), Some(&row.reference)).await?;
    audit::append(conn, created_event(p)).await?;
    Ok(ack)
}

/// Wakes the work a stored request needs, once its transaction committed.
pub async fn after_commit(app: &App, p: &Prepared, ack: Option<Uuid>) {
    let row = &p.row;
    tracing::info!(request = %row.id, kind = %row.kind, status = %row.status, "request created");
    if row.status == RequestStatus::InProgress {
        app.wake(Job::Fanout(row.id), None).await;
    }
    if let Some(m) = ack {
        app.wake(Job::Deliver(m), None).await;
    }
}

/// Reads one request.
pub async fn get(app: &App, id: Uuid) -> Result<RequestDetails, AppError> {
    q::find(app.store.db(), id)
        .await?
        .map(Into::into)
        .ok_or(AppError::NotFound("request"))
}

/// Reads one request by its id or its reference (`DSR-…`, any case).
pub async fn find_by_ref(app: &App, reference: &str) -> Result<RequestDetails, AppError> {
    let reference = reference.trim();
    let found = match Uuid::parse_str(reference) {
        Ok(id) => q::find(app.store.db(), id).await?,
        Err(_) => q::find_by_reference(app.store.db(), &reference.to_ascii_uppercase()).await?,
    };
    found.map(Into::into).ok_or(AppError::NotFound("request"))
}

/// Records that `actor` looked at a request's subject unmasked (the CLI's `--reveal`): who saw
/// whose data is part of the accountability trail (GDPR Art. 5(2)).
pub async fn record_reveal(app: &App, actor: Actor, id: Uuid) -> Result<(), AppError> {
    let now = app.clock.now();
    let tx = app.store.write().await?;
    dsrflow_store::audit::append(
        &*tx,
        dsrflow_store::audit::NewEvent {
            request_id: Some(id),
            actor,
            action: "subject.revealed",
            data: serde_json::json!({}),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The request behind a subject's status link (None when the link is unknown).
pub async fn by_status_token(app: &App, token: &str) -> Result<RequestDetails, AppError> {
    if token.len() != 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AppError::NotFound("status link"));
    }
    q::find_by_status_token(app.store.db(), &crate::notify::status_token_hash(token))
        .await?
        .map(Into::into)
        .ok_or(AppError::NotFound("status link"))
}

/// Lists requests, soonest deadline first.
pub async fn list(app: &App, filter: ListFilter) -> Result<Page<RequestDetails>, AppError> {
    let (rows, total) = q::list(app.store.db(), &filter).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        // Subjects are small; one query per row keeps the code simple at page sizes ≤ 200.
        if let Some(rec) = q::find(app.store.db(), row.id).await? {
            items.push(rec.into());
        }
    }
    Ok(Page {
        items,
        page: filter.page.max(1),
        per_page: filter.per_page.clamp(1, 200),
        total,
    })
}

/// The officer extends the deadline by two months (GDPR Art. 12(3)), with reasons.
pub async fn extend(
    app: &App,
    caller: &Caller,
    id: Uuid,
    reason: Reason,
) -> Result<RequestDetails, AppError> {
    transition(app, caller, id, "request.extended", None, |rec, dl, _| {
        if !rec.request.regime.allows_extension() {
            return Err(AppError::Conflict(format!(
                "the {} regime does not allow an extension",
                rec.request.regime
            )));
        }
        let notice_by = dl.extension_notice_by.ok_or_else(|| {
            AppError::Conflict(format!(
                "the {} regime does not allow an extension",
                rec.request.regime
            ))
        })?;
        let tz = time_zone_of(&rec.request)?;
        let notice_by_end = deadline::local_day_end(notice_by, tz)
            .ok_or_else(|| AppError::Internal("extension notice day out of range".to_owned()))?;
        Ok(Event::Extend {
            reason: reason.clone(),
            notice_by,
            notice_by_end,
        })
    })
    .await
}

/// The officer refuses the request, with reasons (GDPR Art. 12(4)).
pub async fn deny(
    app: &App,
    caller: &Caller,
    id: Uuid,
    reason: Reason,
) -> Result<RequestDetails, AppError> {
    transition(app, caller, id, "request.denied", None, |_, _, _| {
        Ok(Event::Deny {
            reason: reason.clone(),
        })
    })
    .await
}

/// The requester withdraws the request (recorded by the caller).
pub async fn withdraw(
    app: &App,
    caller: &Caller,
    id: Uuid,
    reason: Option<Reason>,
) -> Result<RequestDetails, AppError> {
    transition(app, caller, id, "request.withdrawn", reason, |_, _, _| {
        Ok(Event::Withdraw)
    })
    .await
}

/// The requester's identity is established (by the officer, or by the verification link); the
/// work fans out.
pub async fn verify(app: &App, caller: &Caller, id: Uuid) -> Result<RequestDetails, AppError> {
    transition(app, caller, id, "request.verified", None, |_, _, _| {
        Ok(Event::IdentityVerified)
    })
    .await
}

/// The request concerns data the company only processes for a customer (a hosted database):
/// it is forwarded to that controller, recorded, and closed.
pub async fn forward(
    app: &App,
    caller: &Caller,
    id: Uuid,
    controller: &str,
    note: Option<Reason>,
) -> Result<RequestDetails, AppError> {
    let controller = controller.split_whitespace().collect::<Vec<_>>().join(" ");
    if controller.chars().count() < 2 || controller.chars().count() > 200 {
        return Err(AppError::Validation(vec![FieldError::new(
            "controller",
            "name the controller the request was forwarded to (2–200 characters)",
        )]));
    }
    transition(
        app,
        caller,
        id,
        "request.forwarded",
        note,
        move |_, _, _| Ok(Event::Forward { controller }),
    )
    .await
}

/// The officer sends a request in review back to work (e.g. after retrying a failed task).
pub(crate) async fn reopen(
    app: &App,
    caller: &Caller,
    id: Uuid,
) -> Result<RequestDetails, AppError> {
    transition(app, caller, id, "request.reopened", None, |_, _, _| {
        Ok(Event::Reopen)
    })
    .await
}

/// The officer approves the answer prepared for a request in review.
pub async fn approve(
    app: &App,
    caller: &Caller,
    id: Uuid,
    partial: bool,
    note: Option<Reason>,
) -> Result<RequestDetails, AppError> {
    let has_note = note.is_some();
    transition(app, caller, id, "request.approved", note, move |_, _, tasks| {
        let unresolved: Vec<String> = tasks
            .iter()
            .filter(|t| !t.status.is_success())
            .map(|t| format!("{} ({}: {})", t.system, t.action, t.status))
            .collect();
        if !unresolved.is_empty() && !partial {
            return Err(AppError::Conflict(format!(
                "not every system was handled: {}; retry those tasks, or approve with \"partial\": true and a reason",
                unresolved.join(", ")
            )));
        }
        if partial && !has_note {
            return Err(AppError::Validation(vec![FieldError::new(
                "reason",
                "a partial answer must say what could not be done and why",
            )]));
        }
        Ok(Event::Approve { partial })
    })
    .await
}

/// Loads, applies one lifecycle event, re-derives the deadline, stores, audits, commits.
pub(crate) async fn transition(
    app: &App,
    caller: &Caller,
    id: Uuid,
    action: &'static str,
    note: Option<Reason>,
    make_event: impl FnOnce(&RequestRecord, &Deadline, &[task::Model]) -> Result<Event, AppError>,
) -> Result<RequestDetails, AppError> {
    let now = app.clock.now();
    let tx = app.store.write().await?;
    let rec = q::find(&*tx, id)
        .await?
        .ok_or(AppError::NotFound("request"))?;
    let current = compute_deadline(&app.settings.controller, &rec, now)?;
    let tasks = dsrflow_store::tasks::for_request(&*tx, id).await?;
    let event = make_event(&rec, &current, &tasks)?;
    let before = lifecycle_of(&rec)?;
    let from = before.status;
    let after = before
        .apply(&event, now)
        .map_err(|e| AppError::Conflict(e.to_string()))?;

    let mut row = rec.request.clone();
    row.status = after.status;
    row.updated_at = now;
    if after.status.is_final() && row.closed_at.is_none() {
        row.closed_at = Some(now);
    }
    let mut data = json!({ "event": event.name(), "from": from, "to": after.status });
    match &event {
        Event::Extend { reason, .. } => {
            row.extended_at = after.extension.as_ref().map(|e| e.at);
            row.extension_reason = Some(reason.as_str().to_owned());
            data["reason_sha256"] = json!(sha256_hex(reason.as_str()));
        }
        Event::Deny { reason } => {
            row.status_reason = Some(reason.as_str().to_owned());
            data["reason_sha256"] = json!(sha256_hex(reason.as_str()));
        }
        Event::IdentityVerified => row.identity_verified_at = Some(now),
        Event::Forward { controller } => {
            row.forwarded_to = Some(controller.clone());
            data["controller"] = json!(controller);
        }
        _ => {}
    }
    if let Some(note) = &note {
        row.status_reason = Some(note.as_str().to_owned());
        data["note_sha256"] = json!(sha256_hex(note.as_str()));
    }
    // Pauses: the domain opened or closed one; mirror it in the table.
    let open = rec.pauses.iter().any(|p| p.ended_at.is_none());
    let pauses = if after.is_paused() != open {
        if after.is_paused() {
            q::open_pause(&*tx, id, "identity", now).await?;
        } else {
            q::close_pause(&*tx, id, now).await?;
        }
        q::find(&*tx, id)
            .await?
            .ok_or(AppError::NotFound("request"))?
            .pauses
    } else {
        rec.pauses.clone()
    };
    let dl = compute_deadline(
        &app.settings.controller,
        &RequestRecord {
            request: row.clone(),
            subject: rec.subject.clone(),
            pauses: pauses.clone(),
        },
        now,
    )?;
    row.deadline = dl.deadline;
    row.due_at = dl.deadline_end;
    row.extension_notice_by = dl.extension_notice_by;
    let tz = time_zone_of(&row)?;
    row.extension_notice_end = dl
        .extension_notice_by
        .and_then(|d| deadline::local_day_end(d, tz));
    data["deadline"] = json!(row.deadline);
    // Approval delivers the answer: for access and portability, the package's download link.
    let mut download = None;
    if matches!(event, Event::Approve { .. })
        && crate::package::produces_package(row.kind)
        && let Some(package) = dsrflow_store::packages::for_request(&*tx, id).await?
    {
        let (token, expires_at) = crate::package::issue_download(app, &*tx, &package, now).await?;
        data["package_id"] = json!(package.id);
        data["download_expires_at"] = json!(expires_at);
        download = Some((token, expires_at));
    }
    let package_sha = match &download {
        Some(_) => dsrflow_store::packages::for_request(&*tx, id)
            .await?
            .map(|p| p.sha256)
            .unwrap_or_default(),
        None => String::new(),
    };
    let download_url = download
        .as_ref()
        .map(|(token, _)| crate::notify::link(app, &format!("/download/{token}")));
    let message = crate::notify::on_transition(
        app,
        &*tx,
        &event,
        &rec.request,
        &row,
        &rec.subject,
        &tasks,
        match (&download_url, &download) {
            (Some(url), Some((_, expires_at))) => {
                Some((url.as_str(), *expires_at, package_sha.as_str()))
            }
            _ => None,
        },
    )
    .await?;
    if after.status.is_final() {
        // Work not yet done is moot once the request is closed.
        let skipped = dsrflow_store::tasks::skip_open(&*tx, id, now).await?;
        if skipped > 0 {
            data["tasks_skipped"] = json!(skipped);
        }
        // Closed without an answer (refused, withdrawn, unidentified, forwarded): data collected
        // for it, and any package built from it, have no purpose left (Art. 5(1)(c), (e)).
        if !matches!(event, Event::Approve { .. }) {
            let dropped = dsrflow_store::tasks::delete_results(&*tx, id).await?;
            if let Some(package) = dsrflow_store::packages::for_request(&*tx, id).await?
                && package.deleted_at.is_none()
            {
                dsrflow_store::packages::delete_content(&*tx, package.id, now).await?;
                data["package_deleted"] = json!(package.id);
            }
            if dropped > 0 {
                data["collected_data_deleted"] = json!(dropped);
            }
        }
    }
    let updated = q::update(&*tx, row).await?;
    audit::append(
        &*tx,
        NewEvent {
            request_id: Some(id),
            actor: caller.actor.clone(),
            action,
            data,
            at: now,
        },
    )
    .await?;
    let out = RequestRecord {
        request: updated,
        subject: rec.subject,
        pauses,
    };
    tx.commit().await?;
    tracing::info!(request = %id, from = %from, to = %after.status, action, "request changed");
    if after.status == RequestStatus::InProgress && from != RequestStatus::InProgress {
        app.wake(Job::Fanout(id), None).await;
    }
    if let Some(m) = message {
        app.wake(Job::Deliver(m), None).await;
    }
    let mut details = RequestDetails::from(out);
    details.download = download;
    Ok(details)
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn time_zone_of(row: &request::Model) -> Result<Tz, AppError> {
    row.time_zone
        .parse::<Tz>()
        .map_err(|_| AppError::Internal(format!("request {} has an unknown time zone", row.id)))
}

/// Rebuilds the domain lifecycle from stored rows.
pub fn lifecycle_of(rec: &RequestRecord) -> Result<Lifecycle, AppError> {
    let extension = match (&rec.request.extended_at, &rec.request.extension_reason) {
        (Some(at), Some(reason)) => Some(Extension {
            reason: Reason::parse(reason)
                .map_err(|e| AppError::Internal(format!("stored extension reason: {e}")))?,
            at: *at,
        }),
        _ => None,
    };
    Ok(Lifecycle {
        status: rec.request.status,
        extension,
        pauses: rec
            .pauses
            .iter()
            .map(|p: &request_pause::Model| Pause {
                reason: PauseReason::Identity,
                from: p.started_at,
                to: p.ended_at,
            })
            .collect(),
        forwarded: rec.request.forwarded_to.is_some(),
    })
}

/// The request's deadline as of `now`: an open pause counts up to today.
pub fn compute_deadline(
    controller: &ControllerSettings,
    rec: &RequestRecord,
    now: DateTime<Utc>,
) -> Result<Deadline, AppError> {
    let row = &rec.request;
    let tz = time_zone_of(row)?;
    let local = |t: DateTime<Utc>| -> NaiveDate { t.with_timezone(&tz).date_naive() };
    let periods: Vec<PausePeriod> = rec
        .pauses
        .iter()
        .map(|p| PausePeriod {
            asked: local(p.started_at).max(row.receipt_day),
            answered: local(p.ended_at.unwrap_or(now))
                .max(local(p.started_at).max(row.receipt_day)),
        })
        .collect();
    let (pauses, identity_received) = match row.regime {
        // EU: identity pauses suspend the clock (EDPB 01/2022 §5.3).
        Regime::Gdpr => (periods, None),
        // UK: the clock starts when the identity information arrives (Art. 12A).
        Regime::UkGdpr => (Vec::new(), periods.iter().map(|p| p.answered).max()),
        // Calendar-day regimes: verification does not stop the clock.
        _ => (Vec::new(), None),
    };
    let calendar = row
        .calendar
        .map(|code| controller.calendar_with_extras(code));
    deadline::compute(&DeadlineInput {
        regime: row.regime,
        received_at: row.received_at,
        time_zone: tz,
        calendar,
        extended: row.extended_at.is_some(),
        pauses,
        identity_received,
    })
    .map_err(|e| AppError::Internal(format!("deadline of request {}: {e}", row.id)))
}

/// A short reference like `DSR-7K3QXPMA` (Crockford base32, no ambiguous letters).
fn new_reference() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rng();
    let code: String = (0..8)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("DSR-{code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_use_the_unambiguous_alphabet() {
        let r = new_reference();
        assert_eq!(r.len(), 12);
        assert!(r.starts_with("DSR-"));
        assert!(!r[4..].contains(['I', 'L', 'O', 'U']));
    }
}
