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
use dsrflow_store::entity::task;
use dsrflow_store::requests as rq;
use dsrflow_store::tasks as tq;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::jobs::{Job, MemoryQueue};
use crate::requests::{Caller, transition};
use crate::{App, AppError, FieldError};

mod fanout;
mod manual;
mod reconcile;
mod runner;
mod settle;

pub use self::fanout::*;
pub use self::manual::*;
pub use self::reconcile::*;
pub use self::runner::*;
pub use self::settle::*;

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
