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
    /// The public site: the request form, its theme and its abuse limits.
    pub form: FormSettings,
    /// How requesters confirm who they are.
    pub verification: VerificationSettings,
    /// Whether outgoing mail can reach addresses with non-ASCII characters before the `@`
    /// (the SMTP relay announces SMTPUTF8, or mail goes to files). When false, intake refuses
    /// such addresses, since no answer could reach them. (Non-ASCII domains are always
    /// reachable: they are sent in their ASCII form.)
    pub mail_utf8_local_parts: bool,
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

/// `[form]`: the public pages (request form, status page) and their theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormSettings {
    /// Whether `GET|POST /request` is served (the status page is always served).
    pub enabled: bool,
    /// A folder whose page templates and message catalogues replace or add to the built-in
    /// ones, file by file (catalogues key by key).
    pub templates_dir: Option<std::path::PathBuf>,
    /// The name in the page header; None: the controller's name.
    pub organisation: Option<String>,
    /// A logo shown in the header (`https://…`, `/…` or a `data:image/…` URL).
    pub logo_url: Option<String>,
    /// The accent colour (`#rgb` or `#rrggbb`); it carries white text, so it must reach the
    /// WCAG AA contrast of 4.5:1 against white (see [`check_primary_color`]).
    pub primary_color: String,
    /// Form submissions accepted from one client address per hour.
    pub rate_limit_per_ip_per_hour: u32,
    /// Requests accepted for one subject address per day.
    pub rate_limit_per_address_per_day: u32,
    /// Take the client address from the first `X-Forwarded-For` hop (only behind a proxy
    /// that sets it); otherwise the socket peer address is used.
    pub trust_forwarded_for: bool,
}

/// The default accent colour: a dark blue with a contrast of about 8.6:1 against white.
pub const DEFAULT_PRIMARY_COLOR: &str = "#1a4a8a";

impl Default for FormSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            templates_dir: None,
            organisation: None,
            logo_url: None,
            primary_color: DEFAULT_PRIMARY_COLOR.to_owned(),
            rate_limit_per_ip_per_hour: 10,
            rate_limit_per_address_per_day: 3,
            trust_forwarded_for: false,
        }
    }
}

/// Parses a CSS hex colour (`#rgb` or `#rrggbb`) into its red, green and blue bytes.
pub fn parse_hex_color(raw: &str) -> Option<[u8; 3]> {
    let hex = raw.strip_prefix('#')?;
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |s: &str| u8::from_str_radix(s, 16).ok();
    match hex.len() {
        3 => {
            let mut out = [0u8; 3];
            for (i, c) in hex.chars().enumerate() {
                let v = channel(&c.to_string())?;
                *out.get_mut(i)? = v * 17;
            }
            Some(out)
        }
        6 => Some([
            channel(hex.get(0..2)?)?,
            channel(hex.get(2..4)?)?,
            channel(hex.get(4..6)?)?,
        ]),
        _ => None,
    }
}

/// The WCAG 2 contrast ratio between a colour and white (1.0 to 21.0).
pub fn contrast_with_white(rgb: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2]);
    1.05 / (l + 0.05)
}

/// Checks an accent colour: a CSS hex colour that white text on it (buttons) and it on white
/// (links, focus rings) can be read against, i.e. WCAG 2.1 AA's 4.5:1 for normal text.
pub fn check_primary_color(raw: &str) -> Result<(), String> {
    let rgb = parse_hex_color(raw)
        .ok_or_else(|| format!("{raw:?} is not a CSS hex colour such as #1a4a8a"))?;
    let ratio = contrast_with_white(rgb);
    if ratio < 4.5 {
        return Err(format!(
            "{raw} has a contrast of {ratio:.1}:1 with white; WCAG AA needs at least 4.5:1 (choose a darker colour)"
        ));
    }
    Ok(())
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
            form: FormSettings::default(),
            verification: VerificationSettings::default(),
            mail_utf8_local_parts: true,
        }
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn the_default_accent_colour_passes_its_own_contrast_check() {
        assert_eq!(check_primary_color(DEFAULT_PRIMARY_COLOR), Ok(()));
        assert!(contrast_with_white(parse_hex_color(DEFAULT_PRIMARY_COLOR).unwrap()) > 7.0);
    }

    #[test]
    fn accent_colours_are_parsed_and_light_ones_refused() {
        assert_eq!(parse_hex_color("#fff"), Some([255, 255, 255]));
        assert_eq!(parse_hex_color("#1A4a8a"), Some([0x1a, 0x4a, 0x8a]));
        assert_eq!(parse_hex_color("1a4a8a"), None);
        assert_eq!(parse_hex_color("#12345"), None);
        assert_eq!(parse_hex_color("#gggggg"), None);
        assert!(check_primary_color("#000").is_ok());
        let err = check_primary_color("#ffcc00").unwrap_err();
        assert!(err.contains("4.5:1"), "{err}");
        assert!(check_primary_color("red").is_err());
    }
}
