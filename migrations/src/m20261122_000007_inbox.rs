//! Mail received at the privacy@ mailbox: one row per message (processed once, by Message-ID
//! and by IMAP UID), what became of it, and the original (sealed) for the officer's review
//! queue.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InboundMessage {
    Table,
    Id,
    MessageId,
    Source,
    ReceivedAt,
    FromMasked,
    Outcome,
    Reason,
    RequestIds,
    Raw,
    ReviewStatus,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(InboundMessage::Table)
                .if_not_exists()
                .col(uuid(InboundMessage::Id).primary_key())
                .col(string_len_uniq(InboundMessage::MessageId, 998))
                .col(string_len_null(InboundMessage::Source, 300))
                .col(timestamp_with_time_zone(InboundMessage::ReceivedAt))
                .col(string_len(InboundMessage::FromMasked, 254))
                .col(string_len(InboundMessage::Outcome, 16))
                .col(text_null(InboundMessage::Reason))
                .col(text(InboundMessage::RequestIds))
                .col(blob_null(InboundMessage::Raw))
                .col(string_len_null(InboundMessage::ReviewStatus, 16))
                .col(timestamp_with_time_zone(InboundMessage::CreatedAt))
                .col(timestamp_with_time_zone(InboundMessage::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_inbound_message_source")
                .table(InboundMessage::Table)
                .col(InboundMessage::Source)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_inbound_message_review")
                .table(InboundMessage::Table)
                .col(InboundMessage::ReviewStatus)
                .if_not_exists()
                .to_owned(),
        )
        .await
    }
}
