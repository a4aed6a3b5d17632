//! Intake: a request (or several made together) is validated, its deadline computed and its
//! acknowledgement rendered outside any transaction, then stored with its audit events and
//! mail in one.

use super::*;

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
pub(super) async fn store_group_at_once(
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
pub(super) fn created_event(p: &Prepared) -> NewEvent {
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
