//! The kinds of data-subject request dsrflow handles, one per GDPR right.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The right a data subject exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "persistence",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
)]
#[cfg_attr(
    feature = "persistence",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::N(32))"
    )
)]
pub enum RequestKind {
    /// Art. 15: a copy of the data and the information about its processing.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "access"))]
    Access,
    /// Art. 17: erasure ("right to be forgotten").
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "erasure"))]
    Erasure,
    /// Art. 21: objection (absolute for direct marketing, balanced for legitimate interest).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "objection"))]
    Objection,
    /// Art. 16: rectification of inaccurate data.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "rectification"))]
    Rectification,
    /// Art. 18: restriction of processing.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "restriction"))]
    Restriction,
    /// Art. 20: portability of the data the subject provided.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "portability"))]
    Portability,
    /// Art. 7(3): withdrawal of consent, effective immediately.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "consent_withdrawal"))]
    ConsentWithdrawal,
}

impl RequestKind {
    /// Every kind, in a stable order.
    pub const ALL: [RequestKind; 7] = [
        RequestKind::Access,
        RequestKind::Erasure,
        RequestKind::Objection,
        RequestKind::Rectification,
        RequestKind::Restriction,
        RequestKind::Portability,
        RequestKind::ConsentWithdrawal,
    ];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Erasure => "erasure",
            RequestKind::Objection => "objection",
            RequestKind::Rectification => "rectification",
            RequestKind::Restriction => "restriction",
            RequestKind::Portability => "portability",
            RequestKind::ConsentWithdrawal => "consent_withdrawal",
        }
    }

    /// The GDPR article that grants the right.
    pub fn article(self) -> &'static str {
        match self {
            RequestKind::Access => "Art. 15",
            RequestKind::Erasure => "Art. 17",
            RequestKind::Objection => "Art. 21",
            RequestKind::Rectification => "Art. 16",
            RequestKind::Restriction => "Art. 18",
            RequestKind::Portability => "Art. 20",
            RequestKind::ConsentWithdrawal => "Art. 7(3)",
        }
    }
}

crate::strings::string_enum! {
    /// How far the suppression list stops mail to a subject.
    pub enum SuppressionScope("suppression scope") {
        /// Direct marketing only (an objection to it is absolute, Art. 21(3); consent
        /// withdrawn, Art. 7(3)).
        Marketing = "marketing",
        /// Everything but the answers the law requires (an erased subject must not be
        /// re-imported from a list or a backup, Art. 17).
        All = "all",
    }
}

/// What the subject receives when a request of a kind is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A package of their data to download (Art. 15, Art. 20).
    Package,
    /// An account of what was erased and what was kept under which rule (Art. 17).
    Erasure,
    /// A confirmation of what was done, system by system.
    Confirmation,
}

impl RequestKind {
    /// What answering a request of this kind gives the subject.
    pub fn answer(self) -> Answer {
        match self {
            RequestKind::Access | RequestKind::Portability => Answer::Package,
            RequestKind::Erasure => Answer::Erasure,
            RequestKind::Objection
            | RequestKind::Rectification
            | RequestKind::Restriction
            | RequestKind::ConsentWithdrawal => Answer::Confirmation,
        }
    }

    /// Whether answering it produces a package to download.
    pub fn produces_package(self) -> bool {
        self.answer() == Answer::Package
    }

    /// The suppression entry the request puts the subject on as soon as it is worked on (not
    /// when every system has answered): erasure stops everything but the required answers,
    /// objection and consent withdrawal stop marketing.
    pub fn suppression(self) -> Option<SuppressionScope> {
        match self {
            RequestKind::Erasure => Some(SuppressionScope::All),
            RequestKind::Objection | RequestKind::ConsentWithdrawal => {
                Some(SuppressionScope::Marketing)
            }
            RequestKind::Access
            | RequestKind::Rectification
            | RequestKind::Restriction
            | RequestKind::Portability => None,
        }
    }
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown request kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown request kind {0:?}; expected one of access, erasure, objection, rectification, restriction, portability, consent_withdrawal"
)]
pub struct KindParseError(pub String);

impl FromStr for RequestKind {
    type Err = KindParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RequestKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| KindParseError(s.chars().take(40).collect()))
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for k in RequestKind::ALL {
            assert_eq!(k.as_str().parse::<RequestKind>().unwrap(), k);
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
    }

    #[test]
    fn an_unknown_kind_is_rejected_with_the_valid_names() {
        let err = "delete".parse::<RequestKind>().unwrap_err();
        assert!(err.to_string().contains("erasure"));
    }
}
