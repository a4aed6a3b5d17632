//! `dsrflow inbox poll` (read the privacy@ mailbox once, as the worker does every
//! `inbox.poll_secs`) and `dsrflow inbox review` (the officer's review queue).

use std::process::ExitCode;

use anyhow::bail;
use clap::Subcommand;

use crate::config::Config;

/// Inbox subcommands.
#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// Read the mailbox configured in `[inbox]` once and ingest every new message.
    Poll {
        /// Print one JSON object per message (as `ingest-mail --json`), then the totals.
        #[arg(long)]
        json: bool,
    },
    /// List the messages waiting in the review queue.
    Review {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Runs an inbox subcommand.
pub async fn run(cfg: Config, cmd: InboxCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        InboxCommand::Poll { json } => {
            let Some(settings) = cfg.settings.inbox.clone() else {
                bail!("no mailbox configured: set inbox.imap_url, inbox.user and inbox.password");
            };
            let (app, _queues) = super::open_full_app(&cfg, super::Access::Write).await?;
            let report = dsrflow_app::inbox::poll(&app, &settings)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if json {
                for o in &report.outcomes {
                    println!("{}", serde_json::to_string(o)?);
                }
            } else {
                println!(
                    "{} message(s): {} created, {} attached, {} ignored, {} to review, {} too large, {} failed",
                    report.fetched,
                    report.created,
                    report.attached,
                    report.ignored,
                    report.review,
                    report.too_large,
                    report.failed
                );
            }
            app.store.close().await?;
            Ok(if report.failed > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        InboxCommand::Review { json } => {
            let (app, _queues) = super::open_full_app(&cfg, super::Access::Read).await?;
            let items = dsrflow_app::inbox::review_queue(&app)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if json {
                println!("{}", serde_json::to_string(&items)?);
            } else if items.is_empty() {
                println!("the review queue is empty");
            } else {
                for i in &items {
                    println!(
                        "{}  {}  {}  {}",
                        i.id,
                        i.received_at.format("%Y-%m-%d %H:%M"),
                        i.from,
                        i.reason.as_deref().unwrap_or("")
                    );
                }
            }
            app.store.close().await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
