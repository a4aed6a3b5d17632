//! The `account` table: the people who sign in to the dashboard. Passwords are stored as
//! argon2id hashes only.

use chrono::{DateTime, Utc};
use dsrflow_domain::account::Role;
use sea_orm::entity::prelude::*;

/// An account row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The address they sign in with, lower-cased.
    #[sea_orm(unique)]
    pub email: String,
    /// What they may do.
    pub role: Role,
    /// The argon2id hash of their password (PHC string).
    pub password_hash: String,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When the password was last set.
    pub password_changed_at: DateTime<Utc>,
    /// When the account was disabled; a disabled account cannot sign in.
    pub disabled_at: Option<DateTime<Utc>>,
}

/// Accounts have no relations yet.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
