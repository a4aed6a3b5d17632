//! String enums: a closed set of values stored and sent as short strings (a status, a reason,
//! an audit action). [`string_enum!`] declares one: the enum, its wire and storage names,
//! `ALL`, `as_str`, `Display`, `FromStr` (an unknown name is an [`Unknown`] error, never a
//! panic), serde under the same names, and, with the `persistence` feature, the sea-orm column
//! mapping.

use std::fmt;

/// A name that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// What was being read (`mail status`, `audit action` …).
    pub what: &'static str,
    /// The name, at most 40 characters of it.
    pub value: String,
}

impl Unknown {
    /// The error for `value` (kept short: it may end up in a message).
    pub fn new(what: &'static str, value: &str) -> Self {
        Self {
            what,
            value: value.chars().take(40).collect(),
        }
    }
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} {:?}", self.what, self.value)
    }
}

impl std::error::Error for Unknown {}

impl From<Unknown> for String {
    fn from(u: Unknown) -> String {
        u.to_string()
    }
}

/// Declares a string enum (see the module documentation):
///
/// ```ignore
/// string_enum! {
///     /// Where a queued mail stands.
///     pub enum MailStatus("mail status") {
///         /// Waiting to be sent.
///         Pending = "pending",
///         Sent = "sent",
///     }
/// }
/// ```
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(
            feature = "persistence",
            derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
        )]
        #[cfg_attr(
            feature = "persistence",
            sea_orm(rs_type = "String", db_type = "Text")
        )]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $value)]
                #[cfg_attr(feature = "persistence", sea_orm(string_value = $value))]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire and storage name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::strings::Unknown;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $crate::strings::Unknown::new($what, s))
            }
        }
    };
}

pub(crate) use string_enum;

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    string_enum! {
        /// A test enum.
        pub enum Colour("colour") {
            /// Red.
            Red = "red",
            /// Light blue.
            LightBlue = "light.blue",
        }
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_errors() {
        for c in Colour::ALL {
            assert_eq!(c.as_str().parse::<Colour>(), Ok(*c));
            assert_eq!(c.to_string(), c.as_str());
            assert_eq!(
                serde_json::to_string(c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
        assert_eq!(Colour::LightBlue.as_str(), "light.blue");
        let err = "green".repeat(20).parse::<Colour>().unwrap_err();
        assert_eq!(err.value.chars().count(), 40);
        assert!(err.to_string().starts_with("unknown colour \"greengreen"));
        assert!(serde_json::from_str::<Colour>("\"green\"").is_err());
    }
}
