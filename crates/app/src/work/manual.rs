//! Work done by a person: completing a manual, email or failed task with a note (and an
//! objection's decision), and retrying a failed one.

use super::*;
use dsrflow_domain::AuditAction;

/// The most records a person can attach to an access task.
pub const MAX_FOUND_RECORDS: usize = 500;

/// The dataset name of what a person found by hand, in the package.
pub const FOUND_BY_HAND: &str = "found by hand";

/// How a person completes a task.
#[derive(Debug, Clone)]
pub enum Completion {
    /// The work is done with this status (`succeeded`, `not_found`, `retained` or `failed`).
    Done {
        /// The resulting status.
        status: TaskStatus,
        /// For `retained`: the rule that kept the data.
        rule: Option<String>,
        /// For an access task that succeeded: what the person found, as records (JSON
        /// objects), for the answer's package.
        found: Vec<serde_json::Value>,
    },
    /// For an objection to legitimate-interest processing (Art. 21(1)): the objection is upheld
    /// (processing stops: an erasure task is created for the system) or rejected (compelling
    /// legitimate grounds, stated in the note).
    Decision {
        /// Whether the objection is upheld.
        uphold: bool,
    },
}

/// A person completes a task that waits for manual work or for a processor's answer by mail
/// (or settles a failed one by hand).
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
    // A processor asked by mail may answer by other means (a reply, a call): the officer can
    // record it instead of waiting for the reminders to run out.
    let waits_for_processor_mail = t.status == TaskStatus::Running
        && dsrflow_connectors::email::reminders_sent(t.external_ref.as_deref()).is_some();
    if !matches!(t.status, TaskStatus::AwaitingManual | TaskStatus::Failed)
        && !waits_for_processor_mail
    {
        return Err(AppError::Conflict(format!(
            "only a task awaiting manual work, waiting for a processor's answer by mail, or a failed one can be completed by hand; this one is {}",
            t.status
        )));
    }
    let rec = rq::find(&*tx, t.request_id)
        .await?
        .ok_or(AppError::NotFound("request"))?;
    // Lifting a restriction is done after the answer: the request is final by then.
    if rec.request.status.is_final() && !t.action.runs_after_answer() {
        return Err(AppError::Conflict(format!(
            "the request is already {}",
            rec.request.status
        )));
    }
    let mut follow_up = None;
    let mut found_by_hand: Vec<serde_json::Value> = Vec::new();
    let (status, decision, rule) = match completion {
        Completion::Decision { uphold } => {
            if t.action != TaskAction::Decide {
                return Err(AppError::Validation(vec![FieldError::new(
                    "decision",
                    "only an objection decision task takes a decision",
                )]));
            }
            if uphold {
                follow_up = Some(tq::pending(
                    t.request_id,
                    t.system.clone(),
                    TaskAction::Erase,
                    now,
                ));
            }
            (
                TaskStatus::Succeeded,
                Some(if uphold { "upheld" } else { "rejected" }),
                None,
            )
        }
        Completion::Done {
            status,
            rule,
            found,
        } => {
            if !found.is_empty() {
                if t.action != TaskAction::Access || status != TaskStatus::Succeeded {
                    return Err(AppError::Validation(vec![FieldError::new(
                        "found",
                        "only an access task completed as succeeded takes what was found",
                    )]));
                }
                if found.len() > MAX_FOUND_RECORDS || !found.iter().all(|r| r.is_object()) {
                    return Err(AppError::Validation(vec![FieldError::new(
                        "found",
                        format!("give at most {MAX_FOUND_RECORDS} records, each a JSON object"),
                    )]));
                }
                found_by_hand = found;
            }
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
                _ if !found_by_hand.is_empty() => dsrflow_connectors::Effect::Found,
                _ => dsrflow_connectors::Effect::Done,
            },
            count: if found_by_hand.is_empty() {
                u64::from(status != TaskStatus::NotFound)
            } else {
                found_by_hand.len() as u64
            },
            rule,
            until: None,
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
    // What the person found goes into the package, sealed as a connector's data is.
    if !found_by_hand.is_empty() {
        let dataset = vec![dsrflow_connectors::Dataset {
            name: FOUND_BY_HAND.to_owned(),
            records: found_by_hand,
            truncated: false,
        }];
        let plain = serde_json::to_vec(&dataset)
            .map_err(|e| AppError::Internal(format!("found records: {e}")))?;
        let sealed = app.settings.data_key.seal(t.id.as_bytes(), &plain);
        tq::put_result(&*tx, t.id, sealed, now).await?;
    }
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
            action: AuditAction::TaskCompletedByHand,
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
            action: AuditAction::TaskRetried,
            data: json!({"task_id": t.id, "system": t.system, "action": t.action}),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    app.wake(Job::RunTask(t.id), None).await;
    Ok(t)
}
