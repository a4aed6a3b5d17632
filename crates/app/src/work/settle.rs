//! Settling: once every task of a request is final, the request moves on (to review, or
//! answered when its kind is approved automatically); one settle at a time per request.

use super::*;
use dsrflow_domain::AuditAction;

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
    pub(super) running: std::sync::Mutex<std::collections::HashMap<Uuid, bool>>,
    pub(super) queued: std::sync::Mutex<std::collections::HashSet<Uuid>>,
}

impl Settling {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<Uuid, bool>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn queued(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<Uuid>> {
        self.queued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a settle job should be queued for `id`: not if one is queued and not started.
    pub(super) fn should_queue(&self, id: Uuid) -> bool {
        self.queued().insert(id)
    }

    /// A settle job for `id` starts: the next task to find none open queues another.
    pub(super) fn started(&self, id: Uuid) {
        self.queued().remove(&id);
    }

    /// The turn to settle `id`, or None when another job holds it (it will look again).
    pub(super) fn enter(&self, id: Uuid) -> Option<SettleTurn<'_>> {
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

pub(super) struct SettleTurn<'a> {
    pub(super) settling: &'a Settling,
    pub(super) id: Uuid,
    pub(super) left: bool,
}

impl SettleTurn<'_> {
    /// Whether another job asked for a new look meanwhile; if not, the turn ends (atomically,
    /// so a request arriving now starts a turn of its own).
    pub(super) fn again(&mut self) -> bool {
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

pub(super) async fn settle_once(app: &App, request_id: Uuid) -> Result<(), AppError> {
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
    // The recipients are told once the work they are told about is done (Art. 19): their
    // notices are the request's last tasks, and it settles when they have ended.
    let notices = app.systems.map.notices(
        request.kind,
        tasks
            .iter()
            .map(|t| (t.system.as_str(), t.action, t.status)),
    );
    if !notices.is_empty() {
        return super::fanout::add_tasks(
            app,
            &request,
            notices,
            AuditAction::RequestNoticesPlanned,
        )
        .await;
    }
    // Access and portability: the answer is a package built from what every system returned.
    if request.kind.produces_package()
        && let Some(rec) = rq::find(app.store.db(), request_id).await?
    {
        crate::package::build(app, &rec, &tasks).await?;
    }
    let caller = system_caller();
    match transition(
        app,
        &caller,
        request_id,
        AuditAction::RequestTasksSettled,
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
