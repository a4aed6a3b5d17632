//! Per-system tasks of a request, the encrypted data they collected, and the once-per-tick
//! bookkeeping of periodic jobs.

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
enum DsrTask {
    Table,
    Id,
    RequestId,
    System,
    Action,
    Status,
    Attempts,
    LastError,
    Outcome,
    ExternalRef,
    Instructions,
    NextAttemptAt,
    LeaseUntil,
    StartedAt,
    FinishedAt,
    CompletedBy,
    Note,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum TaskResult {
    Table,
    TaskId,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PeriodicRun {
    Table,
    Name,
    Tick,
    Node,
    RanAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DsrTask::Table)
                .if_not_exists()
                .col(uuid(DsrTask::Id).primary_key())
                .col(uuid(DsrTask::RequestId))
                .col(string_len(DsrTask::System, 64))
                .col(string_len(DsrTask::Action, 24))
                .col(string_len(DsrTask::Status, 24))
                .col(integer(DsrTask::Attempts).default(0))
                .col(text_null(DsrTask::LastError))
                .col(text_null(DsrTask::Outcome))
                .col(string_len_null(DsrTask::ExternalRef, 255))
                .col(text_null(DsrTask::Instructions))
                .col(timestamp_with_time_zone_null(DsrTask::NextAttemptAt))
                .col(timestamp_with_time_zone_null(DsrTask::LeaseUntil))
                .col(timestamp_with_time_zone_null(DsrTask::StartedAt))
                .col(timestamp_with_time_zone_null(DsrTask::FinishedAt))
                .col(string_len_null(DsrTask::CompletedBy, 160))
                .col(text_null(DsrTask::Note))
                .col(timestamp_with_time_zone(DsrTask::CreatedAt))
                .col(timestamp_with_time_zone(DsrTask::UpdatedAt))
                .col(integer(DsrTask::Version).default(0))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_dsr_task_request")
                        .from(DsrTask::Table, DsrTask::RequestId)
                        .to(DsrRequest::Table, DsrRequest::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_dsr_task_request_system_action")
                .table(DsrTask::Table)
                .col(DsrTask::RequestId)
                .col(DsrTask::System)
                .col(DsrTask::Action)
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_dsr_task_status")
                .table(DsrTask::Table)
                .col(DsrTask::Status)
                .if_not_exists()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(TaskResult::Table)
                .if_not_exists()
                .col(uuid(TaskResult::TaskId).primary_key())
                .col(blob(TaskResult::Data))
                .col(timestamp_with_time_zone(TaskResult::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_task_result_task")
                        .from(TaskResult::Table, TaskResult::TaskId)
                        .to(DsrTask::Table, DsrTask::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PeriodicRun::Table)
                .if_not_exists()
                .col(string_len(PeriodicRun::Name, 64))
                .col(string_len(PeriodicRun::Tick, 32))
                .col(string_len(PeriodicRun::Node, 64))
                .col(timestamp_with_time_zone(PeriodicRun::RanAt))
                .primary_key(
                    Index::create()
                        .col(PeriodicRun::Name)
                        .col(PeriodicRun::Tick),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
