//! The `suppression` table: keyed hashes of subjects to keep out of marketing.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A suppression row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "suppression")]
pub struct Model {
    /// HMAC-SHA256 (keyed with a key derived from the data key) of the normalised address.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hash: String,
    /// `all` (erased: never re-import) or `marketing` (no direct marketing).
    pub scope: dsrflow_domain::kind::SuppressionScope,
    /// The request that caused it.
    pub request_id: Option<Uuid>,
    /// Since when.
    pub created_at: DateTime<Utc>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
