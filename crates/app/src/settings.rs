//! Validated configuration the use cases depend on (the CLI loads and validates the file).

use chrono::NaiveDate;
use chrono_tz::Tz;
use std::collections::BTreeSet;

use dsrflow_domain::{Calendar, CalendarCode, Regime, RequestKind};

use crate::crypto::DataKey;

/// The controller's legal defaults.
#[derive(Debug, Clone)]
pub struct ControllerSettings {
    /// The regime used when a request does not name one.
    pub regime: Regime,
    /// The controller's time zone; None means each regime's default.
    pub time_zone: Option<Tz>,
    /// The holiday calendar; None means each regime's default.
    pub calendar: Option<CalendarCode>,
    /// One-off public holidays added to the calendar.
    pub extra_holidays: Vec<NaiveDate>,
    /// The controller's name, as shown to data subjects.
    pub name: String,
    /// Where subjects write about their data (an address or URL).
    pub contact: String,
    /// The supervisory authority a subject may complain to (Art. 77).
    pub authority: String,
}

impl Default for ControllerSettings {
    fn default() -> Self {
        Self {
            regime: Regime::Gdpr,
            time_zone: None,
            calendar: None,
            extra_holidays: Vec::new(),
            name: "the controller".to_owned(),
            contact: "the privacy contact given in our privacy notice".to_owned(),
            authority: "the Belgian Data Protection Authority (Autorité de protection des données / Gegevensbeschermingsautoriteit, www.dataprotectionauthority.be)".to_owned(),
        }
    }
}

impl ControllerSettings {
    /// The time zone to count a regime's days in.
    pub fn time_zone_for(&self, regime: Regime) -> Tz {
        if regime == self.regime {
            self.time_zone.unwrap_or_else(|| regime.default_time_zone())
        } else {
            regime.default_time_zone()
        }
    }

    /// The calendar to roll a regime's deadlines with (None for calendar-day regimes).
    pub fn calendar_for(&self, regime: Regime) -> Option<Calendar> {
        if !regime.counts_calendar_months() {
            return None;
        }
        let code = match self.calendar {
            Some(c) if regime == self.regime => c,
            _ => regime.default_calendar()?,
        };
        Some(self.calendar_with_extras(code))
    }

    /// A calendar with the configured one-off holidays added.
    pub fn calendar_with_extras(&self, code: CalendarCode) -> Calendar {
        Calendar::new(code).with_extra_holidays(self.extra_holidays.iter().copied())
    }
}

/// How background work behaves.
#[derive(Debug, Clone)]
pub struct WorkSettings {
    /// Attempts of a task before it fails for good.
    pub max_attempts: u32,
    /// How long a worker holds a task before another may take it over.
    pub lease: std::time::Duration,
    /// Longest a single connector call may take.
    pub call_timeout: std::time::Duration,
    /// Request kinds whose answer needs no officer review when every task ended well.
    pub auto_approve: BTreeSet<RequestKind>,
    /// How long a delivered access package stays downloadable before it is deleted.
    pub package_ttl: std::time::Duration,
}

impl Default for WorkSettings {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            lease: std::time::Duration::from_secs(15 * 60),
            call_timeout: std::time::Duration::from_secs(5 * 60),
            auto_approve: BTreeSet::new(),
            package_ttl: std::time::Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// Everything the use cases read from configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Legal defaults.
    pub controller: ControllerSettings,
    /// Base URL for links sent to people (no trailing slash).
    pub public_url: String,
    /// Background work.
    pub work: WorkSettings,
    /// The secret protecting dsrflow's own copy of personal data.
    pub data_key: DataKey,
    /// Where officer reminders and escalations go (none: they are not sent).
    pub officer_address: Option<String>,
    /// When to remind the officer.
    pub reminders: dsrflow_domain::reminder::ReminderPolicy,
    /// The privacy@ mailbox to poll (none: no polling; `dsrflow ingest-mail` still works).
    pub inbox: Option<InboxSettings>,
    /// How requesters confirm who they are.
    pub verification: VerificationSettings,
}

/// `[verification]`: confirming the requester's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationSettings {
    /// Send a single-use confirmation link to the subject's address for every request not
    /// vouched for (form, mail, API without the vouch right). Off: such requests wait in
    /// `received` for the officer.
    pub email_link: bool,
    /// How long a link works.
    pub link_ttl: std::time::Duration,
    /// Whether waiting for the link pauses the legal clock. Off by default: a routine
    /// confirmation is a formality, not a doubt about identity (DEADLINES.md rule 6).
    pub link_pauses_clock: bool,
    /// Requests still unconfirmed after this long are closed as `closed_unidentified`.
    pub close_after: std::time::Duration,
    /// Stronger verification for access and portability requests: the requester must also
    /// give a detail that a chosen system holds about them.
    pub access_check: Option<AccessCheck>,
    /// How long a download code works.
    pub code_ttl: std::time::Duration,
}

impl Default for VerificationSettings {
    fn default() -> Self {
        Self {
            email_link: true,
            link_ttl: std::time::Duration::from_secs(72 * 3600),
            link_pauses_clock: false,
            close_after: std::time::Duration::from_secs(14 * 24 * 3600),
            access_check: None,
            code_ttl: std::time::Duration::from_secs(15 * 60),
        }
    }
}

/// A detail the requester must confirm, looked up in one system through its connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessCheck {
    /// The system (its connector collects the subject's records).
    pub system: String,
    /// The field of those records to compare with the answer (e.g. `zip`, `ref`).
    pub field: String,
    /// What the page asks for, in plain words (e.g. "the postcode of your billing address").
    pub label: String,
    /// Whether the page asks the same thing for a portability request.
    pub portability_too: bool,
}

/// `[inbox]`: the privacy@ mailbox read over IMAP.
#[derive(Debug, Clone)]
pub struct InboxSettings {
    /// Server, credentials and folder.
    pub imap: dsrflow_mail::imap::ImapSettings,
    /// How often to look for new mail.
    pub poll_interval: std::time::Duration,
    /// Most messages taken per poll (the rest wait for the next one).
    pub batch: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            controller: ControllerSettings::default(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            work: WorkSettings::default(),
            data_key: DataKey::generate(),
            officer_address: None,
            reminders: dsrflow_domain::reminder::ReminderPolicy::default(),
            inbox: None,
            verification: VerificationSettings::default(),
        }
    }
}
