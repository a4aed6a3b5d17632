//! Queries on dashboard accounts. Only the argon2id hash of a password is ever stored.

use chrono::{DateTime, Utc};
use sea_orm::prelude::Uuid;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use crate::StoreError;
use crate::entity::account;

/// Inserts an account; a taken address is a [`StoreError::Conflict`].
pub async fn insert(conn: &impl ConnectionTrait, a: account::Model) -> Result<(), StoreError> {
    account::Entity::insert(a.into_active_model())
        .exec_without_returning(conn)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict("an account with this address")
            } else {
                e.into()
            }
        })?;
    Ok(())
}

/// The account signing in with `email` (lower-cased by the caller).
pub async fn find_by_email(
    conn: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<account::Model>, StoreError> {
    Ok(account::Entity::find()
        .filter(account::Column::Email.eq(email))
        .one(conn)
        .await?)
}

/// Every account, by address.
pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<account::Model>, StoreError> {
    Ok(account::Entity::find()
        .order_by_asc(account::Column::Email)
        .all(conn)
        .await?)
}

/// How many accounts exist (disabled ones included).
pub async fn count(conn: &impl ConnectionTrait) -> Result<u64, StoreError> {
    Ok(account::Entity::find().count(conn).await?)
}

/// Sets a new password hash.
pub async fn set_password(
    conn: &impl ConnectionTrait,
    id: Uuid,
    hash: String,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(hash))
        .col_expr(account::Column::PasswordChangedAt, Expr::value(now))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Disables an account (it can no longer sign in).
pub async fn disable(
    conn: &impl ConnectionTrait,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    account::Entity::update_many()
        .col_expr(account::Column::DisabledAt, Expr::value(Some(now)))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}
