//! Subcommands.

pub mod audit;
pub mod bench;
pub mod bench_fanout;
pub mod connector;
pub mod deadline;
pub mod inbox;
pub mod ingest;
pub mod key;
pub mod mail;
pub mod reminders;
pub mod request;
pub mod serve;
pub mod token;
pub mod user;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use dsrflow_app::{App, Store, SystemClock};

use crate::config::Config;

/// How a command uses the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// `serve`, `worker`, `migrate`: create the database if missing and migrate it.
    Create,
    /// Commands that change state: the database must exist; pending migrations are applied.
    Write,
    /// Commands that only read: the database must exist and be migrated; nothing is written.
    Read,
}

/// A command-line mistake (exit code 2): a database that does not exist, a schema that needs
/// `dsrflow migrate`, an unknown reference.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Connects (per `access`) and builds the application context without systems, job queue or
/// data key: enough for commands that only read or write requests, tokens and the audit trail.
pub async fn open_app(cfg: &Config, access: Access) -> anyhow::Result<App> {
    let store = match access {
        Access::Create => Store::connect(&cfg.database_url).await?,
        Access::Write | Access::Read => match Store::open_existing(&cfg.database_url).await {
            Ok(s) => s,
            Err(e @ dsrflow_store::StoreError::Missing(_)) => {
                return Err(UsageError(e.to_string()).into());
            }
            Err(e) => return Err(e.into()),
        },
    };
    if access == Access::Read {
        let pending = store.pending_migrations().await?;
        if !pending.is_empty() {
            return Err(UsageError(format!(
                "the database {} needs {} migration(s) this command does not apply: run `dsrflow migrate` first",
                dsrflow_store::redact_url(&cfg.database_url),
                pending.len()
            ))
            .into());
        }
    } else {
        store
            .migrate()
            .await
            .context("failed to apply database migrations")?;
    }
    Ok(App::new(store, Arc::new(SystemClock), cfg.settings.clone()))
}

/// The full application: systems validated and connected, jobs going to the apalis queues
/// (none when `access` is [`Access::Read`]: a read never sets up, or creates, the queue).
pub async fn open_full_app(
    cfg: &Config,
    access: Access,
) -> anyhow::Result<(App, Option<dsrflow_worker::Queues>)> {
    open_app_with(cfg, cfg.systems()?, access).await
}

/// The full application with the given systems (the demo brings its own).
pub async fn open_app_with(
    cfg: &Config,
    systems: dsrflow_app::systems::Systems,
    access: Access,
) -> anyhow::Result<(App, Option<dsrflow_worker::Queues>)> {
    // A missing key on PostgreSQL is a configuration error, reported before connecting. On
    // SQLite the key file is created only once the database is known to exist: a command
    // refused for want of a database creates nothing.
    let early_key = if cfg.database_url.starts_with("sqlite:") {
        None
    } else {
        Some(cfg.resolve_data_key(false)?)
    };
    let mut app = open_app(cfg, access).await?.with_systems(systems);
    let data_key = match early_key {
        Some(key) => key,
        None => cfg.resolve_data_key(access != Access::Read)?,
    };
    app.settings = Arc::new(dsrflow_app::Settings {
        data_key,
        ..(*app.settings).clone()
    });
    let (mailer, templates) = cfg.mail()?;
    let app = app
        .with_mailer(Arc::new(dsrflow_app::outbox::Mailer(mailer)))
        .with_templates(templates);
    if access == Access::Read {
        return Ok((app.with_jobs(Arc::new(dsrflow_app::jobs::NoQueue)), None));
    }
    let queues = dsrflow_worker::Queues::setup(&app).await?;
    Ok((
        app.with_jobs(dsrflow_worker::job_queue(&queues)),
        Some(queues),
    ))
}

/// The queues of an app opened for writing.
pub fn queues_of(queues: Option<dsrflow_worker::Queues>) -> anyhow::Result<dsrflow_worker::Queues> {
    queues.context("the job queue was not set up")
}

/// An application error as a command-line error: a validation error names each field, a
/// missing thing or a conflict is a usage error (exit code 2).
pub fn describe(e: dsrflow_app::AppError) -> anyhow::Error {
    match e {
        dsrflow_app::AppError::Validation(fields) => {
            UsageError(dsrflow_app::FieldError::join(&fields)).into()
        }
        e @ (dsrflow_app::AppError::NotFound(_) | dsrflow_app::AppError::Conflict(_)) => {
            UsageError(e.to_string()).into()
        }
        other => anyhow::anyhow!("{other}"),
    }
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

/// `dsrflow worker`: workers and the reconciler only.
pub async fn worker(cfg: Config) -> anyhow::Result<ExitCode> {
    let (app, queues) = open_full_app(&cfg, Access::Create).await?;
    let queues = queues_of(queues)?;
    tracing::info!(
        systems = app.systems.map.systems.len(),
        "dsrflow worker started"
    );
    println!("dsrflow worker started");
    dsrflow_worker::run_workers(app.clone(), queues, cfg.concurrency, shutdown_signal()).await?;
    app.store.close().await?;
    Ok(ExitCode::SUCCESS)
}

/// `dsrflow migrate`.
pub async fn migrate(cfg: Config) -> anyhow::Result<ExitCode> {
    let app = open_app(&cfg, Access::Create).await?;
    println!(
        "migrations applied to {}",
        dsrflow_store::redact_url(&cfg.database_url)
    );
    app.store.close().await?;
    Ok(ExitCode::SUCCESS)
}
