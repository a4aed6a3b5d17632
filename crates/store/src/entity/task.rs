//! The `dsr_task` table: one row per (request, system, action).

use chrono::{DateTime, Utc};
use dsrflow_domain::{TaskAction, TaskStatus};
use sea_orm::entity::prelude::*;

/// A task row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "dsr_task")]
pub struct Model {
    /// Task id (also the idempotency key given to processors).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The request.
    pub request_id: Uuid,
    /// The system's name in the data map.
    pub system: String,
    /// What to do there.
    pub action: TaskAction,
    /// Where it stands.
    pub status: TaskStatus,
    /// Attempts started so far.
    pub attempts: i32,
    /// The last error (no personal data).
    pub last_error: Option<String>,
    /// The connector's report as JSON (targets, effects, counts, rules).
    pub outcome: Option<String>,
    /// The processor's reference for asynchronous work.
    pub external_ref: Option<String>,
    /// For manual work: what the person must do.
    pub instructions: Option<String>,
    /// When a retry is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Until when a worker (or a processor) holds the task.
    pub lease_until: Option<DateTime<Utc>>,
    /// First start.
    pub started_at: Option<DateTime<Utc>>,
    /// When it reached a final status.
    pub finished_at: Option<DateTime<Utc>>,
    /// Who completed manual work.
    pub completed_by: Option<String>,
    /// A note from the person who completed it.
    pub note: Option<String>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency counter.
    pub version: i32,
}

/// Tasks belong to a request.
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
