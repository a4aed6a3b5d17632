//! The helpers every connector kind reads its `connection` table with: the error naming the
//! key, `env:VAR` secrets resolved at start-up (never stored), typed parsing. Leaf code: it
//! knows no connector kind (building one is [`crate::registry`]'s).

use serde::de::DeserializeOwned;

/// A configuration error, naming the key under `connection`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("connection.{key}: {message}")]
pub struct BuildError {
    /// The key, relative to `connection`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl BuildError {
    /// An error at `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Reads environment variables; injected so tests never mutate the process environment.
pub type Env<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// Resolves a value that may be an `env:VAR` reference.
pub fn resolve(value: &str, key: &str, env: Env<'_>) -> Result<String, BuildError> {
    match value.strip_prefix("env:") {
        Some(var) => env(var)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| BuildError::new(key, format!("environment variable {var} is not set"))),
        None => Ok(value.to_owned()),
    }
}

/// Resolves a secret, which must be an `env:VAR` reference (secrets never live in the file).
pub fn resolve_secret(value: &str, key: &str, env: Env<'_>) -> Result<String, BuildError> {
    if !value.starts_with("env:") {
        return Err(BuildError::new(
            key,
            "a secret must be given as env:VARIABLE, not written in the configuration",
        ));
    }
    resolve(value, key, env)
}

/// Deserialises a connection table into `T`, naming the bad key on error.
pub fn parse<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, BuildError> {
    serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let path = e.path().to_string();
        BuildError::new(
            if path == "." { String::new() } else { path },
            e.inner().to_string(),
        )
    })
}
