//! The data-protection regimes dsrflow answers requests under, and the per-regime facts the
//! deadline engine ([`crate::deadline`]) starts from: the default time zone of the controller, the
//! default holiday calendar, whether the answer period can be extended and whether it counts in
//! calendar months (EU and UK GDPR) or in plain calendar days (everything else).
//!
//! The rules themselves are summarised in `docs/deadlines.md` and sourced in
//! `shared/legal/DEADLINES.md`.

use std::fmt;
use std::str::FromStr;

use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::calendar::CalendarCode;

/// A legal regime under which a data-subject request is answered.
///
/// Serialised (serde, `Display`, [`Regime::as_str`]) as its short code: `gdpr`, `uk-gdpr`, `ccpa`,
/// `vcdpa`, `lgpd`, `nfadp`, `quebec`. Parsing ([`FromStr`], serde) ignores ASCII case and
/// surrounding whitespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "persistence",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
)]
#[cfg_attr(
    feature = "persistence",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::N(16))"
    )
)]
pub enum Regime {
    /// EU General Data Protection Regulation (Art. 12(3)–(6)).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "gdpr"))]
    Gdpr,
    /// UK GDPR as amended by the Data (Use and Access) Act 2025 (Art. 12A).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "uk-gdpr"))]
    UkGdpr,
    /// California Consumer Privacy Act (11 CCR §7021).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "ccpa"))]
    Ccpa,
    /// Virginia Consumer Data Protection Act.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "vcdpa"))]
    Vcdpa,
    /// Brazil's Lei Geral de Proteção de Dados (Art. 19 II).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "lgpd"))]
    Lgpd,
    /// Switzerland's revised Federal Act on Data Protection (nFADP / nDSG).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "nfadp"))]
    Nfadp,
    /// Québec's Act respecting the protection of personal information in the private sector, as
    /// amended by Law 25 (s. 32).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "quebec"))]
    Quebec,
}

impl Regime {
    /// Every regime, in a stable order (the order of the enum).
    pub const ALL: [Regime; 7] = [
        Regime::Gdpr,
        Regime::UkGdpr,
        Regime::Ccpa,
        Regime::Vcdpa,
        Regime::Lgpd,
        Regime::Nfadp,
        Regime::Quebec,
    ];

    /// The short code used in configuration, the CLI, JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Regime::Gdpr => "gdpr",
            Regime::UkGdpr => "uk-gdpr",
            Regime::Ccpa => "ccpa",
            Regime::Vcdpa => "vcdpa",
            Regime::Lgpd => "lgpd",
            Regime::Nfadp => "nfadp",
            Regime::Quebec => "quebec",
        }
    }

    /// The controller's time zone when configuration names none. The receipt day is the local
    /// date in this zone (DEADLINES.md, EU rule 1); the sender's zone is irrelevant.
    pub fn default_time_zone(self) -> Tz {
        match self {
            Regime::Gdpr => chrono_tz::Europe::Brussels,
            Regime::UkGdpr => chrono_tz::Europe::London,
            Regime::Ccpa => chrono_tz::America::Los_Angeles,
            Regime::Vcdpa => chrono_tz::America::New_York,
            Regime::Lgpd => chrono_tz::America::Sao_Paulo,
            Regime::Nfadp => chrono_tz::Europe::Zurich,
            Regime::Quebec => chrono_tz::America::Toronto,
        }
    }

    /// The holiday calendar a deadline rolls forward over when configuration names none.
    ///
    /// `None` for the regimes that count plain calendar days and never roll (a *convention*,
    /// conservative: the deadline is never later than the law allows).
    pub fn default_calendar(self) -> Option<CalendarCode> {
        match self {
            Regime::Gdpr => Some(CalendarCode::Be),
            Regime::UkGdpr => Some(CalendarCode::GbEaw),
            Regime::Ccpa | Regime::Vcdpa | Regime::Lgpd | Regime::Nfadp | Regime::Quebec => None,
        }
    }

    /// Whether the answer period can be extended once (with a notice to the data subject).
    pub fn allows_extension(self) -> bool {
        match self {
            Regime::Gdpr | Regime::UkGdpr | Regime::Ccpa | Regime::Vcdpa | Regime::Nfadp => true,
            Regime::Lgpd | Regime::Quebec => false,
        }
    }

    /// Whether the period is "one month" (same date next month, clamped, rolled forward over
    /// weekends and holidays) rather than a number of calendar days.
    pub fn counts_calendar_months(self) -> bool {
        matches!(self, Regime::Gdpr | Regime::UkGdpr)
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no [`Regime`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown regime `{value}`; expected one of: {}", valid_regimes())]
pub struct RegimeParseError {
    /// The rejected input, as given.
    pub value: String,
}

fn valid_regimes() -> String {
    Regime::ALL
        .iter()
        .map(|regime| regime.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for Regime {
    type Err = RegimeParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Regime::ALL
            .into_iter()
            .find(|regime| regime.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| RegimeParseError {
                value: s.to_owned(),
            })
    }
}

impl Serialize for Regime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Regime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn every_regime_round_trips_through_its_code() {
        for regime in Regime::ALL {
            assert_eq!(regime.as_str().parse::<Regime>().unwrap(), regime);
            assert_eq!(regime.to_string(), regime.as_str());
        }
    }

    #[test]
    fn regime_codes_are_the_documented_ones() {
        let codes: Vec<&str> = Regime::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            codes,
            [
                "gdpr", "uk-gdpr", "ccpa", "vcdpa", "lgpd", "nfadp", "quebec"
            ]
        );
    }

    #[test]
    fn regime_parsing_ignores_case_and_surrounding_whitespace() {
        assert_eq!(" UK-GDPR ".parse::<Regime>().unwrap(), Regime::UkGdpr);
        assert_eq!("Gdpr".parse::<Regime>().unwrap(), Regime::Gdpr);
    }

    #[test]
    fn unknown_regime_error_names_the_value_and_lists_the_valid_ones() {
        let err = "uk_gdpr".parse::<Regime>().unwrap_err();
        assert_eq!(err.value, "uk_gdpr");
        assert_eq!(
            err.to_string(),
            "unknown regime `uk_gdpr`; expected one of: gdpr, uk-gdpr, ccpa, vcdpa, lgpd, nfadp, quebec"
        );
    }

    #[test]
    fn regimes_serialise_as_their_codes() {
        assert_eq!(
            serde_json::to_string(&Regime::UkGdpr).unwrap(),
            "\"uk-gdpr\""
        );
        assert_eq!(
            serde_json::from_str::<Regime>("\"quebec\"").unwrap(),
            Regime::Quebec
        );
        assert!(serde_json::from_str::<Regime>("\"pipeda\"").is_err());
    }

    #[test]
    fn default_time_zones_are_the_documented_ones() {
        let zones: Vec<&str> = Regime::ALL
            .iter()
            .map(|r| r.default_time_zone().name())
            .collect();
        assert_eq!(
            zones,
            [
                "Europe/Brussels",
                "Europe/London",
                "America/Los_Angeles",
                "America/New_York",
                "America/Sao_Paulo",
                "Europe/Zurich",
                "America/Toronto",
            ]
        );
    }

    #[test]
    fn only_the_month_counting_regimes_have_a_default_calendar() {
        assert_eq!(Regime::Gdpr.default_calendar(), Some(CalendarCode::Be));
        assert_eq!(Regime::UkGdpr.default_calendar(), Some(CalendarCode::GbEaw));
        for regime in Regime::ALL {
            assert_eq!(
                regime.default_calendar().is_some(),
                regime.counts_calendar_months(),
                "{regime}"
            );
        }
    }

    #[test]
    fn lgpd_and_quebec_are_the_only_regimes_without_an_extension() {
        let without: Vec<Regime> = Regime::ALL
            .into_iter()
            .filter(|r| !r.allows_extension())
            .collect();
        assert_eq!(without, [Regime::Lgpd, Regime::Quebec]);
    }
}
