//! Stateless CSRF protection for the public form: a signed double-submit token.
//!
//! `GET /request` sets a random secret in an `HttpOnly; SameSite=Strict` cookie and puts
//! `issued_at.HMAC(key, secret.issued_at)` in the hidden `csrf_token` field; `POST /request`
//! accepts the submission only when the field's MAC matches the cookie's secret (compared in
//! constant time) and was issued less than [`MAX_AGE_SECS`] ago. A cross-site page can neither
//! read the cookie nor forge the MAC, and SameSite=Strict keeps the cookie off cross-site
//! posts altogether (OWASP CSRF cheat sheet, "signed double-submit cookie"). The key is derived
//! from the data key, so every node of a cluster accepts every other node's tokens.

use chrono::{DateTime, Utc};
use dsrflow_app::crypto::DataKey;
use rand::RngCore;
use subtle::ConstantTimeEq;

/// The cookie holding the secret.
pub const COOKIE: &str = "dsrflow_csrf";

/// The hidden form field holding the signed token.
pub const FIELD: &str = "csrf_token";

/// How long a form stays valid: long enough to write a careful request, short enough that a
/// leaked page is soon useless.
pub const MAX_AGE_SECS: i64 = 2 * 3600;

/// Clock skew tolerated between cluster nodes.
const SKEW_SECS: i64 = 60;

const PURPOSE: &str = "form-csrf";

/// Why a submission's token was refused (for the log; the visitor sees one message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CsrfError {
    /// No cookie, or not one we made.
    #[error("no CSRF cookie")]
    MissingCookie,
    /// No token field, or not in our shape.
    #[error("no CSRF token")]
    MissingToken,
    /// Older than the maximum age, or from the future.
    #[error("expired CSRF token")]
    Expired,
    /// The MAC does not match the cookie.
    #[error("CSRF token does not match")]
    Mismatch,
}

/// A new random cookie secret (256 bits, hex).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The visitor's secret from their CSRF cookie when it is one of ours (so two open tabs both
/// stay valid), else a new one.
pub fn secret_of(headers: &axum::http::HeaderMap) -> String {
    crate::site::lang::cookie_value(headers, COOKIE)
        .filter(|c| is_secret(c))
        .map(str::to_owned)
        .unwrap_or_else(new_secret)
}

/// Whether `s` has the shape of a secret we issue.
pub fn is_secret(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn mac(key: &DataKey, secret: &str, issued_at: i64) -> String {
    key.keyed_hash(PURPOSE, &format!("{secret}.{issued_at}"))
}

/// The hidden field's value for the cookie `secret`, issued `now`.
pub fn token(key: &DataKey, secret: &str, now: DateTime<Utc>) -> String {
    let ts = now.timestamp();
    format!("{ts}.{}", mac(key, secret, ts))
}

/// Checks a submission's cookie and field.
pub fn verify(
    key: &DataKey,
    cookie: Option<&str>,
    field: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), CsrfError> {
    let secret = cookie
        .filter(|c| is_secret(c))
        .ok_or(CsrfError::MissingCookie)?;
    let (ts, given) = field
        .and_then(|f| f.trim().split_once('.'))
        .ok_or(CsrfError::MissingToken)?;
    let ts: i64 = ts.parse().map_err(|_| CsrfError::MissingToken)?;
    let age = now.timestamp().saturating_sub(ts);
    if !(-SKEW_SECS..=MAX_AGE_SECS).contains(&age) {
        return Err(CsrfError::Expired);
    }
    let expected = mac(key, secret, ts);
    if expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        Ok(())
    } else {
        Err(CsrfError::Mismatch)
    }
}

/// The `Set-Cookie` value for `secret`: scoped to the form, invisible to scripts, never sent
/// on cross-site requests.
pub fn set_cookie(secret: &str, secure: bool) -> String {
    set_cookie_at(secret, secure, "/request")
}

/// As [`set_cookie`], scoped to another form's path (`/login`).
pub fn set_cookie_at(secret: &str, secure: bool, path: &str) -> String {
    format!(
        "{COOKIE}={secret}; Path={path}; Max-Age={MAX_AGE_SECS}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use chrono::Duration;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn a_token_is_accepted_with_its_cookie_until_it_expires() {
        let key = DataKey::generate();
        let secret = new_secret();
        let t = token(&key, &secret, now());
        assert_eq!(verify(&key, Some(&secret), Some(&t), now()), Ok(()));
        let later = now() + Duration::seconds(MAX_AGE_SECS);
        assert_eq!(verify(&key, Some(&secret), Some(&t), later), Ok(()));
        let too_late = later + Duration::seconds(1);
        assert_eq!(
            verify(&key, Some(&secret), Some(&t), too_late),
            Err(CsrfError::Expired)
        );
        let before = now() - Duration::seconds(SKEW_SECS + 1);
        assert_eq!(
            verify(&key, Some(&secret), Some(&t), before),
            Err(CsrfError::Expired)
        );
    }

    #[test]
    fn a_token_is_refused_with_another_cookie_key_or_timestamp() {
        let key = DataKey::generate();
        let secret = new_secret();
        let t = token(&key, &secret, now());
        assert_eq!(
            verify(&key, Some(&new_secret()), Some(&t), now()),
            Err(CsrfError::Mismatch)
        );
        assert_eq!(
            verify(&DataKey::generate(), Some(&secret), Some(&t), now()),
            Err(CsrfError::Mismatch)
        );
        let (_, mac) = t.split_once('.').unwrap();
        let moved = format!("{}.{mac}", now().timestamp() + 5);
        assert_eq!(
            verify(&key, Some(&secret), Some(&moved), now()),
            Err(CsrfError::Mismatch)
        );
        assert_eq!(
            verify(&key, None, Some(&t), now()),
            Err(CsrfError::MissingCookie)
        );
        assert_eq!(
            verify(&key, Some("short"), Some(&t), now()),
            Err(CsrfError::MissingCookie)
        );
        assert_eq!(
            verify(&key, Some(&secret), None, now()),
            Err(CsrfError::MissingToken)
        );
        assert_eq!(
            verify(&key, Some(&secret), Some("garbage"), now()),
            Err(CsrfError::MissingToken)
        );
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_scoped_to_the_form() {
        let c = set_cookie(&new_secret(), false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict"));
        assert!(c.contains("Path=/request") && !c.contains("Secure"));
        assert!(set_cookie("x", true).ends_with("; Secure"));
    }
}
