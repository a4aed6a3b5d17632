//! dsrflow acknowledges its own jobs: a finished job's row is deleted by its primary key, in
//! batches, and a job whose handler failed goes back to the queue after a delay.
//!
//! apalis 1.0 acknowledges by joining the batch on `lock_by = <worker>`: on SQLite through an
//! index that walks every job the worker ever ran, on PostgreSQL through a plan chosen on
//! statistics that lag behind a queue table growing by thousands of rows a minute (measured: 3 ms
//! to acknowledge one job at 4,000 rows, and growing), and it keeps every finished row. It also
//! re-runs a failed job at once, without backoff (`shared/reference/STACK.md`, "Runtime
//! behaviour" §2). So the workers run with apalis' `persist_results` and `lock_tasks` off (a
//! fetched job stays `Queued` under its worker's name while it runs, which apalis' orphan check
//! handles exactly like `Running`), and the handlers report here instead.
//!
//! Nothing is lost if an acknowledgement is: the job row stays `Queued` under a worker name; once
//! that worker is gone, apalis' orphan check puts it back, and the handler, idempotent, finds
//! its work done.

use std::time::Duration;

use tokio::sync::mpsc;

/// Most jobs acknowledged in one statement.
const BATCH: usize = 256;
/// How long the writer waits for more acknowledgements once one arrives: nobody waits for an
/// acknowledgement, and a statement per handful of jobs costs less than one per job.
const LINGER: Duration = Duration::from_millis(5);
/// How often a failed acknowledgement batch is tried before its rows are left to the orphan
/// check.
const TRIES: u32 = 5;

/// Where the queue's rows live.
#[derive(Clone)]
pub(crate) enum Table {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Table {
    /// Deletes the rows of finished jobs.
    async fn delete(&self, ids: &[String]) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Table::Sqlite(pool) => {
                let list = serde_json::Value::from(ids.to_vec()).to_string();
                sqlx::query("DELETE FROM Jobs WHERE id IN (SELECT value FROM json_each(?1))")
                    .bind(list)
                    .execute(pool)
                    .await?
                    .rows_affected()
            }
            Table::Postgres(pool) => sqlx::query("DELETE FROM apalis.jobs WHERE id = ANY($1)")
                .bind(ids)
                .execute(pool)
                .await?
                .rows_affected(),
        })
    }

    /// Puts a job back in its queue to run again after `delay`, counting the attempt.
    async fn reschedule(&self, id: &str, delay: Duration) -> Result<(), sqlx::Error> {
        let secs = i64::try_from(delay.as_secs()).unwrap_or(i64::MAX / 2);
        match self {
            Table::Sqlite(pool) => {
                sqlx::query(
                    "UPDATE Jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL, \
                     attempts = attempts + 1, run_at = strftime('%s', 'now') + ?2 WHERE id = ?1",
                )
                .bind(id)
                .bind(secs)
                .execute(pool)
                .await?;
            }
            Table::Postgres(pool) => {
                sqlx::query(
                    "UPDATE apalis.jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL, \
                     attempts = attempts + 1, run_at = now() + make_interval(secs => $2) \
                     WHERE id = $1",
                )
                .bind(id)
                .bind(secs as f64)
                .execute(pool)
                .await?;
            }
        }
        Ok(())
    }
}

/// The handlers' side: report a job finished or failed.
#[derive(Clone)]
pub(crate) struct Acks {
    done: mpsc::UnboundedSender<String>,
    table: Table,
}

impl Acks {
    /// Starts the writer of acknowledgements; it ends once every [`Acks`] is dropped and what
    /// they reported is written.
    pub(crate) fn start(table: Table) -> (Self, tokio::task::JoinHandle<()>) {
        let (done, rx) = mpsc::unbounded_channel();
        let writer = tokio::spawn(write_acks(table.clone(), rx));
        (Self { done, table }, writer)
    }

    /// The job ran to its end: its row goes (in the next batch).
    pub(crate) fn done(&self, job: String) {
        // The writer only stops once every sender is gone, so this cannot fail while we exist.
        let _ = self.done.send(job);
    }

    /// The job's handler failed (`attempt` is how many times it had failed before): the job
    /// runs again after a delay that doubles with every attempt, up to `max_attempts` in all;
    /// then its row goes and the reconciler, which reads dsrflow's own rows, takes over.
    pub(crate) async fn failed(&self, job: String, attempt: usize, max_attempts: usize) {
        if attempt + 1 >= max_attempts {
            self.done(job);
            return;
        }
        let delay = Duration::from_secs(2_u64.saturating_pow(u32::try_from(attempt).unwrap_or(16)));
        if let Err(e) = self.table.reschedule(&job, delay).await {
            // The row stays under this worker's name; the orphan check re-runs it after a
            // restart, and the reconciler re-derives the work meanwhile.
            tracing::warn!(error = %e, "could not put a failed job back in its queue");
        }
    }
}

async fn write_acks(table: Table, mut rx: mpsc::UnboundedReceiver<String>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        if batch.len() < BATCH {
            tokio::time::sleep(LINGER).await;
            while batch.len() < BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        let mut tries = 0;
        loop {
            tries += 1;
            match table.delete(&batch).await {
                Ok(_) => break,
                Err(e) if tries < TRIES => {
                    tracing::warn!(error = %e, jobs = batch.len(), "acknowledging jobs failed; trying again");
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(tries))).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, jobs = batch.len(), "acknowledging jobs failed; the orphan check will see to them");
                    break;
                }
            }
        }
        batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apalis::prelude::TaskBuilder;

    async fn queue() -> sqlx::SqlitePool {
        // No foreign keys: the jobs name a worker that is not registered here.
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .in_memory(true)
            .foreign_keys(false);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .expect("memory database");
        apalis_sqlite::SqliteStorage::<()>::migrations()
            .run(&pool)
            .await
            .expect("apalis' tables");
        pool
    }

    async fn push(pool: &sqlx::SqlitePool, n: usize) -> Vec<String> {
        let tasks: Vec<apalis::prelude::Task<Vec<u8>>> = (0..n)
            .map(|i| TaskBuilder::new(format!("{{\"n\":{i}}}").into_bytes()).build())
            .collect();
        let mut conn = pool.acquire().await.expect("connection");
        apalis_sqlite::queries::push_tasks(&mut *conn, "test", &tasks)
            .await
            .expect("pushed");
        drop(conn);
        // As a worker's fetch leaves them: queued under its name.
        sqlx::query("UPDATE Jobs SET status = 'Queued', lock_by = 'w1'")
            .execute(pool)
            .await
            .expect("locked");
        sqlx::query_scalar("SELECT id FROM Jobs ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("ids")
    }

    #[tokio::test]
    async fn finished_jobs_are_removed_in_batches_and_the_last_ones_written_at_the_end() {
        let pool = queue().await;
        let ids = push(&pool, 3).await;
        let (acks, writer) = Acks::start(Table::Sqlite(pool.clone()));
        for id in &ids[..2] {
            acks.done(id.clone());
        }
        drop(acks);
        writer
            .await
            .expect("the writer ends once every sender is gone");
        let left: Vec<String> = sqlx::query_scalar("SELECT id FROM Jobs")
            .fetch_all(&pool)
            .await
            .expect("rows");
        assert_eq!(left, vec![ids[2].clone()], "only the unfinished job stays");
    }

    #[tokio::test]
    async fn a_failed_job_goes_back_to_its_queue_later_until_its_attempts_run_out() {
        let pool = queue().await;
        let ids = push(&pool, 1).await;
        let (acks, writer) = Acks::start(Table::Sqlite(pool.clone()));
        acks.failed(ids[0].clone(), 1, 3).await;
        let (status, lock_by, attempts, wait): (String, Option<String>, i64, i64) = sqlx::query_as(
            "SELECT status, lock_by, attempts, run_at - strftime('%s', 'now') FROM Jobs",
        )
        .fetch_one(&pool)
        .await
        .expect("row");
        assert_eq!(status, "Pending");
        assert_eq!(lock_by, None, "free for any worker to fetch");
        assert_eq!(attempts, 1);
        // The second failure waits 2 s (1, 2, 4 … doubling).
        assert!(
            (1..=2).contains(&wait),
            "runs again in about 2 s, not at once: {wait}"
        );
        // The last attempt failed: the row goes, and the reconciler takes over.
        acks.failed(ids[0].clone(), 2, 3).await;
        drop(acks);
        writer.await.expect("writer ends");
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM Jobs")
            .fetch_one(&pool)
            .await
            .expect("count");
        assert_eq!(n, 0);
    }
}
