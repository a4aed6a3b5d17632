//! API tokens: created once (the plain value is shown once), stored as SHA-256, checked on every
//! API call. Tokens are 256 random bits, so a fast hash is enough (no password stretching).

use dsrflow_domain::AuditAction;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dsrflow_domain::Actor;
use dsrflow_store::audit::{self, NewEvent};
use dsrflow_store::entity::api_token;
use dsrflow_store::tokens as q;
use rand::RngCore;
use sea_orm::prelude::Uuid;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::requests::Caller;
use crate::{App, AppError, FieldError};

/// Prefix of every dsrflow token, so leaked tokens are easy to recognise and scan for.
pub const TOKEN_PREFIX: &str = "dsr_";

/// A freshly created token; `secret` is shown once and never stored.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    /// The token's name.
    pub name: String,
    /// The full token, to give to the caller once.
    pub secret: String,
    /// Whether it may vouch for identities.
    pub can_vouch: bool,
}

/// Creates a token.
pub async fn create(
    app: &App,
    actor: Actor,
    name: &str,
    can_vouch: bool,
) -> Result<CreatedToken, AppError> {
    issue(app, actor, name, can_vouch, false).await
}

/// Gives the token called `name` a new value (creating it if there is none, reactivating it if
/// it was revoked): the old value stops working at once. Audited as `token.reissued`.
pub async fn reissue(
    app: &App,
    actor: Actor,
    name: &str,
    can_vouch: bool,
) -> Result<CreatedToken, AppError> {
    issue(app, actor, name, can_vouch, true).await
}

async fn issue(
    app: &App,
    actor: Actor,
    name: &str,
    can_vouch: bool,
    replace: bool,
) -> Result<CreatedToken, AppError> {
    let name = name.trim();
    let valid = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !valid {
        return Err(AppError::Validation(vec![FieldError::new(
            "name",
            "must be 1–100 characters: letters, digits, '-', '_' or '.'",
        )]));
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let now = app.clock.now();
    let id = Uuid::now_v7();
    let row = api_token::Model {
        id,
        name: name.to_owned(),
        prefix: secret.chars().take(TOKEN_PREFIX.len() + 6).collect(),
        token_hash: hash(&secret),
        can_vouch,
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    };
    let tx = app.store.write().await?;
    let (action, id) = match (replace, q::find_by_name(&*tx, name).await?) {
        (true, Some(old)) => {
            q::replace_value(&*tx, old.id, row).await?;
            (AuditAction::TokenReissued, old.id)
        }
        _ => {
            q::insert(&*tx, row).await?;
            (AuditAction::TokenCreated, id)
        }
    };
    audit::append(
        &*tx,
        NewEvent {
            request_id: None,
            actor,
            action,
            data: json!({ "token_id": id, "name": name, "can_vouch": can_vouch }),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    if replace {
        app.token_cache.clear();
    }
    Ok(CreatedToken {
        name: name.to_owned(),
        secret,
        can_vouch,
    })
}

/// Revokes a token by name.
pub async fn revoke(app: &App, actor: Actor, name: &str) -> Result<(), AppError> {
    let now = app.clock.now();
    let tx = app.store.write().await?;
    let id = q::revoke(&*tx, name, now)
        .await?
        .ok_or(AppError::NotFound("active token"))?;
    audit::append(
        &*tx,
        NewEvent {
            request_id: None,
            actor,
            action: AuditAction::TokenRevoked,
            data: json!({ "token_id": id, "name": name }),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    app.token_cache.clear();
    Ok(())
}

/// Checks a presented token; None when unknown or revoked.
///
/// Valid tokens are remembered for [`TokenCache::TTL`], so a revocation made by another process
/// (`dsrflow token revoke`) takes effect within that time; one made through this process is
/// immediate.
pub async fn authenticate(app: &App, presented: &str) -> Result<Option<Caller>, AppError> {
    if !presented.starts_with(TOKEN_PREFIX) || presented.len() > 200 {
        return Ok(None);
    }
    let digest = hash(presented);
    if let Some(caller) = app.token_cache.get(&digest) {
        return Ok(Some(caller));
    }
    let found = q::find_active_by_hash(app.store.db(), &digest).await?;
    if let Some(t) = &found {
        // Throttled by the cache: at most one write per token per TTL.
        let now = app.clock.now();
        if t.last_used_at
            .is_none_or(|at| now - at > chrono::TimeDelta::seconds(60))
        {
            q::touch(app.store.db(), t.id, now).await?;
        }
    }
    let caller = found.map(|t| Caller {
        actor: Actor::Token(t.name),
        can_vouch: t.can_vouch,
    });
    if let Some(c) = &caller {
        app.token_cache.put(digest, c.clone());
    }
    Ok(caller)
}

/// A short-lived in-memory map from token hash to caller, sparing a query per API call.
#[derive(Debug, Default)]
pub struct TokenCache(Mutex<HashMap<String, (Caller, Instant)>>);

impl TokenCache {
    /// How long a checked token is trusted without asking the database again.
    pub const TTL: Duration = Duration::from_secs(10);
    /// Bound on remembered tokens.
    const MAX: usize = 1024;

    fn get(&self, digest: &str) -> Option<Caller> {
        let map = self.0.lock().ok()?;
        map.get(digest)
            .filter(|(_, at)| at.elapsed() < Self::TTL)
            .map(|(c, _)| c.clone())
    }

    fn put(&self, digest: String, caller: Caller) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= Self::MAX {
                map.retain(|_, (_, at)| at.elapsed() < Self::TTL);
                if map.len() >= Self::MAX {
                    map.clear();
                }
            }
            map.insert(digest, (caller, Instant::now()));
        }
    }

    /// Forgets every remembered token (after a revocation).
    pub fn clear(&self) {
        if let Ok(mut map) = self.0.lock() {
            map.clear();
        }
    }
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}
