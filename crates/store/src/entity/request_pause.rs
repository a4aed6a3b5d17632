//! The `request_pause` table: periods in which the legal clock stood still.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A pause row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "request_pause")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The request.
    pub request_id: Uuid,
    /// Why (`identity`).
    pub reason: dsrflow_domain::lifecycle::PauseReason,
    /// When the information was asked for.
    pub started_at: DateTime<Utc>,
    /// When it arrived; None while waiting.
    pub ended_at: Option<DateTime<Utc>>,
}

/// Relations of a pause.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The request.
    #[sea_orm(
        belongs_to = "super::request::Entity",
        from = "Column::RequestId",
        to = "super::request::Column::Id"
    )]
    Request,
}

impl Related<super::request::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Request.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
