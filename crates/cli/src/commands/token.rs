//! `dsrflow token …`: API tokens, printed once, stored hashed.

use std::process::ExitCode;

use clap::Subcommand;
use dsrflow_domain::Actor;

use crate::config::Config;

/// Token subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once.
    Create {
        /// A unique name for the token's holder (e.g. billing-app).
        name: String,
        /// Allow this token to vouch for a subject's identity (`identity_verified: true`).
        #[arg(long)]
        vouch: bool,
    },
    /// List tokens (names and prefixes only).
    List,
    /// Revoke a token by name.
    Revoke {
        /// The token's name.
        name: String,
    },
}

/// Runs a token subcommand.
pub async fn run(cfg: Config, cmd: TokenCommand) -> anyhow::Result<ExitCode> {
    let access = match cmd {
        TokenCommand::List => super::Access::Read,
        TokenCommand::Create { .. } | TokenCommand::Revoke { .. } => super::Access::Write,
    };
    let app = super::open_app(&cfg, access).await?;
    let code = match cmd {
        TokenCommand::Create { name, vouch } => {
            let t = dsrflow_app::tokens::create(&app, Actor::Cli, &name, vouch)
                .await
                .map_err(super::describe)?;
            eprintln!(
                "token {:?} created{}; it is shown once, store it now:",
                t.name,
                if t.can_vouch {
                    " (may vouch for identities)"
                } else {
                    ""
                }
            );
            println!("{}", t.secret);
            ExitCode::SUCCESS
        }
        TokenCommand::List => {
            let tokens = dsrflow_store::tokens::list(app.store.db()).await?;
            for t in tokens {
                println!(
                    "{}\t{}…\t{}\t{}",
                    t.name,
                    t.prefix,
                    if t.can_vouch { "vouch" } else { "-" },
                    if t.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    }
                );
            }
            ExitCode::SUCCESS
        }
        TokenCommand::Revoke { name } => {
            dsrflow_app::tokens::revoke(&app, Actor::Cli, &name)
                .await
                .map_err(super::describe)?;
            println!("token {name:?} revoked");
            ExitCode::SUCCESS
        }
    };
    app.store.close().await?;
    Ok(code)
}
