//! Messages to processors without an API (the `email` connector) and to recipients (Art. 19).
//! Their subjects start with `[DSR-XXXXXXXX]` too: the answer is matched by it.

use chrono::NaiveDate;
use dsrflow_domain::RequestKind;
use serde::{Deserialize, Serialize};

use super::{Controller, Email, Identifier};

/// Asks a processor to act on a request (GDPR Art. 28(3)(e): the processor assists the
/// controller in answering data subjects) and to confirm through a one-time link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessorRequest {
    /// The request's reference.
    pub reference: String,
    /// What is asked (erase, send a copy, stop marketing, …).
    pub kind: RequestKind,
    /// The processor's name.
    pub processor_name: String,
    /// How to find the person in the processor's systems.
    pub identifiers: Vec<Identifier>,
    /// More about what to do (e.g. what to rectify), when needed.
    pub details: Option<String>,
    /// The one-time link to open once done.
    pub confirm_url: String,
    /// The day we need the answer by.
    pub respond_by: NaiveDate,
    /// Who asks.
    pub controller: Controller,
}

impl Email for ProcessorRequest {
    const NAME: &'static str = "processor_request";
}

/// A request about data we only process for a customer, forwarded to that customer (the
/// controller), who answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardRequest {
    /// The request's reference.
    pub reference: String,
    /// What was asked.
    pub kind: RequestKind,
    /// The controller's name (the customer we process the data for).
    pub controller_name: String,
    /// The day we received the request.
    pub received_on: NaiveDate,
    /// How the person identified themselves (no more than they gave).
    pub identifiers: Vec<Identifier>,
    /// Who forwards it (us, the processor).
    pub controller: Controller,
}

impl Email for ForwardRequest {
    const NAME: &'static str = "forward_request";
}

/// Reminds a processor that has not confirmed yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessorReminder {
    /// The request's reference.
    pub reference: String,
    /// What was asked.
    pub kind: RequestKind,
    /// The processor's name.
    pub processor_name: String,
    /// The day the first request was sent.
    pub first_sent_on: NaiveDate,
    /// The day we need the answer by.
    pub respond_by: NaiveDate,
    /// The same one-time confirmation link.
    pub confirm_url: String,
    /// 1 for the first reminder, 2 for the second, …
    pub reminder_number: u32,
    /// Who asks.
    pub controller: Controller,
}

impl Email for ProcessorReminder {
    const NAME: &'static str = "processor_reminder";
}

/// What a recipient is told about (GDPR Art. 19 covers these three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeAction {
    /// Art. 17 erasure.
    Erasure,
    /// Art. 16 rectification.
    Rectification,
    /// Art. 18 restriction.
    Restriction,
}

/// Tells a recipient of the data that it was erased, rectified or restricted (GDPR Art. 19).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientNotice {
    /// The request's reference.
    pub reference: String,
    /// What was done.
    pub action: NoticeAction,
    /// The recipient's name.
    pub recipient_name: String,
    /// How to find the person in the recipient's systems.
    pub identifiers: Vec<Identifier>,
    /// What changed (for a rectification: the corrected data), when needed.
    pub details: Option<String>,
    /// The day it was carried out on our side.
    pub carried_out_on: NaiveDate,
    /// A one-time link to confirm receipt, when we track it.
    pub confirm_url: Option<String>,
    /// Who notifies.
    pub controller: Controller,
}

impl Email for RecipientNotice {
    const NAME: &'static str = "recipient_notice";
}
