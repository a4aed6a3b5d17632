//! Messages to the data subject. Their subjects start with `[DSR-XXXXXXXX]` so that replies can
//! be matched to the request.

use chrono::{DateTime, NaiveDate, Utc};
use dsrflow_domain::regime::Regime;
use dsrflow_domain::{RequestKind, SubjectName};
use serde::{Deserialize, Serialize};

use super::{Controller, Email, SupervisoryAuthority};

/// The request was received: its reference, what was asked in plain words, the deadline and a
/// link to follow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// The request's reference, e.g. `DSR-7K3QXPMA`.
    pub reference: String,
    /// What was asked.
    pub kind: RequestKind,
    /// The subject's name, when known (used in the greeting).
    pub subject_name: Option<SubjectName>,
    /// The day the request was received.
    pub received_on: NaiveDate,
    /// The last day to answer, under the request's regime.
    pub deadline: NaiveDate,
    /// The regime whose period the message states (GDPR one month, CCPA 45 days …).
    pub regime: Regime,
    /// The public status page for this request.
    pub status_url: String,
    /// True when a separate identity check message follows.
    pub verification_needed: bool,
    /// Who answers.
    pub controller: Controller,
}

impl Email for Acknowledgement {
    const NAME: &'static str = "acknowledgement";
}

/// Please confirm the request by opening a single-use link before it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyIdentity {
    /// The request's reference.
    pub reference: String,
    /// What was asked.
    pub kind: RequestKind,
    /// The subject's name, when known.
    pub subject_name: Option<SubjectName>,
    /// The single-use confirmation link.
    pub verify_url: String,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
    /// Other requests made together (one form, one mail) that the same link confirms.
    #[serde(default)]
    pub also: Vec<RequestLine>,
    /// Who answers.
    pub controller: Controller,
}

impl Email for VerifyIdentity {
    const NAME: &'static str = "verify_identity";
}

/// One request, by reference and kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestLine {
    /// The request's reference.
    pub reference: String,
    /// What was asked.
    pub kind: RequestKind,
}

/// A one-time code guarding the download of an access package: asked for on the download
/// page, sent to the subject's address, valid for a few minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadCode {
    /// The request's reference.
    pub reference: String,
    /// The subject's name, when known.
    pub subject_name: Option<SubjectName>,
    /// The code (digits).
    pub code: String,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
    /// Who answers.
    pub controller: Controller,
}

impl Email for DownloadCode {
    const NAME: &'static str = "download_code";
}

/// The deadline is extended by up to two months, with the reasons (GDPR Art. 12(3); the notice
/// must reach the subject within the first month).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionNotice {
    /// The request's reference.
    pub reference: String,
    /// What was asked.
    pub kind: RequestKind,
    /// The subject's name, when known.
    pub subject_name: Option<SubjectName>,
    /// The day the request was received.
    pub received_on: NaiveDate,
    /// The deadline before the extension.
    pub original_deadline: NaiveDate,
    /// The new deadline.
    pub new_deadline: NaiveDate,
    /// The regime whose extension rule the message states.
    pub regime: Regime,
    /// Why more time is needed, as the officer wrote it.
    pub reasons: String,
    /// The public status page for this request.
    pub status_url: String,
    /// Who answers.
    pub controller: Controller,
}

impl Email for ExtensionNotice {
    const NAME: &'static str = "extension_notice";
}

/// The request is refused, with the reasons, the right to complain to the supervisory authority
/// and the right to a judicial remedy (GDPR Art. 12(4)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The regime the request is under: which law the message cites.
    pub regime: Regime,
    /// The request's reference.
    pub reference: String,
    /// What was asked.
    pub kind: RequestKind,
    /// The subject's name, when known.
    pub subject_name: Option<SubjectName>,
    /// The day the request was received.
    pub received_on: NaiveDate,
    /// Why the request is refused, as the officer wrote it.
    pub reasons: String,
    /// Where the subject can complain.
    pub authority: SupervisoryAuthority,
    /// Who answers.
    pub controller: Controller,
}

impl Email for Refusal {
    const NAME: &'static str = "refusal";
}

/// The access (or portability) package is ready: a download link, its expiry and the package's
/// SHA-256 so the subject can check the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedAccess {
    /// The regime the request is under: which law the message cites.
    pub regime: Regime,
    /// The request's reference.
    pub reference: String,
    /// `Access` or `Portability`.
    pub kind: RequestKind,
    /// The subject's name, when known.
    pub subject_name: Option<SubjectName>,
    /// The day the request was received.
    pub received_on: NaiveDate,
    /// The download link.
    pub download_url: String,
    /// When the link (and the package) expire.
    pub expires_at: DateTime<Utc>,
    /// The file name the download will have, e.g. `DSR-7K3QXPMA.zip`.
    pub package_file_name: String,
    /// The package's SHA-256, lower-case hex.
    pub package_sha256: String,
    /// Who answers.
    pub controller: Controller,
}

impl Email for CompletedAccess {
    const NAME: &'static str = "completed_access";
}

/// What happened to the data in one system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErasureOutcome {
    /// Deleted.
    Erased,
    /// Kept in a form that no longer identifies the subject.
    Anonymised,
    /// The system held nothing about the subject.
    NothingHeld,
    /// Kept under a legal rule (GDPR Art. 17(3)); the rule says why.
    Retained,
    /// Asked of a processor, which erases the data on our behalf (it confirms later).
    Requested,
}

/// A unit of a retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodUnit {
    /// Days.
    Days,
    /// Months.
    Months,
    /// Years.
    Years,
}

/// How long data is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptFor {
    /// How many units.
    pub count: u32,
    /// Which unit.
    pub unit: PeriodUnit,
}

/// Data kept despite the erasure, and why (GDPR Art. 17(3)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    /// What is kept, as the data map names it (e.g. `invoice`); none when a person gave only
    /// the rule.
    pub what: Option<String>,
    /// For how long, when the data map says.
    pub period: Option<KeptFor>,
    /// The legal basis, as the data map names it (`legal_obligation` …), when known.
    pub basis: Option<String>,
    /// The legal text or the reason, e.g. `Belgian VAT Code art. 60`.
    pub rule: String,
    /// The day the last of it may be deleted, when the system knows how old it is.
    #[serde(default)]
    pub until: Option<NaiveDate>,
}

/// One system in an erasure report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureLine {
    /// The system, in words the subject understands (e.g. `Invoicing (Odoo)`).
    pub system: String,
    /// What happened.
    pub outcome: ErasureOutcome,
    /// What is kept there and why, whatever else was erased (an invoice kept under tax law
    /// while the customer record was anonymised).
    pub kept: Vec<Kept>,
    /// The day by which the system's backups no longer hold what was erased, when it has
    /// backups.
    pub backups_until: Option<NaiveDate>,
}

/// The erasure was carried out: per system what was erased and what was kept and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedErasure {
    /// The regime the request is under: which law the message cites.
    pub regime: Regime,
    /// The request's reference.
    pub reference: String,
    /// The subject's name, when known.
    pub subject_name: Option<SubjectName>,
    /// The day the request was received.
    pub received_on: NaiveDate,
    /// One line per system.
    pub systems: Vec<ErasureLine>,
    /// The recipients told of the erasure (GDPR Art. 19).
    pub recipients_notified: Vec<String>,
    /// True when a keyed hash is kept on the suppression list, so the subject is not imported
    /// into marketing again.
    pub suppression_kept: bool,
    /// Where the subject can complain (mentioned when something was kept).
    pub authority: SupervisoryAuthority,
    /// Who answers.
    pub controller: Controller,
}

impl Email for CompletedErasure {
    const NAME: &'static str = "completed_erasure";
}

/// An objection, restriction, rectification or consent withdrawal was handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedOther {
    /// The regime the request is under: which law the message cites.
    pub regime: Regime,
    /// The request's reference.
    pub reference: String,
    /// What was asked.
    pub kind: RequestKind,
    /// The subject's name, when known.
    pub subject_name: Option<SubjectName>,
    /// The day the request was received.
    pub received_on: NaiveDate,
    /// The systems where it took effect (by their display names, once each); for an
    /// objection, those where direct marketing stopped.
    pub systems: Vec<String>,
    /// For an objection: the officer's decision on each use that rests on legitimate
    /// interest (Art. 21(1)).
    pub decisions: Vec<ObjectionDecision>,
    /// For a rectification: the corrections made (Art. 16), each detail with its new value.
    #[serde(default)]
    pub corrections: Vec<dsrflow_domain::Correction>,
    /// The recipients told of it (GDPR Art. 19; rectification and restriction).
    pub recipients_notified: Vec<String>,
    /// Where the subject can complain.
    pub authority: SupervisoryAuthority,
    /// Who answers.
    pub controller: Controller,
}

/// The officer's decision on an objection to one use of the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectionDecision {
    /// The system, by its display name.
    pub system: String,
    /// Upheld: the use stopped. Not upheld: compelling legitimate grounds override (the
    /// grounds say which; Art. 21(1), and Art. 12(4) for the reasons).
    pub upheld: bool,
    /// The officer's reasons.
    pub grounds: Option<String>,
    /// Not upheld: the restriction applied while the objection was weighed is lifted now that
    /// the subject is told (Art. 18(3)).
    #[serde(default)]
    pub restriction_lifted: bool,
}

impl Email for CompletedOther {
    const NAME: &'static str = "completed_other";
}

/// The data belongs to another controller (we only process it for them): the request went to
/// them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forwarded {
    /// The request's reference.
    pub reference: String,
    /// What was asked.
    pub kind: RequestKind,
    /// The subject's name, when known.
    pub subject_name: Option<SubjectName>,
    /// The day the request was received.
    pub received_on: NaiveDate,
    /// The day it was forwarded.
    pub forwarded_on: NaiveDate,
    /// The controller it was forwarded to.
    pub forwarded_to: String,
    /// How to reach that controller, when known (an address or a web page).
    pub forwarded_to_contact: Option<String>,
    /// Why it is theirs to answer, as the officer wrote it (in the request's language), when
    /// the officer gave a reason.
    pub reason: Option<String>,
    /// Who forwarded it.
    pub controller: Controller,
}

impl Email for Forwarded {
    const NAME: &'static str = "forwarded";
}

/// The request was closed because the requester's identity could not be confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedUnidentified {
    /// The regime the request is under: which law the message cites.
    pub regime: Regime,
    /// The request's reference.
    pub reference: String,
    /// What was asked.
    pub kind: RequestKind,
    /// The subject's name, when known.
    pub subject_name: Option<SubjectName>,
    /// The day the request was received.
    pub received_on: NaiveDate,
    /// Why, when there is more to say (e.g. the link was never opened).
    pub reason: Option<String>,
    /// Where to make a new request.
    pub new_request_url: Option<String>,
    /// Where the subject can complain.
    pub authority: SupervisoryAuthority,
    /// Who answers.
    pub controller: Controller,
}

impl Email for ClosedUnidentified {
    const NAME: &'static str = "closed_unidentified";
}

/// The requester withdrew the request: it is closed and nothing more is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawn {
    /// The request's reference.
    pub reference: String,
    /// What was asked.
    pub kind: RequestKind,
    /// The subject's name, when known.
    pub subject_name: Option<SubjectName>,
    /// The day the request was received.
    pub received_on: NaiveDate,
    /// The day it was withdrawn.
    pub withdrawn_on: NaiveDate,
    /// Whether work had started (what was done stays done).
    pub work_started: bool,
    /// Where to make a new request.
    pub new_request_url: Option<String>,
    /// Who answers.
    pub controller: Controller,
}

impl Email for Withdrawn {
    const NAME: &'static str = "withdrawn";
}
