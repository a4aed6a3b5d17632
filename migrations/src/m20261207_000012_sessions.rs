//! Dashboard sessions: the SHA-256 of the opaque id in the visitor's cookie (never the id
//! itself), the account, and when it was opened and last used (idle and absolute limits).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccountSession {
    Table,
    IdHash,
    AccountId,
    CreatedAt,
    LastSeenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AccountSession::Table)
                .if_not_exists()
                .col(string_len(AccountSession::IdHash, 64).primary_key())
                .col(uuid(AccountSession::AccountId))
                .col(timestamp_with_time_zone(AccountSession::CreatedAt))
                .col(timestamp_with_time_zone(AccountSession::LastSeenAt))
                .to_owned(),
        )
        .await
    }
}
