//! Queries on tasks, their collected data, and periodic-job ticks.

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
pub async fn update_audited(
    conn: &impl ConnectionTrait,
    mut updated: task::Model,
    event: crate::audit::NewEvent,
) -> Result<task::Model, StoreError> {
    use sea_orm::QueryTrait;
    let expected = updated.version;
    updated.version = expected + 1;
    let change = task::Entity::update_many()
        .set(updated.clone().into_active_model().reset_all())
        .filter(task::Column::Id.eq(updated.id))
        .filter(task::Column::Version.eq(expected))
        .build(conn.get_database_backend());
    crate::audit::append_after(conn, change, event).await?;
    Ok(updated)
}

/// A task with its request and subject, in one query (what a worker needs to claim and run it).
pub async fn find_with_request(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<(task::Model, request::Model, request_subject::Model)>, StoreError> {
    let Some((t, r, s)) = task::Entity::find_by_id(id)
        .find_also_related(request::Entity)
        .and_also_related(request_subject::Entity)
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    match (r, s) {
        (Some(r), Some(s)) => Ok(Some((t, r, s))),
        _ => Err(StoreError::Corrupt(format!(
            "task {id} has no request or subject row"
        ))),
    }
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

/// How many tasks of a request are not final yet.
pub async fn open_count(conn: &impl ConnectionTrait, request_id: Uuid) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    let open: Vec<TaskStatus> = TaskStatus::ALL
        .into_iter()
        .filter(|s| !s.is_final())
        .collect();
    Ok(task::Entity::find()
        .filter(task::Column::RequestId.eq(request_id))
        .filter(task::Column::Status.is_in(open))
        .count(conn)
        .await?)
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
