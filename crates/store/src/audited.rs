//! Audited changes that commit on their own: a version-checked update and the audit event that
//! records it, made by many workers at once (a task's outcome, a mail's delivery), and on
//! PostgreSQL a fan-out (its tasks inserted unless present, its suppression entry alongside).
//!
//! On PostgreSQL every audited write locks the audit head until it commits, and the commit
//! waits for the WAL to reach the disk: the head is the one place where all of them queue, on
//! every node. So the changes queued at the same moment go in one statement
//! ([`crate::audit::pg_batch`]): each update, and the events of those that took effect, chained
//! in order; the head is locked once and the statement commits once for all of them. A caller
//! queues its change and waits for the lead, as in [`crate::group`]; whoever holds the lead
//! takes what is queued and runs it, while the next batch gathers. A batch that fails (a
//! constraint, a deadlock) runs again one change at a time, so one bad change fails alone.
//!
//! On SQLite the same call is a grouped write ([`Store::grouped`]): the update and its event
//! in one round trip, in the transaction of whatever else is being written at that moment.

use std::sync::Mutex as SyncMutex;

use sea_orm::prelude::Uuid;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};
use tokio::sync::{Mutex, oneshot};

use crate::audit::NewEvent;
use crate::group::{Step, TxFuture};
use crate::{Store, StoreError};

/// Most changes in one statement.
const MAX_BATCH: usize = 32;

struct Item {
    key: Uuid,
    change: Statement,
    also: Vec<Statement>,
    event: NewEvent,
    /// Whether the change changed its row (and its event was appended).
    reply: oneshot::Sender<Result<bool, String>>,
}

/// The queue of audited changes of one [`Store`].
#[derive(Default)]
pub(crate) struct Batcher {
    queue: SyncMutex<Vec<Item>>,
    lead: Mutex<()>,
}

impl std::fmt::Debug for Batcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").finish_non_exhaustive()
    }
}

impl Store {
    /// Runs `change`, an UPDATE of the row `key` that must change exactly that row (a
    /// version-checked update), and appends `event` after it if it did; committed on its own
    /// (see the module documentation). [`StoreError::Concurrent`] when the update changed
    /// nothing; then nothing is appended.
    pub(crate) async fn audited_change(
        &self,
        key: Uuid,
        change: Statement,
        event: NewEvent,
    ) -> Result<(), StoreError> {
        self.audited_in(&self.audited, key, change, Vec::new(), event)
            .await
    }

    /// Like [`Store::audited_change`], with statements that run with the change whether or
    /// not it took effect (idempotent companions). On PostgreSQL `change` may also be an
    /// insert that inserts nothing on a conflict (`ON CONFLICT DO NOTHING`): it took effect when
    /// it inserted a row. On SQLite `also` must be empty (fan-out writes there in its own
    /// transaction).
    pub(crate) async fn audited_change_with(
        &self,
        key: Uuid,
        change: Statement,
        also: Vec<Statement>,
        event: NewEvent,
    ) -> Result<(), StoreError> {
        // Batched apart from plain changes: see `Store::audited_with`.
        self.audited_in(&self.audited_with, key, change, also, event)
            .await
    }

    async fn audited_in(
        &self,
        batcher: &Batcher,
        key: Uuid,
        change: Statement,
        also: Vec<Statement>,
        event: NewEvent,
    ) -> Result<(), StoreError> {
        if self.backend() != DbBackend::Postgres {
            if !also.is_empty() {
                return Err(StoreError::Corrupt(
                    "audited changes with companion statements run on PostgreSQL only".to_owned(),
                ));
            }
            let changed = self
                .grouped(
                    move |tx: &DatabaseTransaction| -> TxFuture<'_, Result<Step<bool>, StoreError>> {
                        let (change, event) = (change.clone(), event.clone());
                        Box::pin(async move {
                            match crate::audit::append_after(tx, change, event).await {
                                Ok(_) => Ok(Step::Commit(true)),
                                Err(StoreError::Concurrent) => Ok(Step::Rollback(false)),
                                Err(e) => Err(e),
                            }
                        })
                    },
                )
                .await?;
            return if changed {
                Ok(())
            } else {
                Err(StoreError::Concurrent)
            };
        }
        let (reply, mut answer) = oneshot::channel();
        batcher
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Item {
                key,
                change,
                also,
                event,
                reply,
            });
        let dropped = || StoreError::Batch("the change was dropped by its batch".to_owned());
        let answered = |got: Result<bool, String>| match got {
            Ok(true) => Ok(()),
            Ok(false) => Err(StoreError::Concurrent),
            Err(msg) => Err(StoreError::Batch(msg)),
        };
        loop {
            let _lead = tokio::select! {
                biased;
                got = &mut answer => return answered(got.map_err(|_| dropped())?),
                lead = batcher.lead.lock() => lead,
            };
            match answer.try_recv() {
                Ok(got) => return answered(got),
                Err(oneshot::error::TryRecvError::Closed) => return Err(dropped()),
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let batch = batcher.take();
            if batch.is_empty() {
                // Not answered and not queued: a lead was cancelled while running it.
                return Err(dropped());
            }
            self.run_audited(batch).await;
        }
    }

    async fn run_audited(&self, batch: Vec<Item>) {
        let single = batch.len() == 1;
        let pairs: Vec<(Statement, Vec<Statement>, NewEvent)> = batch
            .iter()
            .map(|i| (i.change.clone(), i.also.clone(), i.event.clone()))
            .collect();
        match run_batch(&self.db, &pairs).await {
            Ok(done) => {
                for (k, item) in batch.into_iter().enumerate() {
                    // A caller that went away (cancelled) needs no answer; its change stands.
                    let _ = item.reply.send(Ok(done.contains(&(k + 1))));
                }
            }
            Err(e) if single => {
                for item in batch {
                    let _ = item.reply.send(Err(e.to_string()));
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, changes = batch.len(), "an audited batch failed; its changes run one by one");
                for item in batch {
                    let pair = [(item.change.clone(), item.also.clone(), item.event.clone())];
                    let got = run_batch(&self.db, &pair)
                        .await
                        .map(|done| done.contains(&1))
                        .map_err(|e| e.to_string());
                    let _ = item.reply.send(got);
                }
            }
        }
    }
}

impl Batcher {
    /// What is queued, up to [`MAX_BATCH`] changes of distinct rows (a row changed twice in
    /// one statement is not supported by PostgreSQL; the second waits for the next batch).
    fn take(&self) -> Vec<Item> {
        let mut q = self
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut batch: Vec<Item> = Vec::new();
        let mut rest = Vec::new();
        for item in q.drain(..) {
            if batch.len() < MAX_BATCH && !batch.iter().any(|b| b.key == item.key) {
                batch.push(item);
            } else {
                rest.push(item);
            }
        }
        *q = rest;
        batch
    }
}

/// Runs the batch statement; the 1-based positions of the changes that took effect.
async fn run_batch(
    db: &sea_orm::DatabaseConnection,
    items: &[(Statement, Vec<Statement>, NewEvent)],
) -> Result<Vec<usize>, StoreError> {
    let row = db
        .query_one_raw(crate::audit::pg_batch(items))
        .await?
        .ok_or_else(|| StoreError::Corrupt("an audited batch returned nothing".to_owned()))?;
    let done: Option<String> = row.try_get("", "done")?;
    let head: Option<i64> = row.try_get("", "head")?;
    let done: Vec<usize> = done
        .unwrap_or_default()
        .split(',')
        .filter_map(|k| k.trim().parse().ok())
        .collect();
    if !done.is_empty() && head.is_none() {
        return Err(StoreError::Corrupt(
            "the audit head row is missing".to_owned(),
        ));
    }
    Ok(done)
}
