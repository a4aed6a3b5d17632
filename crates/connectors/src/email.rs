//! The `email` connector: a processor or recipient without an API. dsrflow writes to it (a
//! templated request with a one-time confirmation link), waits for the link to be followed,
//! reminds it after a configurable delay, and hands the task to the officer when every reminder
//! went unanswered. Art. 19 notices to recipients are sent the same way, without waiting.
//!
//! The connector only decides which mail is due; the application renders it, sends it through
//! the outbox and keeps the state (how many reminders went out) on the task.

use std::time::Duration;

use dsrflow_domain::TaskAction;
use dsrflow_domain::channel::Language;
use serde::Deserialize;

use crate::config::{BuildError, parse};
use crate::{Connector, ConnectorError, MailKind, MailOut, Outcome, TaskRequest};

fn default_respond() -> u32 {
    14
}
fn default_remind() -> u32 {
    7
}
fn default_reminders() -> u32 {
    2
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailConfig {
    address: String,
    name: String,
    #[serde(default)]
    language: Option<String>,
    #[serde(default = "default_respond")]
    respond_within_days: u32,
    #[serde(default = "default_remind")]
    remind_after_days: u32,
    #[serde(default = "default_reminders")]
    max_reminders: u32,
}

/// A processor reached by mail.
#[derive(Debug, Clone)]
pub struct EmailConnector {
    address: String,
    name: String,
    language: Language,
    respond_within_days: u32,
    remind_after: Duration,
    max_reminders: u32,
}

/// The state an `email` task keeps in its external reference: `mail:<reminders sent>`.
pub fn reminders_sent(external_ref: Option<&str>) -> Option<u32> {
    external_ref?.strip_prefix("mail:")?.parse().ok()
}

impl EmailConnector {
    /// Builds it from `connection = { address, name, language?, respond_within_days?,
    /// remind_after_days?, max_reminders? }`.
    pub fn from_config(value: &serde_json::Value) -> Result<Self, BuildError> {
        let c: EmailConfig = parse(value)?;
        let address = dsrflow_domain::SubjectEmail::parse(&c.address)
            .map_err(|e| BuildError::new("address", format!("{e}")))?
            .into_inner();
        if c.name.trim().is_empty() {
            return Err(BuildError::new(
                "name",
                "must name the processor or recipient",
            ));
        }
        let language = match &c.language {
            Some(l) => l
                .parse()
                .map_err(|e| BuildError::new("language", format!("{e}")))?,
            None => Language::En,
        };
        if !(1..=90).contains(&c.respond_within_days) {
            return Err(BuildError::new(
                "respond_within_days",
                "must be 1 to 90 days",
            ));
        }
        if !(1..=60).contains(&c.remind_after_days) {
            return Err(BuildError::new("remind_after_days", "must be 1 to 60 days"));
        }
        if c.max_reminders > 10 {
            return Err(BuildError::new("max_reminders", "must be at most 10"));
        }
        Ok(Self {
            address,
            name: c.name.trim().to_owned(),
            language,
            respond_within_days: c.respond_within_days,
            remind_after: Duration::from_secs(u64::from(c.remind_after_days) * 24 * 3600),
            max_reminders: c.max_reminders,
        })
    }

    fn out(&self, kind: MailKind) -> Outcome {
        Outcome::Mail(MailOut {
            to: self.address.clone(),
            name: self.name.clone(),
            language: self.language,
            kind,
            respond_within_days: self.respond_within_days,
            check_after: self.remind_after,
        })
    }
}

#[async_trait::async_trait]
impl Connector for EmailConnector {
    async fn check(&self) -> Result<String, ConnectorError> {
        Ok(format!(
            "requests go by mail to {} (a***), reminders every {} days, {} at most",
            self.name,
            self.remind_after.as_secs() / 86_400,
            self.max_reminders
        ))
    }

    async fn run(&self, req: &TaskRequest<'_>) -> Result<Outcome, ConnectorError> {
        match req.action {
            TaskAction::Notify => Ok(self.out(MailKind::Notice)),
            // The processor was not asked to restrict by mail in an objection; lifting is for
            // whoever applied it.
            TaskAction::Decide | TaskAction::Lift => Ok(Outcome::Manual {
                instructions: req.action.instructions(req.kind).to_owned(),
            }),
            _ => Ok(match reminders_sent(req.external_ref) {
                None => self.out(MailKind::Request),
                Some(n) if n < self.max_reminders => self.out(MailKind::Reminder(n + 1)),
                Some(_) => self.out(MailKind::Escalate),
            }),
        }
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_reminder_count_lives_in_the_external_reference() {
        assert_eq!(reminders_sent(None), None);
        assert_eq!(reminders_sent(Some("mail:0")), Some(0));
        assert_eq!(reminders_sent(Some("mail:2")), Some(2));
        assert_eq!(reminders_sent(Some("job-17")), None);
    }

    #[test]
    fn configuration_errors_name_the_key() {
        let e = EmailConnector::from_config(&json!({"address": "nope", "name": "X"})).unwrap_err();
        assert_eq!(e.key, "address");
        let e = EmailConnector::from_config(&json!({"address": "dpo@acme.example", "name": " "}))
            .unwrap_err();
        assert_eq!(e.key, "name");
        let e = EmailConnector::from_config(
            &json!({"address": "dpo@acme.example", "name": "Acme", "language": "xx"}),
        )
        .unwrap_err();
        assert_eq!(e.key, "language");
        assert!(
            EmailConnector::from_config(&json!({"address": "dpo@acme.example", "name": "Acme"}))
                .is_ok()
        );
    }
}
