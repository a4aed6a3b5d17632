//! `dsrflow connector …`: test a configured system's connection.

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Config;

/// Connector subcommands.
#[derive(Debug, Subcommand)]
pub enum ConnectorCommand {
    /// Test one system's (or recipient's) connection and configuration without touching data.
    Check {
        /// The system's name in the configuration.
        name: String,
    },
    /// List the configured systems and recipients.
    List,
}

/// Runs a connector subcommand.
pub async fn run(cfg: Config, cmd: ConnectorCommand) -> anyhow::Result<ExitCode> {
    let systems = cfg.systems()?;
    match cmd {
        ConnectorCommand::List => {
            for s in &systems.map.systems {
                println!(
                    "{}\t{}\t{}",
                    s.name,
                    s.kind,
                    s.description.as_deref().unwrap_or("")
                );
            }
            for r in &systems.map.recipients {
                println!("{}	{}	recipient: {}", r.name, r.kind, r.label);
            }
            Ok(ExitCode::SUCCESS)
        }
        ConnectorCommand::Check { name } => {
            let Some(connector) = systems.registry.get(&name) else {
                let known: Vec<&str> = systems.registry.names().collect();
                anyhow::bail!(
                    "no system named {name:?}; configured: {}",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                );
            };
            match connector.check().await {
                Ok(summary) => {
                    println!("{name}: ok ({summary})");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!("{name}: FAILED: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}
