//! The `[system.connection]` table of an `opendsr` system: its keys and their checks.

use super::*;

pub(super) fn default_poll_secs() -> u64 {
    3600
}

pub(super) fn default_timeout_secs() -> u64 {
    30
}

pub(super) fn default_identity_types() -> Vec<IdentityKind> {
    vec![IdentityKind::Email]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OpendsrConfig {
    pub(super) base_url: String,
    pub(super) processor_domain: String,
    pub(super) controller_id: String,
    #[serde(default)]
    pub(super) callback_url: Option<String>,
    #[serde(default = "default_identity_types")]
    pub(super) identity_types: Vec<IdentityKind>,
    #[serde(default = "default_poll_secs")]
    pub(super) poll_secs: u64,
    #[serde(default = "default_timeout_secs")]
    pub(super) timeout_secs: u64,
    #[serde(default)]
    pub(super) secrets: SecretsConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SecretsConfig {
    #[serde(default)]
    pub(super) token: Option<String>,
}

/// A subject identifier the connector can send (`identity_types` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// The email address as is (`email`/`raw`).
    Email,
    /// The lowercase hex SHA-256 of the normalised email address (`email`/`sha256`).
    EmailSha256,
    /// The subject's account id (`controller_customer_id`/`raw`).
    ControllerCustomerId,
}

impl IdentityKind {
    /// The OpenDSR `identity_type`.
    pub fn identity_type(self) -> &'static str {
        match self {
            IdentityKind::Email | IdentityKind::EmailSha256 => "email",
            IdentityKind::ControllerCustomerId => "controller_customer_id",
        }
    }

    /// The OpenDSR `identity_format`.
    pub fn identity_format(self) -> &'static str {
        match self {
            IdentityKind::Email | IdentityKind::ControllerCustomerId => "raw",
            IdentityKind::EmailSha256 => "sha256",
        }
    }

    /// The value for a subject, if the subject has one.
    pub(super) fn value(self, subject: &Subject) -> Option<String> {
        match self {
            IdentityKind::Email => Some(subject.email.as_str().to_owned()),
            IdentityKind::EmailSha256 => Some(hex::encode(Sha256::digest(
                subject.email.as_str().as_bytes(),
            ))),
            IdentityKind::ControllerCustomerId => {
                subject.account_id.as_ref().map(|a| a.as_str().to_owned())
            }
        }
    }
}

/// Parses an `http(s)` URL; plain `http` only to a loopback host (local stand-ins), since the
/// specification requires TLS (§3.3) and the bearer token travels with every request.
pub(super) fn parse_url(raw: &str, key: &str) -> Result<Url, BuildError> {
    let url = Url::parse(raw).map_err(|e| BuildError::new(key, format!("not a URL: {e}")))?;
    let loopback = matches!(
        url.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
    );
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(BuildError::new(
                key,
                "must use https (OpenDSR requires TLS; http is accepted only for localhost)",
            ));
        }
        other => return Err(BuildError::new(key, format!("unsupported scheme {other}"))),
    }
    if url.host_str().is_none() {
        return Err(BuildError::new(key, "has no host"));
    }
    Ok(url)
}

/// Checks and lower-cases a processor domain.
pub(super) fn parse_domain(raw: &str, key: &str) -> Result<String, BuildError> {
    let domain = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    match ServerName::try_from(domain.as_str()) {
        Ok(ServerName::DnsName(_)) if domain.contains('.') => Ok(domain),
        _ => Err(BuildError::new(
            key,
            "must be the processor's DNS name, e.g. opendsr.processor.example",
        )),
    }
}

/// The base URL as text without a trailing slash, so `{base}/requests` joins cleanly.
pub(super) fn base_text(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}
