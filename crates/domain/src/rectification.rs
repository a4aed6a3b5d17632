//! What a rectification asks for (Art. 16): which detail is wrong and what it should be, as
//! structured corrections that systems can apply and people can read.

use std::fmt;

use serde::{Deserialize, Serialize};

/// At most this many corrections in one request.
pub const MAX_CORRECTIONS: usize = 20;
/// The longest corrected value, in characters.
pub const MAX_VALUE_CHARS: usize = 500;

/// One correction: the detail (`name`, `email`, `phone`, `postal_address`, or any other
/// `a-z0-9_` name the data map uses) and its right value. `Debug` masks the value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// Which detail, e.g. `postal_address`.
    pub field: String,
    /// What it should be.
    pub value: String,
}

impl fmt::Debug for Correction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Correction")
            .field("field", &self.field)
            .field("value", &"***")
            .finish()
    }
}

/// What is wrong with one correction: the key (`corrections[1].value`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct CorrectionError {
    /// The key, e.g. `corrections[0].field`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// Checks a list of corrections: 1 to [`MAX_CORRECTIONS`] entries, each field a name of 1–64
/// characters of `a-z 0-9 _` given once, each value 1 to [`MAX_VALUE_CHARS`] characters without
/// control characters (trimmed). Returns them trimmed.
pub fn validate(list: Vec<Correction>) -> Result<Vec<Correction>, CorrectionError> {
    let err = |key: String, message: &str| CorrectionError {
        key,
        message: message.to_owned(),
    };
    if list.is_empty() {
        return Err(err(
            "corrections".to_owned(),
            "give at least one correction, or leave the list out",
        ));
    }
    if list.len() > MAX_CORRECTIONS {
        return Err(err(
            "corrections".to_owned(),
            "at most 20 corrections in one request",
        ));
    }
    let mut out: Vec<Correction> = Vec::with_capacity(list.len());
    for (i, c) in list.into_iter().enumerate() {
        let field = c.field.trim().to_owned();
        if field.is_empty()
            || field.len() > 64
            || !field
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
        {
            return Err(err(
                format!("corrections[{i}].field"),
                "must name the detail in 1–64 characters of a-z, 0-9 or '_', e.g. postal_address",
            ));
        }
        if out.iter().any(|o| o.field == field) {
            return Err(err(
                format!("corrections[{i}].field"),
                "is corrected twice: give each detail once",
            ));
        }
        let value = c.value.trim().to_owned();
        if value.is_empty() || value.chars().count() > MAX_VALUE_CHARS {
            return Err(err(
                format!("corrections[{i}].value"),
                "must give the right value in 1–500 characters",
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(err(
                format!("corrections[{i}].value"),
                "must be one line without control characters",
            ));
        }
        out.push(Correction { field, value });
    }
    Ok(out)
}

/// The corrections as one line each, `field: value`, for a person doing the work by hand.
pub fn describe(list: &[Correction]) -> String {
    list.iter()
        .map(|c| format!("{}: {}", c.field, c.value))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn c(field: &str, value: &str) -> Correction {
        Correction {
            field: field.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn corrections_are_trimmed_and_each_wrong_one_is_named() {
        let ok = validate(vec![c(" postal_address ", " 12 Rue Haute, Brussels ")]).unwrap();
        assert_eq!(ok, vec![c("postal_address", "12 Rue Haute, Brussels")]);
        assert_eq!(validate(vec![]).unwrap_err().key, "corrections");
        assert_eq!(
            validate(vec![c("name", "A"), c("Postal Address", "x")])
                .unwrap_err()
                .key,
            "corrections[1].field"
        );
        assert_eq!(
            validate(vec![c("name", "A"), c("name", "B")])
                .unwrap_err()
                .message,
            "is corrected twice: give each detail once"
        );
        assert_eq!(
            validate(vec![c("name", " ")]).unwrap_err().key,
            "corrections[0].value"
        );
        assert!(validate(vec![c("name", &"x".repeat(501))]).is_err());
        assert!(validate(vec![c("name", "a\u{0}b")]).is_err());
        assert!(validate(vec![c("name", "x"); 21]).is_err());
    }

    #[test]
    fn debug_never_shows_the_value() {
        let shown = format!("{:?}", c("email", "alice@example.com"));
        assert!(!shown.contains("alice"), "{shown}");
        assert!(shown.contains("email"));
    }
}
