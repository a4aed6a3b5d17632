//! A per-request status token (stored hashed) behind the subject's status link.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DsrRequest {
    Table,
    StatusTokenHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(DsrRequest::Table)
                .add_column(string_len_null(DsrRequest::StatusTokenHash, 64))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_dsr_request_status_token")
                .table(DsrRequest::Table)
                .col(DsrRequest::StatusTokenHash)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await
    }
}
