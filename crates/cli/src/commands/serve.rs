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

/// Runs the server (and, unless `--no-worker`, the workers) until a shutdown signal.
pub async fn run(cfg: Config, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let (app, queues) = super::open_full_app(&cfg).await?;
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
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let workers = if args.no_worker {
        None
    } else {
        let mut rx = stop_rx.clone();
        Some(tokio::spawn(dsrflow_worker::run_workers(
            app.clone(),
            queues,
            cfg.concurrency,
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            },
        )))
    };
    let mut rx = stop_rx;
    let server = dsrflow_web::serve(listener, app.clone(), async move {
        let _ = rx.wait_for(|stop| *stop).await;
    });
    tokio::spawn(async move {
        super::shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    server.await?;
    if let Some(w) = workers {
        match w.await {
            Ok(Err(e)) => tracing::warn!(error = %e, "workers stopped with an error"),
            Err(e) => tracing::warn!(error = %e, "workers panicked"),
            Ok(Ok(())) => {}
        }
    }
    app.store.close().await?;
    Ok(ExitCode::SUCCESS)
}
