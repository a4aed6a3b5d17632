//! Fan-out: a request in progress becomes one task per system of its plan (once), and the
//! tasks are woken.

use dsrflow_domain::AuditAction;
use dsrflow_store::work::{FanOut, FannedOut, Suppress};

use super::*;

/// Creates the tasks of a request that is in progress (once), then wakes them.
///
/// The tasks and, at once rather than when every system has answered, the suppression entry
/// (an objection to direct marketing is absolute, Art. 21(3), and an erased subject must not be
/// re-imported meanwhile) are written with the `request.fanned_out` event, in one store write
/// ([`dsrflow_store::work::fan_out`]).
pub async fn fan_out(app: &App, request_id: Uuid) -> Result<(), AppError> {
    let now = app.clock.now();
    let Some((request, subject)) = rq::find_with_subject(app.store.db(), request_id).await? else {
        return Ok(());
    };
    if request.status != RequestStatus::InProgress {
        return Ok(());
    }
    let plan = app.systems.map.plan(request.kind);
    let tasks: Vec<task::Model> = plan
        .iter()
        .map(|p| tq::pending(request_id, p.system.clone(), p.action, now))
        .collect();
    let ids: Vec<Uuid> = tasks.iter().map(|t| t.id).collect();
    let suppressed = request.kind.suppression();
    let event = NewEvent {
        request_id: Some(request_id),
        actor: Actor::System,
        action: AuditAction::RequestFannedOut,
        data: json!({
            "tasks": plan.iter().map(|p| json!({"system": p.system, "action": p.action})).collect::<Vec<_>>(),
            "suppressed": suppressed,
        }),
        at: now,
    };
    let written = dsrflow_store::work::fan_out(
        &app.store,
        FanOut {
            request_id,
            status: request.status,
            tasks,
            suppress: suppressed.map(|scope| Suppress {
                hash: crate::suppression::hash(app, &subject.email),
                scope,
            }),
            event,
        },
    )
    .await?;
    match written {
        FannedOut::Written => {}
        FannedOut::Moved => return Ok(()),
        // A replayed job, a request sent back to work, or another worker fanning it out at the
        // same moment: its tasks stand, and are woken.
        FannedOut::Existing => return wake_existing(app, request_id).await,
    }
    tracing::info!(request = %request_id, tasks = ids.len(), "fanned out");
    if ids.is_empty() {
        app.wake(Job::Settle(request_id), None).await;
    }
    app.wake_many(ids.into_iter().map(Job::RunTask).collect())
        .await;
    Ok(())
}

/// Adds tasks to a request in progress (the Art. 19 notices once its work has settled), with
/// the event that records them, in one store write; then wakes them. Nothing is written when
/// they exist already (another worker added them).
pub(super) async fn add_tasks(
    app: &App,
    request: &dsrflow_store::entity::request::Model,
    planned: Vec<dsrflow_domain::datamap::PlannedTask>,
    action: AuditAction,
) -> Result<(), AppError> {
    let now = app.clock.now();
    let tasks: Vec<task::Model> = planned
        .iter()
        .map(|p| tq::pending(request.id, p.system.clone(), p.action, now))
        .collect();
    let ids: Vec<Uuid> = tasks.iter().map(|t| t.id).collect();
    let event = NewEvent {
        request_id: Some(request.id),
        actor: Actor::System,
        action,
        data: json!({
            "tasks": planned.iter().map(|p| json!({"system": p.system, "action": p.action})).collect::<Vec<_>>(),
        }),
        at: now,
    };
    let written = dsrflow_store::work::fan_out(
        &app.store,
        FanOut {
            request_id: request.id,
            status: request.status,
            tasks,
            suppress: None,
            event,
        },
    )
    .await?;
    match written {
        FannedOut::Written => {
            app.wake_many(ids.into_iter().map(Job::RunTask).collect())
                .await;
            Ok(())
        }
        FannedOut::Moved => Ok(()),
        FannedOut::Existing => wake_existing(app, request.id).await,
    }
}

/// Wakes the open tasks of a request that was fanned out already (and its settling when none
/// is open).
pub(super) async fn wake_existing(app: &App, request_id: Uuid) -> Result<(), AppError> {
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
