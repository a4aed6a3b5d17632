//! `dsrflow ingest-mail [FILE|-]`: one RFC 822 message into the intake, as if it had reached
//! the privacy@ mailbox (its receipt time is taken from its Received headers).

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::config::Config;

/// Options of `ingest-mail`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The message file; `-` or nothing reads standard input.
    pub file: Option<String>,
    /// Print one JSON object: {"outcome": "created"|"attached"|"ignored"|"review", …}.
    #[arg(long)]
    pub json: bool,
}

/// Most bytes accepted for one message.
const MAX_MESSAGE: u64 = 50 * 1024 * 1024;

/// Ingests the message.
pub async fn run(cfg: Config, args: IngestArgs) -> anyhow::Result<ExitCode> {
    let mut raw = Vec::new();
    match args.file.as_deref() {
        None | Some("-") => {
            std::io::stdin()
                .take(MAX_MESSAGE + 1)
                .read_to_end(&mut raw)
                .context("cannot read the message from standard input")?;
        }
        Some(path) => {
            std::fs::File::open(path)
                .with_context(|| format!("cannot open {path}"))?
                .take(MAX_MESSAGE + 1)
                .read_to_end(&mut raw)
                .with_context(|| format!("cannot read {path}"))?;
        }
    }
    if raw.len() as u64 > MAX_MESSAGE {
        anyhow::bail!(
            "the message is larger than {} MiB",
            MAX_MESSAGE / 1024 / 1024
        );
    }
    let (app, _queues) = super::open_full_app(&cfg, super::Access::Write).await?;
    let outcome = dsrflow_app::inbox::ingest(&app, &raw, None, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if args.json {
        println!("{}", serde_json::to_string(&outcome)?);
    } else {
        match &outcome {
            dsrflow_app::inbox::Ingested::Created { requests } => {
                for r in requests {
                    println!("created request {} ({})", r.id, r.kind);
                }
            }
            dsrflow_app::inbox::Ingested::Attached { request_id } => {
                println!("attached to request {request_id}");
            }
            dsrflow_app::inbox::Ingested::Ignored { reason } => println!("ignored: {reason}"),
            dsrflow_app::inbox::Ingested::Review {
                review_item_id,
                reason,
            } => println!("sent to the review queue as {review_item_id}: {reason}"),
        }
    }
    app.store.close().await?;
    Ok(ExitCode::SUCCESS)
}
