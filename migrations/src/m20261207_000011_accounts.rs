//! Accounts of the people who work in the dashboard: the e-mail they sign in with, their role,
//! the argon2id hash of their password, and whether they are disabled.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Account {
    Table,
    Id,
    Email,
    Role,
    PasswordHash,
    CreatedAt,
    UpdatedAt,
    PasswordChangedAt,
    DisabledAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Account::Table)
                .if_not_exists()
                .col(uuid(Account::Id).primary_key())
                .col(string_len_uniq(Account::Email, 254))
                .col(string_len(Account::Role, 16))
                .col(string_len(Account::PasswordHash, 200))
                .col(timestamp_with_time_zone(Account::CreatedAt))
                .col(timestamp_with_time_zone(Account::UpdatedAt))
                .col(timestamp_with_time_zone(Account::PasswordChangedAt))
                .col(timestamp_with_time_zone_null(Account::DisabledAt))
                .to_owned(),
        )
        .await
    }
}
