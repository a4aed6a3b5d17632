//! `dsrflow bench fanout`: N erasure requests × M SQLite systems pushed through the real job
//! queue (apalis on SQLite or PostgreSQL, workers as in `dsrflow serve`), measured against the
//! same SQL statements run directly on identical copies of the target databases, in the same
//! run. Prints tasks per second for both, their ratio, the end-to-end time and the process's
//! peak resident memory.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use dsrflow_app::requests::{Caller, NewRequest};
use dsrflow_app::systems::{SystemConfig, Systems};
use dsrflow_app::{App, Settings, Store, SystemClock};
use dsrflow_domain::Actor;
use dsrflow_domain::channel::{Channel, Language};
use dsrflow_domain::{RequestKind, RequestStatus, SubjectEmail};
use dsrflow_store::scratch::Scratch;
use dsrflow_store::sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::json;

/// Options of `bench fanout`.
#[derive(Debug, Args)]
pub struct FanoutArgs {
    /// Erasure requests.
    #[arg(long, default_value_t = 1000)]
    pub requests: usize,
    /// SQL systems (SQLite files) per request.
    #[arg(long, default_value_t = 8)]
    pub systems: usize,
    /// Worker concurrency (connector calls at once), by default as in `dsrflow serve`.
    #[arg(long, default_value_t = crate::config::DEFAULT_WORK_CONCURRENCY)]
    pub concurrency: usize,
    /// Also run the queue on this PostgreSQL server (a scratch database is created and dropped).
    #[arg(long, env = "DSRFLOW_BENCH_POSTGRES_URL", value_name = "URL")]
    pub postgres_url: Option<String>,
    /// Skip the SQLite queue.
    #[arg(long)]
    pub no_sqlite: bool,
    /// Keep the PostgreSQL scratch database (its name is printed), e.g. to run
    /// `dsrflow audit verify` on what the run wrote.
    #[arg(long)]
    pub keep_database: bool,
}

const SCHEMA: &[&str] = &[
    "CREATE TABLE partner (id INTEGER PRIMARY KEY, name TEXT, email TEXT, phone TEXT)",
    "CREATE TABLE message (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES partner(id), body TEXT)",
];

async fn seed_target(path: &Path, subjects: usize) -> anyhow::Result<()> {
    let db = Database::connect(format!("sqlite://{}?mode=rwc", path.display())).await?;
    for sql in SCHEMA {
        db.execute_unprepared(sql).await?;
    }
    let mut batch = String::from("BEGIN;");
    for i in 0..subjects {
        batch.push_str(&format!(
            "INSERT INTO partner (id, name, email, phone) VALUES ({id}, 'Subject {i}', 'user{i}@example.com', '+3247000{i:04}');\
             INSERT INTO message (author_id, body) VALUES ({id}, 'hello'), ({id}, 'bye');",
            id = i + 1
        ));
    }
    batch.push_str("COMMIT;");
    db.execute_unprepared(&batch).await?;
    db.close().await?;
    Ok(())
}

fn system_config(name: &str, path: &Path) -> anyhow::Result<SystemConfig> {
    Ok(serde_json::from_value(json!({
        "name": name,
        "kind": "sql",
        "purposes": [{"name": "service", "legal_basis": "contract"}],
        "connection": {
            "url": format!("sqlite://{}", path.display()),
            "table": [
                {"name": "partner", "match": {"email": "email"}, "erase": "anonymise",
                 "anonymise": {"name": "Anonymised", "email": "anon-{key}@invalid.example"}, "nullify": ["phone"]},
                {"name": "message", "parent": "partner", "foreign_key": "author_id", "erase": "delete"}
            ]
        }
    }))?)
}

/// CPU time the whole machine spent busy so far (all cores, every process: dsrflow, the
/// database server, the kernel), in seconds, from `/proc/stat`.
fn machine_busy_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<f64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
    let busy: f64 = fields
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4 && *i < 8)
        .map(|(_, v)| v)
        .sum();
    Some(busy / 100.0)
}

/// CPU time this process has used so far (every thread), in seconds.
fn own_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which may hold spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here.
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Runs the benchmark.
pub async fn run(args: FanoutArgs) -> anyhow::Result<ExitCode> {
    if args.requests == 0 || args.systems == 0 || args.concurrency == 0 {
        bail!("--requests, --systems and --concurrency must be positive");
    }
    let tasks = args.requests * args.systems;
    println!(
        "dsrflow bench fanout: {} erasures x {} SQLite systems = {tasks} tasks; {} workers",
        args.requests, args.systems, args.concurrency
    );
    println!(
        "{:<10} {:>12} {:>12} {:>7} {:>12} {:>10} {:>9} {:>9} {:>9}",
        "queue",
        "queue tasks/s",
        "raw tasks/s",
        "ratio",
        "end-to-end s",
        "peak RSS MiB",
        "queue CPU",
        "dsrflow",
        "raw CPU"
    );
    if !args.no_sqlite {
        run_backend("sqlite", None, &args).await?;
    }
    if let Some(admin) = &args.postgres_url {
        run_backend("postgres", Some(admin), &args).await?;
    } else {
        println!(
            "(PostgreSQL queue not measured: pass --postgres-url or set DSRFLOW_BENCH_POSTGRES_URL)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn run_backend(label: &str, pg_admin: Option<&str>, args: &FanoutArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().context("temporary directory")?;
    let mut configs = Vec::new();
    for s in 0..args.systems {
        let queued = dir.path().join(format!("sys{s}.db"));
        seed_target(&queued, args.requests).await?;
        for copy in ["rawa", "rawb"] {
            seed_target(&dir.path().join(format!("{copy}{s}.db")), args.requests).await?;
        }
        configs.push(system_config(&format!("sys{s}"), &queued)?);
    }

    // Raw, before the queued run: the statements the connector runs, one transaction per
    // (subject, system). It runs again after the queued run, on a second copy, and the two are
    // pooled: this machine's speed drifts within a minute, and a baseline taken on one side
    // only would carry the drift into the ratio.
    let raw_before = raw_run(dir.path(), "rawa", args).await?;

    // Queued: the real queue and workers.
    let scratch = match pg_admin {
        None => None,
        Some(admin) => Some(Scratch::create(admin).await?),
    };
    let url = match &scratch {
        None => format!("sqlite://{}", dir.path().join("dsrflow.db").display()),
        Some(s) => s.url().to_owned(),
    };
    let result = async {
        let store = Store::connect(&url).await?;
        store.migrate().await?;
        let env = |_: &str| None;
        let systems =
            Systems::from_config(&configs, &[], &env).map_err(|e| anyhow::anyhow!("{e}"))?;
        let (transport, _sent) = dsrflow_mail::Transport::memory();
        let mailer = dsrflow_mail::Mailer::new(
            transport,
            dsrflow_mail::parse_mailbox("bench <privacy@bench.invalid>")
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
        let app = App::new(store.clone(), Arc::new(SystemClock), Settings::default())
            .with_systems(systems)
            .with_mailer(Arc::new(dsrflow_app::outbox::Mailer(mailer)));
        let queues = dsrflow_worker::Queues::setup(&app).await?;
        let app = app.with_jobs(dsrflow_worker::job_queue(&queues));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let workers = tokio::spawn(dsrflow_worker::run_workers(
            app.clone(),
            queues,
            args.concurrency,
            async {
                let _ = stop_rx.await;
            },
        ));
        let caller = Caller {
            actor: Actor::Cli,
            can_vouch: true,
        };
        let started = Instant::now();
        let cpu_start = machine_busy_secs();
        let own_start = own_cpu_secs();
        let mut ids = Vec::with_capacity(args.requests);
        for i in 0..args.requests {
            let d = dsrflow_app::requests::create(
                &app,
                &caller,
                NewRequest {
                    kind: RequestKind::Erasure,
                    email: SubjectEmail::parse(&format!("user{i}@example.com"))?,
                    name: None,
                    account_id: None,
                    phone: None,
                    regime: None,
                    received_at: None,
                    channel: Channel::Api,
                    language: Language::En,
                    details: None,
                    corrections: Vec::new(),
                    identity_verified: true,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            ids.push(d.record.request.id);
        }
        // Wait until every request reached review (checked in bulk, not per request).
        let deadline = Instant::now() + Duration::from_secs(3600);
        loop {
            let (_, in_review) = dsrflow_store::requests::list(
                store.db(),
                &dsrflow_store::requests::ListFilter {
                    status: Some(RequestStatus::AwaitingReview),
                    page: 1,
                    per_page: 1,
                    ..Default::default()
                },
            )
            .await?;
            if in_review as usize >= args.requests {
                break;
            }
            if Instant::now() > deadline {
                bail!(
                    "the queue did not finish within an hour ({in_review} of {} done)",
                    args.requests
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let elapsed = started.elapsed();
        let cpu = cpu_start.zip(machine_busy_secs()).map(|(a, b)| b - a);
        let own = own_start.zip(own_cpu_secs()).map(|(a, b)| b - a);
        let _ = stop_tx.send(());
        let _ = workers.await;
        // Nothing was lost: every task succeeded exactly once.
        let sample = dsrflow_store::tasks::for_request(store.db(), ids[0]).await?;
        if sample.iter().any(|t| t.attempts != 1) {
            bail!("a task needed more than one attempt");
        }
        store.close().await?;
        anyhow::Ok((elapsed, cpu, own))
    }
    .await;
    if let Some(scratch) = scratch {
        if args.keep_database {
            println!("(kept the scratch database {})", scratch.name());
        } else {
            scratch.drop_database().await?;
        }
    }
    let (elapsed, queue_cpu, own_cpu) = result?;
    let raw_after = raw_run(dir.path(), "rawb", args).await?;
    let raw_elapsed = raw_before.0 + raw_after.0;
    let raw_cpu = raw_before.1.zip(raw_after.1).map(|(a, b)| (a + b) / 2.0);
    let tasks = (args.requests * args.systems) as f64;
    let queued_rate = tasks / elapsed.as_secs_f64().max(1e-9);
    let raw_rate = 2.0 * tasks / raw_elapsed.as_secs_f64().max(1e-9);
    // Machine CPU time (every core, every process) per task, in milliseconds.
    let per_task = |cpu: Option<f64>| {
        cpu.map(|c| format!("{:.2}", c * 1000.0 / tasks))
            .unwrap_or_else(|| "n/a".to_owned())
    };
    println!(
        "{:<10} {:>12.0} {:>12.0} {:>6.0}% {:>12.1} {:>10} {:>9} {:>9} {:>9}",
        label,
        queued_rate,
        raw_rate,
        100.0 * queued_rate / raw_rate.max(1e-9),
        elapsed.as_secs_f64(),
        peak_rss_mib()
            .map(|m| format!("{m:.0}"))
            .unwrap_or_else(|| "n/a".to_owned()),
        per_task(queue_cpu),
        per_task(own_cpu),
        per_task(raw_cpu),
    );
    Ok(())
}

/// The raw baseline on the target copies named `copy`: the connector's statements, one
/// transaction per (subject, system), one connection per file. Its wall time and the machine's
/// CPU time.
async fn raw_run(
    dir: &std::path::Path,
    copy: &str,
    args: &FanoutArgs,
) -> anyhow::Result<(Duration, Option<f64>)> {
    let raw_started = Instant::now();
    let raw_cpu_start = machine_busy_secs();
    let mut handles = Vec::new();
    for s in 0..args.systems {
        let path = dir.join(format!("{copy}{s}.db"));
        let n = args.requests;
        // One connection per file: SQLite writes one transaction at a time per file, and a
        // second writer on the same file only waits in its busy handler (measured: slower).
        let per_system = 1;
        for w in 0..per_system {
            let path = path.clone();
            handles.push(tokio::spawn(async move {
                let db = Database::connect(format!("sqlite://{}", path.display())).await?;
                let mut i = w;
                while i < n {
                    let email = format!("user{i}@example.com");
                    let txn = dsrflow_store::sea_orm::TransactionTrait::begin(&db).await?;
                    for (sql, values) in [
                        (
                            "DELETE FROM \"message\" WHERE \"author_id\" IN (SELECT \"id\" FROM \"partner\" WHERE (LOWER(\"email\") = LOWER(?)))",
                            vec![email.clone().into()],
                        ),
                        (
                            "UPDATE \"partner\" SET \"email\" = ? || CAST(\"id\" AS TEXT) || ?, \"name\" = ?, \"phone\" = NULL WHERE (LOWER(\"email\") = LOWER(?))",
                            vec!["anon-".into(), "@invalid.example".into(), "Anonymised".into(), email.clone().into()],
                        ),
                    ] {
                        txn.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values))
                            .await?;
                    }
                    txn.commit().await?;
                    i += per_system;
                }
                db.close().await?;
                anyhow::Ok(())
            }));
        }
    }
    for h in handles {
        h.await??;
    }
    Ok((
        raw_started.elapsed(),
        raw_cpu_start.zip(machine_busy_secs()).map(|(a, b)| b - a),
    ))
}
