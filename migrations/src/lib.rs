//! dsrflow's schema history. Each migration is frozen once released: change the schema by adding
//! a new file, never by editing an old one. Every migration runs on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261122_000002_tasks;
mod m20261122_000003_packages;
mod m20261122_000004_suppression;
mod m20261122_000005_outbox;
mod m20261122_000006_status_token;
mod m20261122_000007_inbox;
mod m20261122_000008_verification;
mod m20261122_000009_audit_head_trigger;
mod m20261207_000010_corrections;
mod m20261207_000011_accounts;
mod m20261207_000012_sessions;

/// Applies dsrflow's migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_tasks::Migration),
            Box::new(m20261122_000003_packages::Migration),
            Box::new(m20261122_000004_suppression::Migration),
            Box::new(m20261122_000005_outbox::Migration),
            Box::new(m20261122_000006_status_token::Migration),
            Box::new(m20261122_000007_inbox::Migration),
            Box::new(m20261122_000008_verification::Migration),
            Box::new(m20261122_000009_audit_head_trigger::Migration),
            Box::new(m20261207_000010_corrections::Migration),
            Box::new(m20261207_000011_accounts::Migration),
            Box::new(m20261207_000012_sessions::Migration),
        ]
    }
}
