//! `[mail]`: outgoing mail: the transport (an SMTP relay, or `.eml` files), the sender,
//! replies, the officer's address, template overrides, and whether the relay takes
//! internationalised addresses.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use super::controller::ControllerSettings;

/// `[mail]`: outgoing mail.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSection {
    /// `smtp://host:25`, `smtp://host:587?tls=required`, `smtps://user@host:465`; a URL with a
    /// password must be given as `env:VAR`. None: messages are written as `.eml` files to
    /// `<data_dir>/mail` (nothing is silently dropped).
    pub smtp_url: Option<String>,
    /// The sender, e.g. `Hostodoo privacy <privacy@hostodoo.example>`.
    pub from: Option<String>,
    /// Where replies go (e.g. the privacy@ mailbox dsrflow reads).
    pub reply_to: Option<String>,
    /// Where officer reminders, escalations and digests go.
    pub officer_address: Option<String>,
    /// A folder whose templates replace or add to the built-in ones.
    pub templates_dir: Option<String>,
    /// Whether the SMTP relay accepts addresses with non-ASCII characters before the `@`
    /// (it announces SMTPUTF8). Default: true without `smtp_url` (mail goes to files), false
    /// with it, so that such addresses are refused at intake rather than failing later.
    pub smtputf8: Option<bool>,
}

/// Whether mail can reach an address with non-ASCII characters before the `@`: as configured,
/// else yes for `.eml` files and no for an SMTP relay (see [`MailSection::smtputf8`]).
pub fn utf8_local_parts(raw: &MailSection) -> bool {
    raw.smtputf8.unwrap_or(raw.smtp_url.is_none())
}

/// The mailer and templates: SMTP when `mail.smtp_url` is set, else `.eml` files in
/// `<data_dir>/mail`; errors name the key.
pub fn build(
    m: &MailSection,
    data_dir: &Path,
    public_url: &str,
    controller: &ControllerSettings,
) -> Result<(dsrflow_mail::Mailer, dsrflow_mail::Templates), ConfigError> {
    let env = |k: &str| std::env::var(k).ok();
    let smtp = m
        .smtp_url
        .as_deref()
        .map(|u| {
            dsrflow_connectors::config::resolve(u, "smtp_url", &env)
                .map_err(|e| ConfigError::new(format!("mail.{}", e.key), e.message))
        })
        .transpose()?;
    if let (Some(u), Some(resolved)) = (&m.smtp_url, &smtp)
        && !u.starts_with("env:")
        && dsrflow_store::redact_url(resolved) != *resolved
    {
        return Err(ConfigError::new(
            "mail.smtp_url",
            "the URL contains a password: give it as env:VARIABLE",
        ));
    }
    let transport = dsrflow_mail::Transport::from_settings(smtp.as_deref(), data_dir.join("mail"))
        .map_err(|e| ConfigError::new("mail.smtp_url", e.to_string()))?;
    let host = public_url
        .split("://")
        .nth(1)
        .and_then(|h| h.split(['/', ':']).next())
        .filter(|h| h.contains('.'))
        .unwrap_or("dsrflow.localhost")
        .to_owned();
    // Default sender: the controller's own privacy address when its contact is one (the
    // subject hears from the company they wrote to), else a dsrflow address on the host.
    let default_from = match dsrflow_domain::SubjectEmail::parse(&controller.contact) {
        Ok(_) if controller.name != ControllerSettings::default().name => {
            format!(
                "{} <{}>",
                quote_display_name(&controller.name),
                controller.contact.trim()
            )
        }
        Ok(_) => controller.contact.trim().to_owned(),
        Err(_) => format!("dsrflow <privacy@{host}>"),
    };
    let from = dsrflow_mail::parse_mailbox(m.from.as_deref().unwrap_or(&default_from))
        .map_err(|e| ConfigError::new("mail.from", e.to_string()))?;
    let mut mailer = dsrflow_mail::Mailer::new(transport, from);
    if let Some(r) = &m.reply_to {
        mailer = mailer.with_reply_to(
            dsrflow_mail::parse_mailbox(r)
                .map_err(|e| ConfigError::new("mail.reply_to", e.to_string()))?,
        );
    }
    if let Some(o) = &m.officer_address {
        dsrflow_domain::SubjectEmail::parse(o)
            .map_err(|e| ConfigError::new("mail.officer_address", e.to_string()))?;
    }
    let templates = match &m.templates_dir {
        Some(dir) => dsrflow_mail::Templates::with_override_dir(dir)
            .map_err(|e| ConfigError::new("mail.templates_dir", e.to_string()))?,
        None => dsrflow_mail::Templates::embedded()
            .map_err(|e| ConfigError::new("mail (built-in templates)", e.to_string()))?,
    };
    Ok((mailer, templates))
}

/// A display name as RFC 5322 wants it: quoted when it holds anything but words.
fn quote_display_name(name: &str) -> String {
    if name.chars().all(|c| c.is_alphanumeric() || c == ' ') {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace(['\\', '"'], ""))
    }
}
