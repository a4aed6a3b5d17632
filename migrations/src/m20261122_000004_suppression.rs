//! The suppression list: keyed hashes (never addresses) of subjects who erased their data or
//! objected to direct marketing, so they are not re-imported into marketing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Suppression {
    Table,
    Hash,
    Scope,
    RequestId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Suppression::Table)
                .if_not_exists()
                .col(string_len(Suppression::Hash, 64).primary_key())
                .col(string_len(Suppression::Scope, 16))
                .col(uuid_null(Suppression::RequestId))
                .col(timestamp_with_time_zone(Suppression::CreatedAt))
                .to_owned(),
        )
        .await
    }
}
