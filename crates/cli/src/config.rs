//! Configuration: defaults < TOML file < `DSRFLOW_SECTION__KEY` environment variables <
//! command-line options (`--database-url`/`DSRFLOW_DATABASE_URL`, `--listen`/`DSRFLOW_LISTEN`).
//! Everything is validated at start-up; an error names the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use chrono_tz::Tz;
use dsrflow_app::Settings;
use dsrflow_app::crypto::DataKey;
use dsrflow_app::settings::{ControllerSettings, WorkSettings};
use dsrflow_app::systems::{SystemConfig, Systems};
use dsrflow_domain::{CalendarCode, Regime, RequestKind};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

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

/// `[verification]`: how requesters confirm who they are.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VerificationSection {
    /// Mail a single-use confirmation link for requests nobody vouched for.
    pub email_link: bool,
    /// Hours a link works.
    pub link_ttl_hours: u64,
    /// Whether waiting for the link pauses the legal clock.
    pub link_pauses_clock: bool,
    /// Days after which unconfirmed requests are closed as `closed_unidentified`.
    pub close_after_days: u64,
    /// Minutes a download code works.
    pub code_ttl_minutes: u64,
    /// Stronger verification for access requests.
    pub access_check: Option<AccessCheckSection>,
}

/// `[verification.access_check]`: a detail the requester of an access request must confirm.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessCheckSection {
    /// The `[[system]]` whose connector finds the subject's records.
    pub system: String,
    /// The record field to compare with the answer.
    pub field: String,
    /// What the page asks for, in plain words.
    pub label: String,
    /// Ask it for portability requests too.
    #[serde(default)]
    pub portability_too: bool,
}

impl Default for VerificationSection {
    fn default() -> Self {
        let d = dsrflow_app::settings::VerificationSettings::default();
        Self {
            email_link: d.email_link,
            link_ttl_hours: d.link_ttl.as_secs() / 3600,
            link_pauses_clock: d.link_pauses_clock,
            close_after_days: d.close_after.as_secs() / 86_400,
            code_ttl_minutes: d.code_ttl.as_secs() / 60,
            access_check: None,
        }
    }
}

fn verification_settings(
    raw: &VerificationSection,
    systems: &[SystemConfig],
) -> anyhow::Result<dsrflow_app::settings::VerificationSettings> {
    let fail =
        |key: &str, m: &str| anyhow::anyhow!("invalid configuration: verification.{key}: {m}");
    if !(1..=720).contains(&raw.link_ttl_hours) {
        return Err(fail("link_ttl_hours", "must be between 1 and 720"));
    }
    if !(1..=90).contains(&raw.close_after_days) {
        return Err(fail("close_after_days", "must be between 1 and 90"));
    }
    if raw.close_after_days * 24 < raw.link_ttl_hours {
        return Err(fail(
            "close_after_days",
            "must not end before the first link expires (link_ttl_hours)",
        ));
    }
    if !(5..=60).contains(&raw.code_ttl_minutes) {
        return Err(fail("code_ttl_minutes", "must be between 5 and 60"));
    }
    let access_check = match &raw.access_check {
        None => None,
        Some(c) => {
            if !systems.iter().any(|s| s.name == c.system) {
                return Err(fail(
                    "access_check.system",
                    &format!("no [[system]] is named {:?}", c.system),
                ));
            }
            if c.field.trim().is_empty() {
                return Err(fail("access_check.field", "must name a field"));
            }
            if c.label.trim().is_empty() || c.label.chars().count() > 200 {
                return Err(fail("access_check.label", "must be 1 to 200 characters"));
            }
            Some(dsrflow_app::settings::AccessCheck {
                system: c.system.clone(),
                field: c.field.trim().to_owned(),
                label: c.label.trim().to_owned(),
                portability_too: c.portability_too,
            })
        }
    };
    Ok(dsrflow_app::settings::VerificationSettings {
        email_link: raw.email_link,
        link_ttl: Duration::from_secs(raw.link_ttl_hours * 3600),
        link_pauses_clock: raw.link_pauses_clock,
        close_after: Duration::from_secs(raw.close_after_days * 86_400),
        access_check,
        code_ttl: Duration::from_secs(raw.code_ttl_minutes * 60),
    })
}

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

fn inbox_settings(
    raw: &InboxSection,
) -> anyhow::Result<Option<dsrflow_app::settings::InboxSettings>> {
    let Some(url) = &raw.imap_url else {
        return Ok(None);
    };
    let fail = |key: &str, m: &dyn std::fmt::Display| {
        anyhow::anyhow!("invalid configuration: inbox.{key}: {m}")
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
    Ok(Some(dsrflow_app::settings::InboxSettings {
        imap,
        poll_interval: Duration::from_secs(raw.poll_secs),
        batch: raw.batch,
    }))
}

/// `[form]`: the public request form, its theme and its abuse limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FormSection {
    /// Serve `GET|POST /request` (the status page is always served).
    pub enabled: bool,
    /// A folder whose page templates and `i18n/<lang>.toml` catalogues win over the built-in
    /// ones, file by file (catalogues key by key).
    pub templates_dir: Option<String>,
    /// The name in the page header; default: `controller.name`.
    pub organisation: Option<String>,
    /// A logo for the header: `https://…`, `/…` (served by your proxy) or `data:image/…`.
    pub logo_url: Option<String>,
    /// The accent colour, `#rgb` or `#rrggbb`, with at least 4.5:1 contrast against white.
    pub primary_color: String,
    /// Form submissions accepted per client address per hour.
    pub rate_limit_per_ip_per_hour: u32,
    /// Requests accepted per subject address per day.
    pub rate_limit_per_address_per_day: u32,
    /// Take the client address from the first `X-Forwarded-For` hop (only behind a proxy that
    /// sets it).
    pub trust_forwarded_for: bool,
}

impl Default for FormSection {
    fn default() -> Self {
        let d = dsrflow_app::settings::FormSettings::default();
        Self {
            enabled: d.enabled,
            templates_dir: None,
            organisation: None,
            logo_url: None,
            primary_color: d.primary_color,
            rate_limit_per_ip_per_hour: d.rate_limit_per_ip_per_hour,
            rate_limit_per_address_per_day: d.rate_limit_per_address_per_day,
            trust_forwarded_for: d.trust_forwarded_for,
        }
    }
}

fn form_settings(raw: &FormSection) -> anyhow::Result<dsrflow_app::settings::FormSettings> {
    let fail = |key: &str, m: &dyn std::fmt::Display| {
        anyhow::anyhow!("invalid configuration: form.{key}: {m}")
    };
    dsrflow_app::settings::check_primary_color(&raw.primary_color)
        .map_err(|m| fail("primary_color", &m))?;
    if let Some(logo) = &raw.logo_url {
        dsrflow_web::site::check_logo_url(logo).map_err(|m| fail("logo_url", &m))?;
    }
    if let Some(org) = &raw.organisation
        && (org.trim().is_empty() || org.chars().count() > 200)
    {
        return Err(fail("organisation", &"must be 1 to 200 characters"));
    }
    if let Some(dir) = &raw.templates_dir
        && !Path::new(dir).is_dir()
    {
        return Err(fail("templates_dir", &format!("{dir:?} is not a folder")));
    }
    if !(1..=100_000).contains(&raw.rate_limit_per_ip_per_hour) {
        return Err(fail(
            "rate_limit_per_ip_per_hour",
            &"must be between 1 and 100000",
        ));
    }
    if !(1..=1000).contains(&raw.rate_limit_per_address_per_day) {
        return Err(fail(
            "rate_limit_per_address_per_day",
            &"must be between 1 and 1000",
        ));
    }
    Ok(dsrflow_app::settings::FormSettings {
        enabled: raw.enabled,
        templates_dir: raw.templates_dir.as_ref().map(PathBuf::from),
        organisation: raw.organisation.as_ref().map(|o| o.trim().to_owned()),
        logo_url: raw.logo_url.clone(),
        primary_color: raw.primary_color.to_ascii_lowercase(),
        rate_limit_per_ip_per_hour: raw.rate_limit_per_ip_per_hour,
        rate_limit_per_address_per_day: raw.rate_limit_per_address_per_day,
        trust_forwarded_for: raw.trust_forwarded_for,
    })
}

/// `[reminders]`: when the officer hears about deadlines.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RemindersSection {
    /// Days before the deadline at which to remind.
    pub days_before: Vec<u32>,
    /// Days before the last day to announce an extension at which to warn.
    pub extension_warning_days: u32,
}

impl Default for RemindersSection {
    fn default() -> Self {
        let d = dsrflow_domain::reminder::ReminderPolicy::default();
        Self {
            days_before: d.thresholds,
            extension_warning_days: d.extension_warning_days,
        }
    }
}

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

/// `[security]`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySection {
    /// The data key (32 bytes, base64) as `env:VAR`. Default on SQLite: a key file in the data
    /// directory, created on first start. Required on PostgreSQL (every node needs the same key).
    pub data_key: Option<String>,
}

/// `[work]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkSection {
    /// Attempts per task before it fails for good.
    pub max_attempts: u32,
    /// Seconds a worker holds a task before another may take it over.
    pub lease_secs: u64,
    /// Longest connector call, in seconds.
    pub call_timeout_secs: u64,
    /// Request kinds answered without officer review when every system ended well.
    pub auto_approve: Vec<String>,
    /// Worker concurrency (connector calls at once per process).
    pub concurrency: usize,
    /// Days a delivered access package stays downloadable before it is deleted.
    pub package_ttl_days: u32,
}

/// Connector calls at once per process, by default. A call mostly waits on another system (a
/// processor's API, a database), so sixteen at once keep the job queue and the database's group
/// commit busy without crowding any one processor: each `http` system also has its own rate
/// limit. (The fan-out benchmark measured 8 → 16 as 544 → 618 tasks/s on PostgreSQL, the
/// audited outcomes then sharing statements three at a time instead of two.)
pub const DEFAULT_WORK_CONCURRENCY: usize = 16;

impl Default for WorkSection {
    fn default() -> Self {
        let d = dsrflow_app::settings::WorkSettings::default();
        Self {
            max_attempts: d.max_attempts,
            lease_secs: d.lease.as_secs(),
            call_timeout_secs: d.call_timeout.as_secs(),
            auto_approve: Vec::new(),
            concurrency: DEFAULT_WORK_CONCURRENCY,
            package_ttl_days: 30,
        }
    }
}

/// `[server]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Address to listen on.
    pub listen: String,
    /// Public base URL for links in mail; default `http://` + listen.
    pub public_url: Option<String>,
    /// Where dsrflow keeps files (key file, demo data); default: next to the SQLite file
    /// (`<name>-data`), or `./dsrflow-data`.
    pub data_dir: Option<String>,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".to_owned(),
            public_url: None,
            data_dir: None,
        }
    }
}

/// `[database]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSection {
    /// `sqlite://path` or `postgres://…`.
    pub url: String,
}

impl Default for DatabaseSection {
    fn default() -> Self {
        Self {
            url: dsrflow_store::DEFAULT_DATABASE_URL.to_owned(),
        }
    }
}

/// `[controller]`: the legal defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControllerSection {
    /// Default regime for requests that do not name one.
    pub regime: String,
    /// IANA time zone; default: the regime's.
    pub time_zone: Option<String>,
    /// Holiday calendar code; default: the regime's.
    pub calendar: Option<String>,
    /// One-off public holidays (YYYY-MM-DD).
    pub extra_holidays: Vec<String>,
    /// The controller's name, as shown to data subjects.
    pub name: Option<String>,
    /// Where subjects write about their data (an address or URL).
    pub contact: Option<String>,
    /// The supervisory authority subjects may complain to.
    pub authority: Option<String>,
}

impl Default for ControllerSection {
    fn default() -> Self {
        Self {
            regime: "gdpr".to_owned(),
            time_zone: None,
            calendar: None,
            extra_holidays: Vec::new(),
            name: None,
            contact: None,
            authority: None,
        }
    }
}

/// `[log]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    /// `text` or `json`.
    pub format: String,
}

impl Default for LogSection {
    fn default() -> Self {
        Self {
            format: "text".to_owned(),
        }
    }
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub listen: SocketAddr,
    /// Database URL.
    pub database_url: String,
    /// Log as JSON lines.
    pub log_json: bool,
    /// Use-case settings (the data key is resolved by [`Config::resolve_data_key`]).
    pub settings: Settings,
    /// Where files go.
    pub data_dir: PathBuf,
    /// `security.data_key`, unresolved.
    pub data_key: Option<String>,
    /// The `[[system]]` entries (validated by [`Config::systems`]).
    pub systems: Vec<SystemConfig>,
    /// Worker concurrency.
    pub concurrency: usize,
    /// `[mail]`, unresolved.
    pub mail: MailSection,
    /// The configuration is the built-in demo's: its connectors' secrets are the in-process
    /// stand-ins' own, served from memory.
    pub demo: bool,
}

impl Config {
    /// Builds the data map and connectors; an error names the system and key.
    pub fn systems(&self) -> anyhow::Result<Systems> {
        let demo = self.demo.then(crate::demo::secrets);
        let env = |k: &str| {
            std::env::var(k)
                .ok()
                .or_else(|| demo.as_ref().and_then(|d| d.get(k).cloned()))
        };
        Systems::from_config(&self.systems, &env)
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))
    }

    /// The mailer and templates: SMTP when `mail.smtp_url` is set, else `.eml` files in
    /// `<data_dir>/mail`; errors name the key.
    pub fn mail(&self) -> anyhow::Result<(dsrflow_mail::Mailer, dsrflow_mail::Templates)> {
        let m = &self.mail;
        let env = |k: &str| std::env::var(k).ok();
        let smtp = m
            .smtp_url
            .as_deref()
            .map(|u| {
                dsrflow_connectors::config::resolve(u, "smtp_url", &env).map_err(|e| {
                    anyhow::anyhow!("invalid configuration: mail.{}: {}", e.key, e.message)
                })
            })
            .transpose()?;
        if let (Some(u), Some(resolved)) = (&m.smtp_url, &smtp)
            && !u.starts_with("env:")
            && dsrflow_store::redact_url(resolved) != *resolved
        {
            bail!(
                "invalid configuration: mail.smtp_url: the URL contains a password: give it as env:VARIABLE"
            );
        }
        let transport =
            dsrflow_mail::Transport::from_settings(smtp.as_deref(), self.data_dir.join("mail"))
                .map_err(|e| anyhow::anyhow!("invalid configuration: mail.smtp_url: {e}"))?;
        let host = self
            .settings
            .public_url
            .split("://")
            .nth(1)
            .and_then(|h| h.split(['/', ':']).next())
            .filter(|h| h.contains('.'))
            .unwrap_or("dsrflow.localhost")
            .to_owned();
        // Default sender: the controller's own privacy address when its contact is one (the
        // subject hears from the company they wrote to), else a dsrflow address on the host.
        let controller = &self.settings.controller;
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
            .map_err(|e| anyhow::anyhow!("invalid configuration: mail.from: {e}"))?;
        let mut mailer = dsrflow_mail::Mailer::new(transport, from);
        if let Some(r) = &m.reply_to {
            mailer = mailer.with_reply_to(
                dsrflow_mail::parse_mailbox(r)
                    .map_err(|e| anyhow::anyhow!("invalid configuration: mail.reply_to: {e}"))?,
            );
        }
        if let Some(o) = &m.officer_address {
            dsrflow_domain::SubjectEmail::parse(o)
                .map_err(|e| anyhow::anyhow!("invalid configuration: mail.officer_address: {e}"))?;
        }
        let templates = match &m.templates_dir {
            Some(dir) => dsrflow_mail::Templates::with_override_dir(dir)
                .map_err(|e| anyhow::anyhow!("invalid configuration: mail.templates_dir: {e}"))?,
            None => dsrflow_mail::Templates::embedded()
                .map_err(|e| anyhow::anyhow!("built-in mail templates: {e}"))?,
        };
        Ok((mailer, templates))
    }

    /// The data key: from `security.data_key`, or on SQLite from the key file in the data
    /// directory (created with mode 0600 on first start when `create`; otherwise a missing file
    /// gives a throwaway key, since nothing can have been sealed with a key that never existed).
    pub fn resolve_data_key(&self, create: bool) -> anyhow::Result<DataKey> {
        if let Some(v) = &self.data_key {
            let env = |k: &str| std::env::var(k).ok();
            let raw =
                dsrflow_connectors::config::resolve_secret(v, "data_key", &env).map_err(|e| {
                    anyhow::anyhow!("invalid configuration: security.{}: {}", e.key, e.message)
                })?;
            return DataKey::from_base64(&raw)
                .map_err(|e| anyhow::anyhow!("invalid configuration: security.data_key: {e}"));
        }
        if !self.database_url.starts_with("sqlite:") {
            bail!(
                "invalid configuration: security.data_key: required with PostgreSQL (every node needs the same key): make one with `dsrflow key generate`, export it as DSRFLOW_DATA_KEY and set security.data_key = \"env:DSRFLOW_DATA_KEY\" (or DSRFLOW_SECURITY__DATA_KEY=env:DSRFLOW_DATA_KEY)"
            );
        }
        let path = self.data_dir.join("data.key");
        if path.exists() {
            let raw = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            return DataKey::from_base64(&raw)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
        }
        if !create {
            return Ok(DataKey::generate());
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create {}", self.data_dir.display()))?;
        let key = DataKey::generate();
        write_private(&path, key.to_base64().as_bytes())?;
        tracing::info!(path = %path.display(), "generated a new data key; back it up with the database");
        Ok(key)
    }
}

/// A display name as RFC 5322 wants it: quoted when it holds anything but words.
fn quote_display_name(name: &str) -> String {
    if name.chars().all(|c| c.is_alphanumeric() || c == ' ') {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace(['\\', '"'], ""))
    }
}

/// Creates `path` readable by its owner only (mode 0600), failing if it exists.
#[cfg(unix)]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(bytes)?;
    Ok(())
}

/// Creates `path`, failing if it exists.
#[cfg(not(unix))]
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot create {}", path.display()))
}

/// Command-line overrides.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--database-url` / `DSRFLOW_DATABASE_URL`.
    pub database_url: Option<String>,
    /// `--listen` / `DSRFLOW_LISTEN`.
    pub listen: Option<String>,
}

/// Loads and validates the configuration.
pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Config> {
    validate(load_raw(file, None)?, overrides)
}

/// The file's settings (over the defaults, under the environment), not yet validated; `layer`
/// is a TOML text laid over the file (the demo's data map).
pub fn load_raw(file: Option<&Path>, layer: Option<&str>) -> anyhow::Result<RawConfig> {
    let mut fig = Figment::from(Serialized::defaults(RawConfig::default()));
    if let Some(path) = file {
        if !path.is_file() {
            bail!("configuration file {} does not exist", path.display());
        }
        fig = fig.merge(Toml::file_exact(path));
    }
    if let Some(text) = layer {
        fig = fig.merge(Toml::string(text));
    }
    // Only DSRFLOW_SECTION__KEY variables: DSRFLOW_DATABASE_URL and friends are options.
    fig = fig.merge(
        Env::prefixed("DSRFLOW_")
            .filter(|k| k.as_str().contains("__"))
            .split("__"),
    );
    fig.extract()
        .map_err(|e| anyhow::anyhow!("invalid configuration: {}", describe(e)))
}

fn describe(err: figment::Error) -> String {
    err.into_iter()
        .map(|e| {
            let key = e.path.join(".");
            if key.is_empty() {
                e.kind.to_string()
            } else {
                format!("{key}: {}", e.kind)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Checks every key and builds the [`Config`]; an error names the key.
pub fn validate(raw: RawConfig, overrides: &Overrides) -> anyhow::Result<Config> {
    let listen_raw = overrides.listen.clone().unwrap_or(raw.server.listen);
    let listen: SocketAddr = listen_raw.parse().with_context(|| {
        format!("invalid configuration: server.listen: {listen_raw:?} is not an address like 127.0.0.1:8080")
    })?;
    let public_url = match raw.server.public_url {
        Some(u) => {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                bail!(
                    "invalid configuration: server.public_url: must start with http:// or https://"
                );
            }
            u.trim_end_matches('/').to_owned()
        }
        None => format!("http://{listen}"),
    };
    let database_url = overrides.database_url.clone().unwrap_or(raw.database.url);
    if !(database_url.starts_with("sqlite:")
        || database_url.starts_with("postgres://")
        || database_url.starts_with("postgresql://"))
    {
        bail!("invalid configuration: database.url: must start with sqlite:// or postgres://");
    }
    let regime: Regime = raw
        .controller
        .regime
        .parse()
        .map_err(|e| anyhow::anyhow!("invalid configuration: controller.regime: {e}"))?;
    let time_zone = raw
        .controller
        .time_zone
        .map(|tz| {
            tz.parse::<Tz>().map_err(|_| {
                anyhow::anyhow!(
                    "invalid configuration: controller.time_zone: {tz:?} is not an IANA time zone such as Europe/Brussels"
                )
            })
        })
        .transpose()?;
    let calendar = raw
        .controller
        .calendar
        .map(|c| {
            c.parse::<CalendarCode>()
                .map_err(|e| anyhow::anyhow!("invalid configuration: controller.calendar: {e}"))
        })
        .transpose()?;
    let mut extra_holidays = Vec::new();
    for (i, d) in raw.controller.extra_holidays.iter().enumerate() {
        let day = NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            anyhow::anyhow!(
                "invalid configuration: controller.extra_holidays[{i}]: {d:?} is not a date (YYYY-MM-DD)"
            )
        })?;
        extra_holidays.push(day);
    }
    let mut auto_approve = std::collections::BTreeSet::new();
    for (i, k) in raw.work.auto_approve.iter().enumerate() {
        auto_approve.insert(
            k.parse::<RequestKind>().map_err(|e| {
                anyhow::anyhow!("invalid configuration: work.auto_approve[{i}]: {e}")
            })?,
        );
    }
    if raw.work.max_attempts == 0 {
        bail!("invalid configuration: work.max_attempts: must be at least 1");
    }
    if raw.work.lease_secs < 10 || raw.work.call_timeout_secs == 0 {
        bail!(
            "invalid configuration: work.lease_secs must be at least 10 and work.call_timeout_secs at least 1"
        );
    }
    if !(1..=365).contains(&raw.work.package_ttl_days) {
        bail!("invalid configuration: work.package_ttl_days: must be between 1 and 365");
    }
    if !(1..=256).contains(&raw.work.concurrency) {
        bail!("invalid configuration: work.concurrency: must be between 1 and 256");
    }
    if raw.reminders.days_before.iter().any(|d| *d == 0 || *d > 90) {
        bail!("invalid configuration: reminders.days_before: each must be 1 to 90 days");
    }
    let data_dir = match &raw.server.data_dir {
        Some(d) => PathBuf::from(d),
        None => default_data_dir(&database_url),
    };
    let inbox = inbox_settings(&raw.inbox)?;
    let verification = verification_settings(&raw.verification, &raw.system)?;
    let form = form_settings(&raw.form)?;
    let log_json = match raw.log.format.as_str() {
        "text" => false,
        "json" => true,
        other => bail!("invalid configuration: log.format: {other:?} must be \"text\" or \"json\""),
    };
    Ok(Config {
        listen,
        database_url,
        log_json,
        settings: Settings {
            controller: {
                let d = ControllerSettings::default();
                ControllerSettings {
                    regime,
                    time_zone,
                    calendar,
                    extra_holidays,
                    name: raw.controller.name.unwrap_or(d.name),
                    contact: raw.controller.contact.unwrap_or(d.contact),
                    authority: raw.controller.authority.unwrap_or(d.authority),
                }
            },
            public_url,
            work: WorkSettings {
                max_attempts: raw.work.max_attempts,
                lease: Duration::from_secs(raw.work.lease_secs),
                call_timeout: Duration::from_secs(raw.work.call_timeout_secs),
                auto_approve,
                package_ttl: Duration::from_secs(u64::from(raw.work.package_ttl_days) * 24 * 3600),
            },
            // Replaced by the resolved key before any use (see resolve_data_key).
            data_key: DataKey::generate(),
            officer_address: raw.mail.officer_address.clone(),
            reminders: dsrflow_domain::reminder::ReminderPolicy {
                thresholds: raw.reminders.days_before.clone(),
                extension_warning_days: raw.reminders.extension_warning_days,
            },
            inbox,
            verification,
            form,
            mail_utf8_local_parts: raw.mail.smtputf8.unwrap_or(raw.mail.smtp_url.is_none()),
        },
        data_dir,
        data_key: raw.security.data_key,
        systems: raw.system,
        concurrency: raw.work.concurrency,
        mail: raw.mail.clone(),
        demo: false,
    })
}

/// `sqlite://path/name.db` → `path/name-data`; anything else → `./dsrflow-data`.
pub fn default_data_dir(database_url: &str) -> PathBuf {
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|p| p.split('?').next().unwrap_or(p))
        .filter(|p| !p.is_empty() && !p.contains(":memory:"));
    match path {
        Some(p) => {
            let p = Path::new(p);
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "dsrflow".to_owned());
            p.with_file_name(format!("{stem}-data"))
        }
        None => PathBuf::from("dsrflow-data"),
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use std::io::Write;

    fn load_str(toml: &str) -> anyhow::Result<Config> {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(toml.as_bytes()).unwrap();
        load(Some(f.path()), &Overrides::default())
    }

    #[test]
    fn no_file_gives_the_embedded_defaults() {
        let c = load(None, &Overrides::default()).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://dsrflow.db");
        assert_eq!(c.settings.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.settings.controller.regime, Regime::Gdpr);
    }

    #[test]
    fn a_bad_time_zone_is_named_by_its_key() {
        let err = load_str("[controller]\ntime_zone = \"Europe/Brusels\"\n").unwrap_err();
        assert!(err.to_string().contains("controller.time_zone"), "{err}");
    }

    #[test]
    fn an_unknown_key_is_named() {
        let err = load_str("[server]\nlisten = \"127.0.0.1:9000\"\nlisten_port = 3\n").unwrap_err();
        assert!(err.to_string().contains("listen_port"), "{err}");
    }

    #[test]
    fn a_wrong_type_is_named_by_its_key() {
        let err = load_str("[controller]\nextra_holidays = \"2026-12-24\"\n").unwrap_err();
        assert!(
            err.to_string().contains("controller.extra_holidays"),
            "{err}"
        );
    }

    #[test]
    fn command_line_overrides_win() {
        let c = load(
            None,
            &Overrides {
                database_url: Some("postgres://x@localhost/db".to_owned()),
                listen: Some("127.0.0.1:9999".to_owned()),
            },
        )
        .unwrap();
        assert_eq!(c.database_url, "postgres://x@localhost/db");
        assert_eq!(c.listen.port(), 9999);
    }

    #[test]
    fn the_data_directory_sits_next_to_the_sqlite_file() {
        assert_eq!(
            default_data_dir("sqlite://dsrflow.db"),
            PathBuf::from("dsrflow-data")
        );
        assert_eq!(
            default_data_dir("sqlite:///var/lib/dsr/main.db?mode=rwc"),
            PathBuf::from("/var/lib/dsr/main-data")
        );
        assert_eq!(
            default_data_dir("postgres://x/y"),
            PathBuf::from("dsrflow-data")
        );
    }

    #[test]
    fn a_bad_system_entry_names_the_system_and_key() {
        let c = load_str(
            "[[system]]\nname = \"odoo\"\nkind = \"manual\"\n[[system.purposes]]\nname = \"billing\"\nlegal_basis = \"because\"\n",
        )
        .unwrap();
        let err = c.systems().unwrap_err().to_string();
        assert!(
            err.contains("odoo") && err.contains("purposes[0].legal_basis"),
            "{err}"
        );
        let c = load_str("[[system]]\nname = \"crm\"\nkind = \"manual\"\n").unwrap();
        let err = c.systems().unwrap_err().to_string();
        assert!(err.contains("crm") && err.contains("connection"), "{err}");
        let err = load_str("[[system]]\nname = \"x\"\nkind = \"ftp\"\n").unwrap_err();
        assert!(err.to_string().contains("system"), "{err}");
    }

    #[test]
    fn a_bad_regime_is_named() {
        let err = load_str("[controller]\nregime = \"eu\"\n").unwrap_err();
        assert!(err.to_string().contains("controller.regime"), "{err}");
    }

    #[test]
    fn the_inbox_is_optional_and_validated_key_by_key() {
        assert!(load_str("").unwrap().settings.inbox.is_none());
        // PATH stands in for a password variable that is set.
        let c = load_str(
            "[inbox]\nimap_url = \"imaps://imap.example.org\"\nuser = \"privacy\"\npassword = \"env:PATH\"\npoll_secs = 120\n",
        )
        .unwrap();
        let inbox = c.settings.inbox.unwrap();
        assert_eq!(inbox.imap.port, 993);
        assert_eq!(inbox.imap.folder, "INBOX");
        assert_eq!(inbox.poll_interval, Duration::from_secs(120));
        for (toml, key) in [
            (
                "imap_url = \"imaps://h\"\npassword = \"env:PATH\"",
                "inbox.user",
            ),
            (
                "imap_url = \"imaps://h\"\nuser = \"u\"\npassword = \"hunter2\"",
                "inbox.password",
            ),
            (
                "imap_url = \"imaps://h\"\nuser = \"u\"\npassword = \"env:DSRFLOW_NO_SUCH_VARIABLE\"",
                "inbox.password",
            ),
            (
                "imap_url = \"pop://h\"\nuser = \"u\"\npassword = \"env:PATH\"",
                "inbox.imap_url",
            ),
            (
                "imap_url = \"imaps://h\"\nuser = \"u\"\npassword = \"env:PATH\"\npoll_secs = 5",
                "inbox.poll_secs",
            ),
            (
                "imap_url = \"imaps://h\"\nuser = \"u\"\npassword = \"env:PATH\"\nbatch = 0",
                "inbox.batch",
            ),
            ("imap_urll = \"imaps://h\"", "imap_urll"),
        ] {
            let err = load_str(&format!("[inbox]\n{toml}\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{toml}: {err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn the_form_section_has_defaults_and_names_each_bad_key() {
        let d = load_str("").unwrap().settings.form;
        assert_eq!(d, dsrflow_app::settings::FormSettings::default());
        let dir = tempfile::tempdir().unwrap();
        let c = load_str(&format!(
            "[form]\nenabled = false\norganisation = \"Hostodoo\"\nprimary_color = \"#1F3A5F\"\nlogo_url = \"https://cdn.example.org/logo.svg\"\nrate_limit_per_ip_per_hour = 20\nrate_limit_per_address_per_day = 5\ntrust_forwarded_for = true\ntemplates_dir = {:?}\n",
            dir.path().display().to_string()
        ))
        .unwrap();
        let f = c.settings.form;
        assert!(!f.enabled);
        assert_eq!(f.organisation.as_deref(), Some("Hostodoo"));
        assert_eq!(f.primary_color, "#1f3a5f");
        assert_eq!(f.rate_limit_per_ip_per_hour, 20);
        assert_eq!(f.rate_limit_per_address_per_day, 5);
        assert!(f.trust_forwarded_for);
        assert_eq!(f.templates_dir.as_deref(), Some(dir.path()));
        for (toml, key) in [
            ("primary_color = \"blue\"", "form.primary_color"),
            ("primary_color = \"#ffee00\"", "form.primary_color"),
            ("logo_url = \"javascript:alert(1)\"", "form.logo_url"),
            ("organisation = \"  \"", "form.organisation"),
            ("templates_dir = \"/no/such/folder\"", "form.templates_dir"),
            (
                "rate_limit_per_ip_per_hour = 0",
                "form.rate_limit_per_ip_per_hour",
            ),
            (
                "rate_limit_per_address_per_day = 0",
                "form.rate_limit_per_address_per_day",
            ),
            ("enabled = \"yes\"", "form.enabled"),
            ("colour = \"#000\"", "colour"),
        ] {
            let err = load_str(&format!("[form]\n{toml}\n"))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("invalid configuration: ") && err.contains(key),
                "{toml}: {err}"
            );
        }
    }

    #[test]
    fn verification_is_on_by_default_and_validated_key_by_key() {
        let c = load_str("").unwrap();
        assert!(c.settings.verification.email_link);
        assert!(!c.settings.verification.link_pauses_clock);
        assert_eq!(
            c.settings.verification.close_after,
            Duration::from_secs(14 * 86_400)
        );
        let c = load_str(
            "[verification]\nlink_pauses_clock = true\nlink_ttl_hours = 24\n[[system]]\nname = \"crm\"\nkind = \"manual\"\n[verification.access_check]\nsystem = \"crm\"\nfield = \"zip\"\nlabel = \"your postcode\"\n",
        )
        .unwrap();
        assert!(c.settings.verification.link_pauses_clock);
        assert_eq!(c.settings.verification.access_check.unwrap().field, "zip");
        for (toml, key) in [
            (
                "[verification]\nlink_ttl_hours = 0",
                "verification.link_ttl_hours",
            ),
            (
                "[verification]\nclose_after_days = 0",
                "verification.close_after_days",
            ),
            (
                "[verification]\nclose_after_days = 1\nlink_ttl_hours = 48",
                "verification.close_after_days",
            ),
            (
                "[verification]\ncode_ttl_minutes = 1",
                "verification.code_ttl_minutes",
            ),
            (
                "[verification.access_check]\nsystem = \"nope\"\nfield = \"zip\"\nlabel = \"x\"",
                "verification.access_check.system",
            ),
            ("[verification]\nemail_links = false", "email_links"),
        ] {
            let err = load_str(&format!("{toml}\n")).unwrap_err().to_string();
            assert!(err.contains(key), "{toml}: {err}");
        }
    }
}
