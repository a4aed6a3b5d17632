//! The `verification` table: secrets sent to data subjects (identity links, download codes).

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// One secret.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "verification")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The public part of the secret, to find the row (unique).
    #[sea_orm(unique)]
    pub selector: String,
    /// SHA-256 (links) or keyed hash (codes) of the secret part, hex.
    pub verifier_hash: String,
    /// `identity` or `download_code`.
    pub purpose: dsrflow_domain::identity::SecretPurpose,
    /// JSON array of the request ids it concerns.
    pub request_ids: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was used (single use).
    pub used_at: Option<DateTime<Utc>>,
    /// Wrong answers so far.
    pub attempts: i32,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
