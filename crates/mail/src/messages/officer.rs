//! Messages to the privacy officer. They name requests by reference and link to the dashboard;
//! they never carry a subject's name or address.

use chrono::NaiveDate;
use dsrflow_domain::RequestKind;
use serde::{Deserialize, Serialize};

use super::Email;

/// A request's deadline is approaching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// The request's reference.
    pub reference: String,
    /// What was asked.
    pub kind: RequestKind,
    /// The day the request was received.
    pub received_on: NaiveDate,
    /// The last day to answer.
    pub deadline: NaiveDate,
    /// Days from today to the deadline.
    pub days_left: i64,
    /// True when the deadline was already extended.
    pub extended: bool,
    /// The request's dashboard page.
    pub request_url: String,
}

impl Email for Reminder {
    const NAME: &'static str = "reminder";
}

/// Why a request is escalated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EscalationReason {
    /// The deadline has passed.
    Overdue {
        /// Days since the deadline.
        days_overdue: i64,
    },
    /// The request is not done and the window to announce an extension (the first month,
    /// GDPR Art. 12(3)) is about to close.
    ExtensionWindowClosing {
        /// The last day an extension can be announced.
        notice_by: NaiveDate,
        /// Days from today to that day.
        days_left: i64,
    },
    /// A processor has not confirmed despite reminders.
    ProcessorSilent {
        /// The processor's name.
        processor: String,
        /// The day the request went to it.
        sent_on: NaiveDate,
        /// How many reminders it received.
        reminders_sent: u32,
    },
}

/// Something needs the officer now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// The request's reference.
    pub reference: String,
    /// What was asked.
    pub kind: RequestKind,
    /// The last day to answer.
    pub deadline: NaiveDate,
    /// Why.
    pub reason: EscalationReason,
    /// The request's dashboard page.
    pub request_url: String,
}

impl Email for Escalation {
    const NAME: &'static str = "escalation";
}

/// One request in the daily digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestItem {
    /// The request's reference.
    pub reference: String,
    /// What was asked.
    pub kind: RequestKind,
    /// The last day to answer.
    pub deadline: NaiveDate,
    /// Days from the digest's day to the deadline (negative when overdue).
    pub days_left: i64,
    /// Why it is blocked, or another short note.
    pub note: Option<String>,
    /// The request's dashboard page.
    pub url: String,
}

/// The morning summary: what is overdue, due soon and blocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyDigest {
    /// The day the digest is for.
    pub day: NaiveDate,
    /// Requests past their deadline.
    pub overdue: Vec<DigestItem>,
    /// Requests due within the reminder window.
    pub due_soon: Vec<DigestItem>,
    /// Requests waiting on something (a processor, a manual task, a decision).
    pub blocked: Vec<DigestItem>,
    /// Messages from the privacy@ mailbox waiting in the review queue.
    pub review_waiting: u64,
    /// The review queue.
    pub review_url: String,
    /// The dashboard.
    pub dashboard_url: String,
}

impl Email for DailyDigest {
    const NAME: &'static str = "daily_digest";
}
