//! Secrets sent to data subjects: the single-use identity confirmation link (one per request,
//! or per batch of requests made together) and the one-time codes that guard a download. Only
//! a selector (to find the row) and a hash of the secret part are stored.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Verification {
    Table,
    Id,
    Selector,
    VerifierHash,
    Purpose,
    RequestIds,
    ExpiresAt,
    UsedAt,
    Attempts,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Verification::Table)
                .if_not_exists()
                .col(uuid(Verification::Id).primary_key())
                .col(string_len_uniq(Verification::Selector, 32))
                .col(string_len(Verification::VerifierHash, 64))
                .col(string_len(Verification::Purpose, 16))
                .col(text(Verification::RequestIds))
                .col(timestamp_with_time_zone(Verification::ExpiresAt))
                .col(timestamp_with_time_zone_null(Verification::UsedAt))
                .col(integer(Verification::Attempts).default(0))
                .col(timestamp_with_time_zone(Verification::CreatedAt))
                .to_owned(),
        )
        .await
    }
}
