//! Queries on requests, their subjects and their clock pauses.

use chrono::{DateTime, NaiveDate, Utc};
use dsrflow_domain::{RequestKind, RequestStatus};
use sea_orm::prelude::Uuid;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::StoreError;
use crate::entity::{request, request_pause, request_subject};

/// A request with its subject and pauses.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    /// The request row.
    pub request: request::Model,
    /// Who it is about.
    pub subject: request_subject::Model,
    /// Clock pauses, oldest first.
    pub pauses: Vec<request_pause::Model>,
}

/// Inserts a new request and its subject.
pub async fn insert(
    conn: &impl ConnectionTrait,
    req: request::Model,
    subject: request_subject::Model,
) -> Result<(), StoreError> {
    request::Entity::insert(req.into_active_model())
        .exec_without_returning(conn)
        .await
        .map_err(|e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict("a request with this id or reference")
            } else {
                e.into()
            }
        })?;
    request_subject::Entity::insert(subject.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The inserts of [`insert`], to run in a [`crate::batch::Batch`].
pub(crate) fn insert_statements(
    backend: sea_orm::DbBackend,
    req: request::Model,
    subject: request_subject::Model,
) -> [sea_orm::Statement; 2] {
    use sea_orm::QueryTrait;
    [
        request::Entity::insert(req.into_active_model()).build(backend),
        request_subject::Entity::insert(subject.into_active_model()).build(backend),
    ]
}

/// The insert of [`open_pause`], to run in a [`crate::batch::Batch`].
pub(crate) fn open_pause_statement(
    backend: sea_orm::DbBackend,
    request_id: Uuid,
    reason: dsrflow_domain::lifecycle::PauseReason,
    at: DateTime<Utc>,
) -> sea_orm::Statement {
    use sea_orm::QueryTrait;
    request_pause::Entity::insert(request_pause::ActiveModel {
        request_id: Set(request_id),
        reason: Set(reason),
        started_at: Set(at),
        ended_at: Set(None),
        ..Default::default()
    })
    .build(backend)
}

/// Loads a request with its subject, without its pauses (one query).
pub async fn find_with_subject(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<(request::Model, request_subject::Model)>, StoreError> {
    let Some((req, subject)) = request::Entity::find_by_id(id)
        .find_also_related(request_subject::Entity)
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let subject =
        subject.ok_or_else(|| StoreError::Corrupt(format!("request {id} has no subject row")))?;
    Ok(Some((req, subject)))
}

/// Loads a request with its subject and pauses.
pub async fn find(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<RequestRecord>, StoreError> {
    let Some((req, subject)) = find_with_subject(conn, id).await? else {
        return Ok(None);
    };
    let pauses = request_pause::Entity::find()
        .filter(request_pause::Column::RequestId.eq(id))
        .order_by_asc(request_pause::Column::Id)
        .all(conn)
        .await?;
    Ok(Some(RequestRecord {
        request: req,
        subject,
        pauses,
    }))
}

/// Writes every column of `updated` if the stored version is still `updated.version`, and bumps
/// the version. Fails with [`StoreError::Concurrent`] when someone else changed the row first.
pub async fn update(
    conn: &impl ConnectionTrait,
    mut updated: request::Model,
) -> Result<request::Model, StoreError> {
    let expected = updated.version;
    updated.version = expected + 1;
    let am = updated.clone().into_active_model().reset_all();
    let res = request::Entity::update_many()
        .set(am)
        .filter(request::Column::Id.eq(updated.id))
        .filter(request::Column::Version.eq(expected))
        .exec(conn)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::Concurrent);
    }
    Ok(updated)
}

/// A request by its reference (`DSR-XXXXXXXX`).
pub async fn find_by_reference(
    conn: &impl ConnectionTrait,
    reference: &str,
) -> Result<Option<RequestRecord>, StoreError> {
    let Some(r) = request::Entity::find()
        .filter(request::Column::Reference.eq(reference))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    find(conn, r.id).await
}

/// A request by the hash of its status token.
pub async fn find_by_status_token(
    conn: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<RequestRecord>, StoreError> {
    let Some(r) = request::Entity::find()
        .filter(request::Column::StatusTokenHash.eq(token_hash))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    find(conn, r.id).await
}

/// Opens a clock pause.
pub async fn open_pause(
    conn: &impl ConnectionTrait,
    request_id: Uuid,
    reason: dsrflow_domain::lifecycle::PauseReason,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    request_pause::ActiveModel {
        request_id: Set(request_id),
        reason: Set(reason),
        started_at: Set(at),
        ended_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// Closes the open pause of a request, if any.
pub async fn close_pause(
    conn: &impl ConnectionTrait,
    request_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    request_pause::Entity::update_many()
        .col_expr(
            request_pause::Column::EndedAt,
            sea_orm::sea_query::Expr::value(Some(at)),
        )
        .filter(request_pause::Column::RequestId.eq(request_id))
        .filter(request_pause::Column::EndedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// An upper bound on the due date for listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueBefore {
    /// Deadline day strictly before this day.
    Day(NaiveDate),
    /// Period ends at or before this instant.
    Instant(DateTime<Utc>),
}

/// Filters and paging for [`list`].
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this status.
    pub status: Option<RequestStatus>,
    /// Only this kind.
    pub kind: Option<RequestKind>,
    /// Only requests due before this.
    pub due_before: Option<DueBefore>,
    /// Only open (non-final) requests.
    pub open_only: bool,
    /// Page number, from 1.
    pub page: u64,
    /// Page size.
    pub per_page: u64,
}

/// Requests still waiting for their requester to confirm who they are, created before `cutoff`
/// (at most `limit`, oldest first).
pub async fn unverified_before(
    conn: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<request::Model>, StoreError> {
    Ok(request::Entity::find()
        .filter(request::Column::Status.eq(RequestStatus::AwaitingVerification))
        .filter(request::Column::CreatedAt.lt(cutoff))
        .order_by_asc(request::Column::CreatedAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Lists requests, soonest deadline first, with the total count matching the filter.
pub async fn list(
    conn: &impl ConnectionTrait,
    filter: &ListFilter,
) -> Result<(Vec<request::Model>, u64), StoreError> {
    let mut q = request::Entity::find();
    if let Some(s) = filter.status {
        q = q.filter(request::Column::Status.eq(s));
    }
    if let Some(k) = filter.kind {
        q = q.filter(request::Column::Kind.eq(k));
    }
    match filter.due_before {
        Some(DueBefore::Day(d)) => q = q.filter(request::Column::Deadline.lt(d)),
        Some(DueBefore::Instant(t)) => q = q.filter(request::Column::DueAt.lte(t)),
        None => {}
    }
    if filter.open_only {
        let finals: Vec<RequestStatus> = RequestStatus::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .collect();
        q = q.filter(request::Column::Status.is_not_in(finals));
    }
    let total = q.clone().count(conn).await?;
    let per_page = filter.per_page.clamp(1, 200);
    let page = filter.page.max(1);
    let rows = q
        .order_by_asc(request::Column::DueAt)
        .order_by_asc(request::Column::Id)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((rows, total))
}
