//! `[server]`, `[database]` and `[log]`: where dsrflow listens, the base of its public links,
//! its data directory, its database and how it logs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ConfigError;

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

/// Where dsrflow listens, the base of its links, its database and its data directory.
#[derive(Debug, Clone)]
pub struct Server {
    /// Listen address.
    pub listen: SocketAddr,
    /// Base URL of links sent to people (no trailing slash).
    pub public_url: String,
    /// Database URL.
    pub database_url: String,
    /// Where dsrflow keeps files.
    pub data_dir: PathBuf,
}

/// Checks `[server]` and `[database]`, with the command line's `listen` and `database_url`
/// winning over the file.
pub fn validate(
    server: &ServerSection,
    database: &DatabaseSection,
    listen_override: Option<&str>,
    database_url_override: Option<&str>,
) -> Result<Server, ConfigError> {
    let listen_raw = listen_override.unwrap_or(&server.listen);
    let listen: SocketAddr = listen_raw.parse().map_err(|_| {
        ConfigError::new(
            "server.listen",
            format!("{listen_raw:?} is not an address like 127.0.0.1:8080"),
        )
    })?;
    let public_url = match &server.public_url {
        Some(u) => {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(ConfigError::new(
                    "server.public_url",
                    "must start with http:// or https://",
                ));
            }
            u.trim_end_matches('/').to_owned()
        }
        None => format!("http://{listen}"),
    };
    let database_url = database_url_override.unwrap_or(&database.url).to_owned();
    if !(database_url.starts_with("sqlite:")
        || database_url.starts_with("postgres://")
        || database_url.starts_with("postgresql://"))
    {
        return Err(ConfigError::new(
            "database.url",
            "must start with sqlite:// or postgres://",
        ));
    }
    let data_dir = match &server.data_dir {
        Some(d) => PathBuf::from(d),
        None => default_data_dir(&database_url),
    };
    Ok(Server {
        listen,
        public_url,
        database_url,
        data_dir,
    })
}

/// Checks `[log]`: whether logs are JSON lines.
pub fn log_json(raw: &LogSection) -> Result<bool, ConfigError> {
    match raw.format.as_str() {
        "text" => Ok(false),
        "json" => Ok(true),
        other => Err(ConfigError::new(
            "log.format",
            format!("{other:?} must be \"text\" or \"json\""),
        )),
    }
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
