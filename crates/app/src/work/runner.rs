//! Running one task: the claim (a conditional update, so two workers never call a connector
//! for the same task), the connector call outside any transaction, and the outcome recorded
//! with its audit event.

use super::*;
use dsrflow_domain::AuditAction;

/// Runs one task if it is due: claims it, calls its connector outside any transaction, and
/// records the outcome (with its audit event).
pub async fn run_task(app: &App, task_id: Uuid) -> Result<(), AppError> {
    let now = app.clock.now();
    let started = std::time::Instant::now();
    let Some(claim) = claim(app, task_id, now).await? else {
        return Ok(());
    };
    let claimed_in = started.elapsed();
    let Claimed {
        task,
        subject,
        kind,
        regime,
        received_at,
        reference,
        interrupted,
        corrections,
    } = claim;

    let result = match app.systems.registry.get(&task.system) {
        None => Err(ConnectorError::permanent(format!(
            "system {} is no longer configured",
            task.system
        ))),
        Some(connector) => {
            let req = TaskRequest {
                action: task.action,
                subject: &subject,
                task_id: task.id,
                reference: &reference,
                kind,
                regime,
                received_at,
                attempt: u32::try_from(task.attempts).unwrap_or(u32::MAX),
                external_ref: task.external_ref.as_deref(),
                corrections: &corrections,
            };
            match tokio::time::timeout(app.settings.work.call_timeout, connector.run(&req)).await {
                Ok(r) => r,
                Err(_) => Err(ConnectorError::transient(format!(
                    "no answer within {} s",
                    app.settings.work.call_timeout.as_secs()
                ))),
            }
        }
    };
    // A person correcting data by hand is given the corrections themselves.
    let result = match result {
        Ok(Outcome::Manual { instructions })
            if task.action == TaskAction::Rectify && !corrections.is_empty() =>
        {
            Ok(Outcome::Manual {
                instructions: format!(
                    "{instructions}\nThe corrections asked for:\n{}",
                    dsrflow_domain::rectification::describe(&corrections)
                ),
            })
        }
        other => other,
    };
    let called_in = started.elapsed() - claimed_in;
    let out = record(app, task, result, interrupted).await;
    tracing::debug!(
        task = %task_id,
        claim_us = claimed_in.as_micros() as u64,
        call_us = called_in.as_micros() as u64,
        total_us = started.elapsed().as_micros() as u64,
        "task timing"
    );
    out
}

pub(super) struct Claimed {
    pub(super) task: task::Model,
    pub(super) subject: Subject,
    pub(super) kind: RequestKind,
    pub(super) regime: dsrflow_domain::Regime,
    pub(super) received_at: DateTime<Utc>,
    pub(super) reference: String,
    pub(super) interrupted: bool,
    pub(super) corrections: Vec<dsrflow_domain::Correction>,
}

/// Claims the task if it is due ([`dsrflow_store::work::claim`]).
pub(super) async fn claim(
    app: &App,
    task_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Claimed>, AppError> {
    let lease_until = after(now, app.settings.work.lease);
    let Some(c) = dsrflow_store::work::claim(&app.store, task_id, now, lease_until).await? else {
        return Ok(None);
    };
    let corrections = crate::requests::corrections_of(&c.request);
    Ok(Some(Claimed {
        corrections,
        subject: Subject {
            pseudonym: app
                .settings
                .data_key
                .subject_pseudonym(c.subject.email.as_str()),
            email: c.subject.email,
            name: c.subject.name,
            account_id: c.subject.account_id,
            phone: c.subject.phone,
        },
        kind: c.request.kind,
        regime: c.request.regime,
        received_at: c.request.received_at,
        reference: c.request.reference,
        interrupted: c.interrupted,
        task: c.task,
    }))
}

/// The task's outcome as stored in `dsr_task.outcome`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredOutcome {
    #[serde(flatten)]
    pub(super) report: Report,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) decision: Option<String>,
}

/// An outcome as decided, and what it leaves to do once committed.
pub(super) struct Decided {
    pub(super) write: dsrflow_store::work::Outcome,
    pub(super) wake_at: Option<DateTime<Utc>>,
    pub(super) settle: bool,
    pub(super) mailed: bool,
}

/// Records a connector's outcome: decides the task's next state and its event (with the data
/// collected, sealed, and any mail), then one store write ([`dsrflow_store::work::record`]),
/// then wakes what follows. Nothing is written when the task changed since it was claimed
/// (the request closed, an officer completed it): theirs wins.
pub(super) async fn record(
    app: &App,
    claimed: task::Model,
    result: Result<Outcome, ConnectorError>,
    interrupted: bool,
) -> Result<(), AppError> {
    let now = app.clock.now();
    // Mail names the request: loaded first.
    let request = match &result {
        Ok(Outcome::Mail(_)) => match rq::find(app.store.db(), claimed.request_id).await? {
            Some(r) => Some(r),
            None => return Ok(()),
        },
        _ => None,
    };
    let Decided {
        write,
        wake_at,
        settle,
        mailed,
    } = decide(app, claimed, result, interrupted, request.as_ref(), now)?;
    let Some(t) = dsrflow_store::work::record(&app.store, write).await? else {
        return Ok(());
    };
    tracing::info!(task = %t.id, system = %t.system, action = %t.action, status = %t.status, "task recorded");
    // Only the last task to finish wakes the settling — one settle per request, not per task.
    // Two tasks finishing together may both see zero and both wake it; settling is idempotent.
    let settle = settle && dsrflow_store::work::open_tasks(&app.store, t.request_id).await? == 0;
    let mails = if mailed {
        dsrflow_store::outbox::for_task_pending(app.store.db(), t.id).await?
    } else {
        Vec::new()
    };
    for m in mails {
        app.wake(Job::Deliver(m), None).await;
    }
    if wake_at.is_some() {
        app.wake(Job::RunTask(t.id), wake_at).await;
    }
    if settle && app.settling.should_queue(t.request_id) {
        app.wake(Job::Settle(t.request_id), None).await;
    }
    Ok(())
}

/// Decides what a connector's outcome makes of the claimed task: its next row (to be
/// version-checked against the claim), its event, the data to keep, the mail to queue.
pub(super) fn decide(
    app: &App,
    claimed: task::Model,
    result: Result<Outcome, ConnectorError>,
    interrupted: bool,
    request: Option<&dsrflow_store::requests::RequestRecord>,
    now: DateTime<Utc>,
) -> Result<Decided, AppError> {
    let mut t = claimed;
    t.updated_at = now;
    let mut wake_at = None;
    let mut settle = false;
    let mut mailed = false;
    let mut sealed = None;
    let mut mail = Vec::new();
    let event: (AuditAction, serde_json::Value);
    match result {
        Ok(Outcome::Done(mut report)) => {
            let mut status = report.status();
            if interrupted && status == TaskStatus::NotFound && t.action == TaskAction::Erase {
                // The interrupted attempt may have erased the data before the worker died.
                status = TaskStatus::Succeeded;
                report.note = Some(
                    "nothing left to erase; an earlier, interrupted attempt may have erased it"
                        .to_owned(),
                );
            }
            if !report.data.is_empty() {
                let plain = serde_json::to_vec(&report.data)
                    .map_err(|e| AppError::Internal(format!("serialise collected data: {e}")))?;
                sealed = Some(app.settings.data_key.seal(t.id.as_bytes(), &plain));
            }
            t.status = status;
            t.outcome = Some(
                serde_json::to_string(&StoredOutcome {
                    report: report.clone(),
                    decision: None,
                })
                .unwrap_or_default(),
            );
            t.last_error = None;
            t.lease_until = None;
            t.finished_at = Some(now);
            settle = true;
            event = (
                AuditAction::TaskFinished,
                json!({
                    "status": status,
                    "effects": report.items.iter().map(|i| json!({"target": i.target, "effect": i.effect, "count": i.count})).collect::<Vec<_>>(),
                }),
            );
        }
        Ok(Outcome::Pending {
            external_ref,
            check_after,
        }) => {
            let first = t.external_ref.is_none();
            t.external_ref = Some(external_ref);
            t.lease_until = Some(after(now, check_after));
            wake_at = t.lease_until;
            if !first {
                // Still working at the processor: only the lease moves; nothing to audit.
                return Ok(Decided {
                    write: dsrflow_store::work::Outcome {
                        task: t,
                        event: None,
                        result: None,
                        mail,
                    },
                    wake_at,
                    settle: false,
                    mailed: false,
                });
            }
            event = (AuditAction::TaskAcceptedByProcessor, json!({}));
        }
        Ok(Outcome::Mail(out)) => {
            let rec = request.ok_or_else(|| {
                AppError::Internal("a mail outcome decided without its request".to_owned())
            })?;
            let sent = crate::mailtask::send(app, &mut mail, &mut t, rec, &out, now)?;
            mailed = true;
            wake_at = t.lease_until;
            settle = t.status.is_final();
            if t.status == TaskStatus::AwaitingManual {
                wake_at = None;
            }
            event = sent;
        }
        Ok(Outcome::Manual { instructions }) => {
            t.status = TaskStatus::AwaitingManual;
            t.instructions = Some(instructions);
            t.lease_until = None;
            event = (AuditAction::TaskAwaitingManual, json!({}));
        }
        Err(ConnectorError::Transient {
            message,
            retry_after,
        }) => {
            let attempts = u32::try_from(t.attempts).unwrap_or(u32::MAX);
            t.last_error = Some(message);
            t.lease_until = None;
            if attempts >= app.settings.work.max_attempts {
                t.status = TaskStatus::Failed;
                t.finished_at = Some(now);
                settle = true;
                event = (
                    AuditAction::TaskFailed,
                    json!({"attempts": attempts, "permanent": false}),
                );
            } else {
                let delay = retry_delay_secs(attempts, retry_after.map(|d| d.as_secs()));
                t.status = TaskStatus::Retrying;
                t.next_attempt_at =
                    Some(now + TimeDelta::seconds(i64::try_from(delay).unwrap_or(3600)));
                wake_at = t.next_attempt_at;
                event = (
                    AuditAction::TaskRetryScheduled,
                    json!({"attempts": attempts, "delay_s": delay}),
                );
            }
        }
        Err(ConnectorError::Permanent { message }) => {
            t.status = TaskStatus::Failed;
            t.last_error = Some(message);
            t.lease_until = None;
            t.finished_at = Some(now);
            settle = true;
            event = (
                AuditAction::TaskFailed,
                json!({"attempts": t.attempts, "permanent": true}),
            );
        }
    }
    let (action, mut data) = event;
    data["task_id"] = json!(t.id);
    data["system"] = json!(t.system);
    data["action"] = json!(t.action);
    let event = NewEvent {
        request_id: Some(t.request_id),
        actor: Actor::System,
        action,
        data,
        at: now,
    };
    Ok(Decided {
        write: dsrflow_store::work::Outcome {
            task: t,
            event: Some(event),
            result: sealed,
            mail,
        },
        wake_at,
        settle,
        mailed,
    })
}
