//! Where messages go: an SMTP relay, a folder of `.eml` files, or memory (tests).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::error::{ConfigError, MailError};
use crate::mask::scrub;
use crate::outgoing::Outgoing;

/// How long one SMTP command may take before the attempt counts as a (transient) timeout.
pub const DEFAULT_SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Which kind of transport handled a message (for logs and the audit trail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// An SMTP relay.
    Smtp,
    /// A folder of `.eml` files.
    File,
    /// In memory (tests).
    Memory,
}

impl TransportKind {
    /// A short lower-case name: `smtp`, `file`, `memory`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Smtp => "smtp",
            Self::File => "file",
            Self::Memory => "memory",
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the mailer hands messages over.
#[derive(Clone)]
pub enum Transport {
    /// An SMTP relay (pooled connections).
    Smtp(SmtpRelay),
    /// Writes one `<message-id>.eml` file per message into this folder, creating it. The default
    /// when no SMTP relay is configured, so that no message is silently dropped on a local run.
    File(PathBuf),
    /// Keeps every message in memory, for tests.
    Memory(MemoryOutbox),
}

impl Transport {
    /// SMTP when `smtp_url` is given, otherwise `.eml` files in `file_dir`.
    pub fn from_settings(
        smtp_url: Option<&str>,
        file_dir: impl Into<PathBuf>,
    ) -> Result<Self, ConfigError> {
        match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Ok(Self::Smtp(SmtpRelay::from_url(url)?)),
            None => Ok(Self::File(file_dir.into())),
        }
    }

    /// A memory transport and a handle on what it records.
    pub fn memory() -> (Self, MemoryOutbox) {
        let outbox = MemoryOutbox::default();
        (Self::Memory(outbox.clone()), outbox)
    }

    /// Which kind of transport this is.
    pub fn kind(&self) -> TransportKind {
        match self {
            Self::Smtp(_) => TransportKind::Smtp,
            Self::File(_) => TransportKind::File,
            Self::Memory(_) => TransportKind::Memory,
        }
    }

    /// Hands a formatted message over; returns a short description of the outcome (the SMTP
    /// reply, the file written).
    pub(crate) async fn deliver(
        &self,
        outgoing: &Outgoing,
        envelope: &Envelope,
        raw: Vec<u8>,
    ) -> Result<String, MailError> {
        match self {
            Self::Smtp(relay) => relay.deliver(envelope, &raw).await,
            Self::File(dir) => write_eml(dir, &outgoing.message_id, &raw).await,
            Self::Memory(outbox) => {
                outbox.push(Sent {
                    outgoing: outgoing.clone(),
                    envelope_from: envelope.from().map(ToString::to_string),
                    envelope_to: envelope.to().iter().map(ToString::to_string).collect(),
                    raw,
                });
                Ok(format!("recorded in memory ({} so far)", outbox.len()))
            }
        }
    }
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Smtp(relay) => f.debug_tuple("Smtp").field(&relay.endpoint).finish(),
            Self::File(dir) => f.debug_tuple("File").field(dir).finish(),
            Self::Memory(outbox) => f.debug_tuple("Memory").field(&outbox.len()).finish(),
        }
    }
}

/// An SMTP relay built from a URL:
///
/// - `smtp://host:port` — plain, no TLS (only for local sinks such as MailHog or aiosmtpd);
/// - `smtp://host:587?tls=required` — STARTTLS, refusing to continue without it;
/// - `smtps://host:465` — implicit TLS.
///
/// Credentials come from the URL (`smtps://user:password@host`, percent-encoded); resolve the
/// password from its secret before building the URL. TLS uses rustls with ring and the webpki
/// root certificates.
#[derive(Clone)]
pub struct SmtpRelay {
    inner: AsyncSmtpTransport<Tokio1Executor>,
    endpoint: String,
}

impl SmtpRelay {
    /// A relay with the [`DEFAULT_SMTP_TIMEOUT`]. Call it inside a Tokio runtime (the connection
    /// pool runs a clean-up task on it).
    pub fn from_url(url: &str) -> Result<Self, ConfigError> {
        Self::from_url_with_timeout(url, DEFAULT_SMTP_TIMEOUT)
    }

    /// A relay whose SMTP commands time out after `timeout`.
    pub fn from_url_with_timeout(url: &str, timeout: Duration) -> Result<Self, ConfigError> {
        let endpoint = describe_url(url);
        if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
            return Err(ConfigError::SmtpUrl(format!(
                "unsupported scheme in {endpoint}"
            )));
        }
        // The connection pool spawns its clean-up task on the current Tokio runtime; without
        // one lettre would panic, so say so instead.
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ConfigError::NoRuntime);
        }
        let inner = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| ConfigError::SmtpUrl(scrub(&e.to_string())))?
            .timeout(Some(timeout))
            .build();
        Ok(Self { inner, endpoint })
    }

    /// The relay's address without credentials, e.g. `smtps://mail.example.com:465`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Connects and says NOOP: a start-up check that the relay is reachable.
    pub async fn test_connection(&self) -> Result<(), MailError> {
        match self.inner.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(MailError::transient(
                None,
                "the SMTP relay did not answer NOOP",
            )),
            Err(e) => Err(MailError::from_smtp(&e)),
        }
    }

    async fn deliver(&self, envelope: &Envelope, raw: &[u8]) -> Result<String, MailError> {
        let response = self
            .inner
            .send_raw(envelope, raw)
            .await
            .map_err(|e| MailError::from_smtp(&e))?;
        let text = response.message().collect::<Vec<_>>().join(" ");
        Ok(scrub(&format!("{} {text}", response.code())))
    }
}

impl fmt::Debug for SmtpRelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpRelay")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// `scheme://host:port[?tls=…]` without user, password or path.
fn describe_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("?", url));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let tls = rest[authority_end..]
        .split(['?', '&'])
        .find(|p| p.starts_with("tls="))
        .map(|p| format!("?{p}"))
        .unwrap_or_default();
    format!("{scheme}://{host}{tls}")
}

/// A file name for a message id: `<dsr-…@example.com>` → `dsr-…_example.com.eml`.
fn eml_file_name(message_id: &str) -> String {
    let stem: String = message_id
        .trim_matches(['<', '>'])
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(200)
        .collect();
    let stem = stem.trim_start_matches('.');
    if stem.is_empty() {
        "message.eml".to_owned()
    } else {
        format!("{stem}.eml")
    }
}

async fn write_eml(dir: &Path, message_id: &str, raw: &[u8]) -> Result<String, MailError> {
    let io = |what: &str, e: std::io::Error| {
        MailError::transient(None, format!("{what} {}: {e}", dir.display()))
    };
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| io("cannot create the mail folder", e))?;
    let name = eml_file_name(message_id);
    let final_path = dir.join(&name);
    // Write then rename, so a reader never sees half a message. The same message id overwrites
    // the same file: sending a message twice leaves one copy.
    let temp_path = dir.join(format!(".{name}.tmp"));
    tokio::fs::write(&temp_path, raw)
        .await
        .map_err(|e| io("cannot write a message into", e))?;
    tokio::fs::rename(&temp_path, &final_path)
        .await
        .map_err(|e| io("cannot write a message into", e))?;
    Ok(final_path.display().to_string())
}

/// A message recorded by the memory transport.
#[derive(Clone)]
pub struct Sent {
    /// The message as it was given to the mailer.
    pub outgoing: Outgoing,
    /// The envelope sender.
    pub envelope_from: Option<String>,
    /// The envelope recipients.
    pub envelope_to: Vec<String>,
    /// The formatted message (RFC 5322), exactly as SMTP would have carried it.
    pub raw: Vec<u8>,
}

impl fmt::Debug for Sent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sent")
            .field("outgoing", &self.outgoing)
            .field("raw_bytes", &self.raw.len())
            .finish_non_exhaustive()
    }
}

/// What the memory transport recorded: a shared `Arc<Mutex<Vec<Sent>>>`. Clones share it.
#[derive(Clone, Default)]
pub struct MemoryOutbox(pub Arc<Mutex<Vec<Sent>>>);

impl MemoryOutbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Sent>> {
        // A panic while holding the lock cannot leave a half-pushed Vec: keep going.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, sent: Sent) {
        self.lock().push(sent);
    }

    /// A copy of every recorded message, in sending order.
    pub fn sent(&self) -> Vec<Sent> {
        self.lock().clone()
    }

    /// Removes and returns every recorded message.
    pub fn take(&self) -> Vec<Sent> {
        std::mem::take(&mut *self.lock())
    }

    /// How many messages were recorded.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

impl fmt::Debug for MemoryOutbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MemoryOutbox").field(&self.len()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_described_endpoint_never_shows_credentials() {
        assert_eq!(
            describe_url("smtps://user:s3cret@mail.example.com:465/hello"),
            "smtps://mail.example.com:465"
        );
        assert_eq!(
            describe_url("smtp://u:p%40ss@relay:587?tls=required"),
            "smtp://relay:587?tls=required"
        );
    }

    #[test]
    fn file_names_come_from_the_message_id() {
        assert_eq!(
            eml_file_name("<dsr-0190@example.com>"),
            "dsr-0190_example.com.eml"
        );
        assert_eq!(eml_file_name("<../../etc/passwd>"), "_.._etc_passwd.eml");
        assert_eq!(eml_file_name("<>"), "message.eml");
    }

    #[tokio::test]
    async fn smtp_urls_are_checked_without_repeating_the_password() {
        for bad in [
            "http://user:hunter2@host",
            "smtp://user:hunter2@",
            "smtp://user:hunter2@host?tls=bogus",
        ] {
            let err = SmtpRelay::from_url(bad)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("invalid SMTP URL"), "{bad}: {err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
        for good in [
            "smtp://127.0.0.1:2525",
            "smtp://relay.example.com:587?tls=required",
            "smtps://u:p@relay.example.com:465",
        ] {
            assert!(SmtpRelay::from_url(good).is_ok(), "{good}");
        }
        assert_eq!(
            Transport::from_settings(None, "/tmp/x").map(|t| t.kind()),
            Ok(TransportKind::File)
        );
    }
}
