//! The reconciler: wake-ups a crash lost are derived again from the rows; OpenDSR callbacks
//! wake the task they are about.

use super::*;

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

/// Asks processors to drop the work they still have for tasks skipped when their request
/// closed (withdrawn, refused, forwarded …): each answer is recorded with its event and the
/// reference cleared; a transient failure is tried again at the next run (the reference on
/// the skipped task is what remains to do, so a crash loses nothing). Returns how many were
/// settled.
pub async fn cancel_at_processors(app: &App) -> Result<usize, AppError> {
    const BATCH: u64 = 100;
    let mut n = 0;
    for t in tq::to_cancel(app.store.db(), BATCH).await? {
        let Some(reference) = t.external_ref.clone() else {
            continue;
        };
        let answer = match app.systems.registry.get(&t.system) {
            // The system is no longer configured: nothing to ask.
            None => Ok(false),
            Some(connector) => match tokio::time::timeout(
                app.settings.work.call_timeout,
                connector.cancel(&reference),
            )
            .await
            {
                Ok(r) => r,
                Err(_) => Err(ConnectorError::transient("no answer in time")),
            },
        };
        let event = match answer {
            Ok(false) => None,
            Ok(true) => Some(json!({"accepted": true})),
            Err(ConnectorError::Permanent { .. }) => Some(json!({"accepted": false})),
            Err(ConnectorError::Transient { message, .. }) => {
                tracing::warn!(task = %t.id, system = %t.system, error = %message, "cancelling at the processor failed; will try again");
                continue;
            }
        };
        let now = app.clock.now();
        let mut next = t.clone();
        next.external_ref = None;
        next.updated_at = now;
        let event = event.map(|mut data| {
            data["task_id"] = json!(t.id);
            data["system"] = json!(t.system);
            NewEvent {
                request_id: Some(t.request_id),
                actor: Actor::System,
                action: dsrflow_domain::AuditAction::TaskCancelledAtProcessor,
                data,
                at: now,
            }
        });
        if dsrflow_store::work::record(
            &app.store,
            dsrflow_store::work::Outcome {
                task: next,
                event,
                result: None,
                mail: Vec::new(),
            },
        )
        .await?
        .is_some()
        {
            n += 1;
        }
    }
    Ok(n)
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
