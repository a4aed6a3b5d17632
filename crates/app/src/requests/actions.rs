//! The lifecycle actions: extend, deny, withdraw, verify, forward, reopen, approve, and the one
//! transition every action goes through (status, flags, audit event and mail in one write).

use super::*;
use dsrflow_domain::AuditAction;
use dsrflow_domain::{TaskAction, TaskStatus};

/// The officer extends the deadline by two months (GDPR Art. 12(3)), with reasons.
pub async fn extend(
    app: &App,
    caller: &Caller,
    id: Uuid,
    reason: Reason,
) -> Result<RequestDetails, AppError> {
    transition(
        app,
        caller,
        id,
        AuditAction::RequestExtended,
        None,
        |rec, dl, _| {
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
            let notice_by_end = deadline::local_day_end(notice_by, tz).ok_or_else(|| {
                AppError::Internal("extension notice day out of range".to_owned())
            })?;
            Ok(Event::Extend {
                reason: reason.clone(),
                notice_by,
                notice_by_end,
            })
        },
    )
    .await
}

/// The officer refuses the request, with reasons (GDPR Art. 12(4)).
pub async fn deny(
    app: &App,
    caller: &Caller,
    id: Uuid,
    reason: Reason,
) -> Result<RequestDetails, AppError> {
    transition(
        app,
        caller,
        id,
        AuditAction::RequestDenied,
        None,
        |_, _, _| {
            Ok(Event::Deny {
                reason: reason.clone(),
            })
        },
    )
    .await
}

/// The requester withdraws the request (recorded by the caller).
pub async fn withdraw(
    app: &App,
    caller: &Caller,
    id: Uuid,
    reason: Option<Reason>,
) -> Result<RequestDetails, AppError> {
    transition(
        app,
        caller,
        id,
        AuditAction::RequestWithdrawn,
        reason,
        |_, _, _| Ok(Event::Withdraw),
    )
    .await
}

/// The requester's identity is established (by the officer, or by the verification link); the
/// work fans out.
pub async fn verify(app: &App, caller: &Caller, id: Uuid) -> Result<RequestDetails, AppError> {
    transition(
        app,
        caller,
        id,
        AuditAction::RequestVerified,
        None,
        |_, _, _| Ok(Event::IdentityVerified),
    )
    .await
}

/// The controller and contact of a hosted customer (`[[customer]]`), for [`forward`].
pub fn customer(app: &App, name: &str) -> Result<(String, String), AppError> {
    match app.settings.customers.iter().find(|c| c.name == name) {
        Some(c) => Ok((c.label.clone(), c.contact_email.clone())),
        None => {
            let known: Vec<&str> = app
                .settings
                .customers
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            Err(AppError::Validation(vec![FieldError::new(
                "customer",
                if known.is_empty() {
                    "no customer is declared ([[customer]] in the configuration); give controller and contact_email".to_owned()
                } else {
                    format!("no customer of that name; declared: {}", known.join(", "))
                },
            )]))
        }
    }
}

/// The request concerns data the company only processes for a customer (a hosted database):
/// it is forwarded to that controller, recorded, and closed.
pub async fn forward(
    app: &App,
    caller: &Caller,
    id: Uuid,
    controller: &str,
    contact_email: &str,
    note: Option<Reason>,
) -> Result<RequestDetails, AppError> {
    let controller = controller.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut errors = Vec::new();
    if controller.chars().count() < 2 || controller.chars().count() > 200 {
        errors.push(FieldError::new(
            "controller",
            "name the controller to forward the request to (2–200 characters)",
        ));
    }
    // The request is sent there: an address that takes mail, not only a name.
    let contact = dsrflow_domain::SubjectEmail::parse(contact_email).ok();
    if contact.is_none() {
        errors.push(FieldError::new(
            "contact_email",
            "give the controller's address for data-subject requests (e.g. privacy@customer.example)",
        ));
    }
    let contact = match contact {
        Some(c) if errors.is_empty() => c.as_str().to_owned(),
        _ => return Err(AppError::Validation(errors)),
    };
    transition(
        app,
        caller,
        id,
        AuditAction::RequestForwarded,
        note,
        move |_, _, _| {
            Ok(Event::Forward {
                controller,
                contact,
            })
        },
    )
    .await
}

/// The officer sends a request in review back to work (e.g. after retrying a failed task).
pub(crate) async fn reopen(
    app: &App,
    caller: &Caller,
    id: Uuid,
) -> Result<RequestDetails, AppError> {
    transition(
        app,
        caller,
        id,
        AuditAction::RequestReopened,
        None,
        |_, _, _| Ok(Event::Reopen),
    )
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
    transition(app, caller, id, AuditAction::RequestApproved, note, move |_, _, tasks| {
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
        // An objection refused in part is a partial answer by itself; its reasons are the
        // officer's decisions, which the subject is told (Art. 12(4), Art. 21(1)).
        let refused = crate::notify::objection_refused(tasks);
        if partial && !has_note && !refused {
            return Err(AppError::Validation(vec![FieldError::new(
                "reason",
                "a partial answer must say what could not be done and why",
            )]));
        }
        Ok(Event::Approve {
            partial: partial || refused,
        })
    })
    .await
}

/// Loads, applies one lifecycle event, re-derives the deadline, stores, audits, commits.
pub(crate) async fn transition(
    app: &App,
    caller: &Caller,
    id: Uuid,
    action: AuditAction,
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
        Event::Forward { controller, .. } => {
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
            q::open_pause(&*tx, id, PauseReason::Identity, now).await?;
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
        && row.kind.produces_package()
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
    // The answer tells the subject which objections were not upheld: the restriction applied
    // meanwhile there is lifted now, after they were told (Art. 18(3)).
    let mut lifts = Vec::new();
    if matches!(event, Event::Approve { .. }) {
        let restricted: Vec<&str> = tasks
            .iter()
            .filter(|t| t.action == TaskAction::Restrict && t.status == TaskStatus::Succeeded)
            .map(|t| t.system.as_str())
            .collect();
        for system in crate::notify::objection_refused_in(&tasks) {
            if restricted.contains(&system.as_str()) {
                lifts.push(dsrflow_store::tasks::pending(
                    id,
                    system,
                    TaskAction::Lift,
                    now,
                ));
            }
        }
        if !lifts.is_empty() {
            data["restrictions_lifted"] =
                json!(lifts.iter().map(|t| t.system.clone()).collect::<Vec<_>>());
            dsrflow_store::tasks::insert_many(&*tx, lifts.clone()).await?;
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
    tracing::info!(request = %id, from = %from, to = %after.status, action = %action, "request changed");
    if after.status == RequestStatus::InProgress && from != RequestStatus::InProgress {
        app.wake(Job::Fanout(id), None).await;
    }
    for m in message {
        app.wake(Job::Deliver(m), None).await;
    }
    app.wake_many(lifts.iter().map(|t| Job::RunTask(t.id)).collect())
        .await;
    let mut details = RequestDetails::from(out);
    details.download = download;
    Ok(details)
}
