//! Requests, their subjects and pauses, API tokens, and the hash-chained audit trail.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DsrRequest {
    Table,
    Id,
    Reference,
    Kind,
    Status,
    Regime,
    Calendar,
    TimeZone,
    Channel,
    Language,
    ReceivedAt,
    ReceiptDay,
    Deadline,
    DueAt,
    ExtensionNoticeBy,
    ExtensionNoticeEnd,
    ExtendedAt,
    ExtensionReason,
    StatusReason,
    ForwardedTo,
    IdentityVerifiedAt,
    Details,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    ClosedAt,
    Version,
}

#[derive(DeriveIden)]
enum RequestSubject {
    Table,
    RequestId,
    Email,
    Name,
    AccountId,
    Phone,
}

#[derive(DeriveIden)]
enum RequestPause {
    Table,
    Id,
    RequestId,
    Reason,
    StartedAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    Name,
    Prefix,
    TokenHash,
    CanVouch,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Seq,
    OccurredAt,
    RequestId,
    Actor,
    Action,
    Data,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
}

/// The hash that precedes the first audit event.
const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DsrRequest::Table)
                .if_not_exists()
                .col(uuid(DsrRequest::Id).primary_key())
                .col(string_len_uniq(DsrRequest::Reference, 32))
                .col(string_len(DsrRequest::Kind, 32))
                .col(string_len(DsrRequest::Status, 32))
                .col(string_len(DsrRequest::Regime, 16))
                .col(string_len_null(DsrRequest::Calendar, 16))
                .col(string_len(DsrRequest::TimeZone, 64))
                .col(string_len(DsrRequest::Channel, 16))
                .col(string_len(DsrRequest::Language, 8))
                .col(timestamp_with_time_zone(DsrRequest::ReceivedAt))
                .col(date(DsrRequest::ReceiptDay))
                .col(date(DsrRequest::Deadline))
                .col(timestamp_with_time_zone(DsrRequest::DueAt))
                .col(date_null(DsrRequest::ExtensionNoticeBy))
                .col(timestamp_with_time_zone_null(
                    DsrRequest::ExtensionNoticeEnd,
                ))
                .col(timestamp_with_time_zone_null(DsrRequest::ExtendedAt))
                .col(text_null(DsrRequest::ExtensionReason))
                .col(text_null(DsrRequest::StatusReason))
                .col(string_len_null(DsrRequest::ForwardedTo, 200))
                .col(timestamp_with_time_zone_null(
                    DsrRequest::IdentityVerifiedAt,
                ))
                .col(text_null(DsrRequest::Details))
                .col(string_len(DsrRequest::CreatedBy, 120))
                .col(timestamp_with_time_zone(DsrRequest::CreatedAt))
                .col(timestamp_with_time_zone(DsrRequest::UpdatedAt))
                .col(timestamp_with_time_zone_null(DsrRequest::ClosedAt))
                .col(integer(DsrRequest::Version).default(0))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            (
                "idx_dsr_request_status_due",
                vec![DsrRequest::Status, DsrRequest::DueAt],
            ),
            ("idx_dsr_request_due", vec![DsrRequest::DueAt]),
            ("idx_dsr_request_kind", vec![DsrRequest::Kind]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(DsrRequest::Table).if_not_exists();
            for c in col {
                idx.col(c);
            }
            m.create_index(idx.to_owned()).await?;
        }

        m.create_table(
            Table::create()
                .table(RequestSubject::Table)
                .if_not_exists()
                .col(uuid(RequestSubject::RequestId).primary_key())
                .col(string_len(RequestSubject::Email, 254))
                .col(string_len_null(RequestSubject::Name, 200))
                .col(string_len_null(RequestSubject::AccountId, 100))
                .col(string_len_null(RequestSubject::Phone, 32))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_request_subject_request")
                        .from(RequestSubject::Table, RequestSubject::RequestId)
                        .to(DsrRequest::Table, DsrRequest::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_request_subject_email")
                .table(RequestSubject::Table)
                .col(RequestSubject::Email)
                .if_not_exists()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RequestPause::Table)
                .if_not_exists()
                .col(pk_auto(RequestPause::Id))
                .col(uuid(RequestPause::RequestId))
                .col(string_len(RequestPause::Reason, 32))
                .col(timestamp_with_time_zone(RequestPause::StartedAt))
                .col(timestamp_with_time_zone_null(RequestPause::EndedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_request_pause_request")
                        .from(RequestPause::Table, RequestPause::RequestId)
                        .to(DsrRequest::Table, DsrRequest::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_request_pause_request")
                .table(RequestPause::Table)
                .col(RequestPause::RequestId)
                .if_not_exists()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiToken::Table)
                .if_not_exists()
                .col(uuid(ApiToken::Id).primary_key())
                .col(string_len_uniq(ApiToken::Name, 100))
                .col(string_len(ApiToken::Prefix, 16))
                .col(string_len_uniq(ApiToken::TokenHash, 64))
                .col(boolean(ApiToken::CanVouch).default(false))
                .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
                .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditEvent::Table)
                .if_not_exists()
                .col(big_integer(AuditEvent::Seq).primary_key())
                .col(timestamp_with_time_zone(AuditEvent::OccurredAt))
                .col(uuid_null(AuditEvent::RequestId))
                .col(string_len(AuditEvent::Actor, 160))
                .col(string_len(AuditEvent::Action, 64))
                .col(text(AuditEvent::Data))
                .col(string_len(AuditEvent::PrevHash, 64))
                .col(string_len(AuditEvent::Hash, 64))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_event_request")
                .table(AuditEvent::Table)
                .col(AuditEvent::RequestId)
                .if_not_exists()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditHead::Table)
                .if_not_exists()
                .col(integer(AuditHead::Id).primary_key())
                .col(big_integer(AuditHead::Seq))
                .col(string_len(AuditHead::Hash, 64))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(AuditHead::Table)
                .columns([AuditHead::Id, AuditHead::Seq, AuditHead::Hash])
                .values_panic([1.into(), 0i64.into(), GENESIS_HASH.into()])
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
