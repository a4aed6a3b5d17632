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
    /// Run the built-in demo: a managed-Odoo hosting provider with every kind of system
    /// (SQLite databases and in-process stand-ins for Stripe, Klaviyo, Crisp, PostHog, Hotjar,
    /// Google Analytics and Odoo's privacy lookup), seeded with `alice@example.com`.
    #[arg(long, conflicts_with = "no_worker")]
    pub demo: bool,
}

/// Runs the server (and, unless `--no-worker`, the workers) until a shutdown signal.
pub async fn run(cfg: Config, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut cfg = cfg;
    let demo = if args.demo {
        let demo = crate::demo::prepare(&cfg.data_dir).await?;
        cfg.settings.controller.name = demo.controller.name.clone();
        cfg.settings.controller.contact = demo.controller.contact.clone();
        Some(demo)
    } else {
        None
    };
    // The public site (templates, catalogues, theme) is checked before anything starts, so a
    // broken override folder stops the start-up with the key to fix.
    let site = dsrflow_web::Site::load(&cfg.settings.form)
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    let (app, queues) = match &demo {
        Some(d) => super::open_app_with(&cfg, d.systems.clone()).await?,
        None => super::open_full_app(&cfg).await?,
    };
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
    if let Some(d) = &demo {
        print_demo_intro(&app, d, addr).await?;
        crate::demo::spawn_simulated_agent(app.clone());
    }
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
    let state = dsrflow_web::WebState::with_site(app.clone(), site);
    let server = dsrflow_web::serve_with(listener, state, async move {
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

async fn print_demo_intro(
    app: &dsrflow_app::App,
    demo: &crate::demo::Demo,
    addr: std::net::SocketAddr,
) -> anyhow::Result<()> {
    use dsrflow_app::store::audit::Actor;
    // A fresh token on every start (shown once, stored hashed); the previous one is revoked.
    let _ = dsrflow_app::tokens::revoke(app, Actor::Cli, "demo").await;
    let token = dsrflow_app::tokens::create(app, Actor::Cli, "demo", true)
        .await
        .map_err(|e| anyhow::anyhow!("demo token: {e}"))?;
    let names: Vec<&str> = demo
        .systems
        .map
        .systems
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    println!();
    println!(
        "demo: {} systems of a managed-Odoo hosting provider: {}",
        names.len(),
        names.join(", ")
    );
    println!(
        "demo data (SQLite files, reset on every start): {}",
        demo.dir.display()
    );
    println!(
        "demo API token (may vouch for identities): {}",
        token.secret
    );
    println!();
    println!(
        "try: erase everything about alice@example.com (her invoice stays, under tax retention):"
    );
    println!(
        "  curl -s -X POST http://{addr}/api/v1/requests -H 'Authorization: Bearer {}' -H 'Content-Type: application/json' \\\n    -d '{{\"kind\":\"erasure\",\"identity_verified\":true,\"subject\":{{\"email\":\"alice@example.com\",\"name\":\"Alice Martin\"}}}}'",
        token.secret
    );
    println!(
        "  curl -s http://{addr}/api/v1/requests/<id>/tasks -H 'Authorization: Bearer {}'",
        token.secret
    );
    println!(
        "  curl -s -X POST http://{addr}/api/v1/requests/<id>/approve -H 'Authorization: Bearer {}'",
        token.secret
    );
    println!(
        "or an access request (\"kind\":\"access\"), then download /api/v1/requests/<id>/package."
    );
    println!("a simulated support agent completes manual tasks after a few seconds.");
    Ok(())
}
