//! The `account_session` table: open dashboard sessions, by the SHA-256 of their cookie id.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A session row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "account_session")]
pub struct Model {
    /// Hex SHA-256 of the id in the cookie.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id_hash: String,
    /// The account signed in.
    pub account_id: Uuid,
    /// When it was opened (the absolute lifetime runs from here).
    pub created_at: DateTime<Utc>,
    /// Last use (the idle timeout runs from here).
    pub last_seen_at: DateTime<Utc>,
}

/// Sessions have no declared relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
