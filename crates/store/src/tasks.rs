//! Queries on tasks, their collected data, and periodic-job ticks.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dsrflow_domain::TaskStatus;
use sea_orm::prelude::Uuid;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};

use crate::StoreError;
use crate::entity::{periodic_run, request, request_subject, task, task_result};

/// Inserts new tasks; a task that already exists for (request, system, action) is a conflict.
pub async fn insert_many(
    conn: &impl ConnectionTrait,
    tasks: Vec<task::Model>,
) -> Result<(), StoreError> {
    if tasks.is_empty() {
        return Ok(());
    }
    task::Entity::insert_many(tasks.into_iter().map(IntoActiveModel::into_active_model))
        .exec_without_returning(conn)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict("a task for this request, system and action")
            } else {
                e.into()
            }
        })?;
    Ok(())
}

/// The insert of [`insert_many`], to run in a [`crate::batch::Batch`] (a unique violation
/// there means the request's tasks exist already).
pub(crate) fn insert_many_statement(
    backend: sea_orm::DbBackend,
    tasks: Vec<task::Model>,
) -> Option<Statement> {
    use sea_orm::QueryTrait;
    Some(insert_query(tasks)?.build(backend))
}

/// An insert of a request's tasks that inserts nothing where the request has the task already
/// (same system and action), for [`crate::Store::audited_change_with`] on PostgreSQL: it took
/// effect when it inserted a row.
pub(crate) fn insert_new_statement(
    backend: sea_orm::DbBackend,
    tasks: Vec<task::Model>,
) -> Option<Statement> {
    use sea_orm::QueryTrait;
    use sea_orm::sea_query::OnConflict;
    Some(
        insert_query(tasks)?
            .on_conflict(
                OnConflict::columns([
                    task::Column::RequestId,
                    task::Column::System,
                    task::Column::Action,
                ])
                .do_nothing()
                .to_owned(),
            )
            .build(backend),
    )
}

/// The insert of `tasks`, none when there are none.
fn insert_query(tasks: Vec<task::Model>) -> Option<sea_orm::InsertMany<task::ActiveModel>> {
    if tasks.is_empty() {
        return None;
    }
    Some(task::Entity::insert_many(
        tasks.into_iter().map(IntoActiveModel::into_active_model),
    ))
}

/// The tasks of a request, in creation order.
pub async fn for_request(
    conn: &impl ConnectionTrait,
    request_id: Uuid,
) -> Result<Vec<task::Model>, StoreError> {
    Ok(task::Entity::find()
        .filter(task::Column::RequestId.eq(request_id))
        .order_by_asc(task::Column::CreatedAt)
        .order_by_asc(task::Column::Id)
        .all(conn)
        .await?)
}

/// One task.
pub async fn find(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<task::Model>, StoreError> {
    Ok(task::Entity::find_by_id(id).one(conn).await?)
}

/// Writes every column of `updated` if the stored version is still `updated.version`, and bumps
/// it. [`StoreError::Concurrent`] means another worker changed the task first.
pub async fn update(
    conn: &impl ConnectionTrait,
    mut updated: task::Model,
) -> Result<task::Model, StoreError> {
    let expected = updated.version;
    updated.version = expected + 1;
    let res = task::Entity::update_many()
        .set(updated.clone().into_active_model().reset_all())
        .filter(task::Column::Id.eq(updated.id))
        .filter(task::Column::Version.eq(expected))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::Concurrent);
    }
    Ok(updated)
}

/// Like [`update`], with the audit event that records the change appended after it (on SQLite
/// in the same round trip, see [`crate::audit::append_after`]).
pub(crate) async fn update_audited(
    conn: &impl ConnectionTrait,
    mut updated: task::Model,
    event: crate::audit::NewEvent,
) -> Result<task::Model, StoreError> {
    let change = versioned_update(conn.get_database_backend(), &mut updated);
    crate::audit::append_after(conn, change, event).await?;
    Ok(updated)
}

/// Like [`update_audited`], committed on its own: batched with the outcomes other workers record
/// at the same moment ([`crate::Store::audited_change`]).
pub(crate) async fn update_audited_alone(
    store: &crate::Store,
    mut updated: task::Model,
    event: crate::audit::NewEvent,
) -> Result<task::Model, StoreError> {
    let change = versioned_update(store.backend(), &mut updated);
    store.audited_change(updated.id, change, event).await?;
    Ok(updated)
}

/// The update of every column of `updated` if the stored version is still its version, which
/// it bumps (the statement changes no row when someone else changed the task first).
fn versioned_update(backend: sea_orm::DbBackend, updated: &mut task::Model) -> Statement {
    use sea_orm::QueryTrait;
    let expected = updated.version;
    updated.version = expected + 1;
    task::Entity::update_many()
        .set(updated.clone().into_active_model().reset_all())
        .filter(task::Column::Id.eq(updated.id))
        .filter(task::Column::Version.eq(expected))
        .build(backend)
}

/// A task claimed by `claim_many`, with what its worker needs.
#[derive(Debug, Clone)]
pub struct ClaimedTask {
    /// The task as claimed (`running`, attempt counted, lease set, version bumped).
    pub task: task::Model,
    /// Its request.
    pub request: request::Model,
    /// The request's subject.
    pub subject: request_subject::Model,
    /// It was running with a processor's reference: this attempt asks the processor again
    /// (the attempt is not counted).
    pub polling: bool,
    /// It was running without one: the worker that held it died mid-call.
    pub interrupted: bool,
}

/// Claims the tasks among `ids` that are due, on PostgreSQL, in one statement committed on its
/// own (the claims of a fetch): a task is due when it is `pending` or `retrying` and its next
/// attempt time has passed, or `running` with an expired lease, and its request is not final.
/// A claimed task is `running` until `lease_until`, its attempt counted unless it only polls a
/// processor. Tasks not due, or claimed by someone else meanwhile, are absent. SQLite claims one
/// task at a time, in Rust, behind its single writer (`work::claim`); this is the same rule.
///
/// The tasks are found by primary key only: the status conditions are written as a `CASE` so
/// that the planner, whose statistics lag behind statuses that change thousands of times a
/// minute, never walks the status index instead (measured: 14 ms a claim, growing with churn).
pub(crate) async fn claim_many(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<HashMap<Uuid, ClaimedTask>, StoreError> {
    use dsrflow_domain::RequestStatus;
    use sea_orm::{FromQueryResult, IdenStatic, Iterable};
    let cols = |prefix: &str, table: &str, names: Vec<&'static str>| -> String {
        names
            .into_iter()
            .map(|c| format!("{table}.\"{c}\" AS \"{prefix}{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let select = [
        cols(
            "A_",
            "c",
            task::Column::iter().map(|c| c.as_str()).collect(),
        ),
        cols(
            "B_",
            "r",
            request::Column::iter().map(|c| c.as_str()).collect(),
        ),
        cols(
            "C_",
            "s",
            request_subject::Column::iter()
                .map(|c| c.as_str())
                .collect(),
        ),
    ]
    .join(", ");
    let (running, pending, retrying) = (
        TaskStatus::Running.as_str(),
        TaskStatus::Pending.as_str(),
        TaskStatus::Retrying.as_str(),
    );
    // Tasks that run after the answer (`TaskAction::runs_after_answer`) are claimed on a final
    // request too.
    let after_answer = dsrflow_domain::TaskAction::Lift.as_str();
    let sql = format!(
        "WITH o AS (SELECT id, status, external_ref FROM dsr_task WHERE id = ANY($1)), \
         c AS (UPDATE dsr_task t SET status = '{running}', \
           attempts = t.attempts + CASE WHEN t.status = '{running}' AND t.external_ref IS NOT NULL THEN 0 ELSE 1 END, \
           lease_until = $3, next_attempt_at = NULL, started_at = COALESCE(t.started_at, $2), \
           updated_at = $2, version = t.version + 1 \
         FROM o, dsr_request r \
         WHERE t.id = ANY($1) AND t.id = o.id AND r.id = t.request_id AND (r.status <> ALL($4) OR t.action = '{after_answer}') \
           AND CASE t.status \
             WHEN '{pending}' THEN t.next_attempt_at IS NULL OR t.next_attempt_at <= $2 \
             WHEN '{retrying}' THEN t.next_attempt_at IS NULL OR t.next_attempt_at <= $2 \
             WHEN '{running}' THEN t.lease_until IS NULL OR t.lease_until <= $2 \
             ELSE false END \
         RETURNING t.*, o.status AS was, o.external_ref IS NOT NULL AS had_ref) \
         SELECT {select}, c.was AS was, c.had_ref AS had_ref \
         FROM c JOIN dsr_request r ON r.id = c.request_id JOIN request_subject s ON s.request_id = c.request_id"
    );
    let finals: Vec<String> = RequestStatus::ALL
        .into_iter()
        .filter(|s| s.is_final())
        .map(|s| s.as_str().to_owned())
        .collect();
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            sql,
            vec![
                ids.to_vec().into(),
                now.into(),
                lease_until.into(),
                finals.into(),
            ],
        ))
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let task = task::Model::from_query_result(&row, "A_")?;
        let was: String = row.try_get("", "was")?;
        let had_ref: bool = row.try_get("", "had_ref")?;
        let running = was == TaskStatus::Running.as_str();
        out.insert(
            task.id,
            ClaimedTask {
                request: request::Model::from_query_result(&row, "B_")?,
                subject: request_subject::Model::from_query_result(&row, "C_")?,
                polling: running && had_ref,
                interrupted: running && !had_ref,
                task,
            },
        );
    }
    Ok(out)
}

/// Several tasks with their requests and subjects, in one query (the claims of a fetch); tasks
/// not found are absent.
pub(crate) async fn find_many_with_request(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, (task::Model, request::Model, request_subject::Model)>, StoreError> {
    let rows = task::Entity::find()
        .filter(task::Column::Id.is_in(ids.iter().copied()))
        .find_also_related(request::Entity)
        .and_also_related(request_subject::Entity)
        .all(conn)
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for (t, r, s) in rows {
        match (r, s) {
            (Some(r), Some(s)) => {
                out.insert(t.id, (t, r, s));
            }
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "task {} has no request or subject row",
                    t.id
                )));
            }
        }
    }
    Ok(out)
}

/// Tasks a worker should pick up now: pending or retrying and due, or running with an expired
/// lease (a crashed worker, or a processor to ask again).
pub async fn due(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<task::Model>, StoreError> {
    use sea_orm::Condition;
    Ok(task::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(
                            task::Column::Status.is_in([TaskStatus::Pending, TaskStatus::Retrying]),
                        )
                        .add(
                            Condition::any()
                                .add(task::Column::NextAttemptAt.is_null())
                                .add(task::Column::NextAttemptAt.lte(now)),
                        ),
                )
                .add(
                    Condition::all()
                        .add(task::Column::Status.eq(TaskStatus::Running))
                        .add(task::Column::LeaseUntil.lt(now)),
                ),
        )
        .order_by_asc(task::Column::CreatedAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Tasks waiting for a processor's mail confirmation (running with a `mail:` reference).
pub async fn waiting_for_mail(conn: &impl ConnectionTrait) -> Result<Vec<task::Model>, StoreError> {
    Ok(task::Entity::find()
        .filter(task::Column::Status.is_in([TaskStatus::Running, TaskStatus::AwaitingManual]))
        .filter(task::Column::ExternalRef.starts_with("mail:"))
        .all(conn)
        .await?)
}

/// The external reference of an Art. 19 notice sent by mail and not yet acknowledged by its
/// recipient.
pub const NOTICE_SENT: &str = "notice";
/// The external reference of a notice its recipient acknowledged through its link.
pub const NOTICE_ACKNOWLEDGED: &str = "notice:acknowledged";

/// Art. 19 notices sent by mail whose recipient has not acknowledged them yet.
pub async fn notices_unacknowledged(
    conn: &impl ConnectionTrait,
) -> Result<Vec<task::Model>, StoreError> {
    Ok(task::Entity::find()
        .filter(task::Column::Action.eq(dsrflow_domain::TaskAction::Notify))
        .filter(task::Column::ExternalRef.eq(NOTICE_SENT))
        .all(conn)
        .await?)
}

/// The task whose processor reference is `external_ref`.
pub async fn by_external_ref(
    conn: &impl ConnectionTrait,
    external_ref: &str,
) -> Result<Option<task::Model>, StoreError> {
    Ok(task::Entity::find()
        .filter(task::Column::ExternalRef.eq(external_ref))
        .one(conn)
        .await?)
}

/// Tasks waiting for a person, oldest first.
pub async fn awaiting_manual(
    conn: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<task::Model>, StoreError> {
    Ok(task::Entity::find()
        .filter(task::Column::Status.eq(TaskStatus::AwaitingManual))
        .order_by_asc(task::Column::UpdatedAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// How many tasks of each request are not final, in one query; requests with none are absent.
pub(crate) async fn open_counts(
    conn: &impl ConnectionTrait,
    request_ids: &[Uuid],
) -> Result<HashMap<Uuid, u64>, StoreError> {
    let open: Vec<TaskStatus> = TaskStatus::ALL
        .into_iter()
        .filter(|s| !s.is_final())
        .collect();
    let rows: Vec<(Uuid, i64)> = task::Entity::find()
        .select_only()
        .column(task::Column::RequestId)
        .column_as(task::Column::Id.count(), "open")
        .filter(task::Column::RequestId.is_in(request_ids.iter().copied()))
        .filter(task::Column::Status.is_in(open))
        .group_by(task::Column::RequestId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// Marks every non-final task of a request as skipped (the request closed first).
pub async fn skip_open(
    conn: &impl ConnectionTrait,
    request_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let open: Vec<TaskStatus> = TaskStatus::ALL
        .into_iter()
        .filter(|s| !s.is_final())
        .collect();
    let res = task::Entity::update_many()
        .col_expr(
            task::Column::Status,
            sea_orm::sea_query::Expr::value(TaskStatus::Skipped),
        )
        .col_expr(
            task::Column::FinishedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .col_expr(
            task::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .col_expr(
            task::Column::Version,
            sea_orm::sea_query::ExprTrait::add(
                sea_orm::sea_query::Expr::col(task::Column::Version),
                1,
            ),
        )
        .filter(task::Column::RequestId.eq(request_id))
        .filter(task::Column::Status.is_in(open))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// Stores the sealed data an access task collected (replacing an earlier attempt's).
pub async fn put_result(
    conn: &impl ConnectionTrait,
    task_id: Uuid,
    data: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    task_result::Entity::delete_by_id(task_id)
        .exec(conn)
        .await?;
    task_result::ActiveModel {
        task_id: Set(task_id),
        data: Set(data),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The sealed data of one task.
pub async fn result(
    conn: &impl ConnectionTrait,
    task_id: Uuid,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(task_result::Entity::find_by_id(task_id)
        .one(conn)
        .await?
        .map(|r| r.data))
}

/// Deletes the collected data of a request's tasks (once packaged, or when closed).
pub async fn delete_results(
    conn: &impl ConnectionTrait,
    request_id: Uuid,
) -> Result<u64, StoreError> {
    let ids: Vec<Uuid> = for_request(conn, request_id)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let res = task_result::Entity::delete_many()
        .filter(task_result::Column::TaskId.is_in(ids))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// Requests in progress that have no task yet (fan-out not done or lost).
pub async fn requests_without_tasks(
    conn: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<Uuid>, StoreError> {
    ids(
        conn,
        &format!(
            "SELECT r.id FROM dsr_request r WHERE r.status = 'in_progress' \
             AND NOT EXISTS (SELECT 1 FROM dsr_task t WHERE t.request_id = r.id) LIMIT {limit}"
        ),
    )
    .await
}

/// Requests in progress whose tasks are all final (ready to settle).
pub async fn requests_ready_to_settle(
    conn: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<Uuid>, StoreError> {
    let open: Vec<String> = TaskStatus::ALL
        .into_iter()
        .filter(|s| !s.is_final())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    ids(
        conn,
        &format!(
            "SELECT r.id FROM dsr_request r WHERE r.status = 'in_progress' \
             AND EXISTS (SELECT 1 FROM dsr_task t WHERE t.request_id = r.id) \
             AND NOT EXISTS (SELECT 1 FROM dsr_task t WHERE t.request_id = r.id AND t.status IN ({})) \
             LIMIT {limit}",
            open.join(", ")
        ),
    )
    .await
}

async fn ids(conn: &impl ConnectionTrait, sql: &str) -> Result<Vec<Uuid>, StoreError> {
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            sql.to_owned(),
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<Uuid>("", "id").map_err(StoreError::from))
        .collect()
}

/// Tasks skipped when their request closed while a processor still had them (an external
/// reference other than the `email` connector's `mail:N`): the processor is to be asked to
/// drop them. Oldest first, at most `limit`.
pub async fn to_cancel(
    conn: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<task::Model>, StoreError> {
    Ok(task::Entity::find()
        .filter(task::Column::Status.eq(TaskStatus::Skipped))
        .filter(task::Column::ExternalRef.is_not_null())
        .filter(task::Column::ExternalRef.not_like("mail:%"))
        .order_by_asc(task::Column::UpdatedAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// A new task of `request_id` for `system`, pending and never tried.
pub fn pending(
    request_id: Uuid,
    system: String,
    action: dsrflow_domain::TaskAction,
    now: DateTime<Utc>,
) -> task::Model {
    task::Model {
        id: Uuid::now_v7(),
        request_id,
        system,
        action,
        status: dsrflow_domain::TaskStatus::Pending,
        attempts: 0,
        last_error: None,
        outcome: None,
        external_ref: None,
        instructions: None,
        next_attempt_at: None,
        lease_until: None,
        started_at: None,
        finished_at: None,
        completed_by: None,
        note: None,
        created_at: now,
        updated_at: now,
        version: 0,
    }
}

/// Claims a periodic job's tick for this node; false when another node already ran it.
pub async fn claim_tick(
    conn: &impl ConnectionTrait,
    name: &str,
    tick: &str,
    node: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = periodic_run::Entity::insert(periodic_run::ActiveModel {
        name: Set(name.to_owned()),
        tick: Set(tick.to_owned()),
        node: Set(node.to_owned()),
        ran_at: Set(now),
    })
    .exec_without_returning(conn)
    .await;
    match res {
        Ok(_) => Ok(true),
        Err(e) if StoreError::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Forgets tick bookkeeping older than `before`.
pub async fn prune_ticks(
    conn: &impl ConnectionTrait,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let res = periodic_run::Entity::delete_many()
        .filter(periodic_run::Column::RanAt.lt(before))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}
