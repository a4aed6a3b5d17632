//! Connectors: how dsrflow reaches each system of the data map.
//!
//! A [`Connector`] performs one [`TaskAction`] for one subject in one system and reports what it
//! did ([`Outcome`]). Connectors are built once from configuration ([`build`]) and hold no
//! request state: the task id is passed in as the idempotency key, the subject's identifiers
//! only for the duration of the call (they are never logged).

pub mod config;
pub mod email;
pub mod http;
pub mod manual;
pub mod opendsr;
pub mod registry;
pub mod sql;

use std::time::Duration;

use chrono::{DateTime, Utc};
use dsrflow_domain::{
    AccountId, PhoneNumber, Regime, RequestKind, SubjectEmail, SubjectName, TaskAction, TaskStatus,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use config::BuildError;
pub use registry::{Registry, build};

/// The subject's identifiers, loaded from the request for the duration of one call.
#[derive(Debug, Clone)]
pub struct Subject {
    /// Email address.
    pub email: SubjectEmail,
    /// Name.
    pub name: Option<SubjectName>,
    /// Customer/account id.
    pub account_id: Option<AccountId>,
    /// Phone number.
    pub phone: Option<PhoneNumber>,
    /// The subject's pseudonym (a keyed hash of the address): written where an erasure
    /// anonymises rows that a retention rule keeps linked, and matched by later requests, so
    /// that what was kept can still be found (Art. 15).
    pub pseudonym: String,
}

impl Subject {
    /// The value of a subject field by its configuration name (`email`, `name`, `account_id`,
    /// `phone`).
    pub fn field(&self, name: SubjectField) -> Option<&str> {
        match name {
            SubjectField::Email => Some(self.email.as_str()),
            SubjectField::Name => self.name.as_ref().map(|n| n.as_str()),
            SubjectField::AccountId => self.account_id.as_ref().map(|a| a.as_str()),
            SubjectField::Phone => self.phone.as_ref().map(|p| p.as_str()),
        }
    }
}

/// A subject identifier a system can be searched by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectField {
    /// The email address (matched case-insensitively).
    Email,
    /// The full name (matched case-insensitively).
    Name,
    /// The account id (exact).
    AccountId,
    /// The phone number in E.164 (exact).
    Phone,
}

/// One call to a connector.
#[derive(Debug, Clone)]
pub struct TaskRequest<'a> {
    /// What to do.
    pub action: TaskAction,
    /// Who it is about.
    pub subject: &'a Subject,
    /// The task id: stable across retries, so processors can deduplicate.
    pub task_id: Uuid,
    /// The request's human reference (quoted to processors and people).
    pub reference: &'a str,
    /// The request kind.
    pub kind: RequestKind,
    /// The regime (OpenDSR asks for it).
    pub regime: Regime,
    /// When the subject's request was received.
    pub received_at: DateTime<Utc>,
    /// Which attempt this is (1 for the first).
    pub attempt: u32,
    /// What a previous attempt left at the processor (an async job id), if anything.
    pub external_ref: Option<&'a str>,
    /// A rectification's corrections (empty for other kinds). Personal data: never logged.
    pub corrections: &'a [dsrflow_domain::Correction],
}

/// What a connector did to one target (a table, an API resource).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Data found and collected (access).
    Found,
    /// Nothing about the subject.
    NotFound,
    /// Deleted.
    Deleted,
    /// Anonymised in place.
    Anonymised,
    /// Kept under a retention rule.
    Retained,
    /// Marketing or consent-based processing stopped.
    OptedOut,
    /// Processing restricted.
    Restricted,
    /// Corrected as the subject asked (Art. 16).
    Corrected,
    /// A restriction lifted (Art. 18(3)).
    Lifted,
    /// The processor accepted the request and works on it.
    Requested,
    /// A recipient was told (Art. 19).
    Notified,
    /// Completed by a person.
    Done,
}

/// One line of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Where: a table, an API resource, a mailbox.
    pub target: String,
    /// What happened.
    pub effect: Effect,
    /// How many records.
    pub count: u64,
    /// For `retained`: the rule, e.g. `invoice: kept 10 years (legal_obligation, …)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// For `retained`: the day the last of the kept records may be deleted (the newest
    /// record's date plus the rule's period), when the system says how old they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<chrono::NaiveDate>,
}

/// Data collected for an access request: one named set of records (JSON objects).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// The table or resource.
    pub name: String,
    /// The records.
    pub records: Vec<serde_json::Value>,
    /// Whether the set was cut at the configured row limit.
    #[serde(default)]
    pub truncated: bool,
}

/// What a finished call achieved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Per-target effects.
    pub items: Vec<Item>,
    /// Collected data (access only; never stored in the task row).
    #[serde(skip)]
    pub data: Vec<Dataset>,
    /// A note for the officer (e.g. a processor's log id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Report {
    /// The task status this report means: `not_found` when nothing was touched, `retained`
    /// when everything found is kept under a rule, `succeeded` otherwise.
    pub fn status(&self) -> TaskStatus {
        let touched: Vec<&Item> = self
            .items
            .iter()
            .filter(|i| i.count > 0 && i.effect != Effect::NotFound)
            .collect();
        if touched.is_empty()
            && !self.items.iter().any(|i| {
                matches!(
                    i.effect,
                    Effect::Requested | Effect::Notified | Effect::Done | Effect::OptedOut
                )
            })
        {
            TaskStatus::NotFound
        } else if !touched.is_empty() && touched.iter().all(|i| i.effect == Effect::Retained) {
            TaskStatus::Retained
        } else {
            TaskStatus::Succeeded
        }
    }
}

/// The result of one call.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Finished.
    Done(Report),
    /// The processor accepted the work and finishes it later; ask again after the delay with
    /// `external_ref`.
    Pending {
        /// The processor's reference (job id, subject request id).
        external_ref: String,
        /// When to look again.
        check_after: Duration,
    },
    /// A person must act (manual connector, or an action the system cannot do by API).
    Manual {
        /// What to do.
        instructions: String,
    },
    /// A processor without an API is asked (or reminded, or told) by mail; dsrflow sends it
    /// through its outbox and waits for the confirmation link to be followed.
    Mail(MailOut),
}

/// A mail the `email` connector wants sent to a processor or recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailOut {
    /// The address.
    pub to: String,
    /// The processor's or recipient's name, for the greeting.
    pub name: String,
    /// The language to write in.
    pub language: dsrflow_domain::channel::Language,
    /// Which message.
    pub kind: MailKind,
    /// Days the processor has to answer (from the first request).
    pub respond_within_days: u32,
    /// When to look again (remind or escalate) if no confirmation arrived.
    pub check_after: Duration,
}

/// Which mail the `email` connector asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// The first request, with a one-time confirmation link.
    Request,
    /// A reminder (1 for the first).
    Reminder(u32),
    /// No confirmation after every reminder: hand the task to the officer.
    Escalate,
    /// An Art. 19 notice to a recipient (no confirmation needed).
    Notice,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// Worth retrying (timeout, 5xx, 429, connection refused).
    #[error("{message}")]
    Transient {
        /// What happened (no personal data).
        message: String,
        /// How long the processor asked us to wait.
        retry_after: Option<Duration>,
    },
    /// Retrying will not help (4xx, bad configuration, missing secret).
    #[error("{message}")]
    Permanent {
        /// What happened (no personal data).
        message: String,
    },
}

impl ConnectorError {
    /// A transient error.
    pub fn transient(message: impl Into<String>) -> Self {
        ConnectorError::Transient {
            message: message.into(),
            retry_after: None,
        }
    }

    /// A permanent error.
    pub fn permanent(message: impl Into<String>) -> Self {
        ConnectorError::Permanent {
            message: message.into(),
        }
    }
}

/// A system's connector.
#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    /// Tests the connection and configuration without touching data; returns a summary.
    async fn check(&self) -> Result<String, ConnectorError>;

    /// Performs one action for one subject.
    async fn run(&self, req: &TaskRequest<'_>) -> Result<Outcome, ConnectorError>;

    /// Asks the processor to drop the work it still has under `external_ref` (the request was
    /// closed, e.g. withdrawn, before it answered). `Ok(true)`: the processor accepted; `Ok(false)`:
    /// this kind of system has nothing to cancel. A permanent error is a refusal (e.g. the work
    /// has started).
    async fn cancel(&self, external_ref: &str) -> Result<bool, ConnectorError> {
        let _ = external_ref;
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(effect: Effect, count: u64) -> Item {
        Item {
            target: "t".to_owned(),
            effect,
            count,
            rule: None,
            until: None,
        }
    }

    #[test]
    fn a_report_touching_nothing_is_not_found() {
        let r = Report {
            items: vec![item(Effect::Deleted, 0), item(Effect::NotFound, 0)],
            ..Default::default()
        };
        assert_eq!(r.status(), TaskStatus::NotFound);
    }

    #[test]
    fn a_report_keeping_everything_is_retained() {
        let r = Report {
            items: vec![item(Effect::Retained, 2), item(Effect::Deleted, 0)],
            ..Default::default()
        };
        assert_eq!(r.status(), TaskStatus::Retained);
    }

    #[test]
    fn a_report_erasing_something_succeeds_even_with_retention() {
        let r = Report {
            items: vec![item(Effect::Retained, 2), item(Effect::Anonymised, 1)],
            ..Default::default()
        };
        assert_eq!(r.status(), TaskStatus::Succeeded);
    }
}
