//! The `download_token` table: expiring links to an access package, stored hashed.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A token row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "download_token")]
pub struct Model {
    /// Hex SHA-256 of the token.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    /// The package.
    pub package_id: Uuid,
    /// The request.
    pub request_id: Uuid,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// After this instant the link is refused.
    pub expires_at: DateTime<Utc>,
    /// Completed downloads.
    pub downloads: i32,
    /// Last download.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
