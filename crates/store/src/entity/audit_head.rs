//! The `audit_head` table: a single row holding the last sequence number and hash. Locking it
//! serialises appends across processes, and it detects deletion of the newest events.

use sea_orm::entity::prelude::*;

/// The head row (id is always 1).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_head")]
pub struct Model {
    /// Always 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    /// Sequence number of the newest event (0 when empty).
    pub seq: i64,
    /// Hash of the newest event.
    pub hash: String,
}

/// The head has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
