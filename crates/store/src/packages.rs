//! Queries on access packages, their chunks and download tokens.

use chrono::{DateTime, Utc};
use sea_orm::prelude::Uuid;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::StoreError;
use crate::entity::{access_package, download_token, package_chunk};

/// The package of a request.
pub async fn for_request(
    conn: &impl ConnectionTrait,
    request_id: Uuid,
) -> Result<Option<access_package::Model>, StoreError> {
    Ok(access_package::Entity::find()
        .filter(access_package::Column::RequestId.eq(request_id))
        .one(conn)
        .await?)
}

/// One package.
pub async fn find(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<access_package::Model>, StoreError> {
    Ok(access_package::Entity::find_by_id(id).one(conn).await?)
}

/// Inserts a package row (its chunks follow with [`insert_chunk`]).
pub async fn insert(
    conn: &impl ConnectionTrait,
    p: access_package::Model,
) -> Result<(), StoreError> {
    access_package::Entity::insert(p.into_active_model())
        .exec_without_returning(conn)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict("a package for this request")
            } else {
                e.into()
            }
        })?;
    Ok(())
}

/// Inserts one sealed chunk.
pub async fn insert_chunk(
    conn: &impl ConnectionTrait,
    package_id: Uuid,
    idx: i32,
    data: Vec<u8>,
) -> Result<(), StoreError> {
    package_chunk::Entity::insert(package_chunk::ActiveModel {
        package_id: Set(package_id),
        idx: Set(idx),
        data: Set(data),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// One chunk.
pub async fn chunk(
    conn: &impl ConnectionTrait,
    package_id: Uuid,
    idx: i32,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(package_chunk::Entity::find_by_id((package_id, idx))
        .one(conn)
        .await?
        .map(|c| c.data))
}

/// Records the digest of a package once all its chunks are written.
pub async fn set_sha256(
    conn: &impl ConnectionTrait,
    package_id: Uuid,
    sha256: &str,
) -> Result<(), StoreError> {
    access_package::Entity::update_many()
        .col_expr(
            access_package::Column::Sha256,
            sea_orm::sea_query::Expr::value(sha256.to_owned()),
        )
        .filter(access_package::Column::Id.eq(package_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Sets when a package expires.
pub async fn set_expiry(
    conn: &impl ConnectionTrait,
    package_id: Uuid,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    access_package::Entity::update_many()
        .col_expr(
            access_package::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(Some(expires_at)),
        )
        .filter(access_package::Column::Id.eq(package_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Packages whose expiry passed and whose content still exists.
pub async fn expired(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<access_package::Model>, StoreError> {
    Ok(access_package::Entity::find()
        .filter(access_package::Column::ExpiresAt.lte(now))
        .filter(access_package::Column::DeletedAt.is_null())
        .order_by_asc(access_package::Column::ExpiresAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Deletes a package's chunks and tokens and marks it deleted (the row stays as proof).
pub async fn delete_content(
    conn: &impl ConnectionTrait,
    package_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    package_chunk::Entity::delete_many()
        .filter(package_chunk::Column::PackageId.eq(package_id))
        .exec(conn)
        .await?;
    download_token::Entity::delete_many()
        .filter(download_token::Column::PackageId.eq(package_id))
        .exec(conn)
        .await?;
    access_package::Entity::update_many()
        .col_expr(
            access_package::Column::DeletedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(access_package::Column::Id.eq(package_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Stores a download token.
pub async fn insert_token(
    conn: &impl ConnectionTrait,
    t: download_token::Model,
) -> Result<(), StoreError> {
    download_token::Entity::insert(t.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// A download token by the hash of its value.
pub async fn token(
    conn: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<download_token::Model>, StoreError> {
    Ok(download_token::Entity::find_by_id(token_hash.to_owned())
        .one(conn)
        .await?)
}

/// Counts a download.
pub async fn count_download(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    download_token::Entity::update_many()
        .col_expr(
            download_token::Column::Downloads,
            sea_orm::sea_query::ExprTrait::add(
                sea_orm::sea_query::Expr::col(download_token::Column::Downloads),
                1,
            ),
        )
        .col_expr(
            download_token::Column::LastUsedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(download_token::Column::TokenHash.eq(token_hash))
        .exec(conn)
        .await?;
    Ok(())
}
