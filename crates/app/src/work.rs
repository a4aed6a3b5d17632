//! Background work: fan-out of a request into per-system tasks, running one task through its
//! connector, settling a request once every task is final, and the reconciler that re-derives
//! lost wake-ups from the rows.
//!
//! Every function here is idempotent: it reloads state and does nothing if the work is done, so
//! a duplicated or replayed job is harmless. A task is claimed by a conditional update (version
//! check) before its connector is called, so two workers never call a connector for the same
//! task at once; a worker that dies leaves a lease that expires, and the next attempt first
//! checks what the previous one achieved.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use dsrflow_connectors::{ConnectorError, Outcome, Report, Subject, TaskRequest};
use dsrflow_domain::Actor;
use dsrflow_domain::lifecycle::{Event, Reason};
use dsrflow_domain::{RequestKind, RequestStatus, TaskAction, TaskStatus, task::retry_delay_secs};
use dsrflow_store::audit::{self, NewEvent};
use dsrflow_store::coalesce::Coalesced;
use dsrflow_store::entity::{request, request_subject, task};
use dsrflow_store::group::{Step, TxFuture};
use dsrflow_store::requests as rq;
use dsrflow_store::sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend};
use dsrflow_store::tasks as tq;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::jobs::{Job, MemoryQueue};
use crate::requests::{Caller, transition};
use crate::{App, AppError, FieldError};

/// A per-system task as stored (what the API turns into its task body).
pub use dsrflow_store::entity::task::Model as Task;

fn system_caller() -> Caller {
    Caller {
        actor: Actor::System,
        can_vouch: false,
    }
}

fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// Creates the tasks of a request that is in progress (once), then wakes them.
///
/// The tasks and, at once rather than when every system has answered, the suppression entry
/// (an objection to direct marketing is absolute, Art. 21(3), and an erased subject must not be
/// re-imported meanwhile) are written with the `request.fanned_out` event. On SQLite that is
/// one write transaction (the request read in it, the two inserts in one round trip). On
/// PostgreSQL it is one statement, batched with the other audited changes of the moment
/// ([`dsrflow_store::Store::audited_change_with`]), after a read outside any transaction.
pub async fn fan_out(app: &App, request_id: Uuid) -> Result<(), AppError> {
    let now = app.clock.now();
    let backend = app.store.backend();
    let tx = match backend {
        sea_orm::DbBackend::Postgres => None,
        _ => Some(app.store.write().await?),
    };
    let found = match &tx {
        Some(tx) => rq::find_with_subject(&**tx, request_id).await?,
        None => rq::find_with_subject(app.store.db(), request_id).await?,
    };
    let Some((request, subject)) = found else {
        return Ok(());
    };
    if request.status != RequestStatus::InProgress {
        return Ok(());
    }
    let plan = app.systems.map.plan(request.kind);
    let tasks: Vec<task::Model> = plan
        .iter()
        .map(|p| task::Model {
            id: Uuid::now_v7(),
            request_id,
            system: p.system.clone(),
            action: p.action,
            status: TaskStatus::Pending,
            attempts: 0,
            last_error: None,
            outcome: None,
            external_ref: None,
            instructions: None,
            next_attempt_at: None,
            lease_until: None,
            started_at: None,
            finished_at: None,
            completed_by: None,
            note: None,
            created_at: now,
            updated_at: now,
            version: 0,
        })
        .collect();
    let ids: Vec<Uuid> = tasks.iter().map(|t| t.id).collect();
    let suppressed = crate::suppression::scope_for(request.kind);
    let suppress = suppressed.map(|scope| {
        dsrflow_store::suppressions::add_statement(
            backend,
            &crate::suppression::hash(app, &subject.email),
            scope,
            Some(request_id),
            now,
        )
    });
    let event = NewEvent {
        request_id: Some(request_id),
        actor: Actor::System,
        action: "request.fanned_out",
        data: json!({
            "tasks": plan.iter().map(|p| json!({"system": p.system, "action": p.action})).collect::<Vec<_>>(),
            "suppressed": suppressed,
        }),
        at: now,
    };
    // "The request has its tasks already" is a replayed job, a request sent back to work, or
    // another worker fanning it out at the same moment: its tasks stand, and are woken.
    match tx {
        Some(tx) => {
            let mut writes = dsrflow_store::batch::Batch::default();
            writes.extend(tq::insert_many_statement(backend, tasks));
            writes.extend(suppress);
            match writes.run(&*tx).await {
                Ok(_) => {}
                Err(dsrflow_store::StoreError::Db(e))
                    if dsrflow_store::StoreError::is_unique_violation(&e) =>
                {
                    drop(tx);
                    return wake_existing(app, request_id).await;
                }
                Err(e) => return Err(e.into()),
            }
            audit::append(&*tx, event).await?;
            tx.commit().await?;
        }
        None => {
            let Some(insert) = tq::insert_new_statement(backend, tasks) else {
                // No system holds this kind of request: only the event and the suppression.
                let tx = app.store.write().await?;
                let mut writes = dsrflow_store::batch::Batch::default();
                writes.extend(suppress);
                writes.run(&*tx).await?;
                audit::append(&*tx, event).await?;
                tx.commit().await?;
                app.wake(Job::Settle(request_id), None).await;
                return Ok(());
            };
            let also: Vec<_> = suppress.into_iter().collect();
            match app
                .store
                .audited_change_with(request_id, insert, also, event)
                .await
            {
                Ok(()) => {}
                Err(dsrflow_store::StoreError::Concurrent) => {
                    return wake_existing(app, request_id).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    tracing::info!(request = %request_id, tasks = ids.len(), "fanned out");
    if ids.is_empty() {
        app.wake(Job::Settle(request_id), None).await;
    }
    app.wake_many(ids.into_iter().map(Job::RunTask).collect())
        .await;
    Ok(())
}

/// Wakes the open tasks of a request that was fanned out already (and its settling when none
/// is open).
async fn wake_existing(app: &App, request_id: Uuid) -> Result<(), AppError> {
    let existing = tq::for_request(app.store.db(), request_id).await?;
    app.wake_many(
        existing
            .iter()
            .filter(|t| !t.status.is_final())
            .map(|t| Job::RunTask(t.id))
            .collect(),
    )
    .await;
    if existing.iter().all(|t| t.status.is_final()) {
        app.wake(Job::Settle(request_id), None).await;
    }
    Ok(())
}

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

struct Claimed {
    task: task::Model,
    subject: Subject,
    kind: RequestKind,
    regime: dsrflow_domain::Regime,
    received_at: DateTime<Utc>,
    reference: String,
    interrupted: bool,
}

/// Reads that workers make at the same moment, answered by one query each time
/// ([`dsrflow_store::coalesce`]): the claims of the tasks of a fetch, and the open-task counts
/// that decide whether a request is ready to settle.
#[derive(Debug, Default)]
pub struct Reads {
    claims: Coalesced<Uuid, (task::Model, request::Model, request_subject::Model)>,
    pg_claims: Coalesced<Uuid, tq::ClaimedTask>,
    open_tasks: Coalesced<Uuid, u64>,
}

async fn claim(app: &App, task_id: Uuid, now: DateTime<Utc>) -> Result<Option<Claimed>, AppError> {
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
struct StoredOutcome {
    #[serde(flatten)]
    report: Report,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    decision: Option<String>,
}

/// What recording an outcome left to do once committed.
struct Recorded {
    task: task::Model,
    wake_at: Option<DateTime<Utc>>,
    settle: bool,
    mailed: bool,
}

async fn record(
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
async fn record_in(
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

/// The requests a settle job is running for in this process. Settle jobs come in bunches (tasks
/// that finish together each see no task left open and each wake it): while one runs, the
/// others only ask it to look once more when it is done, instead of all contending for the
/// same rows.
///
/// It also remembers the requests a settle job was queued for and has not yet started on: a
/// task that finishes meanwhile and finds no task left open does not queue another (several
/// tasks finishing together each find none open).
#[derive(Debug, Default)]
pub struct Settling {
    running: std::sync::Mutex<std::collections::HashMap<Uuid, bool>>,
    queued: std::sync::Mutex<std::collections::HashSet<Uuid>>,
}

impl Settling {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<Uuid, bool>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn queued(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<Uuid>> {
        self.queued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a settle job should be queued for `id`: not if one is queued and not started.
    fn should_queue(&self, id: Uuid) -> bool {
        self.queued().insert(id)
    }

    /// A settle job for `id` starts: the next task to find none open queues another.
    fn started(&self, id: Uuid) {
        self.queued().remove(&id);
    }

    /// The turn to settle `id`, or None when another job holds it (it will look again).
    fn enter(&self, id: Uuid) -> Option<SettleTurn<'_>> {
        let mut running = self.lock();
        if let Some(again) = running.get_mut(&id) {
            *again = true;
            return None;
        }
        running.insert(id, false);
        Some(SettleTurn {
            settling: self,
            id,
            left: false,
        })
    }
}

struct SettleTurn<'a> {
    settling: &'a Settling,
    id: Uuid,
    left: bool,
}

impl SettleTurn<'_> {
    /// Whether another job asked for a new look meanwhile; if not, the turn ends (atomically,
    /// so a request arriving now starts a turn of its own).
    fn again(&mut self) -> bool {
        let mut running = self.settling.lock();
        match running.get_mut(&self.id) {
            Some(again) if *again => {
                *again = false;
                true
            }
            _ => {
                running.remove(&self.id);
                self.left = true;
                false
            }
        }
    }
}

impl Drop for SettleTurn<'_> {
    fn drop(&mut self) {
        // An error or a cancelled job: its retry (or the reconciler) settles the request.
        if !self.left {
            self.settling.lock().remove(&self.id);
        }
    }
}

/// Moves a request whose tasks are all final to review (or straight to completion when the
/// policy allows it for the kind and every task ended well).
pub async fn settle(app: &App, request_id: Uuid) -> Result<(), AppError> {
    // Before reading: a task finishing from now on queues a settle job of its own.
    app.settling.started(request_id);
    let Some(mut turn) = app.settling.enter(request_id) else {
        return Ok(());
    };
    loop {
        settle_once(app, request_id).await?;
        if !turn.again() {
            return Ok(());
        }
    }
}

async fn settle_once(app: &App, request_id: Uuid) -> Result<(), AppError> {
    let tasks = tq::for_request(app.store.db(), request_id).await?;
    if tasks.iter().any(|t| !t.status.is_final()) {
        return Ok(());
    }
    let Some((request, _)) = rq::find_with_subject(app.store.db(), request_id).await? else {
        return Ok(());
    };
    if request.status != RequestStatus::InProgress {
        return Ok(());
    }
    // Access and portability: the answer is a package built from what every system returned.
    if crate::package::produces_package(request.kind)
        && let Some(rec) = rq::find(app.store.db(), request_id).await?
    {
        crate::package::build(app, &rec, &tasks).await?;
    }
    let caller = system_caller();
    match transition(
        app,
        &caller,
        request_id,
        "request.tasks_settled",
        None,
        |_, _, tasks| {
            if tasks.iter().any(|t| !t.status.is_final()) {
                return Err(AppError::Conflict("tasks still open".to_owned()));
            }
            Ok(Event::TasksSettled)
        },
    )
    .await
    {
        Ok(_) => {}
        // Another worker settled it first, or a task reopened meanwhile.
        Err(AppError::Conflict(_)) => return Ok(()),
        Err(e) => return Err(e),
    }
    let all_well = tasks.iter().all(|t| t.status.is_success());
    if all_well && app.settings.work.auto_approve.contains(&request.kind) {
        crate::requests::approve(app, &caller, request_id, false, None).await?;
    }
    Ok(())
}

/// How a person completes a task.
#[derive(Debug, Clone)]
pub enum Completion {
    /// The work is done with this status (`succeeded`, `not_found`, `retained` or `failed`).
    Done {
        /// The resulting status.
        status: TaskStatus,
        /// For `retained`: the rule that kept the data.
        rule: Option<String>,
    },
    /// For an objection to legitimate-interest processing (Art. 21(1)): the objection is upheld
    /// (processing stops: an erasure task is created for the system) or rejected (compelling
    /// legitimate grounds, stated in the note).
    Decision {
        /// Whether the objection is upheld.
        uphold: bool,
    },
}

/// A person completes a task that waits for manual work (or settles a failed one by hand).
pub async fn complete(
    app: &App,
    caller: &Caller,
    task_id: Uuid,
    completion: Completion,
    note: Reason,
) -> Result<task::Model, AppError> {
    let now = app.clock.now();
    let tx = app.store.write().await?;
    let mut t = tq::find(&*tx, task_id)
        .await?
        .ok_or(AppError::NotFound("task"))?;
    if !matches!(t.status, TaskStatus::AwaitingManual | TaskStatus::Failed) {
        return Err(AppError::Conflict(format!(
            "only a task awaiting manual work or a failed one can be completed by hand; this one is {}",
            t.status
        )));
    }
    let rec = rq::find(&*tx, t.request_id)
        .await?
        .ok_or(AppError::NotFound("request"))?;
    if rec.request.status.is_final() {
        return Err(AppError::Conflict(format!(
            "the request is already {}",
            rec.request.status
        )));
    }
    let mut follow_up = None;
    let (status, decision, rule) = match completion {
        Completion::Decision { uphold } => {
            if t.action != TaskAction::Decide {
                return Err(AppError::Validation(vec![FieldError::new(
                    "decision",
                    "only an objection decision task takes a decision",
                )]));
            }
            if uphold {
                follow_up = Some(task::Model {
                    id: Uuid::now_v7(),
                    action: TaskAction::Erase,
                    status: TaskStatus::Pending,
                    attempts: 0,
                    last_error: None,
                    outcome: None,
                    external_ref: None,
                    instructions: None,
                    next_attempt_at: None,
                    lease_until: None,
                    started_at: None,
                    finished_at: None,
                    completed_by: None,
                    note: None,
                    created_at: now,
                    updated_at: now,
                    version: 0,
                    ..t.clone()
                });
            }
            (
                TaskStatus::Succeeded,
                Some(if uphold { "upheld" } else { "rejected" }),
                None,
            )
        }
        Completion::Done { status, rule } => {
            if t.action == TaskAction::Decide {
                return Err(AppError::Validation(vec![FieldError::new(
                    "decision",
                    "an objection decision task needs \"decision\": \"uphold\" or \"reject\"",
                )]));
            }
            if !status.is_final() || status == TaskStatus::Skipped {
                return Err(AppError::Validation(vec![FieldError::new(
                    "status",
                    "must be succeeded, not_found, retained or failed",
                )]));
            }
            if status == TaskStatus::Retained && rule.as_deref().is_none_or(|r| r.trim().is_empty())
            {
                return Err(AppError::Validation(vec![FieldError::new(
                    "rule",
                    "say which retention rule keeps the data (GDPR Art. 17(3))",
                )]));
            }
            (status, None, rule)
        }
    };
    let report = Report {
        items: vec![dsrflow_connectors::Item {
            target: t.system.clone(),
            effect: match status {
                TaskStatus::Retained => dsrflow_connectors::Effect::Retained,
                TaskStatus::NotFound => dsrflow_connectors::Effect::NotFound,
                _ => dsrflow_connectors::Effect::Done,
            },
            count: u64::from(status != TaskStatus::NotFound),
            rule,
        }],
        data: vec![],
        note: None,
    };
    t.status = status;
    t.outcome = Some(
        serde_json::to_string(&StoredOutcome {
            report,
            decision: decision.map(str::to_owned),
        })
        .unwrap_or_default(),
    );
    t.note = Some(note.as_str().to_owned());
    t.completed_by = Some(caller.actor.as_string());
    t.finished_at = Some(now);
    t.updated_at = now;
    t.lease_until = None;
    let t = tq::update(&*tx, t).await?;
    let follow_up_id = follow_up.as_ref().map(|f| f.id);
    if let Some(f) = follow_up {
        tq::insert_many(&*tx, vec![f]).await.map_err(|e| match e {
            dsrflow_store::StoreError::Conflict(_) => {
                AppError::Conflict("an erasure task already exists for this system".to_owned())
            }
            other => other.into(),
        })?;
    }
    audit::append(
        &*tx,
        NewEvent {
            request_id: Some(t.request_id),
            actor: caller.actor.clone(),
            action: "task.completed_by_hand",
            data: json!({
                "task_id": t.id,
                "system": t.system,
                "action": t.action,
                "status": t.status,
                "decision": decision,
                "follow_up_task": follow_up_id,
            }),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    match follow_up_id {
        Some(id) => app.wake(Job::RunTask(id), None).await,
        None => app.wake(Job::Settle(t.request_id), None).await,
    }
    Ok(t)
}

/// The officer retries a failed task: it goes back to pending (the request back to work if it
/// was in review).
pub async fn retry(app: &App, caller: &Caller, task_id: Uuid) -> Result<task::Model, AppError> {
    let now = app.clock.now();
    let t = tq::find(app.store.db(), task_id)
        .await?
        .ok_or(AppError::NotFound("task"))?;
    if t.status != TaskStatus::Failed {
        return Err(AppError::Conflict(format!(
            "only a failed task can be retried; this one is {}",
            t.status
        )));
    }
    let rec = rq::find(app.store.db(), t.request_id)
        .await?
        .ok_or(AppError::NotFound("request"))?;
    match rec.request.status {
        RequestStatus::AwaitingReview => {
            crate::requests::reopen(app, caller, t.request_id).await?;
        }
        RequestStatus::InProgress => {}
        other => {
            return Err(AppError::Conflict(format!(
                "the request is {other}; its tasks cannot be retried"
            )));
        }
    }
    let tx = app.store.write().await?;
    let mut t = tq::find(&*tx, task_id)
        .await?
        .ok_or(AppError::NotFound("task"))?;
    if t.status != TaskStatus::Failed {
        return Err(AppError::Conflict("the task changed meanwhile".to_owned()));
    }
    t.status = TaskStatus::Pending;
    t.attempts = 0;
    t.finished_at = None;
    t.next_attempt_at = None;
    t.updated_at = now;
    let t = tq::update(&*tx, t).await?;
    audit::append(
        &*tx,
        NewEvent {
            request_id: Some(t.request_id),
            actor: caller.actor.clone(),
            action: "task.retried",
            data: json!({"task_id": t.id, "system": t.system, "action": t.action}),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    app.wake(Job::RunTask(t.id), None).await;
    Ok(t)
}

/// What the reconciler found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Reconciled {
    /// Requests whose fan-out was re-enqueued.
    pub fanouts: usize,
    /// Tasks re-enqueued (due retries, expired leases, lost wake-ups).
    pub tasks: usize,
    /// Requests re-enqueued for settling.
    pub settles: usize,
    /// Outbox messages re-enqueued for delivery.
    pub mails: usize,
}

/// Re-derives wake-ups from the rows: requests in progress without tasks, tasks that are due or
/// whose holder died, requests whose tasks are all final.
pub async fn reconcile(app: &App) -> Result<Reconciled, AppError> {
    const BATCH: u64 = 500;
    let now = app.clock.now();
    let db = app.store.db();
    let mut r = Reconciled::default();
    for id in tq::requests_without_tasks(db, BATCH).await? {
        app.wake(Job::Fanout(id), None).await;
        r.fanouts += 1;
    }
    let due: Vec<Job> = tq::due(db, now, BATCH)
        .await?
        .into_iter()
        .map(|t| Job::RunTask(t.id))
        .collect();
    r.tasks = due.len();
    app.wake_many(due).await;
    for id in tq::requests_ready_to_settle(db, BATCH).await? {
        app.wake(Job::Settle(id), None).await;
        r.settles += 1;
    }
    for m in dsrflow_store::outbox::due(db, now, BATCH).await? {
        app.wake(Job::Deliver(m.id), None).await;
        r.mails += 1;
    }
    if r != Reconciled::default() {
        tracing::info!(
            fanouts = r.fanouts,
            tasks = r.tasks,
            settles = r.settles,
            "reconciled"
        );
    }
    Ok(r)
}

/// A processor's verified OpenDSR callback: the task it names is asked about its status now
/// (the processor's word triggers a poll; the poll's answer is what is recorded).
pub async fn opendsr_callback(app: &App, subject_request_id: Uuid) -> Result<(), AppError> {
    let now = app.clock.now();
    let tx = app.store.write().await?;
    let Some(mut t) = tq::by_external_ref(&*tx, &subject_request_id.to_string()).await? else {
        return Err(AppError::NotFound("subject request"));
    };
    if t.status == TaskStatus::Running {
        t.lease_until = Some(now);
        t.updated_at = now;
        let t = tq::update(&*tx, t).await?;
        tx.commit().await?;
        app.wake(Job::RunTask(t.id), None).await;
    }
    Ok(())
}

/// The tasks of a request (404 when the request does not exist).
pub async fn tasks_of(app: &App, request_id: Uuid) -> Result<Vec<task::Model>, AppError> {
    if rq::find(app.store.db(), request_id).await?.is_none() {
        return Err(AppError::NotFound("request"));
    }
    Ok(tq::for_request(app.store.db(), request_id).await?)
}

/// Runs one job.
pub async fn run_job(app: &App, job: Job) -> Result<(), AppError> {
    match job {
        Job::Fanout(id) => fan_out(app, id).await,
        Job::RunTask(id) => run_task(app, id).await,
        Job::Settle(id) => settle(app, id).await,
        Job::Deliver(id) => crate::outbox::deliver(app, id).await,
    }
}

/// Runs every due job of an in-memory queue until none is left (tests and one-shot commands);
/// returns how many ran.
pub async fn drain(app: &App, queue: &MemoryQueue) -> Result<usize, AppError> {
    let mut n = 0;
    while let Some(job) = queue.pop_due(app.clock.now()) {
        run_job(app, job).await?;
        n += 1;
        if n > 100_000 {
            return Err(AppError::Internal(
                "the job queue does not drain".to_owned(),
            ));
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settle_jobs_for_one_request_coalesce() {
        let settling = Settling::default();
        let id = Uuid::now_v7();
        let other = Uuid::now_v7();
        let mut turn = settling.enter(id).expect("first job takes the turn");
        // A second job for the same request only asks for another look; another request runs.
        assert!(settling.enter(id).is_none());
        assert!(settling.enter(other).is_some());
        assert!(turn.again(), "the second job's look is taken over");
        assert!(!turn.again(), "nothing more asked: the turn ends");
        // Ended: the next job takes a turn of its own.
        drop(turn);
        let next = settling.enter(id).expect("a new turn");
        // A turn dropped early (an error) lets the next job in.
        drop(next);
        assert!(settling.enter(id).is_some());
    }

    #[test]
    fn one_settle_job_is_queued_until_it_starts() {
        let settling = Settling::default();
        let id = Uuid::now_v7();
        assert!(
            settling.should_queue(id),
            "the first task to finish queues it"
        );
        assert!(
            !settling.should_queue(id),
            "the others finishing meanwhile do not"
        );
        assert!(
            settling.should_queue(Uuid::now_v7()),
            "other requests are not held up"
        );
        settling.started(id);
        assert!(
            settling.should_queue(id),
            "once it started, a later finish queues again"
        );
    }
}
