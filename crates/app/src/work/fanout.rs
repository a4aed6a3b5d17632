//! Fan-out: a request in progress becomes one task per system of its plan (once), and the
//! tasks are woken.

use super::*;

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
        .map(|p| tq::pending(request_id, p.system.clone(), p.action, now))
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
