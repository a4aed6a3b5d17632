//! The `manual` connector: a task for a named internal owner (e.g. "remove the subject's mails
//! from the shared support mailbox"), completed from the API or the dashboard with a note.

use dsrflow_domain::TaskAction;
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

/// What a person is asked to do for an action.
pub fn action_instructions(action: TaskAction) -> &'static str {
    match action {
        TaskAction::Access => "collect the subject's data and attach it (or note where it is)",
        TaskAction::Erase => {
            "erase the subject's data, keeping only what a retention rule requires; note what was kept and why"
        }
        TaskAction::OptOut => "stop all direct marketing to the subject at once",
        TaskAction::Restrict => "restrict processing of the subject's data (store only)",
        TaskAction::Rectify => "correct the subject's data as described in the request",
        TaskAction::Notify => {
            "tell this recipient about the erasure, rectification or restriction (GDPR Art. 19)"
        }
        TaskAction::Decide => {
            "weigh the objection against the legitimate interests (GDPR Art. 21(1)); uphold or reject with reasons"
        }
    }
}

#[async_trait::async_trait]
impl Connector for ManualConnector {
    async fn check(&self) -> Result<String, ConnectorError> {
        Ok(format!("manual tasks go to {}", self.owner))
    }

    async fn run(&self, req: &TaskRequest<'_>) -> Result<Outcome, ConnectorError> {
        let base = action_instructions(req.action);
        let instructions = match &self.instructions {
            Some(extra) => format!("{}: {base}. {extra}", self.owner),
            None => format!("{}: {base}.", self.owner),
        };
        Ok(Outcome::Manual { instructions })
    }
}
