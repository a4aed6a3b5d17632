//! The `periodic_run` table: one row per periodic job and tick, so a tick runs once across the
//! cluster (the first node to insert the row runs it).

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A run row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "periodic_run")]
pub struct Model {
    /// The job's name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The tick, e.g. `2026-11-22T16:05`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub tick: String,
    /// The node that ran it.
    pub node: String,
    /// When.
    pub ran_at: DateTime<Utc>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
