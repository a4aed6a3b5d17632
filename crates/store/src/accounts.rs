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

/// The account with this id.
pub async fn find(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<account::Model>, StoreError> {
    Ok(account::Entity::find_by_id(id).one(conn).await?)
}

/// Opens a session.
pub async fn open_session(
    conn: &impl ConnectionTrait,
    s: crate::entity::account_session::Model,
) -> Result<(), StoreError> {
    crate::entity::account_session::Entity::insert(s.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The session whose cookie id hashes to `id_hash`, with its account.
pub async fn session(
    conn: &impl ConnectionTrait,
    id_hash: &str,
) -> Result<Option<(crate::entity::account_session::Model, account::Model)>, StoreError> {
    use crate::entity::account_session as s;
    let Some(row) = s::Entity::find_by_id(id_hash.to_owned()).one(conn).await? else {
        return Ok(None);
    };
    Ok(find(conn, row.account_id).await?.map(|a| (row, a)))
}

/// Moves a session's last use.
pub async fn touch_session(
    conn: &impl ConnectionTrait,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use crate::entity::account_session as s;
    use sea_orm::sea_query::Expr;
    s::Entity::update_many()
        .col_expr(s::Column::LastSeenAt, Expr::value(now))
        .filter(s::Column::IdHash.eq(id_hash))
        .exec(conn)
        .await?;
    Ok(())
}

/// Closes a session; true when it existed.
pub async fn close_session(conn: &impl ConnectionTrait, id_hash: &str) -> Result<bool, StoreError> {
    use crate::entity::account_session as s;
    Ok(s::Entity::delete_by_id(id_hash.to_owned())
        .exec(conn)
        .await?
        .rows_affected
        > 0)
}

/// Closes every session of an account (disabled, or a new password).
pub async fn close_sessions_of(
    conn: &impl ConnectionTrait,
    account_id: Uuid,
) -> Result<u64, StoreError> {
    use crate::entity::account_session as s;
    Ok(s::Entity::delete_many()
        .filter(s::Column::AccountId.eq(account_id))
        .exec(conn)
        .await?
        .rows_affected)
}
