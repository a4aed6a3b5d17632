//! Running one task: the claim (a conditional update, so two workers never call a connector
//! for the same task), the connector call outside any transaction, and the outcome recorded
//! with its audit event.

use super::*;

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
}

/// Reads that workers make at the same moment, answered by one query each time
/// ([`dsrflow_store::coalesce`]): the claims of the tasks of a fetch, and the open-task counts
/// that decide whether a request is ready to settle.
#[derive(Debug, Default)]
pub struct Reads {
    pub(super) claims: Coalesced<Uuid, (task::Model, request::Model, request_subject::Model)>,
    pub(super) pg_claims: Coalesced<Uuid, tq::ClaimedTask>,
    pub(super) open_tasks: Coalesced<Uuid, u64>,
}

pub(super) async fn claim(
    app: &App,
    task_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Claimed>, AppError> {
    if app.store.backend() == DbBackend::Postgres {
        // One statement reads, checks and claims the tasks that workers are claiming at this
        // moment (`tasks::claim_many`), committed on its own.
        let db = app.store.db();
        let lease_until = after(now, app.settings.work.lease);
        let Some(c) = app
            .reads
            .pg_claims
            .take(task_id, |ids| async move {
                tq::claim_many(db, &ids, now, lease_until).await
            })
            .await?
        else {
            return Ok(None);
        };
        return Ok(Some(Claimed {
            subject: Subject {
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
        }));
    }
    // SQLite: reads outside the write transaction (on SQLite it is exclusive); the conditional update
    // below (version check) is what makes the claim safe.
    let db = app.store.db();
    let Some((t, request, s)) = app
        .reads
        .claims
        .get(task_id, |ids| async move {
            tq::find_many_with_request(db, &ids).await
        })
        .await?
    else {
        return Ok(None);
    };
    let due = match t.status {
        TaskStatus::Pending | TaskStatus::Retrying => t.next_attempt_at.is_none_or(|at| at <= now),
        TaskStatus::Running => t.lease_until.is_none_or(|l| l <= now),
        _ => false,
    };
    if !due {
        return Ok(None);
    }
    if request.status.is_final() {
        return Ok(None);
    }
    // A running task whose lease expired either waits at a processor (it has an external
    // reference: ask again) or was held by a worker that died (an interrupted attempt).
    let polling = t.status == TaskStatus::Running && t.external_ref.is_some();
    let interrupted = t.status == TaskStatus::Running && t.external_ref.is_none();
    let mut next = t.clone();
    next.status = TaskStatus::Running;
    if !polling {
        next.attempts += 1;
    }
    next.lease_until = Some(after(now, app.settings.work.lease));
    next.next_attempt_at = None;
    next.started_at = next.started_at.or(Some(now));
    next.updated_at = now;
    // One version-checked UPDATE, committed with whatever other claims and outcomes are being
    // written at the same moment (group commit): one turn of the single writer for all.
    let next = {
        app.store
        .grouped(
            move |tx: &DatabaseTransaction| -> TxFuture<'_, Result<Step<Option<task::Model>>, AppError>> {
                let next = next.clone();
                Box::pin(async move {
                    match tq::update(tx, next).await {
                        Ok(n) => Ok(Step::Commit(Some(n))),
                        Err(dsrflow_store::StoreError::Concurrent) => Ok(Step::Rollback(None)),
                        Err(e) => Err(e.into()),
                    }
                })
            },
        )
        .await?
    };
    let Some(next) = next else {
        return Ok(None);
    };
    Ok(Some(Claimed {
        task: next,
        subject: Subject {
            email: s.email,
            name: s.name,
            account_id: s.account_id,
            phone: s.phone,
        },
        kind: request.kind,
        regime: request.regime,
        received_at: request.received_at,
        reference: request.reference,
        interrupted,
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

/// What recording an outcome left to do once committed.
pub(super) struct Recorded {
    pub(super) task: task::Model,
    pub(super) wake_at: Option<DateTime<Utc>>,
    pub(super) settle: bool,
    pub(super) mailed: bool,
}

pub(super) async fn record(
    app: &App,
    claimed: task::Model,
    result: Result<Outcome, ConnectorError>,
    interrupted: bool,
) -> Result<(), AppError> {
    let now = app.clock.now();
    // On PostgreSQL an outcome that writes only the task row and its event is one statement
    // (`tasks::update_audited`), atomic without a transaction.
    let one_statement = app.store.backend() == DbBackend::Postgres
        && match &result {
            Ok(Outcome::Done(report)) => report.data.is_empty(),
            Ok(Outcome::Mail(_)) => false,
            Ok(Outcome::Pending { .. } | Outcome::Manual { .. }) | Err(_) => true,
        };
    let recorded = if one_statement {
        let recorded =
            record_in(app, app.store.db(), true, claimed, result, interrupted, now).await?;
        match recorded {
            Step::Commit(r) | Step::Rollback(r) => r,
        }
    } else {
        // Outcomes recorded at the same time by other workers share the transaction (group
        // commit); `record_in` may run twice if another item spoils the batch, so it gets
        // copies.
        let shared = app.clone();
        app.store
            .grouped(move |tx: &DatabaseTransaction| -> TxFuture<'_, Result<Step<Option<Recorded>>, AppError>> {
                let app = shared.clone();
                let claimed = claimed.clone();
                let result = result.clone();
                Box::pin(async move { record_in(&app, tx, false, claimed, result, interrupted, now).await })
            })
            .await?
    };
    let Some(Recorded {
        task: t,
        wake_at,
        settle,
        mailed,
    }) = recorded
    else {
        return Ok(());
    };
    tracing::info!(task = %t.id, system = %t.system, action = %t.action, status = %t.status, "task recorded");
    // After the commit (reads, outside the exclusive transaction): only the last task to finish
    // wakes the settling — one settle per request, not per task. Two tasks finishing together
    // may both see zero and both wake it; settling is idempotent.
    let settle = settle && {
        let db = app.store.db();
        let open = app
            .reads
            .open_tasks
            .get(t.request_id, |ids| async move {
                tq::open_counts(db, &ids).await
            })
            .await?;
        open.unwrap_or(0) == 0
    };
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

/// Records a connector's outcome in `tx`: the task row (version-checked against the claim) and
/// its audit event. `Rollback` when there is nothing to record any more. `alone`: `tx` is the
/// pool, and the outcome writes only the task row and its event, committed on its own
/// (`tasks::update_audited_alone`).
pub(super) async fn record_in(
    app: &App,
    tx: &impl ConnectionTrait,
    alone: bool,
    claimed: task::Model,
    result: Result<Outcome, ConnectorError>,
    interrupted: bool,
    now: DateTime<Utc>,
) -> Result<Step<Option<Recorded>>, AppError> {
    // The update below only succeeds if the task is still as claimed: if it changed meanwhile
    // (request closed, officer completed it), theirs wins.
    let mut t = claimed;
    t.updated_at = now;
    let mut wake_at = None;
    let mut settle = false;
    let mut mailed = false;
    let event: (&'static str, serde_json::Value);
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
                let sealed = app.settings.data_key.seal(t.id.as_bytes(), &plain);
                tq::put_result(tx, t.id, sealed, now).await?;
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
                "task.finished",
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
                return Ok(match tq::update(tx, t).await {
                    Ok(t) => Step::Commit(Some(Recorded {
                        task: t,
                        wake_at,
                        settle: false,
                        mailed: false,
                    })),
                    Err(dsrflow_store::StoreError::Concurrent) => Step::Rollback(None),
                    Err(e) => return Err(e.into()),
                });
            }
            event = ("task.accepted_by_processor", json!({}));
        }
        Ok(Outcome::Mail(out)) => {
            let Some(rec) = rq::find(tx, t.request_id).await? else {
                return Ok(Step::Rollback(None));
            };
            let sent = crate::mailtask::send(app, tx, &mut t, &rec, &out, now).await?;
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
            event = ("task.awaiting_manual", json!({}));
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
                    "task.failed",
                    json!({"attempts": attempts, "permanent": false}),
                );
            } else {
                let delay = retry_delay_secs(attempts, retry_after.map(|d| d.as_secs()));
                t.status = TaskStatus::Retrying;
                t.next_attempt_at =
                    Some(now + TimeDelta::seconds(i64::try_from(delay).unwrap_or(3600)));
                wake_at = t.next_attempt_at;
                event = (
                    "task.retry_scheduled",
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
                "task.failed",
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
    let updated = if alone {
        tq::update_audited_alone(&app.store, t, event).await
    } else {
        tq::update_audited(tx, t, event).await
    };
    let t = match updated {
        Ok(t) => t,
        Err(dsrflow_store::StoreError::Concurrent) => return Ok(Step::Rollback(None)),
        Err(e) => return Err(e.into()),
    };
    Ok(Step::Commit(Some(Recorded {
        task: t,
        wake_at,
        settle,
        mailed,
    })))
}
