//! The audit trail: append-only events, each holding the hash of the previous one.
//!
//! An event's hash is SHA-256 over its sequence number, time, request id, actor, action, canonical
//! JSON data and the previous hash. Editing any field breaks that event's hash; deleting an event
//! breaks the sequence or the next event's link; deleting the newest events disagrees with the
//! head row. [`verify`] walks the chain and names the first bad event.
//!
//! Appends lock the head row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite write transactions are
//! exclusive), so the chain stays linear across processes and machines.

use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use sea_orm::prelude::Uuid;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::StoreError;
use crate::entity::{audit_event, audit_head};

/// The hash that precedes the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

use dsrflow_domain::Actor;

/// An event to append. `data` must not hold raw personal data.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The request concerned, if any.
    pub request_id: Option<Uuid>,
    /// Who acted.
    pub actor: Actor,
    /// A stable action name, e.g. `request.created`.
    pub action: dsrflow_domain::AuditAction,
    /// Details (ids, statuses, dates, counts).
    pub data: Value,
    /// When it happened.
    pub at: DateTime<Utc>,
}

/// The last head this process wrote on SQLite, to append without reading the head first. It is
/// only a guess: the insert that uses it checks, in the same statement, that the stored head
/// still has exactly this sequence number and hash (another process, a rolled-back transaction
/// or another database all make it fail, and the append then reads the head).
static SQLITE_HEAD: std::sync::Mutex<Option<(i64, String)>> = std::sync::Mutex::new(None);

fn remember_head(seq: i64, hash: &str) {
    if let Ok(mut head) = SQLITE_HEAD.lock() {
        *head = Some((seq, hash.to_owned()));
    }
}

/// The head that the next events of this process will follow on SQLite, to build appends that
/// go into a [`crate::batch::Batch`] with other writes; each insert checks the guess in the
/// same statement (a wrong guess inserts nothing, and the batch fails as a whole).
#[derive(Debug, Clone)]
pub(crate) struct Guess {
    seq: i64,
    hash: String,
}

impl Guess {
    /// The head this process wrote last, if it wrote one (SQLite only).
    pub fn current(backend: DbBackend) -> Option<Self> {
        if backend != DbBackend::Sqlite {
            return None;
        }
        let (seq, hash) = SQLITE_HEAD.lock().ok().and_then(|h| h.clone())?;
        Some(Self { seq, hash })
    }

    /// The insert of `event` after this head (inserting nothing unless the stored head is
    /// still this one); the guess moves to the event.
    pub fn append(&mut self, event: &NewEvent) -> Statement {
        let e = Prepared::new(event, self.seq, &self.hash);
        let stmt = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO audit_event (seq, occurred_at, request_id, actor, action, data, prev_hash, hash) \
             SELECT ?, ?, ?, ?, ?, ?, ?, ? FROM audit_head WHERE id = 1 AND seq = ? AND hash = ?",
            e.values(self.seq.into(), self.hash.clone().into()),
        );
        self.seq = e.seq;
        self.hash = e.hash;
        stmt
    }

    /// The appends built from this guess were committed to the transaction: remember where the
    /// head is now.
    pub fn keep(self) {
        remember_head(self.seq, &self.hash);
    }
}

/// Appends an event inside the caller's write transaction and returns its sequence number.
pub async fn append(conn: &impl ConnectionTrait, event: NewEvent) -> Result<i64, StoreError> {
    let backend = conn.get_database_backend();
    if backend == DbBackend::Sqlite {
        let guess = SQLITE_HEAD.lock().ok().and_then(|h| h.clone());
        if let Some((head_seq, head_hash)) = guess {
            let e = Prepared::new(&event, head_seq, &head_hash);
            // The trigger `audit_event_moves_head` moves the head to this event.
            let res = crate::exec(
                conn,
                "INSERT INTO audit_event (seq, occurred_at, request_id, actor, action, data, prev_hash, hash) \
                 SELECT ?, ?, ?, ?, ?, ?, ?, ? FROM audit_head WHERE id = 1 AND seq = ? AND hash = ?",
                e.values(head_seq.into(), head_hash.clone().into()),
            )
            .await?;
            if res.rows_affected() == 1 {
                remember_head(e.seq, &e.hash);
                return Ok(e.seq);
            }
        }
    }
    if backend == DbBackend::Postgres {
        return append_pg(conn, &event).await;
    }
    let row = conn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT seq, hash FROM audit_head WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt("the audit head row is missing".to_owned()))?;
    let head_seq: i64 = row.try_get("", "seq")?;
    let head_hash: String = row.try_get("", "hash")?;
    let e = Prepared::new(&event, head_seq, &head_hash);
    // SQLite: the trigger `audit_event_moves_head` moves the head.
    crate::exec(
        conn,
        "INSERT INTO audit_event (seq, occurred_at, request_id, actor, action, data, prev_hash, hash) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        e.values_only(),
    )
    .await?;
    remember_head(e.seq, &e.hash);
    Ok(e.seq)
}

/// The append on PostgreSQL: one statement locks the head row, computes the event's hash in the
/// database ([`event_hash`], with PostgreSQL's `sha256`), inserts the event and moves the head.
/// One round trip, and the lock that every audited transaction of every node waits for is taken
/// by the statement that needs it, not a round trip earlier.
async fn append_pg(conn: &impl ConnectionTrait, event: &NewEvent) -> Result<i64, StoreError> {
    let sql = format!("WITH {} SELECT seq FROM moved", pg_append_ctes(0, ""));
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            pg_append_values(event),
        ))
        .await?
        .ok_or_else(|| StoreError::Corrupt("the audit head row is missing".to_owned()))?;
    Ok(row.try_get("", "seq")?)
}

/// The common table expressions `h` (the head, locked), `ins` (the event) and `moved` (the head
/// moved to it) of an append on PostgreSQL, with the event's seven values as the parameters
/// `$offset+1` … `$offset+7` ([`pg_append_values`]); `guard` is a further condition for taking
/// the head (nothing is appended when it fails).
fn pg_append_ctes(offset: usize, guard: &str) -> String {
    let part = pg_hash_part;
    let p = |i: usize| format!("${}", offset + i);
    let input = [
        part("(h.seq + 1)::text"),
        part(&format!("{}::text", p(2))),
        part(&format!("{}::text", p(4))),
        part(&format!("{}::text", p(5))),
        part(&format!("{}::text", p(6))),
        part(&format!("{}::text", p(7))),
        part("h.hash::text"),
    ]
    .join(" || ");
    format!(
        "h AS (SELECT seq, hash FROM audit_head WHERE id = 1{guard} FOR UPDATE), \
         ins AS (INSERT INTO audit_event (seq, occurred_at, request_id, actor, action, data, prev_hash, hash) \
         SELECT h.seq + 1, {t}, {rid}, {actor}, {action}, {data}, h.hash, encode(sha256({input}), 'hex') \
         FROM h RETURNING seq, hash), \
         moved AS (UPDATE audit_head SET seq = ins.seq, hash = ins.hash FROM ins \
         WHERE audit_head.id = 1 RETURNING audit_head.seq)",
        t = p(1),
        rid = p(3),
        actor = p(5),
        action = p(6),
        data = p(7),
    )
}

/// The parameters of [`pg_append_ctes`]: the time (as a timestamp, and as the text the hash
/// covers), the request id (as a uuid, and as text), the actor, the action and the data.
fn pg_append_values(event: &NewEvent) -> Vec<sea_orm::Value> {
    let occurred_at = truncate_micros(event.at);
    vec![
        occurred_at.into(),
        occurred_at
            .to_rfc3339_opts(SecondsFormat::Micros, true)
            .into(),
        event.request_id.into(),
        event
            .request_id
            .map(|id| id.to_string())
            .unwrap_or_default()
            .into(),
        event.actor.as_string().into(),
        event.action.into(),
        canonical_json(&event.data).into(),
    ]
}

/// One statement on PostgreSQL for several version-checked changes, each followed by its event
/// when it changed its row: the events of the changes that took effect are chained in their
/// order, in the database (a recursive common table expression computes each hash from the
/// previous one, as [`event_hash`] does), and the head moves to the last. The head is locked
/// once, and the statement commits once, for all of them. The result has one row: `done`, the
/// 1-based positions of the changes that changed their row, and `head`.
///
/// A change may come with further statements (`also`) that run with it whether or not it took
/// effect (idempotent companions, such as a suppression entry with a fan-out's tasks).
pub(crate) fn pg_batch(items: &[(Statement, Vec<Statement>, NewEvent)]) -> Statement {
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let mut ctes = Vec::with_capacity(items.len() + 6);
    let mut done = Vec::with_capacity(items.len());
    for (i, (change, also, _)) in items.iter().enumerate() {
        let k = i + 1;
        ctes.push(format!(
            "u{k} AS ({} RETURNING 1)",
            crate::batch::shift_placeholders(&change.sql, values.len())
        ));
        values.extend(change.values.clone().map(|v| v.0).unwrap_or_default());
        // An insert of several rows returns several; the change took effect once.
        done.push(format!("SELECT DISTINCT {k} FROM u{k}"));
        for (j, stmt) in also.iter().enumerate() {
            ctes.push(format!(
                "a{k}_{j} AS ({} RETURNING 1)",
                crate::batch::shift_placeholders(&stmt.sql, values.len())
            ));
            values.extend(stmt.values.clone().map(|v| v.0).unwrap_or_default());
        }
    }
    ctes.push(format!("done(k) AS ({})", done.join(" UNION ALL ")));
    // The events as seven parallel arrays (the request id as text, empty for none).
    let mut ks = Vec::new();
    let mut times = Vec::new();
    let mut time_texts = Vec::new();
    let mut rid_texts = Vec::new();
    let mut actors = Vec::new();
    let mut actions = Vec::new();
    let mut datas = Vec::new();
    for (i, (_, _, e)) in items.iter().enumerate() {
        let at = truncate_micros(e.at);
        ks.push(i32::try_from(i + 1).unwrap_or(i32::MAX));
        times.push(at);
        time_texts.push(at.to_rfc3339_opts(SecondsFormat::Micros, true));
        rid_texts.push(e.request_id.map(|id| id.to_string()).unwrap_or_default());
        actors.push(e.actor.as_string());
        actions.push(e.action.to_owned());
        datas.push(canonical_json(&e.data));
    }
    let n = values.len();
    values.push(ks.into());
    values.push(times.into());
    values.push(time_texts.into());
    values.push(rid_texts.into());
    values.push(actors.into());
    values.push(actions.into());
    values.push(datas.into());
    let p = |i: usize| format!("${}", n + i);
    ctes.push(format!(
        "ev AS (SELECT e.*, row_number() OVER (ORDER BY e.k) AS rn \
         FROM unnest({}::int4[], {}::timestamptz[], {}::text[], {}::text[], {}::text[], {}::text[], {}::text[]) \
         AS e(k, t, t_txt, rid_txt, actor, action, data) WHERE e.k IN (SELECT k FROM done))",
        p(1),
        p(2),
        p(3),
        p(4),
        p(5),
        p(6),
        p(7)
    ));
    ctes.push(
        "h AS (SELECT seq, hash FROM audit_head WHERE id = 1 AND EXISTS (SELECT 1 FROM done) FOR UPDATE)"
            .to_owned(),
    );
    let input = [
        pg_hash_part("(c.seq + 1)::text"),
        pg_hash_part("e.t_txt"),
        pg_hash_part("e.rid_txt"),
        pg_hash_part("e.actor"),
        pg_hash_part("e.action"),
        pg_hash_part("e.data"),
        pg_hash_part("c.hash"),
    ]
    .join(" || ");
    ctes.push(format!(
        "chain(n, seq, hash) AS (SELECT 0::int8, h.seq, h.hash::text FROM h \
         UNION ALL SELECT c.n + 1, c.seq + 1, encode(sha256({input}), 'hex') \
         FROM chain c JOIN ev e ON e.rn = c.n + 1)"
    ));
    ctes.push(
        "ins AS (INSERT INTO audit_event (seq, occurred_at, request_id, actor, action, data, prev_hash, hash) \
         SELECT c.seq, e.t, NULLIF(e.rid_txt, '')::uuid, e.actor, e.action, e.data, p.hash, c.hash \
         FROM chain c JOIN chain p ON p.n = c.n - 1 JOIN ev e ON e.rn = c.n RETURNING seq, hash)"
            .to_owned(),
    );
    ctes.push(
        "moved AS (UPDATE audit_head SET seq = m.seq, hash = m.hash \
         FROM (SELECT seq, hash FROM ins ORDER BY seq DESC LIMIT 1) m \
         WHERE audit_head.id = 1 RETURNING audit_head.seq)"
            .to_owned(),
    );
    let sql = format!(
        "WITH RECURSIVE {} SELECT (SELECT string_agg(k::text, ',') FROM done) AS done, (SELECT seq FROM moved) AS head",
        ctes.join(", ")
    );
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// One length-prefixed part of the hash input, as `event_hash` writes it, in PostgreSQL.
fn pg_hash_part(expr: &str) -> String {
    format!(
        "int8send(octet_length(convert_to({expr}, 'UTF8'))::int8) || convert_to({expr}, 'UTF8')"
    )
}

/// An event ready to insert after the head (`head_seq`, `head_hash`).
struct Prepared {
    seq: i64,
    occurred_at: DateTime<Utc>,
    request_id: Option<Uuid>,
    actor: String,
    action: &'static str,
    data: String,
    prev_hash: String,
    hash: String,
}

impl Prepared {
    fn new(event: &NewEvent, head_seq: i64, head_hash: &str) -> Self {
        let seq = head_seq + 1;
        let occurred_at = truncate_micros(event.at);
        let data = canonical_json(&event.data);
        let actor = event.actor.as_string();
        let hash = event_hash(
            seq,
            occurred_at,
            event.request_id,
            &actor,
            event.action.as_str(),
            &data,
            head_hash,
        );
        Self {
            seq,
            occurred_at,
            request_id: event.request_id,
            actor,
            action: event.action.as_str(),
            data,
            prev_hash: head_hash.to_owned(),
            hash,
        }
    }

    /// The eight column values, in table order, then the head they must follow.
    fn values(&self, head_seq: sea_orm::Value, head_hash: sea_orm::Value) -> Vec<sea_orm::Value> {
        let mut v = self.values_only();
        v.push(head_seq);
        v.push(head_hash);
        v
    }

    fn values_only(&self) -> Vec<sea_orm::Value> {
        vec![
            self.seq.into(),
            self.occurred_at.into(),
            self.request_id.into(),
            self.actor.clone().into(),
            self.action.into(),
            self.data.clone().into(),
            self.prev_hash.clone().into(),
            self.hash.clone().into(),
        ]
    }
}

/// Runs `change`, an UPDATE that must change exactly one row (a version-checked update), and
/// appends `event` after it, in the caller's write transaction. On SQLite both go in one round
/// trip when the head this process wrote last is still the head (the insert checks that, and
/// that the update changed its row, in the same statement); on PostgreSQL always, in one
/// statement that also takes the head's lock (so, outside a transaction, it is atomic on its
/// own and holds the lock only while it commits). [`StoreError::Concurrent`] when the update
/// changed nothing; then nothing is appended.
pub async fn append_after(
    conn: &impl ConnectionTrait,
    change: Statement,
    event: NewEvent,
) -> Result<i64, StoreError> {
    let backend = conn.get_database_backend();
    if backend == DbBackend::Postgres {
        // One statement: the change, and the event only if the change changed its row.
        let mut values = change.values.map(|v| v.0).unwrap_or_default();
        let sql = format!(
            "WITH u AS ({} RETURNING 1), {} \
             SELECT (SELECT count(*) FROM u) AS changed, (SELECT seq FROM moved) AS seq",
            change.sql,
            pg_append_ctes(values.len(), " AND EXISTS (SELECT 1 FROM u)")
        );
        values.extend(pg_append_values(&event));
        let row = conn
            .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?
            .ok_or_else(|| StoreError::Corrupt("an audited change returned nothing".to_owned()))?;
        let changed: i64 = row.try_get("", "changed")?;
        let seq: Option<i64> = row.try_get("", "seq")?;
        return match (changed, seq) {
            (0, _) => Err(StoreError::Concurrent),
            (1, Some(seq)) => Ok(seq),
            (1, None) => Err(StoreError::Corrupt(
                "the audit head row is missing".to_owned(),
            )),
            _ => Err(StoreError::Corrupt(
                "an audited change changed more than one row".to_owned(),
            )),
        };
    }
    let guess = SQLITE_HEAD.lock().ok().and_then(|h| h.clone());
    let Some((head_seq, head_hash)) = guess else {
        if conn.execute_raw(change).await?.rows_affected() != 1 {
            return Err(StoreError::Concurrent);
        }
        return append(conn, event).await;
    };
    let e = Prepared::new(&event, head_seq, &head_hash);
    let sql = format!(
        "{}; INSERT INTO audit_event (seq, occurred_at, request_id, actor, action, data, prev_hash, hash) \
         SELECT ?, ?, ?, ?, ?, ?, ?, ? FROM audit_head WHERE id = 1 AND seq = ? AND hash = ? AND changes() = 1",
        change.sql
    );
    let mut values = change.values.map(|v| v.0).unwrap_or_default();
    values.extend(e.values(head_seq.into(), head_hash.into()));
    // Changes made by the trigger that moves the head are not counted.
    let res = conn
        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    match res.rows_affected() {
        2 => {
            remember_head(e.seq, &e.hash);
            Ok(e.seq)
        }
        // The update is made; the head had moved (another process, a rollback): append anew.
        1 => append(conn, event).await,
        _ => Err(StoreError::Concurrent),
    }
}

/// The hash of one event.
pub fn event_hash(
    seq: i64,
    occurred_at: DateTime<Utc>,
    request_id: Option<Uuid>,
    actor: &str,
    action: &str,
    data: &str,
    prev_hash: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        seq.to_string().as_str(),
        &occurred_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        &request_id.map(|id| id.to_string()).unwrap_or_default(),
        actor,
        action,
        data,
        prev_hash,
    ] {
        // Length-prefix each field so no two different events serialise alike.
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

fn truncate_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = at.nanosecond() / 1_000 * 1_000;
    at.with_nanosecond(nanos).unwrap_or(at)
}

/// JSON with object keys sorted at every level, so the hash does not depend on key order.
pub fn canonical_json(value: &Value) -> String {
    fn sort(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                let mut out = serde_json::Map::new();
                for (k, v) in entries {
                    out.insert(k.clone(), sort(v));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    // serde_json may preserve insertion order (feature `preserve_order`), so insert sorted.
    sort(value).to_string()
}

/// The first problem found in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The sequence number of the first bad (or missing) event.
    pub seq: i64,
    /// What is wrong.
    pub problem: String,
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// How many events were checked.
    pub events: u64,
    /// The first break, if any.
    pub first_break: Option<ChainBreak>,
}

/// Walks the whole chain in order, in pages, and reports the first break.
pub async fn verify(conn: &impl ConnectionTrait) -> Result<ChainReport, StoreError> {
    const PAGE: u64 = 1_000;
    // Read the head first and check only the events it covers, so events appended while we
    // walk (a running server) are not mistaken for tampering.
    let head = audit_head::Entity::find_by_id(1).one(conn).await?;
    let head_seq = head.as_ref().map(|h| h.seq).unwrap_or(i64::MAX);
    let mut expected_seq = 1_i64;
    let mut prev = GENESIS_HASH.to_owned();
    let mut checked = 0_u64;
    loop {
        let page = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.gte(expected_seq))
            .filter(audit_event::Column::Seq.lte(head_seq))
            .order_by_asc(audit_event::Column::Seq)
            .limit(PAGE)
            .all(conn)
            .await?;
        let n = page.len() as u64;
        for ev in page {
            let broken = |problem: String| {
                Ok(ChainReport {
                    events: checked,
                    first_break: Some(ChainBreak {
                        seq: expected_seq,
                        problem,
                    }),
                })
            };
            if ev.seq != expected_seq {
                return broken(format!(
                    "event {expected_seq} is missing (deleted); the next event is {}",
                    ev.seq
                ));
            }
            if ev.prev_hash != prev {
                return broken(format!(
                    "event {expected_seq} does not link to event {}: the chain was altered",
                    expected_seq - 1
                ));
            }
            let recomputed = event_hash(
                ev.seq,
                ev.occurred_at,
                ev.request_id,
                &ev.actor,
                &ev.action,
                &ev.data,
                &ev.prev_hash,
            );
            if recomputed != ev.hash {
                return broken(format!(
                    "event {expected_seq} ({}) was edited: its content does not match its hash",
                    ev.action
                ));
            }
            prev = ev.hash;
            expected_seq += 1;
            checked += 1;
        }
        if n < PAGE {
            break;
        }
    }
    let last = expected_seq - 1;
    match head {
        Some(h) if h.seq == last && h.hash == prev => Ok(ChainReport {
            events: checked,
            first_break: None,
        }),
        Some(h) if h.seq > last => Ok(ChainReport {
            events: checked,
            first_break: Some(ChainBreak {
                seq: expected_seq,
                problem: format!(
                    "event {expected_seq} is missing (deleted): the chain ends at {last} but {} events were written",
                    h.seq
                ),
            }),
        }),
        _ => Ok(ChainReport {
            events: checked,
            first_break: Some(ChainBreak {
                seq: last.max(1),
                problem: "the chain head does not match the last event: the trail was altered"
                    .to_owned(),
            }),
        }),
    }
}

/// The events of one request, oldest first.
pub async fn for_request(
    conn: &impl ConnectionTrait,
    request_id: Uuid,
) -> Result<Vec<audit_event::Model>, StoreError> {
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::RequestId.eq(request_id))
        .order_by_asc(audit_event::Column::Seq)
        .all(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a = json!({"b": 1, "a": {"z": true, "y": [ {"d": 1, "c": 2} ]}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"y":[{"c":2,"d":1}],"z":true},"b":1}"#
        );
    }

    #[test]
    fn any_field_changes_the_hash() {
        let at = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let base = event_hash(1, at, None, "cli", "x", "{}", GENESIS_HASH);
        assert_ne!(
            base,
            event_hash(2, at, None, "cli", "x", "{}", GENESIS_HASH)
        );
        assert_ne!(
            base,
            event_hash(1, at, None, "system", "x", "{}", GENESIS_HASH)
        );
        assert_ne!(
            base,
            event_hash(1, at, None, "cli", "y", "{}", GENESIS_HASH)
        );
        assert_ne!(
            base,
            event_hash(1, at, None, "cli", "x", "{\"a\":1}", GENESIS_HASH)
        );
        assert_ne!(
            base,
            event_hash(1, at, None, "cli", "x", "{}", &"1".repeat(64))
        );
        // Field boundaries are unambiguous.
        assert_ne!(
            event_hash(1, at, None, "ab", "c", "{}", GENESIS_HASH),
            event_hash(1, at, None, "a", "bc", "{}", GENESIS_HASH)
        );
    }
}
