//! Configuration, one file per section: its raw shape as written in the TOML file (unknown
//! keys are errors), its checks (an error names the key), and the validated type the use cases
//! read. Loading and layering the file, the environment and the command line is the binary's
//! (`crates/cli/src/config.rs`); a new setting is one edit in its section's file.

pub mod controller;
pub mod customers;
pub mod form;
pub mod inbox;
pub mod mail;
pub mod reminders;
pub mod security;
pub mod server;
pub mod verification;
pub mod work;

use serde::{Deserialize, Serialize};

pub use controller::{ControllerSection, ControllerSettings};
pub use form::{
    DEFAULT_PRIMARY_COLOR, FormSection, FormSettings, check_logo_url, check_primary_color,
    contrast_with_white, parse_hex_color,
};
pub use inbox::{InboxSection, InboxSettings};
pub use mail::MailSection;
pub use reminders::RemindersSection;
pub use security::SecuritySection;
pub use server::{DatabaseSection, LogSection, ServerSection};
pub use verification::{
    AccessCheck, AccessCheckSection, VerificationSection, VerificationSettings,
};
pub use work::{DEFAULT_WORK_CONCURRENCY, WorkSection, WorkSettings};

use crate::crypto::DataKey;
use crate::systems::SystemConfig;

/// A value in the configuration that cannot be used; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {key}: {message}")]
pub struct ConfigError {
    /// The key, e.g. `controller.time_zone`.
    pub key: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    /// An error at `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// The configuration file's shape. Unknown keys are errors (a typo must not be ignored).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    /// `[server]`
    pub server: ServerSection,
    /// `[database]`
    pub database: DatabaseSection,
    /// `[controller]`
    pub controller: ControllerSection,
    /// `[log]`
    pub log: LogSection,
    /// `[security]`
    pub security: SecuritySection,
    /// `[work]`
    pub work: WorkSection,
    /// `[[system]]`: the data map and connectors.
    pub system: Vec<SystemConfig>,
    /// `[[recipient]]`: the parties the systems disclose data to (Art. 19).
    #[serde(default)]
    pub recipient: Vec<crate::systems::RecipientConfig>,
    /// `[[customer]]`: the controllers whose databases we host (requests about them are
    /// forwarded).
    #[serde(default)]
    pub customer: Vec<customers::CustomerSection>,
    /// `[mail]`
    pub mail: MailSection,
    /// `[reminders]`
    pub reminders: RemindersSection,
    /// `[inbox]`
    pub inbox: InboxSection,
    /// `[form]`
    pub form: FormSection,
    /// `[verification]`
    pub verification: VerificationSection,
}

/// Everything the use cases read from configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Legal defaults.
    pub controller: ControllerSettings,
    /// Base URL for links sent to people (no trailing slash).
    pub public_url: String,
    /// Background work.
    pub work: WorkSettings,
    /// The secret protecting dsrflow's own copy of personal data.
    pub data_key: DataKey,
    /// Where officer reminders and escalations go (none: they are not sent).
    pub officer_address: Option<String>,
    /// When to remind the officer.
    pub reminders: dsrflow_domain::reminder::ReminderPolicy,
    /// The privacy@ mailbox to poll (none: no polling; `dsrflow ingest-mail` still works).
    pub inbox: Option<InboxSettings>,
    /// The public site: the request form, its theme and its abuse limits.
    pub form: FormSettings,
    /// How requesters confirm who they are.
    pub verification: VerificationSettings,
    /// Whether outgoing mail can reach addresses with non-ASCII characters before the `@`
    /// (the SMTP relay announces SMTPUTF8, or mail goes to files). When false, intake refuses
    /// such addresses, since no answer could reach them. (Non-ASCII domains are always
    /// reachable: they are sent in their ASCII form.)
    pub mail_utf8_local_parts: bool,
    /// The controllers whose databases we host as their processor (`[[customer]]`).
    pub customers: Vec<customers::HostedCustomer>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            controller: ControllerSettings::default(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            work: WorkSettings::default(),
            data_key: DataKey::generate(),
            officer_address: None,
            reminders: dsrflow_domain::reminder::ReminderPolicy::default(),
            inbox: None,
            form: FormSettings::default(),
            verification: VerificationSettings::default(),
            mail_utf8_local_parts: true,
            customers: Vec::new(),
        }
    }
}
