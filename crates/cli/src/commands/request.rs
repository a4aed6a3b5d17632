//! `dsrflow request …`: the operator's view of requests: the open ones by deadline, and one
//! request in full (the subject's address masked unless `--reveal`, which is audited).

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Subcommand;
use dsrflow_app::requests::RequestDetails;
use dsrflow_domain::Actor;
use dsrflow_domain::{RequestKind, RequestStatus};
use dsrflow_store::requests::{DueBefore, ListFilter};
use serde_json::json;

use super::{Access, UsageError};
use crate::config::Config;

/// Request subcommands.
#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// List requests, soonest deadline first.
    List {
        /// Only requests not yet closed.
        #[arg(long)]
        open: bool,
        /// Only requests whose deadline day is before this day (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        due_before: Option<String>,
        /// Only this status (e.g. awaiting_review).
        #[arg(long)]
        status: Option<String>,
        /// Only this kind (e.g. erasure).
        #[arg(long)]
        kind: Option<String>,
        /// At most this many (1–200).
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one request by its reference (DSR-…) or id.
    Show {
        /// The reference or id.
        reference: String,
        /// Show the subject's address and name unmasked (recorded in the audit trail).
        #[arg(long)]
        reveal: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a request subcommand.
pub async fn run(cfg: Config, cmd: RequestCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RequestCommand::List {
            open,
            due_before,
            status,
            kind,
            limit,
            json,
        } => {
            let filter = filter(open, due_before, status, kind, limit)?;
            let app = super::open_app(&cfg, Access::Read).await?;
            let page = dsrflow_app::requests::list(&app, filter).await;
            app.store.close().await?;
            let page = page.map_err(super::describe)?;
            if json {
                for r in &page.items {
                    println!("{}", serde_json::to_string(&summary(r, false))?);
                }
            } else if page.items.is_empty() {
                println!("no requests");
            } else {
                println!(
                    "{:<12}  {:<18}  {:<21}  {:<10}  {:<8}  subject",
                    "reference", "kind", "status", "deadline", "channel"
                );
                for r in &page.items {
                    let q = &r.record.request;
                    println!(
                        "{:<12}  {:<18}  {:<21}  {:<10}  {:<8}  {}",
                        q.reference,
                        q.kind.as_str(),
                        format!(
                            "{}{}",
                            q.status.as_str(),
                            if q.extended_at.is_some() {
                                " (ext.)"
                            } else {
                                ""
                            }
                        ),
                        q.deadline,
                        q.channel.as_str(),
                        r.record.subject.email.masked()
                    );
                }
                if page.total > page.items.len() as u64 {
                    println!(
                        "({} of {} shown; --limit shows more)",
                        page.items.len(),
                        page.total
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RequestCommand::Show {
            reference,
            reveal,
            json,
        } => {
            let access = if reveal { Access::Write } else { Access::Read };
            let app = super::open_app(&cfg, access).await?;
            let found = dsrflow_app::requests::find_by_ref(&app, &reference).await;
            let r = match found {
                Ok(r) => r,
                Err(dsrflow_app::AppError::NotFound(_)) => {
                    app.store.close().await?;
                    return Err(UsageError(format!("no request {reference:?}")).into());
                }
                Err(e) => return Err(super::describe(e)),
            };
            if reveal {
                dsrflow_app::requests::record_reveal(&app, Actor::Cli, r.record.request.id)
                    .await
                    .map_err(super::describe)?;
            }
            app.store.close().await?;
            let v = summary(&r, reveal);
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                let q = &r.record.request;
                println!("{}  {}", q.reference, q.id);
                println!("  kind:        {} ({})", q.kind.as_str(), q.regime.as_str());
                println!(
                    "  status:      {}{}",
                    q.status.as_str(),
                    if r.paused { " (clock paused)" } else { "" }
                );
                println!(
                    "  received:    {} via {}",
                    q.received_at.to_rfc3339(),
                    q.channel.as_str()
                );
                println!(
                    "  deadline:    {}{}",
                    q.deadline,
                    match &q.extension_reason {
                        Some(why) => format!(" (extended: {why})"),
                        None => String::new(),
                    }
                );
                println!(
                    "  subject:     {}{}",
                    v["subject"]["email"].as_str().unwrap_or_default(),
                    v["subject"]["name"]
                        .as_str()
                        .map(|n| format!(" ({n})"))
                        .unwrap_or_default()
                );
                println!(
                    "  identity:    {}",
                    if q.identity_verified_at.is_some() {
                        "verified"
                    } else {
                        "not verified"
                    }
                );
                if let Some(why) = &q.status_reason {
                    println!("  reason:      {why}");
                }
                if let Some(to) = &q.forwarded_to {
                    println!("  forwarded:   {to}");
                }
                if !reveal {
                    println!("(addresses masked; --reveal shows them and records that you looked)");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn filter(
    open: bool,
    due_before: Option<String>,
    status: Option<String>,
    kind: Option<String>,
    limit: u64,
) -> Result<ListFilter, UsageError> {
    if !(1..=200).contains(&limit) {
        return Err(UsageError("--limit must be between 1 and 200".to_owned()));
    }
    let due_before = due_before
        .map(|d| {
            NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                .map(DueBefore::Day)
                .map_err(|_| UsageError(format!("--due-before: {d:?} is not a date (YYYY-MM-DD)")))
        })
        .transpose()?;
    let status = status
        .map(|s| {
            s.parse::<RequestStatus>()
                .map_err(|e| UsageError(format!("--status: {e}")))
        })
        .transpose()?;
    let kind = kind
        .map(|k| {
            k.parse::<RequestKind>()
                .map_err(|e| UsageError(format!("--kind: {e}")))
        })
        .transpose()?;
    Ok(ListFilter {
        status,
        kind,
        due_before,
        open_only: open,
        page: 1,
        per_page: limit,
    })
}

/// The request as JSON; the subject masked unless `reveal`.
fn summary(r: &RequestDetails, reveal: bool) -> serde_json::Value {
    let q = &r.record.request;
    let s = &r.record.subject;
    let (email, name) = if reveal {
        (
            s.email.as_str().to_owned(),
            s.name.as_ref().map(|n| n.as_str().to_owned()),
        )
    } else {
        (s.email.masked(), s.name.as_ref().map(|n| n.masked()))
    };
    json!({
        "id": q.id,
        "reference": q.reference,
        "kind": q.kind.as_str(),
        "status": q.status.as_str(),
        "regime": q.regime.as_str(),
        "channel": q.channel.as_str(),
        "received_at": q.received_at,
        "deadline": q.deadline,
        "extended": q.extended_at.is_some(),
        "paused": r.paused,
        "identity_verified": q.identity_verified_at.is_some(),
        "subject": {"email": email, "name": name},
    })
}
