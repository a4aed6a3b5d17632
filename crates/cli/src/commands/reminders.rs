//! `dsrflow reminders run`: the deadline sweep on demand (the scheduler runs it every 15 min).

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::anyhow;
use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use clap::Subcommand;
use dsrflow_domain::reminder::Notice;

use crate::config::Config;

/// Reminder subcommands.
#[derive(Debug, Subcommand)]
pub enum RemindersCommand {
    /// Run the sweep: queue (and send) the reminders, escalations and digest due.
    Run {
        /// Sweep as of this day (YYYY-MM-DD, at 09:00 in the controller's time zone) instead of
        /// now — to see what a day will bring, or catch up after an outage.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// Only list what is due; queue and send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a reminders subcommand.
pub async fn run(cfg: Config, cmd: RemindersCommand) -> anyhow::Result<ExitCode> {
    let RemindersCommand::Run {
        as_of,
        dry_run,
        json,
    } = cmd;
    let (app, _queues) = super::open_full_app(
        &cfg,
        if dry_run {
            super::Access::Read
        } else {
            super::Access::Write
        },
    )
    .await?;
    let now = match &as_of {
        Some(d) => {
            let day = NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                .map_err(|_| anyhow!("--as-of: {d:?} is not a date (YYYY-MM-DD)"))?;
            let tz = cfg
                .settings
                .controller
                .time_zone_for(cfg.settings.controller.regime);
            let local = day.and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default());
            tz.from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| anyhow!("--as-of: 09:00 does not exist that day"))?
        }
        None => app.clock.now(),
    };
    if app.settings.officer_address.is_none() {
        eprintln!("note: mail.officer_address is not set; nothing can be sent (listing only)");
    }
    // Deliver what the sweep queues right away, through an in-process queue.
    let queue = Arc::new(dsrflow_app::jobs::MemoryQueue::default());
    let app = app.with_jobs(queue.clone());
    let policy = app.settings.reminders.clone();
    let sweep = dsrflow_app::reminders::sweep(&app, &policy, now, dry_run)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let sent = if dry_run {
        0
    } else {
        dsrflow_app::work::drain(&app, &queue)
            .await
            .map_err(|e| anyhow!("{e}"))?
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "as_of": now,
                "dry_run": dry_run,
                "notices": sweep.notices,
                "digest_queued": sweep.digest_queued,
                "delivered": sent,
            }))?
        );
    } else {
        println!(
            "deadline sweep as of {}{}",
            now.to_rfc3339(),
            if dry_run { " (dry run)" } else { "" }
        );
        for p in &sweep.notices {
            let what = match p.notice {
                Notice::Reminder {
                    threshold,
                    days_left,
                } => format!("reminder ({threshold}-day mark): {days_left} day(s) left"),
                Notice::Overdue { days_over } => {
                    format!("ESCALATION: overdue by {days_over} day(s)")
                }
                Notice::ExtensionWindowClosing { days_left } => {
                    format!("ESCALATION: {days_left} day(s) left to announce an extension")
                }
            };
            println!("  {}  {what}  [{}]", p.reference, p.state.words());
        }
        if sweep.notices.is_empty() {
            println!("  nothing due");
        }
        if sweep.digest_queued {
            println!("  daily digest queued");
        }
    }
    app.store.close().await?;
    Ok(ExitCode::SUCCESS)
}
