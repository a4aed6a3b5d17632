//! Subcommands.

pub mod audit;
pub mod bench;
pub mod deadline;
pub mod serve;
pub mod token;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use dsrflow_app::{App, Store, SystemClock};

use crate::config::Config;

/// Connects, migrates, and builds the application context.
pub async fn open_app(cfg: &Config) -> anyhow::Result<App> {
    let store = Store::connect(&cfg.database_url).await?;
    store
        .migrate()
        .await
        .context("failed to apply database migrations")?;
    Ok(App::new(store, Arc::new(SystemClock), cfg.settings.clone()))
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
