//! `dsrflow serve`: the HTTP API in one process, with graceful shutdown on Ctrl-C or SIGTERM.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::config::Config;

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "DSRFLOW_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Serve HTTP only; run the background workers elsewhere (`dsrflow worker`).
    #[arg(long)]
    pub no_worker: bool,
}

/// Runs the server until a shutdown signal.
pub async fn run(cfg: Config, _args: ServeArgs) -> anyhow::Result<ExitCode> {
    let app = super::open_app(&cfg).await?;
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(
        %addr,
        database = %dsrflow_app::store::redact_url(&cfg.database_url),
        "dsrflow listening"
    );
    println!("dsrflow listening on http://{addr}");
    dsrflow_web::serve(listener, app.clone(), shutdown_signal()).await?;
    app.store.close().await?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
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
