//! On SQLite, the audit head follows the newest event by a trigger, so an append is one
//! statement instead of three (each statement is a round trip to SQLite's connection thread,
//! taken while every other writer waits). PostgreSQL keeps its explicit update, made in the
//! same statement as the insert.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        // Only a newer event moves the head: an insert can never move it backwards.
        m.get_connection()
            .execute_unprepared(
                "CREATE TRIGGER IF NOT EXISTS audit_event_moves_head AFTER INSERT ON audit_event \
                 BEGIN UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash \
                 WHERE id = 1 AND seq < NEW.seq; END",
            )
            .await?;
        Ok(())
    }
}
