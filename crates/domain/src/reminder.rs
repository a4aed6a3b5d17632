//! Which deadline notices the compliance officer is due for a request: reminders at configured
//! points before the deadline, an escalation once it is overdue, and a warning before the last
//! day an extension can still be announced (GDPR Art. 12(3)).
//!
//! Pure: the sweep passes `now` and the request's dates; it decides what to send, the outbox
//! (with one dedupe key per request and notice) makes each one go out once.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// When to remind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderPolicy {
    /// Days before the deadline at which to remind, e.g. 14, 7, 3, 1.
    pub thresholds: Vec<u32>,
    /// Days before the extension-notice deadline at which to warn that the window closes.
    pub extension_warning_days: u32,
}

impl Default for ReminderPolicy {
    fn default() -> Self {
        Self {
            thresholds: vec![14, 7, 3, 1],
            extension_warning_days: 3,
        }
    }
}

/// A notice due to the officer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Notice {
    /// The deadline is `threshold` days away or less.
    Reminder {
        /// The threshold crossed.
        threshold: u32,
        /// Days left (0 on the deadline day).
        days_left: i64,
    },
    /// The period ended without an answer.
    Overdue {
        /// Days past the deadline.
        days_over: i64,
    },
    /// The last day to announce an extension is near (and none was announced).
    ExtensionWindowClosing {
        /// Days left to announce it (0 on the last day).
        days_left: i64,
    },
}

impl Notice {
    /// A key unique per request and notice, so each is sent once.
    pub fn dedupe_suffix(&self) -> String {
        match self {
            Notice::Reminder { threshold, .. } => format!("reminder:{threshold}"),
            Notice::Overdue { .. } => "overdue".to_owned(),
            Notice::ExtensionWindowClosing { .. } => "extension-window".to_owned(),
        }
    }
}

/// The dates of one open request that matter for notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestDates {
    /// The deadline day (local).
    pub deadline: NaiveDate,
    /// The instant the period ends.
    pub due_at: DateTime<Utc>,
    /// The last day to announce an extension, when one is possible and not yet taken.
    pub extension_notice_by: Option<NaiveDate>,
}

/// The notices due for a request on `today` (the controller's local date) at `now`.
///
/// Only the tightest reminder band applies: a request found 5 days before its deadline gets
/// the 7-day reminder, not the 14-day one too.
pub fn due(
    policy: &ReminderPolicy,
    dates: &RequestDates,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Vec<Notice> {
    let mut out = Vec::new();
    if now >= dates.due_at {
        out.push(Notice::Overdue {
            days_over: (today - dates.deadline).num_days().max(0),
        });
        return out;
    }
    let days_left = (dates.deadline - today).num_days();
    if let Some(threshold) = policy
        .thresholds
        .iter()
        .copied()
        .filter(|t| i64::from(*t) >= days_left)
        .min()
    {
        out.push(Notice::Reminder {
            threshold,
            days_left,
        });
    }
    if let Some(by) = dates.extension_notice_by {
        let left = (by - today).num_days();
        if (0..=i64::from(policy.extension_warning_days)).contains(&left) {
            out.push(Notice::ExtensionWindowClosing { days_left: left });
        }
    }
    out
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn dates() -> RequestDates {
        RequestDates {
            deadline: d("2026-03-31"),
            due_at: t("2026-03-31T22:00:00Z"),
            extension_notice_by: Some(d("2026-03-31")),
        }
    }

    #[test]
    fn nothing_is_due_far_from_the_deadline() {
        let p = ReminderPolicy::default();
        assert!(due(&p, &dates(), d("2026-03-01"), t("2026-03-01T09:00:00Z")).is_empty());
    }

    #[test]
    fn the_tightest_band_applies() {
        let p = ReminderPolicy::default();
        assert_eq!(
            due(&p, &dates(), d("2026-03-17"), t("2026-03-17T09:00:00Z")),
            vec![Notice::Reminder {
                threshold: 14,
                days_left: 14
            }]
        );
        assert_eq!(
            due(&p, &dates(), d("2026-03-26"), t("2026-03-26T09:00:00Z")),
            vec![Notice::Reminder {
                threshold: 7,
                days_left: 5
            }]
        );
    }

    #[test]
    fn the_extension_window_warning_comes_with_the_last_reminders() {
        let p = ReminderPolicy::default();
        let n = due(&p, &dates(), d("2026-03-30"), t("2026-03-30T09:00:00Z"));
        assert!(n.contains(&Notice::Reminder {
            threshold: 1,
            days_left: 1
        }));
        assert!(n.contains(&Notice::ExtensionWindowClosing { days_left: 1 }));
    }

    #[test]
    fn an_overdue_request_escalates_only() {
        let p = ReminderPolicy::default();
        assert_eq!(
            due(&p, &dates(), d("2026-04-02"), t("2026-04-02T09:00:00Z")),
            vec![Notice::Overdue { days_over: 2 }]
        );
        // The deadline day itself is not overdue until its end.
        assert_eq!(
            due(&p, &dates(), d("2026-03-31"), t("2026-03-31T21:59:59Z")),
            vec![
                Notice::Reminder {
                    threshold: 1,
                    days_left: 0
                },
                Notice::ExtensionWindowClosing { days_left: 0 }
            ]
        );
    }

    #[test]
    fn dedupe_keys_differ_per_notice() {
        let a = Notice::Reminder {
            threshold: 7,
            days_left: 5,
        }
        .dedupe_suffix();
        let b = Notice::Reminder {
            threshold: 3,
            days_left: 2,
        }
        .dedupe_suffix();
        assert_ne!(a, b);
        assert_eq!(Notice::Overdue { days_over: 1 }.dedupe_suffix(), "overdue");
    }
}
