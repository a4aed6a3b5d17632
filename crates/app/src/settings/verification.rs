//! `[verification]`: how requesters confirm who they are (the mailed link, its lifetime,
//! whether waiting pauses the clock, the stronger check for access requests).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::systems::SystemConfig;

/// `[verification]`: how requesters confirm who they are.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VerificationSection {
    /// Mail a single-use confirmation link for requests nobody vouched for.
    pub email_link: bool,
    /// Hours a link works.
    pub link_ttl_hours: u64,
    /// Whether waiting for the link pauses the legal clock.
    pub link_pauses_clock: bool,
    /// Days after which unconfirmed requests are closed as `closed_unidentified`.
    pub close_after_days: u64,
    /// Minutes a download code works.
    pub code_ttl_minutes: u64,
    /// Stronger verification for access requests.
    pub access_check: Option<AccessCheckSection>,
}

/// `[verification.access_check]`: a detail the requester of an access request must confirm.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessCheckSection {
    /// The `[[system]]` whose connector finds the subject's records.
    pub system: String,
    /// The record field to compare with the answer.
    pub field: String,
    /// What the page asks for, in plain words.
    pub label: String,
    /// Ask it for portability requests too.
    #[serde(default)]
    pub portability_too: bool,
}

impl Default for VerificationSection {
    fn default() -> Self {
        let d = VerificationSettings::default();
        Self {
            email_link: d.email_link,
            link_ttl_hours: d.link_ttl.as_secs() / 3600,
            link_pauses_clock: d.link_pauses_clock,
            close_after_days: d.close_after.as_secs() / 86_400,
            code_ttl_minutes: d.code_ttl.as_secs() / 60,
            access_check: None,
        }
    }
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

/// Checks `[verification]` (an access check must name a configured system).
pub fn validate(
    raw: &VerificationSection,
    systems: &[SystemConfig],
) -> Result<VerificationSettings, ConfigError> {
    let fail = |key: &str, m: &str| ConfigError::new(format!("verification.{key}"), m);
    if !(1..=720).contains(&raw.link_ttl_hours) {
        return Err(fail("link_ttl_hours", "must be between 1 and 720"));
    }
    if !(1..=90).contains(&raw.close_after_days) {
        return Err(fail("close_after_days", "must be between 1 and 90"));
    }
    if raw.close_after_days * 24 < raw.link_ttl_hours {
        return Err(fail(
            "close_after_days",
            "must not end before the first link expires (link_ttl_hours)",
        ));
    }
    if !(5..=60).contains(&raw.code_ttl_minutes) {
        return Err(fail("code_ttl_minutes", "must be between 5 and 60"));
    }
    let access_check = match &raw.access_check {
        None => None,
        Some(c) => {
            if !systems.iter().any(|s| s.name == c.system) {
                return Err(fail(
                    "access_check.system",
                    &format!("no [[system]] is named {:?}", c.system),
                ));
            }
            if c.field.trim().is_empty() {
                return Err(fail("access_check.field", "must name a field"));
            }
            if c.label.trim().is_empty() || c.label.chars().count() > 200 {
                return Err(fail("access_check.label", "must be 1 to 200 characters"));
            }
            Some(AccessCheck {
                system: c.system.clone(),
                field: c.field.trim().to_owned(),
                label: c.label.trim().to_owned(),
                portability_too: c.portability_too,
            })
        }
    };
    Ok(VerificationSettings {
        email_link: raw.email_link,
        link_ttl: Duration::from_secs(raw.link_ttl_hours * 3600),
        link_pauses_clock: raw.link_pauses_clock,
        close_after: Duration::from_secs(raw.close_after_days * 86_400),
        access_check,
        code_ttl: Duration::from_secs(raw.code_ttl_minutes * 60),
    })
}
