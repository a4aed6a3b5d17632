//! `dsrflow user …`: the dashboard's accounts. A password comes from standard input when it is
//! piped in (one line); otherwise one is generated and printed once.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::Subcommand;
use dsrflow_app::accounts::{self, NewPassword};
use dsrflow_domain::Actor;
use dsrflow_domain::account::Role;

use crate::config::Config;

/// Account subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input when it is piped in;
    /// otherwise one is generated and printed once.
    Add {
        /// The address the person signs in with.
        email: String,
        /// admin (accounts, tokens, settings), officer (every request action) or viewer (read
        /// only, addresses masked).
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List accounts (address, role, whether disabled).
    List,
    /// Disable an account: it can no longer sign in (it stays in the audit trail).
    Disable {
        /// The account's address.
        email: String,
    },
    /// Set a new password (from standard input when piped in, else generated and printed once).
    Passwd {
        /// The account's address.
        email: String,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse::<Role>()
        .map_err(|_| format!("unknown role {s:?}; expected admin, officer or viewer"))
}

/// The password piped in on standard input (one line, without its line ending), or None when
/// standard input is a terminal or empty.
fn piped_password() -> anyhow::Result<Option<String>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    Ok((!line.is_empty()).then_some(line))
}

/// Runs an account subcommand.
pub async fn run(cfg: Config, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    let access = match cmd {
        UserCommand::List => super::Access::Read,
        UserCommand::Add { .. } | UserCommand::Disable { .. } | UserCommand::Passwd { .. } => {
            super::Access::Write
        }
    };
    let app = super::open_app(&cfg, access).await?;
    let code = match cmd {
        UserCommand::Add { email, role } => {
            let piped = piped_password()?;
            let password = match &piped {
                Some(p) => NewPassword::Chosen(p),
                None => NewPassword::Generate,
            };
            let generated = accounts::add(&app, Actor::Cli, &email, role, password)
                .await
                .map_err(super::describe)?;
            match generated {
                Some(p) => {
                    eprintln!(
                        "account {} created ({role}); its password is shown once, give it to them now:",
                        email.to_lowercase()
                    );
                    println!("{p}");
                }
                None => eprintln!("account {} created ({role})", email.to_lowercase()),
            }
            ExitCode::SUCCESS
        }
        UserCommand::List => {
            for a in accounts::list(&app).await.map_err(super::describe)? {
                println!(
                    "{}\t{}\t{}",
                    a.email,
                    a.role,
                    if a.disabled { "disabled" } else { "active" }
                );
            }
            ExitCode::SUCCESS
        }
        UserCommand::Disable { email } => {
            accounts::disable(&app, Actor::Cli, &email)
                .await
                .map_err(super::describe)?;
            println!("account {} disabled", email.to_lowercase());
            ExitCode::SUCCESS
        }
        UserCommand::Passwd { email } => {
            let piped = piped_password()?;
            let password = match &piped {
                Some(p) => NewPassword::Chosen(p),
                None => NewPassword::Generate,
            };
            match accounts::set_password(&app, Actor::Cli, &email, password)
                .await
                .map_err(super::describe)?
            {
                Some(p) => {
                    eprintln!("new password for {}, shown once:", email.to_lowercase());
                    println!("{p}");
                }
                None => eprintln!("password of {} changed", email.to_lowercase()),
            }
            ExitCode::SUCCESS
        }
    };
    app.store.close().await?;
    Ok(code)
}
