//! The `inbound_message` table: mail received at the privacy@ mailbox.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A received message.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "inbound_message")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The Message-ID (or a digest of the raw bytes when missing): processed once.
    #[sea_orm(unique)]
    pub message_id: String,
    /// Where it came from, e.g. `imap:INBOX:<uidvalidity>:<uid>` (unique) or None for files.
    #[sea_orm(unique)]
    pub source: Option<String>,
    /// When it reached the mailbox.
    pub received_at: DateTime<Utc>,
    /// The sender, masked.
    pub from_masked: String,
    /// `created`, `attached`, `ignored` or `review`.
    pub outcome: dsrflow_domain::inbox::InboxOutcome,
    /// Why (for ignored and review), without personal data.
    pub reason: Option<String>,
    /// JSON array of the request ids it created or attached to.
    pub request_ids: String,
    /// The original message, sealed (kept for review and as the request's source).
    pub raw: Option<Vec<u8>>,
    /// For the review queue: `open` or `resolved`.
    pub review_status: Option<dsrflow_domain::inbox::ReviewStatus>,
    /// When it was processed.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
