//! The `access_package` table: one access package per request, stored as sealed chunks.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

/// A package row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "access_package")]
pub struct Model {
    /// Package id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The request (one package per request).
    #[sea_orm(unique)]
    pub request_id: Uuid,
    /// Size of the zip in bytes.
    pub size_bytes: i64,
    /// Hex SHA-256 of the zip (shown to the subject to check the download).
    pub sha256: String,
    /// Number of sealed chunks.
    pub chunks: i32,
    /// Number of files in the zip.
    pub files: i32,
    /// When it was built.
    pub created_at: DateTime<Utc>,
    /// When the download link stops working and the package is deleted (set on delivery).
    pub expires_at: Option<DateTime<Utc>>,
    /// When its content was deleted.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
