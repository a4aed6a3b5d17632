//! The `api_token` table: API tokens, stored as SHA-256 hashes only.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A token row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "api_token")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Unique human name (e.g. `billing-app`).
    #[sea_orm(unique)]
    pub name: String,
    /// The first characters of the token, to recognise it in listings.
    pub prefix: String,
    /// Hex SHA-256 of the whole token.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// Whether the holder may vouch for a subject's identity (`identity_verified: true`).
    pub can_vouch: bool,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last use.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Revocation instant; a revoked token is refused.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Tokens have no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
