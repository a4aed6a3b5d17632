//! The `manual` connector: a task for a named internal owner (e.g. "remove the subject's mails
//! from the shared support mailbox"), completed from the API or the dashboard with a note.

use serde::Deserialize;

use crate::config::{BuildError, parse};
use crate::{Connector, ConnectorError, Outcome, TaskRequest};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualConfig {
    owner: String,
    #[serde(default)]
    instructions: Option<String>,
}

/// A connector that hands the work to a person.
#[derive(Debug, Clone)]
pub struct ManualConnector {
    owner: String,
    instructions: Option<String>,
}

impl ManualConnector {
    /// Builds it from `connection = { owner = "…", instructions = "…" }`.
    pub fn from_config(value: &serde_json::Value) -> Result<Self, BuildError> {
        let c: ManualConfig = parse(value)?;
        if c.owner.trim().is_empty() {
            return Err(BuildError::new("owner", "must name who does the work"));
        }
        Ok(Self {
            owner: c.owner,
            instructions: c.instructions,
        })
    }
}

#[async_trait::async_trait]
impl Connector for ManualConnector {
    async fn check(&self) -> Result<String, ConnectorError> {
        Ok(format!("manual tasks go to {}", self.owner))
    }

    async fn run(&self, req: &TaskRequest<'_>) -> Result<Outcome, ConnectorError> {
        let base = req.action.instructions(req.kind);
        let instructions = match &self.instructions {
            Some(extra) => format!("{}: {base}. {extra}", self.owner),
            None => format!("{}: {base}.", self.owner),
        };
        Ok(Outcome::Manual { instructions })
    }
}
