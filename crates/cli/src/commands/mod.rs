//! Subcommands.

pub mod audit;
pub mod bench;
pub mod bench_fanout;
pub mod connector;
pub mod deadline;
pub mod inbox;
pub mod ingest;
pub mod reminders;
pub mod serve;
pub mod token;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use dsrflow_app::{App, Store, SystemClock};

use crate::config::Config;

/// Connects, migrates, and builds the application context without systems, job queue or data
/// key: enough for commands that only read or write requests, tokens and the audit trail.
pub async fn open_app(cfg: &Config) -> anyhow::Result<App> {
    let store = Store::connect(&cfg.database_url).await?;
    store
        .migrate()
        .await
        .context("failed to apply database migrations")?;
    Ok(App::new(store, Arc::new(SystemClock), cfg.settings.clone()))
}

/// The full application: systems validated and connected, jobs going to the apalis queues.
pub async fn open_full_app(cfg: &Config) -> anyhow::Result<(App, dsrflow_worker::Queues)> {
    open_app_with(cfg, cfg.systems()?).await
}

/// The full application with the given systems (the demo brings its own).
pub async fn open_app_with(
    cfg: &Config,
    systems: dsrflow_app::systems::Systems,
) -> anyhow::Result<(App, dsrflow_worker::Queues)> {
    let data_key = cfg.resolve_data_key()?;
    let mut app = open_app(cfg).await?.with_systems(systems);
    app.settings = Arc::new(dsrflow_app::Settings {
        data_key,
        ..(*app.settings).clone()
    });
    let queues = dsrflow_worker::Queues::setup(&app).await?;
    let (mailer, templates) = cfg.mail()?;
    let app = app
        .with_jobs(dsrflow_worker::job_queue(&queues))
        .with_mailer(Arc::new(dsrflow_app::outbox::Mailer(mailer)))
        .with_templates(templates);
    Ok((app, queues))
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
    let (app, queues) = open_full_app(&cfg).await?;
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
    let app = open_app(&cfg).await?;
    println!(
        "migrations applied to {}",
        dsrflow_app::store::redact_url(&cfg.database_url)
    );
    app.store.close().await?;
    Ok(ExitCode::SUCCESS)
}
