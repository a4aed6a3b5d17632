//! The `dsr_request` table: one row per data-subject request.

use chrono::{DateTime, NaiveDate, Utc};
use dsrflow_domain::channel::{Channel, Language};
use dsrflow_domain::{CalendarCode, Regime, RequestKind, RequestStatus};
use sea_orm::entity::prelude::*;

/// A request row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "dsr_request")]
pub struct Model {
    /// Primary key (UUID v7, so ids sort by creation).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Short human reference used in mail subjects and on the phone, e.g. `DSR-7K3QXPMA`.
    #[sea_orm(unique)]
    pub reference: String,
    /// The right exercised.
    pub kind: RequestKind,
    /// Lifecycle status.
    pub status: RequestStatus,
    /// The legal regime whose clock applies.
    pub regime: Regime,
    /// The holiday calendar used to roll the deadline (None for calendar-day regimes).
    pub calendar: Option<CalendarCode>,
    /// The controller's IANA time zone used for the receipt day.
    pub time_zone: String,
    /// How the request came in.
    pub channel: Channel,
    /// The language to answer in.
    pub language: Language,
    /// When the request first reached any channel of the controller.
    pub received_at: DateTime<Utc>,
    /// The local calendar day of receipt.
    pub receipt_day: NaiveDate,
    /// The current deadline day (extension and pauses included).
    pub deadline: NaiveDate,
    /// The instant at which the current deadline day ends.
    pub due_at: DateTime<Utc>,
    /// Last day to announce an extension (None where no extension exists).
    pub extension_notice_by: Option<NaiveDate>,
    /// The instant at which that day ends.
    pub extension_notice_end: Option<DateTime<Utc>>,
    /// When the extension was announced.
    pub extended_at: Option<DateTime<Utc>>,
    /// Why it was extended.
    pub extension_reason: Option<String>,
    /// Reason for a refusal or an officer override.
    pub status_reason: Option<String>,
    /// The controller the request was forwarded to.
    pub forwarded_to: Option<String>,
    /// When the requester's identity was established.
    pub identity_verified_at: Option<DateTime<Utc>>,
    /// Free text from the requester (personal data: never logged).
    pub details: Option<String>,
    /// The corrections a rectification asks for, as JSON `[{field, value}]` (personal data:
    /// never logged).
    pub corrections: Option<String>,
    /// Who created it (`token:<name>`, `form`, `mail`).
    pub created_by: String,
    /// Row creation instant.
    pub created_at: DateTime<Utc>,
    /// Last change instant.
    pub updated_at: DateTime<Utc>,
    /// When it reached a final status.
    pub closed_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency counter, bumped on every update.
    pub version: i32,
    /// Hex SHA-256 of the subject's status-link token.
    #[sea_orm(unique)]
    pub status_token_hash: Option<String>,
}

/// Relations of a request.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The subject the request is about.
    #[sea_orm(has_one = "super::request_subject::Entity")]
    Subject,
    /// Clock pauses.
    #[sea_orm(has_many = "super::request_pause::Entity")]
    Pauses,
}

impl Related<super::request_subject::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Subject.def()
    }
}

impl Related<super::request_pause::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Pauses.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
