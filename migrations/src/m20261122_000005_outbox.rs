//! The transactional outbox: a message is a row written in the same transaction as the state
//! change that causes it; a job delivers it. Bodies are sealed and, with the address, cleared
//! once delivered (the row stays as proof of sending).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    DedupeKey,
    RequestId,
    TaskId,
    Template,
    Language,
    Audience,
    ToAddress,
    ToMasked,
    Subject,
    Body,
    MessageId,
    InReplyTo,
    Status,
    Attempts,
    LastError,
    NextAttemptAt,
    LeaseUntil,
    CreatedAt,
    SentAt,
    UpdatedAt,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .if_not_exists()
                .col(uuid(Outbox::Id).primary_key())
                .col(string_len_null(Outbox::DedupeKey, 200).unique_key())
                .col(uuid_null(Outbox::RequestId))
                .col(uuid_null(Outbox::TaskId))
                .col(string_len(Outbox::Template, 64))
                .col(string_len(Outbox::Language, 8))
                .col(string_len(Outbox::Audience, 16))
                .col(text_null(Outbox::ToAddress))
                .col(string_len(Outbox::ToMasked, 254))
                .col(text(Outbox::Subject))
                .col(blob_null(Outbox::Body))
                .col(string_len_uniq(Outbox::MessageId, 255))
                .col(string_len_null(Outbox::InReplyTo, 255))
                .col(string_len(Outbox::Status, 16))
                .col(integer(Outbox::Attempts).default(0))
                .col(text_null(Outbox::LastError))
                .col(timestamp_with_time_zone_null(Outbox::NextAttemptAt))
                .col(timestamp_with_time_zone_null(Outbox::LeaseUntil))
                .col(timestamp_with_time_zone(Outbox::CreatedAt))
                .col(timestamp_with_time_zone_null(Outbox::SentAt))
                .col(timestamp_with_time_zone(Outbox::UpdatedAt))
                .col(integer(Outbox::Version).default(0))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("idx_outbox_status", Outbox::Status),
            ("idx_outbox_request", Outbox::RequestId),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(Outbox::Table)
                    .col(col)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
