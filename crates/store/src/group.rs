//! Group commit: concurrent writers whose writes are small and independent (a worker recording
//! a task's outcome) share one transaction instead of taking one each.
//!
//! A caller queues its work and waits for the group's lead. Whoever holds the lead takes
//! everything queued so far, runs it in one write transaction, one item after the other, and
//! commits once; meanwhile the next batch gathers. On SQLite that is one `BEGIN`/`COMMIT` and
//! one turn of the write gate per batch; on PostgreSQL one WAL flush, and one wait for the
//! audit head's row lock, per batch.
//!
//! An item that fails, or asks for its writes to be undone ([`Step::Rollback`]), must not
//! take the others down with it: the batch is then rolled back and every item is run again
//! alone, in its own transaction, exactly as without grouping. Items must therefore be
//! re-runnable: they read what they need in the transaction and decide from that.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex as SyncMutex;

use sea_orm::DatabaseTransaction;
use tokio::sync::{Mutex, oneshot};

use crate::{Store, StoreError};

/// Most items in one transaction (bounds how long the batch holds the write lock).
const MAX_BATCH: usize = 64;

/// What a grouped item wants done with its writes.
#[derive(Debug)]
pub enum Step<R> {
    /// Keep them: commit with the batch.
    Commit(R),
    /// Undo them (e.g. a version check failed half-way).
    Rollback(R),
}

/// A boxed future borrowing the transaction.
pub type TxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

trait Work: Send {
    /// Runs the writes; true when they may be committed.
    fn run<'a>(&'a mut self, tx: &'a DatabaseTransaction) -> TxFuture<'a, bool>;
    /// Hands the outcome to the caller; `committed` is the fate of the transaction the item
    /// last ran in.
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct Item<R, E, F> {
    f: F,
    out: Option<Result<Step<R>, E>>,
    reply: oneshot::Sender<Result<R, E>>,
}

impl<R, E, F> Work for Item<R, E, F>
where
    R: Send,
    E: From<StoreError> + Send,
    F: for<'a> FnMut(&'a DatabaseTransaction) -> TxFuture<'a, Result<Step<R>, E>> + Send,
{
    fn run<'a>(&'a mut self, tx: &'a DatabaseTransaction) -> TxFuture<'a, bool> {
        Box::pin(async move {
            let out = (self.f)(tx).await;
            let keep = matches!(out, Ok(Step::Commit(_)));
            self.out = Some(out);
            keep
        })
    }

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let result = match (self.out, committed) {
            (Some(Ok(Step::Commit(r))), Ok(())) | (Some(Ok(Step::Rollback(r))), _) => Ok(r),
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(Step::Commit(_))), Err(msg)) => Err(StoreError::Batch(msg).into()),
            (None, Err(msg)) => Err(StoreError::Batch(msg).into()),
            (None, Ok(())) => Err(StoreError::Batch("the write was not run".to_owned()).into()),
        };
        // The caller may have gone (cancelled); its writes are committed or not all the same.
        let _ = self.reply.send(result);
    }
}

/// The queue of grouped writes of one [`Store`].
#[derive(Default)]
pub(crate) struct Group {
    queue: SyncMutex<Vec<Box<dyn Work>>>,
    lead: Mutex<()>,
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group").finish_non_exhaustive()
    }
}

impl Store {
    /// Runs `f` in a write transaction shared with other grouped writes made at the same time
    /// (see the module documentation). `f` may run twice: once in a batch that another item
    /// spoiled, then alone.
    pub(crate) async fn grouped<R, E, F>(&self, f: F) -> Result<R, E>
    where
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'a> FnMut(&'a DatabaseTransaction) -> TxFuture<'a, Result<Step<R>, E>>
            + Send
            + 'static,
    {
        let (reply, mut answer) = oneshot::channel();
        self.group
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Box::new(Item {
                f,
                out: None,
                reply,
            }));
        let abandoned =
            || StoreError::Batch("the write was abandoned by its batch".to_owned()).into();
        loop {
            // Our item is answered by the batch that takes it, or, once we have the lead (whoever
            // had it before has finished), still queued: ours to run with whatever else waits.
            let _lead = tokio::select! {
                biased;
                result = &mut answer => return result.unwrap_or_else(|_| Err(abandoned())),
                lead = self.group.lead.lock() => lead,
            };
            match answer.try_recv() {
                Ok(result) => return result,
                Err(oneshot::error::TryRecvError::Closed) => return Err(abandoned()),
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            let batch: Vec<Box<dyn Work>> = {
                let mut q = self
                    .group
                    .queue
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let n = q.len().min(MAX_BATCH);
                q.drain(..n).collect()
            };
            if batch.is_empty() {
                // Not answered and not queued: a lead was cancelled while running it.
                return Err(abandoned());
            }
            self.run_batch(batch).await;
        }
    }

    async fn run_batch(&self, mut batch: Vec<Box<dyn Work>>) {
        if batch.len() > 1 {
            match self.write().await {
                Ok(tx) => {
                    let mut clean = true;
                    for item in batch.iter_mut() {
                        if !item.run(&tx).await {
                            clean = false;
                            break;
                        }
                    }
                    if clean {
                        let committed = tx.commit().await.map_err(|e| e.to_string());
                        for item in batch {
                            item.finish(committed.clone());
                        }
                        return;
                    }
                    // Rolled back on drop; every item again, alone.
                }
                Err(e) => {
                    let msg = e.to_string();
                    for item in batch {
                        item.finish(Err(msg.clone()));
                    }
                    return;
                }
            }
        }
        for mut item in batch {
            let committed = match self.write().await {
                Ok(tx) => {
                    if item.run(&tx).await {
                        tx.commit().await.map_err(|e| e.to_string())
                    } else {
                        Ok(())
                    }
                }
                Err(e) => Err(e.to_string()),
            };
            item.finish(committed);
        }
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    /// Grouped writes share a transaction; one that fails or asks to be undone does not take the
    /// others with it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn grouped_writes_commit_together_and_a_spoiled_item_does_not_sink_the_batch() {
        use crate::audit::{self, NewEvent};
        use dsrflow_domain::Actor;
        use serde_json::{Value, json};

        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("g.db").display()))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-02-10T09:00:00Z")
            .unwrap()
            .to_utc();
        // Hold the write lock so that every write below queues and they all run as one batch.
        let blocker = store.write().await.unwrap();
        let mut handles = Vec::new();
        for n in 0..20_u32 {
            let store = store.clone();
            handles.push(tokio::spawn(async move {
                store
                    .grouped(
                        move |tx: &DatabaseTransaction| -> TxFuture<'_, Result<Step<u32>, StoreError>> {
                            Box::pin(async move {
                                audit::append(
                                    tx,
                                    NewEvent {
                                        request_id: None,
                                        actor: Actor::Cli,
                                        action: dsrflow_domain::AuditAction::RequestCreated,
                                        data: json!({ "n": n }),
                                        at,
                                    },
                                )
                                .await?;
                                match n {
                                    5 => Err(StoreError::Corrupt("item 5 fails".to_owned())),
                                    7 | 13 => Ok(Step::Rollback(n)),
                                    _ => Ok(Step::Commit(n)),
                                }
                            })
                        },
                    )
                    .await
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        drop(blocker);
        for (n, h) in handles.into_iter().enumerate() {
            let out = h.await.unwrap();
            if n == 5 {
                assert!(matches!(out, Err(StoreError::Corrupt(_))), "{out:?}");
            } else {
                assert_eq!(out.unwrap(), n as u32);
            }
        }
        let mut kept: Vec<u64> = {
            use crate::entity::audit_event;
            use sea_orm::EntityTrait;
            audit_event::Entity::find()
                .all(store.db())
                .await
                .unwrap()
                .into_iter()
                .map(|e| {
                    serde_json::from_str::<Value>(&e.data).unwrap()["n"]
                        .as_u64()
                        .unwrap()
                })
                .collect()
        };
        kept.sort_unstable();
        let expected: Vec<u64> = (0..20).filter(|n| ![5, 7, 13].contains(n)).collect();
        assert_eq!(kept, expected);
        let report = audit::verify(store.db()).await.unwrap();
        assert_eq!(report.first_break, None);
        assert_eq!(report.events, 17);
    }
}
