//! Dashboard accounts: created with a role, passwords hashed with argon2id (never stored or
//! logged in clear), disabled rather than deleted (the audit trail names them). The first start
//! of a server with no account creates an admin whose one-time password is printed once.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dsrflow_domain::account::Role;
use dsrflow_domain::{Actor, AuditAction, SubjectEmail};
use dsrflow_store::accounts as q;
use dsrflow_store::audit::{self, NewEvent};
use dsrflow_store::entity::account;
use rand::RngCore;
use sea_orm::prelude::Uuid;
use serde_json::json;

use crate::{App, AppError, FieldError};

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted (argon2 takes any length; this bounds the work per attempt).
pub const MAX_PASSWORD_CHARS: usize = 200;

/// An account as listed (no hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// The address it signs in with.
    pub email: String,
    /// Its role.
    pub role: Role,
    /// Whether it is disabled.
    pub disabled: bool,
}

impl From<account::Model> for AccountInfo {
    fn from(a: account::Model) -> Self {
        Self {
            email: a.email,
            role: a.role,
            disabled: a.disabled_at.is_some(),
        }
    }
}

/// A password to set: one the person chose, or none (one is generated, to be shown once).
#[derive(Debug, Clone, Copy)]
pub enum NewPassword<'a> {
    /// Chosen by the person (checked against the policy).
    Chosen(&'a str),
    /// Generate one.
    Generate,
}

impl NewPassword<'_> {
    /// The password to set (checked, or generated) and whether it was generated.
    fn resolve(self) -> Result<(String, bool), AppError> {
        match self {
            NewPassword::Chosen(p) => {
                check_policy(p)?;
                Ok((p.to_owned(), false))
            }
            NewPassword::Generate => Ok((generate(), true)),
        }
    }
}

/// A random password of 24 URL-safe characters (144 bits).
fn generate() -> String {
    let mut bytes = [0u8; 18];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn check_policy(password: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(AppError::Validation(vec![FieldError::new(
            "password",
            format!("must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"),
        )]));
    }
    Ok(())
}

/// The argon2id hash of a password, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| AppError::Internal(format!("password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hash: {e}")))
}

/// Whether `password` matches the stored PHC hash (in constant time; false on a malformed hash).
pub fn password_matches(stored: &str, password: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

fn normalised_email(email: &str) -> Result<String, AppError> {
    SubjectEmail::parse(email)
        .map(|e| e.as_str().to_lowercase())
        .map_err(|e| AppError::Validation(vec![FieldError::new("email", e.to_string())]))
}

/// Creates an account; returns the password when it was generated (to show once).
pub async fn add(
    app: &App,
    actor: Actor,
    email: &str,
    role: Role,
    password: NewPassword<'_>,
) -> Result<Option<String>, AppError> {
    let email = normalised_email(email)?;
    let (password, generated) = password.resolve()?;
    let hash = hash_password(&password)?;
    let now = app.clock.now();
    let id = Uuid::now_v7();
    let tx = app.store.write().await?;
    q::insert(
        &*tx,
        account::Model {
            id,
            email: email.clone(),
            role,
            password_hash: hash,
            created_at: now,
            updated_at: now,
            password_changed_at: now,
            disabled_at: None,
        },
    )
    .await?;
    audit::append(
        &*tx,
        NewEvent {
            request_id: None,
            actor,
            action: AuditAction::AccountCreated,
            data: json!({"account_id": id, "role": role}),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(generated.then_some(password))
}

/// Whether `password` is the current password of the enabled account `email`.
pub async fn check_password(app: &App, email: &str, password: &str) -> Result<bool, AppError> {
    let Ok(email) = normalised_email(email) else {
        return Ok(false);
    };
    Ok(q::find_by_email(app.store.db(), &email)
        .await?
        .is_some_and(|a| a.disabled_at.is_none() && password_matches(&a.password_hash, password)))
}

/// Every account, by address.
pub async fn list(app: &App) -> Result<Vec<AccountInfo>, AppError> {
    Ok(q::list(app.store.db())
        .await?
        .into_iter()
        .map(AccountInfo::from)
        .collect())
}

async fn existing(
    tx: &sea_orm::DatabaseTransaction,
    email: &str,
) -> Result<account::Model, AppError> {
    q::find_by_email(tx, &normalised_email(email)?)
        .await?
        .ok_or(AppError::NotFound("account"))
}

/// Disables an account (kept, so the audit trail still names it).
pub async fn disable(app: &App, actor: Actor, email: &str) -> Result<(), AppError> {
    let now = app.clock.now();
    let tx = app.store.write().await?;
    let a = existing(&tx, email).await?;
    if a.disabled_at.is_some() {
        return Err(AppError::Conflict(
            "the account is already disabled".to_owned(),
        ));
    }
    q::disable(&*tx, a.id, now).await?;
    q::close_sessions_of(&*tx, a.id).await?;
    audit::append(
        &*tx,
        NewEvent {
            request_id: None,
            actor,
            action: AuditAction::AccountDisabled,
            data: json!({"account_id": a.id}),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password; returns it when it was generated (to show once).
pub async fn set_password(
    app: &App,
    actor: Actor,
    email: &str,
    password: NewPassword<'_>,
) -> Result<Option<String>, AppError> {
    let (password, generated) = password.resolve()?;
    let hash = hash_password(&password)?;
    let now = app.clock.now();
    let tx = app.store.write().await?;
    let a = existing(&tx, email).await?;
    q::set_password(&*tx, a.id, hash, now).await?;
    q::close_sessions_of(&*tx, a.id).await?;
    audit::append(
        &*tx,
        NewEvent {
            request_id: None,
            actor,
            action: AuditAction::AccountPasswordChanged,
            data: json!({"account_id": a.id}),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(generated.then_some(password))
}

/// On a server's first start (no account at all): an admin for `email`, with a generated
/// password to print once. None when accounts exist.
pub async fn ensure_first_admin(
    app: &App,
    email: &str,
) -> Result<Option<(String, String)>, AppError> {
    if q::count(app.store.db()).await? > 0 {
        return Ok(None);
    }
    match add(
        app,
        Actor::System,
        email,
        Role::Admin,
        NewPassword::Generate,
    )
    .await
    {
        Ok(Some(password)) => Ok(Some((email.to_lowercase(), password))),
        Ok(None) => Ok(None),
        // Another node created it at the same moment.
        Err(AppError::Conflict(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_stored_as_argon2id_and_only_itself_matches() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(!h.contains("correct horse"));
        assert!(password_matches(&h, "correct horse battery"));
        assert!(!password_matches(&h, "correct horse battery "));
        assert!(!password_matches("not a hash", "x"));
        // Each hash has its own salt.
        assert_ne!(h, hash_password("correct horse battery").unwrap());
    }

    #[test]
    fn generated_passwords_are_long_and_distinct() {
        let (a, b) = (generate(), generate());
        assert_eq!(a.len(), 24);
        assert_ne!(a, b);
        assert!(check_policy(&a).is_ok());
        assert!(check_policy("short").is_err());
    }
}
