//! The writes of background work, one backend-neutral function each: a request's fan-out
//! ([`fan_out`]), a task's claim ([`claim`]) and its outcome ([`record`]), and the open-task
//! count that decides settling ([`open_tasks`]). Each chooses its statement shape by database,
//! so the use cases that call them never do:
//!
//! - **SQLite** has one writer: writes share its turns (`crate::group`: one transaction for
//!   the claims and outcomes of the moment), a fan-out writes its rows in one round trip
//!   (`crate::batch`), and reads made by many workers at once become one query
//!   (`crate::coalesce`).
//! - **PostgreSQL**: a claim is one statement for every task claimed at the moment
//!   (`crate::tasks::claim_many`); an outcome or a fan-out that writes only its row(s) and
//!   the event is one statement, batched with the other audited changes of the moment
//!   (`crate::audited`).

use chrono::{DateTime, Utc};
use dsrflow_domain::task::Claim;
use dsrflow_domain::{RequestStatus, TaskStatus};
use sea_orm::prelude::Uuid;
use sea_orm::{DatabaseTransaction, DbBackend};

use crate::audit::{self, NewEvent};
use crate::batch::Batch;
use crate::coalesce::Coalesced;
use crate::entity::{outbox, request, request_subject, task};
use crate::group::{Step, TxFuture};
use crate::tasks::{self as tq, ClaimedTask};
use crate::{Store, StoreError};

/// Reads that workers make at the same moment, answered by one query each time.
#[derive(Debug, Default)]
pub(crate) struct Reads {
    claims: Coalesced<Uuid, (task::Model, request::Model, request_subject::Model)>,
    pg_claims: Coalesced<Uuid, ClaimedTask>,
    open_tasks: Coalesced<Uuid, u64>,
}

/// An entry of the suppression list, written with a fan-out.
#[derive(Debug, Clone)]
pub struct Suppress {
    /// The keyed hash of the address.
    pub hash: String,
    /// How far it stops mail.
    pub scope: dsrflow_domain::kind::SuppressionScope,
}

/// A request's fan-out: its tasks, its suppression entry, and the `request.fanned_out` event.
#[derive(Debug, Clone)]
pub struct FanOut {
    /// The request.
    pub request_id: Uuid,
    /// The status the request was read in (on SQLite the fan-out checks it still is, in its
    /// transaction).
    pub status: RequestStatus,
    /// One task per system of the plan (possibly none).
    pub tasks: Vec<task::Model>,
    /// The entry that stops mail to the subject, if the request's kind calls for one.
    pub suppress: Option<Suppress>,
    /// The event that records the fan-out.
    pub event: NewEvent,
}

/// What a fan-out found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FannedOut {
    /// The tasks, entry and event are written.
    Written,
    /// The request has its tasks already (a replayed job, or another worker at the same
    /// moment): nothing was written.
    Existing,
    /// The request is no longer in the status it was read in: nothing was written.
    Moved,
}

/// Writes a fan-out (see [`FanOut`]). On SQLite: one write transaction, the request's status
/// checked in it, the inserts in one round trip. On PostgreSQL: the tasks inserted unless
/// present and the suppression entry, in one statement with the event, batched with the other
/// fan-outs of the moment.
pub async fn fan_out(store: &Store, f: FanOut) -> Result<FannedOut, StoreError> {
    let backend = store.backend();
    let suppress = f.suppress.map(|s| {
        crate::suppressions::add_statement(
            backend,
            &s.hash,
            s.scope,
            Some(f.request_id),
            f.event.at,
        )
    });
    if backend == DbBackend::Postgres
        && let Some(insert) = tq::insert_new_statement(backend, f.tasks.clone())
    {
        return match store
            .audited_change_with(
                f.request_id,
                insert,
                suppress.into_iter().collect(),
                f.event,
            )
            .await
        {
            Ok(()) => Ok(FannedOut::Written),
            Err(StoreError::Concurrent) => Ok(FannedOut::Existing),
            Err(e) => Err(e),
        };
    }
    let tx = store.write().await?;
    if backend != DbBackend::Postgres {
        let now = crate::requests::find(&*tx, f.request_id).await?;
        if now.is_none_or(|r| r.request.status != f.status) {
            return Ok(FannedOut::Moved);
        }
    }
    let mut writes = Batch::default();
    writes.extend(tq::insert_many_statement(backend, f.tasks));
    writes.extend(suppress);
    match writes.run(&*tx).await {
        Ok(_) => {}
        Err(StoreError::Db(e)) if StoreError::is_unique_violation(&e) => {
            return Ok(FannedOut::Existing);
        }
        Err(e) => return Err(e),
    }
    audit::append(&*tx, f.event).await?;
    tx.commit().await?;
    Ok(FannedOut::Written)
}

/// Claims a task if it is due ([`dsrflow_domain::task::claim`]): `running` until
/// `lease_until`, its attempt counted unless it only asks a processor again, its version
/// bumped, so that two workers never run it at once. None when it is not due, its request is
/// final, or another worker claimed it first. The claims workers make at the same moment are
/// read and written together: on PostgreSQL one statement, on SQLite one query and one turn of
/// the writer.
pub async fn claim(
    store: &Store,
    task_id: Uuid,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<ClaimedTask>, StoreError> {
    let db = store.db();
    if store.backend() == DbBackend::Postgres {
        return store
            .reads
            .pg_claims
            .take(task_id, |ids| async move {
                tq::claim_many(db, &ids, now, lease_until).await
            })
            .await;
    }
    // Read outside the write transaction (on SQLite it is exclusive); the version-checked
    // update below is what makes the claim safe.
    let Some((t, request, subject)) = store
        .reads
        .claims
        .get(task_id, |ids| async move {
            tq::find_many_with_request(db, &ids).await
        })
        .await?
    else {
        return Ok(None);
    };
    let Some(how) = dsrflow_domain::task::claim(
        t.status,
        t.next_attempt_at,
        t.lease_until,
        t.external_ref.is_some(),
        request.status.is_final() && !t.action.runs_after_answer(),
        now,
    ) else {
        return Ok(None);
    };
    let mut next = t;
    next.status = TaskStatus::Running;
    if how != Claim::Poll {
        next.attempts += 1;
    }
    next.lease_until = Some(lease_until);
    next.next_attempt_at = None;
    next.started_at = next.started_at.or(Some(now));
    next.updated_at = now;
    let next = store
        .grouped(
            move |tx: &DatabaseTransaction| -> TxFuture<'_, Result<Step<Option<task::Model>>, StoreError>> {
                let next = next.clone();
                Box::pin(async move {
                    match tq::update(tx, next).await {
                        Ok(n) => Ok(Step::Commit(Some(n))),
                        Err(StoreError::Concurrent) => Ok(Step::Rollback(None)),
                        Err(e) => Err(e),
                    }
                })
            },
        )
        .await?;
    Ok(next.map(|task| ClaimedTask {
        task,
        request,
        subject,
        polling: how == Claim::Poll,
        interrupted: how == Claim::Interrupted,
    }))
}

/// A task's outcome as decided: its new row, the event that records it, and what goes with it.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The task as it is to be stored, its version still the claimed one (the update is
    /// version-checked against it).
    pub task: task::Model,
    /// The event, when the change is one to audit (a lease that only moves is not).
    pub event: Option<NewEvent>,
    /// The data collected, sealed, to keep for the access package.
    pub result: Option<Vec<u8>>,
    /// Mail queued by the outcome (to a processor, to the officer); a message whose dedupe key
    /// is taken is not queued again.
    pub mail: Vec<outbox::Model>,
}

/// Records a task's outcome: the version-checked update, what goes with it and the event, in
/// one transaction. None when the task changed since it was claimed (the request closed, an
/// officer completed it): then nothing is written. An outcome that is only the row and its
/// event commits on its own, with the others of the moment (`Store::audited_change`: on
/// PostgreSQL one statement); any other shares a transaction with them.
pub async fn record(store: &Store, o: Outcome) -> Result<Option<task::Model>, StoreError> {
    let at = o.task.updated_at;
    if o.result.is_none()
        && o.mail.is_empty()
        && let Some(event) = o.event.clone()
    {
        return match tq::update_audited_alone(store, o.task, event).await {
            Ok(t) => Ok(Some(t)),
            Err(StoreError::Concurrent) => Ok(None),
            Err(e) => Err(e),
        };
    }
    store
        .grouped(
            move |tx: &DatabaseTransaction| -> TxFuture<'_, Result<Step<Option<task::Model>>, StoreError>> {
                let o = o.clone();
                Box::pin(async move {
                    if let Some(sealed) = o.result {
                        tq::put_result(tx, o.task.id, sealed, at).await?;
                    }
                    for m in o.mail {
                        crate::outbox::insert(tx, m).await?;
                    }
                    let updated = match o.event {
                        Some(event) => tq::update_audited(tx, o.task, event).await,
                        None => tq::update(tx, o.task).await,
                    };
                    match updated {
                        Ok(t) => Ok(Step::Commit(Some(t))),
                        Err(StoreError::Concurrent) => Ok(Step::Rollback(None)),
                        Err(e) => Err(e),
                    }
                })
            },
        )
        .await
}

/// How many tasks of the request are not final, read with the counts other workers ask for at
/// the same moment.
pub async fn open_tasks(store: &Store, request_id: Uuid) -> Result<u64, StoreError> {
    let db = store.db();
    Ok(store
        .reads
        .open_tasks
        .get(
            request_id,
            |ids| async move { tq::open_counts(db, &ids).await },
        )
        .await?
        .unwrap_or(0))
}
