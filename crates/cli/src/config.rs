//! Configuration: defaults < TOML file < `DSRFLOW_SECTION__KEY` environment variables <
//! command-line options (`--database-url`/`DSRFLOW_DATABASE_URL`, `--listen`/`DSRFLOW_LISTEN`).
//!
//! This file loads and layers; each section's shape, checks and validated type are in
//! `dsrflow_app::settings` (one file per section). Everything is validated at start-up; an
//! error names the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::bail;
use dsrflow_app::Settings;
use dsrflow_app::crypto::DataKey;
pub use dsrflow_app::settings::security::write_private;
pub use dsrflow_app::settings::{DEFAULT_WORK_CONCURRENCY, MailSection, RawConfig};
use dsrflow_app::settings::{
    controller, form, inbox, mail, reminders, security, server, verification, work,
};
use dsrflow_app::systems::{RecipientConfig, SystemConfig, Systems};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};

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
    /// `[security]`, unresolved.
    pub security: dsrflow_app::settings::SecuritySection,
    /// The `[[system]]` entries (validated by [`Config::systems`]).
    pub systems: Vec<SystemConfig>,
    /// The `[[recipient]]` entries.
    pub recipients: Vec<RecipientConfig>,
    /// Worker concurrency.
    pub concurrency: usize,
    /// `[mail]`, unresolved.
    pub mail: MailSection,
    /// Connector secrets served from memory before the environment is read: the built-in
    /// demo's, which its in-process stand-ins accept (empty otherwise).
    pub secrets: std::collections::BTreeMap<&'static str, String>,
}

impl Config {
    /// Builds the data map and connectors; an error names the system and key.
    pub fn systems(&self) -> anyhow::Result<Systems> {
        let env = |k: &str| {
            std::env::var(k)
                .ok()
                .or_else(|| self.secrets.get(k).cloned())
        };
        Systems::from_config(&self.systems, &self.recipients, &env)
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))
    }

    /// The mailer and templates: SMTP when `mail.smtp_url` is set, else `.eml` files in
    /// `<data_dir>/mail`; errors name the key.
    pub fn mail(&self) -> anyhow::Result<(dsrflow_mail::Mailer, dsrflow_mail::Templates)> {
        Ok(mail::build(
            &self.mail,
            &self.data_dir,
            &self.settings.public_url,
            &self.settings.controller,
        )?)
    }

    /// The data key (see [`security::data_key`]); `create` lets a missing SQLite key file be
    /// made.
    pub fn resolve_data_key(&self, create: bool) -> anyhow::Result<DataKey> {
        Ok(security::data_key(
            &self.security,
            &self.database_url,
            &self.data_dir,
            create,
        )?)
    }
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

/// Checks every section and builds the [`Config`]; an error names the key.
pub fn validate(raw: RawConfig, overrides: &Overrides) -> anyhow::Result<Config> {
    let srv = server::validate(
        &raw.server,
        &raw.database,
        overrides.listen.as_deref(),
        overrides.database_url.as_deref(),
    )?;
    let controller = controller::validate(&raw.controller)?;
    let (work, concurrency) = work::validate(&raw.work)?;
    let reminders = reminders::validate(&raw.reminders)?;
    let inbox = inbox::validate(&raw.inbox)?;
    let verification = verification::validate(&raw.verification, &raw.system)?;
    let form = form::validate(&raw.form)?;
    let log_json = server::log_json(&raw.log)?;
    Ok(Config {
        listen: srv.listen,
        database_url: srv.database_url,
        log_json,
        settings: Settings {
            controller,
            public_url: srv.public_url,
            work,
            // Replaced by the resolved key before any use (see resolve_data_key).
            data_key: DataKey::generate(),
            officer_address: raw.mail.officer_address.clone(),
            reminders,
            inbox,
            verification,
            form,
            mail_utf8_local_parts: mail::utf8_local_parts(&raw.mail),
            customers: dsrflow_app::settings::customers::validate(&raw.customer)?,
        },
        data_dir: srv.data_dir,
        security: raw.security,
        systems: raw.system,
        recipients: raw.recipient,
        concurrency,
        mail: raw.mail,
        secrets: Default::default(),
    })
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use dsrflow_app::settings::server::default_data_dir;
    use dsrflow_domain::Regime;
    use std::io::Write;
    use std::time::Duration;

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
        let c = load_str(
            "[[system]]\nname = \"nas\"\nkind = \"manual\"\nbackups = { rotate_days = 0 }\n[system.connection]\nowner = \"IT\"\n",
        )
        .unwrap();
        let err = c.systems().unwrap_err().to_string();
        assert!(
            err.contains("nas") && err.contains("backups.rotate_days"),
            "{err}"
        );
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
