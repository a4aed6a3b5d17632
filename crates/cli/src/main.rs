//! The `dsrflow` binary: loads configuration, sets up logging, and runs a subcommand.

mod commands;
mod config;
mod demo;
mod telemetry;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// dsrflow — a GDPR data-subject-request workflow engine.
#[derive(Debug, Parser)]
#[command(name = "dsrflow", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Configuration file (TOML).
    #[arg(long, global = true, env = "DSRFLOW_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://path (default sqlite://dsrflow.db) or postgres://…
    #[arg(long, global = true, env = "DSRFLOW_DATABASE_URL", value_name = "URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the API (and, unless --no-worker, the background workers) on one process.
    Serve(commands::serve::ServeArgs),
    /// Run the background workers and the reconciler only (scale-out next to `serve --no-worker`).
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Check a configured system's connector.
    #[command(subcommand)]
    Connector(commands::connector::ConnectorCommand),
    /// Compute a legal deadline by hand.
    Deadline(commands::deadline::DeadlineArgs),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(commands::token::TokenCommand),
    /// Take one RFC 822 message in, as if it had reached the privacy@ mailbox.
    IngestMail(commands::ingest::IngestArgs),
    /// The privacy@ mailbox: poll it once, list the review queue.
    #[command(subcommand)]
    Inbox(commands::inbox::InboxCommand),
    /// Deadline reminders for the officer.
    #[command(subcommand)]
    Reminders(commands::reminders::RemindersCommand),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Measure throughput against a baseline run in the same process.
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // reqwest is built without a default crypto provider so that ring is the only one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let overrides = config::Overrides {
        database_url: cli.database_url.clone(),
        listen: match &cli.command {
            Command::Serve(a) => a.listen.clone(),
            _ => None,
        },
    };
    let cfg = config::load(cli.config.as_deref(), &overrides)?;
    let quiet = matches!(cli.command, Command::Bench(_));
    let _log_guard = telemetry::init(cfg.log_json, quiet);
    match cli.command {
        Command::Serve(args) => commands::serve::run(cfg, args).await,
        Command::Worker => commands::worker(cfg).await,
        Command::Migrate => commands::migrate(cfg).await,
        Command::Connector(cmd) => commands::connector::run(cfg, cmd).await,
        Command::Deadline(args) => commands::deadline::run(&cfg, args),
        Command::Token(cmd) => commands::token::run(cfg, cmd).await,
        Command::Audit(cmd) => commands::audit::run(cfg, cmd).await,
        Command::Reminders(cmd) => commands::reminders::run(cfg, cmd).await,
        Command::IngestMail(args) => commands::ingest::run(cfg, args).await,
        Command::Inbox(cmd) => commands::inbox::run(cfg, cmd).await,
        Command::Bench(cmd) => commands::bench::run(cfg, cmd).await,
    }
}
