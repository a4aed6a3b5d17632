//! The mail crate's errors: sending ([`MailError`], transient or permanent), transport
//! configuration ([`ConfigError`]) and templates ([`TemplateError`]).
//!
//! No error built by this crate carries a full email address: SMTP replies such as
//! `550 <alice@example.com>: unknown user` are scrubbed to `a***@e***.com` first.

use std::path::PathBuf;

use crate::mask::scrub;

/// Why a message could not be sent. The caller retries [`MailError::Transient`] with backoff
/// and stops on [`MailError::Permanent`] (and shows it to the officer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Worth retrying later: connection refused or reset, timeout, TLS handshake failure, an
    /// SMTP 4xx reply (greylisting, mailbox full, rate limit), a disk error of the file transport.
    #[error("mail not sent, temporary failure{}: {reason}", code_suffix(*.code))]
    Transient {
        /// The SMTP reply code, when the server answered.
        code: Option<u16>,
        /// What went wrong, with addresses masked.
        reason: String,
    },
    /// Retrying the same message will not help: an SMTP 5xx reply (unknown mailbox, rejected
    /// sender, authentication refused), an invalid address or header.
    #[error("mail not sent, permanent failure{}: {reason}", code_suffix(*.code))]
    Permanent {
        /// The SMTP reply code, when the server answered.
        code: Option<u16>,
        /// What went wrong, with addresses masked.
        reason: String,
    },
}

fn code_suffix(code: Option<u16>) -> String {
    code.map(|c| format!(" (SMTP {c})")).unwrap_or_default()
}

impl MailError {
    /// A transient error; `reason` is scrubbed of addresses.
    pub fn transient(code: Option<u16>, reason: impl AsRef<str>) -> Self {
        Self::Transient {
            code,
            reason: scrub(reason.as_ref()),
        }
    }

    /// A permanent error; `reason` is scrubbed of addresses.
    pub fn permanent(code: Option<u16>, reason: impl AsRef<str>) -> Self {
        Self::Permanent {
            code,
            reason: scrub(reason.as_ref()),
        }
    }

    /// True when retrying later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }

    /// True when retrying will not help.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Permanent { .. })
    }

    /// What went wrong, with addresses masked.
    pub fn reason(&self) -> &str {
        match self {
            Self::Transient { reason, .. } | Self::Permanent { reason, .. } => reason,
        }
    }

    /// Classifies a lettre SMTP error: 5xx replies and client-side refusals are permanent,
    /// everything else (4xx, network, timeout, TLS, unparseable reply) is transient.
    pub(crate) fn from_smtp(err: &lettre::transport::smtp::Error) -> Self {
        let code = err.status().map(u16::from);
        let reason = err.to_string();
        if err.is_permanent() || err.is_client() {
            Self::permanent(code, reason)
        } else {
            Self::transient(code, reason)
        }
    }
}

/// The mail transport is misconfigured (found at start-up, before any message is sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The SMTP URL cannot be used. The URL itself is not repeated: it may hold a password.
    #[error(
        "invalid SMTP URL ({0}); expected smtp://host:port, smtp://host:587?tls=required or smtps://host:465, with optional user:password@"
    )]
    SmtpUrl(String),
    /// The SMTP relay was built outside a Tokio runtime (its connection pool needs one).
    #[error("the SMTP relay must be built inside a Tokio runtime")]
    NoRuntime,
    /// A sender or reply-to mailbox cannot be parsed.
    #[error("invalid mailbox {mailbox}: {reason}")]
    Mailbox {
        /// The masked mailbox.
        mailbox: String,
        /// Why it was refused.
        reason: String,
    },
}

/// A template could not be loaded, validated or rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// A template does not parse.
    #[error("mail template {name} does not parse: {source:#}")]
    Syntax {
        /// The template's path relative to the templates folder.
        name: String,
        /// The parser's error, with line information.
        source: minijinja::Error,
    },
    /// A required template is missing (every message needs its three files in en, fr and nl).
    #[error("mail template {name} is missing")]
    Missing {
        /// The missing template's path relative to the templates folder.
        name: String,
    },
    /// A `.j2` file whose path matches no message, language or file name.
    #[error(
        "unexpected mail template {0}: expected <message>/<file> or <message>/<fr|nl|de>/<file> with <file> one of subject.txt.j2, body.txt.j2, body.html.j2, or a shared file starting with _"
    )]
    UnexpectedFile(String),
    /// The override folder (or a file in it) cannot be read.
    #[error("cannot read mail template override {path}: {source}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Rendering failed (an undefined variable, a bad value for a filter…).
    #[error("rendering mail template {name} failed: {source}")]
    Render {
        /// The template's path relative to the templates folder.
        name: String,
        /// The engine's error.
        source: minijinja::Error,
    },
    /// No such message.
    #[error("unknown mail message {0}")]
    UnknownMessage(String),
}
