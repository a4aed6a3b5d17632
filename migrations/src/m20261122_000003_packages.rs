//! Access packages (stored in sealed chunks so any node can serve them and memory stays
//! bounded), and the expiring download tokens that deliver them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DsrRequest {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AccessPackage {
    Table,
    Id,
    RequestId,
    SizeBytes,
    Sha256,
    Chunks,
    Files,
    CreatedAt,
    ExpiresAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum PackageChunk {
    Table,
    PackageId,
    Idx,
    Data,
}

#[derive(DeriveIden)]
enum DownloadToken {
    Table,
    TokenHash,
    PackageId,
    RequestId,
    CreatedAt,
    ExpiresAt,
    Downloads,
    LastUsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AccessPackage::Table)
                .if_not_exists()
                .col(uuid(AccessPackage::Id).primary_key())
                .col(uuid_uniq(AccessPackage::RequestId))
                .col(big_integer(AccessPackage::SizeBytes))
                .col(string_len(AccessPackage::Sha256, 64))
                .col(integer(AccessPackage::Chunks))
                .col(integer(AccessPackage::Files))
                .col(timestamp_with_time_zone(AccessPackage::CreatedAt))
                .col(timestamp_with_time_zone_null(AccessPackage::ExpiresAt))
                .col(timestamp_with_time_zone_null(AccessPackage::DeletedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_access_package_request")
                        .from(AccessPackage::Table, AccessPackage::RequestId)
                        .to(DsrRequest::Table, DsrRequest::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PackageChunk::Table)
                .if_not_exists()
                .col(uuid(PackageChunk::PackageId))
                .col(integer(PackageChunk::Idx))
                .col(blob(PackageChunk::Data))
                .primary_key(
                    Index::create()
                        .col(PackageChunk::PackageId)
                        .col(PackageChunk::Idx),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_package_chunk_package")
                        .from(PackageChunk::Table, PackageChunk::PackageId)
                        .to(AccessPackage::Table, AccessPackage::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DownloadToken::Table)
                .if_not_exists()
                .col(string_len(DownloadToken::TokenHash, 64).primary_key())
                .col(uuid(DownloadToken::PackageId))
                .col(uuid(DownloadToken::RequestId))
                .col(timestamp_with_time_zone(DownloadToken::CreatedAt))
                .col(timestamp_with_time_zone(DownloadToken::ExpiresAt))
                .col(integer(DownloadToken::Downloads).default(0))
                .col(timestamp_with_time_zone_null(DownloadToken::LastUsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_download_token_package")
                        .from(DownloadToken::Table, DownloadToken::PackageId)
                        .to(AccessPackage::Table, AccessPackage::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
