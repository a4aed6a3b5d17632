//! Queries on received mail.

use sea_orm::prelude::Uuid;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::StoreError;
use crate::entity::inbound_message;
use dsrflow_domain::inbox::ReviewStatus;

/// A message already processed, by Message-ID or source.
pub async fn find_processed(
    conn: &impl ConnectionTrait,
    message_id: &str,
    source: Option<&str>,
) -> Result<Option<inbound_message::Model>, StoreError> {
    if let Some(m) = inbound_message::Entity::find()
        .filter(inbound_message::Column::MessageId.eq(message_id))
        .one(conn)
        .await?
    {
        return Ok(Some(m));
    }
    match source {
        Some(s) => Ok(inbound_message::Entity::find()
            .filter(inbound_message::Column::Source.eq(s))
            .one(conn)
            .await?),
        None => Ok(None),
    }
}

/// Records a processed message.
pub async fn insert(
    conn: &impl ConnectionTrait,
    m: inbound_message::Model,
) -> Result<(), StoreError> {
    inbound_message::Entity::insert(m.into_active_model())
        .exec_without_returning(conn)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict("this message")
            } else {
                e.into()
            }
        })?;
    Ok(())
}

/// One message.
pub async fn find(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<inbound_message::Model>, StoreError> {
    Ok(inbound_message::Entity::find_by_id(id).one(conn).await?)
}

/// The open review queue, oldest first.
pub async fn review_queue(
    conn: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<inbound_message::Model>, StoreError> {
    Ok(inbound_message::Entity::find()
        .filter(inbound_message::Column::ReviewStatus.eq(ReviewStatus::Open))
        .order_by_asc(inbound_message::Column::ReceivedAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// How many messages wait in the review queue.
pub async fn review_count(conn: &impl ConnectionTrait) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(inbound_message::Entity::find()
        .filter(inbound_message::Column::ReviewStatus.eq(ReviewStatus::Open))
        .count(conn)
        .await?)
}

/// Marks a review item resolved, recording the requests it became (if any), and drops the
/// kept original (it is no longer needed: Art. 5(1)(c), (e)).
pub async fn resolve(
    conn: &impl ConnectionTrait,
    id: Uuid,
    request_ids: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, StoreError> {
    let res = inbound_message::Entity::update_many()
        .col_expr(
            inbound_message::Column::ReviewStatus,
            sea_orm::sea_query::Expr::value(ReviewStatus::Resolved.as_str()),
        )
        .col_expr(
            inbound_message::Column::RequestIds,
            sea_orm::sea_query::Expr::value(request_ids.to_owned()),
        )
        .col_expr(
            inbound_message::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .col_expr(
            inbound_message::Column::Raw,
            sea_orm::sea_query::Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(inbound_message::Column::Id.eq(id))
        .filter(inbound_message::Column::ReviewStatus.eq(ReviewStatus::Open))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}
