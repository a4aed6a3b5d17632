//! Who a request is about: validated identity newtypes.
//!
//! Each type can only be built through `parse`, so a value that exists is valid. `Display` and
//! `Debug` print a masked form so an address or a name never reaches a log by accident; the full
//! value is only available through `as_str()`, on purpose.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an identity value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The value is empty after trimming.
    #[error("must not be empty")]
    Empty,
    /// The value is longer than allowed.
    #[error("must be at most {max} characters")]
    TooLong {
        /// The maximum length in characters.
        max: usize,
    },
    /// The value is not a usable email address.
    #[error("is not a valid email address ({0})")]
    InvalidEmail(&'static str),
    /// The value contains characters that are not allowed.
    #[error("contains characters that are not allowed ({0})")]
    InvalidCharacters(&'static str),
    /// The value is not an international phone number.
    #[error("is not a phone number in international form, e.g. +32 470 12 34 56")]
    InvalidPhone,
}

fn mask_word(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => format!("{first}***"),
        None => String::new(),
    }
}

macro_rules! newtype_common {
    ($ty:ident) => {
        impl $ty {
            /// The full value. Never log it; use `Display` (masked) for logs.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Consumes the value, returning the full string.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($ty), self.masked())
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.masked())
            }
        }

        impl TryFrom<String> for $ty {
            type Error = IdentityError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.0
            }
        }
    };
}

/// A data subject's email address, trimmed and lower-cased.
///
/// Lower-casing the whole address is a deliberate choice: every system the reference user runs
/// (Odoo's `email_normalized`, Stripe, Klaviyo) matches addresses case-insensitively, and one
/// canonical form keeps suppression hashes stable.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "persistence", derive(sea_orm::DeriveValueType))]
pub struct SubjectEmail(String);

impl SubjectEmail {
    /// Maximum length (RFC 5321 path limit).
    pub const MAX_LEN: usize = 254;

    /// Parses and normalises an address.
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(IdentityError::Empty);
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(IdentityError::TooLong { max: Self::MAX_LEN });
        }
        let (local, domain) = value
            .rsplit_once('@')
            .ok_or(IdentityError::InvalidEmail("missing @"))?;
        if local.is_empty() || local.len() > 64 {
            return Err(IdentityError::InvalidEmail(
                "the part before @ must have 1 to 64 characters",
            ));
        }
        if local.contains('@') {
            return Err(IdentityError::InvalidEmail("more than one @"));
        }
        let local_ok = local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        if !local_ok {
            return Err(IdentityError::InvalidEmail(
                "the part before @ has characters that are not allowed",
            ));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(IdentityError::InvalidEmail("the domain needs a dot"));
        }
        for label in &labels {
            let ok = !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-');
            if !ok {
                return Err(IdentityError::InvalidEmail("the domain is not valid"));
            }
        }
        let tld = labels.last().copied().unwrap_or_default();
        if tld.chars().count() < 2 || tld.chars().all(|c| c.is_ascii_digit()) {
            return Err(IdentityError::InvalidEmail("the domain is not valid"));
        }
        Ok(Self(value))
    }

    /// Whether the part before the `@` is plain ASCII (an address without it needs a relay
    /// that speaks SMTPUTF8, RFC 6531).
    pub fn local_part_is_ascii(&self) -> bool {
        self.0
            .rsplit_once('@')
            .is_none_or(|(local, _)| local.is_ascii())
    }

    /// The domain part, e.g. `example.com`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }

    /// A masked form safe for logs: `a***@e***.com`.
    pub fn masked(&self) -> String {
        let Some((local, domain)) = self.0.rsplit_once('@') else {
            return "***".to_owned();
        };
        let (host, tld) = domain.rsplit_once('.').unwrap_or((domain, ""));
        format!("{}@{}.{}", mask_word(local), mask_word(host), tld)
    }
}
newtype_common!(SubjectEmail);

/// A data subject's name as they gave it (trimmed, 1–200 characters, no control characters).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "persistence", derive(sea_orm::DeriveValueType))]
pub struct SubjectName(String);

impl SubjectName {
    /// Maximum length in characters.
    pub const MAX_LEN: usize = 200;

    /// Parses a name.
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        let value = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if value.is_empty() {
            return Err(IdentityError::Empty);
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(IdentityError::TooLong { max: Self::MAX_LEN });
        }
        if value.chars().any(char::is_control) {
            return Err(IdentityError::InvalidCharacters("control characters"));
        }
        Ok(Self(value))
    }

    /// A masked form safe for logs: `J*** D***`.
    pub fn masked(&self) -> String {
        self.0
            .split(' ')
            .map(mask_word)
            .collect::<Vec<_>>()
            .join(" ")
    }
}
newtype_common!(SubjectName);

/// A customer or account identifier in the controller's own systems (e.g. an Odoo partner
/// reference or a Stripe customer id): 1–100 visible characters without spaces.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "persistence", derive(sea_orm::DeriveValueType))]
pub struct AccountId(String);

impl AccountId {
    /// Maximum length in characters.
    pub const MAX_LEN: usize = 100;

    /// Parses an account id.
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(IdentityError::Empty);
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(IdentityError::TooLong { max: Self::MAX_LEN });
        }
        if !value
            .chars()
            .all(|c| c.is_alphanumeric() || "._:@/#+-".contains(c))
        {
            return Err(IdentityError::InvalidCharacters(
                "letters, digits and . _ : @ / # + - only",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// A masked form safe for logs: the first two characters only.
    pub fn masked(&self) -> String {
        let head: String = self.0.chars().take(2).collect();
        format!("{head}***")
    }
}
newtype_common!(AccountId);

/// A phone number in E.164 form (`+` and 8–15 digits). Spaces, dots, dashes and parentheses in
/// the input are removed; a leading `00` becomes `+`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "persistence", derive(sea_orm::DeriveValueType))]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a phone number.
    pub fn parse(raw: &str) -> Result<Self, IdentityError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(IdentityError::Empty);
        }
        if trimmed.len() > 32 {
            return Err(IdentityError::InvalidPhone);
        }
        let compact: String = trimmed
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
            .collect();
        let digits = if let Some(rest) = compact.strip_prefix('+') {
            rest
        } else if let Some(rest) = compact.strip_prefix("00") {
            rest
        } else {
            return Err(IdentityError::InvalidPhone);
        };
        let valid = (8..=15).contains(&digits.len())
            && digits.chars().all(|c| c.is_ascii_digit())
            && !digits.starts_with('0');
        if !valid {
            return Err(IdentityError::InvalidPhone);
        }
        Ok(Self(format!("+{digits}")))
    }

    /// A masked form safe for logs: country prefix and last two digits.
    pub fn masked(&self) -> String {
        let head: String = self.0.chars().take(3).collect();
        let tail: String = self
            .0
            .chars()
            .rev()
            .take(2)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("{head}***{tail}")
    }
}
newtype_common!(PhoneNumber);

crate::strings::string_enum! {
    /// What a one-time secret sent to the requester proves.
    pub enum SecretPurpose("secret purpose") {
        /// The link that confirms the requester's address (and identity) for their requests.
        Identity = "identity",
        /// The code, sent apart from the download link, that opens an access package.
        DownloadCode = "download_code",
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_trimmed_and_lower_cased() {
        let e = SubjectEmail::parse("  Alice@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "alice@example.com");
        assert_eq!(e.domain(), "example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "alice@example",
            "a b@example.com",
            "alice@@example.com",
            "alice@exa_mple.com",
            "alice@-example.com",
            ".alice@example.com",
            "al..ice@example.com",
            "alice@example.c",
            "alice@1.2.3.4",
        ] {
            assert!(SubjectEmail::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(SubjectEmail::parse(&long).is_err());
    }

    #[test]
    fn valid_emails_are_accepted() {
        for good in [
            "alice@example.com",
            "alice+dsr@mail.example.co.uk",
            "o'brien@example.ie",
            "jürgen@bücher.de",
        ] {
            assert!(SubjectEmail::parse(good).is_ok(), "{good:?} was refused");
        }
    }

    #[test]
    fn display_and_debug_never_show_the_full_address() {
        let e = SubjectEmail::parse("alice@example.com").unwrap();
        assert_eq!(e.to_string(), "a***@e***.com");
        assert!(!format!("{e:?}").contains("alice"));
        let n = SubjectName::parse("Alice  Liddell").unwrap();
        assert_eq!(n.as_str(), "Alice Liddell");
        assert_eq!(n.to_string(), "A*** L***");
        assert!(!format!("{n:?}").contains("Alice"));
    }

    #[test]
    fn names_reject_control_characters_and_excess_length() {
        assert!(SubjectName::parse("   ").is_err());
        assert!(SubjectName::parse("a\u{0007}b").is_err());
        assert!(SubjectName::parse(&"x".repeat(201)).is_err());
    }

    #[test]
    fn phone_numbers_are_normalised_to_e164() {
        assert_eq!(
            PhoneNumber::parse("+32 470 12 34 56").unwrap().as_str(),
            "+32470123456"
        );
        assert_eq!(
            PhoneNumber::parse("0032470123456").unwrap().as_str(),
            "+32470123456"
        );
        assert!(PhoneNumber::parse("0470123456").is_err());
        assert!(PhoneNumber::parse("+12").is_err());
        assert!(PhoneNumber::parse("+32abc").is_err());
    }

    #[test]
    fn account_ids_refuse_spaces() {
        assert!(AccountId::parse("cus_NffrFeUfNV2Hib").is_ok());
        assert!(AccountId::parse("cus 1").is_err());
        assert!(AccountId::parse(&"a".repeat(101)).is_err());
    }

    #[test]
    fn serde_uses_the_same_validation() {
        let ok: SubjectEmail = serde_json::from_str("\"Bob@Example.org\"").unwrap();
        assert_eq!(ok.as_str(), "bob@example.org");
        assert!(serde_json::from_str::<SubjectEmail>("\"nope\"").is_err());
    }
}
