//! Dashboard sessions: signing in with an address and password, the opaque session id kept in
//! a cookie (only its SHA-256 is stored), idle and absolute limits, signing out. Every sign-in,
//! refused sign-in and sign-out is an audit event naming the account by id, never an address.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use dsrflow_domain::account::Role;
use dsrflow_domain::{Actor, AuditAction};
use dsrflow_store::accounts as q;
use dsrflow_store::audit::{self, NewEvent};
use dsrflow_store::entity::account_session;
use rand::RngCore;
use sea_orm::prelude::Uuid;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::accounts::password_matches;
use crate::{App, AppError};

/// A session ends after this long without use.
pub const IDLE: TimeDelta = TimeDelta::minutes(30);
/// A session ends this long after sign-in, used or not.
pub const LIFETIME: TimeDelta = TimeDelta::hours(12);
/// A session's last use is written at most this often.
const TOUCH_EVERY: TimeDelta = TimeDelta::minutes(1);

/// Who is signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The account's id.
    pub account_id: Uuid,
    /// The address they signed in with.
    pub email: String,
    /// Their role.
    pub role: Role,
}

impl SignedIn {
    /// The audit actor for what they do.
    pub fn actor(&self) -> Actor {
        Actor::Account(self.account_id.to_string())
    }
}

/// Why a sign-in was refused. The visitor is told one generic message whatever the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No such account, or the wrong password.
    WrongCredentials,
    /// The account is disabled.
    Disabled,
}

fn id_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// A hash for the timing of an unknown address: argon2id of a throwaway password, so a wrong
/// address costs the same as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        crate::accounts::hash_password("decoy password, never valid").unwrap_or_default()
    })
}

/// Signs in: on success, the session id for the cookie (shown once) and who signed in.
pub async fn sign_in(
    app: &App,
    email: &str,
    password: &str,
) -> Result<Result<(String, SignedIn), Refused>, AppError> {
    let now = app.clock.now();
    let email = email.trim().to_lowercase();
    let account = q::find_by_email(app.store.db(), &email).await?;
    let stored = account
        .as_ref()
        .map_or(decoy_hash(), |a| a.password_hash.as_str());
    let matches = password_matches(stored, password);
    let refused = match &account {
        None => Some(Refused::WrongCredentials),
        Some(_) if !matches => Some(Refused::WrongCredentials),
        Some(a) if a.disabled_at.is_some() => Some(Refused::Disabled),
        Some(_) => None,
    };
    let tx = app.store.write().await?;
    if let Some(why) = refused {
        audit::append(
            &*tx,
            NewEvent {
                request_id: None,
                actor: Actor::System,
                action: AuditAction::AccountSignInFailed,
                data: json!({
                    "account_id": account.as_ref().map(|a| a.id),
                    "reason": match why { Refused::WrongCredentials => "wrong address or password", Refused::Disabled => "disabled" },
                }),
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        return Ok(Err(why));
    }
    let Some(a) = account else {
        return Ok(Err(Refused::WrongCredentials));
    };
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let id = URL_SAFE_NO_PAD.encode(bytes);
    q::open_session(
        &*tx,
        account_session::Model {
            id_hash: id_hash(&id),
            account_id: a.id,
            created_at: now,
            last_seen_at: now,
        },
    )
    .await?;
    let who = SignedIn {
        account_id: a.id,
        email: a.email,
        role: a.role,
    };
    audit::append(
        &*tx,
        NewEvent {
            request_id: None,
            actor: who.actor(),
            action: AuditAction::AccountSignedIn,
            data: json!({"account_id": a.id}),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Ok((id, who)))
}

/// Whether a session open since `created` and last used at `last_seen` is still valid at `now`.
pub fn alive(created: DateTime<Utc>, last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - last_seen < IDLE && now - created < LIFETIME
}

/// Who the session id in a cookie belongs to, if the session is open, within its limits, and
/// its account enabled; the session's last use moves on.
pub async fn authenticate(app: &App, id: &str) -> Result<Option<SignedIn>, AppError> {
    if id.len() != 43
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Ok(None);
    }
    let now = app.clock.now();
    let hash = id_hash(id);
    let Some((s, a)) = q::session(app.store.db(), &hash).await? else {
        return Ok(None);
    };
    if !alive(s.created_at, s.last_seen_at, now) || a.disabled_at.is_some() {
        q::close_session(app.store.db(), &hash).await?;
        return Ok(None);
    }
    if now - s.last_seen_at >= TOUCH_EVERY {
        q::touch_session(app.store.db(), &hash, now).await?;
    }
    Ok(Some(SignedIn {
        account_id: a.id,
        email: a.email,
        role: a.role,
    }))
}

/// Signs out: the session is closed (audited when it was open).
pub async fn sign_out(app: &App, id: &str) -> Result<(), AppError> {
    let now = app.clock.now();
    let hash = id_hash(id);
    let tx = app.store.write().await?;
    let who = q::session(&*tx, &hash).await?;
    if q::close_session(&*tx, &hash).await?
        && let Some((_, a)) = who
    {
        audit::append(
            &*tx,
            NewEvent {
                request_id: None,
                actor: Actor::Account(a.id.to_string()),
                action: AuditAction::AccountSignedOut,
                data: json!({"account_id": a.id}),
                at: now,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_when_idle_or_too_old() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH + TimeDelta::days(20000);
        assert!(alive(t0, t0, t0 + TimeDelta::minutes(29)));
        assert!(!alive(t0, t0, t0 + TimeDelta::minutes(30)));
        // Kept busy, it still ends after its lifetime.
        let busy = t0 + TimeDelta::hours(12);
        assert!(!alive(t0, busy - TimeDelta::minutes(1), busy));
        assert!(alive(
            t0,
            busy - TimeDelta::minutes(1),
            busy - TimeDelta::seconds(1)
        ));
    }
}
