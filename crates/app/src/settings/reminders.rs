//! `[reminders]`: when the officer hears about deadlines.

use dsrflow_domain::reminder::ReminderPolicy;
use serde::{Deserialize, Serialize};

use super::ConfigError;

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

/// Checks `[reminders]`.
pub fn validate(raw: &RemindersSection) -> Result<ReminderPolicy, ConfigError> {
    if raw.days_before.iter().any(|d| *d == 0 || *d > 90) {
        return Err(ConfigError::new(
            "reminders.days_before",
            "each must be 1 to 90 days",
        ));
    }
    Ok(ReminderPolicy {
        thresholds: raw.days_before.clone(),
        extension_warning_days: raw.extension_warning_days,
    })
}
