//! `[inbox]`: the privacy@ mailbox read over IMAP.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[inbox]`: the privacy@ mailbox, read over IMAP by the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboxSection {
    /// `imaps://host[:993]`, `imap://host[:143]` (STARTTLS) or `imap://host:port?tls=none`.
    /// None: no polling (`dsrflow ingest-mail` still works).
    pub imap_url: Option<String>,
    /// Login name.
    pub user: Option<String>,
    /// The password as `env:VARIABLE` (never in the file).
    pub password: String,
    /// The folder to read.
    pub folder: String,
    /// Extra CA certificates (PEM) for a server with a private CA.
    pub ca_file: Option<String>,
    /// Seconds between polls (at least 30).
    pub poll_secs: u64,
    /// Most messages taken per poll.
    pub batch: usize,
}

impl Default for InboxSection {
    fn default() -> Self {
        Self {
            imap_url: None,
            user: None,
            password: "env:DSRFLOW_INBOX_PASSWORD".to_owned(),
            folder: "INBOX".to_owned(),
            ca_file: None,
            poll_secs: 60,
            batch: 50,
        }
    }
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

/// Checks `[inbox]`; None when no mailbox is configured. The password is read from the
/// environment variable it names.
pub fn validate(raw: &InboxSection) -> Result<Option<InboxSettings>, ConfigError> {
    let Some(url) = &raw.imap_url else {
        return Ok(None);
    };
    let fail = |key: &str, m: &dyn std::fmt::Display| {
        ConfigError::new(format!("inbox.{key}"), m.to_string())
    };
    let user = raw
        .user
        .as_deref()
        .ok_or_else(|| fail("user", &"required with inbox.imap_url"))?;
    let env = |k: &str| std::env::var(k).ok();
    let password = dsrflow_connectors::config::resolve_secret(&raw.password, "password", &env)
        .map_err(|e| fail("password", &e.message))?;
    let mut imap = dsrflow_mail::imap::ImapSettings::new(url, user, &password, Some(&raw.folder))
        .map_err(|e| fail(e.key, &e.message))?;
    if let Some(ca) = &raw.ca_file {
        imap = imap.with_ca_file(ca).map_err(|e| fail(e.key, &e.message))?;
    }
    if !(30..=86_400).contains(&raw.poll_secs) {
        return Err(fail("poll_secs", &"must be between 30 and 86400"));
    }
    if !(1..=1000).contains(&raw.batch) {
        return Err(fail("batch", &"must be between 1 and 1000"));
    }
    Ok(Some(InboxSettings {
        imap,
        poll_interval: Duration::from_secs(raw.poll_secs),
        batch: raw.batch,
    }))
}
