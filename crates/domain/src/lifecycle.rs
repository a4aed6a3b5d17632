//! The request lifecycle of DESIGN.md §3: one status, flags beside it (extension, pauses,
//! forwarding), and one transition function.
//!
//! ```text
//! received ──► awaiting_verification ──► in_progress ──► awaiting_review ──► completed
//!     │               │                      │                 │             partially_completed
//!     └──► denied / withdrawn / closed_unidentified ◄──────────┘             denied, withdrawn …
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Where a request stands. Final statuses accept no further event.
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
        db_type = "String(sea_orm::sea_query::StringLen::N(32))"
    )
)]
pub enum RequestStatus {
    /// Taken in; nothing decided yet.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "received"))]
    Received,
    /// Waiting for the requester to prove who they are.
    #[cfg_attr(
        feature = "persistence",
        sea_orm(string_value = "awaiting_verification")
    )]
    AwaitingVerification,
    /// Work fanned out to the systems that hold the data.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "in_progress"))]
    InProgress,
    /// Every system answered; the officer reviews the answer.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "awaiting_review"))]
    AwaitingReview,
    /// Answered in full.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "completed"))]
    Completed,
    /// Answered, with some part refused or impossible (stated in the answer).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "partially_completed"))]
    PartiallyCompleted,
    /// Refused with reasons (Art. 12(4)).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "denied"))]
    Denied,
    /// Withdrawn by the requester.
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "withdrawn"))]
    Withdrawn,
    /// Closed because the requester never proved who they are (Art. 11(2), 12(2)).
    #[cfg_attr(feature = "persistence", sea_orm(string_value = "closed_unidentified"))]
    ClosedUnidentified,
}

impl RequestStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [RequestStatus; 9] = [
        RequestStatus::Received,
        RequestStatus::AwaitingVerification,
        RequestStatus::InProgress,
        RequestStatus::AwaitingReview,
        RequestStatus::Completed,
        RequestStatus::PartiallyCompleted,
        RequestStatus::Denied,
        RequestStatus::Withdrawn,
        RequestStatus::ClosedUnidentified,
    ];

    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Received => "received",
            RequestStatus::AwaitingVerification => "awaiting_verification",
            RequestStatus::InProgress => "in_progress",
            RequestStatus::AwaitingReview => "awaiting_review",
            RequestStatus::Completed => "completed",
            RequestStatus::PartiallyCompleted => "partially_completed",
            RequestStatus::Denied => "denied",
            RequestStatus::Withdrawn => "withdrawn",
            RequestStatus::ClosedUnidentified => "closed_unidentified",
        }
    }

    /// The status in words, completing "it is …" in messages to people (`awaiting review`).
    pub fn words(self) -> &'static str {
        match self {
            RequestStatus::Received => "newly received",
            RequestStatus::AwaitingVerification => "awaiting the requester's confirmation",
            RequestStatus::InProgress => "in progress",
            RequestStatus::AwaitingReview => "awaiting review",
            RequestStatus::Completed => "completed",
            RequestStatus::PartiallyCompleted => "partially completed",
            RequestStatus::Denied => "denied",
            RequestStatus::Withdrawn => "withdrawn",
            RequestStatus::ClosedUnidentified => {
                "closed because the requester was never identified"
            }
        }
    }

    /// Whether the request is closed for good.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RequestStatus::Completed
                | RequestStatus::PartiallyCompleted
                | RequestStatus::Denied
                | RequestStatus::Withdrawn
                | RequestStatus::ClosedUnidentified
        )
    }

    /// The status an event leads to, or why it cannot happen now.
    ///
    /// This is the one place where the status graph is defined; flags (extension, pauses) are
    /// handled by [`Lifecycle::apply`], which calls this first.
    pub fn apply(self, event: &Event) -> Result<RequestStatus, InvalidTransition> {
        use RequestStatus as S;
        let next = match (self, event) {
            (s, _) if s.is_final() => None,
            (S::Received | S::InProgress, Event::RequestIdentity { .. }) => {
                Some(S::AwaitingVerification)
            }
            (S::Received | S::AwaitingVerification, Event::IdentityVerified) => Some(S::InProgress),
            (S::InProgress, Event::TasksSettled) => Some(S::AwaitingReview),
            (S::AwaitingReview, Event::Reopen) => Some(S::InProgress),
            (S::AwaitingReview, Event::Approve { partial: false }) => Some(S::Completed),
            (S::AwaitingReview, Event::Approve { partial: true }) => Some(S::PartiallyCompleted),
            (_, Event::Deny { .. }) => Some(S::Denied),
            (_, Event::Withdraw) => Some(S::Withdrawn),
            (S::Received | S::AwaitingVerification, Event::VerificationLapsed) => {
                Some(S::ClosedUnidentified)
            }
            (_, Event::Extend { .. }) => Some(self),
            // The company only processes this data for a customer: the request is answered by
            // forwarding it to that controller and telling the subject.
            (_, Event::Forward { .. }) => Some(S::Completed),
            _ => None,
        };
        next.ok_or(InvalidTransition {
            from: self,
            event: event.name(),
            action: event.words(),
        })
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown status name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status {0:?}")]
pub struct StatusParseError(pub String);

impl FromStr for RequestStatus {
    type Err = StatusParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RequestStatus::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| StatusParseError(s.chars().take(40).collect()))
    }
}

/// A free-text reason an officer gives (extension, refusal, override): trimmed, 3–2000 chars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Reason(String);

/// Why a reason was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReasonError {
    /// Shorter than 3 characters after trimming.
    #[error("a reason is required (at least 3 characters)")]
    Missing,
    /// Longer than 2000 characters.
    #[error("a reason must be at most 2000 characters")]
    TooLong,
}

impl Reason {
    /// Parses a reason.
    pub fn parse(raw: &str) -> Result<Self, ReasonError> {
        let value = raw.trim();
        let len = value.chars().count();
        if len < 3 {
            return Err(ReasonError::Missing);
        }
        if len > 2000 {
            return Err(ReasonError::TooLong);
        }
        Ok(Self(value.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Reason {
    type Error = ReasonError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Reason> for String {
    fn from(value: Reason) -> String {
        value.0
    }
}

/// Something that happens to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The controller asks the requester to prove their identity. `pauses_clock` is true when
    /// the ask stems from reasonable doubts (Art. 12(6)) and the regime allows a pause.
    RequestIdentity {
        /// Whether the legal clock stops until the answer arrives.
        pauses_clock: bool,
    },
    /// The requester's identity is established (link followed, vouched by the caller, officer).
    IdentityVerified,
    /// Every per-system task reached a final state.
    TasksSettled,
    /// The officer sends the request back to work (e.g. to retry a failed system).
    Reopen,
    /// The officer approves the answer.
    Approve {
        /// Whether part of the request is refused or could not be done.
        partial: bool,
    },
    /// The request is refused, with reasons (Art. 12(4)).
    Deny {
        /// Why.
        reason: Reason,
    },
    /// The requester withdraws the request.
    Withdraw,
    /// The verification period ran out without an answer.
    VerificationLapsed,
    /// The deadline is extended (Art. 12(3)), once, with reasons, announced in time.
    Extend {
        /// Why (complexity, number of requests).
        reason: Reason,
        /// The last local day on which the extension may be announced.
        notice_by: NaiveDate,
        /// The instant at which that day ends.
        notice_by_end: DateTime<Utc>,
    },
    /// The request concerns data the company only processes for a customer: forwarded to
    /// that controller.
    Forward {
        /// Who it was forwarded to.
        controller: String,
        /// Where it was sent: the controller's contact address for data-subject requests.
        contact: String,
    },
}

impl Event {
    /// The action in words, completing "cannot … the request": for error messages to people.
    pub fn words(&self) -> &'static str {
        match self {
            Event::RequestIdentity { .. } => "ask for proof of identity for",
            Event::IdentityVerified => "confirm the identity behind",
            Event::TasksSettled => "settle the work of",
            Event::Reopen => "reopen",
            Event::Approve { .. } => "approve",
            Event::Deny { .. } => "deny",
            Event::Withdraw => "withdraw",
            Event::VerificationLapsed => "close as unidentified",
            Event::Extend { .. } => "extend",
            Event::Forward { .. } => "forward",
        }
    }

    /// A stable name for messages and the audit trail.
    pub fn name(&self) -> &'static str {
        match self {
            Event::RequestIdentity { .. } => "request_identity",
            Event::IdentityVerified => "identity_verified",
            Event::TasksSettled => "tasks_settled",
            Event::Reopen => "reopen",
            Event::Approve { .. } => "approve",
            Event::Deny { .. } => "deny",
            Event::Withdraw => "withdraw",
            Event::VerificationLapsed => "verification_lapsed",
            Event::Extend { .. } => "extend",
            Event::Forward { .. } => "forward",
        }
    }
}

/// An event that the current status does not allow. The message names the action and the
/// status in words: "cannot confirm the identity behind the request: it is denied".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} the request: it is {}", from.words())]
pub struct InvalidTransition {
    /// The status the request is in.
    pub from: RequestStatus,
    /// The event that was refused (its stable name).
    pub event: &'static str,
    /// The action, in words.
    pub action: &'static str,
}

/// Why a lifecycle event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// The status graph does not allow it.
    #[error(transparent)]
    Transition(#[from] InvalidTransition),
    /// The deadline was already extended once.
    #[error("the deadline was already extended; the law allows one extension")]
    AlreadyExtended,
    /// The extension notice comes too late (GDPR Art. 12(3)).
    #[error("an extension must be announced on or before {notice_by}, the end of the first period")]
    ExtensionTooLate {
        /// The last day the notice was possible.
        notice_by: NaiveDate,
    },
    /// The request is already forwarded.
    #[error("the request is already forwarded to its controller")]
    AlreadyForwarded,
}

crate::strings::string_enum! {
    /// Why the clock was paused.
    pub enum PauseReason("pause reason") {
        /// Information needed to identify the requester was asked for (Art. 12(6)).
        Identity = "identity",
    }
}

/// A period during which the legal clock stood still.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// Why.
    pub reason: PauseReason,
    /// When the information was asked for.
    pub from: DateTime<Utc>,
    /// When it arrived; `None` while still waiting.
    pub to: Option<DateTime<Utc>>,
}

/// A granted extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// Why it was needed.
    pub reason: Reason,
    /// When it was announced.
    pub at: DateTime<Utc>,
}

/// A request's status with the flags beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    /// The current status.
    pub status: RequestStatus,
    /// The extension, once granted.
    pub extension: Option<Extension>,
    /// Clock pauses, oldest first; at most the last one is open.
    pub pauses: Vec<Pause>,
    /// Whether the request was forwarded to another controller.
    pub forwarded: bool,
}

impl Lifecycle {
    /// A new request's lifecycle.
    pub fn new() -> Self {
        Self {
            status: RequestStatus::Received,
            extension: None,
            pauses: Vec::new(),
            forwarded: false,
        }
    }

    /// Whether the clock is paused right now.
    pub fn is_paused(&self) -> bool {
        self.pauses.last().is_some_and(|p| p.to.is_none())
    }

    /// Applies an event at `now`, returning the new lifecycle or why it is refused.
    pub fn apply(mut self, event: &Event, now: DateTime<Utc>) -> Result<Lifecycle, LifecycleError> {
        let next = self.status.apply(event)?;
        match event {
            Event::Extend {
                reason,
                notice_by,
                notice_by_end,
            } => {
                if self.extension.is_some() {
                    return Err(LifecycleError::AlreadyExtended);
                }
                // GDPR Art. 12(3): the subject must be told of the extension within one month.
                if now >= *notice_by_end {
                    return Err(LifecycleError::ExtensionTooLate {
                        notice_by: *notice_by,
                    });
                }
                self.extension = Some(Extension {
                    reason: reason.clone(),
                    at: now,
                });
            }
            Event::RequestIdentity { pauses_clock: true } if !self.is_paused() => {
                self.pauses.push(Pause {
                    reason: PauseReason::Identity,
                    from: now,
                    to: None,
                });
            }
            Event::Forward { .. } => {
                if self.forwarded {
                    return Err(LifecycleError::AlreadyForwarded);
                }
                self.forwarded = true;
            }
            _ => {}
        }
        // Any move out of waiting (verified, closed, withdrawn, denied) ends an open pause.
        if next != RequestStatus::AwaitingVerification
            && let Some(open) = self.pauses.last_mut().filter(|p| p.to.is_none())
        {
            open.to = Some(now);
        }
        self.status = next;
        Ok(self)
    }
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, 10, 0, 0).unwrap()
    }

    fn reason() -> Reason {
        Reason::parse("complex request across many systems").unwrap()
    }

    fn all_events() -> Vec<Event> {
        vec![
            Event::RequestIdentity { pauses_clock: true },
            Event::IdentityVerified,
            Event::TasksSettled,
            Event::Reopen,
            Event::Approve { partial: false },
            Event::Approve { partial: true },
            Event::Deny { reason: reason() },
            Event::Withdraw,
            Event::VerificationLapsed,
            Event::Extend {
                reason: reason(),
                notice_by: NaiveDate::from_ymd_opt(2026, 4, 10).unwrap(),
                notice_by_end: at(31),
            },
            Event::Forward {
                controller: "Acme SA".to_owned(),
                contact: "privacy@acme.example".to_owned(),
            },
        ]
    }

    #[test]
    fn the_happy_path_reaches_completed() {
        let l = Lifecycle::new()
            .apply(
                &Event::RequestIdentity {
                    pauses_clock: false,
                },
                at(1),
            )
            .unwrap()
            .apply(&Event::IdentityVerified, at(2))
            .unwrap()
            .apply(&Event::TasksSettled, at(3))
            .unwrap()
            .apply(&Event::Approve { partial: false }, at(4))
            .unwrap();
        assert_eq!(l.status, RequestStatus::Completed);
        assert!(l.pauses.is_empty());
    }

    #[test]
    fn final_statuses_accept_no_event() {
        for s in RequestStatus::ALL.into_iter().filter(|s| s.is_final()) {
            for e in all_events() {
                let err = s.apply(&e).unwrap_err();
                assert_eq!(err.from, s);
            }
        }
    }

    #[test]
    fn an_illegal_transition_names_both_the_status_and_the_event() {
        let err = RequestStatus::Received
            .apply(&Event::Approve { partial: false })
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot approve the request: it is newly received"
        );
        let err = RequestStatus::Completed
            .apply(&Event::Withdraw)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot withdraw the request: it is completed"
        );
    }

    #[test]
    fn every_open_status_can_be_denied_and_withdrawn() {
        for s in RequestStatus::ALL.into_iter().filter(|s| !s.is_final()) {
            assert_eq!(
                s.apply(&Event::Deny { reason: reason() }).unwrap(),
                RequestStatus::Denied
            );
            assert_eq!(s.apply(&Event::Withdraw).unwrap(), RequestStatus::Withdrawn);
        }
    }

    #[test]
    fn tasks_can_only_settle_while_in_progress() {
        for s in RequestStatus::ALL {
            let r = s.apply(&Event::TasksSettled);
            assert_eq!(r.is_ok(), s == RequestStatus::InProgress, "{s}");
        }
    }

    #[test]
    fn an_extension_is_granted_once() {
        let ext = Event::Extend {
            reason: reason(),
            notice_by: NaiveDate::from_ymd_opt(2026, 4, 10).unwrap(),
            notice_by_end: at(31),
        };
        let l = Lifecycle::new().apply(&ext, at(5)).unwrap();
        assert_eq!(l.status, RequestStatus::Received);
        assert!(l.extension.is_some());
        assert_eq!(
            l.apply(&ext, at(6)).unwrap_err(),
            LifecycleError::AlreadyExtended
        );
    }

    #[test]
    fn an_extension_after_the_first_month_is_refused_with_the_date() {
        let ext = Event::Extend {
            reason: reason(),
            notice_by: NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
            notice_by_end: at(9),
        };
        let err = Lifecycle::new().apply(&ext, at(9)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "an extension must be announced on or before 2026-03-09, the end of the first period"
        );
    }

    #[test]
    fn an_identity_pause_opens_and_closes_with_verification() {
        let l = Lifecycle::new()
            .apply(&Event::IdentityVerified, at(1))
            .unwrap()
            .apply(&Event::RequestIdentity { pauses_clock: true }, at(3))
            .unwrap();
        assert!(l.is_paused());
        assert_eq!(l.status, RequestStatus::AwaitingVerification);
        let l = l.apply(&Event::IdentityVerified, at(12)).unwrap();
        assert!(!l.is_paused());
        assert_eq!(l.pauses.len(), 1);
        assert_eq!(l.pauses[0].to, Some(at(12)));
        assert_eq!(l.status, RequestStatus::InProgress);
    }

    #[test]
    fn a_routine_verification_does_not_pause() {
        let l = Lifecycle::new()
            .apply(
                &Event::RequestIdentity {
                    pauses_clock: false,
                },
                at(1),
            )
            .unwrap();
        assert!(!l.is_paused());
    }

    #[test]
    fn reasons_must_have_content() {
        assert_eq!(Reason::parse("  ").unwrap_err(), ReasonError::Missing);
        assert_eq!(
            Reason::parse(&"x".repeat(2001)).unwrap_err(),
            ReasonError::TooLong
        );
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in RequestStatus::ALL {
            assert_eq!(s.as_str().parse::<RequestStatus>().unwrap(), s);
        }
    }
}
