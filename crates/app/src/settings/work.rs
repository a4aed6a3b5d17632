//! `[work]`: how background work behaves (attempts, leases, timeouts, automatic approval,
//! concurrency, how long packages stay).

use std::collections::BTreeSet;
use std::time::Duration;

use dsrflow_domain::RequestKind;
use serde::{Deserialize, Serialize};

use super::ConfigError;

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
        let d = WorkSettings::default();
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

/// How background work behaves.
#[derive(Debug, Clone)]
pub struct WorkSettings {
    /// Attempts of a task before it fails for good.
    pub max_attempts: u32,
    /// How long a worker holds a task before another may take it over.
    pub lease: std::time::Duration,
    /// Longest a single connector call may take.
    pub call_timeout: std::time::Duration,
    /// Request kinds whose answer needs no officer review when every task ended well.
    pub auto_approve: BTreeSet<RequestKind>,
    /// How long a delivered access package stays downloadable before it is deleted.
    pub package_ttl: std::time::Duration,
}

impl Default for WorkSettings {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            lease: std::time::Duration::from_secs(15 * 60),
            call_timeout: std::time::Duration::from_secs(5 * 60),
            auto_approve: BTreeSet::new(),
            package_ttl: std::time::Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// Checks `[work]`; the settings and the worker concurrency.
pub fn validate(raw: &WorkSection) -> Result<(WorkSettings, usize), ConfigError> {
    let mut auto_approve = BTreeSet::new();
    for (i, k) in raw.auto_approve.iter().enumerate() {
        auto_approve.insert(
            k.parse::<RequestKind>()
                .map_err(|e| ConfigError::new(format!("work.auto_approve[{i}]"), e.to_string()))?,
        );
    }
    if raw.max_attempts == 0 {
        return Err(ConfigError::new("work.max_attempts", "must be at least 1"));
    }
    if raw.lease_secs < 10 {
        return Err(ConfigError::new("work.lease_secs", "must be at least 10"));
    }
    if raw.call_timeout_secs == 0 {
        return Err(ConfigError::new(
            "work.call_timeout_secs",
            "must be at least 1",
        ));
    }
    if !(1..=365).contains(&raw.package_ttl_days) {
        return Err(ConfigError::new(
            "work.package_ttl_days",
            "must be between 1 and 365",
        ));
    }
    if !(1..=256).contains(&raw.concurrency) {
        return Err(ConfigError::new(
            "work.concurrency",
            "must be between 1 and 256",
        ));
    }
    Ok((
        WorkSettings {
            max_attempts: raw.max_attempts,
            lease: Duration::from_secs(raw.lease_secs),
            call_timeout: Duration::from_secs(raw.call_timeout_secs),
            auto_approve,
            package_ttl: Duration::from_secs(u64::from(raw.package_ttl_days) * 24 * 3600),
        },
        raw.concurrency,
    ))
}
