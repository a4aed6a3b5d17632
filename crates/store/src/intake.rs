//! The write of an intake: requests made together (one call, one form, one mail), each with
//! its subject, its clock pause, its acknowledgement and its `request.created` event, and the
//! identity link that the requester confirms for all of them, with its mail.
//!
//! [`insert`] writes them in the caller's transaction; [`Store::create_requests`] in a
//! transaction shared with the other intakes of the moment (group commit: on SQLite one turn
//! of the single writer, on PostgreSQL one commit, for all of them). The rows go in few round
//! trips (`crate::batch::Batch`):
//!
//! - **SQLite**: the events go first, in one round trip, chained to the head this process
//!   wrote last (`crate::audit::Guess`: each insert checks the head in the same statement);
//!   when there is no head remembered yet or the guess went stale (another process wrote),
//!   nothing was written and the rows go one by one.
//! - **PostgreSQL**: the rows in one statement, then each event in one statement of its own
//!   (the audit head's lock is taken last and held only until the commit).

use sea_orm::prelude::Uuid;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend};

use crate::audit::{self, Guess, NewEvent};
use crate::batch::Batch;
use crate::entity::{outbox, request, request_subject, verification};
use crate::group::{Step, TxFuture};
use crate::{Store, StoreError};

/// One request to store.
#[derive(Debug, Clone)]
pub struct NewIntake {
    /// The request row.
    pub request: request::Model,
    /// Who it is about.
    pub subject: request_subject::Model,
    /// A clock pause to open at once (the reason), while the requester confirms.
    pub pause: Option<dsrflow_domain::lifecycle::PauseReason>,
    /// The acknowledgement, queued.
    pub ack: outbox::Model,
    /// Its `request.created` event.
    pub event: NewEvent,
}

/// The identity link of requests made together, and the mail that carries it.
#[derive(Debug, Clone)]
pub struct NewLink {
    /// The link's row.
    pub row: verification::Model,
    /// Its mail.
    pub mail: outbox::Model,
}

/// Requests made together.
#[derive(Debug, Clone, Default)]
pub struct Intakes {
    /// The requests.
    pub items: Vec<NewIntake>,
    /// Their identity link, when the requester must confirm.
    pub link: Option<NewLink>,
}

impl Intakes {
    /// The outbox ids of the mail they queue (to deliver once committed).
    pub fn mail(&self) -> Vec<Uuid> {
        self.items
            .iter()
            .map(|i| i.ack.id)
            .chain(self.link.as_ref().map(|l| l.mail.id))
            .collect()
    }
}

impl Store {
    /// Stores requests made together, all or none, in a transaction shared with the other
    /// intakes of the moment (see the module documentation).
    pub async fn create_requests(&self, intakes: Intakes) -> Result<(), StoreError> {
        self.grouped(
            move |tx: &DatabaseTransaction| -> TxFuture<'_, Result<Step<()>, StoreError>> {
                let intakes = intakes.clone();
                Box::pin(async move { insert(tx, &intakes).await.map(Step::Commit) })
            },
        )
        .await
    }
}

/// Stores requests made together in the caller's write transaction (see the module
/// documentation).
pub async fn insert(conn: &impl ConnectionTrait, intakes: &Intakes) -> Result<(), StoreError> {
    if insert_at_once(conn, intakes).await? {
        return Ok(());
    }
    for i in &intakes.items {
        crate::requests::insert(conn, i.request.clone(), i.subject.clone()).await?;
        if let Some(reason) = i.pause {
            crate::requests::open_pause(conn, i.request.id, reason, i.request.created_at).await?;
        }
        queue(conn, i.ack.clone()).await?;
        audit::append(conn, i.event.clone()).await?;
    }
    if let Some(link) = &intakes.link {
        crate::verifications::insert(conn, link.row.clone()).await?;
        queue(conn, link.mail.clone()).await?;
    }
    Ok(())
}

/// Queues a new request's message; its dedupe key names the request, so it is never taken.
async fn queue(conn: &impl ConnectionTrait, m: outbox::Model) -> Result<(), StoreError> {
    if crate::outbox::insert(conn, m).await? {
        Ok(())
    } else {
        Err(StoreError::Corrupt(
            "a new request's message was queued already".to_owned(),
        ))
    }
}

/// Every row in two round trips; false when nothing was written (SQLite without a usable
/// guess of the head).
async fn insert_at_once(
    conn: &impl ConnectionTrait,
    intakes: &Intakes,
) -> Result<bool, StoreError> {
    let backend = conn.get_database_backend();
    let guess = match backend {
        DbBackend::Sqlite => {
            let Some(mut head) = Guess::current(backend) else {
                return Ok(false);
            };
            let mut events = Batch::default();
            for i in &intakes.items {
                events.push(head.append(&i.event));
            }
            // A stale guess inserts nothing (and the events after it follow it).
            let appended = events.run(conn).await?;
            if appended == 0 {
                return Ok(false);
            }
            if appended != intakes.items.len() as u64 {
                return Err(StoreError::Corrupt(
                    "the audit chain moved while events were appended".to_owned(),
                ));
            }
            Some(head)
        }
        DbBackend::Postgres => None,
        _ => return Ok(false),
    };
    let mut rows = Batch::default();
    for i in &intakes.items {
        rows.extend(crate::requests::insert_statements(
            backend,
            i.request.clone(),
            i.subject.clone(),
        ));
        if let Some(reason) = i.pause {
            rows.push(crate::requests::open_pause_statement(
                backend,
                i.request.id,
                reason,
                i.request.created_at,
            ));
        }
        rows.push(crate::outbox::insert_statement(backend, i.ack.clone()));
    }
    if let Some(link) = &intakes.link {
        rows.push(crate::verifications::insert_statement(
            backend,
            link.row.clone(),
        ));
        rows.push(crate::outbox::insert_statement(backend, link.mail.clone()));
    }
    let written = rows.run(conn).await.map_err(|e| match e {
        StoreError::Db(db) if StoreError::is_unique_violation(&db) => {
            StoreError::Conflict("a request with this id or reference")
        }
        e => e,
    })?;
    let expected = intakes
        .items
        .iter()
        .map(|i| 3 + u64::from(i.pause.is_some()))
        .sum::<u64>()
        + if intakes.link.is_some() { 2 } else { 0 };
    if written != expected {
        // A message's dedupe key was taken: never for a new request's messages, whose keys
        // name the request. Refuse rather than report mail that is not queued.
        return Err(StoreError::Corrupt(format!(
            "an intake wrote {written} rows where {expected} were expected"
        )));
    }
    match guess {
        // The events are in the transaction; remember where the chain's head is now.
        Some(head) => head.keep(),
        None => {
            for i in &intakes.items {
                audit::append(conn, i.event.clone()).await?;
            }
        }
    }
    Ok(true)
}
