//! The identity link's secret and its preparation: a leaf of the intake (which stores a link
//! with the requests it confirms) and of verification (which checks and renews it).
//!
//! A link is `selector` (16 characters, stored) + `verifier` (43 characters, stored as its
//! SHA-256); the row is found by selector and the verifier compared in constant time.

use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use dsrflow_domain::identity::SecretPurpose;
use dsrflow_store::entity::{request, request_subject, verification};
use dsrflow_store::intake::NewLink;
use dsrflow_store::verifications as vq;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::outbox::{Audience, NewMessage};
use crate::{App, AppError};

/// Purpose of an identity link.
pub const IDENTITY: SecretPurpose = SecretPurpose::Identity;

pub(crate) const SELECTOR_LEN: usize = 16;
pub(crate) const TOKEN_LEN: usize = SELECTOR_LEN + 43;

pub(crate) fn random_b64(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

pub(crate) fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Splits a link token into selector and verifier; None when it cannot be one.
pub(crate) fn split_token(token: &str) -> Option<(&str, &str)> {
    if token.len() != TOKEN_LEN
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    Some(token.split_at(SELECTOR_LEN))
}

pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A link rendered and ready to store with its requests.
#[derive(Debug, Clone)]
pub struct PreparedLink {
    pub(crate) row: verification::Model,
    pub(crate) mail: NewMessage,
    pub(crate) reference: String,
}

/// Prepares the identity link for requests made together (`rows` share the subject): one row,
/// one mail naming every request. Rendered outside any transaction.
pub fn prepare_link(
    app: &App,
    rows: &[&request::Model],
    subject: &request_subject::Model,
    now: DateTime<Utc>,
) -> Result<Option<PreparedLink>, AppError> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let selector = random_b64(12);
    let verifier = random_b64(32);
    let token = format!("{selector}{verifier}");
    let ttl = TimeDelta::from_std(app.settings.verification.link_ttl).unwrap_or(TimeDelta::days(3));
    let expires_at = now + ttl;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mail = crate::notify::prepare(
        app,
        &dsrflow_mail::messages::VerifyIdentity {
            reference: first.reference.clone(),
            kind: first.kind,
            subject_name: subject.name.clone(),
            verify_url: crate::notify::link(
                app,
                &format!("/verify/{token}?lang={}", first.language.as_str()),
            ),
            expires_at,
            also: rows
                .iter()
                .skip(1)
                .map(|r| dsrflow_mail::messages::RequestLine {
                    reference: r.reference.clone(),
                    kind: r.kind,
                })
                .collect(),
            controller: crate::notify::controller(app),
        },
        first.language,
        Audience::Subject,
        subject.email.as_str(),
        Some(first.id),
        None,
        None,
    )?;
    Ok(Some(PreparedLink {
        row: verification::Model {
            id: Uuid::now_v7(),
            selector,
            verifier_hash: sha256_hex(&verifier),
            purpose: IDENTITY,
            request_ids: vq::request_ids_text(&ids),
            expires_at,
            used_at: None,
            attempts: 0,
            created_at: now,
        },
        mail,
        reference: first.reference.clone(),
    }))
}

/// Stores a prepared link and queues its mail in the caller's transaction; returns the outbox
/// id to deliver after the commit.
pub async fn store_link(
    app: &App,
    conn: &impl sea_orm::ConnectionTrait,
    link: &PreparedLink,
) -> Result<Option<Uuid>, AppError> {
    vq::insert(conn, link.row.clone()).await?;
    crate::outbox::enqueue(app, conn, link.mail.clone(), Some(&link.reference)).await
}

/// The rows of a prepared link: the link and its mail.
pub(crate) fn link_rows(app: &App, link: &PreparedLink) -> Result<NewLink, AppError> {
    Ok(NewLink {
        row: link.row.clone(),
        mail: crate::outbox::row(app, link.mail.clone(), Some(&link.reference))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_one_shape() {
        let t = format!("{}{}", random_b64(12), random_b64(32));
        assert_eq!(t.len(), TOKEN_LEN);
        assert!(split_token(&t).is_some());
        assert!(split_token(&t[1..]).is_none());
        assert!(split_token(&format!("{}!", &t[1..])).is_none());
        assert!(split_token("").is_none());
    }
}
