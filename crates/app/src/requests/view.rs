//! Reading requests: one, by reference, by the subject's status link, a page of them; and the
//! record that someone looked at a subject unmasked.

use super::*;
use dsrflow_domain::AuditAction;

/// Reads one request.
pub async fn get(app: &App, id: Uuid) -> Result<RequestDetails, AppError> {
    q::find(app.store.db(), id)
        .await?
        .map(Into::into)
        .ok_or(AppError::NotFound("request"))
}

/// Reads one request by its id or its reference (`DSR-…`, any case).
pub async fn find_by_ref(app: &App, reference: &str) -> Result<RequestDetails, AppError> {
    let reference = reference.trim();
    let found = match Uuid::parse_str(reference) {
        Ok(id) => q::find(app.store.db(), id).await?,
        Err(_) => q::find_by_reference(app.store.db(), &reference.to_ascii_uppercase()).await?,
    };
    found.map(Into::into).ok_or(AppError::NotFound("request"))
}

/// Records that `actor` looked at a request's subject unmasked (the CLI's `--reveal`): who saw
/// whose data is part of the accountability trail (GDPR Art. 5(2)).
pub async fn record_reveal(app: &App, actor: Actor, id: Uuid) -> Result<(), AppError> {
    let now = app.clock.now();
    let tx = app.store.write().await?;
    dsrflow_store::audit::append(
        &*tx,
        dsrflow_store::audit::NewEvent {
            request_id: Some(id),
            actor,
            action: AuditAction::SubjectRevealed,
            data: serde_json::json!({}),
            at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The request behind a subject's status link (None when the link is unknown).
pub async fn by_status_token(app: &App, token: &str) -> Result<RequestDetails, AppError> {
    if token.len() != 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(AppError::NotFound("status link"));
    }
    q::find_by_status_token(app.store.db(), &crate::notify::status_token_hash(token))
        .await?
        .map(Into::into)
        .ok_or(AppError::NotFound("status link"))
}

/// Lists requests, soonest deadline first.
pub async fn list(app: &App, filter: ListFilter) -> Result<Page<RequestDetails>, AppError> {
    let (rows, total) = q::list(app.store.db(), &filter).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        // Subjects are small; one query per row keeps the code simple at page sizes ≤ 200.
        if let Some(rec) = q::find(app.store.db(), row.id).await? {
            items.push(rec.into());
        }
    }
    Ok(Page {
        items,
        page: filter.page.max(1),
        per_page: filter.per_page.clamp(1, 200),
        total,
    })
}

/// One event of a request's timeline (from the audit trail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// What (`request.created`, `task.finished` …).
    pub action: String,
    /// Who (`form`, `token:<name>`, `account:<id>`, `system` …).
    pub actor: String,
}

/// A request's timeline, oldest first.
pub async fn timeline(app: &App, id: Uuid) -> Result<Vec<TimelineEntry>, AppError> {
    Ok(dsrflow_store::audit::for_request(app.store.db(), id)
        .await?
        .into_iter()
        .map(|e| TimelineEntry {
            at: e.occurred_at,
            action: e.action.to_string(),
            actor: e.actor,
        })
        .collect())
}

/// One message queued about a request (no address, no body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailEntry {
    /// When it was sent, else queued.
    pub at: DateTime<Utc>,
    /// Which message (`acknowledgement`, `completed_erasure` …).
    pub template: String,
    /// Who it is for.
    pub audience: dsrflow_domain::message::Audience,
    /// Where it stands.
    pub status: dsrflow_domain::message::MailStatus,
}

/// The messages queued about a request, oldest first.
pub async fn mails(app: &App, id: Uuid) -> Result<Vec<MailEntry>, AppError> {
    Ok(dsrflow_store::outbox::for_request(app.store.db(), id)
        .await?
        .into_iter()
        .map(|m| MailEntry {
            at: m.sent_at.unwrap_or(m.created_at),
            template: m.template,
            audience: m.audience,
            status: m.status,
        })
        .collect())
}
