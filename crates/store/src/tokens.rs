//! Queries on API tokens. Only the SHA-256 of a token is ever stored.

use chrono::{DateTime, Utc};
use sea_orm::prelude::Uuid;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};

use crate::StoreError;
use crate::entity::api_token;

/// Inserts a token; a taken name is a [`StoreError::Conflict`].
pub async fn insert(
    conn: &impl ConnectionTrait,
    token: api_token::Model,
) -> Result<(), StoreError> {
    api_token::Entity::insert(token.into_active_model())
        .exec_without_returning(conn)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict("a token with this name")
            } else {
                e.into()
            }
        })?;
    Ok(())
}

/// The token called `name`, revoked or not.
pub async fn find_by_name(
    conn: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<api_token::Model>, StoreError> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::Name.eq(name))
        .one(conn)
        .await?)
}

/// Gives the token `id` the value, rights and creation time of `new` (its id and name stay),
/// and makes it active again.
pub async fn replace_value(
    conn: &impl ConnectionTrait,
    id: Uuid,
    new: api_token::Model,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::Expr;
    api_token::Entity::update_many()
        .col_expr(api_token::Column::TokenHash, Expr::value(new.token_hash))
        .col_expr(api_token::Column::Prefix, Expr::value(new.prefix))
        .col_expr(api_token::Column::CanVouch, Expr::value(new.can_vouch))
        .col_expr(api_token::Column::CreatedAt, Expr::value(new.created_at))
        .col_expr(
            api_token::Column::LastUsedAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .col_expr(
            api_token::Column::RevokedAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(api_token::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Finds a token that is not revoked by the hash of its value.
pub async fn find_active_by_hash(
    conn: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<api_token::Model>, StoreError> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(conn)
        .await?)
}

/// Lists every token (hashes included; callers must not show them).
pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<api_token::Model>, StoreError> {
    Ok(api_token::Entity::find()
        .order_by_asc(api_token::Column::Name)
        .all(conn)
        .await?)
}

/// Revokes a token by name; returns whether one was revoked.
pub async fn revoke(
    conn: &impl ConnectionTrait,
    name: &str,
    at: DateTime<Utc>,
) -> Result<Option<Uuid>, StoreError> {
    let Some(tok) = api_token::Entity::find()
        .filter(api_token::Column::Name.eq(name))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Some(at)),
        )
        .filter(api_token::Column::Id.eq(tok.id))
        .exec(conn)
        .await?;
    Ok(Some(tok.id))
}

/// Records that a token was used (callers throttle this; it is not written on every call).
pub async fn touch(
    conn: &impl ConnectionTrait,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::LastUsedAt,
            sea_orm::sea_query::Expr::value(Some(at)),
        )
        .filter(api_token::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}
