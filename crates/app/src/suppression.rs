//! The suppression list (Art. 17, Art. 21(3)): after an erasure or an objection to direct
//! marketing, the subject's address is remembered only as a keyed hash, so marketing imports can
//! be checked against it without dsrflow keeping the address.

use std::collections::BTreeMap;

use dsrflow_domain::SubjectEmail;
use dsrflow_domain::kind::SuppressionScope;
use dsrflow_store::suppressions as sq;
use uuid::Uuid;

use crate::{App, AppError};

/// The keyed hash an address is listed under.
pub fn hash(app: &App, email: &SubjectEmail) -> String {
    app.settings
        .data_key
        .keyed_hash("suppression", email.as_str())
}

/// Adds a subject inside the caller's transaction.
pub async fn add(
    app: &App,
    conn: &impl sea_orm::ConnectionTrait,
    email: &SubjectEmail,
    scope: SuppressionScope,
    request_id: Uuid,
) -> Result<(), AppError> {
    sq::add(
        conn,
        &hash(app, email),
        scope,
        Some(request_id),
        app.clock.now(),
    )
    .await?;
    Ok(())
}

/// The answer for one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Whether the address is on the list.
    pub suppressed: bool,
    /// `all` or `marketing`.
    pub scope: Option<SuppressionScope>,
    /// Since when.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
}

/// Checks addresses against the list (in order of the input).
pub async fn check(app: &App, emails: &[SubjectEmail]) -> Result<Vec<Check>, AppError> {
    let hashes: Vec<String> = emails.iter().map(|e| hash(app, e)).collect();
    let found: BTreeMap<String, _> = sq::find_many(app.store.db(), hashes.clone())
        .await?
        .into_iter()
        .map(|s| (s.hash.clone(), s))
        .collect();
    Ok(hashes
        .iter()
        .map(|h| match found.get(h) {
            Some(s) => Check {
                suppressed: true,
                scope: Some(s.scope),
                since: Some(s.created_at),
            },
            None => Check {
                suppressed: false,
                scope: None,
                since: None,
            },
        })
        .collect())
}
