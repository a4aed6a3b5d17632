//! A rectification request carries the corrections asked for (`[{field, value}]`, as JSON), so
//! that systems can apply them and people can see them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DsrRequest {
    Table,
    Corrections,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(DsrRequest::Table)
                .add_column(ColumnDef::new(DsrRequest::Corrections).text().null())
                .to_owned(),
        )
        .await
    }
}
