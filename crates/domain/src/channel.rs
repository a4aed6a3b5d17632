//! How a request came in and which language to answer in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An intake channel. The receipt time is when the request first reached any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
pub enum Channel {
    /// The JSON API (the company's own systems).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "api"))]
    Api,
    /// The public web form.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "form"))]
    Form,
    /// A mail to the privacy@ mailbox.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "email"))]
    Email,
    /// A letter, entered by staff.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "post"))]
    Post,
    /// A phone call, entered by staff.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "phone"))]
    Phone,
    /// In person, entered by staff.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "in_person"))]
    InPerson,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 6] = [
        Channel::Api,
        Channel::Form,
        Channel::Email,
        Channel::Post,
        Channel::Phone,
        Channel::InPerson,
    ];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Api => "api",
            Channel::Form => "form",
            Channel::Email => "email",
            Channel::Post => "post",
            Channel::Phone => "phone",
            Channel::InPerson => "in_person",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown channel or language name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}; expected one of {expected}")]
pub struct ParseNameError {
    /// What was parsed.
    pub what: &'static str,
    /// The bad value (truncated).
    pub value: String,
    /// The valid names.
    pub expected: &'static str,
}

impl FromStr for Channel {
    type Err = ParseNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| ParseNameError {
                what: "channel",
                value: s.chars().take(40).collect(),
                expected: "api, form, email, post, phone, in_person",
            })
    }
}

/// A language dsrflow answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "persistence",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
)]
#[cfg_attr(
    feature = "persistence",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::N(8))"
    )
)]
pub enum Language {
    /// English.
    #[default]
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "en"))]
    En,
    /// French.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "fr"))]
    Fr,
    /// Dutch.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "nl"))]
    Nl,
    /// German.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "de"))]
    De,
}

impl Language {
    /// Every language.
    pub const ALL: [Language; 4] = [Language::En, Language::Fr, Language::Nl, Language::De];

    /// The ISO 639-1 code.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
            Language::Nl => "nl",
            Language::De => "de",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Language {
    type Err = ParseNameError;
    /// Accepts a code with an optional region (`fr-BE` → French), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let base = s
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        Language::ALL
            .into_iter()
            .find(|l| l.as_str() == base)
            .ok_or_else(|| ParseNameError {
                what: "language",
                value: s.chars().take(40).collect(),
                expected: "en, fr, nl, de",
            })
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn languages_accept_region_tags() {
        assert_eq!("fr-BE".parse::<Language>().unwrap(), Language::Fr);
        assert_eq!("NL".parse::<Language>().unwrap(), Language::Nl);
        assert!("xx".parse::<Language>().is_err());
    }

    #[test]
    fn channels_round_trip() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().unwrap(), c);
        }
        assert!("fax".parse::<Channel>().is_err());
    }
}
