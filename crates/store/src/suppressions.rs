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
    scope: dsrflow_domain::kind::SuppressionScope,
    request_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.execute_raw(add_statement(
        conn.get_database_backend(),
        hash,
        scope,
        request_id,
        now,
    ))
    .await?;
    Ok(())
}

/// The statement of [`add`], to run in a [`crate::batch::Batch`]: one insert that, when the
/// address is already listed, only widens `marketing` to `all`.
pub(crate) fn add_statement(
    backend: sea_orm::DbBackend,
    hash: &str,
    scope: dsrflow_domain::kind::SuppressionScope,
    request_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> sea_orm::Statement {
    use sea_orm::QueryTrait;
    use sea_orm::sea_query::{Expr, OnConflict};
    suppression::Entity::insert(
        suppression::Model {
            hash: hash.to_owned(),
            scope,
            request_id,
            created_at: now,
        }
        .into_active_model(),
    )
    .on_conflict(
        OnConflict::column(suppression::Column::Hash)
            .update_column(suppression::Column::Scope)
            .action_and_where(Expr::cust(format!(
                "\"suppression\".\"scope\" <> '{all}' AND excluded.scope = '{all}'",
                all = dsrflow_domain::kind::SuppressionScope::All.as_str()
            )))
            .to_owned(),
    )
    .build(backend)
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
