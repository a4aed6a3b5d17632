//! Intake: a request (or several made together) is validated, its deadline computed and its
//! acknowledgement rendered outside any transaction, then stored with its audit events and
//! mail in one.

use dsrflow_domain::AuditAction;
use dsrflow_store::intake::{Intakes, NewIntake};

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
    // Stored with whatever other intakes are being stored at the same moment (group commit).
    let rows = rows(app, &group)?;
    let mail = rows.mail();
    app.store.create_requests(rows).await?;
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
    link: Option<crate::identity_link::PreparedLink>,
}

impl Group {
    /// The ids the requests will have.
    pub fn ids(&self) -> Vec<Uuid> {
        self.items.iter().map(Prepared::id).collect()
    }

    /// Threads the group's mail (acknowledgements, identity link) as replies to the
    /// requester's own message (`message_id` without angle brackets); nothing when it cannot
    /// stand in a header as is.
    pub fn reply_to(&mut self, message_id: &str) {
        let id = format!("<{message_id}>");
        if !dsrflow_mail::mailer::is_message_id(&id) {
            return;
        }
        for p in &mut self.items {
            p.ack.in_reply_to = Some(id.clone());
        }
        if let Some(link) = &mut self.link {
            link.mail.in_reply_to = Some(id);
        }
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
            crate::identity_link::prepare_link(app, &waiting, &first.subject, app.clock.now())?
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
    let rows = rows(app, g)?;
    dsrflow_store::intake::insert(conn, &rows).await?;
    Ok(rows.mail())
}

/// The rows that store a group: each request with its subject, pause, acknowledgement and
/// event, and the identity link with its mail.
fn rows(app: &App, g: &Group) -> Result<Intakes, AppError> {
    let items = g
        .items
        .iter()
        .map(|p| {
            Ok(NewIntake {
                request: p.row.clone(),
                subject: p.subject.clone(),
                pause: p.paused.then_some(PauseReason::Identity),
                ack: crate::outbox::row(app, p.ack.clone(), Some(&p.row.reference))?,
                event: created_event(p),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let link = g
        .link
        .as_ref()
        .map(|l| crate::identity_link::link_rows(app, l))
        .transpose()?;
    Ok(Intakes { items, link })
}

/// The `request.created` event of a prepared request: kind, channel, regime, status, receipt
/// day, deadline and whether identity was vouched; no personal data.
pub(super) fn created_event(p: &Prepared) -> NewEvent {
    let row = &p.row;
    NewEvent {
        request_id: Some(row.id),
        actor: p.actor.clone(),
        action: AuditAction::RequestCreated,
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
        after_commit(app, p).await;
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
    let corrections = if new.corrections.is_empty() {
        None
    } else if new.kind != dsrflow_domain::RequestKind::Rectification {
        errors.push(FieldError::new(
            "corrections",
            "only a rectification request takes corrections",
        ));
        None
    } else {
        match dsrflow_domain::rectification::validate(new.corrections.clone()) {
            Ok(list) => serde_json::to_string(&list).ok(),
            Err(e) => {
                errors.push(FieldError::new(e.key, e.message));
                None
            }
        }
    };
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
        corrections,
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
            regime: row.regime,
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

/// Wakes the work a stored request needs, once its transaction committed.
pub async fn after_commit(app: &App, p: &Prepared) {
    let row = &p.row;
    tracing::info!(request = %row.id, kind = %row.kind, status = %row.status, "request created");
    if row.status == RequestStatus::InProgress {
        app.wake(Job::Fanout(row.id), None).await;
    }
}
