//! Wake-ups for background work. The database rows (request, task) are the truth; a job only
//! says "look at this now". Use cases enqueue after their transaction commits; if an enqueue is
//! lost (crash, queue down), the reconciler derives it again from the rows.

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use uuid::Uuid;

/// One wake-up. Payloads carry ids only, never personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Create the tasks of a request that entered `in_progress`.
    Fanout(Uuid),
    /// Run (or poll, or retry) one task.
    RunTask(Uuid),
    /// Look whether every task of a request is final and, if so, prepare the answer.
    Settle(Uuid),
    /// Deliver one outbox message.
    Deliver(Uuid),
}

/// Where wake-ups go.
pub trait JobQueue: Send + Sync {
    /// Enqueues a job to run as soon as possible, or not before `at`.
    fn enqueue(&self, job: Job, at: Option<DateTime<Utc>>) -> BoxFuture<'_, Result<(), String>>;

    /// Enqueues several jobs to run as soon as possible; a queue may write them at once (one
    /// transaction instead of one per job).
    fn enqueue_many(&self, jobs: Vec<Job>) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            for job in jobs {
                self.enqueue(job, None).await?;
            }
            Ok(())
        })
    }
}

/// A queue that drops jobs: the reconciler finds the work from the rows (used by one-shot CLI
/// commands that run no worker).
#[derive(Debug, Default)]
pub struct NoQueue;

impl JobQueue for NoQueue {
    fn enqueue(&self, _job: Job, _at: Option<DateTime<Utc>>) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

/// An in-memory queue that tests drain explicitly (see [`crate::work::drain`]).
#[derive(Debug, Default)]
pub struct MemoryQueue(Mutex<VecDeque<(Job, Option<DateTime<Utc>>)>>);

impl MemoryQueue {
    /// Takes the first job due at `now`, if any.
    pub fn pop_due(&self, now: DateTime<Utc>) -> Option<Job> {
        let mut q = self.0.lock().ok()?;
        let idx = q.iter().position(|(_, at)| at.is_none_or(|t| t <= now))?;
        q.remove(idx).map(|(j, _)| j)
    }

    /// How many jobs wait (due or not).
    pub fn len(&self) -> usize {
        self.0.lock().map(|q| q.len()).unwrap_or(0)
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl JobQueue for MemoryQueue {
    fn enqueue(&self, job: Job, at: Option<DateTime<Utc>>) -> BoxFuture<'_, Result<(), String>> {
        if let Ok(mut q) = self.0.lock() {
            q.push_back((job, at));
        }
        Box::pin(async { Ok(()) })
    }
}
