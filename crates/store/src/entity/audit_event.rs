//! The `audit_event` table: the append-only, hash-chained audit trail.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// An audit event row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    /// Position in the chain, from 1, without gaps.
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    /// When it happened (microsecond precision).
    pub occurred_at: DateTime<Utc>,
    /// The request concerned, if any.
    pub request_id: Option<Uuid>,
    /// Who acted (`token:<name>`, `cli`, `system`, `user:<id>`).
    pub actor: String,
    /// What happened (stable names such as `request.created`).
    pub action: String,
    /// Canonical JSON details; never raw personal data.
    #[sea_orm(column_type = "Text")]
    pub data: String,
    /// Hash of the previous event (zeros for the first).
    pub prev_hash: String,
    /// SHA-256 over this event's fields and `prev_hash`.
    pub hash: String,
}

/// Events have no navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
