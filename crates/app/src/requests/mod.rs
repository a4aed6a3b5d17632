//! Request use cases: intake, reading, listing, and the officer's lifecycle actions.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use dsrflow_domain::Actor;
use dsrflow_domain::channel::{Channel, Language};
use dsrflow_domain::deadline::{self, Deadline, DeadlineInput, PausePeriod};
use dsrflow_domain::lifecycle::{Event, Extension, Lifecycle, Pause, PauseReason, Reason};
use dsrflow_domain::{
    AccountId, PhoneNumber, Regime, RequestKind, RequestStatus, SubjectEmail, SubjectName,
};
use dsrflow_store::audit::{self, NewEvent};
use dsrflow_store::entity::{request, request_pause, request_subject, task};
use dsrflow_store::requests::{self as q};
pub use dsrflow_store::requests::{DueBefore, ListFilter, RequestRecord};
use rand::Rng;
use sea_orm::prelude::Uuid;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::jobs::Job;
use crate::settings::ControllerSettings;
use crate::{App, AppError, FieldError};

mod actions;
mod intake;
mod view;

pub use self::actions::*;
pub use self::intake::*;
pub use self::view::*;
pub use crate::caller::Caller;

/// GDPR applies from this day; nothing can have been received under it before.
const GDPR_APPLIES_FROM: (i32, u32, u32) = (2018, 5, 25);

/// A new request, already parsed into domain types.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The right exercised.
    pub kind: RequestKind,
    /// The subject's address.
    pub email: SubjectEmail,
    /// The subject's name.
    pub name: Option<SubjectName>,
    /// A customer/account id in the company's systems.
    pub account_id: Option<AccountId>,
    /// A phone number.
    pub phone: Option<PhoneNumber>,
    /// The regime; the configured default when None.
    pub regime: Option<Regime>,
    /// When it reached the controller; now when None (back-dating for post and phone).
    pub received_at: Option<DateTime<Utc>>,
    /// How it came in.
    pub channel: Channel,
    /// The language to answer in.
    pub language: Language,
    /// Free text from the requester.
    pub details: Option<String>,
    /// A rectification's corrections (Art. 16): which detail, and its right value. Only a
    /// rectification takes them.
    pub corrections: Vec<dsrflow_domain::Correction>,
    /// The caller vouches that it knows the subject (token with the vouch right only).
    pub identity_verified: bool,
}

/// A rectification's corrections as stored with the request (none for other kinds, or when the
/// stored list cannot be read).
pub fn corrections_of(
    request: &dsrflow_store::entity::request::Model,
) -> Vec<dsrflow_domain::Correction> {
    request
        .corrections
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default()
}

/// Maximum length of the free-text details.
pub const MAX_DETAILS_CHARS: usize = 10_000;

/// A request as read back, with derived flags.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestDetails {
    /// The stored request, subject and pauses.
    pub record: RequestRecord,
    /// Whether the clock is paused now.
    pub paused: bool,
    /// Set once, by the approval that delivers an access package: the subject's download token
    /// (stored hashed; this is the only time it exists in clear) and when it expires.
    pub download: Option<(String, DateTime<Utc>)>,
}

impl From<RequestRecord> for RequestDetails {
    fn from(record: RequestRecord) -> Self {
        let paused = record.pauses.last().is_some_and(|p| p.ended_at.is_none());
        Self {
            record,
            paused,
            download: None,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// The page number (from 1).
    pub page: u64,
    /// The page size.
    pub per_page: u64,
    /// Items matching the filter in all pages.
    pub total: u64,
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

pub(crate) fn time_zone_of(row: &request::Model) -> Result<Tz, AppError> {
    row.time_zone
        .parse::<Tz>()
        .map_err(|_| AppError::Internal(format!("request {} has an unknown time zone", row.id)))
}

/// Rebuilds the domain lifecycle from stored rows.
pub fn lifecycle_of(rec: &RequestRecord) -> Result<Lifecycle, AppError> {
    let extension = match (&rec.request.extended_at, &rec.request.extension_reason) {
        (Some(at), Some(reason)) => Some(Extension {
            reason: Reason::parse(reason)
                .map_err(|e| AppError::Internal(format!("stored extension reason: {e}")))?,
            at: *at,
        }),
        _ => None,
    };
    Ok(Lifecycle {
        status: rec.request.status,
        extension,
        pauses: rec
            .pauses
            .iter()
            .map(|p: &request_pause::Model| Pause {
                reason: PauseReason::Identity,
                from: p.started_at,
                to: p.ended_at,
            })
            .collect(),
        forwarded: rec.request.forwarded_to.is_some(),
    })
}

/// The request's deadline as of `now`: an open pause counts up to today.
pub fn compute_deadline(
    controller: &ControllerSettings,
    rec: &RequestRecord,
    now: DateTime<Utc>,
) -> Result<Deadline, AppError> {
    let row = &rec.request;
    let tz = time_zone_of(row)?;
    let local = |t: DateTime<Utc>| -> NaiveDate { t.with_timezone(&tz).date_naive() };
    let periods: Vec<PausePeriod> = rec
        .pauses
        .iter()
        .map(|p| PausePeriod {
            asked: local(p.started_at).max(row.receipt_day),
            answered: local(p.ended_at.unwrap_or(now))
                .max(local(p.started_at).max(row.receipt_day)),
        })
        .collect();
    let (pauses, identity_received) = deadline::identity_waits(row.regime, periods);
    let calendar = row
        .calendar
        .map(|code| controller.calendar_with_extras(code));
    deadline::compute(&DeadlineInput {
        regime: row.regime,
        received_at: row.received_at,
        time_zone: tz,
        calendar,
        extended: row.extended_at.is_some(),
        pauses,
        identity_received,
    })
    .map_err(|e| AppError::Internal(format!("deadline of request {}: {e}", row.id)))
}

/// A short reference like `DSR-7K3QXPMA` (Crockford base32, no ambiguous letters).
fn new_reference() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rng();
    let code: String = (0..8)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("DSR-{code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_use_the_unambiguous_alphabet() {
        let r = new_reference();
        assert_eq!(r.len(), 12);
        assert!(r.starts_with("DSR-"));
        assert!(!r[4..].contains(['I', 'L', 'O', 'U']));
    }
}
