//! Confirming who made a request, and guarding downloads.
//!
//! **The identity link.** A request nobody vouched for (the web form, a mail, an API token
//! without the vouch right) starts in `awaiting_verification`: one single-use link is mailed to
//! the subject's address, for every request made together (one form or mail asking for several
//! rights gets one link). Following it shows a button; pressing it (a POST, so mail scanners that
//! fetch links confirm nothing) moves the requests to `in_progress` and the work fans out.
//! Whether waiting pauses the legal clock is a setting (`verification.link_pauses_clock`, off by
//! default: a routine confirmation is a formality, not a doubt about identity). An expired link
//! offers a new one (at most [`MAX_LINKS_PER_DAY`] a day); a used one says so. Requests still
//! unconfirmed after `verification.close_after` are closed as `closed_unidentified`, with a mail.
//!
//! **Stronger verification** (`verification.access_check`): for access (and optionally
//! portability) requests the page also asks for a detail that a chosen system holds about the
//! subject (e.g. the postcode of the billing address in Odoo). The system's connector collects
//! the subject's records and the answer must match the configured field of one of them; after
//! [`MAX_ATTEMPTS`] wrong answers the link stops working and the officer decides.
//!
//! **Download codes.** An access package's download link alone is not enough: the download page
//! mails a six-digit code to the subject and the file is served only with it (valid for
//! `verification.code_ttl`, [`MAX_ATTEMPTS`] tries, [`MAX_CODES_PER_HOUR`] codes an hour).
//!
//! Secrets: a link is `selector` (16 characters, stored) + `verifier` (43 characters, stored as
//! its SHA-256); the row is found by selector and the verifier compared in constant time. A code
//! is stored as a keyed hash (it has few digits). Nothing secret is logged or audited.

use chrono::{DateTime, TimeDelta, Utc};
use dsrflow_connectors::{Subject, TaskRequest};
use dsrflow_domain::Actor;
use dsrflow_domain::AuditAction;
use dsrflow_domain::channel::Language;
use dsrflow_domain::identity::SecretPurpose;
use dsrflow_domain::lifecycle::{Event, Reason};
use dsrflow_domain::{RequestKind, RequestStatus, TaskAction};
use dsrflow_store::audit::{self, NewEvent};
use dsrflow_store::entity::{request, verification};
use dsrflow_store::verifications as vq;
use rand::RngCore;
use serde_json::json;
use uuid::Uuid;

use crate::identity_link::{
    IDENTITY, prepare_link, random_b64, same, sha256_hex, split_token, store_link,
};
use crate::outbox::Audience;
use crate::requests::{Caller, transition};
use crate::{App, AppError};

/// Purpose of a download code.
pub const DOWNLOAD_CODE: SecretPurpose = SecretPurpose::DownloadCode;
/// Wrong answers (detail or code) before a secret stops working.
pub const MAX_ATTEMPTS: i32 = 5;
/// New identity links a subject can ask for per request group and day.
pub const MAX_LINKS_PER_DAY: u64 = 3;
/// Download codes that can be sent per request and hour.
pub const MAX_CODES_PER_HOUR: u64 = 3;

/// What a link stands for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// It can be used.
    Open,
    /// It was used (the requests are confirmed, or the link was replaced by a newer one).
    Used,
    /// It expired; a new one can be asked for while the requests wait.
    Expired,
    /// The requests no longer wait for it (closed, withdrawn, confirmed otherwise).
    NotWaiting,
    /// Too many wrong answers.
    Locked,
}

/// What the verification page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    /// The state.
    pub state: LinkState,
    /// The first request's reference.
    pub reference: String,
    /// The rights asked for.
    pub kinds: Vec<RequestKind>,
    /// The requests' language.
    pub language: Language,
    /// The detail the page must ask for (stronger verification), in plain words.
    pub detail_label: Option<String>,
    /// The first request's status page.
    pub status_url: String,
}

struct Loaded {
    row: verification::Model,
    requests: Vec<request::Model>,
}

async fn load(app: &App, token: &str) -> Result<Loaded, AppError> {
    let (selector, verifier) = split_token(token).ok_or(AppError::NotFound("link"))?;
    let row = vq::by_selector(app.store.db(), IDENTITY, selector)
        .await?
        .ok_or(AppError::NotFound("link"))?;
    if !same(&row.verifier_hash, &sha256_hex(verifier)) {
        return Err(AppError::NotFound("link"));
    }
    let mut requests = Vec::new();
    for id in vq::request_ids(&row) {
        if let Some(rec) = dsrflow_store::requests::find(app.store.db(), id).await? {
            requests.push(rec.request);
        }
    }
    if requests.is_empty() {
        return Err(AppError::NotFound("link"));
    }
    Ok(Loaded { row, requests })
}

fn state_of(app: &App, l: &Loaded, now: DateTime<Utc>) -> LinkState {
    let waiting = l
        .requests
        .iter()
        .any(|r| r.status == RequestStatus::AwaitingVerification);
    if l.row.attempts >= MAX_ATTEMPTS {
        LinkState::Locked
    } else if l.row.used_at.is_some() {
        LinkState::Used
    } else if !waiting {
        LinkState::NotWaiting
    } else if l.row.expires_at <= now {
        LinkState::Expired
    } else {
        let _ = app;
        LinkState::Open
    }
}

fn detail_check<'a>(
    app: &'a App,
    requests: &[request::Model],
) -> Option<&'a crate::settings::AccessCheck> {
    let check = app.settings.verification.access_check.as_ref()?;
    requests
        .iter()
        .any(|r| {
            r.kind == RequestKind::Access
                || (check.portability_too && r.kind == RequestKind::Portability)
        })
        .then_some(check)
}

/// Reads a link without using it (the page shown when it is opened).
pub async fn view_link(app: &App, token: &str) -> Result<LinkView, AppError> {
    let l = load(app, token).await?;
    let now = app.clock.now();
    let first = &l.requests[0];
    Ok(LinkView {
        state: state_of(app, &l, now),
        reference: first.reference.clone(),
        kinds: l.requests.iter().map(|r| r.kind).collect(),
        language: first.language,
        detail_label: detail_check(app, &l.requests).map(|c| c.label.clone()),
        status_url: crate::notify::status_url(app, first.id),
    })
}

/// What pressing the confirmation button did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    /// The requests are confirmed and in progress.
    Done {
        /// The first request's status page.
        status_url: String,
    },
    /// The link cannot be used (see the state).
    Refused(LinkState),
    /// The detail is needed (stronger verification) and was not given.
    DetailNeeded,
    /// The detail did not match; this many tries are left.
    DetailWrong {
        /// Tries left.
        attempts_left: i32,
    },
    /// The system holding the detail cannot be asked right now; try again later.
    DetailUnavailable,
}

/// Uses a link: checks it (and the detail, when asked for), then confirms every request it
/// covers. Safe to call twice: the second call finds the link used.
pub async fn confirm_link(
    app: &App,
    token: &str,
    detail: Option<&str>,
) -> Result<Confirmed, AppError> {
    let l = load(app, token).await?;
    let now = app.clock.now();
    let state = state_of(app, &l, now);
    if state != LinkState::Open {
        return Ok(Confirmed::Refused(state));
    }
    if let Some(check) = detail_check(app, &l.requests) {
        let Some(answer) = detail.map(str::trim).filter(|d| !d.is_empty()) else {
            return Ok(Confirmed::DetailNeeded);
        };
        match detail_matches(app, check, &l.requests[0], answer).await {
            Ok(true) => {}
            Ok(false) => {
                let tx = app.store.write().await?;
                let attempts = vq::add_attempt(&*tx, l.row.id).await?;
                audit::append(
                    &*tx,
                    NewEvent {
                        request_id: Some(l.requests[0].id),
                        actor: Actor::Subject,
                        action: AuditAction::VerificationDetailMismatch,
                        data: json!({"attempt": attempts, "system": check.system}),
                        at: now,
                    },
                )
                .await?;
                tx.commit().await?;
                return Ok(if attempts >= MAX_ATTEMPTS {
                    Confirmed::Refused(LinkState::Locked)
                } else {
                    Confirmed::DetailWrong {
                        attempts_left: MAX_ATTEMPTS - attempts,
                    }
                });
            }
            Err(e) => {
                tracing::warn!(system = %check.system, error = %e, "verification: the detail could not be checked");
                return Ok(Confirmed::DetailUnavailable);
            }
        }
    }
    let caller = Caller {
        actor: Actor::Subject,
        can_vouch: false,
    };
    for r in &l.requests {
        if r.status != RequestStatus::AwaitingVerification {
            continue;
        }
        match crate::requests::verify(app, &caller, r.id).await {
            // Withdrawn or closed meanwhile: nothing to confirm for that one.
            Ok(_) | Err(AppError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    // Marked after the requests moved: a crash in between leaves a link that now says the
    // requests no longer wait for it, never a used link with unconfirmed requests.
    let tx = app.store.write().await?;
    vq::mark_used(&*tx, l.row.id, now).await?;
    tx.commit().await?;
    Ok(Confirmed::Done {
        status_url: crate::notify::status_url(app, l.requests[0].id),
    })
}

fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Asks the configured system for the subject's records and compares the field (ignoring case
/// and spaces, in constant time per record).
async fn detail_matches(
    app: &App,
    check: &crate::settings::AccessCheck,
    r: &request::Model,
    answer: &str,
) -> Result<bool, AppError> {
    let connector = app.systems.registry.get(&check.system).ok_or_else(|| {
        AppError::Internal(format!(
            "verification.access_check.system {} is not configured",
            check.system
        ))
    })?;
    let rec = dsrflow_store::requests::find(app.store.db(), r.id)
        .await?
        .ok_or(AppError::NotFound("request"))?;
    let s = rec.subject;
    let subject = Subject {
        pseudonym: app.settings.data_key.subject_pseudonym(s.email.as_str()),
        email: s.email,
        name: s.name,
        account_id: s.account_id,
        phone: s.phone,
    };
    let req = TaskRequest {
        corrections: &[],
        action: TaskAction::Access,
        subject: &subject,
        task_id: Uuid::now_v7(),
        reference: &r.reference,
        kind: r.kind,
        regime: r.regime,
        received_at: r.received_at,
        attempt: 1,
        external_ref: None,
    };
    let outcome = tokio::time::timeout(app.settings.work.call_timeout, connector.run(&req))
        .await
        .map_err(|_| AppError::Unavailable("the system did not answer in time".to_owned()))?
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    let report = match outcome {
        dsrflow_connectors::Outcome::Done(report) => report,
        _ => {
            return Err(AppError::Unavailable(
                "the system cannot answer at once".to_owned(),
            ));
        }
    };
    let want = normalise(answer);
    let mut found = false;
    for set in &report.data {
        for record in &set.records {
            if let Some(v) = record.get(&check.field) {
                let have = match v {
                    serde_json::Value::String(s) => normalise(s),
                    serde_json::Value::Null => continue,
                    other => normalise(&other.to_string()),
                };
                found |= same(&have, &want);
            }
        }
    }
    Ok(found)
}

/// What asking for a new link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewed {
    /// A new link is on its way.
    Sent,
    /// Too many links today.
    TooMany,
    /// The requests no longer wait for a link.
    NotWaiting,
}

/// Mails a new link for the requests of an expired (or still open) one; the old one stops
/// working.
pub async fn renew_link(app: &App, token: &str) -> Result<Renewed, AppError> {
    let l = load(app, token).await?;
    let now = app.clock.now();
    let waiting: Vec<&request::Model> = l
        .requests
        .iter()
        .filter(|r| r.status == RequestStatus::AwaitingVerification)
        .collect();
    if waiting.is_empty() || l.row.attempts >= MAX_ATTEMPTS {
        return Ok(Renewed::NotWaiting);
    }
    let issued = vq::issued_since(
        app.store.db(),
        IDENTITY,
        &l.row.request_ids,
        now - TimeDelta::days(1),
    )
    .await?;
    if issued >= MAX_LINKS_PER_DAY {
        return Ok(Renewed::TooMany);
    }
    let rec = dsrflow_store::requests::find(app.store.db(), waiting[0].id)
        .await?
        .ok_or(AppError::NotFound("request"))?;
    // Same request group as the old link, so the new row has the same `request_ids`.
    let all: Vec<&request::Model> = l.requests.iter().collect();
    let Some(link) = prepare_link(app, &all, &rec.subject, now)? else {
        return Ok(Renewed::NotWaiting);
    };
    let tx = app.store.write().await?;
    vq::retire_open(&*tx, IDENTITY, &l.row.request_ids, now).await?;
    let mail = store_link(app, &*tx, &link).await?;
    audit::append(
        &*tx,
        NewEvent {
            request_id: Some(waiting[0].id),
            actor: Actor::Subject,
            action: AuditAction::VerificationLinkRenewed,
            data: json!({"requests": vq::request_ids(&l.row)}),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    if let Some(m) = mail {
        app.wake(crate::jobs::Job::Deliver(m), None).await;
    }
    Ok(Renewed::Sent)
}

/// Closes requests whose requester never confirmed within `verification.close_after`, with
/// the `closed_unidentified` mail. Returns how many were closed.
pub async fn close_lapsed(app: &App) -> Result<usize, AppError> {
    let now = app.clock.now();
    let after =
        TimeDelta::from_std(app.settings.verification.close_after).unwrap_or(TimeDelta::days(14));
    let rows = dsrflow_store::requests::unverified_before(app.store.db(), now - after, 200).await?;
    let caller = Caller {
        actor: Actor::System,
        can_vouch: false,
    };
    let days = after.num_days();
    let note = Reason::parse(&format!(
        "the request was not confirmed within {days} days of the confirmation message"
    ))
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut closed = 0;
    for r in rows {
        match transition(
            app,
            &caller,
            r.id,
            AuditAction::RequestClosedUnidentified,
            Some(note.clone()),
            |_, _, _| Ok(Event::VerificationLapsed),
        )
        .await
        {
            Ok(_) => closed += 1,
            Err(AppError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    // An expired link still lets its requester ask for a new one until the request is closed
    // (close_after); after that it is useless. Keep the table small.
    let tx = app.store.write().await?;
    vq::prune(&*tx, now - after - TimeDelta::days(1)).await?;
    tx.commit().await?;
    if closed > 0 {
        tracing::info!(closed, "requests closed as unidentified");
    }
    Ok(closed)
}

/// What asking for a download code did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeSent {
    /// A code is on its way.
    Sent,
    /// Too many codes this hour.
    TooMany,
}

fn code_hash(app: &App, request_id: Uuid, code: &str) -> String {
    app.settings
        .data_key
        .keyed_hash("download-code", &format!("{request_id}:{code}"))
}

/// Mails a one-time code for the package behind a download link.
pub async fn send_download_code(app: &App, download_token: &str) -> Result<CodeSent, AppError> {
    let package = crate::package::by_download_token(app, download_token).await?;
    let now = app.clock.now();
    let ids = vq::request_ids_text(&[package.request_id]);
    if vq::issued_since(
        app.store.db(),
        DOWNLOAD_CODE,
        &ids,
        now - TimeDelta::hours(1),
    )
    .await?
        >= MAX_CODES_PER_HOUR
    {
        return Ok(CodeSent::TooMany);
    }
    let rec = dsrflow_store::requests::find(app.store.db(), package.request_id)
        .await?
        .ok_or(AppError::NotFound("request"))?;
    let code = format!("{:06}", rand::rng().next_u32() % 1_000_000);
    let ttl =
        TimeDelta::from_std(app.settings.verification.code_ttl).unwrap_or(TimeDelta::minutes(15));
    let expires_at = now + ttl;
    let mail = crate::notify::prepare(
        app,
        &dsrflow_mail::messages::DownloadCode {
            reference: rec.request.reference.clone(),
            subject_name: rec.subject.name.clone(),
            code: code.clone(),
            expires_at,
            controller: crate::notify::controller(app),
        },
        rec.request.language,
        Audience::Subject,
        rec.subject.email.as_str(),
        Some(rec.request.id),
        None,
        None,
    )?;
    let tx = app.store.write().await?;
    vq::retire_open(&*tx, DOWNLOAD_CODE, &ids, now).await?;
    vq::insert(
        &*tx,
        verification::Model {
            id: Uuid::now_v7(),
            selector: random_b64(12),
            verifier_hash: code_hash(app, rec.request.id, &code),
            purpose: DOWNLOAD_CODE,
            request_ids: ids,
            expires_at,
            used_at: None,
            attempts: 0,
            created_at: now,
        },
    )
    .await?;
    let out = crate::outbox::enqueue(app, &*tx, mail, Some(&rec.request.reference)).await?;
    tx.commit().await?;
    if let Some(m) = out {
        app.wake(crate::jobs::Job::Deliver(m), None).await;
    }
    Ok(CodeSent::Sent)
}

/// What checking a download code found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right: the download may start (the code is used up).
    Valid,
    /// Wrong; this many tries are left.
    Wrong {
        /// Tries left.
        attempts_left: i32,
    },
    /// No code is open (none asked for, expired, used, or too many wrong tries).
    NoCode,
}

/// Checks (and uses up) a download code for the package behind a download link.
pub async fn check_download_code(
    app: &App,
    download_token: &str,
    code: &str,
) -> Result<CodeCheck, AppError> {
    let package = crate::package::by_download_token(app, download_token).await?;
    let now = app.clock.now();
    let ids = vq::request_ids_text(&[package.request_id]);
    let Some(row) = vq::latest_open(app.store.db(), DOWNLOAD_CODE, &ids, now).await? else {
        return Ok(CodeCheck::NoCode);
    };
    if row.attempts >= MAX_ATTEMPTS {
        return Ok(CodeCheck::NoCode);
    }
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let ok = code.len() == 6
        && code.bytes().all(|b| b.is_ascii_digit())
        && same(
            &row.verifier_hash,
            &code_hash(app, package.request_id, &code),
        );
    let tx = app.store.write().await?;
    let result = if ok {
        if vq::mark_used(&*tx, row.id, now).await? {
            CodeCheck::Valid
        } else {
            CodeCheck::NoCode
        }
    } else {
        let attempts = vq::add_attempt(&*tx, row.id).await?;
        if attempts >= MAX_ATTEMPTS {
            CodeCheck::NoCode
        } else {
            CodeCheck::Wrong {
                attempts_left: MAX_ATTEMPTS - attempts,
            }
        }
    };
    tx.commit().await?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_compare_without_case_or_spaces() {
        assert_eq!(normalise(" 1000 bx "), normalise("1000BX"));
        assert!(same(&normalise("B-1000"), &normalise("b-1000")));
        assert!(!same(&normalise("1000"), &normalise("10000")));
    }
}
