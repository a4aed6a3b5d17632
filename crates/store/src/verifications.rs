//! Queries on the secrets sent to data subjects (identity links, download codes).

use chrono::{DateTime, Utc};
use sea_orm::prelude::Uuid;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use crate::StoreError;
use crate::entity::verification;

/// The stored form of the request ids a secret concerns.
pub fn request_ids_text(ids: &[Uuid]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".to_owned())
}

/// The request ids a secret concerns.
pub fn request_ids(row: &verification::Model) -> Vec<Uuid> {
    serde_json::from_str(&row.request_ids).unwrap_or_default()
}

/// Stores a new secret.
pub async fn insert(conn: &impl ConnectionTrait, m: verification::Model) -> Result<(), StoreError> {
    verification::Entity::insert(m.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The insert of [`insert`], to run in a [`crate::batch::Batch`].
pub(crate) fn insert_statement(
    backend: sea_orm::DbBackend,
    m: verification::Model,
) -> sea_orm::Statement {
    use sea_orm::QueryTrait;
    verification::Entity::insert(m.into_active_model()).build(backend)
}

/// The secret with this selector and purpose.
pub async fn by_selector(
    conn: &impl ConnectionTrait,
    purpose: dsrflow_domain::identity::SecretPurpose,
    selector: &str,
) -> Result<Option<verification::Model>, StoreError> {
    Ok(verification::Entity::find()
        .filter(verification::Column::Selector.eq(selector))
        .filter(verification::Column::Purpose.eq(purpose))
        .one(conn)
        .await?)
}

/// Marks a secret used; false when it already was (single use, even under a race).
pub async fn mark_used(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let res = verification::Entity::update_many()
        .col_expr(verification::Column::UsedAt, Expr::value(now))
        .filter(verification::Column::Id.eq(id))
        .filter(verification::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Counts one wrong answer; returns the new count.
pub async fn add_attempt(conn: &impl ConnectionTrait, id: Uuid) -> Result<i32, StoreError> {
    verification::Entity::update_many()
        .col_expr(
            verification::Column::Attempts,
            Expr::col(verification::Column::Attempts).add(1),
        )
        .filter(verification::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(verification::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|m| m.attempts)
        .unwrap_or(i32::MAX))
}

/// The newest unused, unexpired secret of a purpose for exactly these requests.
pub async fn latest_open(
    conn: &impl ConnectionTrait,
    purpose: dsrflow_domain::identity::SecretPurpose,
    request_ids: &str,
    now: DateTime<Utc>,
) -> Result<Option<verification::Model>, StoreError> {
    Ok(verification::Entity::find()
        .filter(verification::Column::Purpose.eq(purpose))
        .filter(verification::Column::RequestIds.eq(request_ids))
        .filter(verification::Column::UsedAt.is_null())
        .filter(verification::Column::ExpiresAt.gt(now))
        .order_by_desc(verification::Column::CreatedAt)
        .one(conn)
        .await?)
}

/// How many secrets of a purpose were issued for these requests since `since` (rate limits).
pub async fn issued_since(
    conn: &impl ConnectionTrait,
    purpose: dsrflow_domain::identity::SecretPurpose,
    request_ids: &str,
    since: DateTime<Utc>,
) -> Result<u64, StoreError> {
    Ok(verification::Entity::find()
        .filter(verification::Column::Purpose.eq(purpose))
        .filter(verification::Column::RequestIds.eq(request_ids))
        .filter(verification::Column::CreatedAt.gte(since))
        .count(conn)
        .await?)
}

/// Retires every unused secret of a purpose for these requests (a new one replaces them).
pub async fn retire_open(
    conn: &impl ConnectionTrait,
    purpose: dsrflow_domain::identity::SecretPurpose,
    request_ids: &str,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let res = verification::Entity::update_many()
        .col_expr(verification::Column::UsedAt, Expr::value(now))
        .filter(verification::Column::Purpose.eq(purpose))
        .filter(verification::Column::RequestIds.eq(request_ids))
        .filter(verification::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// Deletes secrets that expired before `before` (they can no longer be used or shown).
pub async fn prune(conn: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let res = verification::Entity::delete_many()
        .filter(verification::Column::ExpiresAt.lt(before))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}
