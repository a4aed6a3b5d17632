//! Per-system work of a request: what is done in one system (the action) and where it stands
//! (the task status of DESIGN.md §3).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "persistence",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
)]
#[cfg_attr(
    feature = "persistence",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::N(24))"
    )
)]
pub enum TaskStatus {
    /// Created, not started.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "pending"))]
    Pending,
    /// A worker holds it (or a processor is working on it and will be asked again).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "running"))]
    Running,
    /// Done: data collected, erased, opted out or notified.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "succeeded"))]
    Succeeded,
    /// The system holds nothing about the subject.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "not_found"))]
    NotFound,
    /// Kept under a retention rule (Art. 17(3)); the rule is in the outcome.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "retained"))]
    Retained,
    /// A transient failure; another attempt is scheduled.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "retrying"))]
    Retrying,
    /// A permanent failure, or attempts exhausted; the error is recorded.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "failed"))]
    Failed,
    /// A person or a processor must act; completed from the API or dashboard.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "awaiting_manual"))]
    AwaitingManual,
    /// Not applicable (e.g. the request was closed before it ran).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "skipped"))]
    Skipped,
}

impl TaskStatus {
    /// Every status.
    pub const ALL: [TaskStatus; 9] = [
        TaskStatus::Pending,
        TaskStatus::Running,
        TaskStatus::Succeeded,
        TaskStatus::NotFound,
        TaskStatus::Retained,
        TaskStatus::Retrying,
        TaskStatus::Failed,
        TaskStatus::AwaitingManual,
        TaskStatus::Skipped,
    ];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Running => "running",
            TaskStatus::Succeeded => "succeeded",
            TaskStatus::NotFound => "not_found",
            TaskStatus::Retained => "retained",
            TaskStatus::Retrying => "retrying",
            TaskStatus::Failed => "failed",
            TaskStatus::AwaitingManual => "awaiting_manual",
            TaskStatus::Skipped => "skipped",
        }
    }

    /// Whether nothing more will happen to the task by itself.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TaskStatus::Succeeded
                | TaskStatus::NotFound
                | TaskStatus::Retained
                | TaskStatus::Failed
                | TaskStatus::Skipped
        )
    }

    /// Whether the task ended well (the subject's right was served in this system).
    pub fn is_success(self) -> bool {
        matches!(
            self,
            TaskStatus::Succeeded | TaskStatus::NotFound | TaskStatus::Retained
        )
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TaskStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TaskStatus::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown task status {:?}",
                    s.chars().take(40).collect::<String>()
                )
            })
    }
}

/// What a task does in one system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "persistence",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
)]
#[cfg_attr(
    feature = "persistence",
    sea_orm(
        rs_type = "String",
        db_type = "String(sea_orm::sea_query::StringLen::N(24))"
    )
)]
pub enum TaskAction {
    /// Collect the subject's data (Art. 15, Art. 20).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "access"))]
    Access,
    /// Erase or anonymise, keeping what a retention rule requires (Art. 17).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "erase"))]
    Erase,
    /// Stop direct marketing or consent-based processing (Art. 21(3), Art. 7(3)).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "opt_out"))]
    OptOut,
    /// Restrict processing (Art. 18), also while an objection is weighed (Art. 18(1)(d)).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "restrict"))]
    Restrict,
    /// Correct inaccurate data (Art. 16).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "rectify"))]
    Rectify,
    /// Tell a recipient about an erasure, rectification or restriction (Art. 19).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "notify"))]
    Notify,
    /// The officer weighs an objection to legitimate-interest processing (Art. 21(1)).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "decide"))]
    Decide,
    /// Lift the restriction applied while an objection was weighed, once the subject has been
    /// told it was not upheld (Art. 18(3)). It runs after the request is answered.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "lift"))]
    Lift,
}

impl TaskAction {
    /// What a person is asked to do when this action is theirs for a request of `kind` (a
    /// manual task, or a system without the configuration for it).
    pub fn instructions(self, kind: crate::RequestKind) -> &'static str {
        use crate::RequestKind as K;
        match self {
            // Withdrawing consent ends what rests on consent, not only marketing: tracking and
            // session recordings too, and what they collected goes (Art. 7(3), Art. 17(1)(b)).
            TaskAction::OptOut if kind == K::ConsentWithdrawal => {
                "stop at once every use of the subject's data that rests on their consent (marketing, tracking, session recordings), and delete what was collected on that basis (for example session recordings), unless another legal basis applies; note what was stopped and deleted"
            }
            TaskAction::Access => "collect the subject's data and attach it (or note where it is)",
            TaskAction::Erase => {
                "erase the subject's data, keeping only what a retention rule requires; note what was kept and why"
            }
            TaskAction::OptOut => {
                "stop all direct marketing to the subject at once (an objection to it is absolute, GDPR Art. 21(3))"
            }
            TaskAction::Restrict => "restrict processing of the subject's data (store only)",
            TaskAction::Rectify => "correct the subject's data as described in the request",
            TaskAction::Notify => {
                "tell this recipient about the erasure, rectification or restriction (GDPR Art. 19)"
            }
            TaskAction::Decide => {
                "weigh the objection against the legitimate interests (GDPR Art. 21(1)); uphold or reject with reasons"
            }
            TaskAction::Lift => {
                "lift the restriction of processing applied while the subject's objection was weighed: it was not upheld, and the subject has been told (GDPR Art. 18(3))"
            }
        }
    }

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskAction::Access => "access",
            TaskAction::Erase => "erase",
            TaskAction::OptOut => "opt_out",
            TaskAction::Restrict => "restrict",
            TaskAction::Rectify => "rectify",
            TaskAction::Notify => "notify",
            TaskAction::Decide => "decide",
            TaskAction::Lift => "lift",
        }
    }

    /// Whether the task runs after its request is answered (and so may be claimed while the
    /// request is final): lifting a restriction only once the subject was told (Art. 18(3)).
    pub fn runs_after_answer(self) -> bool {
        self == TaskAction::Lift
    }
}

impl fmt::Display for TaskAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a task is taken up by a worker, when it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// A new attempt (pending, or retrying and its time has come): the attempt is counted.
    Attempt,
    /// It was running with a processor's reference and the lease expired: the processor is
    /// asked again (the attempt is not counted).
    Poll,
    /// It was running without one and the lease expired: the worker that held it died mid-call
    /// (an interrupted attempt, counted anew).
    Interrupted,
}

/// Whether a task may be claimed at `now`, and how: pending or retrying once its next attempt
/// time has passed, running once its lease expired; never while its request is final, unless
/// the task is one that runs after the answer ([`TaskAction::runs_after_answer`]: pass
/// `request_final` false for it). The PostgreSQL claim (`store::tasks::claim_many`) states the
/// same rule in SQL.
pub fn claim(
    status: TaskStatus,
    next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    lease_until: Option<chrono::DateTime<chrono::Utc>>,
    has_external_ref: bool,
    request_final: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Claim> {
    if request_final {
        return None;
    }
    match status {
        TaskStatus::Pending | TaskStatus::Retrying => next_attempt_at
            .is_none_or(|at| at <= now)
            .then_some(Claim::Attempt),
        TaskStatus::Running if lease_until.is_none_or(|l| l <= now) => Some(if has_external_ref {
            Claim::Poll
        } else {
            Claim::Interrupted
        }),
        _ => None,
    }
}

/// Capped exponential backoff for transient failures: 30 s, 1 min, 2 min … up to 1 h, or longer
/// when the processor asked for it (`Retry-After`).
pub fn retry_delay_secs(attempt: u32, retry_after_secs: Option<u64>) -> u64 {
    const BASE: u64 = 30;
    const CAP: u64 = 3600;
    let exp = BASE.saturating_mul(1u64 << attempt.saturating_sub(1).min(20));
    exp.min(CAP)
        .max(retry_after_secs.unwrap_or(0).min(24 * 3600))
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn final_statuses_are_exactly_the_five_terminal_ones() {
        let finals: Vec<_> = TaskStatus::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(
            finals,
            vec![
                TaskStatus::Succeeded,
                TaskStatus::NotFound,
                TaskStatus::Retained,
                TaskStatus::Failed,
                TaskStatus::Skipped
            ]
        );
        assert!(!TaskStatus::Failed.is_success());
        assert!(TaskStatus::Retained.is_success());
    }

    #[test]
    fn a_task_is_claimed_when_due_and_never_for_a_final_request() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z")
            .unwrap()
            .to_utc();
        let past = Some(now - chrono::TimeDelta::seconds(1));
        let future = Some(now + chrono::TimeDelta::seconds(1));
        use TaskStatus::*;
        assert_eq!(
            claim(Pending, None, None, false, false, now),
            Some(Claim::Attempt)
        );
        assert_eq!(
            claim(Retrying, past, None, false, false, now),
            Some(Claim::Attempt)
        );
        assert_eq!(claim(Retrying, future, None, false, false, now), None);
        assert_eq!(claim(Running, None, future, false, false, now), None);
        assert_eq!(
            claim(Running, None, past, true, false, now),
            Some(Claim::Poll)
        );
        assert_eq!(
            claim(Running, None, past, false, false, now),
            Some(Claim::Interrupted)
        );
        assert_eq!(claim(Pending, None, None, false, true, now), None);
        for s in [
            AwaitingManual,
            Succeeded,
            NotFound,
            Retained,
            Failed,
            Skipped,
        ] {
            assert_eq!(claim(s, None, None, false, false, now), None, "{s}");
        }
    }

    #[test]
    fn a_consent_withdrawal_asks_for_more_than_stopping_marketing() {
        use crate::RequestKind;
        let consent = TaskAction::OptOut.instructions(RequestKind::ConsentWithdrawal);
        assert!(consent.contains("rests on their consent"), "{consent}");
        assert!(consent.contains("session recordings"), "{consent}");
        assert!(
            !consent.contains("direct marketing to the subject"),
            "{consent}"
        );
        let objection = TaskAction::OptOut.instructions(RequestKind::Objection);
        assert!(
            objection.contains("stop all direct marketing"),
            "{objection}"
        );
        assert!(objection.contains("Art. 21(3)"), "{objection}");
        for kind in RequestKind::ALL {
            assert!(!TaskAction::Erase.instructions(kind).is_empty());
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(retry_delay_secs(1, None), 30);
        assert_eq!(retry_delay_secs(2, None), 60);
        assert_eq!(retry_delay_secs(3, None), 120);
        assert_eq!(retry_delay_secs(10, None), 3600);
        assert_eq!(retry_delay_secs(60, None), 3600);
    }

    #[test]
    fn retry_after_is_honoured_but_bounded() {
        assert_eq!(retry_delay_secs(1, Some(600)), 600);
        assert_eq!(retry_delay_secs(1, Some(5)), 30);
        assert_eq!(retry_delay_secs(1, Some(10_000_000)), 24 * 3600);
    }
}
