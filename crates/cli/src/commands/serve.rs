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
/// `config_file` is the `--config` given, which the demo lays its data map over.
pub async fn run(
    cfg: Config,
    args: ServeArgs,
    config_file: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    // The public site (templates, catalogues, theme) is checked before anything starts, so a
    // broken override folder stops the start-up with the key to fix.
    let site = dsrflow_web::Site::load(&cfg.settings.form)
        .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let (cfg, demo) = if args.demo {
        let demo = crate::demo::prepare(config_file, &cfg, addr).await?;
        (demo.config.clone(), Some(demo))
    } else {
        (cfg, None)
    };
    let (app, queues) = match &demo {
        Some(d) => super::open_app_with(&cfg, d.systems.clone(), super::Access::Create).await?,
        None => super::open_full_app(&cfg, super::Access::Create).await?,
    };
    let queues = super::queues_of(queues)?;
    tracing::info!(
        %addr,
        database = %dsrflow_store::redact_url(&cfg.database_url),
        "dsrflow listening"
    );
    println!("dsrflow listening on http://{addr}");
    // The demo prints its own accounts (kept across restarts) in its banner.
    if demo.is_none() {
        first_admin(&app, &cfg).await?;
    }
    if let Some(d) = &demo {
        print_demo_intro(&app, d, &cfg).await?;
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

/// On the first start (no account yet): an admin account for the officer's address (else the
/// controller's contact), its one-time password printed once.
async fn first_admin(app: &dsrflow_app::App, cfg: &Config) -> anyhow::Result<()> {
    let login = cfg
        .settings
        .officer_address
        .clone()
        .filter(|a| dsrflow_domain::SubjectEmail::parse(a).is_ok())
        .or_else(|| {
            let c = &cfg.settings.controller.contact;
            dsrflow_domain::SubjectEmail::parse(c)
                .is_ok()
                .then(|| c.clone())
        })
        .unwrap_or_else(|| "admin@dsrflow.invalid".to_owned());
    if let Some((email, password)) = dsrflow_app::accounts::ensure_first_admin(app, &login)
        .await
        .map_err(|e| anyhow::anyhow!("creating the first admin account: {e}"))?
    {
        // Not println!: a closed stdout (a supervisor that stopped reading) must not stop the
        // server; the password is then lost, and `dsrflow user passwd` sets a new one.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stdout().lock(),
            "first start: created the admin account {email}; its one-time password (shown once, change it with `dsrflow user passwd {email}`): {password}"
        );
    }
    Ok(())
}

async fn print_demo_intro(
    app: &dsrflow_app::App,
    demo: &crate::demo::Demo,
    cfg: &Config,
) -> anyhow::Result<()> {
    let (token, kept) = crate::demo::token(app, &cfg.data_dir).await?;
    let names: Vec<&str> = demo
        .systems
        .map
        .systems
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    let base = &cfg.settings.public_url;
    let token_file = crate::demo::token_path(&cfg.data_dir);
    println!();
    println!(
        "demo: {}, a managed-Odoo hosting provider, with {} systems: {}",
        cfg.settings.controller.name,
        names.len(),
        names.join(", ")
    );
    let recipients: Vec<&str> = demo
        .systems
        .map
        .recipients
        .iter()
        .map(|r| r.label.as_str())
        .collect();
    if !recipients.is_empty() {
        println!(
            "  and the recipients they disclose data to (told of erasures, Art. 19): {}",
            recipients.join(", ")
        );
    }
    println!("  start page:        {base}/");
    println!("  request form:      {base}/request   (as a data subject would)");
    let accounts =
        crate::demo::accounts(app, &cfg.data_dir, &cfg.settings.controller.contact).await?;
    println!(
        "  dashboard:         {base}/login   (kept in {})",
        crate::demo::accounts_path(&cfg.data_dir).display()
    );
    for (email, role, password) in &accounts {
        println!("    {:<8} {email}   password {password}", role.as_str());
    }
    println!(
        "  API token:         {token}   ({}; may vouch for identities; kept in {})",
        if kept {
            "kept from the last start"
        } else {
            "new"
        },
        token_file.display()
    );
    match &cfg.mail.smtp_url {
        None => {
            let mail_dir = cfg.data_dir.join("mail");
            println!(
                "  mail:              nothing leaves this machine: every message (confirmation, status and download links) is a file in {}/",
                mail_dir.display()
            );
            println!(
                "                     read the newest: cat \"$(ls -t {}/*.eml | head -n1)\"",
                mail_dir.display()
            );
        }
        Some(_) => println!("  mail:              sent through the SMTP relay of mail.smtp_url"),
    }
    println!(
        "  configuration:     {}   (used by the other commands run beside the demo, e.g. dsrflow connector list)",
        demo.config_file.display()
    );
    println!(
        "  demo data:         {}   (SQLite files, reset on every start)",
        demo.dir.display()
    );
    println!();
    println!(
        "try: erase everything about alice@example.com (her invoice stays, under tax retention):"
    );
    println!("  TOKEN=$(cat {})", token_file.display());
    println!(
        "  curl -s -X POST {base}/api/v1/requests -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n    -d '{{\"kind\":\"erasure\",\"identity_verified\":true,\"subject\":{{\"email\":\"alice@example.com\",\"name\":\"Alice Martin\"}}}}'"
    );
    println!("  curl -s {base}/api/v1/requests/<id>/tasks -H \"Authorization: Bearer $TOKEN\"");
    println!(
        "  curl -s -X POST {base}/api/v1/requests/<id>/approve -H \"Authorization: Bearer $TOKEN\""
    );
    println!(
        "or an access request (\"kind\":\"access\"), then download /api/v1/requests/<id>/package."
    );
    println!(
        "the README's \"Using it\" walks through every step; a simulated support agent completes manual tasks after a few seconds."
    );
    Ok(())
}
