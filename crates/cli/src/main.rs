//! The `dsrflow` binary: loads configuration, sets up logging, and runs a subcommand.

mod commands;
mod config;
mod demo;
mod telemetry;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// What `dsrflow --help` opens with: the product, for the person who just installed it.
const ABOUT: &str =
    "Answer data-subject requests (access, erasure, objection, …) in every system, on time.";

const LONG_ABOUT: &str = "\
dsrflow answers the requests people make about their personal data under the GDPR (and UK GDPR,
CCPA, VCDPA, LGPD, the Swiss nFADP and Québec's law): copies of their data, erasure, objections,
rectification, restriction, portability and consent withdrawal.

It takes requests in from an API, a public web form and the privacy@ mailbox, confirms who is
asking, computes the legal deadline to the day, sends the work to every database and processor
that holds the person's data, reminds the compliance officer before the deadline, sends the
answer, and keeps a tamper-evident audit trail.

Try it: `dsrflow serve --demo` runs a complete example on http://127.0.0.1:8080.";

/// The command line.
#[derive(Debug, Parser)]
#[command(name = "dsrflow", version, about = ABOUT, long_about = LONG_ABOUT, propagate_version = true)]
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
    /// Data keys: `key generate` makes the key every PostgreSQL node needs.
    #[command(subcommand)]
    Key(commands::key::KeyCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(commands::token::TokenCommand),
    /// Manage dashboard accounts.
    #[command(subcommand)]
    User(commands::user::UserCommand),
    /// Requests: list them by deadline, show one.
    #[command(subcommand)]
    Request(commands::request::RequestCommand),
    /// Outgoing mail: list what failed, send it again, read the mail folder.
    #[command(subcommand)]
    Mail(commands::mail::MailCommand),
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

/// Whether a command, run without `--config`, picks up the configuration a demo wrote next to
/// its database. `serve` and `worker` do not (the demo's stand-ins live in the demo's
/// process), nor do the commands that need no configuration.
fn uses_demo_configuration(command: &Command) -> bool {
    match command {
        Command::Serve(_)
        | Command::Worker
        | Command::Migrate
        | Command::Deadline(_)
        | Command::Key(_)
        | Command::Bench(_) => false,
        Command::Connector(_)
        | Command::Request(_)
        | Command::Mail(_)
        | Command::Token(_)
        | Command::User(_)
        | Command::IngestMail(_)
        | Command::Inbox(_)
        | Command::Reminders(_)
        | Command::Audit(_) => true,
    }
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
            if e.downcast_ref::<commands::UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
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
    let mut cfg = config::load(cli.config.as_deref(), &overrides)?;
    // Beside a running demo, commands use the configuration it wrote (same database, same data
    // directory), unless a configuration file is given.
    if cli.config.is_none() && uses_demo_configuration(&cli.command) {
        let path = demo::config_path(&cfg.data_dir);
        if path.is_file() {
            cfg = config::load(Some(&path), &overrides)?;
            cfg.secrets = demo::secrets();
            eprintln!(
                "note: using the demo's configuration {} (written by `dsrflow serve --demo`)",
                path.display()
            );
        }
    }
    let quiet = matches!(cli.command, Command::Bench(_));
    let _log_guard = telemetry::init(cfg.log_json, quiet);
    match cli.command {
        Command::Serve(args) => commands::serve::run(cfg, args, cli.config.as_deref()).await,
        Command::Worker => commands::worker(cfg).await,
        Command::Migrate => commands::migrate(cfg).await,
        Command::Connector(cmd) => commands::connector::run(cfg, cmd).await,
        Command::Deadline(args) => commands::deadline::run(&cfg, args),
        Command::Key(cmd) => Ok(commands::key::run(cmd)),
        Command::Token(cmd) => commands::token::run(cfg, cmd).await,
        Command::User(cmd) => commands::user::run(cfg, cmd).await,
        Command::Audit(cmd) => commands::audit::run(cfg, cmd).await,
        Command::Reminders(cmd) => commands::reminders::run(cfg, cmd).await,
        Command::Request(cmd) => commands::request::run(cfg, cmd).await,
        Command::Mail(cmd) => commands::mail::run(cfg, cmd).await,
        Command::IngestMail(args) => commands::ingest::run(cfg, args).await,
        Command::Inbox(cmd) => commands::inbox::run(cfg, cmd).await,
        Command::Bench(cmd) => commands::bench::run(cfg, cmd).await,
    }
}
