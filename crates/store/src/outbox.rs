//! Queries on the outbox.

use chrono::{DateTime, Utc};
use sea_orm::prelude::Uuid;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::StoreError;
use crate::entity::outbox;
use dsrflow_domain::message::MailStatus;

/// Inserts a message; false when a message with the same dedupe key already exists (one
/// statement, `ON CONFLICT DO NOTHING`, so a duplicate never aborts the caller's transaction).
pub async fn insert(conn: &impl ConnectionTrait, m: outbox::Model) -> Result<bool, StoreError> {
    use sea_orm::sea_query::OnConflict;
    let n = outbox::Entity::insert(m.into_active_model())
        .on_conflict(
            OnConflict::column(outbox::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(n > 0)
}

/// The insert of [`insert`] (nothing inserted when the dedupe key is taken), to run in a
/// [`crate::batch::Batch`].
pub(crate) fn insert_statement(
    backend: sea_orm::DbBackend,
    m: outbox::Model,
) -> sea_orm::Statement {
    use sea_orm::QueryTrait;
    use sea_orm::sea_query::OnConflict;
    outbox::Entity::insert(m.into_active_model())
        .on_conflict(
            OnConflict::column(outbox::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .build(backend)
}

/// Whether a message with this dedupe key was ever queued.
pub async fn dedupe_key_taken(conn: &impl ConnectionTrait, key: &str) -> Result<bool, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(outbox::Entity::find()
        .filter(outbox::Column::DedupeKey.eq(key))
        .count(conn)
        .await?
        > 0)
}

/// One message.
pub async fn find(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<outbox::Model>, StoreError> {
    Ok(outbox::Entity::find_by_id(id).one(conn).await?)
}

/// Writes every column if the version still matches, and bumps it.
pub async fn update(
    conn: &impl ConnectionTrait,
    mut m: outbox::Model,
) -> Result<outbox::Model, StoreError> {
    let expected = m.version;
    m.version = expected + 1;
    let res = outbox::Entity::update_many()
        .set(m.clone().into_active_model().reset_all())
        .filter(outbox::Column::Id.eq(m.id))
        .filter(outbox::Column::Version.eq(expected))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::Concurrent);
    }
    Ok(m)
}

/// Like [`update`], with the audit event that records the change, committed on its own
/// (`crate::Store::audited_change`: batched with the others recorded at the same moment).
pub async fn update_audited_alone(
    store: &crate::Store,
    mut m: outbox::Model,
    event: crate::audit::NewEvent,
) -> Result<outbox::Model, StoreError> {
    use sea_orm::QueryTrait;
    let expected = m.version;
    m.version = expected + 1;
    let change = outbox::Entity::update_many()
        .set(m.clone().into_active_model().reset_all())
        .filter(outbox::Column::Id.eq(m.id))
        .filter(outbox::Column::Version.eq(expected))
        .build(store.backend());
    store.audited_change(m.id, change, event).await?;
    Ok(m)
}

/// Messages to deliver now: pending and due, or held by a worker whose lease expired.
pub async fn due(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<outbox::Model>, StoreError> {
    Ok(outbox::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(outbox::Column::Status.eq(MailStatus::Pending))
                        .add(
                            Condition::any()
                                .add(outbox::Column::NextAttemptAt.is_null())
                                .add(outbox::Column::NextAttemptAt.lte(now)),
                        ),
                )
                .add(
                    Condition::all()
                        .add(outbox::Column::Status.eq(MailStatus::Sending))
                        .add(outbox::Column::LeaseUntil.lt(now)),
                ),
        )
        .order_by_asc(outbox::Column::CreatedAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// The messages of a request, oldest first.
pub async fn for_request(
    conn: &impl ConnectionTrait,
    request_id: Uuid,
) -> Result<Vec<outbox::Model>, StoreError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::RequestId.eq(request_id))
        .order_by_asc(outbox::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// A message by its Message-ID header (to attach replies).
pub async fn by_message_id(
    conn: &impl ConnectionTrait,
    message_id: &str,
) -> Result<Option<outbox::Model>, StoreError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::MessageId.eq(message_id))
        .one(conn)
        .await?)
}

/// Ids of a task's messages still to deliver.
pub async fn for_task_pending(
    conn: &impl ConnectionTrait,
    task_id: Uuid,
) -> Result<Vec<Uuid>, StoreError> {
    Ok(outbox::Entity::find()
        .filter(outbox::Column::TaskId.eq(task_id))
        .filter(outbox::Column::Status.eq(MailStatus::Pending))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect())
}

/// One page of messages, newest first, optionally of one status, with the total count.
pub async fn list(
    conn: &impl ConnectionTrait,
    status: Option<MailStatus>,
    page: u64,
    per_page: u64,
) -> Result<(Vec<outbox::Model>, u64), StoreError> {
    use sea_orm::PaginatorTrait;
    let mut q = outbox::Entity::find();
    if let Some(s) = status {
        q = q.filter(outbox::Column::Status.eq(s));
    }
    let total = q.clone().count(conn).await?;
    let rows = q
        .order_by_desc(outbox::Column::CreatedAt)
        .order_by_desc(outbox::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((rows, total))
}
