//! The `package_chunk` table: the sealed pieces of an access package, in order.

use sea_orm::entity::prelude::*;

/// A chunk row.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "package_chunk")]
pub struct Model {
    /// The package.
    #[sea_orm(primary_key, auto_increment = false)]
    pub package_id: Uuid,
    /// Position, from 0.
    #[sea_orm(primary_key, auto_increment = false)]
    pub idx: i32,
    /// Sealed bytes (the context binds package, position and whether it is the last).
    pub data: Vec<u8>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
