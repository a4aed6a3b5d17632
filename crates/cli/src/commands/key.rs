//! `dsrflow key generate`: a new data key, printed once.
//!
//! The data key encrypts what dsrflow keeps sealed at rest (queued mail bodies, connector
//! results, access packages) and keys the hashes of its suppression list. On SQLite a key file
//! is created next to the database on first start; on PostgreSQL every node needs the same key,
//! so the operator makes one with this command and hands it to each node through the
//! environment.

use std::process::ExitCode;

use clap::Subcommand;
use dsrflow_app::crypto::DataKey;

/// Key subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Print a new random data key (32 bytes, base64) once; nothing is stored.
    Generate,
}

/// How to store and back up a generated key (printed on stderr, so stdout is the key alone).
pub const KEY_HELP: &str = "\
This is a new data key (32 random bytes, base64). It is printed once and stored nowhere.
  1. Store it in your secret manager, and back it up with the database: without it, sealed
     mail, connector results and access packages cannot be read, and the suppression list
     no longer matches.
  2. Give the same key to every dsrflow node through the environment, e.g.
       export DSRFLOW_DATA_KEY='<the key>'
     with this in the configuration file:
       [security]
       data_key = \"env:DSRFLOW_DATA_KEY\"
  3. Never put the key itself in the configuration file or in a log.";

/// Runs a key subcommand.
pub fn run(cmd: KeyCommand) -> ExitCode {
    let KeyCommand::Generate = cmd;
    println!("{}", DataKey::generate().to_base64());
    eprintln!("{KEY_HELP}");
    ExitCode::SUCCESS
}
