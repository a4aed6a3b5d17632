//! Background work on apalis: on PostgreSQL in the app's database (`apalis-postgres`), on
//! SQLite in a file of its own next to it (`apalis-sqlite`, see [`Queues::setup`]).
//!
//! Four queues carry wake-ups (ids only): `dsrflow.fanout`, `dsrflow.task`, `dsrflow.settle`
//! and `dsrflow.mail`. Each handler calls one idempotent use case of `dsrflow_app::work`. A
//! cron tick every 30 s runs the periodic jobs, each once per period across the cluster (the
//! first node to claim the period in `periodic_run` runs it): the reconciler, package purge and
//! closing of unconfirmed requests (every tick), the officer's deadline sweep (every 15 min)
//! and the privacy@ inbox poll (every `inbox.poll_secs`). Retries of connector failures are
//! scheduled by the use case itself (capped exponential backoff stored on the task, then a
//! delayed wake-up), not by apalis.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::*;
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use chrono::{DateTime, Utc};
use dsrflow_app::App;
use dsrflow_app::jobs::{Job, JobQueue};
use dsrflow_app::periodic::PeriodicJob;
use dsrflow_store::sea_orm::DbBackend;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

mod ack;
use ack::{Acks, Table};

/// Queue names: stable, so renaming a Rust type never orphans queued jobs.
pub const FANOUT_QUEUE: &str = "dsrflow.fanout";
/// See [`FANOUT_QUEUE`].
pub const TASK_QUEUE: &str = "dsrflow.task";
/// See [`FANOUT_QUEUE`].
pub const SETTLE_QUEUE: &str = "dsrflow.settle";
/// See [`FANOUT_QUEUE`].
pub const MAIL_QUEUE: &str = "dsrflow.mail";

/// How often idle workers look for new jobs (apalis otherwise waits for its 30 s heartbeat).
const POLL: Duration = Duration::from_millis(200);
/// Fan-outs and settlings running at once per process: each is one short write transaction
/// plus wake-ups, and a burst of intake must not queue behind one request at a time.
const FANOUT_CONCURRENCY: usize = 4;
/// Attempts apalis makes of a wake-up whose handler errs (e.g. database briefly unreachable);
/// the reconciler covers anything beyond.
const JOB_ATTEMPTS: usize = 3;

/// Payload of the fan-out queue.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct FanoutJob {
    /// The request.
    pub request_id: Uuid,
}

/// Payload of the task queue.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct TaskJob {
    /// The task.
    pub task_id: Uuid,
}

/// Payload of the settle queue.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SettleJob {
    /// The request.
    pub request_id: Uuid,
}

/// Payload of the mail queue.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct MailJob {
    /// The outbox message.
    pub outbox_id: Uuid,
}

#[derive(Clone)]
enum Storages {
    Sqlite {
        fanout: SqliteStorage<FanoutJob>,
        task: SqliteStorage<TaskJob>,
        settle: SqliteStorage<SettleJob>,
        mail: SqliteStorage<MailJob>,
    },
    Postgres {
        fanout: PostgresStorage<FanoutJob>,
        task: PostgresStorage<TaskJob>,
        settle: PostgresStorage<SettleJob>,
        mail: PostgresStorage<MailJob>,
    },
}

/// The pool the queue tables live in (for housekeeping apalis does not do itself): the queue's
/// own file on SQLite, its own pool on PostgreSQL.
#[derive(Clone)]
pub enum QueuePool {
    /// SQLite.
    Sqlite(sqlx::SqlitePool),
    /// PostgreSQL.
    Postgres(sqlx::PgPool),
}

impl QueuePool {
    /// Deletes finished jobs (done or killed) older than `before`: apalis keeps every job row
    /// forever, and the queue only needs the ones still to run.
    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
        let done = match self {
            QueuePool::Sqlite(pool) => sqlx::query(
                "DELETE FROM Jobs WHERE status IN ('Done', 'Killed') AND done_at IS NOT NULL AND done_at < ?",
            )
            .bind(before.timestamp())
            .execute(pool)
            .await?
            .rows_affected(),
            QueuePool::Postgres(pool) => sqlx::query(
                "DELETE FROM apalis.jobs WHERE status IN ('Done', 'Killed') AND done_at IS NOT NULL AND done_at < $1",
            )
            .bind(before)
            .execute(pool)
            .await?
            .rows_affected(),
        };
        Ok(done)
    }
}

/// The apalis queues: on PostgreSQL in the app's database, on SQLite in their own file.
#[derive(Clone)]
pub struct Queues {
    storages: Storages,
    pool: QueuePool,
    store: dsrflow_app::Store,
    /// True when the queue shares the database's SQLite file (a memory database).
    shared_file: bool,
}

impl Queues {
    /// Jobs in the queues, waiting or running (finished ones are removed when acknowledged).
    pub async fn depth(&self) -> anyhow::Result<u64> {
        let n: i64 = match &self.pool {
            QueuePool::Sqlite(pool) => {
                sqlx::query_scalar(
                    "SELECT count(*) FROM Jobs WHERE status NOT IN ('Done', 'Killed')",
                )
                .fetch_one(pool)
                .await
            }
            QueuePool::Postgres(pool) => {
                sqlx::query_scalar(
                    "SELECT count(*) FROM apalis.jobs WHERE status NOT IN ('Done', 'Killed')",
                )
                .fetch_one(pool)
                .await
            }
        }
        .map_err(|e| anyhow::anyhow!("job queue depth: {e}"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Deletes finished jobs older than `before` (the worker does it hourly).
    pub async fn prune_finished(&self, before: DateTime<Utc>) -> anyhow::Result<u64> {
        self.pool
            .prune(before)
            .await
            .map_err(|e| anyhow::anyhow!("job queue prune failed: {e}"))
    }
}

impl std::fmt::Debug for Queues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Queues")
    }
}

/// Heartbeats also wake an idle worker; keep them frequent enough to bound any missed wake-up.
const HEARTBEAT: Duration = Duration::from_secs(10);

/// apalis' own acknowledgement and locking are off: dsrflow acknowledges its jobs itself (see
/// [`ack`]).
fn sqlite_config(queue: &str) -> apalis_sqlite::Config {
    apalis_sqlite::Config::default()
        .queue(queue)
        .heartbeat_interval(HEARTBEAT)
        .persist_results(false)
        .lock_tasks(false)
}

/// On SQLite the queue lives in its own file next to the database (`dsrflow.db` →
/// `dsrflow-queue.db`). SQLite has one writer per file: apalis' own writes (fetching and
/// acknowledging jobs) would otherwise wait on dsrflow's transactions in SQLite's sleeping busy
/// handler, and the other way round. Nothing is lost by the split: the queue only wakes work
/// whose truth is in the database's rows, and the reconciler re-enqueues whatever a crash drops.
async fn queue_pool(db_file: &std::path::Path) -> anyhow::Result<sqlx::SqlitePool> {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    let stem = db_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dsrflow".to_owned());
    let path = db_file.with_file_name(format!("{stem}-queue.db"));
    let opts = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5));
    SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(opts)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the job queue {}: {e}", path.display()))
}

/// The queue's own connections to the PostgreSQL database, with `synchronous_commit=off`: a
/// queue row is only a wake-up derived from dsrflow's rows (the truth, committed durably through
/// the app's own pool), so a commit of the queue need not wait for the WAL to reach the disk. A
/// server crash can lose the last fraction of a second of wake-ups and acknowledgements; the
/// reconciler re-derives the first, and a job run again finds its work done (every handler is
/// idempotent).
async fn pg_queue_pool(app_pool: &sqlx::PgPool) -> anyhow::Result<sqlx::PgPool> {
    let opts = (*app_pool.connect_options())
        .clone()
        .options([("synchronous_commit", "off")]);
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(opts)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the job queue's connections: {e}"))
}

/// See [`sqlite_config`].
fn pg_config(queue: &str) -> apalis_postgres::Config {
    apalis_postgres::Config::default()
        .queue(queue)
        .heartbeat_interval(HEARTBEAT)
        .persist_results(false)
        .lock_tasks(false)
}

/// A polling strategy that wakes an idle worker at a fixed interval.
///
/// apalis 1.0's `PollWith` ignores a strategy that is ready when polled, so a plain interval
/// whose tick happens to be due at that moment leaves no waker registered, and the worker sleeps
/// until its next heartbeat (measured: about 25 s, now and then). This strategy drains ready
/// ticks until the timer is pending, so a waker is always registered for the next one.
struct Tick(tokio::time::Interval);

impl Tick {
    fn every(period: Duration) -> Self {
        let mut i = tokio::time::interval(period);
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Tick(i)
    }
}

impl PollStrategy for Tick {
    fn poll_drive(
        &mut self,
        cx: &mut std::task::Context<'_>,
        _snapshot: &PollSnapshot,
    ) -> std::task::Poll<Option<()>> {
        while self.0.poll_tick(cx).is_ready() {}
        std::task::Poll::Ready(Some(()))
    }
}

impl Queues {
    /// Creates apalis' tables if needed (its own migrations only: dsrflow's connection settings,
    /// such as `synchronous=NORMAL`, stay as they are) and opens the four queues.
    pub async fn setup(app: &App) -> anyhow::Result<Self> {
        let db = app.store.db();
        let queue_pool_handle: QueuePool;
        let storages = match db.get_database_backend() {
            DbBackend::Sqlite => {
                let own = match app.store.sqlite_file() {
                    Some(file) => queue_pool(file).await?,
                    None => db.get_sqlite_connection_pool().clone(),
                };
                queue_pool_handle = QueuePool::Sqlite(own.clone());
                let pool = &own;
                SqliteStorage::<()>::migrations()
                    .run(pool)
                    .await
                    .map_err(|e| anyhow::anyhow!("job queue migrations failed: {e}"))?;
                // apalis-sqlite 1.0 acknowledges finished jobs with `UPDATE Jobs … FROM
                // json_each(?) WHERE Jobs.id = j.task_id AND Jobs.lock_by = ?`. With its index on
                // `lock_by` SQLite walks every job the worker ever ran (finished ones keep their
                // `lock_by`) and re-parses the batch's JSON for each: acknowledging slows down with
                // the table's size (measured: half the fan-out throughput at 10,000 jobs).
                // Without the index it looks each acknowledged job up by its primary key. Only
                // the heartbeat's orphan check used the index, and it runs every few seconds on a
                // table the hourly prune keeps small.
                sqlx::query("DROP INDEX IF EXISTS LIdx")
                    .execute(pool)
                    .await
                    .map_err(|e| anyhow::anyhow!("job queue setup failed: {e}"))?;
                Storages::Sqlite {
                    fanout: SqliteStorage::new(pool).with_config(sqlite_config(FANOUT_QUEUE)),
                    task: SqliteStorage::new(pool).with_config(sqlite_config(TASK_QUEUE)),
                    settle: SqliteStorage::new(pool).with_config(sqlite_config(SETTLE_QUEUE)),
                    mail: SqliteStorage::new(pool).with_config(sqlite_config(MAIL_QUEUE)),
                }
            }
            DbBackend::Postgres => {
                let own = pg_queue_pool(db.get_postgres_connection_pool()).await?;
                queue_pool_handle = QueuePool::Postgres(own.clone());
                let pool = &own;
                PostgresStorage::<()>::migrations()
                    .run(pool)
                    .await
                    .map_err(|e| anyhow::anyhow!("job queue migrations failed: {e}"))?;
                // dsrflow acknowledges its jobs by primary key (see `ack`), so apalis' two full
                // indexes on `lock_by` only cost writes; the heartbeat's orphan check (jobs held
                // by a dead worker) needs only the jobs being held.
                for sql in [
                    "DROP INDEX IF EXISTS apalis.idx_apalis_jobs_lock_by",
                    "DROP INDEX IF EXISTS apalis.lidx",
                    "CREATE INDEX IF NOT EXISTS dsrflow_jobs_held_by ON apalis.jobs (lock_by) \
                     WHERE status = 'Running' OR status = 'Queued'",
                ] {
                    sqlx::query(sql)
                        .execute(pool)
                        .await
                        .map_err(|e| anyhow::anyhow!("job queue setup failed: {e}"))?;
                }
                Storages::Postgres {
                    fanout: PostgresStorage::new(pool).with_config(pg_config(FANOUT_QUEUE)),
                    task: PostgresStorage::new(pool).with_config(pg_config(TASK_QUEUE)),
                    settle: PostgresStorage::new(pool).with_config(pg_config(SETTLE_QUEUE)),
                    mail: PostgresStorage::new(pool).with_config(pg_config(MAIL_QUEUE)),
                }
            }
            other => anyhow::bail!("no job queue for {other:?}"),
        };
        Ok(Self {
            storages,
            pool: queue_pool_handle,
            store: app.store.clone(),
            shared_file: db.get_database_backend() == DbBackend::Sqlite
                && app.store.sqlite_file().is_none(),
        })
    }
}

fn delay_until(at: Option<DateTime<Utc>>) -> Option<Duration> {
    let at = at?;
    #[expect(
        clippy::disallowed_methods,
        reason = "queue delays are wall-clock by nature"
    )]
    let now = Utc::now();
    (at - now).to_std().ok().filter(|d| !d.is_zero())
}

impl QueuePool {
    /// Pushes jobs of one queue: on PostgreSQL one statement, committed on its own; on SQLite
    /// one insert (several in one transaction). apalis' own sink opens a transaction for every
    /// push, three round trips where one does.
    async fn push(
        &self,
        queue: &str,
        payloads: Vec<Vec<u8>>,
        delay: Option<Duration>,
    ) -> Result<(), String> {
        let tasks: Vec<apalis::prelude::Task<Vec<u8>>> = payloads
            .into_iter()
            .map(|p| {
                let mut b = TaskBuilder::new(p).max_attempts(JOB_ATTEMPTS);
                if let Some(d) = delay {
                    b = b.run_after(d);
                }
                b.build()
            })
            .collect();
        let pushed = match self {
            QueuePool::Postgres(pool) => {
                let mut conn = pool.acquire().await.map_err(|e| e.to_string())?;
                apalis_postgres::queries::push_tasks(&mut *conn, queue, tasks)
                    .await
                    .map_err(|e| e.to_string())
            }
            QueuePool::Sqlite(pool) if tasks.len() == 1 => {
                let mut conn = pool.acquire().await.map_err(|e| e.to_string())?;
                apalis_sqlite::queries::push_tasks(&mut *conn, queue, &tasks)
                    .await
                    .map_err(|e| e.to_string())
            }
            QueuePool::Sqlite(pool) => {
                let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
                apalis_sqlite::queries::push_tasks(&mut *tx, queue, &tasks)
                    .await
                    .map_err(|e| e.to_string())?;
                tx.commit().await.map_err(|e| e.to_string())
            }
        };
        pushed.map_err(|e| format!("job queue {queue}: {e}"))
    }
}

/// The queue and payload of a wake-up.
fn queue_and_payload(job: &Job) -> (&'static str, Result<Vec<u8>, serde_json::Error>) {
    match *job {
        Job::Fanout(id) => (
            FANOUT_QUEUE,
            serde_json::to_vec(&FanoutJob { request_id: id }),
        ),
        Job::RunTask(id) => (TASK_QUEUE, serde_json::to_vec(&TaskJob { task_id: id })),
        Job::Settle(id) => (
            SETTLE_QUEUE,
            serde_json::to_vec(&SettleJob { request_id: id }),
        ),
        Job::Deliver(id) => (MAIL_QUEUE, serde_json::to_vec(&MailJob { outbox_id: id })),
    }
}

impl JobQueue for Queues {
    fn enqueue_many(&self, jobs: Vec<Job>) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            // Jobs of one queue go together (a fan-out's tasks, the reconciler's findings).
            let mut by_queue: Vec<(&'static str, Vec<Vec<u8>>)> = Vec::new();
            for job in &jobs {
                let (queue, payload) = queue_and_payload(job);
                let payload = payload.map_err(|e| format!("job payload: {e}"))?;
                match by_queue.iter_mut().find(|(q, _)| *q == queue) {
                    Some((_, payloads)) => payloads.push(payload),
                    None => by_queue.push((queue, vec![payload])),
                }
            }
            for (queue, payloads) in by_queue {
                self.push_gated(queue, payloads, None).await?;
            }
            Ok(())
        })
    }

    fn enqueue(&self, job: Job, at: Option<DateTime<Utc>>) -> BoxFuture<'_, Result<(), String>> {
        let delay = delay_until(at);
        Box::pin(async move {
            let (queue, payload) = queue_and_payload(&job);
            let payload = payload.map_err(|e| format!("job payload: {e}"))?;
            self.push_gated(queue, vec![payload], delay).await
        })
    }
}

impl Queues {
    /// A queue in the database's own SQLite file (a memory database) writes behind dsrflow's
    /// write gate.
    async fn push_gated(
        &self,
        queue: &str,
        payloads: Vec<Vec<u8>>,
        delay: Option<Duration>,
    ) -> Result<(), String> {
        let push = self.pool.push(queue, payloads, delay);
        if self.shared_file {
            self.store.gated(push).await
        } else {
            push.await
        }
    }
}

type HandlerResult = Result<(), BoxDynError>;

async fn on_fanout(
    job: FanoutJob,
    id: TaskId,
    attempt: Attempt,
    app: Data<App>,
    acks: Data<Acks>,
) -> HandlerResult {
    run(&app, &acks, id, attempt, Job::Fanout(job.request_id)).await
}

async fn on_task(
    job: TaskJob,
    id: TaskId,
    attempt: Attempt,
    app: Data<App>,
    acks: Data<Acks>,
) -> HandlerResult {
    run(&app, &acks, id, attempt, Job::RunTask(job.task_id)).await
}

async fn on_settle(
    job: SettleJob,
    id: TaskId,
    attempt: Attempt,
    app: Data<App>,
    acks: Data<Acks>,
) -> HandlerResult {
    run(&app, &acks, id, attempt, Job::Settle(job.request_id)).await
}

async fn on_mail(
    job: MailJob,
    id: TaskId,
    attempt: Attempt,
    app: Data<App>,
    acks: Data<Acks>,
) -> HandlerResult {
    run(&app, &acks, id, attempt, Job::Deliver(job.outbox_id)).await
}

/// Runs the use case and acknowledges the job: gone when it ran to its end, back in the queue
/// after a delay when it failed (the database unreachable for a moment, say). Connector and SMTP
/// failures are not handler failures: the use case records them and schedules its own retry.
async fn run(app: &App, acks: &Acks, id: TaskId, attempt: Attempt, job: Job) -> HandlerResult {
    match dsrflow_app::work::run_job(app, job).await {
        Ok(()) => acks.done(id.to_string()),
        Err(e) => {
            tracing::warn!(?job, error = %e, "job failed; it will be retried");
            acks.failed(id.to_string(), attempt.current(), JOB_ATTEMPTS)
                .await;
        }
    }
    Ok(())
}

async fn on_tick(tick: apalis_cron::Tick, app: Data<App>, pool: Data<QueuePool>) -> HandlerResult {
    let _ = tick;
    // Each periodic job runs whatever the others did: one failing never starves the rest.
    for job in PeriodicJob::ALL {
        if let Err(e) = periodic_once(&app, job, Some(&pool)).await {
            tracing::warn!(job = job.name(), error = %e, "periodic job failed; it runs again at its next period");
        }
    }
    Ok(())
}

/// Runs a periodic job if this node is the first to claim its current period (see
/// [`dsrflow_app::periodic`]). Pruning the queue needs its pool; without one it is skipped.
pub async fn periodic_once(app: &App, job: PeriodicJob, pool: Option<&QueuePool>) -> HandlerResult {
    let boxed = |e: dsrflow_app::AppError| Box::new(e) as BoxDynError;
    if !dsrflow_app::periodic::claim(app, job, &node_name())
        .await
        .map_err(boxed)?
    {
        return Ok(());
    }
    match (job, pool) {
        // Finished job rows more than an hour old.
        (PeriodicJob::QueuePrune, Some(pool)) => {
            let pruned = pool
                .prune(app.clock.now() - chrono::TimeDelta::hours(1))
                .await
                .map_err(|e| Box::new(e) as BoxDynError)?;
            tracing::debug!(pruned, "finished jobs pruned from the queue");
        }
        (PeriodicJob::QueuePrune, None) => {}
        (job, _) => dsrflow_app::periodic::run(app, job).await.map_err(boxed)?,
    }
    Ok(())
}

fn node_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "node".to_owned());
    format!("{host}:{}", std::process::id())
}

/// A worker whose polling fails (e.g. the database was unreachable for a moment) is restarted
/// rather than left stopped: the rows are the truth, and nothing may stay unprocessed.
fn restart_after_error(worker: &WorkerContext, error: &WorkerError) -> bool {
    tracing::warn!(worker = %worker.name(), ?error, "worker stopped with an error; restarting it");
    true
}

/// Runs the workers and the reconciler until `shutdown` resolves.
pub async fn run_workers(
    app: App,
    queues: Queues,
    concurrency: usize,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let schedule = cron::Schedule::from_str("*/30 * * * * *")
        .map_err(|e| anyhow::anyhow!("cron schedule: {e}"))?;
    let node = node_name();
    let pool = queues.pool.clone();
    let (acks, ack_writer) = Acks::start(match &pool {
        QueuePool::Sqlite(p) => Table::Sqlite(p.clone()),
        QueuePool::Postgres(p) => Table::Postgres(p.clone()),
    });
    // The same workers on either backend: the storages differ in type only.
    macro_rules! monitor {
        ($fanout:ident, $task:ident, $settle:ident, $mail:ident) => {{
            let (k1, k2, k3, k5) = (acks.clone(), acks.clone(), acks.clone(), acks.clone());
            let (a1, a2, a3, a4, a5) = (
                app.clone(),
                app.clone(),
                app.clone(),
                app.clone(),
                app.clone(),
            );
            let (n1, n2, n3, n4, n5) = (
                node.clone(),
                node.clone(),
                node.clone(),
                node.clone(),
                node.clone(),
            );
            Monitor::new()
                .should_restart(restart_after_error)
                .register(move |_| {
                    WorkerBuilder::new(format!("{n5}/mail"))
                        .backend($mail.clone().poll_with_strategy(Tick::every(POLL)))
                        .concurrency(4)
                        .parallelize(tokio::spawn)
                        .data(a5.clone())
                        .data(k5.clone())
                        .build(on_mail)
                })
                .register(move |_| {
                    WorkerBuilder::new(format!("{n1}/fanout"))
                        .backend($fanout.clone().poll_with_strategy(Tick::every(POLL)))
                        .concurrency(FANOUT_CONCURRENCY)
                        .parallelize(tokio::spawn)
                        .data(a1.clone())
                        .data(k1.clone())
                        .build(on_fanout)
                })
                .register(move |_| {
                    WorkerBuilder::new(format!("{n2}/task"))
                        .backend($task.clone().poll_with_strategy(Tick::every(POLL)))
                        .concurrency(concurrency)
                        .parallelize(tokio::spawn)
                        .data(a2.clone())
                        .data(k2.clone())
                        .build(on_task)
                })
                .register(move |_| {
                    WorkerBuilder::new(format!("{n3}/settle"))
                        .backend($settle.clone().poll_with_strategy(Tick::every(POLL)))
                        .concurrency(FANOUT_CONCURRENCY)
                        .parallelize(tokio::spawn)
                        .data(a3.clone())
                        .data(k3.clone())
                        .build(on_settle)
                })
                .register(move |_| {
                    WorkerBuilder::new(format!("{n4}/reconcile"))
                        .backend(apalis_cron::CronScheduler::new(schedule.clone()))
                        .data(a4.clone())
                        .data(pool.clone())
                        .build(on_tick)
                })
        }};
    }
    let monitor = match queues.storages {
        Storages::Sqlite {
            fanout,
            task,
            settle,
            mail,
        } => monitor!(fanout, task, settle, mail),
        Storages::Postgres {
            fanout,
            task,
            settle,
            mail,
        } => monitor!(fanout, task, settle, mail),
    };
    // Catch up at start: anything a crash left behind is re-derived now, not in 30 s (every
    // node does it once; the reconciler is idempotent).
    if let Err(e) = dsrflow_app::periodic::run(&app, PeriodicJob::Reconcile).await {
        tracing::warn!(error = %e, "start-up reconcile failed");
    }
    let stopped = monitor
        .shutdown_timeout(Duration::from_secs(30))
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await
        .map_err(|e| anyhow::anyhow!("workers stopped: {e}"));
    // The workers are gone: write what they acknowledged last (an acknowledgement lost here
    // only means the job runs once more, and finds its work done).
    drop(acks);
    if tokio::time::timeout(Duration::from_secs(10), ack_writer)
        .await
        .is_err()
    {
        tracing::warn!("the last acknowledgements were not written in time");
    }
    stopped?;
    Ok(())
}

/// Wraps the queues for the app.
pub fn job_queue(queues: &Queues) -> Arc<dyn JobQueue> {
    Arc::new(queues.clone())
}
