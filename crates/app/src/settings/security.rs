//! `[security]`: the data key that seals what dsrflow keeps encrypted, from the environment
//! or (SQLite only) a key file next to the database.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::crypto::DataKey;

/// `[security]`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySection {
    /// The data key (32 bytes, base64) as `env:VAR`. Default on SQLite: a key file in the data
    /// directory, created on first start. Required on PostgreSQL (every node needs the same key).
    pub data_key: Option<String>,
}

/// The data key: from `security.data_key`, or on SQLite from the key file in `data_dir`
/// (created with mode 0600 when `create`; otherwise a missing file gives a throwaway key,
/// since nothing can have been sealed with a key that never existed).
pub fn data_key(
    raw: &SecuritySection,
    database_url: &str,
    data_dir: &Path,
    create: bool,
) -> Result<DataKey, ConfigError> {
    if let Some(v) = &raw.data_key {
        let env = |k: &str| std::env::var(k).ok();
        let secret = dsrflow_connectors::config::resolve_secret(v, "data_key", &env)
            .map_err(|e| ConfigError::new(format!("security.{}", e.key), e.message))?;
        return DataKey::from_base64(&secret)
            .map_err(|e| ConfigError::new("security.data_key", e.to_string()));
    }
    if !database_url.starts_with("sqlite:") {
        return Err(ConfigError::new(
            "security.data_key",
            "required with PostgreSQL (every node needs the same key): make one with `dsrflow key generate`, export it as DSRFLOW_DATA_KEY and set security.data_key = \"env:DSRFLOW_DATA_KEY\" (or DSRFLOW_SECURITY__DATA_KEY=env:DSRFLOW_DATA_KEY)",
        ));
    }
    let path = data_dir.join("data.key");
    let file_error = |e: &dyn std::fmt::Display| {
        ConfigError::new("security.data_key", format!("{}: {e}", path.display()))
    };
    if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(|e| file_error(&e))?;
        return DataKey::from_base64(&text).map_err(|e| file_error(&e));
    }
    if !create {
        return Ok(DataKey::generate());
    }
    std::fs::create_dir_all(data_dir).map_err(|e| file_error(&e))?;
    let key = DataKey::generate();
    write_private(&path, key.to_base64().as_bytes()).map_err(|e| file_error(&e))?;
    tracing::info!(path = %path.display(), "generated a new data key; back it up with the database");
    Ok(key)
}

/// Creates `path` readable by its owner only (mode 0600), failing if it exists.
#[cfg(unix)]
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

/// Creates `path`, failing if it exists.
#[cfg(not(unix))]
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?
        .write_all(bytes)
}
