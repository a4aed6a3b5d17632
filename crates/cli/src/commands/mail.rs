//! `dsrflow mail …`: outgoing mail for the operator: what failed (`list --failed`), sending it
//! again (`resend ID`), and reading the `.eml` files written when no SMTP relay is configured
//! (`read`).

use std::process::ExitCode;

use clap::Subcommand;
use dsrflow_domain::Actor;
use uuid::Uuid;

use super::{Access, UsageError};
use crate::config::Config;

/// Mail subcommands.
#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// List outgoing mail, newest first (addresses masked, no bodies).
    List {
        /// Only messages that could not be delivered.
        #[arg(long, conflicts_with = "status")]
        failed: bool,
        /// Only this status: pending, sending, sent or failed.
        #[arg(long)]
        status: Option<String>,
        /// At most this many (1–200).
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Print JSON lines instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Send a failed message again (same Message-ID; audited).
    Resend {
        /// The message's id (from `mail list`).
        id: String,
    },
    /// Print a message written to the mail folder (no SMTP relay configured), decoded:
    /// the newest, or the newest about a request, or a given file.
    Read {
        /// An `.eml` file; default: the newest in `<data dir>/mail`.
        file: Option<std::path::PathBuf>,
        /// Every message about this request reference (`DSR-…`), oldest first.
        #[arg(long, conflicts_with = "file")]
        reference: Option<String>,
    },
}

/// Runs a mail subcommand.
pub async fn run(cfg: Config, cmd: MailCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        MailCommand::List {
            failed,
            status,
            limit,
            json,
        } => {
            if !(1..=200).contains(&limit) {
                return Err(UsageError("--limit must be between 1 and 200".to_owned()).into());
            }
            let status = if failed {
                Some("failed".to_owned())
            } else {
                status
            };
            let app = super::open_app(&cfg, Access::Read).await?;
            let listed = dsrflow_app::outbox::list(&app, status.as_deref(), 1, limit).await;
            app.store.close().await?;
            let (items, total) = listed.map_err(super::describe)?;
            if json {
                for m in &items {
                    println!("{}", serde_json::to_string(m)?);
                }
            } else if items.is_empty() {
                println!(
                    "no {}messages",
                    status.map(|s| format!("{s} ")).unwrap_or_default()
                );
            } else {
                for m in &items {
                    println!(
                        "{}  {}  {:<7}  {:<9}  {}  {}  attempts {}{}",
                        m.id,
                        m.created_at.format("%Y-%m-%d %H:%M"),
                        m.status,
                        m.audience,
                        m.to,
                        m.template,
                        m.attempts,
                        m.last_error
                            .as_deref()
                            .map(|e| format!("\n    last error: {e}"))
                            .unwrap_or_default()
                    );
                }
                if total > items.len() as u64 {
                    println!("({} of {total} shown; --limit shows more)", items.len());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        MailCommand::Resend { id } => {
            let id = Uuid::parse_str(id.trim()).map_err(|_| {
                UsageError(format!(
                    "{id:?} is not a message id (see `dsrflow mail list`)"
                ))
            })?;
            let (app, _queues) = super::open_full_app(&cfg, Access::Write).await?;
            let result = dsrflow_app::outbox::resend(&app, Actor::Cli, id).await;
            app.store.close().await?;
            let m = result.map_err(super::describe)?;
            println!(
                "message {} to {} queued again; a running worker sends it",
                m.id, m.to
            );
            Ok(ExitCode::SUCCESS)
        }
        MailCommand::Read { file, reference } => {
            let dir = cfg.data_dir.join("mail");
            let files = match file {
                Some(f) => vec![f],
                None => {
                    let mut all = dsrflow_mail::eml::list(&dir).map_err(|e| {
                        UsageError(format!(
                            "no mail folder at {} ({e}): messages are written there when no SMTP relay is configured",
                            dir.display()
                        ))
                    })?;
                    if reference.is_none() {
                        all.truncate(1);
                    } else {
                        all.reverse();
                    }
                    all
                }
            };
            let mut shown = 0;
            for path in files {
                let m = dsrflow_mail::eml::read(&path).map_err(UsageError)?;
                if let Some(r) = &reference
                    && !m
                        .reference
                        .as_deref()
                        .is_some_and(|mr| mr.eq_ignore_ascii_case(r.trim()))
                {
                    continue;
                }
                if shown > 0 {
                    println!("{}", "=".repeat(72));
                }
                println!("File:    {}", m.file.display());
                println!("From:    {}", m.from);
                println!("To:      {}", m.to);
                println!("Date:    {}", m.date);
                println!("Subject: {}", m.subject);
                println!();
                println!("{}", m.text.trim_end());
                shown += 1;
            }
            if shown == 0 {
                return Err(UsageError(match reference {
                    Some(r) => format!("no message about {r} in {}", dir.display()),
                    None => format!("no message in {}", dir.display()),
                })
                .into());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
