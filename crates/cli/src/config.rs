//! Configuration: defaults < TOML file < `DSRFLOW_SECTION__KEY` environment variables <
//! command-line options (`--database-url`/`DSRFLOW_DATABASE_URL`, `--listen`/`DSRFLOW_LISTEN`).
//! Everything is validated at start-up; an error names the key.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use chrono_tz::Tz;
use dsrflow_app::Settings;
use dsrflow_app::settings::ControllerSettings;
use dsrflow_domain::{CalendarCode, Regime};
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
}

/// `[server]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Address to listen on.
    pub listen: String,
    /// Public base URL for links in mail; default `http://` + listen.
    pub public_url: Option<String>,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".to_owned(),
            public_url: None,
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
            url: dsrflow_app::store::DEFAULT_DATABASE_URL.to_owned(),
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
}

impl Default for ControllerSection {
    fn default() -> Self {
        Self {
            regime: "gdpr".to_owned(),
            time_zone: None,
            calendar: None,
            extra_holidays: Vec::new(),
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
    /// Use-case settings.
    pub settings: Settings,
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
    let mut fig = Figment::from(Serialized::defaults(RawConfig::default()));
    if let Some(path) = file {
        if !path.is_file() {
            bail!("configuration file {} does not exist", path.display());
        }
        fig = fig.merge(Toml::file_exact(path));
    }
    // Only DSRFLOW_SECTION__KEY variables: DSRFLOW_DATABASE_URL and friends are options.
    fig = fig.merge(
        Env::prefixed("DSRFLOW_")
            .filter(|k| k.as_str().contains("__"))
            .split("__"),
    );
    let raw: RawConfig = fig
        .extract()
        .map_err(|e| anyhow::anyhow!("invalid configuration: {}", describe(e)))?;
    validate(raw, overrides)
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

fn validate(raw: RawConfig, overrides: &Overrides) -> anyhow::Result<Config> {
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
            controller: ControllerSettings {
                regime,
                time_zone,
                calendar,
                extra_holidays,
            },
            public_url,
        },
    })
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
    fn a_bad_regime_is_named() {
        let err = load_str("[controller]\nregime = \"eu\"\n").unwrap_err();
        assert!(err.to_string().contains("controller.regime"), "{err}");
    }
}
