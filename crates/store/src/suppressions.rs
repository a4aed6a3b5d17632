//! Queries on the suppression list.

use chrono::{DateTime, Utc};
use sea_orm::prelude::Uuid;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter};

use crate::StoreError;
use crate::entity::suppression;

/// Adds (or widens) an entry: `all` wins over `marketing`.
pub async fn add(
    conn: &impl ConnectionTrait,
    hash: &str,
    scope: &str,
    request_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    match suppression::Entity::find_by_id(hash.to_owned())
        .one(conn)
        .await?
    {
        Some(existing) if existing.scope == "all" || existing.scope == scope => Ok(()),
        Some(_) => {
            suppression::Entity::update_many()
                .col_expr(
                    suppression::Column::Scope,
                    sea_orm::sea_query::Expr::value(scope.to_owned()),
                )
                .filter(suppression::Column::Hash.eq(hash))
                .exec(conn)
                .await?;
            Ok(())
        }
        None => {
            suppression::Entity::insert(
                suppression::Model {
                    hash: hash.to_owned(),
                    scope: scope.to_owned(),
                    request_id,
                    created_at: now,
                }
                .into_active_model(),
            )
            .exec_without_returning(conn)
            .await?;
            Ok(())
        }
    }
}

/// Entries for these hashes.
pub async fn find_many(
    conn: &impl ConnectionTrait,
    hashes: Vec<String>,
) -> Result<Vec<suppression::Model>, StoreError> {
    if hashes.is_empty() {
        return Ok(Vec::new());
    }
    Ok(suppression::Entity::find()
        .filter(suppression::Column::Hash.is_in(hashes))
        .all(conn)
        .await?)
}
