//! The `outbox` table: messages to send, written in the transaction that causes them.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// An outbox row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    /// Message id (also in the Message-ID header).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Makes "send once" hold across workers (e.g. `reminder:<request>:7`).
    #[sea_orm(unique)]
    pub dedupe_key: Option<String>,
    /// The request it is about.
    pub request_id: Option<Uuid>,
    /// The task it belongs to (processor requests, Art. 19 notices).
    pub task_id: Option<Uuid>,
    /// The template's name.
    pub template: String,
    /// The language it was rendered in.
    pub language: String,
    /// `subject`, `processor`, `recipient` or `officer`.
    pub audience: dsrflow_domain::message::Audience,
    /// The address; cleared once sent.
    pub to_address: Option<String>,
    /// A masked form of the address, kept as proof.
    pub to_masked: String,
    /// The subject line.
    pub subject: String,
    /// Sealed text and HTML bodies; cleared once sent.
    pub body: Option<Vec<u8>>,
    /// The Message-ID header value.
    #[sea_orm(unique)]
    pub message_id: String,
    /// In-Reply-To, for follow-ups.
    pub in_reply_to: Option<String>,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: dsrflow_domain::message::MailStatus,
    /// Delivery attempts.
    pub attempts: i32,
    /// The last error (no address in it).
    pub last_error: Option<String>,
    /// When the next attempt is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Until when a worker holds it.
    pub lease_until: Option<DateTime<Utc>>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Delivery.
    pub sent_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency counter.
    pub version: i32,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
