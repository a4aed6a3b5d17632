//! `[controller]`: who answers the requests, and the legal defaults (regime, time zone,
//! holiday calendar) its deadlines are computed with.

use chrono::NaiveDate;
use chrono_tz::Tz;
use dsrflow_domain::{Calendar, CalendarCode, Regime};
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[controller]`: the legal defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControllerSection {
    /// Default regime for requests that do not name one.
    pub regime: String,
    /// IANA time zone; default: the regime's.
    pub time_zone: Option<String>,
    /// Holiday calendar code; default: the regime's.
    pub calendar: Option<String>,
    /// One-off public holidays (YYYY-MM-DD).
    pub extra_holidays: Vec<String>,
    /// The controller's name, as shown to data subjects.
    pub name: Option<String>,
    /// Where subjects write about their data (an address or URL).
    pub contact: Option<String>,
    /// The supervisory authority subjects may complain to.
    pub authority: Option<String>,
}

impl Default for ControllerSection {
    fn default() -> Self {
        Self {
            regime: "gdpr".to_owned(),
            time_zone: None,
            calendar: None,
            extra_holidays: Vec::new(),
            name: None,
            contact: None,
            authority: None,
        }
    }
}

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

/// Checks `[controller]`; an error names the key.
pub fn validate(raw: &ControllerSection) -> Result<ControllerSettings, ConfigError> {
    let regime: Regime =
        raw.regime
            .parse()
            .map_err(|e: dsrflow_domain::regime::RegimeParseError| {
                ConfigError::new("controller.regime", e.to_string())
            })?;
    let time_zone = raw
        .time_zone
        .as_ref()
        .map(|tz| {
            tz.parse::<Tz>().map_err(|_| {
                ConfigError::new(
                    "controller.time_zone",
                    format!("{tz:?} is not an IANA time zone such as Europe/Brussels"),
                )
            })
        })
        .transpose()?;
    let calendar = raw
        .calendar
        .as_ref()
        .map(|c| {
            c.parse::<CalendarCode>()
                .map_err(|e| ConfigError::new("controller.calendar", e.to_string()))
        })
        .transpose()?;
    let mut extra_holidays = Vec::new();
    for (i, d) in raw.extra_holidays.iter().enumerate() {
        let day = NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            ConfigError::new(
                format!("controller.extra_holidays[{i}]"),
                format!("{d:?} is not a date (YYYY-MM-DD)"),
            )
        })?;
        extra_holidays.push(day);
    }
    let d = ControllerSettings::default();
    Ok(ControllerSettings {
        regime,
        time_zone,
        calendar,
        extra_holidays,
        name: raw.name.clone().unwrap_or(d.name),
        contact: raw.contact.clone().unwrap_or(d.contact),
        authority: raw.authority.clone().unwrap_or(d.authority),
    })
}
