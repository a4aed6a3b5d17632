//! `dsrflow audit verify`: walks the hash chain; exit 0 when intact.

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Config;

/// Audit subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain; exits non-zero and names the first bad event if it was altered.
    Verify,
}

/// Runs an audit subcommand.
pub async fn run(cfg: Config, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    let app = super::open_app(&cfg, super::Access::Read).await?;
    let AuditCommand::Verify = cmd;
    let report = dsrflow_store::audit::verify(app.store.db()).await?;
    app.store.close().await?;
    Ok(match report.first_break {
        None => {
            println!("audit chain intact: {} events verified", report.events);
            ExitCode::SUCCESS
        }
        Some(b) => {
            println!(
                "audit chain BROKEN at event {}: {} ({} events verified before it)",
                b.seq, b.problem, report.events
            );
            ExitCode::from(2)
        }
    })
}
