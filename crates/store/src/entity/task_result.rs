//! The `task_result` table: data an access task collected, encrypted, until the package is
//! built from it.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A result row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "task_result")]
pub struct Model {
    /// The task.
    #[sea_orm(primary_key, auto_increment = false)]
    pub task_id: Uuid,
    /// Sealed JSON of the collected datasets.
    pub data: Vec<u8>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
